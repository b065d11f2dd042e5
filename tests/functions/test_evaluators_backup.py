"""The backup check and AWS Backup selection matching, as pure functions."""

from __future__ import annotations

from typing import Any

import pytest
from evaluators.backup import BackupParameters, evaluate, parse_parameters
from evaluators.backup_plans import Selection, TagCondition, selection_from_api, wildcard_match
from evaluators.errors import InvalidParameterError
from evaluators.items import ConfigurationItem, item_from_record
from evaluators.verdicts import Compliance, MissingEvidence, Verdict

VOLUME_ARN = "arn:aws:ec2:us-east-1:123456789012:volume/vol-1"
DB_ARN = "arn:aws:rds:us-east-1:123456789012:db:orders"
TABLE_ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/orders"
FS_ARN = "arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/fs-1"
ALL = (Selection("everything", "all", resources=("*",)),)
DEFAULT = BackupParameters()
NATIVE_ONLY = BackupParameters(require_backup_plan=False)


def resource(
    resource_type: str,
    arn: str | None,
    configuration: dict[str, Any],
    tags: dict[str, str] | None = None,
    supplementary: dict[str, Any] | None = None,
) -> ConfigurationItem:
    return ConfigurationItem(
        resource_type,
        "id",
        arn=arn,
        configuration=configuration,
        supplementary=supplementary or {},
        tags={} if tags is None else tags,
    )


def pitr(status: str) -> dict[str, Any]:
    return {
        "ContinuousBackupsDescription": {
            "pointInTimeRecoveryDescription": {"pointInTimeRecoveryStatus": status}
        }
    }


def test_parameters() -> None:
    assert parse_parameters({}) == BackupParameters(7, True, False)
    assert parse_parameters(
        {"minRetentionDays": "14", "requireBackupPlan": "false", "checkReadReplicas": "true"}
    ) == BackupParameters(14, False, True)
    with pytest.raises(InvalidParameterError, match="'requireBackupPlan': expected \"true\" or \"false\""):
        parse_parameters({"requireBackupPlan": "no"})
    with pytest.raises(InvalidParameterError, match="'minRetentionDays': expected 1 to 35, got 0"):
        parse_parameters({"minRetentionDays": "0"})
    with pytest.raises(InvalidParameterError, match="'minRetentionDays': expected a whole number"):
        parse_parameters({"minRetentionDays": "seven"})


@pytest.mark.parametrize("resource_type", ["AWS::RDS::DBInstance", "AWS::RDS::DBCluster"])
def test_rds_retention(resource_type: str) -> None:
    ok = evaluate(resource(resource_type, DB_ARN, {"backupRetentionPeriod": 7}), DEFAULT, ALL)
    assert ok.compliance is Compliance.COMPLIANT
    assert ok.annotation == "Backed up; in AWS Backup plan(s): everything."
    short = evaluate(resource(resource_type, DB_ARN, {"BackupRetentionPeriod": 1}), DEFAULT, ALL)
    assert short.compliance is Compliance.NON_COMPLIANT
    assert short.annotation == "automated backup retention is 1 day(s), below minRetentionDays=7."
    with pytest.raises(MissingEvidence, match="backupRetentionPeriod"):
        evaluate(resource(resource_type, DB_ARN, {"engine": "postgres"}), DEFAULT, ALL)


def test_dynamodb_point_in_time_recovery() -> None:
    table = {"tableName": "orders"}
    on = resource("AWS::DynamoDB::Table", TABLE_ARN, table, supplementary=pitr("ENABLED"))
    assert evaluate(on, DEFAULT, ALL).compliance is Compliance.COMPLIANT
    disabled = resource("AWS::DynamoDB::Table", TABLE_ARN, table, supplementary=pitr("DISABLED"))
    off = evaluate(disabled, DEFAULT, ALL)
    assert off.annotation == "point-in-time recovery is DISABLED."
    with pytest.raises(MissingEvidence, match="ContinuousBackupsDescription"):
        evaluate(resource("AWS::DynamoDB::Table", TABLE_ARN, table), DEFAULT, ALL)


