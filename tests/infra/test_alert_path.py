"""The alert path cannot fail silently: every target has a dead-letter queue, alarms watch both.

EventBridge User Guide, "Event retry policy and using dead-letter queues" (eb-rule-dlq.html): without a
DLQ an event that exhausts its retries is dropped; missing permissions go to the DLQ with no retry.
Targets that are event buses take a DLQ but no retry policy: the User Guide documents none for them
(eb-cross-region.html, eb-cross-account.html) and aws-cdk's event-bus target states "Retry policy is not
supported for Event bus targets" (packages/aws-cdk-lib/aws-events-targets/lib/event-bus.ts).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from components.alert_path import DEAD_LETTER_KEY_DELETION_DAYS, DEAD_LETTER_RETENTION_SECONDS
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


# requireKms: the stack's own encryption rule demands a KMS key on its own queues (docs/configuration.md).
KMS_CONFIG = {**DEV_CONFIG, "requireKms": "true"}
# SQS Developer Guide, "Key management" > "Configure KMS permissions for AWS services": the event source
# (events.amazonaws.com for EventBridge) needs kms:Decrypt and kms:GenerateDataKey in the key policy.
EVENTBRIDGE_KEY_ACTIONS = ["kms:Decrypt", "kms:GenerateDataKey"]


def expected_dead_letter_key_policy(account: str) -> dict[str, Any]:
    """The account administers the key; EventBridge encrypts with it, with no condition."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AccountAdministersKey",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "EventBridgeEncryptsDeadLetters",
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": EVENTBRIDGE_KEY_ACTIONS,
                "Resource": "*",
            },
        ],
    }


@pytest.fixture(scope="module")
def kms_dev() -> Deployment:
    return run_program(KMS_CONFIG)


def dead_letter_key(deployment: Deployment, region: str) -> Registration:
    """The key the region's queue is encrypted with: the archive key in the primary region."""
    name = "hub-key" if region == PRIMARY else f"region-{region}-alert-dead-letters-key"
    (key,) = [k for k in deployment.of_type("aws:kms/key:Key") if k.name == name]
    return key


@pytest.mark.parametrize("region", REGIONS)
def test_with_require_kms_each_queue_is_encrypted_with_a_key_of_its_own_region(
    kms_dev: Deployment, region: str
) -> None:
    (queue,) = in_region(kms_dev, "aws:sqs/queue:Queue", region)
    key = dead_letter_key(kms_dev, region)
    assert queue.inputs["kmsMasterKeyId"] == key.state["arn"]
    assert key.state["arn"].split(":")[3] == region
    # The key's provider is the queue's: created in the queue's region.
    assert key.provider_urn == queue.provider_urn and kms_dev.region_of(key) == region
    assert "sqsManagedSseEnabled" not in queue.inputs
    assert kms_dev.outputs["alertPath"][region]["deadLetterKeyArn"] == key.state["arn"]


@pytest.mark.parametrize("region", REGIONS)
def test_the_key_with_its_policy_exists_before_the_queue_and_every_target(
    kms_dev: Deployment, region: str
) -> None:
    key = dead_letter_key(kms_dev, region)
    (queue,) = in_region(kms_dev, "aws:sqs/queue:Queue", region)
    assert key.urn in queue.dependencies
    targets = in_region(kms_dev, "aws:cloudwatch/eventTarget:EventTarget", region)
    assert len(targets) == 2
    for target in targets:
        assert key.urn in target.dependencies, target.name


@pytest.mark.parametrize("region", [region for region in REGIONS if region != PRIMARY])
def test_a_dead_letter_key_lets_the_account_administer_and_eventbridge_encrypt_with_no_condition(
    kms_dev: Deployment, region: str
) -> None:
    """No aws:SourceArn/SourceAccount: a condition EventBridge does not satisfy loses every dead letter
    (components/policies.py, dead_letter_key_policy); the queue policy scopes the sender."""
    key = dead_letter_key(kms_dev, region)
    assert json.loads(key.inputs["policy"]) == expected_dead_letter_key_policy(ACCOUNT_ID)
    # Rotated, a 30-day window to cancel a deletion; not kept: it protects only the queue's dead letters.
    assert key.inputs["enableKeyRotation"] is True
    assert key.inputs["deletionWindowInDays"] == 30
    assert (key.protect, key.retain_on_delete) == (False, False)
    (alias,) = [a for a in in_region(kms_dev, "aws:kms/alias:Alias", region)]
    assert alias.inputs["name"] == f"alias/config-alert-dlq-dev-{region}"
    assert alias.inputs["targetKeyId"] == key.state["keyId"]


