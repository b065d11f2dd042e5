"""Parity: the pack's verdict on a resource's Pulumi inputs is the Config rule's verdict on the
configuration item AWS Config records for the same resource.

Each scenario gives both sides independently: the Pulumi program (pulumi-aws 7 inputs) and the item as
Config delivers it in a change notification (configurationItemVersion 1.3; AWS Config Developer Guide,
"Components of a configuration item"; field names as DescribeVolumes, DescribeDBInstances, DescribeTable,
GetBucketEncryption and GetQueueAttributes return them), plus the rule's InputParameters and the pack's
configuration under the stack settings' names. Both must reach the expected compliance, and a pack
violation carries the detective annotation word for word. ``DIFFERENCES`` lists the scenarios where the
two cannot agree at preview, with the reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from evaluators.backup_plans import Selection, selection_from_api
from evaluators.excepting import excepting
from evaluators.exceptions import ExceptionMatcher, from_document, utc_today
from evaluators.items import item_from_record
from evaluators.verdicts import Compliance, Verdict

from components.catalog import CHECKS
from policy.preventive import adapters as a
from policy.preventive.policies import rule_check
from tests.policy.policy_support import Spec, run_policy

KEY = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
OTHER_KEY = "arn:aws:kms:eu-west-1:123456789012:key/99999999-12ab-34cd-56ef-1234567890ab"
TAGS = {"Environment": "prod", "Owner": "data-team"}
REQUIRED = {"requiredTags": "Environment=prod|staging,Owner"}
REQUIRED_CONFIG = {"requiredTags": ["Environment=prod|staging", "Owner"]}
# A plan selection picking resources tagged backup=daily, as GetBackupSelection returns it and as a
# program declares it (aws.backup.Selection selectionTags).
SELECTION_API = {
    "SelectionName": "daily",
    "IamRoleArn": "arn:aws:iam::123456789012:role/backup",
    "ListOfTags": [{"ConditionType": "STRINGEQUALS", "ConditionKey": "backup", "ConditionValue": "daily"}],
}
PLAN = Spec("aws:backup/plan:Plan", "plan", {"name": "daily"})
SELECTION = Spec(
    "aws:backup/selection:Selection",
    "daily",
    {
        "name": "daily",
        "planId": "plan-id",
        "selectionTags": [{"type": "STRINGEQUALS", "key": "backup", "value": "daily"}],
    },
    {"planId": ["plan"]},
)


@dataclass
class Scenario:
    id: str
    check: str
    program: list[Spec]
    # The configuration item of the resource under test, as Config records it.
    item: dict[str, Any]
    parameters: dict[str, str]
    config: dict[str, Any]
    expected: Compliance
    selections: Sequence[Mapping[str, Any]] = field(default_factory=tuple)
    # The stack's exceptions, as the stack ships them to its functions and python -m policy.configure
    # writes them into the pack's configuration (evaluators.exceptions.to_document).
    exceptions: Sequence[Mapping[str, Any]] = field(default_factory=tuple)


def ci(resource_type: str, resource_id: str, configuration: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """A notification's configurationItem (version 1.3)."""
    return {
        "configurationItemVersion": "1.3",
        "configurationItemCaptureTime": "2026-11-30T10:00:00.000Z",
        "configurationItemStatus": "ResourceDiscovered",
        "resourceType": resource_type,
        "resourceId": resource_id,
        "ARN": extra.pop("arn", f"arn:aws:test:eu-west-1:123456789012:{resource_id}"),
        "awsRegion": "eu-west-1",
        "configuration": configuration,
        "supplementaryConfiguration": extra.pop("supplementary", {}),
        "tags": extra.pop("tags", {}),
    }


def volume_ci(encrypted: bool, key: str | None = None, tags: dict[str, str] | None = None) -> dict[str, Any]:
    return ci(
        "AWS::EC2::Volume",
        "vol-0abc",
        {"volumeId": "vol-0abc", "encrypted": encrypted, "kmsKeyId": key},
        tags=tags or {},
    )


