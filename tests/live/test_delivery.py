"""The live tests' delivery helpers, offline against moto: calls of the right shape, cleanup in order.

moto accepts any queue policy and delivers without checking it, so these tests prove the calls and the
cleanup, not AWS's authorization (tests/live/delivery.py names the documents that say it holds).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from components.alerts import NON_COMPLIANT
from tests.live.delivery import (
    alert_text,
    is_non_compliant_alert,
    subscribed_queue,
    subscriber_queue_policy,
    wait_for_message,
)

REGION = "us-east-1"
VOLUME_ID = "vol-0abc1234def567890"
RULE = "compliance-encryption-dev-eu-west-1"


def alert(resource_id: str = VOLUME_ID, rule: str = RULE, region: str = "eu-west-1") -> str:
    """The NON_COMPLIANT alert as the stack's input template renders it."""
    values = {
        "resourceType": "AWS::EC2::Volume",
        "resourceId": resource_id,
        "account": "123456789012",
        "region": region,
        "rule": rule,
        "time": "2026-11-26T10:15:00Z",
        "annotation": "EBS volume is not encrypted.",
    }
    template: str = json.loads(NON_COMPLIANT.template)
    return re.sub(r"<(\w+)>", lambda m: values[m.group(1)], template)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, Any, str]]:
    """moto's SNS and SQS, and a KMS-encrypted topic like the stack's."""
    for variable in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        sns = boto3.client("sns", region_name=REGION)
        sqs = boto3.client("sqs", region_name=REGION)
        key = boto3.client("kms", region_name=REGION).create_key()["KeyMetadata"]["Arn"]
        topic = sns.create_topic(Name="config-compliance-alerts-dev", Attributes={"KmsMasterKeyId": key})
        yield sns, sqs, topic["TopicArn"]


def leftovers(sns: Any, sqs: Any, topic_arn: str) -> tuple[list[Any], list[str]]:
    subscriptions = sns.list_subscriptions_by_topic(TopicArn=topic_arn)["Subscriptions"]
    return subscriptions, sqs.list_queues().get("QueueUrls", [])


def test_an_alert_published_to_the_topic_reaches_the_queue_then_everything_is_removed(
    aws: tuple[Any, Any, str],
) -> None:
    sns, sqs, topic_arn = aws
    with subscribed_queue(sns, sqs, topic_arn) as subscriber:
        queue = sqs.get_queue_attributes(QueueUrl=subscriber.queue_url, AttributeNames=["All"])
        attributes = queue["Attributes"]
        assert json.loads(attributes["Policy"]) == subscriber_queue_policy(subscriber.queue_arn, topic_arn)
        assert attributes["SqsManagedSseEnabled"] == "true"
        (subscription,) = sns.list_subscriptions_by_topic(TopicArn=topic_arn)["Subscriptions"]
        assert (subscription["Protocol"], subscription["Endpoint"]) == ("sqs", subscriber.queue_arn)
        raw = sns.get_subscription_attributes(SubscriptionArn=subscriber.subscription_arn)["Attributes"]
        assert raw["RawMessageDelivery"] == "true"

        sns.publish(TopicArn=topic_arn, Message=alert(resource_id="vol-0other"))
        sns.publish(TopicArn=topic_arn, Message=alert())
        found, others = wait_for_message(
            sqs,
            subscriber.queue_url,
            lambda text: is_non_compliant_alert(text, "AWS::EC2::Volume", VOLUME_ID, RULE),
            timeout=30,
        )
        assert found == alert()
        assert others == [alert(resource_id="vol-0other")]
    assert leftovers(sns, sqs, topic_arn) == ([], [])


def test_nothing_is_left_behind_when_the_test_inside_fails(aws: tuple[Any, Any, str]) -> None:
    sns, sqs, topic_arn = aws
    with pytest.raises(AssertionError, match="no alert"), subscribed_queue(sns, sqs, topic_arn):
        raise AssertionError("no alert")
    assert leftovers(sns, sqs, topic_arn) == ([], [])


class Recording:
    """Passes calls through to a client, records their names, and fails the ones told to."""

    def __init__(self, client: Any, calls: list[str], failing: str = "") -> None:
        self.client, self.calls, self.failing = client, calls, failing

    def __getattr__(self, name: str) -> Any:
        def call(**kwargs: Any) -> Any:
            self.calls.append(name)
            if name == self.failing:
                raise RuntimeError(f"{name} failed")
            return getattr(self.client, name)(**kwargs)

        return call


def test_the_subscription_goes_before_the_queue_and_a_failed_step_stops_no_other(
    aws: tuple[Any, Any, str],
) -> None:
    sns, sqs, topic_arn = aws
    calls: list[str] = []
    failing_sns = Recording(sns, calls, failing="unsubscribe")
    with (
        pytest.raises(RuntimeError, match="unsubscribe failed"),
        subscribed_queue(failing_sns, Recording(sqs, calls), topic_arn),
    ):
        pass
    assert calls[-2:] == ["unsubscribe", "delete_queue"]
    assert sqs.list_queues().get("QueueUrls", []) == []


def test_a_queue_made_before_a_failed_subscribe_is_deleted(aws: tuple[Any, Any, str]) -> None:
    sns, sqs, topic_arn = aws
    calls: list[str] = []
    failing_sns = Recording(sns, calls, failing="subscribe")
    with (
        pytest.raises(RuntimeError, match="subscribe failed"),
        subscribed_queue(failing_sns, Recording(sqs, calls), topic_arn),
    ):
        pytest.fail("the block must not run without a subscription")
    assert "unsubscribe" not in calls and calls[-1] == "delete_queue"
    assert leftovers(sns, sqs, topic_arn) == ([], [])


def test_waiting_ends_at_the_timeout_with_what_else_arrived(aws: tuple[Any, Any, str]) -> None:
    sns, sqs, topic_arn = aws
    with subscribed_queue(sns, sqs, topic_arn) as subscriber:
        sns.publish(TopicArn=topic_arn, Message=alert(rule="compliance-encryption-prod-eu-west-1"))
        found, others = wait_for_message(
            sqs,
            subscriber.queue_url,
            lambda text: is_non_compliant_alert(text, "AWS::EC2::Volume", VOLUME_ID, RULE),
            timeout=1,
        )
    assert found is None
    assert others == [alert(rule="compliance-encryption-prod-eu-west-1")]


def test_the_alert_is_read_raw_enveloped_or_quoted() -> None:
    text = alert()
    assert alert_text(text) == text
    assert alert_text(json.dumps(text)) == text
    envelope = {"Type": "Notification", "TopicArn": "arn:aws:sns:us-east-1:1:t", "Message": json.dumps(text)}
    assert alert_text(json.dumps(envelope)) == text
    assert alert_text('{"some": "json"}') == '{"some": "json"}'


def test_the_matcher_wants_this_resource_and_this_rule() -> None:
    def matches(text: str, resource_type: str = "AWS::EC2::Volume") -> bool:
        return is_non_compliant_alert(text, resource_type, VOLUME_ID, RULE)

    assert matches(alert())
    assert not matches(alert(resource_id=f"{VOLUME_ID}1"))
    assert not matches(alert(rule=f"{RULE}-2"))
    assert not matches(alert(), "AWS::EC2::Instance")
    assert not matches("EVALUATOR FAILING: compliance-errors-encryption-dev-eu-west-1 in account 1")
