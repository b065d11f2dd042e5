"""The ``alert path`` check against moto server: failed deliveries, dead letters and alarms fail it.

In AWS, EventBridge and SNS write their ``AWS/Events`` and ``AWS/SNS`` metrics themselves (only when
not zero, per the EventBridge monitoring guide); here the test writes the data points in their place.
moto serves GetMetricData, GetQueueAttributes and DescribeAlarms itself.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import boto3
from botocore.stub import ANY, Stubber
from moto_stack import (
    PRIMARY,
    REGIONS,
    TOPIC,
    StatusAnswers,
    alarm_names,
    alert_rule_names,
    aws,
    example_outputs,
)

from components import naming
from verification.alert_path import EVENTS_METRICS, check_alert_path, metric_queries
from verification.checks import verify
from verification.outputs import parse_outputs
from verification.results import Verdict


def alert_lines(stack: dict[str, Any], clients: StatusAnswers, now: datetime) -> dict[str, Any]:
    results = verify(parse_outputs(stack), clients, now)
    return {r.region: (r.verdict, r.message) for r in results if r.check == "alert path"}


def put_metric(region: str, namespace: str, metric: str, dimension: str, value: str, at: datetime) -> None:
    aws("cloudwatch", region).put_metric_data(
        Namespace=namespace,
        MetricData=[
            {
                "MetricName": metric,
                "Dimensions": [{"Name": dimension, "Value": value}],
                "Timestamp": at,
                "Value": 3,
                "Unit": "Count",
            }
        ],
    )


def test_a_healthy_alert_path_passes_in_every_region(
    deployed_stack: dict[str, Any], healthy_clients: StatusAnswers, now: datetime
) -> None:
    lines = alert_lines(deployed_stack, healthy_clients, now)

    assert set(lines) == set(REGIONS)
    assert lines[PRIMARY] == (
        Verdict.PASS,
        f"2 rule(s) delivered every alert in 24 h, topic {TOPIC} had no failed notification, "
        f"dead-letter queue config-alert-dlq-dev-{PRIMARY} empty, 2 alarm(s) not in ALARM",
    )
    assert "topic" not in lines["us-west-2"][1]


def test_three_calls_per_region_whatever_the_number_of_rules(
    deployed_stack: dict[str, Any], healthy_clients: StatusAnswers, now: datetime
) -> None:
    alert_lines(deployed_stack, healthy_clients, now)

    calls = healthy_clients.calls
    assert calls.count("GetMetricData") == calls.count("GetQueueAttributes") == len(REGIONS)
    assert calls.count("DescribeAlarms") == len(REGIONS)


def test_one_query_per_rule_and_metric_plus_the_topics() -> None:
    queries = metric_queries(["rule-a", "rule-b"], "topic")

    assert len(queries) == 2 * len(EVENTS_METRICS) + 1
    assert len({query["Id"] for query in queries}) == len(queries)
    assert queries[0]["MetricStat"] == {
        "Metric": {
            "Namespace": "AWS/Events",
            "MetricName": "FailedInvocations",
            "Dimensions": [{"Name": "RuleName", "Value": "rule-a"}],
        },
        "Period": 3600,
        "Stat": "Sum",
    }
    assert queries[-1]["MetricStat"]["Metric"] == {
        "Namespace": "AWS/SNS",
        "MetricName": "NumberOfNotificationsFailed",
        "Dimensions": [{"Name": "TopicName", "Value": "topic"}],
    }


def test_failed_deliveries_of_the_last_24_hours_fail_naming_the_rule(
    deployed_stack: dict[str, Any], healthy_clients: StatusAnswers, now: datetime
) -> None:
    rule = alert_rule_names("us-west-2")[0]
    put_metric("us-west-2", "AWS/Events", "FailedInvocations", "RuleName", rule, now - timedelta(hours=2))
    # Two days ago: outside the window.
    put_metric("eu-west-1", "AWS/Events", "FailedInvocations", "RuleName", alert_rule_names("eu-west-1")[0],
               now - timedelta(days=2))

    lines = alert_lines(deployed_stack, healthy_clients, now)

    assert lines["us-west-2"] == (
        Verdict.FAIL,
        f"rule {rule}: 3 failed deliveries in 24 h (FailedInvocations)",
    )
    assert lines["eu-west-1"][0] is Verdict.PASS


def test_dead_lettered_and_lost_alerts_fail(
    deployed_stack: dict[str, Any], healthy_clients: StatusAnswers, now: datetime
) -> None:
    rule = alert_rule_names(PRIMARY)[1]
    hour_ago = now - timedelta(hours=1)
    put_metric(PRIMARY, "AWS/Events", "InvocationsSentToDlq", "RuleName", rule, hour_ago)
    put_metric(PRIMARY, "AWS/Events", "InvocationsFailedToBeSentToDlq", "RuleName", rule, hour_ago)
    put_metric(PRIMARY, "AWS/SNS", "NumberOfNotificationsFailed", "TopicName", TOPIC, hour_ago)

    verdict, message = alert_lines(deployed_stack, healthy_clients, now)[PRIMARY]

    assert verdict is Verdict.FAIL
    assert message.split("; ") == [
        f"rule {rule}: 3 alerts sent to the dead-letter queue in 24 h (InvocationsSentToDlq)",
        f"rule {rule}: 3 alerts lost (not even sent to the dead-letter queue) in 24 h "
        "(InvocationsFailedToBeSentToDlq)",
        f"topic {TOPIC}: 3 failed notification(s) in 24 h (NumberOfNotificationsFailed)",
    ]


def test_messages_in_the_dead_letter_queue_fail(
    deployed_stack: dict[str, Any], healthy_clients: StatusAnswers, now: datetime
) -> None:
    sqs = aws("sqs", "eu-west-1")
    queue_url = sqs.get_queue_url(QueueName=naming.dead_letter_queue("dev", "eu-west-1"))["QueueUrl"]
    sqs.send_message(QueueUrl=queue_url, MessageBody='{"detail-type": "Config Rules Compliance Change"}')
    sqs.send_message(QueueUrl=queue_url, MessageBody='{"detail-type": "Config Rules Compliance Change"}')
    # One received and not yet deleted still counts.
    sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=1, VisibilityTimeout=300)

    assert alert_lines(deployed_stack, healthy_clients, now)["eu-west-1"] == (
        Verdict.FAIL,
        "dead-letter queue config-alert-dlq-dev-eu-west-1 holds 2 undelivered alert(s)",
    )


def test_a_missing_queue_and_a_missing_alarm_fail_by_name(
    deployed_stack: dict[str, Any], healthy_clients: StatusAnswers, now: datetime
) -> None:
    sqs = aws("sqs", "us-west-2")
    queue_url = sqs.get_queue_url(QueueName=naming.dead_letter_queue("dev", "us-west-2"))["QueueUrl"]
    sqs.delete_queue(QueueUrl=queue_url)
    aws("cloudwatch", "us-west-2").delete_alarms(AlarmNames=[alarm_names("us-west-2")[1]])

    assert alert_lines(deployed_stack, healthy_clients, now)["us-west-2"] == (
        Verdict.FAIL,
        "dead-letter queue config-alert-dlq-dev-us-west-2 does not exist; "
        "alarm config-alert-dead-letters-dev-us-west-2 does not exist",
    )


def test_an_alarm_in_alarm_fails_with_its_reason(
    deployed_stack: dict[str, Any], healthy_clients: StatusAnswers, now: datetime
) -> None:
    alarm = alarm_names(PRIMARY)[0]
    reason = "Threshold Crossed: 1 datapoint [2.0 (26/11/26 11:00:00)] was greater than the threshold (0.0)."
    aws("cloudwatch", PRIMARY).set_alarm_state(AlarmName=alarm, StateValue="ALARM", StateReason=reason)

    assert alert_lines(deployed_stack, healthy_clients, now)[PRIMARY] == (
        Verdict.FAIL,
        f"alarm {alarm} is in ALARM: {reason}",
    )


def check_with_metric_statuses(statuses: list[str], now: datetime) -> tuple[Verdict, str]:
    """The check of us-west-2 with GetMetricData answering no values and these status codes in query
    order (the last one repeated); an empty queue and alarms in OK."""
    path = parse_outputs(example_outputs()).alert_path["us-west-2"]
    cloudwatch, sqs = stubbed_client("cloudwatch"), stubbed_client("sqs")
    queries = metric_queries(path.rule_names, None)
    codes = statuses + statuses[-1:] * (len(queries) - len(statuses))
    results: list[dict[str, Any]] = [
        {"Id": query["Id"], "Label": query["Label"], "Values": [], "StatusCode": code}
        for query, code in zip(queries, codes, strict=True)
    ]
    with Stubber(cloudwatch) as cloudwatch_stub, Stubber(sqs) as sqs_stub:
        cloudwatch_stub.add_response(
            "get_metric_data",
            {"MetricDataResults": results},
            {"MetricDataQueries": queries, "StartTime": now - timedelta(hours=24), "EndTime": now},
        )
        sqs_stub.add_response(
            "get_queue_attributes",
            {"Attributes": {"ApproximateNumberOfMessages": "0"}},
            {"QueueUrl": path.dead_letter_queue_url, "AttributeNames": ANY},
        )
        cloudwatch_stub.add_response(
            "describe_alarms",
            {"MetricAlarms": [{"AlarmName": name, "StateValue": "OK"} for name in path.alarm_names]},
            {"AlarmNames": list(path.alarm_names), "AlarmTypes": ["MetricAlarm"]},
        )
        return check_alert_path(cloudwatch, sqs, path, None, now)


def test_an_unreadable_metric_is_a_problem_not_a_pass(now: datetime) -> None:
    rule = parse_outputs(example_outputs()).alert_path["us-west-2"].rule_names[0]
    assert check_with_metric_statuses(["Forbidden", "Complete"], now) == (
        Verdict.FAIL,
        f"GetMetricData could not read FailedInvocations {rule} (Forbidden)",
    )


def stubbed_client(service: str) -> Any:
    return boto3.client(  # type: ignore[call-overload]
        service, region_name="us-west-2", aws_access_key_id="testing", aws_secret_access_key="testing"
    )


def test_the_window_is_the_last_24_hours(
    deployed_stack: dict[str, Any], healthy_clients: StatusAnswers, now: datetime
) -> None:
    """A failure 23 hours ago still fails the line; one 25 hours ago no longer does."""
    inside, outside = alert_rule_names("us-west-2")[0], alert_rule_names("eu-west-1")[0]
    put_metric("us-west-2", "AWS/Events", "FailedInvocations", "RuleName", inside, now - timedelta(hours=23))
    put_metric("eu-west-1", "AWS/Events", "FailedInvocations", "RuleName", outside, now - timedelta(hours=25))

    lines = alert_lines(deployed_stack, healthy_clients, now)

    failed = f"rule {inside}: 3 failed deliveries in 24 h (FailedInvocations)"
    assert lines["us-west-2"] == (Verdict.FAIL, failed)
    assert lines["eu-west-1"][0] is Verdict.PASS


def test_an_alarm_without_data_yet_is_not_a_failure(
    deployed_stack: dict[str, Any], healthy_clients: StatusAnswers, now: datetime
) -> None:
    """A new alarm is INSUFFICIENT_DATA until its first period; only ALARM fails the line."""
    alarm = alarm_names("us-west-2")[1]
    aws("cloudwatch", "us-west-2").set_alarm_state(
        AlarmName=alarm, StateValue="INSUFFICIENT_DATA", StateReason="Unchecked: Initial alarm creation"
    )

    assert alert_lines(deployed_stack, healthy_clients, now)["us-west-2"][0] is Verdict.PASS


def test_partial_data_is_read_and_counted_not_called_unreadable(now: datetime) -> None:
    """GetMetricData's StatusCode PartialData means more pages follow (CloudWatch API Reference,
    MetricDataResult): its values count, and it is no reason to fail the line."""
    assert check_with_metric_statuses(["PartialData"], now)[0] is Verdict.PASS