def bucket_ci(
    algorithm: str | None = None, key: str | None = None, tags: dict[str, str] | None = None
) -> dict[str, Any]:
    supplementary = (
        {
            "ServerSideEncryptionConfiguration": {
                "rules": [
                    {"applyServerSideEncryptionByDefault": {"sseAlgorithm": algorithm, "kmsMasterKeyID": key}}
                ]
            }
        }
        if algorithm
        else {}
    )
    return ci(
        "AWS::S3::Bucket",
        "assets",
        {"name": "assets"},
        arn="arn:aws:s3:::assets",
        supplementary=supplementary,
        tags=tags or {},
    )


def db_ci(encrypted: bool = True, key: str | None = KEY, retention: int = 7, **more: Any) -> dict[str, Any]:
    configuration = {
        "dBInstanceIdentifier": "orders",
        "storageEncrypted": encrypted,
        "kmsKeyId": key,
        "backupRetentionPeriod": retention,
        "dBClusterIdentifier": more.pop("cluster", None),
        "readReplicaSourceDBInstanceIdentifier": more.pop("source", None),
    }
    return ci("AWS::RDS::DBInstance", "db-ABCDEFGHIJKLMNOPQRSTUVWXY1", configuration, **more)


def cluster_ci(
    encrypted: bool = True, key: str | None = KEY, retention: int = 7, **more: Any
) -> dict[str, Any]:
    configuration = {
        "dBClusterIdentifier": "ledger",
        "storageEncrypted": encrypted,
        "kmsKeyId": key,
        "backupRetentionPeriod": retention,
    }
    return ci("AWS::RDS::DBCluster", "cluster-ABCDEFGHIJKLMNOPQRSTUVWXY1", configuration, **more)


def table_ci(sse: dict[str, Any] | None = None, pitr: str = "DISABLED", **more: Any) -> dict[str, Any]:
    configuration: dict[str, Any] = {"tableName": "events", "tableStatus": "ACTIVE"}
    if sse is not None:
        configuration["sSEDescription"] = sse
    supplementary = {
        "ContinuousBackupsDescription": {
            "continuousBackupsStatus": "ENABLED",
            "pointInTimeRecoveryDescription": {"pointInTimeRecoveryStatus": pitr},
        }
    }
    arn = "arn:aws:dynamodb:eu-west-1:123456789012:table/events"
    return ci("AWS::DynamoDB::Table", "events", configuration, arn=arn, supplementary=supplementary, **more)


def efs_ci(encrypted: bool = True, backups: str = "DISABLED", **more: Any) -> dict[str, Any]:
    configuration = {
        "FileSystemId": "fs-0abc",
        "Encrypted": encrypted,
        "KmsKeyId": KEY if encrypted else None,
        "BackupPolicy": {"Status": backups},
    }
    return ci("AWS::EFS::FileSystem", "fs-0abc", configuration, **more)


def topic_ci(key: str | None) -> dict[str, Any]:
    arn = "arn:aws:sns:eu-west-1:123456789012:alerts"
    return ci("AWS::SNS::Topic", arn, {"TopicArn": arn, "KmsMasterKeyId": key}, arn=arn)


def queue_ci(
    key: str | None = None, managed: str = "true", tags: dict[str, str] | None = None
) -> dict[str, Any]:
    url = "https://sqs.eu-west-1.amazonaws.com/123456789012/jobs"
    return ci(
        "AWS::SQS::Queue",
        url,
        {"QueueUrl": url, "KmsMasterKeyId": key, "SqsManagedSseEnabled": managed},
        tags=tags or {},
    )


def spec(
    token: str, props: dict[str, Any], name: str = "res", refers: dict[str, list[str]] | None = None
) -> Spec:
    return Spec(token, name, props, refers or {})


C, NC, NA = Compliance.COMPLIANT, Compliance.NON_COMPLIANT, Compliance.NOT_APPLICABLE
ENC, KMS_ONLY, ALLOW = (
    {"requireKms": "false"},
    {"requireKms": "true"},
    {"requireKms": "false", "kmsKeyArns": KEY},
)
ENC_CONFIG, KMS_ONLY_CONFIG, ALLOW_CONFIG = {}, {"requireKms": True}, {"allowedKmsKeyArns": [KEY]}
BACKUP = {"minRetentionDays": "7", "requireBackupPlan": "true", "checkReadReplicas": "false"}
BACKUP_CONFIG = {"minBackupRetentionDays": 7}
NATIVE_ONLY = {**BACKUP, "requireBackupPlan": "false"}
NATIVE_ONLY_CONFIG = {**BACKUP_CONFIG, "requireBackupPlan": False}
DAILY = {"backup": "daily"}
BUCKET_SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"


