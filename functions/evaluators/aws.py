"""boto3 clients: one per service per account per container, created on first use, with bounded retries.

Importing this module makes no network call. The region comes from ``AWS_REGION`` (set by Lambda),
else from boto3's usual chain (``AWS_DEFAULT_REGION``, the config file).

Clients for the function's own account use the function's credentials. Clients for a member account
(organization scope) use credentials from ``sts:AssumeRole`` on the member role; those are kept per role
per container and assumed again once they are within ``CREDENTIALS_MARGIN`` of their expiry. The
clients hold them as fixed keys for a whole invocation (a sweep keeps its clients and paginators from
start to end), so the margin covers the longest invocation, the function's 900 s timeout
(components/region.py), plus two minutes of clock slack.
"""

from __future__ import annotations

import gc
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from botocore.config import Config

from evaluators.errors import MemberRoleError

# boto3 and botocore leave a few hundred thousand long-lived objects behind at import. A full garbage
# collection triggered while the handler's own modules load would walk them all: 25-30 ms of every cold
# start (benchmarks/evaluators_benchmark.py). gc.freeze() moves the objects alive now out of the
# collector's view (Python docs, gc.freeze); they live as long as the container does anyway.
gc.freeze()

# boto3 clients are generated at run time; callers use keyword arguments only.
AwsClient = Any
# A source of clients for one account: service name -> client.
Clients = Callable[[str], AwsClient]

# Per-resource reads of a sweep in flight at once, across every resource type (see inventory).
READ_CONCURRENCY = 32

# Standard mode retries throttling and transient errors with jittered exponential backoff; five
# attempts bound one call to well under a minute, so a 15-minute sweep cannot stall on one resource.
# The connection pool matches the sweep's concurrency, so no worker waits for a connection.
CLIENT_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": 5},
    connect_timeout=5,
    read_timeout=30,
    max_pool_connections=READ_CONCURRENCY,
)

LAMBDA_TIMEOUT = timedelta(seconds=900)
CREDENTIALS_MARGIN = LAMBDA_TIMEOUT + timedelta(minutes=2)
ROLE_SESSION_NAME = "config-compliance-evaluator"

_clients: dict[str, AwsClient] = {}
# (role ARN, service) -> (the credentials it was made with, client).
_member_clients: dict[tuple[str, str], tuple[dict[str, str], AwsClient]] = {}
# Per-resource calls run in worker threads; boto3 sessions are not thread-safe while creating clients.
_lock = threading.RLock()


def client(service: str) -> AwsClient:
    """The container's client for ``service`` in the function's own account, created on first use."""
    with _lock:
        if service not in _clients:
            _clients[service] = _new_client(service)
        return _clients[service]


def _new_client(service: str, **credentials: str) -> AwsClient:
    return boto3.client(  # type: ignore[call-overload]
        service, region_name=os.environ.get("AWS_REGION"), config=CLIENT_CONFIG, **credentials
    )


@dataclass(frozen=True)
class _Assumed:
    credentials: dict[str, str]
    expires: datetime


_assumed: dict[str, _Assumed] = {}


def _now() -> datetime:
    return datetime.now(UTC)


def member_clients(role_arn: str) -> Clients:
    """Clients acting as ``role_arn``; the role is assumed now (so a refusal fails at once) if the
    container holds no credentials for it that are good for longer than ``CREDENTIALS_MARGIN``."""
    _credentials(role_arn)

    def member_client(service: str) -> AwsClient:
        with _lock:
            credentials = _credentials(role_arn)
            held = _member_clients.get((role_arn, service))
            if held is None or held[0] is not credentials:
                held = (credentials, _new_client(service, **credentials))
                _member_clients[(role_arn, service)] = held
            return held[1]

    return member_client


def _credentials(role_arn: str) -> dict[str, str]:
    with _lock:
        held = _assumed.get(role_arn)
        if held is None or held.expires - CREDENTIALS_MARGIN <= _now():
            held = _assume(role_arn)
            _assumed[role_arn] = held
        return held.credentials


def _assume(role_arn: str) -> _Assumed:
    from botocore.exceptions import BotoCoreError, ClientError

    account = role_arn.split(":")[4]
    try:
        found = client("sts").assume_role(RoleArn=role_arn, RoleSessionName=ROLE_SESSION_NAME)["Credentials"]
    except (ClientError, BotoCoreError) as error:
        detail = error.response.get("Error", {}) if isinstance(error, ClientError) else {}
        reason = f"{detail.get('Code', type(error).__name__)}: {detail.get('Message', str(error))}"
        raise MemberRoleError(f"account {account}: could not assume {role_arn} ({reason})") from None
    expires = found["Expiration"]
    return _Assumed(
        {
            "aws_access_key_id": found["AccessKeyId"],
            "aws_secret_access_key": found["SecretAccessKey"],
            "aws_session_token": found["SessionToken"],
        },
        expires if expires.tzinfo else expires.replace(tzinfo=UTC),
    )


def reset_clients() -> None:
    """Forget every client and assumed credential (tests switch regions and credentials between cases)."""
    with _lock:
        _clients.clear()
        _member_clients.clear()
        _assumed.clear()
