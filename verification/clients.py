"""boto3 clients for the checks: one per service per region, created on first use."""

from __future__ import annotations

from typing import Any, Protocol

import boto3
from botocore.config import Config

# boto3 builds its client classes at run time from service models; the checks pass keyword arguments only.
AwsClient = Any


class ClientFactory(Protocol):
    def __call__(self, service: str, region: str) -> AwsClient: ...


class AwsClients:
    """Creates and caches clients; ``endpoint_url`` points every one of them at one endpoint.

    Without ``endpoint_url`` boto3 applies its usual settings, including ``AWS_ENDPOINT_URL``.
    """

    def __init__(self, endpoint_url: str | None = None, config: Config | None = None) -> None:
        self._session = boto3.session.Session()
        self._endpoint_url = endpoint_url
        self._config = config
        self._clients: dict[tuple[str, str], AwsClient] = {}

    def __call__(self, service: str, region: str) -> AwsClient:
        key = (service, region)
        if key not in self._clients:
            self._clients[key] = self._session.client(
                service,  # type: ignore[call-overload]
                region_name=region,
                endpoint_url=self._endpoint_url,
                config=self._config,
            )
        return self._clients[key]
