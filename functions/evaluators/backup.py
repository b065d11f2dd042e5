"""Backups: native backup settings plus, optionally, coverage by an AWS Backup plan selection.

RDS DB instances and clusters keep automated backups at least ``minRetentionDays`` (default 7) days
(instances that belong to a cluster are backed up with it and are not applicable; so are read replicas
unless ``checkReadReplicas`` is "true", the parameter AWS's managed rule db-instance-backup-enabled
offers for the same reason: many engines keep no automated backups on replicas); DynamoDB tables have
point-in-time recovery enabled; EFS file systems have automatic backups enabled. With
``requireBackupPlan`` "true" (the default), every EBS volume, RDS instance or cluster, DynamoDB table and
EFS file system must also be picked by some AWS Backup plan selection; with "false" that test is off and
EBS volumes, which have no native backup setting, are not applicable.

Plan selections never change a resource's own configuration item, so the rule also runs periodically;
both triggers evaluate the same way. A sweep reads the selections afresh; a change event uses the ones
the container read within ``SELECTIONS_MAX_AGE_SECONDS`` (10 minutes), so a warm container's change
event makes one call, PutEvaluations.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from evaluators import inventory, parameters
from evaluators.backup_plans import Selection, load_selections
from evaluators.check import Check, Evaluator, Target
from evaluators.fields import as_int, as_text, lookup
from evaluators.inventory import Listed, SweepContext
from evaluators.items import ConfigurationItem
from evaluators.runner import run
from evaluators.verdicts import MissingEvidence, Verdict

DEFAULT_MIN_RETENTION_DAYS = 7
MAX_RETENTION_DAYS = 35  # the RDS maximum for automated backups
SELECTIONS_MAX_AGE_SECONDS = 600


@dataclass(frozen=True)
class BackupParameters:
    min_retention_days: int = DEFAULT_MIN_RETENTION_DAYS
    require_backup_plan: bool = True
    check_read_replicas: bool = False


def parse_parameters(raw: Mapping[str, str]) -> BackupParameters:
    parameters.reject_unknown(raw, "minRetentionDays", "requireBackupPlan", "checkReadReplicas")
    return BackupParameters(
        parameters.integer(raw, "minRetentionDays", DEFAULT_MIN_RETENTION_DAYS, 1, MAX_RETENTION_DAYS),
        parameters.boolean(raw, "requireBackupPlan", True),
        parameters.boolean(raw, "checkReadReplicas", False),
    )


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


def evaluate(item: ConfigurationItem, params: BackupParameters, selections: tuple[Selection, ...]) -> Verdict:
    """``selections`` are the region's AWS Backup plan selections (unused when the plan test is off)."""
    native = NATIVE_CHECKS.get(item.resource_type)
    if native is None:
        return Verdict.not_applicable(f"{item.resource_type} is not evaluated by the backup check.")
    if item.resource_type == inventory.DB_INSTANCE:
        cluster = as_text(lookup(item.configuration, "dBClusterIdentifier"))
        if cluster:
            # Aurora and Multi-AZ cluster members are backed up (and retained) at the cluster level.
            return Verdict.not_applicable(
                f"Backed up with its DB cluster {cluster}, which is evaluated itself."
            )
        source = as_text(lookup(item.configuration, "readReplicaSourceDBInstanceIdentifier"))
        if source and not params.check_read_replicas:
            return Verdict.not_applicable(
                f"Read replica of {source}; replicas are not evaluated (checkReadReplicas=false)."
            )
    if item.resource_type == inventory.VOLUME and not params.require_backup_plan:
        return Verdict.not_applicable(
            "EBS volumes have no native backup setting and requireBackupPlan=false."
        )
    problems = [p for p in [native(item, params.min_retention_days)] if p]
    plans: list[str] = []
    if params.require_backup_plan:
        if item.arn is None:
            raise MissingEvidence("the configuration item has no ARN (plan selections match ARNs)")
        plans = sorted({s.plan_name for s in selections if s.covers(item.arn, item.tags)})
        if not plans:
            problems.append("not selected by any AWS Backup plan")
    if problems:
        return Verdict.non_compliant("; ".join(problems) + ".")
    if not params.require_backup_plan:
        return Verdict.compliant("Native backups are on (requireBackupPlan=false).")
    return Verdict.compliant("Backed up; in AWS Backup plan(s): " + ", ".join(plans) + ".")


# --- plan selections -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Loaded:
    at: float
    selections: tuple[Selection, ...]


# (account, region) -> the selections last read there, and when (time.monotonic()).
_selections: dict[tuple[str | None, str], _Loaded] = {}
_selections_lock = threading.Lock()


def region_selections(target: Target) -> tuple[Selection, ...]:
    """The region's plan selections: read afresh for a sweep, else reused within the maximum age."""
    backup = target.clients("backup")
    key = (target.account_id, backup.meta.region_name)
    now = time.monotonic()
    with _selections_lock:
        held = _selections.get(key)
    if target.fresh or held is None or now - held.at > SELECTIONS_MAX_AGE_SECONDS:
        held = _Loaded(now, load_selections(backup))
        with _selections_lock:
            _selections[key] = held
    return held.selections


def forget_selections() -> None:
    """Drop the container's cached selections (tests start each case cold)."""
    with _selections_lock:
        _selections.clear()


# --- periodic sweep -------------------------------------------------------------------------------


def _tables(ctx: SweepContext) -> list[Listed]:
    dynamodb = ctx.client("dynamodb")

    def fetch(name: str) -> ConfigurationItem:
        described = dynamodb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
        arn = ctx.arn("dynamodb", f"table/{name}")
        return ConfigurationItem(
            inventory.TABLE,
            name,
            arn=arn,
            configuration={"TableName": name},
            supplementary={"ContinuousBackupsDescription": described},
            tags=inventory.tag_index(ctx, ("dynamodb:table",)).get(arn, {}),
        )

    return ctx.read_each(inventory.TABLE, inventory.dynamodb_table_names(ctx), fetch)


def _file_systems(ctx: SweepContext) -> list[Listed]:
    efs = ctx.client("efs")
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

    return ctx.read_each(inventory.FILE_SYSTEM, list(by_id), fetch)


def _evaluator(params: BackupParameters, target: Target) -> Evaluator:
    selections = region_selections(target) if params.require_backup_plan else ()
    return lambda item: evaluate(item, params, selections)


CHECK = Check(
    name="backup",
    parse_parameters=parse_parameters,
    decide=lambda params, item, selections: evaluate(item, params, selections),
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
    return run(CHECK, event, context)