def test_efs_automatic_backups() -> None:
    on = resource(
        "AWS::EFS::FileSystem", FS_ARN, {"FileSystemId": "fs-1", "BackupPolicy": {"Status": "ENABLED"}}
    )
    assert evaluate(on, DEFAULT, ALL).compliance is Compliance.COMPLIANT
    off = resource(
        "AWS::EFS::FileSystem", FS_ARN, {"FileSystemId": "fs-1", "BackupPolicy": {"Status": "DISABLED"}}
    )
    assert evaluate(off, DEFAULT, ALL).annotation == "automatic backups are DISABLED."
    with pytest.raises(MissingEvidence, match=r"BackupPolicy\.Status"):
        evaluate(resource("AWS::EFS::FileSystem", FS_ARN, {"FileSystemId": "fs-1"}), DEFAULT, ALL)


def test_volume_needs_a_plan_and_all_problems_are_named() -> None:
    volume = resource("AWS::EC2::Volume", VOLUME_ARN, {"volumeId": "vol-1"})
    assert evaluate(volume, DEFAULT, ALL).compliance is Compliance.COMPLIANT
    assert evaluate(volume, DEFAULT, ()).annotation == "not selected by any AWS Backup plan."
    db = resource("AWS::RDS::DBInstance", DB_ARN, {"backupRetentionPeriod": 0})
    assert evaluate(db, DEFAULT, ()).annotation == (
        "automated backup retention is 0 day(s), below minRetentionDays=7; "
        "not selected by any AWS Backup plan."
    )


def test_missing_evidence_only_where_the_verdict_needs_it() -> None:
    with pytest.raises(MissingEvidence, match="no ARN"):
        evaluate(resource("AWS::EC2::Volume", None, {"volumeId": "v"}), DEFAULT, ALL)
    # Without the plan test the ARN is not needed.
    db = resource("AWS::RDS::DBInstance", None, {"backupRetentionPeriod": 7})
    assert evaluate(db, NATIVE_ONLY, ()).compliance is Compliance.COMPLIANT
    # A volume's verdict needs only its ARN and tags, not its configuration.
    bare_volume = resource("AWS::EC2::Volume", VOLUME_ARN, {})
    assert evaluate(bare_volume, DEFAULT, ALL).compliance is Compliance.COMPLIANT
    bucket = resource("AWS::S3::Bucket", "arn", {"x": 1})
    assert evaluate(bucket, DEFAULT, ALL).compliance is Compliance.NOT_APPLICABLE


def test_wildcards() -> None:
    assert wildcard_match("arn:aws:ec2:*:*:volume/*", VOLUME_ARN)
    assert not wildcard_match("arn:aws:ec2:*:*:volume/*", DB_ARN)
    assert wildcard_match("vol-?", "vol-1") and not wildcard_match("vol-?", "vol-12")
    assert wildcard_match("a.b", "a.b") and not wildcard_match("a.b", "axb")


def test_selection_semantics() -> None:
    by_arn = Selection("p", "s", resources=("arn:aws:ec2:*:*:volume/*",), not_resources=(VOLUME_ARN,))
    assert not by_arn.covers(VOLUME_ARN, {})  # NotResources wins
    assert by_arn.covers(VOLUME_ARN.replace("vol-1", "vol-2"), {})
    by_tags = Selection(
        "p",
        "s",
        list_of_tags=(
            TagCondition("StringEquals", "backup", "daily"),
            TagCondition("StringEquals", "backup", "weekly"),
        ),
    )
    assert by_tags.covers(DB_ARN, {"backup": "weekly"})  # ListOfTags: any
    assert not by_tags.covers(DB_ARN, {"backup": "never"})
    conditioned = Selection(
        "p",
        "s",
        resources=("*",),
        conditions=(
            TagCondition("StringLike", "env", "prod*"),
            TagCondition("StringNotEquals", "tier", "scratch"),
        ),
    )
    assert conditioned.covers(DB_ARN, {"env": "production"})  # Conditions: all
    assert not conditioned.covers(DB_ARN, {"env": "production", "tier": "scratch"})
    assert not conditioned.covers(DB_ARN, {})
    not_like = Selection(
        "p", "s", resources=("*",), conditions=(TagCondition("StringNotLike", "env", "dev*"),)
    )
    assert not_like.covers(DB_ARN, {}) and not not_like.covers(DB_ARN, {"env": "dev1"})
    assert not Selection("p", "empty").covers(DB_ARN, {"backup": "daily"})  # opt-in scope is never assumed


