"""boto3 clients: one per service per container, created on first use, with bounded retries.

Importing this module makes no network call. The region comes from ``AWS_REGION`` (set by Lambda),
else from boto3's usual chain (``AWS_DEFAULT_REGION``, the config file).
"""

from __future__ import annotations

import os
import threading
from typing import Any

import boto3
from botocore.config import Config

# boto3 clients are generated at run time; callers use keyword arguments only.
AwsClient = Any

# Standard mode retries throttling and transient errors with jittered exponential backoff; five
# attempts bound one call to well under a minute, so a 15-minute sweep cannot stall on one resource.
CLIENT_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": 5},
    connect_timeout=5,
    read_timeout=30,
    max_pool_connections=16,
)

_clients: dict[str, AwsClient] = {}
# Per-resource calls run in worker threads; boto3 sessions are not thread-safe while creating clients.
_lock = threading.Lock()


def client(service: str) -> AwsClient:
    """The container's client for ``service``, created on first use."""
    with _lock:
        if service not in _clients:
            _clients[service] = boto3.client(  # type: ignore[call-overload]
                service, region_name=os.environ.get("AWS_REGION"), config=CLIENT_CONFIG
            )
        return _clients[service]


def reset_clients() -> None:
    """Forget every client (tests switch regions and credentials between cases)."""
    with _lock:
        _clients.clear()
