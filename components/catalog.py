"""The single list of compliance checks.

Recording scope, IAM roles, Lambda functions and Config rules are all derived from this list:
adding a check is one module under ``functions/evaluators/`` plus one entry here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from components.settings import Settings


class RuleSettings(Protocol):
    """The settings rule parameters come from: the stack's (components.settings.Settings) and the policy
    pack's configuration (policy/preventive/config.py), which takes the same names and meaning."""

    @property
    def require_kms(self) -> bool: ...
    @property
    def allowed_kms_key_arns(self) -> tuple[str, ...]: ...
    @property
    def required_tags(self) -> tuple[str, ...]: ...
    @property
    def min_backup_retention_days(self) -> int: ...
    @property
    def require_backup_plan(self) -> bool: ...
    @property
    def check_read_replicas(self) -> bool: ...


# Resource ARN patterns may use {account}. "*" where the action has no resource-level scoping, and for every
# call that names no resource (list and describe-all calls are authorized against "*"), as
# tests/infra/test_iam_scoping.py checks against the Service Authorization Reference and the evaluators' code.
ANY_RESOURCE = "*"


@dataclass(frozen=True)
class Permission:
    action: str
    resource: str = ANY_RESOURCE


@dataclass(frozen=True)
class RuleParameter:
    """One of a Config rule's InputParameters and the stack setting it carries."""

    name: str
    setting: str
    # The parameter's text from the settings; an empty text leaves the parameter out.
    value: Callable[[RuleSettings], str]


@dataclass(frozen=True)
class Check:
    name: str
    handler: str
    description: str
    resource_types: tuple[str, ...]
    read_permissions: tuple[Permission, ...]
    rule_parameters: tuple[RuleParameter, ...]

    def parameters(self, settings: RuleSettings) -> dict[str, str]:
        """The Config rule's InputParameters, from the stack settings."""
        texts = ((parameter.name, parameter.value(settings)) for parameter in self.rule_parameters)
        return {name: text for name, text in texts if text}

    @property
    def function_module(self) -> str:
        """The evaluator module (under functions/) whose ``CHECK`` the handler runs."""
        return self.handler.rpartition(".")[0]
    # This project's claim, not AWS's: the check covers what these AWS managed rules check, so it supports
    # the framework controls AWS maps to them (components/frameworks.py, docs/frameworks.md).
    equivalent_managed_rules: tuple[str, ...]


def _flag(value: bool) -> str:
    return str(value).lower()


ENCRYPTION = Check(
    name="encryption",
    handler="evaluators.encryption.handler",
    description="Storage and messaging resources are encrypted at rest.",
    resource_types=(
        "AWS::EC2::Volume",
        "AWS::S3::Bucket",
        "AWS::RDS::DBInstance",
        "AWS::RDS::DBCluster",
        "AWS::DynamoDB::Table",
        "AWS::EFS::FileSystem",
        "AWS::SNS::Topic",
        "AWS::SQS::Queue",
    ),
    read_permissions=(
        Permission("ec2:DescribeVolumes"),
        Permission("s3:ListAllMyBuckets"),
        Permission("s3:GetEncryptionConfiguration", "arn:aws:s3:::*"),
        Permission("rds:DescribeDBInstances"),
        Permission("rds:DescribeDBClusters"),
        Permission("dynamodb:ListTables"),
        Permission("dynamodb:DescribeTable", "arn:aws:dynamodb:*:{account}:table/*"),
        Permission("elasticfilesystem:DescribeFileSystems"),
        Permission("sns:ListTopics"),
        Permission("sns:GetTopicAttributes", "arn:aws:sns:*:{account}:*"),
        Permission("sqs:ListQueues"),
        Permission("sqs:GetQueueAttributes", "arn:aws:sqs:*:{account}:*"),
    ),
    rule_parameters=(
        RuleParameter("requireKms", "requireKms", lambda settings: _flag(settings.require_kms)),
        RuleParameter(
            "kmsKeyArns", "allowedKmsKeyArns", lambda settings: ",".join(settings.allowed_kms_key_arns)
        ),
    ),
    equivalent_managed_rules=(
        "ENCRYPTED_VOLUMES",
        "S3_BUCKET_SERVER_SIDE_ENCRYPTION_ENABLED",
        "RDS_STORAGE_ENCRYPTED",
        "DYNAMODB_TABLE_ENCRYPTION_ENABLED",
        "EFS_ENCRYPTED_CHECK",
        "SNS_ENCRYPTED_KMS",
    ),
)

