"""Alert routing, checked by matching AWS-shaped events against the stack's EventBridge patterns.

The patterns are evaluated with moto's implementation of EventBridge pattern matching, and the input
transformer is applied the way EventBridge does, so these tests read what a subscriber would receive.
"""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

import pytest
from evaluators.exceptions import ResourceException, apply_exception
from evaluators.verdicts import Compliance, Verdict
from moto.events.models import EventPattern

from components.catalog import CHECKS
from tests.infra.conftest import DEV_CONFIG
from tests.infra.program import ACCOUNT_ID, Deployment, Registration

REGIONS = DEV_CONFIG["regions"]


def compliance_change(rule: str, region: str, compliance: str = "NON_COMPLIANT") -> dict[str, Any]:
    """A "Config Rules Compliance Change" event as EventBridge delivers it."""
    return {
        "version": "0",
        "id": "f3a1e2b4-0000-4c1d-9a7e-123456789abc",
        "detail-type": "Config Rules Compliance Change",
        "source": "aws.config",
        "account": ACCOUNT_ID,
        "time": "2026-11-26T10:15:00Z",
        "region": region,
        "resources": [],
        "detail": {
            "resourceId": "vol-0abc1234def567890",
            "awsRegion": region,
            "awsAccountId": ACCOUNT_ID,
            "configRuleName": rule,
            "recordVersion": "1.0",
            "configRuleARN": f"arn:aws:config:{region}:{ACCOUNT_ID}:config-rule/config-rule-a1b2c3",
            "messageType": "ComplianceChangeNotification",
            "newEvaluationResult": {
                "evaluationResultIdentifier": {
                    "evaluationResultQualifier": {
                        "configRuleName": rule,
                        "resourceType": "AWS::EC2::Volume",
                        "resourceId": "vol-0abc1234def567890",
                    },
                    "orderingTimestamp": "2026-11-26T10:14:10.000Z",
                },
                "complianceType": compliance,
                "resultRecordedTime": "2026-11-26T10:14:59.000Z",
                "configRuleInvokedTime": "2026-11-26T10:14:58.000Z",
                "annotation": "EBS volume is not encrypted.",
            },
            "oldEvaluationResult": {"complianceType": "COMPLIANT"},
            "notificationCreationTime": "2026-11-26T10:15:00.000Z",
            "resourceType": "AWS::EC2::Volume",
        },
    }


def alarm_change(alarm: str, region: str, state: str = "ALARM") -> dict[str, Any]:
    """A "CloudWatch Alarm State Change" event as EventBridge delivers it."""
    return {
        "version": "0",
        "id": "c4c1c1c9-0000-4e1b-8a3e-0123456789ab",
        "detail-type": "CloudWatch Alarm State Change",
        "source": "aws.cloudwatch",
        "account": ACCOUNT_ID,
        "time": "2026-11-26T10:20:00Z",
        "region": region,
        "resources": [f"arn:aws:cloudwatch:{region}:{ACCOUNT_ID}:alarm:{alarm}"],
        "detail": {
            "alarmName": alarm,
            "state": {
                "value": state,
                "reason": "Threshold Crossed: 1 datapoint [2.0 (26/11/26 10:15:00)] was greater than "
                "or equal to the threshold (1.0).",
                "timestamp": "2026-11-26T10:20:00.000+0000",
            },
            "previousState": {"value": "OK"},
        },
    }


def matches(rule: Registration, event: dict[str, Any]) -> bool:
    return bool(EventPattern.load(rule.inputs["eventPattern"]).matches_event(event))


def transform(target: Registration, event: dict[str, Any]) -> str:
    """Applies an input transformer: each <name> becomes the value at its JSON path ($.a.b)."""
    transformer = target.inputs["inputTransformer"]
    values = {}
    for name, path in transformer["inputPaths"].items():
        value: Any = event
        for key in path.removeprefix("$.").split("."):
            value = value.get(key, "") if isinstance(value, dict) else ""
        values[name] = str(value)
    message: str = json.loads(transformer["inputTemplate"])
    return re.sub(r"<(\w+)>", lambda m: values.get(m.group(1), m.group(0)), message)


