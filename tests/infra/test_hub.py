"""ComplianceHub: key, archive bucket, IAM, alert topic and aggregator, in the primary region."""

from __future__ import annotations

import json
from typing import Any

from tests.infra.conftest import DEV_CONFIG
from tests.infra.program import ACCOUNT_ID, Deployment, Registration, run_program

HUB = "config-compliance:hub:ComplianceHub"


def only(deployment: Deployment, resource_type: str) -> Registration:
    found = deployment.of_type(resource_type)
    assert len(found) == 1, [r.name for r in found]
    return found[0]


def statements(document: str) -> dict[str, dict[str, Any]]:
    return {statement["Sid"]: statement for statement in json.loads(document)["Statement"]}


def test_hub_resources_use_the_primary_region_provider(dev: Deployment) -> None:
    hub = only(dev, HUB)
    children = [r for r in dev.children_of(hub) if r.type != "pulumi:providers:aws"]
    assert len(children) > 20
    assert {dev.region_of(r) for r in children} == {"us-east-1"}


def test_key_rotates_and_is_protected_with_the_bucket(dev: Deployment) -> None:
    key = only(dev, "aws:kms/key:Key")
    assert key.inputs["enableKeyRotation"] is True
    assert only(dev, "aws:kms/alias:Alias").inputs["name"] == "alias/config-compliance-dev"
    bucket = only(dev, "aws:s3/bucket:Bucket")
    for resource in (key, bucket):
        assert resource.protect and resource.retain_on_delete
    assert bucket.inputs["forceDestroy"] is False


def test_without_protect_data_destroy_removes_bucket_and_key() -> None:
    deployment = run_program({**DEV_CONFIG, "protectData": "false"})
    for resource_type in ("aws:kms/key:Key", "aws:s3/bucket:Bucket"):
        resource = only(deployment, resource_type)
        assert not resource.protect and not resource.retain_on_delete
    assert only(deployment, "aws:s3/bucket:Bucket").inputs["forceDestroy"] is True


