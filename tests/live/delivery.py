"""End-to-end alert delivery for the live tests: a temporary SQS queue subscribed to the alert topic.

The queue uses SSE-SQS, which needs no key policy for SNS to send to it (SQS Developer Guide, "Configure
KMS permissions for AWS services": only SSE-KMS queues need the key to allow sns.amazonaws.com). The
topic's own SSE-KMS key concerns publishers only. SNS may send to the queue because the queue policy
allows sns.amazonaws.com sqs:SendMessage with aws:SourceArn = the topic (SNS Developer Guide,
"Subscribing an Amazon SQS queue to an Amazon SNS topic", sns-sqs-as-subscriber.html). The policy can
take a moment to apply after it is set (AWS SDK for Java, Topics.subscribeQueue), so subscribe before
the change whose alert is awaited. Raw message delivery hands the queue the message itself, without
SNS's JSON envelope (sns-large-payload-raw-message-delivery.html); the matcher accepts both anyway.

Everything created is removed afterwards whatever happens: subscription first, then the queue, each
attempted even if another step failed.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

# A queue's messages stay long enough for a slow Config evaluation; the queue is deleted anyway.
RETENTION_SECONDS = 3600
LONG_POLL_SECONDS = 20


def subscriber_queue_policy(queue_arn: str, topic_arn: str) -> dict[str, Any]:
    """Only the alert topic may send to the queue."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AlertTopicSends",
                "Effect": "Allow",
                "Principal": {"Service": "sns.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": topic_arn}},
            }
        ],
    }


def alert_text(body: str) -> str:
    """The alert a queue message carries: raw, in an SNS envelope, or as a JSON string literal.

    The alert rules' input template is a JSON string (components/alerts.py); EventBridge may hand it
    on quoted, so a body that parses as a JSON string is unquoted.
    """
    try:
        parsed = json.loads(body)
    except json.JSONDecodeError:
        return body
    if isinstance(parsed, dict) and parsed.get("Type") == "Notification":
        return alert_text(str(parsed["Message"]))
    return parsed if isinstance(parsed, str) else body


def is_non_compliant_alert(text: str, resource_type: str, resource_id: str, rule_name: str) -> bool:
    """Matches the NON_COMPLIANT alert template of components/alerts.py for one resource and rule."""
    return text.startswith(f"NON_COMPLIANT: {resource_type} {resource_id} in account ") and (
        f", fails Config rule {rule_name} (" in text
    )


@dataclass(frozen=True)
class Subscriber:
    queue_url: str
    queue_arn: str
    subscription_arn: str


@contextmanager
def subscribed_queue(
    sns: Any, sqs: Any, topic_arn: str, prefix: str = "compliance-live"
) -> Iterator[Subscriber]:
    """A new queue subscribed to the topic for the duration of the block; both removed afterwards."""
    with ExitStack() as cleanup:
        name = f"{prefix}-{uuid.uuid4().hex[:8]}"
        queue_url = sqs.create_queue(
            QueueName=name,
            Attributes={"SqsManagedSseEnabled": "true", "MessageRetentionPeriod": str(RETENTION_SECONDS)},
        )["QueueUrl"]
        cleanup.callback(sqs.delete_queue, QueueUrl=queue_url)
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        sqs.set_queue_attributes(
            QueueUrl=queue_url,
            Attributes={"Policy": json.dumps(subscriber_queue_policy(queue_arn, topic_arn))},
        )
        subscription_arn = sns.subscribe(
            TopicArn=topic_arn,
            Protocol="sqs",
            Endpoint=queue_arn,
            Attributes={"RawMessageDelivery": "true"},
            ReturnSubscriptionArn=True,
        )["SubscriptionArn"]
        # Registered last, so it runs first: no delivery is attempted to a queue being deleted.
        cleanup.callback(sns.unsubscribe, SubscriptionArn=subscription_arn)
        yield Subscriber(queue_url, queue_arn, subscription_arn)


def wait_for_message(
    sqs: Any, queue_url: str, matches: Callable[[str], bool], timeout: float
) -> tuple[str | None, list[str]]:
    """The first alert text that ``matches`` within ``timeout`` seconds, and every other text seen.

    Every message received is deleted, so none is seen twice.
    """
    deadline = time.monotonic() + timeout
    others: list[str] = []
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None, others
        received = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=int(min(LONG_POLL_SECONDS, max(remaining, 1))),
        ).get("Messages", [])
        for message in received:
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
        texts = [alert_text(message["Body"]) for message in received]
        for text in texts:
            if matches(text):
                return text, others
            others.append(text)