def test_the_archive_key_already_lets_eventbridge_encrypt_the_primary_regions_dead_letters(
    kms_dev: Deployment,
) -> None:
    statements = json.loads(dead_letter_key(kms_dev, PRIMARY).inputs["policy"])["Statement"]
    (eventbridge,) = [s for s in statements if s["Principal"] == {"Service": "events.amazonaws.com"}]
    # kms:GenerateDataKey* covers kms:GenerateDataKey (IAM User Guide, wildcards in Action).
    assert eventbridge["Action"] == ["kms:Decrypt", "kms:GenerateDataKey*"]
    assert "Condition" not in eventbridge
    assert len(kms_dev.of_type("aws:kms/key:Key")) == len(REGIONS)


def test_without_require_kms_the_queues_use_sse_sqs_and_no_key_is_added(dev: Deployment) -> None:
    """A key costs $1 a month per region (AWS KMS pricing); SSE-SQS is free and passes the rule then."""
    for queue in dev.of_type("aws:sqs/queue:Queue"):
        assert queue.inputs["sqsManagedSseEnabled"] is True
        assert "kmsMasterKeyId" not in queue.inputs
    assert [k.name for k in dev.of_type("aws:kms/key:Key")] == ["hub-key"]
    assert [a.inputs["name"] for a in dev.of_type("aws:kms/alias:Alias")] == ["alias/config-compliance-dev"]
    assert all("deadLetterKeyArn" not in path for path in dev.outputs["alertPath"].values())


# Replace-on-change inputs of the queue and the key, from the provider pulumi-aws bridges
# (hashicorp/terraform-provider-aws): internal/service/sqs/queue.go marks ForceNew only name, name_prefix and
# fifo_queue (kms_master_key_id and sqs_managed_sse_enabled update in place through SetQueueAttributes);
# internal/service/kms/key.go marks ForceNew customer_master_key_spec, key_usage, multi_region,
# custom_key_store_id and xks_key_id, none of which the stack sets.
QUEUE_REPLACE_ON_CHANGE = ("name", "namePrefix", "fifoQueue")


def test_turning_require_kms_on_or_off_replaces_no_queue_and_leaves_the_archive_key_alone(
    dev: Deployment, kms_dev: Deployment
) -> None:
    def queues(deployment: Deployment) -> dict[str, tuple[Any, ...]]:
        return {
            q.urn: tuple(q.inputs.get(key) for key in QUEUE_REPLACE_ON_CHANGE)
            for q in deployment.of_type("aws:sqs/queue:Queue")
        }

    assert queues(dev) == queues(kms_dev)
    (archive,) = [k for k in dev.of_type("aws:kms/key:Key") if k.name == "hub-key"]
    assert archive.inputs == dead_letter_key(kms_dev, PRIMARY).inputs


CONFIGURATION_DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def test_the_docs_say_that_turning_require_kms_off_locks_the_dead_letters_it_leaves(
    dev: Deployment, kms_dev: Deployment
) -> None:
    """requireKms off deletes each non-primary region's dead-letter key, and a key pending deletion cannot
    decrypt (AWS KMS Cryptographic Details, "Deleting keys": "All calls to use the key for cryptographic
    operations will fail"): what those queues hold cannot be received until the deletion is cancelled and
    the key enabled again (AWS KMS Developer Guide, "Cancel key deletion"). The window is what makes that
    remedy last as long as a dead letter does."""
    deleted = {k.name for k in kms_dev.of_type("aws:kms/key:Key")} - {
        k.name for k in dev.of_type("aws:kms/key:Key")
    }
    assert deleted == {f"region-{region}-alert-dead-letters-key" for region in REGIONS if region != PRIMARY}
    assert DEAD_LETTER_KEY_DELETION_DAYS * 24 * 3600 > DEAD_LETTER_RETENTION_SECONDS
    text = CONFIGURATION_DOC.read_text(encoding="utf-8")
    section = text.split("## The stack's own keys", 1)[1].split("\n## ", 1)[0]
    flat = " ".join(section.split())
    assert "**Before turning `requireKms` off**, replay or read" in flat
    assert "a key pending deletion cannot decrypt" in flat
    assert "`aws kms cancel-key-deletion`, then `aws kms enable-key`" in flat