def sse_config(algorithm: str, key: str | None = None) -> Spec:
    rule = {"applyServerSideEncryptionByDefault": {"sseAlgorithm": algorithm, "kmsMasterKeyId": key}}
    return spec(BUCKET_SSE, {"bucket": "assets", "rules": [rule]}, "assets-sse", {"bucket": ["res"]})


TODAY = utc_today()


def exception(exception_id: str, check: str, resource: str, days: int, **more: Any) -> dict[str, Any]:
    """An exception of the stack setting, expiring ``days`` after today (negative: already expired)."""
    return {
        "id": exception_id,
        "check": check,
        "resource": resource,
        "reason": "accepted by the security review",
        "owner": "platform-team",
        "expires": (TODAY + timedelta(days=days)).isoformat(),
        **more,
    }


SCENARIOS = [
    # encryption
    Scenario(
        "ebs-kms",
        "encryption",
        [spec(a.VOLUME, {"encrypted": True, "kmsKeyId": KEY})],
        volume_ci(True, KEY),
        ENC,
        ENC_CONFIG,
        C,
    ),
    Scenario(
        "ebs-unencrypted", "encryption", [spec(a.VOLUME, {"size": 8})], volume_ci(False), ENC, ENC_CONFIG, NC
    ),
    Scenario(
        "ebs-allowed-key",
        "encryption",
        [spec(a.VOLUME, {"encrypted": True, "kmsKeyId": KEY})],
        volume_ci(True, KEY),
        ALLOW,
        ALLOW_CONFIG,
        C,
    ),
    Scenario(
        "ebs-key-not-allowed",
        "encryption",
        [spec(a.VOLUME, {"encrypted": True, "kmsKeyId": OTHER_KEY})],
        volume_ci(True, OTHER_KEY),
        ALLOW,
        ALLOW_CONFIG,
        NC,
    ),
    Scenario(
        "instance-root-unencrypted",
        "encryption",
        [spec(a.INSTANCE, {"ami": "ami-1", "rootBlockDevice": {"volumeSize": 8}})],
        volume_ci(False),
        ENC,
        ENC_CONFIG,
        NC,
    ),
    Scenario(
        "instance-devices-encrypted",
        "encryption",
        [
            spec(
                a.INSTANCE,
                {
                    "rootBlockDevice": {"encrypted": True, "kmsKeyId": KEY},
                    "ebsBlockDevices": [{"deviceName": "/dev/sdf", "encrypted": True, "kmsKeyId": KEY}],
                },
            )
        ],
        volume_ci(True, KEY),
        ALLOW,
        ALLOW_CONFIG,
        C,
    ),
    Scenario(
        "s3-default-sse-s3",
        "encryption",
        [spec(a.BUCKET, {"bucket": "assets"})],
        bucket_ci(),
        ENC,
        ENC_CONFIG,
        C,
    ),
    Scenario(
        "s3-sse-s3-require-kms",
        "encryption",
        [spec(a.BUCKET, {"bucket": "assets"})],
        bucket_ci(),
        KMS_ONLY,
        KMS_ONLY_CONFIG,
        NC,
    ),
    Scenario(
        "s3-kms-allowed",
        "encryption",
        [spec(a.BUCKET, {"bucket": "assets"}), sse_config("aws:kms", KEY)],
        bucket_ci("aws:kms", KEY),
        ALLOW,
        ALLOW_CONFIG,
        C,
    ),
    Scenario(
        "s3-aes-require-kms",
        "encryption",
        [spec(a.BUCKET, {"bucket": "assets"}), sse_config("AES256")],
        bucket_ci("AES256"),
        KMS_ONLY,
        KMS_ONLY_CONFIG,
        NC,
    ),
    Scenario(
        "s3-inline-kms",
        "encryption",
        [
            spec(
                a.BUCKET,
                {
                    "bucket": "assets",
                    "serverSideEncryptionConfiguration": {
                        "rule": {
                            "applyServerSideEncryptionByDefault": {
                                "sseAlgorithm": "aws:kms",
                                "kmsMasterKeyId": KEY,
                            }
                        }
                    },
                },
            )
        ],
        bucket_ci("aws:kms", KEY),
        KMS_ONLY,
        KMS_ONLY_CONFIG,
        C,
    ),
    Scenario(
        "s3-dsse-key-not-allowed",
        "encryption",
        [spec(a.BUCKET, {"bucket": "assets"}), sse_config("aws:kms:dsse", OTHER_KEY)],
        bucket_ci("aws:kms:dsse", OTHER_KEY),
        ALLOW,
        ALLOW_CONFIG,
        NC,
    ),
    Scenario(
        "rds-encrypted",
        "encryption",
        [spec(a.DB_INSTANCE, {"storageEncrypted": True, "kmsKeyId": KEY})],
        db_ci(),
        ALLOW,
        ALLOW_CONFIG,
        C,
    ),
    Scenario(
        "rds-unencrypted",
        "encryption",
        [spec(a.DB_INSTANCE, {"engine": "postgres"})],
        db_ci(encrypted=False, key=None),
        ENC,
        ENC_CONFIG,
        NC,
    ),
    Scenario(
        "cluster-key-not-allowed",
        "encryption",
        [spec(a.DB_CLUSTER, {"storageEncrypted": True, "kmsKeyId": OTHER_KEY})],
        cluster_ci(key=OTHER_KEY),
        ALLOW,
        ALLOW_CONFIG,
        NC,
    ),
    Scenario(
        "cluster-member-of-encrypted-cluster",
        "encryption",
        [
            spec(a.DB_CLUSTER, {"storageEncrypted": True, "kmsKeyId": KEY}, "ledger"),
            spec(
                a.DB_CLUSTER_INSTANCE,
                {"clusterIdentifier": "ledger-id"},
                "res",
                {"clusterIdentifier": ["ledger"]},
            ),
        ],
        db_ci(cluster="ledger"),
        ALLOW,
        ALLOW_CONFIG,
        C,
    ),
    Scenario(
        "dynamodb-owned-key",
        "encryption",
        [spec(a.TABLE, {"name": "events"})],
        table_ci(),
        ENC,
        ENC_CONFIG,
        C,
    ),
    Scenario(
        "dynamodb-owned-key-require-kms",
        "encryption",
        [spec(a.TABLE, {"name": "events"})],
        table_ci(),
        KMS_ONLY,
        KMS_ONLY_CONFIG,
        NC,
    ),
    Scenario(
        "dynamodb-kms-allowed",
        "encryption",
        [spec(a.TABLE, {"name": "events", "serverSideEncryption": {"enabled": True, "kmsKeyArn": KEY}})],
        table_ci({"status": "ENABLED", "sSEType": "KMS", "kMSMasterKeyArn": KEY}),
        ALLOW,
        ALLOW_CONFIG,
        C,
    ),
    Scenario(
        "efs-encrypted",
        "encryption",
        [spec(a.FILE_SYSTEM, {"encrypted": True, "kmsKeyId": KEY})],
        efs_ci(),
        ALLOW,
        ALLOW_CONFIG,
        C,
    ),
    Scenario(
        "efs-unencrypted",
        "encryption",
        [spec(a.FILE_SYSTEM, {})],
        efs_ci(encrypted=False),
        ENC,
        ENC_CONFIG,
        NC,
    ),
    Scenario(
        "sns-kms",
        "encryption",
        [spec(a.TOPIC, {"name": "alerts", "kmsMasterKeyId": KEY})],
        topic_ci(KEY),
        KMS_ONLY,
        KMS_ONLY_CONFIG,
        C,
    ),
    Scenario(
        "sns-unencrypted",
        "encryption",
        [spec(a.TOPIC, {"name": "alerts"})],
        topic_ci(None),
        ENC,
        ENC_CONFIG,
        NC,
    ),
    Scenario(
        "sqs-default-sse-sqs", "encryption", [spec(a.QUEUE, {"name": "jobs"})], queue_ci(), ENC, ENC_CONFIG, C
    ),
    Scenario(
        "sqs-sse-sqs-require-kms",
        "encryption",
        [spec(a.QUEUE, {"name": "jobs", "sqsManagedSseEnabled": True})],
        queue_ci(),
        KMS_ONLY,
        KMS_ONLY_CONFIG,
        NC,
    ),
    Scenario(
        "sqs-kms",
        "encryption",
        [spec(a.QUEUE, {"name": "jobs", "kmsMasterKeyId": KEY})],
        queue_ci(KEY, "false"),
        KMS_ONLY,
        KMS_ONLY_CONFIG,
        C,
    ),
    Scenario(
        "sqs-sse-off",
        "encryption",
        [spec(a.QUEUE, {"name": "jobs", "sqsManagedSseEnabled": False})],
        queue_ci(managed="false"),
        ENC,
        ENC_CONFIG,
        NC,
    ),
    # required tags
    Scenario(
        "tags-present",
        "required-tags",
        [spec(a.VOLUME, {"tags": TAGS})],
        volume_ci(True, tags=TAGS),
        REQUIRED,
        REQUIRED_CONFIG,
        C,
    ),
    Scenario(
        "tag-missing",
        "required-tags",
        [spec(a.VOLUME, {"tags": {"Environment": "prod"}})],
        volume_ci(True, tags={"Environment": "prod"}),
        REQUIRED,
        REQUIRED_CONFIG,
        NC,
    ),
    Scenario(
        "tag-blank",
        "required-tags",
        [spec(a.BUCKET, {"bucket": "assets", "tags": {**TAGS, "Owner": " "}})],
        bucket_ci(tags={**TAGS, "Owner": " "}),
        REQUIRED,
        REQUIRED_CONFIG,
        NC,
    ),
    Scenario(
        "tag-value-not-allowed",
        "required-tags",
        [spec(a.QUEUE, {"name": "jobs", "tags": {**TAGS, "Environment": "dev"}})],
        queue_ci(tags={**TAGS, "Environment": "dev"}),
        REQUIRED,
        REQUIRED_CONFIG,
        NC,
    ),
    Scenario(
        "tags-from-default-tags",
        "required-tags",
        [spec(a.QUEUE, {"name": "jobs", "tags": {"Owner": "data-team"}, "tagsAll": TAGS})],
        queue_ci(tags=TAGS),
        REQUIRED,
        REQUIRED_CONFIG,
        C,
    ),
    Scenario(
        "instance-tags",
        "required-tags",
        [spec(a.INSTANCE, {"tags": TAGS, "volumeTags": TAGS})],
        ci("AWS::EC2::Instance", "i-0abc", {"instanceId": "i-0abc"}, tags=TAGS),
        REQUIRED,
        REQUIRED_CONFIG,
        C,
    ),
    Scenario(
        "instance-volume-untagged",
        "required-tags",
        [spec(a.INSTANCE, {"tags": TAGS})],
        volume_ci(True),
        REQUIRED,
        REQUIRED_CONFIG,
        NC,
    ),
    Scenario(
        "table-tags",
        "required-tags",
        [spec(a.TABLE, {"name": "events", "tags": TAGS})],
        table_ci(tags=TAGS),
        REQUIRED,
        REQUIRED_CONFIG,
        C,
    ),
    # backup
    Scenario(
        "rds-retention-and-plan",
        "backup",
        [spec(a.DB_INSTANCE, {"backupRetentionPeriod": 7, "tags": DAILY}), PLAN, SELECTION],
        db_ci(retention=7, tags=DAILY),
        BACKUP,
        BACKUP_CONFIG,
        C,
        (SELECTION_API,),
    ),
    Scenario(
        "rds-default-retention",
        "backup",
        [spec(a.DB_INSTANCE, {"engine": "postgres"})],
        db_ci(retention=1),
        NATIVE_ONLY,
        NATIVE_ONLY_CONFIG,
        NC,
    ),
    Scenario(
        "rds-retention-at-minimum",
        "backup",
        [spec(a.DB_INSTANCE, {"backupRetentionPeriod": 7})],
        db_ci(retention=7),
        NATIVE_ONLY,
        NATIVE_ONLY_CONFIG,
        C,
    ),
    Scenario(
        "rds-retention-below-minimum",
        "backup",
        [spec(a.DB_INSTANCE, {"backupRetentionPeriod": 6})],
        db_ci(retention=6),
        NATIVE_ONLY,
        NATIVE_ONLY_CONFIG,
        NC,
    ),
    Scenario(
        "dynamodb-pitr-off",
        "backup",
        [spec(a.TABLE, {"name": "events", "tags": DAILY}), PLAN, SELECTION],
        table_ci(tags=DAILY),
        BACKUP,
        BACKUP_CONFIG,
        NC,
        (SELECTION_API,),
    ),
    Scenario(
        "dynamodb-pitr-and-plan",
        "backup",
        [
            spec(a.TABLE, {"name": "events", "pointInTimeRecovery": {"enabled": True}, "tags": DAILY}),
            PLAN,
            SELECTION,
        ],
        table_ci(pitr="ENABLED", tags=DAILY),
        BACKUP,
        BACKUP_CONFIG,
        C,
        (SELECTION_API,),
    ),
    Scenario(
        "efs-backup-policy-and-plan",
        "backup",
        [
            spec(a.FILE_SYSTEM, {"tags": DAILY}),
            spec(
                a.FILE_SYSTEM_BACKUP_POLICY,
                {"fileSystemId": "fs-id", "backupPolicy": {"status": "ENABLED"}},
                "policy",
                {"fileSystemId": ["res"]},
            ),
            PLAN,
            SELECTION,
        ],
        efs_ci(backups="ENABLED", tags=DAILY),
        BACKUP,
        BACKUP_CONFIG,
        C,
        (SELECTION_API,),
    ),
    Scenario(
        "efs-backup-policy-off",
        "backup",
        [spec(a.FILE_SYSTEM, {"tags": DAILY})],
        efs_ci(backups="DISABLED", tags=DAILY),
        NATIVE_ONLY,
        NATIVE_ONLY_CONFIG,
        NC,
    ),
    Scenario(
        "rds-read-replica",
        "backup",
        [spec(a.DB_INSTANCE, {"replicateSourceDb": "orders", "backupRetentionPeriod": 0})],
        db_ci(retention=0, source="orders"),
        BACKUP,
        BACKUP_CONFIG,
        NA,
    ),
    Scenario(
        "rds-read-replica-checked",
        "backup",
        [spec(a.DB_INSTANCE, {"replicateSourceDb": "orders", "backupRetentionPeriod": 0})],
        db_ci(retention=0, source="orders"),
        {**NATIVE_ONLY, "checkReadReplicas": "true"},
        {**NATIVE_ONLY_CONFIG, "checkReadReplicas": True},
        NC,
    ),
    Scenario(
        "cluster-member",
        "backup",
        [spec(a.DB_CLUSTER_INSTANCE, {"clusterIdentifier": "ledger"})],
        db_ci(cluster="ledger", retention=1),
        BACKUP,
        BACKUP_CONFIG,
        NA,
    ),
    Scenario(
        "volume-without-plan-test",
        "backup",
        [spec(a.VOLUME, {"encrypted": True})],
        volume_ci(True),
        NATIVE_ONLY,
        NATIVE_ONLY_CONFIG,
        NA,
    ),
    Scenario(
        "cluster-retention-and-plan",
        "backup",
        [spec(a.DB_CLUSTER, {"backupRetentionPeriod": 14, "tags": DAILY}), PLAN, SELECTION],
        cluster_ci(retention=14, tags=DAILY),
        {**BACKUP, "minRetentionDays": "14"},
        {"minBackupRetentionDays": 14},
        C,
        (SELECTION_API,),
    ),
]

