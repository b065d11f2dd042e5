"""Delivery of alert events that cannot fail silently: retries, a dead-letter queue and two alarms.

In every region the EventBridge targets on the alert path (the hub's rules to the topic in the primary
region, the forwarding rules to the primary bus elsewhere) share one SQS dead-letter queue. One alarm
goes off when any of those rules fails a delivery (AWS/Events FailedInvocations, or
InvocationsFailedToBeSentToDlq when not even the queue took the event), one when a dead letter arrives.
Neither alarm depends on the topic: the verify command reads their state and the queue.

EventBridge User Guide, "Event retry policy and using dead-letter queues" (eb-rule-dlq.html): by
default a target is retried for 24 hours, up to 185 times, with exponential back-off and jitter, then
the event is dropped; a DLQ keeps it, and missing permissions or a missing target go to the DLQ at once,
without retries.

Only the topic targets get a retry policy of their own. A target that is an event bus in another Region
or account takes a dead-letter queue (EventBridge User Guide, "Sending and receiving events between AWS
Regions", eb-cross-region.html, and "... between AWS accounts", eb-cross-account.html: the rule's target
is the other bus, with a role; eb-rule-dlq.html: DLQs for targets), but no retry policy is documented
for it, and aws-cdk's event-bus target leaves it out on purpose
(packages/aws-cdk-lib/aws-events-targets/lib/event-bus.ts: "Retry policy is not supported for Event bus
targets"). Such a target is retried as EventBridge does by default, then dead-lettered.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components import naming, policies
from components.alerts import AlertKind

# Topic targets: an alert an hour late has missed its purpose; it then waits in the queue and the alarm
# says so.
MAX_EVENT_AGE_SECONDS = 3600
MAX_RETRY_ATTEMPTS = 20
# SQS keeps a message at most 14 days (SQS Developer Guide, MessageRetentionPeriod): time to replay it.
DEAD_LETTER_RETENTION_SECONDS = 14 * 24 * 3600
ALARM_PERIOD_SECONDS = 300
DELIVERY_FAILURE_METRICS = ("FailedInvocations", "InvocationsFailedToBeSentToDlq")


@dataclass(frozen=True)
class Delivery:
    """What every alert-path target carries: pass both to its ``aws.cloudwatch.EventTarget``.

    ``retry_policy`` is None for targets that are event buses (see the module's docstring)."""

    retry_policy: aws.cloudwatch.EventTargetRetryPolicyArgs | None
    dead_letter_config: aws.cloudwatch.EventTargetDeadLetterConfigArgs


@dataclass(frozen=True)
class AlertPath:
    """What the stack exports (and the verify command reads) about one region's alert delivery."""

    rule_names: list[pulumi.Output[str]]
    dead_letter_queue_url: pulumi.Output[str]
    dead_letter_queue_arn: pulumi.Output[str]
    alarm_names: list[pulumi.Output[str]]

    def output(self) -> dict[str, object]:
        return {
            "ruleNames": self.rule_names,
            "deadLetterQueueUrl": self.dead_letter_queue_url,
            "deadLetterQueueArn": self.dead_letter_queue_arn,
            "alarmNames": self.alarm_names,
        }


# Adds the target of one alert kind's rule, with the region's delivery settings.
AddTarget = Callable[[AlertKind, aws.cloudwatch.EventRule, Delivery, pulumi.ResourceOptions], None]


def deliver_alerts(
    name: str,
    suffix: str,
    region: str,
    rules: Mapping[AlertKind, aws.cloudwatch.EventRule],
    add_target: AddTarget,
    child: pulumi.ResourceOptions,
    to_event_bus: bool,
) -> AlertPath:
    """Gives each rule its target (via ``add_target``) with the region's dead-letter queue, and alarms.

    ``to_event_bus``: the targets are the primary region's event bus, which take no retry policy."""
    queue = aws.sqs.Queue(
        f"{name}-alert-dead-letters",
        name=naming.dead_letter_queue(suffix, region),
        # SSE-SQS: EventBridge can write to it with no key grant (eb-rule-dlq.html: a DLQ encrypted with
        # the AWS managed key aws/sqs cannot be used; SSE-SQS or a customer managed key can).
        sqs_managed_sse_enabled=True,
        message_retention_seconds=DEAD_LETTER_RETENTION_SECONDS,
        opts=child,
    )
    queue_policy = aws.sqs.QueuePolicy(
        f"{name}-alert-dead-letters-policy",
        queue_url=queue.url,
        policy=pulumi.Output.json_dumps(
            policies.dead_letter_queue_policy(queue.arn, [rule.arn for rule in rules.values()])
        ),
        opts=child,
    )
    # A target may only use its DLQ once the queue lets EventBridge send to it.
    after_policy = pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[queue_policy]))
    delivery = Delivery(
        retry_policy=None
        if to_event_bus
        else aws.cloudwatch.EventTargetRetryPolicyArgs(
            maximum_event_age_in_seconds=MAX_EVENT_AGE_SECONDS, maximum_retry_attempts=MAX_RETRY_ATTEMPTS
        ),
        dead_letter_config=aws.cloudwatch.EventTargetDeadLetterConfigArgs(arn=queue.arn),
    )
    for kind, rule in rules.items():
        add_target(kind, rule, delivery, after_policy)

    delivery_alarm = aws.cloudwatch.MetricAlarm(
        f"{name}-alert-delivery-alarm",
        name=naming.alert_delivery_alarm(suffix, region),
        alarm_description=(
            f"An alert-path EventBridge rule in {region} failed to deliver an event; "
            f"see the dead-letter queue {naming.dead_letter_queue(suffix, region)}"
        ),
        metric_queries=_failed_invocations(list(rules.values())),
        evaluation_periods=1,
        threshold=1,
        comparison_operator="GreaterThanOrEqualToThreshold",
        treat_missing_data="notBreaching",
        opts=child,
    )
    dead_letters_alarm = aws.cloudwatch.MetricAlarm(
        f"{name}-alert-dead-letters-alarm",
        name=naming.dead_letters_alarm(suffix, region),
        alarm_description=f"Undelivered alerts wait in {naming.dead_letter_queue(suffix, region)}",
        namespace="AWS/SQS",
        metric_name="ApproximateNumberOfMessagesVisible",
        dimensions={"QueueName": queue.name},
        statistic="Maximum",
        period=ALARM_PERIOD_SECONDS,
        evaluation_periods=1,
        threshold=1,
        comparison_operator="GreaterThanOrEqualToThreshold",
        treat_missing_data="notBreaching",
        opts=child,
    )
    return AlertPath(
        rule_names=[rule.name for rule in rules.values()],
        dead_letter_queue_url=queue.url,
        dead_letter_queue_arn=queue.arn,
        alarm_names=[delivery_alarm.name, dead_letters_alarm.name],
    )


