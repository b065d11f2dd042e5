"""Verdicts on the status AWS reports, including the status APIs moto does not implement.

Responses come from botocore's Stubber, which checks each request and response against the service
model, so the shapes here are the ones AWS documents.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from verification.checks import check_aggregator, check_delivery, check_recorder, check_rule, check_topic
from verification.outputs import RegionRecording, RuleOutput
from verification.results import Verdict, describe_error

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
ACCOUNT = "123456789012"
MANAGED = RegionRecording(True, "config-recorder-dev-us-east-1", "config-delivery-dev-us-east-1")
BUCKET = f"config-archive-dev-{ACCOUNT}"
FUNCTION = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:compliance-backup-dev-us-east-1"
RULE = RuleOutput("backup", "compliance-backup-dev-us-east-1", FUNCTION)
TOPIC = f"arn:aws:sns:us-east-1:{ACCOUNT}:config-compliance-alerts-dev"


# What an evaluator's failed run leaves as the rule's last error (see evaluators/errors.py).
LAMBDA_ERROR = (
    "EvaluationIncompleteError: backup: could not evaluate or post (1): "
    "AWS::EC2::Volume vol-0abc (AccessDenied)"
)





# --- recorder ---------------------------------------------------------------------------------


def test_a_recorder_whose_last_recording_failed_fails(config: tuple[Any, Stubber]) -> None:
    client, stubber = config
    stubber.add_response(
        "describe_configuration_recorder_status",
        {
            "ConfigurationRecordersStatus": [
                {
                    "name": MANAGED.recorder_name,
                    "recording": True,
                    "lastStatus": "Failure",
                    "lastErrorCode": "AccessDenied",
                    "lastErrorMessage": "not authorized to call ec2:DescribeVolumes",
                }
            ]
        },
        {"ConfigurationRecorderNames": [MANAGED.recorder_name]},
    )
    assert check_recorder(client, MANAGED) == (
        Verdict.FAIL,
        "recorder config-recorder-dev-us-east-1 is on but its last recording failed: "
        "AccessDenied: not authorized to call ec2:DescribeVolumes",
    )


def test_a_recording_recorder_passes_whatever_the_case_of_its_status(config: tuple[Any, Stubber]) -> None:
    client, stubber = config
    status = {"name": MANAGED.recorder_name, "recording": True, "lastStatus": "SUCCESS"}
    stubber.add_response("describe_configuration_recorder_status", {"ConfigurationRecordersStatus": [status]})
    assert check_recorder(client, MANAGED) == (
        Verdict.PASS,
        "recorder config-recorder-dev-us-east-1 is recording (last status SUCCESS)",
    )


@pytest.mark.parametrize(
    ("operation", "probe"),
    [
        ("describe_configuration_recorder_status", lambda client: check_recorder(client, MANAGED)),
        ("describe_delivery_channels", lambda client: check_delivery(client, MANAGED, BUCKET)),
        ("describe_config_rules", lambda client: check_rule(client, RULE, "Six_Hours", NOW)),
        ("describe_configuration_aggregators", lambda client: check_aggregator(client, "agg", ["us-east-1"])),
    ],
)
def test_errors_other_than_not_found_are_left_to_the_caller(
    config: tuple[Any, Stubber], operation: str, probe: Any
) -> None:
    client, stubber = config
    stubber.add_client_error(operation, "AccessDeniedException", "User is not authorized", 400)
    with pytest.raises(ClientError) as raised:
        probe(client)
    assert describe_error(raised.value).endswith("failed: AccessDeniedException: User is not authorized")


# --- delivery ---------------------------------------------------------------------------------


def _channel(stubber: Stubber, status: dict[str, Any]) -> None:
    names = {"DeliveryChannelNames": [MANAGED.delivery_channel_name]}
    stubber.add_response(
        "describe_delivery_channels",
        {"DeliveryChannels": [{"name": MANAGED.delivery_channel_name, "s3BucketName": BUCKET}]},
        names,
    )
    stubber.add_response(
        "describe_delivery_channel_status",
        {"DeliveryChannelsStatus": [{"name": MANAGED.delivery_channel_name, **status}]},
        names,
    )


def test_a_failed_delivery_fails_naming_its_error(config: tuple[Any, Stubber]) -> None:
    client, stubber = config
    _channel(
        stubber,
        {
            "configHistoryDeliveryInfo": {
                "lastStatus": "Failure",
                "lastErrorCode": "KMS.AccessDeniedException",
                "lastErrorMessage": "Config cannot use the key",
                "lastAttemptTime": NOW - timedelta(minutes=30),
                "lastSuccessfulTime": NOW - timedelta(days=2),
            },
            "configSnapshotDeliveryInfo": {"lastStatus": "Success", "lastSuccessfulTime": NOW},
        },
    )
    assert check_delivery(client, MANAGED, BUCKET) == (
        Verdict.FAIL,
        f"delivery to {BUCKET}: history delivery failed at 2026-11-26 11:30 UTC: "
        "KMS.AccessDeniedException: Config cannot use the key",
    )


def test_a_failure_without_details_still_fails(config: tuple[Any, Stubber]) -> None:
    client, stubber = config
    _channel(stubber, {"configSnapshotDeliveryInfo": {"lastStatus": "FAILURE"}})
    assert check_delivery(client, MANAGED, BUCKET) == (
        Verdict.FAIL,
        f"delivery to {BUCKET}: snapshot delivery failed at an unknown time: error",
    )


def test_a_channel_that_never_delivered_fails(config: tuple[Any, Stubber]) -> None:
    client, stubber = config
    _channel(
        stubber,
        {
            "configHistoryDeliveryInfo": {"lastStatus": "Not_Applicable"},
            "configStreamDeliveryInfo": {"lastStatus": "Success"},
        },
    )
    assert check_delivery(client, MANAGED, BUCKET) == (
        Verdict.FAIL,
        f"delivery channel config-delivery-dev-us-east-1 has not delivered to {BUCKET} yet",
    )


def test_one_successful_delivery_kind_passes(config: tuple[Any, Stubber]) -> None:
    client, stubber = config
    delivered = NOW - timedelta(hours=5)
    snapshot = {"lastStatus": "Success", "lastSuccessfulTime": delivered}
    _channel(stubber, {"configSnapshotDeliveryInfo": snapshot})
    assert check_delivery(client, MANAGED, BUCKET) == (
        Verdict.PASS,
        f"last delivery to {BUCKET} succeeded (snapshot at 2026-11-26 07:00 UTC)",
    )


def test_delivery_of_an_unmanaged_region_is_skipped_without_a_call(config: tuple[Any, Stubber]) -> None:
    client, _ = config
    verdict, message = check_delivery(client, RegionRecording(False, None, None), BUCKET)
    assert verdict is Verdict.SKIP
    assert "not this stack's channel" in message


# --- rules ------------------------------------------------------------------------------------


def _rule(
    stubber: Stubber,
    status: dict[str, Any] | None,
    frequency: str | None = "Six_Hours",
    state: str = "ACTIVE",
    top_level_frequency: str | None = None,
) -> None:
    details: list[dict[str, Any]] = [
        {"EventSource": "aws.config", "MessageType": "ConfigurationItemChangeNotification"}
    ]
    if frequency:
        scheduled = {"EventSource": "aws.config", "MessageType": "ScheduledNotification"}
        details.append({**scheduled, "MaximumExecutionFrequency": frequency})
    rule: dict[str, Any] = {
        "ConfigRuleName": RULE.rule_name,
        "ConfigRuleState": state,
        "Source": {"Owner": "CUSTOM_LAMBDA", "SourceIdentifier": FUNCTION, "SourceDetails": details},
    }
    if top_level_frequency:
        rule["MaximumExecutionFrequency"] = top_level_frequency
    names = {"ConfigRuleNames": [RULE.rule_name]}
    stubber.add_response("describe_config_rules", {"ConfigRules": [rule]}, names)
    if state == "ACTIVE":
        statuses = [] if status is None else [{"ConfigRuleName": RULE.rule_name, **status}]
        stubber.add_response(
            "describe_config_rule_evaluation_status", {"ConfigRulesEvaluationStatus": statuses}, names
        )


def test_a_rule_evaluated_within_twice_its_frequency_passes(config: tuple[Any, Stubber]) -> None:
    client, stubber = config
    evaluated = NOW - timedelta(hours=11, minutes=59)
    _rule(stubber, {"LastSuccessfulInvocationTime": evaluated, "LastSuccessfulEvaluationTime": evaluated})
    assert check_rule(client, RULE, "Six_Hours", NOW) == (
        Verdict.PASS,
        "rule compliance-backup-dev-us-east-1 last evaluated 11 h 59 min ago (limit 12 h: twice Six_Hours)",
    )


def test_a_rule_not_evaluated_for_longer_than_twice_its_frequency_fails(config: tuple[Any, Stubber]) -> None:
    client, stubber = config
    evaluated = NOW - timedelta(hours=12, minutes=1)
    _rule(stubber, {"LastSuccessfulInvocationTime": evaluated, "LastSuccessfulEvaluationTime": evaluated})
    assert check_rule(client, RULE, "Six_Hours", NOW) == (
        Verdict.FAIL,
        "rule compliance-backup-dev-us-east-1 last evaluated 12 h 01 min ago, more than 12 h "
        "(twice its Six_Hours frequency)",
    )


def test_the_rules_own_frequency_sets_the_limit(config: tuple[Any, Stubber]) -> None:
    client, stubber = config
    evaluated = NOW - timedelta(hours=30)
    _rule(stubber, {"LastSuccessfulEvaluationTime": evaluated}, frequency="TwentyFour_Hours")
    assert check_rule(client, RULE, "Six_Hours", NOW) == (
        Verdict.PASS,
        "rule compliance-backup-dev-us-east-1 last evaluated 30 h 00 min ago "
        "(limit 48 h: twice TwentyFour_Hours)",
    )


def test_a_rule_level_frequency_is_used_without_a_scheduled_trigger(config: tuple[Any, Stubber]) -> None:
    client, stubber = config
    evaluated = NOW - timedelta(hours=3)
    status = {"LastSuccessfulEvaluationTime": evaluated}
    _rule(stubber, status, frequency=None, top_level_frequency="One_Hour")
    verdict, message = check_rule(client, RULE, "Six_Hours", NOW)
    assert verdict is Verdict.FAIL
    assert message.endswith("3 h 00 min ago, more than 2 h (twice its One_Hour frequency)")


def test_without_any_frequency_on_the_rule_the_stacks_applies(config: tuple[Any, Stubber]) -> None:
    client, stubber = config
    _rule(stubber, {"LastSuccessfulEvaluationTime": NOW - timedelta(minutes=5)}, frequency=None)
    assert check_rule(client, RULE, "Twelve_Hours", NOW)[1].endswith("(limit 24 h: twice Twelve_Hours)")


def test_a_failed_last_invocation_fails_with_its_error(config: tuple[Any, Stubber]) -> None:
    client, stubber = config
    _rule(
        stubber,
        {
            "LastSuccessfulInvocationTime": NOW - timedelta(hours=7),
            "LastSuccessfulEvaluationTime": NOW - timedelta(hours=7),
            "LastFailedInvocationTime": NOW - timedelta(hours=1),
            "LastErrorCode": "Function.Unhandled",
            "LastErrorMessage": LAMBDA_ERROR,
        },
    )
    assert check_rule(client, RULE, "Six_Hours", NOW) == (
        Verdict.FAIL,
        "rule compliance-backup-dev-us-east-1: last invocation failed at 2026-11-26 11:00 UTC: "
        f"Function.Unhandled: {LAMBDA_ERROR}",
    )


def test_a_failed_last_evaluation_fails(config: tuple[Any, Stubber]) -> None:
    client, stubber = config
    _rule(
        stubber,
        {
            "LastSuccessfulInvocationTime": NOW - timedelta(minutes=10),
            "LastFailedEvaluationTime": NOW - timedelta(minutes=10),
            "LastErrorCode": "InvalidResultTokenException",
        },
    )
    assert check_rule(client, RULE, "Six_Hours", NOW) == (
        Verdict.FAIL,
        "rule compliance-backup-dev-us-east-1: last evaluation failed at 2026-11-26 11:50 UTC: "
        "InvalidResultTokenException",
    )


def test_a_rule_that_never_evaluated_fails(config: tuple[Any, Stubber]) -> None:
    client, stubber = config
    _rule(stubber, {"FirstActivatedTime": NOW - timedelta(minutes=4), "FirstEvaluationStarted": False})
    assert check_rule(client, RULE, "Six_Hours", NOW) == (
        Verdict.FAIL,
        "rule compliance-backup-dev-us-east-1 has never evaluated (activated 4 min ago; periodic runs every "
        "Six_Hours)",
    )


def test_a_rule_never_activated_says_so(config: tuple[Any, Stubber]) -> None:
    client, stubber = config
    _rule(stubber, {})
    assert "(never activated;" in check_rule(client, RULE, "Six_Hours", NOW)[1]


def test_a_rule_without_evaluation_status_fails(config: tuple[Any, Stubber]) -> None:
    client, stubber = config
    _rule(stubber, None)
    assert check_rule(client, RULE, "Six_Hours", NOW) == (
        Verdict.FAIL,
        "rule compliance-backup-dev-us-east-1 reports no evaluation status",
    )


def test_an_inactive_rule_fails(config: tuple[Any, Stubber]) -> None:
    client, stubber = config
    _rule(stubber, None, state="DELETING")
    assert check_rule(client, RULE, "Six_Hours", NOW) == (
        Verdict.FAIL,
        "rule compliance-backup-dev-us-east-1 is DELETING, not ACTIVE",
    )


# --- aggregator -------------------------------------------------------------------------------


def _aggregator(stubber: Stubber, source: dict[str, Any], pages: list[list[dict[str, Any]]]) -> None:
    stubber.add_response(
        "describe_configuration_aggregators",
        {"ConfigurationAggregators": [{"ConfigurationAggregatorName": "agg", **source}]},
        {"ConfigurationAggregatorNames": ["agg"]},
    )
    for number, page in enumerate(pages):
        response: dict[str, Any] = {"AggregatedSourceStatusList": page}
        params: dict[str, Any] = {"ConfigurationAggregatorName": "agg"}
        if number + 1 < len(pages):
            response["NextToken"] = f"page-{number + 1}"
        if number:
            params["NextToken"] = f"page-{number}"
        stubber.add_response("describe_configuration_aggregator_sources_status", response, params)


def _source(region: str, status: str, **extra: str) -> dict[str, Any]:
    source = {"SourceId": ACCOUNT, "SourceType": "ACCOUNT", "AwsRegion": region, "LastUpdateStatus": status}
    return {**source, **extra}


ACCOUNT_SOURCE = {
    "AccountAggregationSources": [{"AccountIds": [ACCOUNT], "AwsRegions": ["us-east-1", "us-west-2"]}]
}


def test_sources_over_several_pages_all_succeeded_pass(config: tuple[Any, Stubber]) -> None:
    client, stubber = config
    pages = [[_source("us-east-1", "SUCCEEDED")], [_source("us-west-2", "SUCCEEDED")]]
    _aggregator(stubber, ACCOUNT_SOURCE, pages)
    assert check_aggregator(client, "agg", ["us-east-1", "us-west-2"]) == (
        Verdict.PASS,
        "aggregator agg: all 2 sources SUCCEEDED",
    )


def test_failed_outdated_and_silent_sources_are_each_named(config: tuple[Any, Stubber]) -> None:
    client, stubber = config
    source = {"AccountAggregationSources": [{"AccountIds": [ACCOUNT], "AllAwsRegions": True}]}
    statuses = [
        _source("us-east-1", "FAILED", LastErrorCode="AccessDenied", LastErrorMessage="no access"),
        _source("us-west-2", "OUTDATED"),
    ]
    _aggregator(stubber, source, [statuses])
    assert check_aggregator(client, "agg", ["us-east-1", "us-west-2", "eu-west-1"]) == (
        Verdict.FAIL,
        "aggregator agg sources not all SUCCEEDED: us-east-1 FAILED (AccessDenied: no access); "
        "us-west-2 OUTDATED; eu-west-1 has not reported",
    )


def test_an_organization_source_counts_for_its_regions(config: tuple[Any, Stubber]) -> None:
    client, stubber = config
    source = {
        "OrganizationAggregationSource": {
            "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/aggregator",
            "AwsRegions": ["us-east-1"],
        }
    }
    _aggregator(stubber, source, [[]])
    assert check_aggregator(client, "agg", ["us-east-1"]) == (
        Verdict.FAIL,
        "aggregator agg sources not all SUCCEEDED: us-east-1 has not reported",
    )


# --- topic ------------------------------------------------------------------------------------


def _subscription(arn: str, protocol: str = "email") -> dict[str, str]:
    return {"SubscriptionArn": arn, "Protocol": protocol, "TopicArn": TOPIC, "Endpoint": "ops@example.com"}


def test_only_pending_subscriptions_fail(sns: tuple[Any, Stubber]) -> None:
    client, stubber = sns
    stubber.add_response(
        "list_subscriptions_by_topic",
        {"Subscriptions": [_subscription("PendingConfirmation")]},
        {"TopicArn": TOPIC},
    )
    assert check_topic(client, TOPIC) == (
        Verdict.FAIL,
        "topic config-compliance-alerts-dev has no confirmed subscription (1 pending confirmation: open the "
        "email AWS sent to ops@example.com and click its confirmation link); alerts reach nobody",
    )


def test_no_subscription_names_the_fix_for_the_stack(sns: tuple[Any, Stubber]) -> None:
    client, stubber = sns
    stubber.add_response("list_subscriptions_by_topic", {"Subscriptions": []}, {"TopicArn": TOPIC})
    assert check_topic(client, TOPIC, stack="dev") == (
        Verdict.FAIL,
        "topic config-compliance-alerts-dev has no subscription; alerts reach nobody. Fix: pulumi config set "
        "--path 'notificationEmails[0]' you@example.com --stack dev, then pulumi up --stack dev "
        "(or scripts/deploy.sh dev), then confirm the emailed link",
    )


def test_confirmed_subscriptions_on_any_page_pass(sns: tuple[Any, Stubber]) -> None:
    client, stubber = sns
    stubber.add_response(
        "list_subscriptions_by_topic",
        {"Subscriptions": [_subscription("PendingConfirmation")], "NextToken": "next"},
        {"TopicArn": TOPIC},
    )
    stubber.add_response(
        "list_subscriptions_by_topic",
        {"Subscriptions": [_subscription(f"{TOPIC}:5f0c", "https"), _subscription(f"{TOPIC}:9a1d")]},
        {"TopicArn": TOPIC, "NextToken": "next"},
    )
    assert check_topic(client, TOPIC) == (
        Verdict.PASS,
        "topic config-compliance-alerts-dev has 2 confirmed subscription(s) (email, https), 1 pending",
    )


def test_errors_other_than_not_found_reach_the_caller(sns: tuple[Any, Stubber]) -> None:
    client, stubber = sns
    stubber.add_client_error("list_subscriptions_by_topic", "AuthorizationError", "not allowed", 403)
    with pytest.raises(ClientError, match="AuthorizationError"):
        check_topic(client, TOPIC)


def test_a_long_error_message_is_cut_to_one_readable_line(config: tuple[Any, Stubber]) -> None:
    client, stubber = config
    message = "Rate exceeded\n" + "x" * 400
    stubber.add_client_error("describe_config_rules", "ThrottlingException", message, 400)
    with pytest.raises(ClientError) as raised:
        client.describe_config_rules(ConfigRuleNames=["r"])
    description = describe_error(raised.value)
    assert description.startswith("DescribeConfigRules failed: ThrottlingException: Rate exceeded xxx")
    assert description.endswith("x...")
    assert len(description) == len("DescribeConfigRules failed: ThrottlingException: ") + 160