SCENARIOS += [
    Scenario(
        "s3-excepted",
        "encryption",
        [spec(a.BUCKET, {"bucket": "assets"})],
        bucket_ci(),
        KMS_ONLY,
        KMS_ONLY_CONFIG,
        C,
        exceptions=(exception("public-assets", "encryption", "assets", 30),),
    ),
    Scenario(
        "s3-exception-expired",
        "encryption",
        [spec(a.BUCKET, {"bucket": "assets"})],
        bucket_ci(),
        KMS_ONLY,
        KMS_ONLY_CONFIG,
        NC,
        exceptions=(exception("public-assets", "encryption", "assets", -1),),
    ),
    Scenario(
        "queue-excepted-by-name",
        "encryption",
        [spec(a.QUEUE, {"name": "jobs", "sqsManagedSseEnabled": True})],
        queue_ci(),
        KMS_ONLY,
        KMS_ONLY_CONFIG,
        C,
        exceptions=(exception("legacy-jobs", "encryption", "job*", 10, resourceType="AWS::SQS::Queue"),),
    ),
    Scenario(
        "exception-of-another-type",
        "encryption",
        [spec(a.QUEUE, {"name": "jobs", "sqsManagedSseEnabled": True})],
        queue_ci(),
        KMS_ONLY,
        KMS_ONLY_CONFIG,
        NC,
        exceptions=(exception("legacy-jobs", "encryption", "job*", 10, resourceType="AWS::SNS::Topic"),),
    ),
    Scenario(
        "table-tags-excepted",
        "required-tags",
        [spec(a.TABLE, {"name": "events", "tags": {"Environment": "prod"}})],
        table_ci(tags={"Environment": "prod"}),
        REQUIRED,
        REQUIRED_CONFIG,
        C,
        exceptions=(exception("events-owner", "required-tags", "events", 5),),
    ),
]

