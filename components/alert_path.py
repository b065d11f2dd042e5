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

Encryption follows the stack's own encryption rule. With requireKms the queues are encrypted with a
customer managed key in the queue's own region (a KMS key is used in its Region only, multi-Region keys
aside: AWS KMS Developer Guide, "Multi-Region keys in AWS KMS"): the archive key in the primary region,
whose policy already lets EventBridge use it (policies.archive_key_policy), a key of the queue's own
elsewhere (dead_letter_key). Otherwise SSE-SQS, which needs no key grant and costs nothing. Never the
AWS managed key aws/sqs: its policy cannot be changed and admits only principals of the account (SQS
Developer Guide, "Key management", sqs-key-management.html), not the events.amazonaws.com service.

Reading the queue (the alarm's ApproximateNumberOfMessagesVisible, verify's GetQueueAttributes) needs no
key permission: SQS Developer Guide, "Encryption at rest" > "Encryption scope"
(sqs-server-side-encryption.html): "SSE encrypts the body of a message", not "Queue metadata (queue name
and attributes)", message metadata or "Per-queue metrics".
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
# The dead-letter key's pending-deletion window, the longest KMS allows (KMS API Reference,
# ScheduleKeyDeletion, PendingWindowInDays 7-30). Turning requireKms off deletes the key of every
# non-primary region, and a message it encrypted stays encrypted with it (SQS Developer Guide, "Encryption
# at rest": changing a queue's encryption does not re-encrypt what it holds); a key pending deletion
# cannot be used ("All calls to use the key for cryptographic operations will fail", AWS KMS
# Cryptographic Details, "Deleting keys"), so those dead letters cannot be received until the deletion is
# cancelled (CancelKeyDeletion, then EnableKey). The window outlasts a dead letter (14 days), so that
# remedy works for each of them (docs/configuration.md, "The stack's own keys").
DEAD_LETTER_KEY_DELETION_DAYS = 30
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
    # The customer managed key of the queue (requireKms), None with SSE-SQS.
    dead_letter_key_arn: pulumi.Output[str] | None = None

    def output(self) -> dict[str, object]:
        exported: dict[str, object] = {
            "ruleNames": self.rule_names,
            "deadLetterQueueUrl": self.dead_letter_queue_url,
            "deadLetterQueueArn": self.dead_letter_queue_arn,
            "alarmNames": self.alarm_names,
        }
        if self.dead_letter_key_arn is not None:
            exported["deadLetterKeyArn"] = self.dead_letter_key_arn
        return exported


# Adds the target of one alert kind's rule, with the region's delivery settings.
AddTarget = Callable[[AlertKind, aws.cloudwatch.EventRule, Delivery, pulumi.ResourceOptions], None]


def dead_letter_key(
    name: str, suffix: str, region: str, account_id: pulumi.Output[str], child: pulumi.ResourceOptions
) -> aws.kms.Key:
    """A key for the region's dead-letter queue, in the region of ``child``'s provider.

    Neither protected nor retained, unlike the archive key: it encrypts only dead letters, which the queue
    keeps 14 days at most and which go with the queue (not protected either) on destroy. Losing it loses
    nothing the stack keeps; keeping it would leave a key billed every month."""
    key = aws.kms.Key(
        f"{name}-alert-dead-letters-key",
        description=f"Encrypts undelivered compliance alerts in {region} ({suffix})",
        enable_key_rotation=True,
        deletion_window_in_days=DEAD_LETTER_KEY_DELETION_DAYS,
        policy=pulumi.Output.json_dumps(policies.dead_letter_key_policy(account_id)),
        opts=child,
    )
    aws.kms.Alias(
        f"{name}-alert-dead-letters-key-alias",
        name=naming.dead_letter_key_alias(suffix, region),
        target_key_id=key.key_id,
        opts=child,
    )
    return key


def deliver_alerts(
    name: str,
    suffix: str,
    region: str,
    rules: Mapping[AlertKind, aws.cloudwatch.EventRule],
    add_target: AddTarget,
    child: pulumi.ResourceOptions,
    to_event_bus: bool,
    key: aws.kms.Key | None = None,
) -> AlertPath:
    """Gives each rule its target (via ``add_target``) with the region's dead-letter queue, and alarms.

    ``to_event_bus``: the targets are the primary region's event bus, which take no retry policy.
    ``key``: a customer managed key of the region whose policy lets EventBridge encrypt with it (requireKms);
    None: SSE-SQS."""
    # The key, its policy included (an input of the key), exists before the queue and every target.
    after_key = pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[key] if key else []))
    queue = aws.sqs.Queue(
        f"{name}-alert-dead-letters",
        name=naming.dead_letter_queue(suffix, region),
        kms_master_key_id=key.arn if key else None,
        sqs_managed_sse_enabled=None if key else True,
        message_retention_seconds=DEAD_LETTER_RETENTION_SECONDS,
        opts=after_key,
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
    after_policy = pulumi.ResourceOptions.merge(after_key, pulumi.ResourceOptions(depends_on=[queue_policy]))
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
        dead_letter_key_arn=key.arn if key else None,
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
