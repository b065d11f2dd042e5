"""The backup check and AWS Backup selection matching, as pure functions."""

from __future__ import annotations

from typing import Any

import pytest
from evaluators.backup import evaluate, parse_parameters
from evaluators.backup_plans import Selection, TagCondition, selection_from_api, wildcard_match
from evaluators.errors import InvalidParameterError
from evaluators.items import ConfigurationItem
from evaluators.verdicts import Compliance, MissingEvidence

VOLUME_ARN = "arn:aws:ec2:us-east-1:123456789012:volume/vol-1"
DB_ARN = "arn:aws:rds:us-east-1:123456789012:db:orders"
TABLE_ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/orders"
FS_ARN = "arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/fs-1"
ALL = (Selection("everything", "all", resources=("*",)),)


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
    assert parse_parameters({}) == 7
    assert parse_parameters({"minRetentionDays": "14"}) == 14
    with pytest.raises(InvalidParameterError, match="'minRetentionDays': expected 1 to 35, got 0"):
        parse_parameters({"minRetentionDays": "0"})
    with pytest.raises(InvalidParameterError, match="'minRetentionDays': expected a whole number"):
        parse_parameters({"minRetentionDays": "seven"})


@pytest.mark.parametrize("resource_type", ["AWS::RDS::DBInstance", "AWS::RDS::DBCluster"])
def test_rds_retention(resource_type: str) -> None:
    ok = evaluate(resource(resource_type, DB_ARN, {"backupRetentionPeriod": 7}), 7, ALL)
    assert ok.compliance is Compliance.COMPLIANT
    assert ok.annotation == "Backed up; in AWS Backup plan(s): everything."
    short = evaluate(resource(resource_type, DB_ARN, {"BackupRetentionPeriod": 1}), 7, ALL)
    assert short.compliance is Compliance.NON_COMPLIANT
    assert short.annotation == "automated backup retention is 1 day(s), below minRetentionDays=7."
    with pytest.raises(MissingEvidence, match="backupRetentionPeriod"):
        evaluate(resource(resource_type, DB_ARN, {"engine": "postgres"}), 7, ALL)


def test_dynamodb_point_in_time_recovery() -> None:
    table = {"tableName": "orders"}
    assert (
        evaluate(
            resource("AWS::DynamoDB::Table", TABLE_ARN, table, supplementary=pitr("ENABLED")), 7, ALL
        ).compliance
        is Compliance.COMPLIANT
    )
    off = evaluate(resource("AWS::DynamoDB::Table", TABLE_ARN, table, supplementary=pitr("DISABLED")), 7, ALL)
    assert off.annotation == "point-in-time recovery is DISABLED."
    with pytest.raises(MissingEvidence, match="ContinuousBackupsDescription"):
        evaluate(resource("AWS::DynamoDB::Table", TABLE_ARN, table), 7, ALL)


def test_efs_automatic_backups() -> None:
    on = resource(
        "AWS::EFS::FileSystem", FS_ARN, {"FileSystemId": "fs-1", "BackupPolicy": {"Status": "ENABLED"}}
    )
    assert evaluate(on, 7, ALL).compliance is Compliance.COMPLIANT
    off = resource(
        "AWS::EFS::FileSystem", FS_ARN, {"FileSystemId": "fs-1", "BackupPolicy": {"Status": "DISABLED"}}
    )
    assert evaluate(off, 7, ALL).annotation == "automatic backups are DISABLED."
    with pytest.raises(MissingEvidence, match=r"BackupPolicy\.Status"):
        evaluate(resource("AWS::EFS::FileSystem", FS_ARN, {"FileSystemId": "fs-1"}), 7, ALL)


def test_volume_needs_a_plan_and_all_problems_are_named() -> None:
    volume = resource("AWS::EC2::Volume", VOLUME_ARN, {"volumeId": "vol-1"})
    assert evaluate(volume, 7, ALL).compliance is Compliance.COMPLIANT
    assert evaluate(volume, 7, ()).annotation == "not selected by any AWS Backup plan."
    db = resource("AWS::RDS::DBInstance", DB_ARN, {"backupRetentionPeriod": 0})
    assert evaluate(db, 7, ()).annotation == (
        "automated backup retention is 0 day(s), below minRetentionDays=7; "
        "not selected by any AWS Backup plan."
    )


def test_missing_evidence_and_other_types() -> None:
    with pytest.raises(MissingEvidence, match="no ARN"):
        evaluate(resource("AWS::EC2::Volume", None, {"volumeId": "v"}), 7, ALL)
    with pytest.raises(MissingEvidence, match="no configuration"):
        evaluate(resource("AWS::EC2::Volume", VOLUME_ARN, {}), 7, ALL)
    untagged = ConfigurationItem("AWS::EC2::Volume", "v", arn=VOLUME_ARN, configuration={"volumeId": "v"})
    with pytest.raises(MissingEvidence, match="no tags field"):
        evaluate(untagged, 7, ALL)
    assert (
        evaluate(resource("AWS::S3::Bucket", "arn", {"x": 1}), 7, ALL).compliance is Compliance.NOT_APPLICABLE
    )


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
    result = evaluate(member, 7, ())
    assert result.compliance is Compliance.NOT_APPLICABLE
    assert result.annotation == "Backed up with its DB cluster aurora, which is evaluated itself."
