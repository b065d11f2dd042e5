"""boto3 clients for the checks: one per service per region, created on first use."""

from __future__ import annotations

from typing import Any, Protocol

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError

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
            self._clients[key].meta.events.register("after-call-error", name_the_operation)
        return self._clients[key]


def name_the_operation(exception: Exception, event_name: str, **_: Any) -> None:
    """Gives a botocore error (no credentials, no connection) the name of the call it broke.

    botocore emits ``after-call-error.<service>.<Operation>`` when sending a request raised; a
    ``ClientError`` carries ``operation_name`` already, the others do not.
    """
    if isinstance(exception, BotoCoreError) and not hasattr(exception, "operation_name"):
        exception.operation_name = event_name.rsplit(".", 1)[-1]  # type: ignore[attr-defined]