def rules_in(deployment: Deployment, region: str) -> dict[str, Registration]:
    """The region's rules that match events (not schedules such as the managed-rule summary's)."""
    return {
        r.inputs["name"]: r
        for r in deployment.of_type("aws:cloudwatch/eventRule:EventRule")
        if deployment.region_of(r) == region and "eventPattern" in r.inputs
    }


def target_of(deployment: Deployment, rule: Registration) -> Registration:
    (target,) = [
        t
        for t in deployment.of_type("aws:cloudwatch/eventTarget:EventTarget")
        if t.inputs["rule"] == rule.inputs["name"]
    ]
    return target


@pytest.mark.parametrize("region", REGIONS)
@pytest.mark.parametrize("check", [check.name for check in CHECKS])
def test_primary_rule_alerts_on_this_stacks_non_compliant_changes_from_any_region(
    dev: Deployment, region: str, check: str
) -> None:
    rule = rules_in(dev, "us-east-1")["config-noncompliant-notify-dev"]
    assert matches(rule, compliance_change(f"compliance-{check}-dev-{region}", region))
    assert not matches(rule, compliance_change(f"compliance-{check}-dev-{region}", region, "COMPLIANT"))
    assert not matches(rule, compliance_change(f"compliance-{check}-dev-{region}", region, "NOT_APPLICABLE"))
    assert not matches(rule, compliance_change(f"compliance-{check}-prod-{region}", region))
    assert not matches(rule, compliance_change("securityhub-encrypted-volumes-a1b2c3", region))


def test_alert_message_tells_a_person_what_is_wrong_and_where(dev: Deployment) -> None:
    rule = rules_in(dev, "us-east-1")["config-noncompliant-notify-dev"]
    message = transform(
        target_of(dev, rule), compliance_change("compliance-encryption-dev-eu-west-1", "eu-west-1")
    )
    assert message == (
        "NON_COMPLIANT: AWS::EC2::Volume vol-0abc1234def567890 in account 123456789012, region eu-west-1, "
        "fails Config rule compliance-encryption-dev-eu-west-1 (2026-11-26T10:15:00Z). "
        "EBS volume is not encrypted."
    )


def test_an_excepted_resource_does_not_alert_and_an_expired_exception_does(dev: Deployment) -> None:
    """Alerts need nothing of their own for exceptions: an excepted result is posted COMPLIANT, which the
    pattern does not match; once the exception has expired the result is NON_COMPLIANT again and alerts,
    its annotation (the message's last part) saying which exception expired."""
    exception = ResourceException(
        id="scratch",
        check="encryption",
        resource="vol-0abc*",
        resource_type=None,
        regions=(),
        accounts=(),
        reason="Scratch volume, wiped daily.",
        owner="data team",
        ticket="SEC-9",
        expires=date(2026, 11, 30),
    )
    finding = Verdict.non_compliant("EBS volume is not encrypted.")
    rule = rules_in(dev, "us-east-1")["config-noncompliant-notify-dev"]
    name = "compliance-encryption-dev-eu-west-1"

    def alert_for(verdict: Verdict) -> dict[str, Any]:
        event = compliance_change(name, "eu-west-1", verdict.compliance.value)
        event["detail"]["newEvaluationResult"]["annotation"] = verdict.annotation
        return event

    excepted = apply_exception(finding, exception, date(2026, 11, 30))
    assert excepted.compliance is Compliance.COMPLIANT
    assert not matches(rule, alert_for(excepted))
    expired = apply_exception(finding, exception, date(2026, 12, 1))
    assert expired.compliance is Compliance.NON_COMPLIANT
    assert matches(rule, alert_for(expired))
    assert transform(target_of(dev, rule), alert_for(expired)).endswith(
        "EXCEPTION scratch EXPIRED after 2026-11-30; owner: data team; ticket: SEC-9; "
        "finding: EBS volume is not encrypted."
    )


