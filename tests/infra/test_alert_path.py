"""The alert path cannot fail silently: every target retries into a dead-letter queue, alarms watch both.

EventBridge User Guide, "Event retry policy and using dead-letter queues" (eb-rule-dlq.html): without a
DLQ an event that exhausts its retries is dropped; missing permissions go to the DLQ with no retry.
"""

from __future__ import annotations

import json

import pytest

from components.alert_path import MAX_EVENT_AGE_SECONDS, MAX_RETRY_ATTEMPTS
from tests.infra.conftest import DEV_CONFIG
from tests.infra.program import ACCOUNT_ID, Deployment, Registration

REGIONS = DEV_CONFIG["regions"]
PRIMARY = REGIONS[0]


def in_region(deployment: Deployment, resource_type: str, region: str) -> list[Registration]:
    return [r for r in deployment.of_type(resource_type) if deployment.region_of(r) == region]


def alert_rule_names(region: str) -> set[str]:
    if region == PRIMARY:
        return {"config-noncompliant-notify-dev", "config-eval-errors-notify-dev"}
    return {f"config-noncompliant-fwd-dev-{region}", f"config-eval-errors-fwd-dev-{region}"}


@pytest.mark.parametrize("region", REGIONS)
def test_every_alert_target_retries_into_its_regions_dead_letter_queue(dev: Deployment, region: str) -> None:
    (queue,) = in_region(dev, "aws:sqs/queue:Queue", region)
    assert queue.inputs["name"] == f"config-alert-dlq-dev-{region}"
    assert queue.inputs["sqsManagedSseEnabled"] is True
    assert queue.inputs["messageRetentionSeconds"] == 14 * 24 * 3600
    (policy,) = in_region(dev, "aws:sqs/queuePolicy:QueuePolicy", region)
    targets = in_region(dev, "aws:cloudwatch/eventTarget:EventTarget", region)
    assert {t.inputs["rule"] for t in targets} == alert_rule_names(region)
    for target in targets:
        assert target.inputs["deadLetterConfig"] == {"arn": queue.state["arn"]}
        assert target.inputs["retryPolicy"] == {
            "maximumEventAgeInSeconds": MAX_EVENT_AGE_SECONDS,
            "maximumRetryAttempts": MAX_RETRY_ATTEMPTS,
        }
        # EventBridge can only use the queue once its policy lets it send there.
        assert policy.urn in target.dependencies


@pytest.mark.parametrize("region", REGIONS)
def test_only_the_regions_alert_rules_may_send_dead_letters_over_tls(dev: Deployment, region: str) -> None:
    (queue,) = in_region(dev, "aws:sqs/queue:Queue", region)
    (policy,) = in_region(dev, "aws:sqs/queuePolicy:QueuePolicy", region)
    statements = {s["Sid"]: s for s in json.loads(policy.inputs["policy"])["Statement"]}
    send = statements["AlertRulesSendDeadLetters"]
    assert send["Principal"] == {"Service": "events.amazonaws.com"}
    assert (send["Action"], send["Resource"]) == ("sqs:SendMessage", queue.state["arn"])
    assert sorted(send["Condition"]["ArnEquals"]["aws:SourceArn"]) == sorted(
        f"arn:aws:events:{region}:{ACCOUNT_ID}:rule/{name}" for name in alert_rule_names(region)
    )
    deny = statements["DenyInsecureTransport"]
    assert (deny["Effect"], deny["Condition"]) == ("Deny", {"Bool": {"aws:SecureTransport": "false"}})


@pytest.mark.parametrize("region", REGIONS)
def test_alarms_watch_failed_deliveries_and_dead_letters(dev: Deployment, region: str) -> None:
    alarms = {
        a.inputs["name"]: a.inputs
        for a in in_region(dev, "aws:cloudwatch/metricAlarm:MetricAlarm", region)
        if a.inputs["name"].startswith("config-alert-")
    }
    delivery = alarms[f"config-alert-delivery-failed-dev-{region}"]
    metrics = [q["metric"] for q in delivery["metricQueries"] if "metric" in q]
    assert sorted((m["dimensions"]["RuleName"], m["metricName"]) for m in metrics) == sorted(
        (rule, metric)
        for rule in alert_rule_names(region)
        for metric in ("FailedInvocations", "InvocationsFailedToBeSentToDlq")
    )
    assert {(m["namespace"], m["stat"]) for m in metrics} == {("AWS/Events", "Sum")}
    (total,) = [q for q in delivery["metricQueries"] if q.get("returnData")]
    assert total["expression"] == " + ".join(f"FILL({q['id']}, 0)" for q in delivery["metricQueries"][:-1])
    dead_letters = alarms[f"config-alert-dead-letters-dev-{region}"]
    assert (dead_letters["namespace"], dead_letters["metricName"]) == (
        "AWS/SQS",
        "ApproximateNumberOfMessagesVisible",
    )
    assert dead_letters["dimensions"] == {"QueueName": f"config-alert-dlq-dev-{region}"}
    for alarm in (delivery, dead_letters):
        assert alarm["threshold"] == 1 and alarm["comparisonOperator"] == "GreaterThanOrEqualToThreshold"
        # Their state is read by the verify command: no action depends on the topic they guard.
        assert "alarmActions" not in alarm


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
