"""What both commands do before their first check: read the outputs, make clients, prove the credentials.

Anything that goes wrong here means nothing can be checked (exit status 2), never that the stack is
broken: unusable outputs, no credentials, credentials of another account, an unreachable endpoint.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO
from urllib.parse import urlsplit

from botocore.config import Config

from verification.clients import AwsClients, ClientFactory
from verification.outputs import OutputsError, StackOutputs, load_outputs_file, read_stack_outputs
from verification.results import AWS_CALL_ERRORS, describe_error

# Bounded retries and timeouts: a throttled or unreachable endpoint fails its check, it does not hang.
CLIENT_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=5, read_timeout=30)

# A first call without an answer after this long is named on stderr, so a stalled endpoint does not
# look like a hung command (the call itself ends after the client's timeouts and retries).
WAITING_NOTICE_AFTER_SECONDS = 3.0


class CannotCheck(Exception):
    """Nothing can be checked; the message says why and, where there is one, what to do."""


def endpoint_url(value: str) -> str:
    """An ``--endpoint-url`` argument: an http(s) URL with a host (boto3 would raise on anything else)."""
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{value!r} is not a URL: {error}") from error
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise argparse.ArgumentTypeError(f"{value!r} is not an http(s) URL such as http://127.0.0.1:5000")
    return value


def add_source_arguments(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--stack", help="Pulumi stack name; runs `pulumi stack output --json --stack STACK`")
    source.add_argument(
        "--outputs",
        type=Path,
        metavar="FILE",
        help="file saved from `pulumi stack output --json`, or - to read it from standard input",
    )
    parser.add_argument(
        "--endpoint-url",
        type=endpoint_url,
        help="send every AWS call to this endpoint (a local emulator in tests)",
    )


def load_outputs(arguments: argparse.Namespace) -> StackOutputs:
    try:
        if arguments.outputs is not None:
            return load_outputs_file(arguments.outputs)
        return read_stack_outputs(arguments.stack)
    except OutputsError as error:
        raise CannotCheck(str(error)) from error


def prepare(
    arguments: argparse.Namespace, clients: ClientFactory | None
) -> tuple[StackOutputs, ClientFactory]:
    """The stack's outputs and clients whose credentials belong to the stack's account."""
    outputs = load_outputs(arguments)
    if clients is None:
        clients = AwsClients(endpoint_url=arguments.endpoint_url, config=CLIENT_CONFIG)
    check_credentials(clients, outputs)
    return outputs, clients


def check_credentials(clients: ClientFactory, outputs: StackOutputs, notices: TextIO | None = None) -> None:
    """One STS ``GetCallerIdentity`` call: credentials exist, are valid, reach AWS, and are the stack's.

    GetCallerIdentity needs no IAM permission (STS API reference), so it fails only for the reasons
    that stop every other call too. It is the first call: if it has no answer within a few seconds, a
    ``waiting for <endpoint>`` line on ``notices`` (stderr) says what the command waits for.
    """
    sts = clients("sts", outputs.primary_region)
    endpoint = getattr(getattr(sts, "meta", None), "endpoint_url", None) or f"STS in {outputs.primary_region}"
    waiting = (
        f"waiting for {endpoint} (STS GetCallerIdentity, the first AWS call): no answer yet; "
        "Ctrl-C stops the command"
    )
    try:
        with notice_if_slow(waiting, notices or sys.stderr):
            account = sts.get_caller_identity()["Account"]
    except AWS_CALL_ERRORS as error:
        raise CannotCheck(f"could not check: {describe_error(error)}") from error
    if account != outputs.account_id:
        raise CannotCheck(
            f"could not check: the AWS credentials are for account {account}, the stack is in account "
            f"{outputs.account_id} (its aggregatorArn); use credentials for {outputs.account_id}"
        )


@contextmanager
def notice_if_slow(
    message: str, stream: TextIO, after_seconds: float = WAITING_NOTICE_AFTER_SECONDS
) -> Iterator[None]:
    """Writes ``message`` to ``stream`` once, if the block has not finished after ``after_seconds``."""

    def notice() -> None:
        stream.write(message + "\n")
        stream.flush()

    timer = threading.Timer(after_seconds, notice)
    # A daemon timer never keeps an interrupted command alive.
    timer.daemon = True
    _start_without_sigint(timer)
    try:
        yield
    finally:
        timer.cancel()


def _start_without_sigint(thread: threading.Thread) -> None:
    """Starts ``thread`` with SIGINT blocked in it, so that Ctrl-C always reaches the main thread. The kernel
    hands a process-directed signal to any thread that does not block it (POSIX, signal(7)); Python runs its
    handler only in the main thread, so a Ctrl-C delivered to the timer's thread would leave the main thread
    blocked in its socket read until that times out. A new thread inherits the signal mask of the thread that
    creates it (pthread_create(3)): block SIGINT here, start the thread, unblock it again."""
    if not hasattr(signal, "pthread_sigmask"):  # Windows: no signal masks, and no such delivery either.
        thread.start()
        return
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        thread.start()
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})