@pytest.mark.parametrize("region", REGIONS)
def test_evaluator_failures_alert_from_any_region(dev: Deployment, region: str) -> None:
    rule = rules_in(dev, "us-east-1")["config-eval-errors-notify-dev"]
    alarms = [a for a in errors_alarms(dev) if dev.region_of(a) == region]
    assert len(alarms) == len(CHECKS)
    for alarm in alarms:
        assert matches(rule, alarm_change(alarm.inputs["name"], region))
        assert not matches(rule, alarm_change(alarm.inputs["name"], region, state="OK"))
    assert not matches(rule, alarm_change("billing-alarm", region))
    message = transform(target_of(dev, rule), alarm_change(alarms[0].inputs["name"], region))
    assert message.startswith(
        f"EVALUATOR FAILING: {alarms[0].inputs['name']} in account {ACCOUNT_ID}, region {region}"
    )
    assert "Threshold Crossed" in message


@pytest.mark.parametrize("region", ["us-west-2", "eu-west-1"])
def test_each_region_forwards_only_its_own_alerts(dev: Deployment, region: str) -> None:
    rules = rules_in(dev, region)
    assert sorted(rules) == [f"config-eval-errors-fwd-dev-{region}", f"config-noncompliant-fwd-dev-{region}"]
    compliance = rules[f"config-noncompliant-fwd-dev-{region}"]
    errors = rules[f"config-eval-errors-fwd-dev-{region}"]
    for check in CHECKS:
        assert matches(compliance, compliance_change(f"compliance-{check.name}-dev-{region}", region))
        assert not matches(
            compliance, compliance_change(f"compliance-{check.name}-dev-{region}", region, "COMPLIANT")
        )
        assert matches(errors, alarm_change(f"compliance-errors-{check.name}-dev-{region}", region))
        assert not matches(errors, compliance_change(f"compliance-{check.name}-dev-{region}", region))
    other = next(r for r in REGIONS if r != region)
    assert not matches(compliance, compliance_change(f"compliance-encryption-dev-{other}", other))


def errors_alarms(deployment: Deployment) -> list[Registration]:
    return [
        alarm
        for alarm in deployment.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
        if alarm.inputs["name"].startswith("compliance-errors-")
    ]


def test_errors_alarm_watches_its_function(dev: Deployment) -> None:
    assert len(errors_alarms(dev)) == len(REGIONS) * len(CHECKS)
    for alarm in errors_alarms(dev):
        inputs = alarm.inputs
        function = inputs["dimensions"]["FunctionName"]
        assert inputs["name"] == function.replace("compliance-", "compliance-errors-", 1)
        assert (inputs["namespace"], inputs["metricName"], inputs["statistic"]) == (
            "AWS/Lambda",
            "Errors",
            "Sum",
        )
        assert inputs["threshold"] == 1 and inputs["comparisonOperator"] == "GreaterThanOrEqualToThreshold"
        assert inputs["treatMissingData"] == "notBreaching"
        assert "alarmActions" not in inputs  # state changes reach the topic through EventBridge


# The patterns, value by value: EventBridge User Guide, "Amazon EventBridge event patterns" (prefix
# matching, arrays as "any of"); Config Developer Guide, "Example AWS Config Rules Compliance Change
# event"; CloudWatch User Guide, "Alarm events and EventBridge" (detail.state.value).
def non_compliant_pattern(names: list[Any]) -> dict[str, Any]:
    return {
        "source": ["aws.config"],
        "detail-type": ["Config Rules Compliance Change"],
        "detail": {"configRuleName": names, "newEvaluationResult": {"complianceType": ["NON_COMPLIANT"]}},
    }


def failing_evaluator_pattern(names: list[Any]) -> dict[str, Any]:
    return {
        "source": ["aws.cloudwatch"],
        "detail-type": ["CloudWatch Alarm State Change"],
        "detail": {"alarmName": names, "state": {"value": ["ALARM"]}},
    }


