"""Every account-scope policy document of the dev stack, statement by statement, as a whole.

A document compared whole fails on any change: a dropped or added condition, a wider action, another
resource. Sources for each statement are in components/policies.py; the ones the tests lean on:
Config Developer Guide, "Permissions for the Amazon S3 Bucket" (s3-bucket-policy.html: GetBucketAcl,
ListBucket, PutObject under AWSLogs/<account>/Config with bucket-owner-full-control, aws:SourceAccount)
and "Permissions for the IAM Role Assigned to AWS Config" (iamrole-permissions.html); SNS Developer
Guide, "Managing Amazon SNS encryption keys and costs" (sns-key-management.html: EventBridge's key
statement without source conditions); IAM User Guide, "The confused deputy problem" (aws:SourceAccount
on service trust policies).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.infra.program import ACCOUNT_ID, Deployment

BUCKET = f"config-archive-dev-{ACCOUNT_ID}"
KEY_ARN = f"arn:aws:kms:us-east-1:{ACCOUNT_ID}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
THIS_ACCOUNT = {"StringEquals": {"aws:SourceAccount": ACCOUNT_ID}}
KMS_USE = ["kms:Decrypt", "kms:GenerateDataKey*"]


def document(deployment: Deployment, resource_type: str, field: str, **inputs: str) -> dict[str, Any]:
    (found,) = [
        r
        for r in deployment.of_type(resource_type)
        if all(r.inputs.get(key) == value for key, value in inputs.items())
    ]
    parsed: dict[str, Any] = json.loads(found.inputs[field])
    return parsed


def test_key_policy(dev: Deployment) -> None:
    def use(sid: str, service: str) -> dict[str, Any]:
        principal = {"Service": service}
        return {"Sid": sid, "Effect": "Allow", "Principal": principal, "Action": KMS_USE, "Resource": "*"}

    assert document(dev, "aws:kms/key:Key", "policy") == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AccountAdministersKey",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            {**use("ConfigDeliversEncryptedHistory", "config.amazonaws.com"), "Condition": THIS_ACCOUNT},
            use("EventBridgePublishesEncryptedAlerts", "events.amazonaws.com"),
            {**use("SnsUsesKeyForEncryptedTopic", "sns.amazonaws.com"), "Condition": THIS_ACCOUNT},
        ],
    }


def test_bucket_policy(dev: Deployment) -> None:
    config = {"Service": "config.amazonaws.com"}
    assert document(dev, "aws:s3/bucketPolicy:BucketPolicy", "policy") == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AWSConfigBucketPermissionsCheck",
                "Effect": "Allow",
                "Principal": config,
                "Action": "s3:GetBucketAcl",
                "Resource": f"arn:aws:s3:::{BUCKET}",
                "Condition": THIS_ACCOUNT,
            },
            {
                "Sid": "AWSConfigBucketExistenceCheck",
                "Effect": "Allow",
                "Principal": config,
                "Action": "s3:ListBucket",
                "Resource": f"arn:aws:s3:::{BUCKET}",
                "Condition": THIS_ACCOUNT,
            },
            {
                "Sid": "AWSConfigBucketDelivery",
                "Effect": "Allow",
                "Principal": config,
                "Action": "s3:PutObject",
                "Resource": f"arn:aws:s3:::{BUCKET}/config/AWSLogs/{ACCOUNT_ID}/Config/*",
                "Condition": {
                    "StringEquals": {
                        "s3:x-amz-acl": "bucket-owner-full-control",
                        "aws:SourceAccount": ACCOUNT_ID,
                    }
                },
            },
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [f"arn:aws:s3:::{BUCKET}", f"arn:aws:s3:::{BUCKET}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
        ],
    }


def test_config_role_delivery_policy(dev: Deployment) -> None:
    policy = document(dev, "aws:iam/rolePolicy:RolePolicy", "policy", role="config-recorder-dev")
    assert policy == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "WriteConfigHistory",
                "Effect": "Allow",
                "Action": "s3:PutObject",
                "Resource": f"arn:aws:s3:::{BUCKET}/config/AWSLogs/{ACCOUNT_ID}/Config/*",
                "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}},
            },
            {
                "Sid": "ReadBucketAcl",
                "Effect": "Allow",
                "Action": "s3:GetBucketAcl",
                "Resource": f"arn:aws:s3:::{BUCKET}",
            },
            {
                "Sid": "EncryptConfigHistory",
                "Effect": "Allow",
                "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                "Resource": KEY_ARN,
            },
        ],
    }


@pytest.mark.parametrize(
    ("role", "service"),
    [
        ("config-recorder-dev", "config.amazonaws.com"),
        ("compliance-encryption-dev", "lambda.amazonaws.com"),
        ("compliance-required-tags-dev", "lambda.amazonaws.com"),
        ("compliance-backup-dev", "lambda.amazonaws.com"),
        ("config-alert-forwarder-dev", "events.amazonaws.com"),
    ],
)
def test_each_role_trusts_its_one_service_on_behalf_of_this_account(
    dev: Deployment, role: str, service: str
) -> None:
    assert document(dev, "aws:iam/role:Role", "assumeRolePolicy", name=role) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": service},
                "Action": "sts:AssumeRole",
                "Condition": THIS_ACCOUNT,
            }
        ],
    }


def test_forwarder_policy(dev: Deployment) -> None:
    policy = document(dev, "aws:iam/rolePolicy:RolePolicy", "policy", role="config-alert-forwarder-dev")
    assert policy == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ForwardToPrimaryBus",
                "Effect": "Allow",
                "Action": "events:PutEvents",
                "Resource": f"arn:aws:events:us-east-1:{ACCOUNT_ID}:event-bus/default",
            }
        ],
    }
