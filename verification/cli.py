"""``python -m verification``: check a deployed stack and print one line per check.

Exit status: 0 when no check failed, 1 when any did, 2 when the stack outputs are unusable.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from botocore.config import Config

from verification.checks import verify
from verification.clients import AwsClients, ClientFactory
from verification.outputs import OutputsError, StackOutputs, load_outputs_file, read_stack_outputs
from verification.results import Verdict

# Bounded retries and timeouts: a throttled or unreachable endpoint fails its check, it does not hang.
CLIENT_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=5, read_timeout=30)


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m verification",
        description="Check that a deployed compliance stack records, delivers, evaluates and alerts.",
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--stack", help="Pulumi stack name; runs `pulumi stack output --json --stack STACK`")
    source.add_argument(
        "--outputs", type=Path, metavar="FILE", help="file saved from `pulumi stack output --json`"
    )
    parser.add_argument(
        "--endpoint-url", help="send every AWS call to this endpoint (a local emulator in tests)"
    )
    return parser.parse_args(argv)


def load_outputs(arguments: argparse.Namespace) -> StackOutputs:
    if arguments.outputs is not None:
        return load_outputs_file(arguments.outputs)
    return read_stack_outputs(arguments.stack)


def main(argv: Sequence[str] | None = None, clients: ClientFactory | None = None) -> int:
    arguments = parse_arguments(argv)
    try:
        outputs = load_outputs(arguments)
    except OutputsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if clients is None:
        clients = AwsClients(endpoint_url=arguments.endpoint_url, config=CLIENT_CONFIG)

    print(
        f"Verifying {len(outputs.regions)} region(s), primary {outputs.primary_region}, "
        f"rules every {outputs.evaluation_frequency}"
    )
    counts = dict.fromkeys(Verdict, 0)
    for result in verify(outputs, clients, datetime.now(UTC)):
        print(result.line(), flush=True)
        counts[result.verdict] += 1
    print(
        f"{sum(counts.values())} checks: {counts[Verdict.PASS]} passed, {counts[Verdict.FAIL]} failed, "
        f"{counts[Verdict.SKIP]} skipped"
    )
    return 1 if counts[Verdict.FAIL] else 0
