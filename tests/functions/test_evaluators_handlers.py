"""Handlers end to end against moto: real resources, Config events, every call recorded.

PutEvaluations and GetComplianceDetailsByConfigRule (and AWS Backup selections, which moto lacks) are
answered at botocore's before-call hook by the ``api`` fixture; everything else is served by moto.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError, EndpointConnectionError
from evaluator_support import (
    ACCOUNT,
    REGION,
    RULE_NAME,
    ApiCalls,
    aws_error,
    change_event,
    client,
    configuration_item,
    give_db_instance_unique_resource_id,
    oversized_event,
    previous_results,
    scheduled_event,
)
from evaluators import backup, encryption, required_tags
from evaluators.errors import EvaluationIncompleteError, InvalidParameterError
from evaluators.inventory import ResourceFailure, SweepContext

from components.catalog import BACKUP, ENCRYPTION, EVALUATOR_PERMISSIONS, REQUIRED_TAGS, Check

pytestmark = pytest.mark.usefixtures("moto_aws")

# IAM action names that differ from the API operation name.
IAM_ACTION = {
    ("s3", "ListBuckets"): "s3:ListAllMyBuckets",
    ("s3", "GetBucketEncryption"): "s3:GetEncryptionConfiguration",
}
IAM_PREFIX = {"efs": "elasticfilesystem", "resourcegroupstaggingapi": "tag"}


def iam_actions(api: ApiCalls, services: dict[str, str]) -> set[str]:
    actions = set()
    for operation, _ in api.calls:
        service = services[operation]
        actions.add(IAM_ACTION.get((service, operation), f"{IAM_PREFIX.get(service, service)}:{operation}"))
    return actions - {p.action for p in EVALUATOR_PERMISSIONS}


@pytest.fixture
def operation_services(api: ApiCalls) -> dict[str, str]:
    """Operation name -> botocore service name, filled as calls are made."""
    services: dict[str, str] = {}

    def remember(model: Any, **kwargs: Any) -> None:
        services[model.name] = model.service_model.service_name

    assert boto3.DEFAULT_SESSION is not None
    boto3.DEFAULT_SESSION.events.register("provide-client-params", remember)
    return services


def assert_catalog_matches(check: Check, api: ApiCalls, services: dict[str, str]) -> None:
    assert iam_actions(api, services) == {p.action for p in check.read_permissions}


# --- estates --------------------------------------------------------------------------------------


def build_storage_estate() -> dict[str, str]:
    """One compliant and one non-compliant resource of each encryption type; returns name -> resource id."""
    ids: dict[str, str] = {}
    ec2, s3, rds, ddb, efs, sns, sqs = (
        client(s) for s in ("ec2", "s3", "rds", "dynamodb", "efs", "sns", "sqs")
    )
    kms_key = client("kms").create_key()["KeyMetadata"]["Arn"]
    ids["kms_key"] = kms_key
    ids["vol_enc"] = ec2.create_volume(
        Size=1, AvailabilityZone="us-east-1a", Encrypted=True, KmsKeyId=kms_key
    )["VolumeId"]
    ids["vol_plain"] = ec2.create_volume(
        Size=1,
        AvailabilityZone="us-east-1a",
        TagSpecifications=[{"ResourceType": "volume", "Tags": [{"Key": "Owner", "Value": "ops"}]}],
    )["VolumeId"]
    s3.create_bucket(Bucket="bucket-kms")
    s3.put_bucket_encryption(
        Bucket="bucket-kms",
        ServerSideEncryptionConfiguration={
            "Rules": [
                {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": kms_key}}
            ]
        },
    )
    s3.create_bucket(Bucket="bucket-default")
    s3.put_bucket_tagging(Bucket="bucket-default", Tagging={"TagSet": [{"Key": "Owner", "Value": "web"}]})
    client_eu = client("s3", "eu-west-1")
    client_eu.create_bucket(
        Bucket="bucket-elsewhere", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    for name, encrypted, retention in (("db-enc", True, 7), ("db-plain", False, 1)):
        rds.create_db_instance(
            DBInstanceIdentifier=name,
            DBInstanceClass="db.t3.micro",
            Engine="postgres",
            AllocatedStorage=20,
            MasterUsername="admin",
            MasterUserPassword="password123",
            StorageEncrypted=encrypted,
            BackupRetentionPeriod=retention,
            Tags=[{"Key": "Owner", "Value": "data"}] if encrypted else [],
        )
        ids[name] = give_db_instance_unique_resource_id(name)
    cluster = rds.create_db_cluster(
        DBClusterIdentifier="aurora",
        Engine="aurora-postgresql",
        MasterUsername="admin",
        MasterUserPassword="password123",
        StorageEncrypted=True,
        BackupRetentionPeriod=14,
    )["DBCluster"]
    ids["cluster"] = cluster["DbClusterResourceId"]
    rds.create_db_instance(
        DBInstanceIdentifier="aurora-1",
        DBClusterIdentifier="aurora",
        DBInstanceClass="db.r6g.large",
        Engine="aurora-postgresql",
    )
    ids["member"] = give_db_instance_unique_resource_id("aurora-1")
    table_args: dict[str, Any] = {
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "BillingMode": "PAY_PER_REQUEST",
    }
    ddb.create_table(TableName="table-owned", **table_args)
    ddb.create_table(
        TableName="table-kms",
        SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": kms_key},
        **table_args,
    )
    ddb.update_continuous_backups(
        TableName="table-kms", PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )
    ids["fs_enc"] = efs.create_file_system(
        CreationToken="enc",
        Encrypted=True,
        KmsKeyId=kms_key,
        Backup=True,
        Tags=[{"Key": "Owner", "Value": "x"}],
    )["FileSystemId"]
    ids["fs_plain"] = efs.create_file_system(CreationToken="plain", Encrypted=False)["FileSystemId"]
    ids["topic_kms"] = sns.create_topic(
        Name="topic-kms",
        Attributes={"KmsMasterKeyId": "alias/aws/sns"},
        Tags=[{"Key": "Owner", "Value": "x"}],
    )["TopicArn"]
    ids["topic_plain"] = sns.create_topic(Name="topic-plain")["TopicArn"]
    ids["queue_kms"] = sqs.create_queue(
        QueueName="queue-kms", Attributes={"KmsMasterKeyId": "alias/aws/sqs"}
    )["QueueUrl"]
    ids["queue_sse"] = sqs.create_queue(
        QueueName="queue-sse", Attributes={"SqsManagedSseEnabled": "true"}, tags={"Owner": "x"}
    )["QueueUrl"]
    ids["queue_plain"] = sqs.create_queue(
        QueueName="queue-plain", Attributes={"SqsManagedSseEnabled": "false"}
    )["QueueUrl"]
    return ids


# --- encryption -----------------------------------------------------------------------------------


def test_encryption_sweep_evaluates_every_resource_once(
    api: ApiCalls, operation_services: dict[str, str]
) -> None:
    ids = build_storage_estate()
    result = encryption.handler(scheduled_event(), None)
    verdicts = api.verdicts()
    assert verdicts == {
        ids["vol_enc"]: "COMPLIANT",
        ids["vol_plain"]: "NON_COMPLIANT",
        "bucket-kms": "COMPLIANT",
        "bucket-default": "COMPLIANT",
        ids["db-enc"]: "COMPLIANT",
        ids["db-plain"]: "NON_COMPLIANT",
        ids["cluster"]: "COMPLIANT",
        ids["member"]: "COMPLIANT",  # Aurora instances report their cluster's storage encryption
        "table-owned": "COMPLIANT",
        "table-kms": "COMPLIANT",
        ids["fs_enc"]: "COMPLIANT",
        ids["fs_plain"]: "NON_COMPLIANT",
        ids["topic_kms"]: "COMPLIANT",
        ids["topic_plain"]: "NON_COMPLIANT",
        ids["queue_kms"]: "COMPLIANT",
        ids["queue_sse"]: "COMPLIANT",
        ids["queue_plain"]: "NON_COMPLIANT",
    }
    assert len(api.evaluations()) == len(verdicts)
    assert result == {
        "messageType": "ScheduledNotification",
        "evaluations": {"COMPLIANT": 12, "NON_COMPLIANT": 5},
    }
    assert {e["OrderingTimestamp"].isoformat() for e in api.evaluations()} == {"2026-11-20T12:00:00+00:00"}
    assert_catalog_matches(ENCRYPTION, api, operation_services)
    counts = api.count()
    assert (
        counts["DescribeVolumes"] == 1 and counts["ListBuckets"] == 1 and counts["GetBucketEncryption"] == 2
    )
    assert counts["PutEvaluations"] == 1


def test_encryption_sweep_with_require_kms_and_allow_list(api: ApiCalls) -> None:
    ids = build_storage_estate()
    encryption.handler(scheduled_event({"requireKms": "true", "kmsKeyArns": ids["kms_key"]}), None)
    verdicts = api.verdicts()
    assert verdicts["bucket-kms"] == "COMPLIANT"
    assert verdicts["bucket-default"] == "NON_COMPLIANT"
    assert verdicts["table-owned"] == "NON_COMPLIANT"
    assert verdicts["table-kms"] == "COMPLIANT"
    assert verdicts[ids["queue_sse"]] == "NON_COMPLIANT"
    assert verdicts[ids["topic_kms"]] == "NON_COMPLIANT"  # alias/aws/sns is not the allowed key
    assert verdicts[ids["vol_enc"]] == "COMPLIANT"


def test_sweep_marks_vanished_resources_not_applicable(api: ApiCalls) -> None:
    ids = build_storage_estate()
    previous = [
        ("AWS::EC2::Volume", "vol-gone"),
        ("AWS::EC2::Volume", ids["vol_enc"]),
        ("AWS::Lambda::Function", "f"),
    ]
    api.respond("GetComplianceDetailsByConfigRule", lambda params: previous_results(previous))
    encryption.handler(scheduled_event(), None)
    verdicts = api.verdicts()
    assert verdicts["vol-gone"] == "NOT_APPLICABLE"
    assert verdicts[ids["vol_enc"]] == "COMPLIANT"
    assert "f" not in verdicts  # a type the sweep does not list is left alone
    request = next(p for n, p in api.calls if n == "GetComplianceDetailsByConfigRule")
    assert request == {
        "ConfigRuleName": RULE_NAME,
        "ComplianceTypes": ["COMPLIANT", "NON_COMPLIANT"],
        "Limit": 100,
    }


def test_access_denied_on_one_bucket_still_posts_the_rest(api: ApiCalls) -> None:
    ids = build_storage_estate()
    real = client("s3")

    def deny_one(params: dict[str, Any]) -> dict[str, Any]:
        if params["Bucket"] == "bucket-kms":
            return aws_error("AccessDenied", "Access Denied", 403)
        return real.get_bucket_encryption(Bucket=params["Bucket"])

    api.respond("GetBucketEncryption", deny_one)
    with pytest.raises(
        EvaluationIncompleteError, match=r"AWS::S3::Bucket bucket-kms \(AccessDenied: Access Denied\)"
    ):
        encryption.handler(scheduled_event(), None)
    verdicts = api.verdicts()
    assert "bucket-kms" not in verdicts
    assert verdicts["bucket-default"] == "COMPLIANT" and verdicts[ids["vol_plain"]] == "NON_COMPLIANT"


def test_failed_listing_keeps_that_types_previous_results(api: ApiCalls) -> None:
    build_storage_estate()
    api.respond("DescribeVolumes", lambda params: aws_error("UnauthorizedOperation", "no", 403))
    api.respond(
        "GetComplianceDetailsByConfigRule",
        lambda params: previous_results([("AWS::EC2::Volume", "vol-old")]),
    )
    with pytest.raises(EvaluationIncompleteError, match=r"AWS::EC2::Volume \* \(UnauthorizedOperation: no\)"):
        encryption.handler(scheduled_event(), None)
    assert "vol-old" not in api.verdicts()  # not seen, but not known to be gone either
    assert "bucket-kms" in api.verdicts()


def test_unreadable_previous_results_fail_the_run_after_posting(api: ApiCalls) -> None:
    build_storage_estate()
    api.respond(
        "GetComplianceDetailsByConfigRule", lambda params: aws_error("AccessDeniedException", "no", 400)
    )
    with pytest.raises(EvaluationIncompleteError, match=r"previous results compliance-check-dev"):
        encryption.handler(scheduled_event(), None)
    assert len(api.verdicts()) == 17


def test_refused_evaluations_fail_the_run(api: ApiCalls, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("evaluators.reporting.time.sleep", lambda seconds: None)
    client("s3").create_bucket(Bucket="only")
    api.respond("PutEvaluations", lambda params: {"FailedEvaluations": params["Evaluations"]})
    with pytest.raises(EvaluationIncompleteError, match=r"AWS::S3::Bucket only \(refused by Config\)"):
        encryption.handler(scheduled_event(), None)
    event = change_event(configuration_item("AWS::S3::Bucket", "only", {"name": "only"}))
    with pytest.raises(EvaluationIncompleteError, match="Config refused the evaluation"):
        encryption.handler(event, None)


def test_throttled_listing_is_retried_by_botocore(api: ApiCalls) -> None:
    client("ec2").create_volume(Size=1, AvailabilityZone="us-east-1a")
    attempts: list[str] = []

    def throttle_first(request: Any, **kwargs: Any) -> AWSResponse | None:
        attempts.append("send")
        if len(attempts) > 1:
            return None
        body = (
            b"<Response><Errors><Error><Code>RequestLimitExceeded</Code>"
            b"<Message>slow down</Message></Error></Errors></Response>"
        )
        return AWSResponse(request.url, 503, {}, _Raw(body))

    assert boto3.DEFAULT_SESSION is not None
    boto3.DEFAULT_SESSION.events.register_first("before-send.ec2.DescribeVolumes", throttle_first)
    list_volumes = encryption.CHECK.listers["AWS::EC2::Volume"]
    listed = list(list_volumes(SweepContext(REGION, ACCOUNT, "aws")))
    assert len(listed) == 1 and len(attempts) == 2
    assert api.count()["DescribeVolumes"] == 1  # one API call, two HTTP attempts


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **kwargs: Any) -> Any:
        yield self.body


def test_empty_region_still_posts_once(api: ApiCalls) -> None:
    assert encryption.handler(scheduled_event(token="TESTMODE"), None)["evaluations"] == {}
    puts = [p for n, p in api.calls if n == "PutEvaluations"]
    assert puts == [{"Evaluations": [], "ResultToken": "TESTMODE", "TestMode": True}]


# --- change events --------------------------------------------------------------------------------


def test_change_event_posts_exactly_one_evaluation(api: ApiCalls) -> None:
    item = configuration_item(
        "AWS::EC2::Volume", "vol-9", {"volumeId": "vol-9", "encrypted": False}, version="1.2"
    )
    encryption.handler(change_event(item), None)
    [evaluation] = api.evaluations()
    assert evaluation["ComplianceResourceId"] == "vol-9"
    assert evaluation["ComplianceType"] == "NON_COMPLIANT"
    assert evaluation["Annotation"] == "EBS volume is not encrypted at rest."
    assert evaluation["OrderingTimestamp"].isoformat() == "2026-11-20T10:00:00+00:00"
    assert [n for n, _ in api.calls] == ["PutEvaluations"]


@pytest.mark.parametrize(
    ("status", "left_scope"),
    [
        ("ResourceDeleted", False),
        ("ResourceDeletedNotRecorded", False),
        ("ResourceNotRecorded", False),
        ("OK", True),
    ],
)
def test_deleted_or_out_of_scope_is_not_applicable(api: ApiCalls, status: str, left_scope: bool) -> None:
    item = configuration_item("AWS::EC2::Volume", "vol-9", None, status=status)
    required_tags.handler(change_event(item, {"requiredTags": "Owner"}, eventLeftScope=left_scope), None)
    assert api.verdicts() == {"vol-9": "NOT_APPLICABLE"}


def test_oversized_item_is_fetched_from_config_history(api: ApiCalls) -> None:
    s3 = client("s3")
    s3.create_bucket(Bucket="big-bucket")
    s3.put_bucket_tagging(Bucket="big-bucket", Tagging={"TagSet": [{"Key": "Owner", "Value": "web"}]})
    item = configuration_item("AWS::S3::Bucket", "big-bucket", {"name": "big-bucket"}, version="1.2")
    required_tags.handler(oversized_event(item, {"requiredTags": "Owner,Environment"}), None)
    history = next(p for n, p in api.calls if n == "GetResourceConfigHistory")
    assert history["resourceType"] == "AWS::S3::Bucket" and history["limit"] == 1
    assert history["laterTime"].isoformat() == "2026-11-20T10:00:00+00:00"
    [evaluation] = api.evaluations()
    assert evaluation["ComplianceType"] == "NON_COMPLIANT"
    assert evaluation["Annotation"] == "missing tag 'Environment'."


def test_oversized_deleted_item_needs_no_fetch(api: ApiCalls) -> None:
    item = configuration_item("AWS::S3::Bucket", "gone", None, status="ResourceDeleted")
    encryption.handler(oversized_event(item), None)
    assert [n for n, _ in api.calls] == ["PutEvaluations"]


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ({"configurationItems": []}, "Config returned no configuration history"),
        (
            aws_error("ResourceNotDiscoveredException", "Resource b is unknown"),
            "ResourceNotDiscoveredException: Resource b is unknown",
        ),
    ],
)
def test_oversized_item_config_cannot_return_fails_naming_the_resource(
    api: ApiCalls, answer: dict[str, Any], reason: str
) -> None:
    api.respond("GetResourceConfigHistory", lambda params: answer)
    item = configuration_item("AWS::S3::Bucket", "b", {"name": "b"})
    with pytest.raises(EvaluationIncompleteError) as raised:
        encryption.handler(oversized_event(item), None)
    assert str(raised.value) == (
        f"could not read the oversized configuration item (1): AWS::S3::Bucket b ({reason})"
    )
    assert raised.value.resources == [f"AWS::S3::Bucket b ({reason})"]
    assert api.evaluations() == []


def test_oversized_history_showing_deletion_is_not_applicable(api: ApiCalls) -> None:
    deleted = {
        **configuration_item("AWS::S3::Bucket", "b", None, status="ResourceDeleted"),
        "accountId": ACCOUNT,
    }
    api.respond("GetResourceConfigHistory", lambda params: {"configurationItems": [deleted]})
    encryption.handler(oversized_event(configuration_item("AWS::S3::Bucket", "b", {"name": "b"})), None)
    assert api.verdicts() == {"b": "NOT_APPLICABLE"}


def test_change_event_without_evidence_fails_and_posts_nothing(api: ApiCalls) -> None:
    item = configuration_item("AWS::EC2::Volume", "vol-9", {"volumeId": "vol-9"})
    with pytest.raises(
        EvaluationIncompleteError, match=r"AWS::EC2::Volume vol-9 \(missing evidence: configuration.encrypted"
    ):
        encryption.handler(change_event(item), None)
    assert api.calls == []


def test_malformed_parameters_fail_before_any_call(api: ApiCalls) -> None:
    with pytest.raises(InvalidParameterError, match="'minRetentionDays'"):
        backup.handler(scheduled_event({"minRetentionDays": "week"}), None)
    with pytest.raises(InvalidParameterError, match="'requiredTags'"):
        required_tags.handler(scheduled_event(), None)
    with pytest.raises(InvalidParameterError, match="'minRetention': unknown parameter"):
        backup.handler(scheduled_event({"minRetention": "7"}), None)
    with pytest.raises(InvalidParameterError, match="'requiredTag': unknown parameter"):
        required_tags.handler(scheduled_event({"requiredTag": "Owner"}), None)
    with pytest.raises(InvalidParameterError, match="'kmsKeyArn': unknown parameter"):
        encryption.handler(scheduled_event({"kmsKeyArn": "arn:aws:kms:us-east-1:1:key/k"}), None)
    assert api.calls == []


# --- required tags --------------------------------------------------------------------------------


def test_required_tags_sweep(api: ApiCalls, operation_services: dict[str, str]) -> None:
    ids = build_storage_estate()
    reservation = client("ec2").run_instances(
        ImageId="ami-12c6146b",
        MinCount=1,
        MaxCount=1,
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Owner", "Value": "ops"}]}],
    )
    instance_id = reservation["Instances"][0]["InstanceId"]
    terminated = client("ec2").run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1)["Instances"][0]
    client("ec2").terminate_instances(InstanceIds=[terminated["InstanceId"]])
    required_tags.handler(scheduled_event({"requiredTags": "Owner"}), None)
    verdicts = api.verdicts()
    assert verdicts[instance_id] == "COMPLIANT"
    assert terminated["InstanceId"] not in verdicts
    assert verdicts[ids["vol_plain"]] == "COMPLIANT" and verdicts[ids["vol_enc"]] == "NON_COMPLIANT"
    assert verdicts["bucket-default"] == "COMPLIANT" and verdicts["bucket-kms"] == "NON_COMPLIANT"
    assert verdicts[ids["db-enc"]] == "COMPLIANT" and verdicts[ids["db-plain"]] == "NON_COMPLIANT"
    assert verdicts[ids["fs_enc"]] == "COMPLIANT" and verdicts[ids["fs_plain"]] == "NON_COMPLIANT"
    assert verdicts[ids["topic_kms"]] == "COMPLIANT" and verdicts[ids["topic_plain"]] == "NON_COMPLIANT"
    assert verdicts[ids["queue_sse"]] == "COMPLIANT" and verdicts[ids["queue_kms"]] == "NON_COMPLIANT"
    assert verdicts["table-owned"] == "NON_COMPLIANT"
    assert "bucket-elsewhere" not in verdicts
    assert verdicts[ids["member"]] == "NON_COMPLIANT"
    assert len(verdicts) == 19
    assert_catalog_matches(REQUIRED_TAGS, api, operation_services)
    # One GetResources pagination carries every service whose list API returns no tags.
    [tag_request] = [p for n, p in api.calls if n == "GetResources"]
    filters = ["s3", "dynamodb:table", "sns", "sqs"]
    assert tag_request == {"ResourceTypeFilters": filters, "ResourcesPerPage": 100}


def test_required_tags_reads_table_tags_from_the_tagging_api(api: ApiCalls) -> None:
    ddb = client("dynamodb")
    for name in ("tagged", "untagged"):
        ddb.create_table(
            TableName=name,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
    arn = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/tagged"
    api.respond(
        "GetResources",
        lambda params: (
            {"ResourceTagMappingList": [{"ResourceARN": arn, "Tags": [{"Key": "Owner", "Value": "x"}]}]}
            if "dynamodb:table" in params["ResourceTypeFilters"]
            else {"ResourceTagMappingList": []}
        ),
    )
    required_tags.handler(scheduled_event({"requiredTags": "Owner"}), None)
    assert api.verdicts() == {"tagged": "COMPLIANT", "untagged": "NON_COMPLIANT"}


# --- backup ---------------------------------------------------------------------------------------


def serve_backup_selections(api: ApiCalls, selections: dict[str, dict[str, Any]]) -> None:
    """Answer ListBackupSelections/GetBackupSelection (moto lacks them) for plans created in moto."""
    api.respond(
        "ListBackupSelections",
        lambda params: {
            "BackupSelectionsList": [
                {"SelectionId": sid, "BackupPlanId": params["BackupPlanId"]} for sid in selections
            ]
        },
    )
    api.respond(
        "GetBackupSelection",
        lambda params: {
            "BackupSelection": selections[params["SelectionId"]],
            "BackupPlanId": params["BackupPlanId"],
        },
    )


def test_backup_sweep(api: ApiCalls, operation_services: dict[str, str]) -> None:
    ids = build_storage_estate()
    client("backup").create_backup_plan(
        BackupPlan={
            "BackupPlanName": "daily",
            "Rules": [{"RuleName": "r", "TargetBackupVaultName": "Default"}],
        }
    )
    role = f"arn:aws:iam::{ACCOUNT}:role/backup"
    serve_backup_selections(
        api,
        {
            "by-tag": {
                "SelectionName": "by-tag",
                "IamRoleArn": role,
                "Resources": ["*"],
                "Conditions": {
                    "StringEquals": [{"ConditionKey": "aws:ResourceTag/Owner", "ConditionValue": "ops"}]
                },
            },
            "databases": {
                "SelectionName": "databases",
                "IamRoleArn": role,
                "Resources": [
                    "arn:aws:rds:*:*:db:*",
                    "arn:aws:rds:*:*:cluster:*",
                    "arn:aws:dynamodb:*:*:table/*",
                    "arn:aws:elasticfilesystem:*:*:file-system/*",
                ],
                "NotResources": ["arn:aws:dynamodb:*:*:table/table-owned"],
            },
        },
    )
    backup.handler(scheduled_event(), None)
    verdicts = api.verdicts()
    assert verdicts == {
        ids["vol_plain"]: "COMPLIANT",  # tagged Owner=ops
        ids["vol_enc"]: "NON_COMPLIANT",  # no plan
        ids["db-enc"]: "COMPLIANT",
        ids["db-plain"]: "NON_COMPLIANT",  # retention 1 day
        ids["cluster"]: "COMPLIANT",
        ids["member"]: "NOT_APPLICABLE",  # backed up with its cluster
        "table-kms": "COMPLIANT",
        "table-owned": "NON_COMPLIANT",  # no PITR, excluded by NotResources
        ids["fs_enc"]: "COMPLIANT",
        ids["fs_plain"]: "NON_COMPLIANT",  # no backup policy
    }
    annotations = {e["ComplianceResourceId"]: e.get("Annotation") for e in api.evaluations()}
    assert (
        annotations["table-owned"]
        == "point-in-time recovery is DISABLED; not selected by any AWS Backup plan."
    )
    assert annotations[ids["fs_plain"]] == "automatic backups are DISABLED."
    assert_catalog_matches(BACKUP, api, operation_services)


def test_backup_change_event_reads_plans_once_per_container(
    api: ApiCalls, monkeypatch: pytest.MonkeyPatch
) -> None:
    item = configuration_item(
        "AWS::EC2::Volume", "vol-1", {"volumeId": "vol-1"}, arn=f"arn:aws:ec2:{REGION}:{ACCOUNT}:volume/vol-1"
    )
    clock = [1000.0]
    monkeypatch.setattr("evaluators.backup.time.monotonic", lambda: clock[0])
    backup.handler(change_event(item), None)
    assert api.verdicts() == {"vol-1": "NON_COMPLIANT"}
    assert [n for n, _ in api.calls] == ["ListBackupPlans", "PutEvaluations"]
    # A warm container: the change event makes exactly one call while the selections are fresh enough.
    api.calls.clear()
    clock[0] += backup.SELECTIONS_MAX_AGE_SECONDS
    backup.handler(change_event(item), None)
    assert [n for n, _ in api.calls] == ["PutEvaluations"]
    api.calls.clear()
    clock[0] += 1
    backup.handler(change_event(item), None)
    assert [n for n, _ in api.calls] == ["ListBackupPlans", "PutEvaluations"]
    # A sweep always reads afresh, and what it reads serves later change events.
    api.calls.clear()
    backup.handler(scheduled_event(), None)
    assert api.count()["ListBackupPlans"] == 1
    api.calls.clear()
    backup.handler(change_event(item), None)
    assert [n for n, _ in api.calls] == ["PutEvaluations"]
    assert backup.SELECTIONS_MAX_AGE_SECONDS <= 15 * 60


def test_backup_without_plan_test_reads_no_plans(api: ApiCalls) -> None:
    parameters = {"requireBackupPlan": "false"}
    volume = configuration_item("AWS::EC2::Volume", "vol-1", {"volumeId": "vol-1"})
    backup.handler(change_event(volume, parameters), None)
    assert [n for n, _ in api.calls] == ["PutEvaluations"]
    assert api.verdicts() == {"vol-1": "NOT_APPLICABLE"}
    ids = build_storage_estate()
    api.calls.clear()
    backup.handler(scheduled_event(parameters), None)
    assert not {"ListBackupPlans", "ListBackupSelections", "GetBackupSelection"} & set(api.count())
    verdicts = api.verdicts()
    assert verdicts[ids["vol_plain"]] == "NOT_APPLICABLE" and verdicts[ids["vol_enc"]] == "NOT_APPLICABLE"
    assert verdicts["table-kms"] == "COMPLIANT"  # point-in-time recovery alone suffices
    assert verdicts["table-owned"] == "NON_COMPLIANT"
    assert verdicts[ids["db-enc"]] == "COMPLIANT" and verdicts[ids["db-plain"]] == "NON_COMPLIANT"


def test_backup_sweep_reports_efs_policy_errors_per_file_system(api: ApiCalls) -> None:
    fs = client("efs").create_file_system(CreationToken="t", Backup=True)["FileSystemId"]
    api.respond("DescribeBackupPolicy", lambda params: aws_error("AccessDeniedException", "denied", 403))
    with pytest.raises(EvaluationIncompleteError, match=f"AWS::EFS::FileSystem {fs}"):
        backup.handler(scheduled_event(), None)


def test_each_check_sweeps_exactly_its_catalogue_resource_types() -> None:
    assert encryption.CHECK.resource_types == ENCRYPTION.resource_types
    assert required_tags.CHECK.resource_types == REQUIRED_TAGS.resource_types
    assert backup.CHECK.resource_types == BACKUP.resource_types
    handlers = {
        ENCRYPTION.handler: encryption.handler,
        REQUIRED_TAGS.handler: required_tags.handler,
        BACKUP.handler: backup.handler,
    }
    for path, function in handlers.items():
        module, name = path.rsplit(".", 1)
        assert f"{function.__module__}.{function.__name__}" == f"{module}.{name}"


def test_sweep_reports_a_resource_whose_description_lacks_evidence(api: ApiCalls) -> None:
    client("s3").create_bucket(Bucket="fine")
    cluster = {"DbClusterResourceId": "cluster-X", "DBClusterArn": "arn:aws:rds:us-east-1:1:cluster:x"}
    api.respond("DescribeDBClusters", lambda params: {"DBClusters": [cluster]})
    with pytest.raises(EvaluationIncompleteError, match=r"AWS::RDS::DBCluster cluster-X \(missing evidence"):
        encryption.handler(scheduled_event(), None)
    assert api.verdicts() == {"fine": "COMPLIANT"}  # never guessed, the rest still posted


def test_connection_errors_on_one_resource_are_reported_per_resource() -> None:

    def fetch(key: str) -> Any:
        raise EndpointConnectionError(endpoint_url="https://example")

    [failure] = SweepContext(REGION, ACCOUNT, "aws").read_each("AWS::SNS::Topic", ["t1"], fetch)
    assert isinstance(failure, ResourceFailure)
    assert failure.describe().startswith("AWS::SNS::Topic t1 (EndpointConnectionError: Could not connect")


# --- concurrency and page sizes ------------------------------------------------------------------


def test_a_concurrent_sweep_posts_every_evaluation_exactly_once(api: ApiCalls) -> None:
    ec2, sqs = client("ec2"), client("sqs")
    volumes = {ec2.create_volume(Size=1, AvailabilityZone="us-east-1a")["VolumeId"] for _ in range(130)}
    queues = {sqs.create_queue(QueueName=f"q{i}")["QueueUrl"] for i in range(90)}
    api.respond("ListBuckets", lambda params: aws_error("AccessDenied", "no", 403))
    with pytest.raises(EvaluationIncompleteError, match=r"AWS::S3::Bucket \* \(AccessDenied: no\)"):
        encryption.handler(scheduled_event(), None)
    posted = [(e["ComplianceResourceType"], e["ComplianceResourceId"]) for e in api.evaluations()]
    assert len(posted) == len(set(posted)) == 220  # the failed type leaves every other type posted
    assert {i for t, i in posted if t == "AWS::EC2::Volume"} == volumes
    assert {i for t, i in posted if t == "AWS::SQS::Queue"} == queues
    batches = [len(p["Evaluations"]) for n, p in api.calls if n == "PutEvaluations"]
    assert sorted(batches) == [20, 100, 100]


def test_per_resource_reads_overlap_within_their_bound(
    api: ApiCalls, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("evaluators.sweep.READ_CONCURRENCY", 4)
    s3 = client("s3")
    for i in range(24):
        s3.create_bucket(Bucket=f"bucket-{i}")
    in_flight, peak = [0], [0]
    lock = threading.Lock()

    def slow(params: dict[str, Any]) -> dict[str, Any]:
        with lock:
            in_flight[0] += 1
            peak[0] = max(peak[0], in_flight[0])
        time.sleep(0.02)
        with lock:
            in_flight[0] -= 1
        return aws_error("ServerSideEncryptionConfigurationNotFoundError", "none", 404)

    api.respond("GetBucketEncryption", slow)
    encryption.handler(scheduled_event(), None)
    assert peak[0] == 4
    assert len(api.verdicts()) == 24


def test_volumes_are_listed_in_pages_of_1000(api: ApiCalls) -> None:
    encryption.handler(scheduled_event(), None)
    [request] = [p for n, p in api.calls if n == "DescribeVolumes"]
    assert request == {"MaxResults": 1000}


def test_read_replicas_in_a_backup_sweep(api: ApiCalls) -> None:
    rds = client("rds")
    rds.create_db_instance(
        DBInstanceIdentifier="orders",
        DBInstanceClass="db.t3.micro",
        Engine="postgres",
        AllocatedStorage=20,
        MasterUsername="admin",
        MasterUserPassword="password123",
        BackupRetentionPeriod=7,
    )
    source = give_db_instance_unique_resource_id("orders")
    rds.create_db_instance_read_replica(
        DBInstanceIdentifier="orders-replica", SourceDBInstanceIdentifier="orders"
    )
    replica = give_db_instance_unique_resource_id("orders-replica")
    parameters = {"requireBackupPlan": "false"}
    backup.handler(scheduled_event(parameters), None)
    assert api.verdicts()[replica] == "NOT_APPLICABLE" and api.verdicts()[source] == "COMPLIANT"
    api.calls.clear()
    backup.handler(scheduled_event({**parameters, "checkReadReplicas": "true"}), None)
    evaluated = next(e for e in api.evaluations() if e["ComplianceResourceId"] == replica)
    # moto copies the source's 7-day retention to the replica: evaluated on it, not set aside.
    assert evaluated["Annotation"] == "Native backups are on (requireBackupPlan=false)."


# --- cold start ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("module", "parameters", "services"),
    [
        (encryption, None, {"config"}),
        (required_tags, {"requiredTags": "Owner"}, {"config"}),
        (backup, None, {"config", "backup"}),
        (backup, {"requireBackupPlan": "false"}, {"config"}),
    ],
)
def test_a_change_event_creates_only_the_clients_it_needs(
    api: ApiCalls, module: Any, parameters: dict[str, str] | None, services: set[str]
) -> None:
    from evaluators import aws

    item = configuration_item("AWS::EC2::Volume", "vol-1", {"volumeId": "vol-1", "encrypted": True})
    module.handler(change_event(item, parameters), None)
    assert set(aws._clients) == services


def test_importing_a_handler_leaves_the_sweep_code_unloaded() -> None:
    code = (
        "import sys, evaluators.encryption, evaluators.required_tags, evaluators.backup; "
        "print(sorted(m for m in ('evaluators.sweep', 'evaluators.metrics') if m in sys.modules))"
    )
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root / "functions")}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_unreadable_plan_selections_fail_the_sweep_naming_the_cause(api: ApiCalls) -> None:
    client("ec2").create_volume(Size=1, AvailabilityZone="us-east-1a")
    api.respond("ListBackupPlans", lambda params: aws_error("AccessDeniedException", "denied", 403))
    with pytest.raises(
        EvaluationIncompleteError,
        match=r"^backup: could not prepare the evaluation \(1\): AccessDeniedException: denied$",
    ):
        backup.handler(scheduled_event(), None)
    assert api.evaluations() == []  # no verdict without the selections it depends on


def test_unreadable_tags_fail_each_type_that_needs_them_and_spare_the_rest(api: ApiCalls) -> None:
    ids = build_storage_estate()
    api.respond("GetResources", lambda params: aws_error("ThrottlingException", "slow down", 400))
    with pytest.raises(EvaluationIncompleteError) as raised:
        required_tags.handler(scheduled_event({"requiredTags": "Owner"}), None)
    assert sorted(raised.value.resources) == [
        f"{t} * (ThrottlingException: slow down)"
        for t in ("AWS::DynamoDB::Table", "AWS::S3::Bucket", "AWS::SNS::Topic", "AWS::SQS::Queue")
    ]
    assert [n for n, _ in api.calls].count("GetResources") == 1  # the one pagination, shared
    assert api.verdicts()[ids["vol_plain"]] == "COMPLIANT" and api.verdicts()[ids["fs_enc"]] == "COMPLIANT"


def test_a_failing_batch_does_not_stop_the_others(api: ApiCalls) -> None:
    ec2 = client("ec2")
    for _ in range(150):
        ec2.create_volume(Size=1, AvailabilityZone="us-east-1a")
    posted: list[int] = []

    def refuse_first_batch(params: dict[str, Any]) -> dict[str, Any]:
        if len(params["Evaluations"]) == 100:
            return aws_error("InvalidResultTokenException", "expired", 400)
        posted.append(len(params["Evaluations"]))
        return {"FailedEvaluations": []}

    api.respond("PutEvaluations", refuse_first_batch)
    with pytest.raises(ClientError, match="InvalidResultTokenException"):
        encryption.handler(scheduled_event(), None)
    assert posted == [50]


def test_a_change_event_whose_selections_cannot_be_read_fails_naming_the_resource(api: ApiCalls) -> None:
    api.respond("ListBackupPlans", lambda params: aws_error("AccessDeniedException", "denied", 403))
    item = configuration_item("AWS::EC2::Volume", "vol-1", {"volumeId": "vol-1"})
    with pytest.raises(
        EvaluationIncompleteError, match=r"AWS::EC2::Volume vol-1 \(AccessDeniedException: denied\)"
    ):
        backup.handler(change_event(item), None)
    assert api.evaluations() == []