# Where preview cannot reach the detective verdict, and why; each is asserted below as it is.
DIFFERENCES = {
    "backup-plan-outside-program": "plan coverage by a selection outside the program cannot be seen at "
    "preview: the Config rule finds NON_COMPLIANT (no plan selects it), the pack reports it as not checkable",
    "exception-by-arn": "an exception whose pattern matches only an id or ARN AWS assigns (vol-..., a "
    "table's ARN with its account and region) cannot match at preview, where only the name given as an "
    "input is known: the rule excepts the resource, the pack reports it",
    "unknown-key": "a key that is another resource's output is unknown at preview: not checkable, never "
    "a pass",
}


def _check(name: str) -> Any:
    return next(c for c in CHECKS if c.name == name)


def detective_verdict(scenario: Scenario) -> Verdict:
    """What the Lambda posts: the check's decision, then the stack's exceptions (evaluators.excepting)."""
    rule = rule_check(_check(scenario.check))
    selections: tuple[Selection, ...] = tuple(selection_from_api("daily", s) for s in scenario.selections)
    params = rule.parse_parameters(scenario.parameters)
    matcher = ExceptionMatcher(from_document(list(scenario.exceptions)), scenario.check)
    evaluate = excepting(
        lambda item: rule.decide(params, item, selections), matcher, "eu-west-1", "123456789012", TODAY
    )
    return evaluate(item_from_record(scenario.item))


