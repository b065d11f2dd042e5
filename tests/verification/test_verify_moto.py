"""The checks against a stack built in moto server: what is there passes, what is broken fails by name."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from moto_stack import (
    ACCOUNT,
    AGGREGATOR,
    BUCKET,
    CHECKS,
    PRIMARY,
    REGIONS,
    UNMANAGED,
    StatusAnswers,
    aws,
    channel_name,
    failures,
    recorder_name,
    rule_name,
    verify_by_check,
)

from verification.clients import AwsClients
from verification.results import Verdict


def test_a_healthy_stack_passes_every_check(
    deployed_stack: dict[str, Any], healthy_clients: StatusAnswers, now: datetime
) -> None:
    results = verify_by_check(deployed_stack, healthy_clients, now)

    rules = ["rule encryption", "rule required-tags", "rule backup"]
    per_region = ["recorder", "delivery", *rules, "alert path"]
    expected = [(region, check) for region in REGIONS for check in per_region]
    expected += [(PRIMARY, "aggregator"), (PRIMARY, "alert subscriptions"), (PRIMARY, "exceptions")]
    assert list(results) == expected
    assert failures(results) == {}
    assert results[(UNMANAGED, "delivery")].verdict is Verdict.SKIP
    assert results[(UNMANAGED, "recorder")].message == (
        "not managed by this stack; recorder default is recording"
    )
    assert results[("us-west-2", "recorder")].message.startswith(
        "recorder config-recorder-dev-us-west-2 is recording"
    )
    assert results[("us-west-2", "delivery")].message.startswith(f"last delivery to {BUCKET} succeeded")
    assert results[("eu-west-1", "rule backup")].message == (
        "rule compliance-backup-dev-eu-west-1 last evaluated 1 h 00 min ago (limit 12 h: twice Six_Hours)"
    )
    assert results[(PRIMARY, "aggregator")].message == f"aggregator {AGGREGATOR}: all 3 sources SUCCEEDED"
    assert results[(PRIMARY, "alert subscriptions")].message == (
        "topic config-compliance-alerts-dev has 1 confirmed subscription(s) (email)"
    )


def test_calls_are_bounded_by_the_number_of_rules(
    deployed_stack: dict[str, Any], healthy_clients: StatusAnswers, now: datetime
) -> None:
    verify_by_check(deployed_stack, healthy_clients, now)

    calls = healthy_clients.calls
    # Two per rule, one or three per region, three for the region's alert path, two for the aggregator,
    # one for the topic's subscriptions.
    assert calls.count("DescribeConfigRules") == calls.count("DescribeConfigRuleEvaluationStatus") == 9
    assert calls.count("DescribeConfigurationRecorderStatus") == 3
    assert calls.count("DescribeDeliveryChannelStatus") == 2
    assert len(calls) == 9 * 2 + 3 + 2 * 2 + 3 * 3 + 2 + 1


def test_without_the_status_apis_each_of_their_checks_fails_alone(
    deployed_stack: dict[str, Any], aws_endpoint: str, now: datetime
) -> None:
    # moto answers the status APIs with HTTP 500: every check that needs one fails, the rest pass.
    results = verify_by_check(deployed_stack, AwsClients(endpoint_url=aws_endpoint), now)

    failed = failures(results)
    assert set(failed) == {
        *((region, "delivery") for region in REGIONS if region != UNMANAGED),
        *((region, f"rule {check}") for region in REGIONS for check in CHECKS),
        (PRIMARY, "aggregator"),
    }
    assert failed[("us-east-1", "delivery")] == (
        "could not check: DescribeDeliveryChannelStatus failed: 500: HTTP 500, not an AWS error response"
    )
    assert failed[(PRIMARY, "aggregator")].startswith(
        "could not check: DescribeConfigurationAggregatorSourcesStatus failed"
    )
    assert all(result.could_not_check for result in results.values() if result.verdict is Verdict.FAIL)
    assert results[("us-east-1", "recorder")].verdict is Verdict.PASS


def test_a_stopped_recorder_fails(
    deployed_stack: dict[str, Any], healthy_clients: StatusAnswers, now: datetime
) -> None:
    aws("config", "us-west-2").stop_configuration_recorder(
        ConfigurationRecorderName=recorder_name("us-west-2")
    )

    assert failures(verify_by_check(deployed_stack, healthy_clients, now)) == {
        ("us-west-2", "recorder"): "recorder config-recorder-dev-us-west-2 exists but is not recording "
        "(no enabled recorder status)"
    }


def test_a_missing_recorder_and_channel_fail_by_name(
    deployed_stack: dict[str, Any], healthy_clients: StatusAnswers, now: datetime
) -> None:
    config = aws("config", "us-west-2")
    config.stop_configuration_recorder(ConfigurationRecorderName=recorder_name("us-west-2"))
    config.delete_delivery_channel(DeliveryChannelName=channel_name("us-west-2"))
    config.delete_configuration_recorder(ConfigurationRecorderName=recorder_name("us-west-2"))

    assert failures(verify_by_check(deployed_stack, healthy_clients, now)) == {
        ("us-west-2", "recorder"): "recorder config-recorder-dev-us-west-2 does not exist",
        ("us-west-2", "delivery"): "delivery channel config-delivery-dev-us-west-2 does not exist",
    }


def test_a_channel_delivering_to_another_bucket_fails(
    deployed_stack: dict[str, Any], healthy_clients: StatusAnswers, now: datetime
) -> None:
    config = aws("config", "us-east-1")
    config.put_delivery_channel(
        DeliveryChannel={"name": channel_name("us-east-1"), "s3BucketName": "someone-elses-bucket"}
    )

    assert failures(verify_by_check(deployed_stack, healthy_clients, now)) == {
        ("us-east-1", "delivery"): "delivery channel config-delivery-dev-us-east-1 delivers to bucket "
        f"someone-elses-bucket, not {BUCKET}"
    }


def test_an_unmanaged_region_needs_some_recorder_recording(
    deployed_stack: dict[str, Any], healthy_clients: StatusAnswers, now: datetime
) -> None:
    config = aws("config", UNMANAGED)
    config.stop_configuration_recorder(ConfigurationRecorderName="default")
    assert failures(verify_by_check(deployed_stack, healthy_clients, now)) == {
        (UNMANAGED, "recorder"): "not managed by this stack, and no recorder here is recording (default)"
    }

    config.delete_delivery_channel(DeliveryChannelName="default")
    config.delete_configuration_recorder(ConfigurationRecorderName="default")
    assert failures(verify_by_check(deployed_stack, healthy_clients, now)) == {
        (UNMANAGED, "recorder"): "no configuration recorder exists (the stack expects a pre-existing one)"
    }


def test_a_deleted_rule_fails_by_name(
    deployed_stack: dict[str, Any], healthy_clients: StatusAnswers, now: datetime
) -> None:
    aws("config", "eu-west-1").delete_config_rule(
        ConfigRuleName=rule_name("required-tags", "eu-west-1")
    )

    assert failures(verify_by_check(deployed_stack, healthy_clients, now)) == {
        ("eu-west-1", "rule required-tags"): "rule compliance-required-tags-dev-eu-west-1 does not exist"
    }


def test_a_rule_invoking_another_function_fails(
    deployed_stack: dict[str, Any], healthy_clients: StatusAnswers, now: datetime
) -> None:
    # The outputs name the encryption function as the backup rule's: the deployed rule disagrees.
    rules = deployed_stack["rules"]["us-west-2"]
    rules["backup"]["functionArn"] = rules["encryption"]["functionArn"]

    failed = failures(verify_by_check(deployed_stack, healthy_clients, now))
    assert list(failed) == [("us-west-2", "rule backup")]
    assert failed[("us-west-2", "rule backup")].endswith(
        "not the stack's function arn:aws:lambda:us-west-2:123456789012:function:"
        "compliance-encryption-dev-us-west-2"
    )


def test_an_aggregator_missing_a_region_fails(
    deployed_stack: dict[str, Any], healthy_clients: StatusAnswers, now: datetime
) -> None:
    aws("config", PRIMARY).put_configuration_aggregator(
        ConfigurationAggregatorName=AGGREGATOR,
        AccountAggregationSources=[{"AccountIds": [ACCOUNT], "AwsRegions": ["us-east-1", "us-west-2"]}],
    )

    assert failures(verify_by_check(deployed_stack, healthy_clients, now)) == {
        (PRIMARY, "aggregator"): f"aggregator {AGGREGATOR} does not aggregate eu-west-1"
    }


def test_an_aggregator_of_all_regions_covers_every_region(
    deployed_stack: dict[str, Any], healthy_clients: StatusAnswers, now: datetime
) -> None:
    aws("config", PRIMARY).put_configuration_aggregator(
        ConfigurationAggregatorName=AGGREGATOR,
        AccountAggregationSources=[{"AccountIds": [ACCOUNT], "AllAwsRegions": True}],
    )

    assert failures(verify_by_check(deployed_stack, healthy_clients, now)) == {}


def test_a_missing_aggregator_fails_by_name(
    deployed_stack: dict[str, Any], healthy_clients: StatusAnswers, now: datetime
) -> None:
    aws("config", PRIMARY).delete_configuration_aggregator(
        ConfigurationAggregatorName=AGGREGATOR
    )

    assert failures(verify_by_check(deployed_stack, healthy_clients, now)) == {
        (PRIMARY, "aggregator"): f"aggregator {AGGREGATOR} does not exist"
    }


def test_a_topic_nobody_subscribed_to_fails(
    deployed_stack: dict[str, Any], healthy_clients: StatusAnswers, now: datetime
) -> None:
    sns = aws("sns", PRIMARY)
    for subscription in sns.list_subscriptions_by_topic(TopicArn=deployed_stack["topicArn"])["Subscriptions"]:
        sns.unsubscribe(SubscriptionArn=subscription["SubscriptionArn"])

    # The dev stack as shipped: no notificationEmails. The line names the commands that fix it.
    assert failures(verify_by_check(deployed_stack, healthy_clients, now)) == {
        (PRIMARY, "alert subscriptions"): "topic config-compliance-alerts-dev has no subscription; alerts "
        "reach nobody. Fix: pulumi config set --path 'notificationEmails[0]' you@example.com, then pulumi up "
        "(or scripts/deploy.sh), then confirm the emailed link"
    }


def test_a_missing_topic_fails_by_name(
    deployed_stack: dict[str, Any], healthy_clients: StatusAnswers, now: datetime
) -> None:
    aws("sns", PRIMARY).delete_topic(TopicArn=deployed_stack["topicArn"])

    assert failures(verify_by_check(deployed_stack, healthy_clients, now)) == {
        (PRIMARY, "alert subscriptions"): "topic config-compliance-alerts-dev does not exist"
    }
