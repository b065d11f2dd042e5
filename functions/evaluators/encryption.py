"""Encryption at rest: EBS volumes, S3 buckets, RDS instances and clusters, DynamoDB tables, EFS file
systems, SNS topics and SQS queues.

Parameters: ``requireKms`` ("true"/"false", default false) demands a KMS key where a resource could use
a non-KMS scheme (SSE-S3, DynamoDB's AWS-owned key, SSE-SQS); ``kmsKeyArns`` (comma-separated key ARNs)
restricts every KMS-encrypted resource to those keys.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from evaluators import inventory, parameters
from evaluators.check import Check, Evaluator, Target
from evaluators.errors import InvalidParameterError
from evaluators.fields import as_bool, as_text, lookup
from evaluators.inventory import Listed, SweepContext
from evaluators.items import ConfigurationItem
from evaluators.runner import run
from evaluators.verdicts import MissingEvidence, Verdict

# S3 has applied SSE-S3 to every new object since January 2023; a bucket without its own
# configuration is encrypted with SSE-S3.
S3_DEFAULT_ALGORITHM = "AES256"
S3_KMS_ALGORITHMS = frozenset({"aws:kms", "aws:kms:dsse"})


@dataclass(frozen=True)
class EncryptionParameters:
    require_kms: bool = False
    allowed_keys: frozenset[str] = frozenset()


def parse_parameters(raw: Mapping[str, str]) -> EncryptionParameters:
    parameters.reject_unknown(raw, "requireKms", "kmsKeyArns")
    keys = parameters.comma_list(raw, "kmsKeyArns")
    for key in keys:
        if not (key.startswith("arn:") and (":key/" in key or ":alias/" in key)):
            raise InvalidParameterError("kmsKeyArns", f"not a KMS key or alias ARN: {key!r}")
    return EncryptionParameters(parameters.boolean(raw, "requireKms", False), frozenset(keys))


def key_allowed(key: str | None, allowed: frozenset[str]) -> bool:
    """Whether ``key`` (an ARN, a bare key id, or an alias name) is one of the ``allowed`` ARNs."""
    if not allowed:
        return True
    if key is None:
        return False
    return any(key == arn or arn.endswith(f":key/{key}") or arn.endswith(f":{key}") for arn in allowed)


def _kms_verdict(what: str, key: str | None, params: EncryptionParameters) -> Verdict:
    if key_allowed(key, params.allowed_keys):
        return Verdict.compliant(f"{what} is encrypted with KMS key {key or '(AWS managed)'}.")
    shown = key or "the AWS managed key"
    return Verdict.non_compliant(f"{what} is encrypted with {shown}, which is not in kmsKeyArns.")


def _configuration(item: ConfigurationItem) -> Mapping[str, Any]:
    if not item.configuration:
        raise MissingEvidence("the configuration item has no configuration")
    return item.configuration


def _flag(configuration: Mapping[str, Any], name: str) -> bool:
    value = as_bool(lookup(configuration, name))
    if value is None:
        raise MissingEvidence(f"configuration.{name} is missing")
    return value


def _storage(
    what: str, flag: str, key_field: str
) -> Callable[[ConfigurationItem, EncryptionParameters], Verdict]:
    """Resources that are either unencrypted or encrypted with KMS (EBS, RDS, EFS)."""

    def evaluate(item: ConfigurationItem, params: EncryptionParameters) -> Verdict:
        configuration = _configuration(item)
        if not _flag(configuration, flag):
            return Verdict.non_compliant(f"{what} is not encrypted at rest.")
        return _kms_verdict(what, as_text(lookup(configuration, key_field)), params)

    return evaluate


def evaluate_bucket(item: ConfigurationItem, params: EncryptionParameters) -> Verdict:
    _configuration(item)
    rules = lookup(item.supplementary, "ServerSideEncryptionConfiguration", "rules")
    default = (
        lookup(rules[0], "applyServerSideEncryptionByDefault") if isinstance(rules, list) and rules else None
    )
    algorithm = as_text(lookup(default, "sseAlgorithm")) or S3_DEFAULT_ALGORITHM
    if algorithm in S3_KMS_ALGORITHMS:
        return _kms_verdict(f"S3 bucket ({algorithm})", as_text(lookup(default, "kmsMasterKeyID")), params)
    if algorithm != S3_DEFAULT_ALGORITHM:
        return Verdict.non_compliant(f"S3 bucket default encryption {algorithm!r} is not a known scheme.")
    if params.require_kms:
        return Verdict.non_compliant("S3 bucket uses SSE-S3; requireKms demands SSE-KMS or DSSE-KMS.")
    return Verdict.compliant("S3 bucket is encrypted with SSE-S3.")


# DynamoDB's SSEDescription (DynamoDB API reference, SSEDescription): absent when the table uses the
# AWS-owned key; otherwise Status ENABLING (a table being created with a KMS key), ENABLED or UPDATING
# (the key is being changed) mean a KMS key, DISABLING/DISABLED mean the table is going back to the
# AWS-owned key. SSEType's only supported value is KMS, so a description without one is KMS too.
# InaccessibleEncryptionDateTime is set while the table's KMS key is inaccessible (DynamoDB archives
# the table after seven days of it).
TABLE_KMS_STATUSES = frozenset({"ENABLING", "ENABLED", "UPDATING"})
TABLE_OWNED_KEY_STATUSES = frozenset({"DISABLING", "DISABLED"})


def evaluate_table(item: ConfigurationItem, params: EncryptionParameters) -> Verdict:
    configuration = _configuration(item)
    if as_text(lookup(configuration, "TableStatus")) == "DELETING":
        return Verdict.not_applicable("DynamoDB table is being deleted.")
    sse = lookup(configuration, "SSEDescription")
    if isinstance(sse, Mapping) and sse:
        inaccessible = lookup(sse, "InaccessibleEncryptionDateTime")
        if inaccessible not in (None, ""):
            return Verdict.non_compliant(
                f"DynamoDB table's KMS key {as_text(lookup(sse, 'KMSMasterKeyArn')) or ''} has been "
                f"inaccessible since {inaccessible}; DynamoDB archives the table after seven days."
            )
        status = as_text(lookup(sse, "Status"))
        sse_type = as_text(lookup(sse, "SSEType"))
        if status in TABLE_KMS_STATUSES and sse_type in (None, "KMS"):
            return _kms_verdict("DynamoDB table", as_text(lookup(sse, "KMSMasterKeyArn")), params)
        if status is None:
            raise MissingEvidence("configuration.SSEDescription.Status is missing")
        if status not in TABLE_OWNED_KEY_STATUSES | TABLE_KMS_STATUSES:
            return Verdict.non_compliant(f"DynamoDB table encryption status {status!r} is not a known state.")
    if params.require_kms:
        return Verdict.non_compliant("DynamoDB table uses the AWS-owned key; requireKms demands a KMS key.")
    return Verdict.compliant("DynamoDB table is encrypted with the AWS-owned key.")


def evaluate_topic(item: ConfigurationItem, params: EncryptionParameters) -> Verdict:
    key = as_text(lookup(_configuration(item), "KmsMasterKeyId"))
    if key is None:
        return Verdict.non_compliant("SNS topic has no server-side encryption (KmsMasterKeyId unset).")
    return _kms_verdict("SNS topic", key, params)


def evaluate_queue(item: ConfigurationItem, params: EncryptionParameters) -> Verdict:
    configuration = _configuration(item)
    key = as_text(lookup(configuration, "KmsMasterKeyId"))
    if key is not None:
        return _kms_verdict("SQS queue", key, params)
    if as_bool(lookup(configuration, "SqsManagedSseEnabled")):
        if params.require_kms:
            return Verdict.non_compliant("SQS queue uses SSE-SQS; requireKms demands a KMS key.")
        return Verdict.compliant("SQS queue is encrypted with SSE-SQS.")
    return Verdict.non_compliant("SQS queue has no server-side encryption.")


EVALUATORS: dict[str, Callable[[ConfigurationItem, EncryptionParameters], Verdict]] = {
    inventory.VOLUME: _storage("EBS volume", "encrypted", "kmsKeyId"),
    inventory.BUCKET: evaluate_bucket,
    inventory.DB_INSTANCE: _storage("RDS DB instance", "storageEncrypted", "kmsKeyId"),
    inventory.DB_CLUSTER: _storage("RDS DB cluster", "storageEncrypted", "kmsKeyId"),
    inventory.TABLE: evaluate_table,
    inventory.FILE_SYSTEM: _storage("EFS file system", "Encrypted", "KmsKeyId"),
    inventory.TOPIC: evaluate_topic,
    inventory.QUEUE: evaluate_queue,
}


def evaluate(item: ConfigurationItem, params: EncryptionParameters) -> Verdict:
    evaluator = EVALUATORS.get(item.resource_type)
    if evaluator is None:
        return Verdict.not_applicable(f"{item.resource_type} is not evaluated by the encryption check.")
    return evaluator(item, params)


# --- periodic sweep -------------------------------------------------------------------------------


def _buckets(ctx: SweepContext) -> list[Listed]:
    s3 = ctx.client("s3")

    def fetch(name: str) -> ConfigurationItem:
        supplementary: dict[str, Any] = {}
        try:
            found = s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]
            supplementary["ServerSideEncryptionConfiguration"] = found
        except ClientError as error:
            if inventory.error_code(error) != "ServerSideEncryptionConfigurationNotFoundError":
                raise
        return ConfigurationItem(
            resource_type=inventory.BUCKET,
            resource_id=name,
            arn=f"arn:{ctx.partition}:s3:::{name}",
            configuration={"name": name},
            supplementary=supplementary,
        )

    return ctx.read_each(inventory.BUCKET, inventory.s3_bucket_names(ctx), fetch)


def _tables(ctx: SweepContext) -> list[Listed]:
    dynamodb = ctx.client("dynamodb")

    def fetch(name: str) -> ConfigurationItem:
        table = dynamodb.describe_table(TableName=name)["Table"]
        return ConfigurationItem(inventory.TABLE, name, arn=table.get("TableArn"), configuration=table)

    return ctx.read_each(inventory.TABLE, inventory.dynamodb_table_names(ctx), fetch)


def _topics(ctx: SweepContext) -> list[Listed]:
    sns = ctx.client("sns")

    def fetch(arn: str) -> ConfigurationItem:
        attributes = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
        return ConfigurationItem(inventory.TOPIC, arn, arn=arn, configuration=attributes)

    return ctx.read_each(inventory.TOPIC, inventory.sns_topic_arns(ctx), fetch)


def _queues(ctx: SweepContext) -> list[Listed]:
    sqs = ctx.client("sqs")

    def fetch(url: str) -> ConfigurationItem:
        names = ["KmsMasterKeyId", "SqsManagedSseEnabled", "QueueArn"]
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names).get("Attributes", {})
        return ConfigurationItem(
            inventory.QUEUE,
            url,
            arn=inventory.sqs_queue_arn(ctx, url),
            configuration={"QueueUrl": url, **attributes},
        )

    return ctx.read_each(inventory.QUEUE, inventory.sqs_queue_urls(ctx), fetch)


def _evaluator(params: EncryptionParameters, target: Target) -> Evaluator:
    return lambda item: evaluate(item, params)


CHECK = Check(
    name="encryption",
    parse_parameters=parse_parameters,
    decide=lambda params, item, _selections: evaluate(item, params),
    evaluator=_evaluator,
    listers={
        inventory.VOLUME: inventory.ebs_volumes,
        inventory.BUCKET: _buckets,
        inventory.DB_INSTANCE: inventory.rds_instances,
        inventory.DB_CLUSTER: inventory.rds_clusters,
        inventory.TABLE: _tables,
        inventory.FILE_SYSTEM: inventory.efs_items,
        inventory.TOPIC: _topics,
        inventory.QUEUE: _queues,
    },
)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return run(CHECK, event, context)
