"""The alert path cannot fail silently: every target has a dead-letter queue, alarms watch both.

EventBridge User Guide, "Event retry policy and using dead-letter queues" (eb-rule-dlq.html): without a
DLQ an event that exhausts its retries is dropped; missing permissions go to the DLQ with no retry.
Targets that are event buses take a DLQ but no retry policy: the User Guide documents none for them
(eb-cross-region.html, eb-cross-account.html) and aws-cdk's event-bus target states "Retry policy is not
supported for Event bus targets" (packages/aws-cdk-lib/aws-events-targets/lib/event-bus.ts).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.infra.conftest import DEV_CONFIG
from tests.infra.program import ACCOUNT_ID, Deployment, Registration, run_program

REGIONS = DEV_CONFIG["regions"]
PRIMARY = REGIONS[0]


def in_region(deployment: Deployment, resource_type: str, region: str) -> list[Registration]:
    return [r for r in deployment.of_type(resource_type) if deployment.region_of(r) == region]


def alert_rule_names(region: str) -> set[str]:
    if region == PRIMARY:
        return {"config-noncompliant-notify-dev", "config-eval-errors-notify-dev"}
    return {f"config-noncompliant-fwd-dev-{region}", f"config-eval-errors-fwd-dev-{region}"}


# The topic targets' own retry policy: an hour, 20 attempts, then the dead-letter queue.
TOPIC_RETRY_POLICY = {"maximumEventAgeInSeconds": 3600, "maximumRetryAttempts": 20}


@pytest.mark.parametrize("region", REGIONS)
def test_every_alert_target_dead_letters_into_its_regions_queue(dev: Deployment, region: str) -> None:
    (queue,) = in_region(dev, "aws:sqs/queue:Queue", region)
    assert queue.inputs["name"] == f"config-alert-dlq-dev-{region}"
    assert queue.inputs["sqsManagedSseEnabled"] is True
    assert queue.inputs["messageRetentionSeconds"] == 14 * 24 * 3600
    (policy,) = in_region(dev, "aws:sqs/queuePolicy:QueuePolicy", region)
    assert policy.inputs["queueUrl"] == queue.state["url"]
    targets = in_region(dev, "aws:cloudwatch/eventTarget:EventTarget", region)
    assert {t.inputs["rule"] for t in targets} == alert_rule_names(region)
    for target in targets:
        assert target.inputs["deadLetterConfig"] == {"arn": queue.state["arn"]}
        # EventBridge can only use the queue once its policy lets it send there.
        assert policy.urn in target.dependencies


def test_topic_targets_retry_for_an_hour_and_bus_targets_take_no_retry_policy(dev: Deployment) -> None:
    targets = dev.of_type("aws:cloudwatch/eventTarget:EventTarget")
    topic_arn = dev.of_type("aws:sns/topic:Topic")[0].state["arn"]
    bus_arn = f"arn:aws:events:{PRIMARY}:{ACCOUNT_ID}:event-bus/default"
    assert {t.inputs["arn"] for t in targets} == {topic_arn, bus_arn}
    for target in targets:
        if target.inputs["arn"] == topic_arn:
            assert dev.region_of(target) == PRIMARY
            assert target.inputs["retryPolicy"] == TOPIC_RETRY_POLICY
        else:
            assert dev.region_of(target) != PRIMARY
            assert "retryPolicy" not in target.inputs, target.name


def test_organization_forwarders_take_no_retry_policy_either() -> None:
    org = run_program(
        {**DEV_CONFIG, "scope": "organization", "memberOrganizationalUnits": ["ou-ab12-cd34ef56"]}
    )
    targets = org.of_type("aws:cloudwatch/eventTarget:EventTarget")
    forwarders = [t for t in targets if t.inputs["arn"].endswith(":event-bus/default")]
    assert len(forwarders) == 2 * (len(REGIONS) - 1)
    for target in forwarders:
        assert "retryPolicy" not in target.inputs and "deadLetterConfig" in target.inputs
    for target in targets:
        if target not in forwarders:
            assert target.inputs["retryPolicy"] == TOPIC_RETRY_POLICY


@pytest.mark.parametrize("region", REGIONS)
def test_only_the_regions_alert_rules_may_send_dead_letters_over_tls(dev: Deployment, region: str) -> None:
    (queue,) = in_region(dev, "aws:sqs/queue:Queue", region)
    (policy,) = in_region(dev, "aws:sqs/queuePolicy:QueuePolicy", region)
    document = json.loads(policy.inputs["policy"])
    rule_arns = sorted(
        f"arn:aws:events:{region}:{ACCOUNT_ID}:rule/{name}" for name in alert_rule_names(region)
    )
    send, deny = document["Statement"]
    send["Condition"]["ArnEquals"]["aws:SourceArn"].sort()
    assert send == {
        "Sid": "AlertRulesSendDeadLetters",
        "Effect": "Allow",
        "Principal": {"Service": "events.amazonaws.com"},
        "Action": "sqs:SendMessage",
        "Resource": queue.state["arn"],
        "Condition": {"ArnEquals": {"aws:SourceArn": rule_arns}},
    }
    assert deny == {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "sqs:*",
        "Resource": queue.state["arn"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def alert_alarms(deployment: Deployment, region: str) -> dict[str, dict[str, Any]]:
    return {
        a.inputs["name"]: a.inputs
        for a in in_region(deployment, "aws:cloudwatch/metricAlarm:MetricAlarm", region)
        if a.inputs["name"].startswith("config-alert-")
    }


@pytest.mark.parametrize("region", REGIONS)
def test_delivery_alarm_adds_up_every_rules_failed_deliveries(dev: Deployment, region: str) -> None:
    """AWS/Events FailedInvocations and InvocationsFailedToBeSentToDlq, dimension RuleName (EventBridge
    User Guide, eb-monitoring.html), summed per 5 minutes; FILL(m, 0) because EventBridge sends them only
    when not zero (CloudWatch User Guide, "Using metric math", FILL)."""
    delivery = alert_alarms(dev, region)[f"config-alert-delivery-failed-dev-{region}"]
    *metrics, total = delivery["metricQueries"]
    watched = sorted((q["metric"]["dimensions"]["RuleName"], q["metric"]["metricName"]) for q in metrics)
    assert watched == sorted(
        (rule, metric)
        for rule in alert_rule_names(region)
        for metric in ("FailedInvocations", "InvocationsFailedToBeSentToDlq")
    )
    for number, query in enumerate(metrics):
        assert query["id"] == f"m{number}"
        assert "returnData" not in query or query["returnData"] is False
        settings = {key: value for key, value in query["metric"].items() if key not in IDENTITY}
        assert settings == {
            "namespace": "AWS/Events",
            "stat": "Sum",
            "period": 300,
        }
        assert set(query["metric"]["dimensions"]) == {"RuleName"}
    assert total == {
        "id": "failed",
        "expression": " + ".join(f"FILL(m{number}, 0)" for number in range(len(metrics))),
        "label": "Failed alert deliveries",
        "returnData": True,
    }
    assert {key: delivery[key] for key in ALARM_SETTINGS} == {
        "evaluationPeriods": 1,
        "threshold": 1,
        "comparisonOperator": "GreaterThanOrEqualToThreshold",
        # No data point means no failure: EventBridge sends these metrics only when not zero.
        "treatMissingData": "notBreaching",
    }
    # Metric math alarms have no metric of their own.
    assert not {"namespace", "metricName", "statistic", "period", "dimensions"} & set(delivery)
    assert f"config-alert-dlq-dev-{region}" in delivery["alarmDescription"]
    assert "alarmActions" not in delivery  # no action depends on the topic it guards


@pytest.mark.parametrize("region", REGIONS)
def test_dead_letters_alarm_goes_off_on_one_waiting_alert(dev: Deployment, region: str) -> None:
    """AWS/SQS ApproximateNumberOfMessagesVisible, dimension QueueName (SQS Developer Guide, "Available
    CloudWatch metrics for Amazon SQS"): an empty queue is not an alarm, so missing data is not breaching."""
    dead_letters = alert_alarms(dev, region)[f"config-alert-dead-letters-dev-{region}"]
    assert {key: dead_letters[key] for key in (*ALARM_SETTINGS, *SINGLE_METRIC)} == {
        "namespace": "AWS/SQS",
        "metricName": "ApproximateNumberOfMessagesVisible",
        "dimensions": {"QueueName": f"config-alert-dlq-dev-{region}"},
        "statistic": "Maximum",
        "period": 300,
        "evaluationPeriods": 1,
        "threshold": 1,
        "comparisonOperator": "GreaterThanOrEqualToThreshold",
        "treatMissingData": "notBreaching",
    }
    assert f"config-alert-dlq-dev-{region}" in dead_letters["alarmDescription"]
    assert "alarmActions" not in dead_letters


IDENTITY = ("metricName", "dimensions")
ALARM_SETTINGS = ("evaluationPeriods", "threshold", "comparisonOperator", "treatMissingData")
SINGLE_METRIC = ("namespace", "metricName", "dimensions", "statistic", "period")


def test_alert_path_is_exported_per_region(dev: Deployment) -> None:
    exported = dev.outputs["alertPath"]
    assert set(exported) == set(REGIONS)
    for region in REGIONS:
        path = exported[region]
        assert set(path["ruleNames"]) == alert_rule_names(region)
        assert path["deadLetterQueueUrl"] == (
            f"https://sqs.{region}.amazonaws.com/{ACCOUNT_ID}/config-alert-dlq-dev-{region}"
        )
        queue_arn = f"arn:aws:sqs:{region}:{ACCOUNT_ID}:config-alert-dlq-dev-{region}"
        assert path["deadLetterQueueArn"] == queue_arn
        assert path["alarmNames"] == [
            f"config-alert-delivery-failed-dev-{region}",
            f"config-alert-dead-letters-dev-{region}",
        ]


@pytest.mark.parametrize("region", REGIONS)
def test_every_region_authorizes_the_aggregator(dev: Deployment, region: str) -> None:
    """Config Developer Guide, "Authorizing the Aggregator Account to Collect AWS Config Configuration
    and Compliance Data": an individual-account aggregator needs an authorization in every source
    region, the aggregator's own account included."""
    (authorization,) = in_region(dev, "aws:cfg/aggregateAuthorization:AggregateAuthorization", region)
    assert authorization.inputs["accountId"] == ACCOUNT_ID
    assert authorization.inputs["authorizedAwsRegion"] == PRIMARY