CHECK_NAMES = ["encryption", "required-tags", "backup"]


def test_primary_rules_match_exactly_this_stacks_sources_in_every_region(dev: Deployment) -> None:
    rules = rules_in(dev, "us-east-1")
    non_compliant = json.loads(rules["config-noncompliant-notify-dev"].inputs["eventPattern"])
    # The custom checks by name prefix, and every AWS managed and pack rule by the shared managed prefix.
    assert non_compliant == non_compliant_pattern(
        [*({"prefix": f"compliance-{c}-dev-"} for c in CHECK_NAMES), {"prefix": "managed-dev--"}]
    )
    failing = json.loads(rules["config-eval-errors-notify-dev"].inputs["eventPattern"])
    assert failing == failing_evaluator_pattern(
        [{"prefix": f"compliance-errors-{check}-dev-"} for check in CHECK_NAMES]
    )


@pytest.mark.parametrize("region", ["us-west-2", "eu-west-1"])
def test_forwarding_rules_match_exactly_the_regions_own_sources(dev: Deployment, region: str) -> None:
    rules = rules_in(dev, region)
    assert json.loads(rules[f"config-noncompliant-fwd-dev-{region}"].inputs["eventPattern"]) == (
        non_compliant_pattern(
            [
                *(f"compliance-{check}-dev-{region}" for check in CHECK_NAMES),
                {"prefix": f"managed-dev--{region}-"},
            ]
        )
    )
    assert json.loads(rules[f"config-eval-errors-fwd-dev-{region}"].inputs["eventPattern"]) == (
        failing_evaluator_pattern([f"compliance-errors-{check}-dev-{region}" for check in CHECK_NAMES])
    )
    for rule in rules.values():
        # Enabled (the provider's default), on the default bus, where Config and CloudWatch send events.
        assert "state" not in rule.inputs or rule.inputs["state"] == "ENABLED"
        assert "eventBusName" not in rule.inputs or rule.inputs["eventBusName"] == "default"


def test_input_paths_read_the_documented_event_fields(dev: Deployment) -> None:
    rules = rules_in(dev, "us-east-1")
    non_compliant = target_of(dev, rules["config-noncompliant-notify-dev"]).inputs["inputTransformer"]
    assert non_compliant["inputPaths"] == {
        "rule": "$.detail.configRuleName",
        "resourceType": "$.detail.resourceType",
        "resourceId": "$.detail.resourceId",
        "region": "$.detail.awsRegion",
        "account": "$.detail.awsAccountId",
        "annotation": "$.detail.newEvaluationResult.annotation",
        "time": "$.time",
    }
    failing = target_of(dev, rules["config-eval-errors-notify-dev"]).inputs["inputTransformer"]
    assert failing["inputPaths"] == {
        "alarm": "$.detail.alarmName",
        "reason": "$.detail.state.reason",
        "region": "$.region",
        "account": "$.account",
        "time": "$.time",
    }


def test_evaluator_alert_tells_a_person_what_failed_and_what_follows(dev: Deployment) -> None:
    rule = rules_in(dev, "us-east-1")["config-eval-errors-notify-dev"]
    alarm = "compliance-errors-backup-dev-eu-west-1"
    message = transform(target_of(dev, rule), alarm_change(alarm, "eu-west-1"))
    assert message == (
        f"EVALUATOR FAILING: {alarm} in account {ACCOUNT_ID}, region eu-west-1 (2026-11-26T10:20:00Z): "
        "Threshold Crossed: 1 datapoint [2.0 (26/11/26 10:15:00)] was greater than or equal to the "
        "threshold (1.0). Compliance results of its rule may be stale until it succeeds; its log group "
        "tells why."
    )


def test_errors_alarm_goes_off_on_one_failed_invocation_in_five_minutes(dev: Deployment) -> None:
    for alarm in errors_alarms(dev):
        assert (alarm.inputs["period"], alarm.inputs["evaluationPeriods"]) == (300, 1)
        assert set(alarm.inputs["dimensions"]) == {"FunctionName"}
