"""Configuration items: one normalized shape for every source.

Sources: the change notification (``configurationItemVersion`` 1.2 and 1.3), the
``GetResourceConfigHistory`` API shape used for oversized items (``accountId``, ``arn``, JSON-string
``configuration`` and ``supplementaryConfiguration`` values), and periodic sweeps, which build items
straight from the describe APIs.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from evaluators.errors import InvalidEventError

# Items in these states describe a resource that is gone or no longer recorded.
GONE_STATUSES = frozenset({"ResourceDeleted", "ResourceDeletedNotRecorded", "ResourceNotRecorded"})


@dataclass(frozen=True)
class ConfigurationItem:
    resource_type: str
    resource_id: str
    arn: str | None = None
    status: str = "OK"
    capture_time: datetime | None = None
    configuration: Mapping[str, Any] = field(default_factory=dict)
    supplementary: Mapping[str, Any] = field(default_factory=dict)
    # An item whose tags field is null or absent describes a resource with no tags.
    tags: Mapping[str, str] = field(default_factory=dict)

    @property
    def is_gone(self) -> bool:
        return self.status in GONE_STATUSES

    def describe(self) -> str:
        return f"{self.resource_type} {self.resource_id}"


def parse_timestamp(value: Any, where: str) -> datetime:
    """An aware datetime from a datetime or an ISO 8601 string (``Z`` suffix included)."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    raise InvalidEventError(f"{where}: expected an ISO 8601 timestamp, got {value!r}")


def _json_object(value: Any, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.strip() else {}
        except ValueError as error:
            raise InvalidEventError(f"{where}: not valid JSON ({error})") from None
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidEventError(f"{where}: expected an object, got {type(value).__name__}")
    return value


def _supplementary(value: Any, where: str) -> dict[str, Any]:
    entries = _json_object(value, where)
    normalized: dict[str, Any] = {}
    for name, entry in entries.items():
        # The API shape holds each supplementary value as a JSON string; keep non-JSON strings as they are.
        if isinstance(entry, str):
            with contextlib.suppress(ValueError):
                entry = json.loads(entry)
        normalized[name] = entry
    return normalized


def _tags(value: Any, where: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise InvalidEventError(f"{where}: expected an object of string tag values, got {value!r:.100}")
    return value


def _required_text(raw: Mapping[str, Any], key: str, where: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value:
        raise InvalidEventError(f"{where}.{key}: missing or not a non-empty string")
    return value


def _optional_text(raw: Mapping[str, Any], *keys: str) -> str | None:
    for key in keys:
        value = raw.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def item_from_record(raw: Any, where: str = "configurationItem") -> ConfigurationItem:
    """Normalize a notification item (either vintage) or a GetResourceConfigHistory item."""
    if not isinstance(raw, Mapping):
        raise InvalidEventError(f"{where}: expected an object, got {type(raw).__name__}")
    capture = raw.get("configurationItemCaptureTime")
    status = raw.get("configurationItemStatus", "OK")
    if not isinstance(status, str):
        raise InvalidEventError(f"{where}.configurationItemStatus: expected a string, got {status!r}")
    return ConfigurationItem(
        resource_type=_required_text(raw, "resourceType", where),
        resource_id=_required_text(raw, "resourceId", where),
        arn=_optional_text(raw, "ARN", "arn"),
        status=status,
        capture_time=None
        if capture is None
        else parse_timestamp(capture, f"{where}.configurationItemCaptureTime"),
        configuration=_json_object(raw.get("configuration"), f"{where}.configuration"),
        supplementary=_supplementary(
            raw.get("supplementaryConfiguration"), f"{where}.supplementaryConfiguration"
        ),
        tags=_tags(raw.get("tags"), f"{where}.tags"),
    )


def fetch_oversized_item(config_client: Any, summary: ConfigurationItem) -> ConfigurationItem | None:
    """The full item behind an oversized notification's summary, as of the summary's capture time, or
    None when Config returns no history for it (API errors such as ResourceNotDiscoveredException are
    raised as they are)."""
    request: dict[str, Any] = {
        "resourceType": summary.resource_type,
        "resourceId": summary.resource_id,
        "limit": 1,
    }
    if summary.capture_time is not None:
        request["laterTime"] = summary.capture_time
    found = config_client.get_resource_config_history(**request).get("configurationItems", [])
    if not found:
        return None
    return item_from_record(found[0], "GetResourceConfigHistory.configurationItems[0]")
