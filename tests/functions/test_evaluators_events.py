"""Event parsing, configuration-item normalization, rule parameters and field reading."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from evaluator_support import (
    ACCOUNT,
    CAPTURE_DATETIME,
    NOTIFICATION_DATETIME,
    change_event,
    configuration_item,
    oversized_event,
    scheduled_event,
)
from evaluators import parameters
from evaluators.errors import EvaluationIncompleteError, InvalidEventError, InvalidParameterError
from evaluators.events import MessageType, parse_event
from evaluators.fields import as_bool, as_int, as_text, lookup
from evaluators.items import item_from_record, parse_timestamp


def test_change_event_parses_item_and_parameters() -> None:
    item = configuration_item("AWS::EC2::Volume", "vol-1", {"encrypted": True}, tags={"a": "b"})
    parsed = parse_event(change_event(item, {"requireKms": "true"}))
    assert parsed.message_type is MessageType.CHANGE
    assert parsed.parameters == {"requireKms": "true"}
    assert parsed.item is not None
    assert parsed.item.resource_id == "vol-1"
    assert parsed.item.capture_time == CAPTURE_DATETIME
    assert parsed.item.configuration == {"encrypted": True}
    assert parsed.item.tags == {"a": "b"}
    assert parsed.result_token == "token-1"


def test_scheduled_event_needs_no_item() -> None:
    parsed = parse_event(scheduled_event(token="TESTMODE"))
    assert parsed.message_type is MessageType.SCHEDULED
    assert parsed.item is None
    assert parsed.notification_time == NOTIFICATION_DATETIME
    assert parsed.account_id == ACCOUNT
    assert parsed.result_token == "TESTMODE"
    assert parsed.parameters == {}


def test_oversized_event_carries_the_summary() -> None:
    parsed = parse_event(oversized_event(configuration_item("AWS::S3::Bucket", "b", {"name": "b"})))
    assert parsed.message_type is MessageType.OVERSIZED_CHANGE
    assert parsed.item is not None and parsed.item.configuration == {}


def _mutated(event: dict[str, Any], **invoking_changes: Any) -> dict[str, Any]:
    invoking = json.loads(event["invokingEvent"])
    for key, value in invoking_changes.items():
        if value is None:
            invoking.pop(key, None)
        else:
            invoking[key] = value
    return {**event, "invokingEvent": json.dumps(invoking)}


VOLUME = configuration_item("AWS::EC2::Volume", "vol-1", {"encrypted": True})


@pytest.mark.parametrize(
    ("event", "message"),
    [
        (["not", "a", "dict"], "event: expected an object, got list"),
        ({"resultToken": "t"}, "invokingEvent: missing"),
        ({**change_event(VOLUME), "invokingEvent": {"a": 1}}, "invokingEvent: expected a JSON string"),
        ({**change_event(VOLUME), "invokingEvent": "{oops"}, "invokingEvent: not valid JSON"),
        ({**change_event(VOLUME), "invokingEvent": "[1]"}, "invokingEvent: expected a JSON object, got list"),
        (
            _mutated(change_event(VOLUME), messageType="Bogus"),
            "invokingEvent.messageType: unsupported 'Bogus'",
        ),
        (_mutated(change_event(VOLUME), messageType=None), "invokingEvent.messageType: unsupported None"),
        ({**change_event(VOLUME), "resultToken": ""}, "resultToken: missing or empty"),
        ({**change_event(VOLUME), "eventLeftScope": "no"}, "eventLeftScope: expected a boolean"),
        ({**change_event(VOLUME), "configRuleName": 5}, "configRuleName: expected a string"),
        ({**change_event(VOLUME), "accountId": 5}, "accountId: expected a string"),
        ({**change_event(VOLUME), "ruleParameters": "nope"}, "ruleParameters: not valid JSON"),
        ({**change_event(VOLUME), "ruleParameters": '{"a": 1}'}, "ruleParameters.a: expected a string"),
        (_mutated(change_event(VOLUME), configurationItem=None), "invokingEvent.configurationItem: missing"),
        (
            _mutated(oversized_event(VOLUME), configurationItemSummary=None),
            "invokingEvent.configurationItemSummary: missing",
        ),
        (
            _mutated(change_event(VOLUME), notificationCreationTime="yesterday"),
            "invokingEvent.notificationCreationTime: expected an ISO 8601 timestamp",
        ),
        ({**scheduled_event(), "configRuleName": None}, "configRuleName: required for ScheduledNotification"),
        (
            _mutated({**scheduled_event(), "accountId": None}, awsAccountId=None),
            "accountId: required for ScheduledNotification",
        ),
        (
            _mutated(scheduled_event(), notificationCreationTime=None),
            "invokingEvent.notificationCreationTime: required",
        ),
        (
            change_event({**VOLUME, "configurationItemCaptureTime": None}),
            "invokingEvent.configurationItem.configurationItemCaptureTime: missing",
        ),
        (change_event({**VOLUME, "resourceId": ""}), "invokingEvent.configurationItem.resourceId: missing"),
        (change_event("nope"), "invokingEvent.configurationItem: expected an object, got str"),  # type: ignore[arg-type]
    ],
)
def test_malformed_events_name_the_field(event: Any, message: str) -> None:
    with pytest.raises(InvalidEventError, match="^" + message.replace("(", r"\(").replace("[", r"\[")):
        parse_event(event)


def test_empty_rule_parameters_mean_none() -> None:
    assert parse_event({**change_event(VOLUME), "ruleParameters": ""}).parameters == {}


def test_account_falls_back_to_invoking_event() -> None:
    event = {**scheduled_event(), "accountId": None}
    assert parse_event(event).account_id == ACCOUNT


# --- configuration items --------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["1.2", "1.3"])
def test_both_vintages_give_the_same_item(version: str) -> None:
    raw = configuration_item("AWS::EC2::Volume", "vol-1", {"encrypted": False}, version=version, arn="arn:x")
    item = item_from_record(raw)
    assert (item.arn, item.resource_type, item.resource_id, item.status) == (
        "arn:x",
        "AWS::EC2::Volume",
        "vol-1",
        "OK",
    )


def test_api_shape_is_normalized() -> None:
    raw = {
        "version": "1.3",
        "accountId": ACCOUNT,
        "configurationItemCaptureTime": datetime(2026, 1, 1, tzinfo=UTC),
        "configurationItemStatus": "OK",
        "resourceType": "AWS::S3::Bucket",
        "resourceId": "bucket-1",
        "arn": "arn:aws:s3:::bucket-1",
        "configuration": '{"name": "bucket-1"}',
        "supplementaryConfiguration": {
            "ServerSideEncryptionConfiguration": '{"rules": []}',
            "Plain": "not json",
        },
        "tags": {"team": "a"},
    }
    item = item_from_record(raw)
    assert item.arn == "arn:aws:s3:::bucket-1"
    assert item.configuration == {"name": "bucket-1"}
    assert item.supplementary == {"ServerSideEncryptionConfiguration": {"rules": []}, "Plain": "not json"}
    assert item.capture_time == datetime(2026, 1, 1, tzinfo=UTC)


def test_deleted_item_has_null_configuration_and_is_gone() -> None:
    raw = configuration_item("AWS::EC2::Volume", "vol-1", None, status="ResourceDeleted")
    item = item_from_record({**raw, "tags": None})
    assert item.is_gone and item.configuration == {} and item.tags == {}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"configuration": "{bad"}, "configurationItem.configuration: not valid JSON"),
        ({"configuration": "[1, 2]"}, "configurationItem.configuration: expected an object, got list"),
        ({"configurationItemStatus": 3}, "configurationItem.configurationItemStatus: expected a string"),
        ({"tags": {"a": 1}}, "configurationItem.tags: expected an object of string tag values"),
        ({"tags": ["a"]}, "configurationItem.tags: expected an object of string tag values"),
        (
            {"supplementaryConfiguration": 7},
            "configurationItem.supplementaryConfiguration: expected an object",
        ),
    ],
)
def test_malformed_items_name_the_field(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidEventError, match="^" + message):
        item_from_record({**configuration_item("AWS::EC2::Volume", "vol-1", {}), **changes})


def test_blank_and_null_json_configuration_are_empty() -> None:
    for value in ("", "null", None):
        assert item_from_record({**VOLUME, "configuration": value}).configuration == {}


def test_timestamps() -> None:
    assert parse_timestamp("2026-11-20T10:00:00Z", "t") == CAPTURE_DATETIME
    assert parse_timestamp("2026-11-20T10:00:00", "t") == CAPTURE_DATETIME
    assert parse_timestamp(datetime(2026, 11, 20, 10), "t") == CAPTURE_DATETIME
    with pytest.raises(InvalidEventError, match=r"^where: expected an ISO 8601 timestamp, got 5$"):
        parse_timestamp(5, "where")


# --- parameters and fields ------------------------------------------------------------------------


def test_boolean_parameter() -> None:
    assert parameters.boolean({}, "p", False) is False
    assert parameters.boolean({"p": " "}, "p", True) is True
    assert parameters.boolean({"p": "TRUE"}, "p", False) is True
    assert parameters.boolean({"p": "false"}, "p", True) is False
    with pytest.raises(InvalidParameterError, match='rule parameter \'p\': expected "true" or "false"'):
        parameters.boolean({"p": "yes"}, "p", False)


def test_integer_parameter() -> None:
    assert parameters.integer({}, "n", 7, 1, 35) == 7
    assert parameters.integer({"n": " 14 "}, "n", 7, 1, 35) == 14
    for bad, message in [("x", "whole number"), ("-1", "whole number"), ("0", "1 to 35"), ("36", "1 to 35")]:
        with pytest.raises(InvalidParameterError, match=f"rule parameter 'n': expected .*{message}"):
            parameters.integer({"n": bad}, "n", 7, 1, 35)


def test_comma_list_parameter() -> None:
    assert parameters.comma_list({}, "l") == ()
    assert parameters.comma_list({"l": " a , b "}, "l") == ("a", "b")
    with pytest.raises(InvalidParameterError, match="'l': empty item"):
        parameters.comma_list({"l": "a,,b"}, "l")
    with pytest.raises(InvalidParameterError, match="'l': duplicate item"):
        parameters.comma_list({"l": "a,a"}, "l")


def test_unknown_parameters_are_rejected_by_name() -> None:
    parameters.reject_unknown({"requireKms": "true"}, "requireKms", "kmsKeyArns")
    with pytest.raises(
        InvalidParameterError,
        match=r"'requireKMS': unknown parameter \(this rule takes requireKms, kmsKeyArns\)",
    ):
        parameters.reject_unknown({"requireKMS": "true"}, "requireKms", "kmsKeyArns")


def test_lookup_ignores_key_case_and_tolerates_missing_steps() -> None:
    data = {"SSEDescription": {"Status": "ENABLED"}, "plain": 1}
    assert lookup(data, "sSEDescription", "status") == "ENABLED"
    assert lookup(data, "plain") == 1
    assert lookup(data, "plain", "deeper") is None
    assert lookup(data, "absent") is None
    assert lookup(None, "x") is None


def test_value_coercion() -> None:
    assert [as_bool(v) for v in (True, "true", " False ", "yes", 1)] == [True, True, False, None, None]
    assert [as_int(v) for v in (3, "7", "-2", True, "²", 1.5)] == [3, 7, -2, None, None, None]
    assert [as_text(v) for v in (" a ", "", " ", 3)] == ["a", None, None, None]


def test_incomplete_error_lists_at_most_fifty_resources() -> None:
    error = EvaluationIncompleteError("could not evaluate", [f"r{i}" for i in range(60)])
    assert str(error).startswith("could not evaluate (60): r0; r1")
    assert str(error).endswith("r49; and 10 more")
    assert len(error.resources) == 60