def detective(scenario: Scenario) -> Compliance:
    return detective_verdict(scenario).compliance


def test_the_table_covers_every_adapter_and_check() -> None:
    assert len(SCENARIOS) >= 40
    assert {s.id for s in SCENARIOS if s.exceptions} >= {"s3-excepted", "s3-exception-expired"}
    assert len({s.id for s in SCENARIOS}) == len(SCENARIOS)
    covered = {spec.token for s in SCENARIOS for spec in s.program} & set(a.ADAPTERS)
    assert covered == set(a.ADAPTERS)
    assert {s.check for s in SCENARIOS} == {c.name for c in CHECKS}
    assert {s.expected for s in SCENARIOS} == {C, NC, NA}


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.id)
def test_preventive_and_detective_verdicts_agree(scenario: Scenario) -> None:
    assert detective(scenario) is scenario.expected
    outcome = run_policy(
        scenario.check, scenario.program, {**scenario.config, "exceptions": list(scenario.exceptions)}
    )
    assert outcome.undecided is None
    resource_id = scenario.item["resourceId"]
    if scenario.expected is NC:
        annotation = detective_verdict(scenario).annotation
        assert outcome.messages, f"{resource_id}: the pack let through what the rule finds NON_COMPLIANT"
        assert any(annotation in message for message in outcome.messages)
    else:
        assert outcome.messages == []