REQUIRED_TAGS = Check(
    name="required-tags",
    handler="evaluators.required_tags.handler",
    description="Resources carry every required tag with an allowed value.",
    resource_types=(
        "AWS::EC2::Instance",
        "AWS::EC2::Volume",
        "AWS::S3::Bucket",
        "AWS::RDS::DBInstance",
        "AWS::RDS::DBCluster",
        "AWS::DynamoDB::Table",
        "AWS::EFS::FileSystem",
        "AWS::SNS::Topic",
        "AWS::SQS::Queue",
    ),
    read_permissions=(
        Permission("tag:GetResources"),
        Permission("ec2:DescribeInstances"),
        Permission("ec2:DescribeVolumes"),
        Permission("s3:ListAllMyBuckets"),
        Permission("rds:DescribeDBInstances"),
        Permission("rds:DescribeDBClusters"),
        Permission("dynamodb:ListTables"),
        Permission("elasticfilesystem:DescribeFileSystems"),
        Permission("sns:ListTopics"),
        Permission("sqs:ListQueues"),
    ),
    rule_parameters=(
        RuleParameter("requiredTags", "requiredTags", lambda settings: ",".join(settings.required_tags)),
    ),
    equivalent_managed_rules=("REQUIRED_TAGS",),
)

BACKUP = Check(
    name="backup",
    handler="evaluators.backup.handler",
    description="Databases and volumes are backed up and covered by an AWS Backup plan.",
    resource_types=(
        "AWS::EC2::Volume",
        "AWS::RDS::DBInstance",
        "AWS::RDS::DBCluster",
        "AWS::DynamoDB::Table",
        "AWS::EFS::FileSystem",
    ),
    read_permissions=(
        Permission("ec2:DescribeVolumes"),
        Permission("rds:DescribeDBInstances"),
        Permission("rds:DescribeDBClusters"),
        Permission("dynamodb:ListTables"),
        Permission("dynamodb:DescribeContinuousBackups", "arn:aws:dynamodb:*:{account}:table/*"),
        Permission("elasticfilesystem:DescribeFileSystems"),
        Permission(
            "elasticfilesystem:DescribeBackupPolicy", "arn:aws:elasticfilesystem:*:{account}:file-system/*"
        ),
        Permission("backup:ListBackupPlans"),
        Permission("backup:ListBackupSelections", "arn:aws:backup:*:{account}:backup-plan:*"),
        Permission("backup:GetBackupSelection", "arn:aws:backup:*:{account}:backup-plan:*"),
        Permission("tag:GetResources"),
    ),
    rule_parameters=(
        RuleParameter(
            "minRetentionDays",
            "minBackupRetentionDays",
            lambda settings: str(settings.min_backup_retention_days),
        ),
        RuleParameter(
            "requireBackupPlan", "requireBackupPlan", lambda settings: _flag(settings.require_backup_plan)
        ),
        RuleParameter(
            "checkReadReplicas", "checkReadReplicas", lambda settings: _flag(settings.check_read_replicas)
        ),
    ),
    equivalent_managed_rules=(
        "DB_INSTANCE_BACKUP_ENABLED",
        "DYNAMODB_PITR_ENABLED",
        "EBS_IN_BACKUP_PLAN",
        "EFS_IN_BACKUP_PLAN",
        "RDS_IN_BACKUP_PLAN",
        "DYNAMODB_IN_BACKUP_PLAN",
    ),
)

CHECKS: tuple[Check, ...] = (ENCRYPTION, REQUIRED_TAGS, BACKUP)

# Every evaluator reports through the same Config APIs (see the evaluator contract).
EVALUATOR_PERMISSIONS: tuple[Permission, ...] = (
    Permission("config:PutEvaluations"),
    Permission("config:GetComplianceDetailsByConfigRule", "arn:aws:config:*:{account}:config-rule/*"),
    Permission("config:GetResourceConfigHistory"),
)


# IAM is global: its items are recorded in the primary region only, or every region would repeat them.
GLOBAL_RESOURCE_TYPES = ("AWS::IAM::User", "AWS::IAM::Group", "AWS::IAM::Role", "AWS::IAM::Policy")


def recorded_resource_types() -> tuple[str, ...]:
    """Every resource type some check evaluates, each once, in catalogue order."""
    return tuple(dict.fromkeys(t for check in CHECKS for t in check.resource_types))


def recorded_types_in_region(settings: Settings, region: str) -> tuple[str, ...]:
    """The explicit resource types a recorder records in one of the stack's regions (not with
    recordAllResourceTypes): the checks' types, the extra ones, and those of the managed rules that run in
    the region."""
    managed_types = {
        resource_type
        for rule in settings.managed_rules
        if region in rule.regions(settings.regions, settings.primary_region)
        for resource_type in rule.recorded_types
    }
    resource_types = {*recorded_resource_types(), *settings.extra_resource_types, *managed_types}
    if region == settings.primary_region:
        resource_types |= set(GLOBAL_RESOURCE_TYPES)
    else:
        # Extra global types too are recorded once, in the primary region.
        resource_types -= set(GLOBAL_RESOURCE_TYPES)
    return tuple(sorted(resource_types))
