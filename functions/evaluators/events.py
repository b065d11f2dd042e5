"""The Lambda event Config sends to a custom rule, parsed and checked up front."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from evaluators.errors import InvalidEventError
from evaluators.items import ConfigurationItem, item_from_record, parse_timestamp

TEST_MODE_TOKEN = "TESTMODE"


class MessageType(StrEnum):
    CHANGE = "ConfigurationItemChangeNotification"
    OVERSIZED_CHANGE = "OversizedConfigurationItemChangeNotification"
    SCHEDULED = "ScheduledNotification"


@dataclass(frozen=True)
class RuleEvent:
    message_type: MessageType
    result_token: str
    parameters: Mapping[str, str]
    event_left_scope: bool
    rule_name: str | None
    account_id: str | None
    notification_time: datetime | None
    # The changed item (change events) or the summary of it (oversized events); None when scheduled.
    item: ConfigurationItem | None


def _json_field(event: Mapping[str, Any], name: str) -> dict[str, Any]:
    raw = event[name]
    if not isinstance(raw, str):
        raise InvalidEventError(f"{name}: expected a JSON string, got {type(raw).__name__}")
    try:
        parsed = json.loads(raw)
    except ValueError as error:
        raise InvalidEventError(f"{name}: not valid JSON ({error})") from None
    if not isinstance(parsed, dict):
        raise InvalidEventError(f"{name}: expected a JSON object, got {type(parsed).__name__}")
    return parsed


def _parameters(event: Mapping[str, Any]) -> dict[str, str]:
    if event.get("ruleParameters") in (None, ""):
        return {}
    parameters = _json_field(event, "ruleParameters")
    for name, value in parameters.items():
        if not isinstance(value, str):
            raise InvalidEventError(f"ruleParameters.{name}: expected a string, got {value!r}")
    return parameters


def parse_event(event: Any) -> RuleEvent:
    """Validate a Config rule event; every error names the field that is wrong."""
    if not isinstance(event, Mapping):
        raise InvalidEventError(f"event: expected an object, got {type(event).__name__}")
    if "invokingEvent" not in event:
        raise InvalidEventError("invokingEvent: missing")
    invoking = _json_field(event, "invokingEvent")
    raw_type = invoking.get("messageType")
    try:
        message_type = MessageType(str(raw_type))
    except ValueError:
        expected = ", ".join(m.value for m in MessageType)
        raise InvalidEventError(
            f"invokingEvent.messageType: unsupported {raw_type!r} (expected one of {expected})"
        ) from None
    token = event.get("resultToken")
    if not isinstance(token, str) or not token:
        raise InvalidEventError("resultToken: missing or empty")
    left_scope = event.get("eventLeftScope", False)
    if not isinstance(left_scope, bool):
        raise InvalidEventError(f"eventLeftScope: expected a boolean, got {left_scope!r}")
    rule_name = event.get("configRuleName")
    if rule_name is not None and not isinstance(rule_name, str):
        raise InvalidEventError(f"configRuleName: expected a string, got {rule_name!r}")
    account_id = event.get("accountId") or invoking.get("awsAccountId")
    if account_id is not None and not isinstance(account_id, str):
        raise InvalidEventError(f"accountId: expected a string, got {account_id!r}")
    created = invoking.get("notificationCreationTime")
    notification_time = (
        None if created is None else parse_timestamp(created, "invokingEvent.notificationCreationTime")
    )

    item: ConfigurationItem | None = None
    if message_type is MessageType.SCHEDULED:
        if not rule_name:
            raise InvalidEventError("configRuleName: required for ScheduledNotification")
        if not account_id:
            raise InvalidEventError("accountId: required for ScheduledNotification")
        if notification_time is None:
            raise InvalidEventError(
                "invokingEvent.notificationCreationTime: required for ScheduledNotification"
            )
    else:
        key = "configurationItem" if message_type is MessageType.CHANGE else "configurationItemSummary"
        if key not in invoking:
            raise InvalidEventError(f"invokingEvent.{key}: missing from a {message_type.value}")
        item = item_from_record(invoking[key], f"invokingEvent.{key}")
        if item.capture_time is None:
            raise InvalidEventError(f"invokingEvent.{key}.configurationItemCaptureTime: missing")

    return RuleEvent(
        message_type=message_type,
        result_token=token,
        parameters=_parameters(event),
        event_left_scope=left_scope,
        rule_name=rule_name,
        account_id=account_id,
        notification_time=notification_time,
        item=item,
    )