def test_backup_plan_outside_the_program_is_not_checkable_at_preview() -> None:
    assert "backup-plan-outside-program" in DIFFERENCES
    program = [spec(a.DB_INSTANCE, {"backupRetentionPeriod": 7})]
    item = db_ci(retention=7)
    rule = rule_check(_check("backup"))
    assert rule.decide(rule.parse_parameters(BACKUP), item_from_record(item), ()).compliance is NC
    outcome = run_policy("backup", program, BACKUP_CONFIG)
    assert outcome.messages == []
    assert outcome.undecided is not None
    assert "no AWS Backup selection of this program selects it" in outcome.undecided


def test_a_native_finding_stands_without_claiming_plan_coverage() -> None:
    outcome = run_policy("backup", [spec(a.DB_INSTANCE, {"backupRetentionPeriod": 3})], BACKUP_CONFIG)
    assert len(outcome.messages) == 1
    assert "below minBackupRetentionDays=7" not in outcome.messages[0]
    assert "below minRetentionDays=7" in outcome.messages[0]
    assert "not selected by any AWS Backup plan" not in outcome.messages[0]


def test_an_exception_by_arn_applies_at_detection_only() -> None:
    scenario = Scenario(
        "exception-by-arn",
        "required-tags",
        [spec(a.TABLE, {"name": "events", "tags": {"Environment": "prod"}})],
        table_ci(tags={"Environment": "prod"}),
        REQUIRED,
        REQUIRED_CONFIG,
        C,
        exceptions=(exception("events-owner", "required-tags", "arn:aws:dynamodb:*:table/events", 5),),
    )
    assert scenario.id in DIFFERENCES
    assert detective(scenario) is C
    config = {**scenario.config, "exceptions": list(scenario.exceptions)}
    (message,) = run_policy(scenario.check, scenario.program, config).messages
    assert "missing tag 'Owner'" in message


