"""The ``alert path`` check of one region: did every alert of the last 24 hours reach the topic?

Three calls per region, whatever the number of rules:

- CloudWatch ``GetMetricData``, one call for every metric: per alert-path rule, the ``AWS/Events``
  metrics ``FailedInvocations`` (invocations that failed permanently), ``InvocationsSentToDlq`` and
  ``InvocationsFailedToBeSentToDlq``, dimension ``RuleName`` (rules on the default bus); in the topic's
  region also ``AWS/SNS`` ``NumberOfNotificationsFailed``, dimension ``TopicName``.
  Sources: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-monitoring.html ("EventBridge only
  sends this metric to CloudWatch if it isn't zero": no data point means none failed) and
  https://docs.aws.amazon.com/sns/latest/dg/sns-monitoring-using-cloudwatch.html.
- SQS ``GetQueueAttributes`` of the dead-letter queue: ``ApproximateNumberOfMessages`` (waiting) and
  ``ApproximateNumberOfMessagesNotVisible`` (received, not yet deleted) are alerts that never arrived.
- CloudWatch ``DescribeAlarms`` of the region's alarms (at most 100 names per call, per the service
  model): one in ``ALARM`` fails the check with its reason; a missing one fails it by name.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from verification.clients import AwsClient
from verification.metric_queries import READ_STATUSES, sum_query
from verification.outputs import AlertPath
from verification.results import AWS_CALL_ERRORS, Finding, Verdict, error_code

WINDOW = timedelta(hours=24)
# Hourly sums, added up: a period of the whole window could straddle two aligned periods.
PERIOD_SECONDS = 3600

EVENTS_METRICS = {
    "FailedInvocations": "failed deliveries",
    "InvocationsSentToDlq": "alerts sent to the dead-letter queue",
    "InvocationsFailedToBeSentToDlq": "alerts lost (not even sent to the dead-letter queue)",
}
TOPIC_METRIC = "NumberOfNotificationsFailed"

# GetQueueAttributes of a queue that does not exist: the JSON protocol's code, and the query-compatible
# code botocore reports from the x-amzn-query-error header.
_NO_QUEUE = {"QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue"}


def check_alert_path(
    cloudwatch: AwsClient, sqs: AwsClient, path: AlertPath, topic_name: str | None, now: datetime
) -> Finding:
    problems = _metric_problems(cloudwatch, path.rule_names, topic_name, now)
    queue = path.dead_letter_queue_arn.rsplit(":", 1)[-1]
    problems += _queue_problems(sqs, path.dead_letter_queue_url, queue)
    problems += _alarm_problems(cloudwatch, path.alarm_names)
    if problems:
        return Verdict.FAIL, "; ".join(problems)
    topic = f", topic {topic_name} had no failed notification" if topic_name else ""
    return Verdict.PASS, (
        f"{len(path.rule_names)} rule(s) delivered every alert in 24 h{topic}, dead-letter queue {queue} "
        f"empty, {len(path.alarm_names)} alarm(s) not in ALARM"
    )


def metric_queries(rule_names: Sequence[str], topic_name: str | None) -> list[dict[str, Any]]:
    """One query per rule and EventBridge metric, plus the topic's; labels say what each counts."""
    metrics = [
        ("AWS/Events", metric, "RuleName", rule) for rule in rule_names for metric in EVENTS_METRICS
    ]
    if topic_name:
        metrics.append(("AWS/SNS", TOPIC_METRIC, "TopicName", topic_name))
    return [
        sum_query(f"m{number}", f"{metric} {value}", namespace, metric, (name, value), PERIOD_SECONDS)
        for number, (namespace, metric, name, value) in enumerate(metrics)
    ]


def _metric_problems(
    cloudwatch: AwsClient, rule_names: Sequence[str], topic_name: str | None, now: datetime
) -> list[str]:
    queries = metric_queries(rule_names, topic_name)
    totals = dict.fromkeys((query["Id"] for query in queries), 0.0)
    incomplete: list[str] = []
    paginator = cloudwatch.get_paginator("get_metric_data")
    for page in paginator.paginate(MetricDataQueries=queries, StartTime=now - WINDOW, EndTime=now):
        for result in page["MetricDataResults"]:
            totals[result["Id"]] += sum(result.get("Values", []))
            if result.get("StatusCode") not in READ_STATUSES:
                incomplete.append(f"{result.get('Label', result['Id'])} ({result.get('StatusCode')})")
    problems: list[str] = []
    for query in queries:
        count = int(totals[query["Id"]])
        if not count:
            continue
        metric = query["MetricStat"]["Metric"]["MetricName"]
        subject = query["MetricStat"]["Metric"]["Dimensions"][0]["Value"]
        if metric == TOPIC_METRIC:
            problems.append(f"topic {subject}: {count} failed notification(s) in 24 h ({metric})")
        else:
            problems.append(f"rule {subject}: {count} {EVENTS_METRICS[metric]} in 24 h ({metric})")
    if incomplete:
        problems.append(f"GetMetricData could not read {', '.join(incomplete)}")
    return problems


def _queue_problems(sqs: AwsClient, queue_url: str, queue: str) -> list[str]:
    try:
        attributes = sqs.get_queue_attributes(
            QueueUrl=queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
    except AWS_CALL_ERRORS as error:
        if error_code(error) in _NO_QUEUE:
            return [f"dead-letter queue {queue} does not exist"]
        raise
    waiting = int(attributes.get("ApproximateNumberOfMessages", "0"))
    in_flight = int(attributes.get("ApproximateNumberOfMessagesNotVisible", "0"))
    if waiting + in_flight:
        return [f"dead-letter queue {queue} holds {waiting + in_flight} undelivered alert(s)"]
    return []


def _alarm_problems(cloudwatch: AwsClient, alarm_names: Sequence[str]) -> list[str]:
    response = cloudwatch.describe_alarms(AlarmNames=list(alarm_names), AlarmTypes=["MetricAlarm"])
    alarms = response["MetricAlarms"]
    by_name = {alarm["AlarmName"]: alarm for alarm in alarms}
    problems: list[str] = []
    for name in alarm_names:
        alarm = by_name.get(name)
        if alarm is None:
            problems.append(f"alarm {name} does not exist")
        elif alarm.get("StateValue") == "ALARM":
            problems.append(f"alarm {name} is in ALARM: {alarm.get('StateReason', 'no reason given')}")
    return problems