def _failed_invocations(
    rules: Sequence[aws.cloudwatch.EventRule],
) -> list[aws.cloudwatch.MetricAlarmMetricQueryArgs]:
    """The rules' failed deliveries, and the events that could not even reach the dead-letter queue.

    AWS/Events FailedInvocations and InvocationsFailedToBeSentToDlq, dimension RuleName for the default
    bus (EventBridge User Guide, "Monitoring Amazon EventBridge", eb-monitoring.html)."""
    watched = [(rule, metric_name) for rule in rules for metric_name in DELIVERY_FAILURE_METRICS]
    metrics = [
        aws.cloudwatch.MetricAlarmMetricQueryArgs(
            id=f"m{index}",
            metric=aws.cloudwatch.MetricAlarmMetricQueryMetricArgs(
                namespace="AWS/Events",
                metric_name=metric_name,
                dimensions={"RuleName": rule.name},
                stat="Sum",
                period=ALARM_PERIOD_SECONDS,
            ),
        )
        for index, (rule, metric_name) in enumerate(watched)
    ]
    # FILL(m, 0): a rule that failed nothing has no data point; without it the sum would be missing too
    # (CloudWatch User Guide, "Using metric math", FILL).
    total = aws.cloudwatch.MetricAlarmMetricQueryArgs(
        id="failed",
        expression=" + ".join(f"FILL(m{index}, 0)" for index in range(len(metrics))),
        label="Failed alert deliveries",
        return_data=True,
    )
    return [*metrics, total]