def _selection_with_conditions(environment: str) -> tuple[dict[str, Any], Spec]:
    """A selection of every resource, narrowed by ``Conditions`` to a tag value, as GetBackupSelection
    returns it and as a program declares it (pulumi-aws 7 aws.backup.Selection ``conditions``, whose
    blocks are ``stringEquals``, ``stringNotEquals``, ``stringLikes``, ``stringNotLikes``)."""
    api = {
        "SelectionName": "tagged",
        "IamRoleArn": "arn:aws:iam::123456789012:role/backup",
        "Resources": ["*"],
        "Conditions": {
            "StringLike": [{"ConditionKey": "aws:ResourceTag/Environment", "ConditionValue": environment}]
        },
    }
    program = Spec(
        "aws:backup/selection:Selection",
        "tagged",
        {
            "name": "tagged",
            "planId": "plan-id",
            "resources": ["*"],
            "conditions": [{"stringLikes": [{"key": "aws:ResourceTag/Environment", "value": environment}]}],
        },
        {"planId": ["plan"]},
    )
    return api, program


def test_a_selection_narrowed_by_conditions_covers_only_what_it_selects() -> None:
    table = spec(a.TABLE, {"name": "events", "pointInTimeRecovery": {"enabled": True}, "tags": TAGS})
    item = table_ci(pitr="ENABLED", tags=TAGS)
    rule = rule_check(_check("backup"))
    params = rule.parse_parameters(BACKUP)
    for environment, expected in (("prod*", C), ("test*", NC)):
        api, selection = _selection_with_conditions(environment)
        verdict = rule.decide(params, item_from_record(item), (selection_from_api("daily", api),))
        assert verdict.compliance is expected
        outcome = run_policy("backup", [table, PLAN, selection], BACKUP_CONFIG)
        assert outcome.messages == []
        # Not selected by the program's selection: plan coverage is then undecidable, never a pass.
        assert (outcome.undecided is None) is (expected is C), outcome.undecided