def test_selection_from_api() -> None:
    body = {
        "SelectionName": "tagged",
        "IamRoleArn": "arn:aws:iam::123456789012:role/backup",
        "Resources": ["arn:aws:dynamodb:*:*:table/*"],
        "NotResources": [],
        "ListOfTags": [{"ConditionType": "STRINGEQUALS", "ConditionKey": "backup", "ConditionValue": "yes"}],
        "Conditions": {
            "StringEquals": [{"ConditionKey": "aws:ResourceTag/team", "ConditionValue": "data"}],
            "StringNotLike": [],
        },
    }
    selection = selection_from_api("daily", body)
    assert selection == Selection(
        "daily",
        "tagged",
        resources=("arn:aws:dynamodb:*:*:table/*",),
        list_of_tags=(TagCondition("StringEquals", "backup", "yes"),),
        conditions=(TagCondition("StringEquals", "team", "data"),),
    )
    assert selection.covers(TABLE_ARN, {"team": "data"})
    assert not selection.covers(TABLE_ARN, {"team": "web"})


def test_cluster_members_are_left_to_their_cluster() -> None:
    member = resource(
        "AWS::RDS::DBInstance", DB_ARN, {"dBClusterIdentifier": "aurora", "backupRetentionPeriod": 1}
    )
    result = evaluate(member, DEFAULT, ())
    assert result.compliance is Compliance.NOT_APPLICABLE
    assert result.annotation == "Backed up with its DB cluster aurora, which is evaluated itself."


def test_untagged_item_is_a_resource_without_tags() -> None:
    """tags: null in a configuration item is read as no tags: tag selections do not pick it."""
    raw = {
        "resourceType": "AWS::EC2::Volume",
        "resourceId": "vol-1",
        "ARN": VOLUME_ARN,
        "configuration": {"volumeId": "vol-1"},
        "tags": None,
    }
    by_tag = (Selection("daily", "tagged", list_of_tags=(TagCondition("StringEquals", "backup", "yes"),)),)
    result = evaluate(item_from_record(raw), DEFAULT, by_tag)
    assert result.compliance is Compliance.NON_COMPLIANT
    assert result.annotation == "not selected by any AWS Backup plan."


def test_backup_plan_test_can_be_turned_off() -> None:
    volume = resource("AWS::EC2::Volume", VOLUME_ARN, {"volumeId": "vol-1"})
    off = evaluate(volume, NATIVE_ONLY, ())
    assert off.compliance is Compliance.NOT_APPLICABLE
    assert off.annotation == "EBS volumes have no native backup setting and requireBackupPlan=false."
    table = resource(
        "AWS::DynamoDB::Table", TABLE_ARN, {"tableName": "orders"}, supplementary=pitr("ENABLED")
    )
    native = evaluate(table, NATIVE_ONLY, ())
    assert native == Verdict.compliant("Native backups are on (requireBackupPlan=false).")
    assert evaluate(table, DEFAULT, ()).compliance is Compliance.NON_COMPLIANT
    short = resource("AWS::RDS::DBCluster", DB_ARN, {"backupRetentionPeriod": 1})
    assert evaluate(short, NATIVE_ONLY, ()).annotation == (
        "automated backup retention is 1 day(s), below minRetentionDays=7."
    )


# A read replica as Config records it (configuration of an AWS::RDS::DBInstance item, camelCase keys).
REPLICA = {
    "dBInstanceIdentifier": "orders-replica",
    "engine": "postgres",
    "backupRetentionPeriod": 0,
    "readReplicaSourceDBInstanceIdentifier": "orders",
    "dbiResourceId": "db-REPLICA",
}


def test_read_replicas_are_not_applicable_unless_asked_for() -> None:
    replica = resource("AWS::RDS::DBInstance", DB_ARN, REPLICA)
    result = evaluate(replica, DEFAULT, ALL)
    assert result.compliance is Compliance.NOT_APPLICABLE
    assert result.annotation == (
        "Read replica of orders; replicas are not evaluated (checkReadReplicas=false)."
    )
    checked = evaluate(replica, BackupParameters(check_read_replicas=True), ALL)
    assert checked == Verdict.non_compliant(
        "automated backup retention is 0 day(s), below minRetentionDays=7."
    )
    primary = {**REPLICA, "readReplicaSourceDBInstanceIdentifier": ""}
    source = resource("AWS::RDS::DBInstance", DB_ARN, primary)
    assert evaluate(source, DEFAULT, ALL).compliance is Compliance.NON_COMPLIANT