def test_key_policy_lets_services_use_but_only_the_account_administer(dev: Deployment) -> None:
    policy = statements(only(dev, "aws:kms/key:Key").inputs["policy"])
    assert policy["AccountAdministersKey"]["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}
    services = {
        statement["Principal"]["Service"]: statement
        for sid, statement in policy.items()
        if sid != "AccountAdministersKey"
    }
    assert set(services) == {"config.amazonaws.com", "events.amazonaws.com", "sns.amazonaws.com"}
    for statement in services.values():
        assert statement["Action"] == ["kms:Decrypt", "kms:GenerateDataKey*"]
    for service in ("config.amazonaws.com", "sns.amazonaws.com"):
        assert services[service]["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT_ID}}


def test_eventbridge_may_use_the_key_without_source_conditions(dev: Deployment) -> None:
    """The SNS Developer Guide (sns-key-management.html, "Configuring AWS KMS permissions") says
    aws:SourceAccount, aws:SourceArn and aws:SourceOrgID are not supported in the key policy for
    EventBridge publishing to an encrypted topic: with any of them every alert fails (FailedInvocations)."""
    policy = statements(only(dev, "aws:kms/key:Key").inputs["policy"])
    (events,) = [s for s in policy.values() if s["Principal"] == {"Service": "events.amazonaws.com"}]
    conditions = json.dumps(events.get("Condition", {})).lower()
    for key in ("aws:sourceaccount", "aws:sourcearn", "aws:sourceorgid"):
        assert key not in conditions


def test_archive_bucket_is_named_private_versioned_and_kms_encrypted(dev: Deployment) -> None:
    bucket = only(dev, "aws:s3/bucket:Bucket")
    assert bucket.inputs["bucket"] == f"config-archive-dev-{ACCOUNT_ID}"
    key_arn = only(dev, "aws:kms/key:Key").state["arn"]

    versioning = only(dev, "aws:s3/bucketVersioning:BucketVersioning")
    assert versioning.inputs["versioningConfiguration"] == {"status": "Enabled"}
    encryption = only(
        dev, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    ).inputs["rules"][0]
    assert encryption["bucketKeyEnabled"] is True
    assert encryption["applyServerSideEncryptionByDefault"] == {
        "sseAlgorithm": "aws:kms",
        "kmsMasterKeyId": key_arn,
    }
    public_access = only(dev, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs
    for flag in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"):
        assert public_access[flag] is True
    ownership = only(dev, "aws:s3/bucketOwnershipControls:BucketOwnershipControls").inputs
    assert ownership["rule"] == {"objectOwnership": "BucketOwnerEnforced"}


def test_lifecycle_tiers_history_and_cleans_up(dev: Deployment) -> None:
    lifecycle = only(dev, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
    (rule,) = lifecycle.inputs["rules"]
    assert rule["status"] == "Enabled"
    assert rule["filter"] == {"prefix": "config/"}
    assert rule["transitions"] == [{"days": 90, "storageClass": "GLACIER_IR"}]
    assert rule["expiration"] == {"days": 2557}
    assert rule["noncurrentVersionExpiration"] == {"noncurrentDays": 30}
    assert rule["abortIncompleteMultipartUpload"] == {"daysAfterInitiation": 7}
    versioning = only(dev, "aws:s3/bucketVersioning:BucketVersioning")
    assert versioning.urn in lifecycle.dependencies


def test_archive_retention_setting_reaches_the_lifecycle() -> None:
    deployment = run_program({**DEV_CONFIG, "archiveRetentionDays": "400"})
    (rule,) = only(deployment, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs[
        "rules"
    ]
    assert rule["expiration"] == {"days": 400}


def test_bucket_policy_allows_config_delivery_from_this_account_over_tls_only(dev: Deployment) -> None:
    bucket = f"config-archive-dev-{ACCOUNT_ID}"
    policy = statements(only(dev, "aws:s3/bucketPolicy:BucketPolicy").inputs["policy"])
    source_account = {"aws:SourceAccount": ACCOUNT_ID}
    assert policy["AWSConfigBucketPermissionsCheck"]["Action"] == "s3:GetBucketAcl"
    assert policy["AWSConfigBucketExistenceCheck"]["Action"] == "s3:ListBucket"
    for sid in ("AWSConfigBucketPermissionsCheck", "AWSConfigBucketExistenceCheck"):
        assert policy[sid]["Resource"] == f"arn:aws:s3:::{bucket}"
        assert policy[sid]["Principal"] == {"Service": "config.amazonaws.com"}
        assert policy[sid]["Condition"] == {"StringEquals": source_account}
    delivery = policy["AWSConfigBucketDelivery"]
    # No region in the path: Config also writes Config/ConfigWritabilityCheckFile and Config/global/...
    assert delivery["Resource"] == f"arn:aws:s3:::{bucket}/config/AWSLogs/{ACCOUNT_ID}/Config/*"
    assert delivery["Condition"] == {
        "StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", **source_account}
    }
    deny = policy["DenyInsecureTransport"]
    assert deny["Effect"] == "Deny" and deny["Principal"] == "*"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert deny["Resource"] == [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]


def test_config_role_has_the_managed_policy_and_writes_only_its_prefix(dev: Deployment) -> None:
    role = next(r for r in dev.of_type("aws:iam/role:Role") if r.inputs["name"] == "config-recorder-dev")
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "config.amazonaws.com"}
    attachment = only(dev, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    assert attachment.inputs == {
        "role": "config-recorder-dev",
        "policyArn": "arn:aws:iam::aws:policy/service-role/AWS_ConfigRole",
    }
    delivery = next(
        r for r in dev.of_type("aws:iam/rolePolicy:RolePolicy") if r.inputs["role"] == "config-recorder-dev"
    )
    policy = statements(delivery.inputs["policy"])
    assert policy["WriteConfigHistory"]["Resource"].endswith(f"/config/AWSLogs/{ACCOUNT_ID}/Config/*")
    assert policy["EncryptConfigHistory"]["Resource"] == only(dev, "aws:kms/key:Key").state["arn"]


def test_alert_topic_is_encrypted_displayed_and_subscribed(dev: Deployment) -> None:
    topic = only(dev, "aws:sns/topic:Topic")
    assert topic.inputs["name"] == "config-compliance-alerts-dev"
    assert topic.inputs["displayName"] == "Config Compliance Alerts"
    assert topic.inputs["kmsMasterKeyId"] == only(dev, "aws:kms/key:Key").state["arn"]
    subscriptions = dev.of_type("aws:sns/topicSubscription:TopicSubscription")
    assert sorted(s.inputs["endpoint"] for s in subscriptions) == DEV_CONFIG["notificationEmails"]
    assert {s.inputs["protocol"] for s in subscriptions} == {"email"}


def test_topic_policy_admits_eventbridge_without_a_condition_and_denies_plain_http(dev: Deployment) -> None:
    """EventBridge User Guide, "Using resource-based policies for Amazon EventBridge" > "Amazon SNS
    permissions" (eb-use-resource-based.html#eb-sns-permissions): "You can't use `Condition` blocks in
    Amazon SNS topic policies for EventBridge." A condition there could lose every alert; the deny
    refuses plain HTTP and gates nothing."""
    topic_arn = only(dev, "aws:sns/topic:Topic").state["arn"]
    policy = json.loads(only(dev, "aws:sns/topicPolicy:TopicPolicy").inputs["policy"])
    assert policy == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AlertRulePublishes",
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": "sns:Publish",
                "Resource": topic_arn,
            },
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "sns:Publish",
                "Resource": topic_arn,
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
        ],
    }
    assert only(dev, "aws:sns/topicPolicy:TopicPolicy").inputs["arn"] == topic_arn
    topic_targets = [
        t for t in dev.of_type("aws:cloudwatch/eventTarget:EventTarget") if dev.region_of(t) == "us-east-1"
    ]
    assert len(topic_targets) == 2
    for target in topic_targets:
        assert target.inputs["arn"] == topic_arn
        # Publishing only works once the policy is in place.
        assert only(dev, "aws:sns/topicPolicy:TopicPolicy").urn in target.dependencies
        # A resource-based policy, not a role (eb-use-resource-based.html).
        assert "roleArn" not in target.inputs


def test_aggregator_covers_exactly_the_configured_regions(dev: Deployment) -> None:
    aggregator = only(dev, "aws:cfg/configurationAggregator:ConfigurationAggregator")
    assert aggregator.inputs["name"] == "config-compliance-dev"
    source = aggregator.inputs["accountAggregationSource"]
    assert source["accountIds"] == [ACCOUNT_ID]
    assert source["regions"] == DEV_CONFIG["regions"]
    assert "allRegions" not in source or source["allRegions"] is False


def test_stack_tags_reach_every_provider(dev: Deployment) -> None:
    providers = dev.of_type("pulumi:providers:aws")
    assert len(providers) == 4
    for provider in providers:
        tags = json.loads(provider.inputs["defaultTags"])["tags"]
        assert tags == {
            "Environment": "dev",
            "ManagedBy": "pulumi",
            "Project": "config-compliance",
            "Owner": "platform-team",
        }
