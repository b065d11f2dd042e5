"""Backups: native backup settings plus coverage by an AWS Backup plan selection.

RDS DB instances and clusters keep automated backups at least ``minRetentionDays`` (default 7) days
(instances that belong to a cluster are backed up with it and are not applicable);
DynamoDB tables have point-in-time recovery enabled; EFS file systems have automatic backups enabled;
and every EBS volume, RDS instance or cluster, DynamoDB table and EFS file system is picked by some
AWS Backup plan selection. Plan selections never change a resource's own configuration item, so the
rule also runs periodically; both triggers evaluate the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from botocore.exceptions import ClientError

from evaluators import inventory, parameters
from evaluators.aws import client
from evaluators.backup_plans import Selection, load_selections
from evaluators.fields import as_int, as_text, lookup
from evaluators.inventory import Listed, SweepContext
from evaluators.items import ConfigurationItem
from evaluators.runner import Check, Evaluator, run
from evaluators.verdicts import MissingEvidence, Verdict

DEFAULT_MIN_RETENTION_DAYS = 7
MAX_RETENTION_DAYS = 35  # the RDS maximum for automated backups


def parse_parameters(raw: Mapping[str, str]) -> int:
    """``minRetentionDays``, the only parameter."""
    parameters.reject_unknown(raw, "minRetentionDays")
    return parameters.integer(raw, "minRetentionDays", DEFAULT_MIN_RETENTION_DAYS, 1, MAX_RETENTION_DAYS)


def _rds_retention(item: ConfigurationItem, min_days: int) -> str | None:
    days = as_int(lookup(item.configuration, "backupRetentionPeriod"))
    if days is None:
        raise MissingEvidence("configuration.backupRetentionPeriod is missing")
    if days < min_days:
        return f"automated backup retention is {days} day(s), below minRetentionDays={min_days}"
    return None


def _dynamodb_pitr(item: ConfigurationItem, min_days: int) -> str | None:
    description = lookup(item.supplementary, "ContinuousBackupsDescription")
    status = as_text(lookup(description, "PointInTimeRecoveryDescription", "PointInTimeRecoveryStatus"))
    if status is None:
        raise MissingEvidence("supplementaryConfiguration.ContinuousBackupsDescription is missing")
    if status != "ENABLED":
        return f"point-in-time recovery is {status}"
    return None


def _efs_automatic_backups(item: ConfigurationItem, min_days: int) -> str | None:
    status = as_text(lookup(item.configuration, "BackupPolicy", "Status"))
    if status is None:
        raise MissingEvidence("configuration.BackupPolicy.Status is missing")
    if status != "ENABLED":
        return f"automatic backups are {status}"
    return None


def _no_native_setting(item: ConfigurationItem, min_days: int) -> str | None:
    return None


# Each covered type's native backup setting; coverage by a backup plan is checked for all of them.
NATIVE_CHECKS: dict[str, Callable[[ConfigurationItem, int], str | None]] = {
    inventory.VOLUME: _no_native_setting,
    inventory.DB_INSTANCE: _rds_retention,
    inventory.DB_CLUSTER: _rds_retention,
    inventory.TABLE: _dynamodb_pitr,
    inventory.FILE_SYSTEM: _efs_automatic_backups,
}


def evaluate(item: ConfigurationItem, min_days: int, selections: tuple[Selection, ...]) -> Verdict:
    native = NATIVE_CHECKS.get(item.resource_type)
    if native is None:
        return Verdict.not_applicable(f"{item.resource_type} is not evaluated by the backup check.")
    if not item.configuration:
        raise MissingEvidence("the configuration item has no configuration")
    cluster = as_text(lookup(item.configuration, "dBClusterIdentifier"))
    if item.resource_type == inventory.DB_INSTANCE and cluster:
        # Aurora and Multi-AZ cluster members are backed up (and retained) at the cluster level.
        return Verdict.not_applicable(f"Backed up with its DB cluster {cluster}, which is evaluated itself.")
    if item.arn is None:
        raise MissingEvidence("the configuration item has no ARN")
    if item.tags is None:
        raise MissingEvidence("the configuration item has no tags field")
    problems = [p for p in [native(item, min_days)] if p]
    plans = sorted({s.plan_name for s in selections if s.covers(item.arn, item.tags)})
    if not plans:
        problems.append("not selected by any AWS Backup plan")
    if problems:
        return Verdict.non_compliant("; ".join(problems) + ".")
    return Verdict.compliant("Backed up; in AWS Backup plan(s): " + ", ".join(plans) + ".")


# --- periodic sweep -------------------------------------------------------------------------------


def _tables(ctx: SweepContext) -> list[Listed]:
    names = inventory.dynamodb_table_names(ctx)
    tags = inventory.tag_index(ctx, ["dynamodb:table"]) if names else {}
    dynamodb = client("dynamodb")

    def fetch(name: str) -> ConfigurationItem:
        described = dynamodb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
        arn = ctx.arn("dynamodb", f"table/{name}")
        return ConfigurationItem(
            inventory.TABLE,
            name,
            arn=arn,
            configuration={"TableName": name},
            supplementary={"ContinuousBackupsDescription": described},
            tags=tags.get(arn, {}),
        )

    return inventory.map_bounded(inventory.TABLE, names, fetch)


def _file_systems(ctx: SweepContext) -> list[Listed]:
    efs = client("efs")
    by_id = {fs["FileSystemId"]: fs for fs in inventory.efs_file_systems(ctx)}

    def fetch(file_system_id: str) -> ConfigurationItem:
        try:
            policy = efs.describe_backup_policy(FileSystemId=file_system_id)["BackupPolicy"]
        except ClientError as error:
            # EFS answers PolicyNotFound for a file system that never had a backup policy.
            if inventory.error_code(error) != "PolicyNotFound":
                raise
            policy = {"Status": "DISABLED"}
        return inventory.efs_item(ctx, by_id[file_system_id], {"BackupPolicy": policy})

    return inventory.map_bounded(inventory.FILE_SYSTEM, list(by_id), fetch)


def _evaluator(min_days: int) -> Evaluator:
    selections = load_selections(client("backup"))
    return lambda item: evaluate(item, min_days, selections)


CHECK = Check(
    name="backup",
    parse_parameters=parse_parameters,
    evaluator=_evaluator,
    listers={
        inventory.VOLUME: inventory.ebs_volumes,
        inventory.DB_INSTANCE: inventory.rds_instances,
        inventory.DB_CLUSTER: inventory.rds_clusters,
        inventory.TABLE: _tables,
        inventory.FILE_SYSTEM: _file_systems,
    },
)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return run(CHECK, event)
