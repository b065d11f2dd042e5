"""One adapter per Pulumi resource type: the configuration item AWS Config would record for it.

An adapter reads the resource's inputs (pulumi-aws 7 property names) and fills the fields the detective
checks read (functions/evaluators), with the value AWS applies when an input is left out, so that the
check's own decision gives the verdict the Config rule will give once the resource exists. Inputs that
refer to other resources (an S3 bucket's encryption, an EFS file system's backup policy, an Aurora
cluster's storage) are joined through ``Stack``. A value unknown at preview raises
``pulumi_policy.proxy.UnknownValueError`` where it is read; the policies report it as not checkable.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from evaluators import inventory
from evaluators.excepting import NAMED_BY_ARN
from evaluators.exceptions import ResourceIdentity
from evaluators.items import ConfigurationItem
from pulumi_policy import PolicyResource
from pulumi_policy.proxy import (
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
    UnknownValueError,
)

VOLUME = "aws:ebs/volume:Volume"
INSTANCE = "aws:ec2/instance:Instance"
BUCKET = "aws:s3/bucket:Bucket"
BUCKET_ENCRYPTION = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
DB_INSTANCE = "aws:rds/instance:Instance"
DB_CLUSTER = "aws:rds/cluster:Cluster"
DB_CLUSTER_INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
TABLE = "aws:dynamodb/table:Table"
FILE_SYSTEM = "aws:efs/fileSystem:FileSystem"
FILE_SYSTEM_BACKUP_POLICY = "aws:efs/backupPolicy:BackupPolicy"
TOPIC = "aws:sns/topic:Topic"
QUEUE = "aws:sqs/queue:Queue"

UNKNOWN_VALUES = frozenset(
    {
        UNKNOWN_STRING_VALUE,
        UNKNOWN_BOOLEAN_VALUE,
        UNKNOWN_NUMBER_VALUE,
        UNKNOWN_ARRAY_VALUE,
        UNKNOWN_OBJECT_VALUE,
    }
)

# RDS API Reference, CreateDBInstance and CreateDBCluster: BackupRetentionPeriod "Default: 1".
RDS_DEFAULT_RETENTION_DAYS = 1


@dataclass(frozen=True)
class Subject:
    """What one check sees of a resource: its configuration item, how to name it, and per check name
    what to set to make it compliant."""

    item: ConfigurationItem
    label: str
    urn: str
    # What an exception can match at preview: the physical name given as an input (Config's resource name
    # for named types, and S3's resource id) and the ARN where the name alone makes it; ids AWS assigns
    # (vol-..., db-..., a queue's URL) do not exist yet.
    identity: ResourceIdentity
    fixes: Mapping[str, str] = field(default_factory=dict)
    # Why the verdict may differ once deployed (an AWS default preview cannot see), per check name.
    caveats: Mapping[str, str] = field(default_factory=dict)
    # Per check name, why a NON_COMPLIANT verdict cannot be trusted at preview (what is still unknown).
    unknown: Mapping[str, str] = field(default_factory=dict)


class Stack:
    """Every resource of the preview, for joining a resource with the ones that configure it."""

    def __init__(self, resources: Sequence[PolicyResource]) -> None:
        self.resources = list(resources)

    def configuring(
        self, resource: PolicyResource, token: str, prop: str, name: Any = None
    ) -> list[PolicyResource]:
        """Resources of ``token`` whose ``prop`` refers to ``resource``: through a property dependency (the
        usual case, the target's id being unknown at preview) or by the physical ``name`` given as input."""
        found = []
        for other in self.resources:
            if other.resource_type != token:
                continue
            depends = any(dep.urn == resource.urn for dep in other.property_dependencies.get(prop, []))
            if depends or (name is not None and _raw(other.props, prop) == name):
                found.append(other)
        return found


def _raw(props: Mapping[str, Any], key: str) -> Any:
    """A property read for matching only: ``None`` when absent or unknown at preview (an unknown name
    matches nothing). pulumi_policy's proxy hands out its unchecked dict under ``"__target"``."""
    target = props if isinstance(props, dict) else props["__target"]
    value = target.get(key)
    return None if isinstance(value, str) and value in UNKNOWN_VALUES else value


# Stands for a key that is another resource's output: still a key (the resource is KMS-encrypted), but
# not one an allow-list can be checked against at preview.
KEY_UNKNOWN = "(a KMS key unknown at preview)"


def _key(props: Mapping[str, Any], name: str) -> Any:
    """A KMS key input, ``KEY_UNKNOWN`` when it is another resource's output."""
    try:
        return props.get(name)
    except UnknownValueError:
        return KEY_UNKNOWN


def _tags(props: Mapping[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    """The tags the resource will carry: ``tagsAll`` (its ``tags`` merged with the provider's
    ``defaultTags``), and, when ``tagsAll`` is unknown at preview, ``tags`` alone with the reason a
    missing tag cannot be trusted yet (keyed by the check that reads tags)."""
    tags = {str(k): str(v) for k, v in (props.get("tags") or {}).items()}
    try:
        merged = {**tags, **{str(k): str(v) for k, v in (props.get("tagsAll") or {}).items()}}
    except UnknownValueError:
        return tags, {"required-tags": "tagsAll (tags with the provider's defaultTags) is unknown at preview"}
    return merged, {}


def _subject(
    resource: PolicyResource,
    resource_type: str,
    resource_id: Any,
    configuration: Mapping[str, Any],
    fixes: Mapping[str, str],
    *,
    arn: str = "",
    supplementary: Mapping[str, Any] | None = None,
    caveats: Mapping[str, str] | None = None,
    tags: tuple[dict[str, str], dict[str, str]] | None = None,
    label: str | None = None,
) -> Subject:
    """The resource as a check sees it. A resource's ARN is not known before it exists: ``""`` matches only
    backup selections that pick every resource (``*``) or pick by tags."""
    item_tags, unknown = tags if tags is not None else _tags(resource.props)
    if KEY_UNKNOWN in json.dumps([configuration, supplementary], default=str):
        unknown = {**unknown, "encryption": "its KMS key is another resource's output, unknown at preview"}
    item = ConfigurationItem(
        resource_type,
        str(resource_id or resource.name),
        arn=arn,
        configuration=configuration,
        supplementary=supplementary or {},
        tags=item_tags,
    )
    label = label or f"{resource.resource_type} {resource.name!r}"
    name = str(resource_id) if resource_id and resource_type in NAMED_BY_ARN else None
    identity = ResourceIdentity((name or "") if resource_type == inventory.BUCKET else "", name, arn or None)
    fixes = {"required-tags": TAG_FIX, **fixes}
    return Subject(item, label, resource.urn, identity, fixes, caveats or {}, unknown)


TAG_FIX = "set tags (or the provider's defaultTags)"
ENCRYPT_FIX = "set {where}encrypted=true (and {where}kmsKeyId to an allowed key where kmsKeyArns applies)"
# Account-level EBS encryption by default (EC2 User Guide, "Amazon EBS encryption by default") encrypts a
# volume whose inputs do not ask for it; preview cannot read the account setting.
EBS_DEFAULT = "EBS encryption by default, if on in the account, encrypts it anyway; preview cannot see that"


def volume(resource: PolicyResource, stack: Stack) -> list[Subject]:
    props = resource.props
    configuration = {"encrypted": bool(props.get("encrypted")), "kmsKeyId": _key(props, "kmsKeyId")}
    fixes = {"encryption": ENCRYPT_FIX.format(where="")}
    return [
        _subject(resource, inventory.VOLUME, None, configuration, fixes, caveats={"encryption": EBS_DEFAULT})
    ]


def _block_devices(props: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    root = props.get("rootBlockDevice")
    # An instance always has a root volume; without rootBlockDevice it takes the AMI's defaults.
    yield "rootBlockDevice", root if isinstance(root, Mapping) else {}
    for index, device in enumerate(props.get("ebsBlockDevices") or []):
        yield f"ebsBlockDevices[{index}]", device


def instance(resource: PolicyResource, stack: Stack) -> list[Subject]:
    """The instance itself (tags) and each EBS volume it creates (encryption, tags)."""
    props = resource.props
    subjects = [_subject(resource, inventory.INSTANCE, None, {}, {})]
    # The provider tags an instance's volumes with volumeTags, or each device's own tags; the provider's
    # defaultTags do not reach them (pulumi-aws ec2.Instance, volumeTags).
    volume_tags = {str(k): str(v) for k, v in (props.get("volumeTags") or {}).items()}
    for where, device in _block_devices(props):
        tags = {**volume_tags, **{str(k): str(v) for k, v in (device.get("tags") or {}).items()}}
        configuration = {"encrypted": bool(device.get("encrypted")), "kmsKeyId": _key(device, "kmsKeyId")}
        fixes = {
            "encryption": ENCRYPT_FIX.format(where=f"{where}."),
            "required-tags": f"set volumeTags or {where}.tags",
        }
        subjects.append(
            _subject(
                resource,
                inventory.VOLUME,
                f"{resource.name}:{where}",
                configuration,
                fixes,
                caveats={"encryption": EBS_DEFAULT},
                tags=(tags, {}),
                label=f"{where} of {resource.resource_type} {resource.name!r}",
            )
        )
    return subjects


def _bucket_rule(rule: Mapping[str, Any]) -> dict[str, Any]:
    default = rule.get("applyServerSideEncryptionByDefault") or {}
    return {
        "applyServerSideEncryptionByDefault": {
            "sseAlgorithm": default.get("sseAlgorithm"),
            "kmsMasterKeyID": _key(default, "kmsMasterKeyId"),
        }
    }


def bucket(resource: PolicyResource, stack: Stack) -> list[Subject]:
    """A bucket's default encryption comes from a BucketServerSideEncryptionConfiguration joined to it, or
    from the deprecated inline ``serverSideEncryptionConfiguration``; without either, S3's default: SSE-S3
    for every new bucket since January 5, 2023 (S3 User Guide, "Setting default server-side encryption
    behavior for Amazon S3 buckets"), which the detective check assumes too (evaluators.encryption)."""
    props = resource.props
    name = props.get("bucket") or resource.name
    rules: list[dict[str, Any]] = []
    for configuration in stack.configuring(resource, BUCKET_ENCRYPTION, "bucket", _raw(props, "bucket")):
        rules.extend(_bucket_rule(rule) for rule in configuration.props.get("rules") or [])
    # Read only when no configuration resource decides: the inline block is computed (pulumi_aws
    # s3.Bucket's output is not Optional), so a new bucket's planned state has it unknown at preview.
    inline = None if rules else props.get("serverSideEncryptionConfiguration")
    if isinstance(inline, Mapping) and isinstance(inline.get("rule"), Mapping):
        rules.append(_bucket_rule(inline["rule"]))
    fixes = {
        "encryption": "add an aws.s3.BucketServerSideEncryptionConfiguration for the bucket with "
        "sseAlgorithm aws:kms (and kmsMasterKeyId an allowed key)"
    }
    return [
        _subject(
            resource,
            inventory.BUCKET,
            name,
            {"name": name},
            fixes,
            arn=f"arn:aws:s3:::{name}",
            supplementary={"ServerSideEncryptionConfiguration": {"rules": rules}} if rules else {},
            caveats={}
            if rules
            else {"encryption": "S3 encrypts every new bucket with SSE-S3 since January 2023"},
        )
    ]


def _rds_fixes(what: str) -> dict[str, str]:
    return {
        "encryption": "set storageEncrypted=true (and kmsKeyId to an allowed key where kmsKeyArns applies)",
        "backup": f"set backupRetentionPeriod to at least minBackupRetentionDays on the {what}, and select "
        "it in an AWS Backup plan",
    }


def _retention(props: Mapping[str, Any]) -> int:
    value = props.get("backupRetentionPeriod")
    return RDS_DEFAULT_RETENTION_DAYS if value is None else int(value)


def db_instance(resource: PolicyResource, stack: Stack) -> list[Subject]:
    props = resource.props
    configuration = {
        "storageEncrypted": bool(props.get("storageEncrypted")),
        "kmsKeyId": _key(props, "kmsKeyId"),
        "backupRetentionPeriod": _retention(props),
        "readReplicaSourceDBInstanceIdentifier": props.get("replicateSourceDb"),
    }
    name = props.get("identifier")
    return [_subject(resource, inventory.DB_INSTANCE, name, configuration, _rds_fixes("DB instance"))]


def db_cluster(resource: PolicyResource, stack: Stack) -> list[Subject]:
    props = resource.props
    configuration = {
        "storageEncrypted": bool(props.get("storageEncrypted")),
        "kmsKeyId": _key(props, "kmsKeyId"),
        "backupRetentionPeriod": _retention(props),
    }
    name = props.get("clusterIdentifier")
    return [_subject(resource, inventory.DB_CLUSTER, name, configuration, _rds_fixes("DB cluster"))]


def db_cluster_instance(resource: PolicyResource, stack: Stack) -> list[Subject]:
    """A cluster member's storage is its cluster's (RDS User Guide, Aurora storage encryption), so its
    encryption comes from the cluster joined through ``clusterIdentifier``; Config records the member with
    ``dBClusterIdentifier``, which makes it not applicable to the backup check."""
    props = resource.props
    configuration: dict[str, Any] = {"dBClusterIdentifier": props.get("clusterIdentifier")}
    cluster = _cluster_of(resource, stack)
    if cluster is not None:
        configuration["storageEncrypted"] = bool(cluster.props.get("storageEncrypted"))
        configuration["kmsKeyId"] = _key(cluster.props, "kmsKeyId")
    fixes = {**_rds_fixes("DB cluster"), "encryption": "set storageEncrypted=true on its aws.rds.Cluster"}
    return [_subject(resource, inventory.DB_INSTANCE, props.get("identifier"), configuration, fixes)]


def _cluster_of(resource: PolicyResource, stack: Stack) -> PolicyResource | None:
    for dependency in resource.property_dependencies.get("clusterIdentifier", []):
        if dependency.resource_type == DB_CLUSTER:
            return dependency
    wanted = _raw(resource.props, "clusterIdentifier")
    clusters = [r for r in stack.resources if r.resource_type == DB_CLUSTER]
    return next(
        (r for r in clusters if wanted is not None and _raw(r.props, "clusterIdentifier") == wanted), None
    )


def table(resource: PolicyResource, stack: Stack) -> list[Subject]:
    """DynamoDB encrypts every table: with the AWS-owned key unless ``serverSideEncryption.enabled``, which
    uses ``kmsKeyArn`` or the AWS managed key ``alias/aws/dynamodb`` (DynamoDB Developer Guide, encryption
    at rest)."""
    props = resource.props
    sse = props.get("serverSideEncryption") or {}
    name = props.get("name") or resource.name
    configuration: dict[str, Any] = {"TableName": name}
    if sse.get("enabled"):
        configuration["SSEDescription"] = {
            "Status": "ENABLED",
            "SSEType": "KMS",
            "KMSMasterKeyArn": _key(sse, "kmsKeyArn"),
        }
    recovery = "ENABLED" if (props.get("pointInTimeRecovery") or {}).get("enabled") else "DISABLED"
    fixes = {
        "encryption": "set serverSideEncryption={enabled: true, kmsKeyArn: <an allowed key>}",
        "backup": "set pointInTimeRecovery={enabled: true}, and select the table in an AWS Backup plan",
    }
    supplementary = {
        "ContinuousBackupsDescription": {
            "PointInTimeRecoveryDescription": {"PointInTimeRecoveryStatus": recovery}
        }
    }
    return [_subject(resource, inventory.TABLE, name, configuration, fixes, supplementary=supplementary)]


def file_system(resource: PolicyResource, stack: Stack) -> list[Subject]:
    """Automatic backups are off for a file system created through the API unless an
    aws.efs.BackupPolicy enables them (EFS User Guide, "Automatic backups")."""
    props = resource.props
    status = "DISABLED"
    for policy in stack.configuring(resource, FILE_SYSTEM_BACKUP_POLICY, "fileSystemId"):
        status = str((policy.props.get("backupPolicy") or {}).get("status") or "DISABLED")
    configuration = {
        "Encrypted": bool(props.get("encrypted")),
        "KmsKeyId": _key(props, "kmsKeyId"),
        "BackupPolicy": {"Status": status},
    }
    fixes = {
        "encryption": ENCRYPT_FIX.format(where=""),
        "backup": "add an aws.efs.BackupPolicy with status ENABLED, and select it in an AWS Backup plan",
    }
    return [_subject(resource, inventory.FILE_SYSTEM, None, configuration, fixes)]


def topic(resource: PolicyResource, stack: Stack) -> list[Subject]:
    props = resource.props
    configuration = {"KmsMasterKeyId": _key(props, "kmsMasterKeyId")}
    return [
        _subject(
            resource, inventory.TOPIC, props.get("name"), configuration, {"encryption": "set kmsMasterKeyId"}
        )
    ]


def queue(resource: PolicyResource, stack: Stack) -> list[Subject]:
    """SQS encrypts new queues with SSE-SQS unless told otherwise (SQS Developer Guide, "Encryption at
    rest": SSE-SQS is the default for queues created since October 2022)."""
    props = resource.props
    key = _key(props, "kmsMasterKeyId")
    managed = props.get("sqsManagedSseEnabled")
    configuration = {"KmsMasterKeyId": key, "SqsManagedSseEnabled": "false" if managed is False else "true"}
    caveats = (
        {} if key or managed is not None else {"encryption": "SQS applies SSE-SQS to new queues by default"}
    )
    fixes = {"encryption": "set kmsMasterKeyId"}
    return [_subject(resource, inventory.QUEUE, props.get("name"), configuration, fixes, caveats=caveats)]


ADAPTERS: dict[str, Callable[[PolicyResource, Stack], list[Subject]]] = {
    VOLUME: volume,
    INSTANCE: instance,
    BUCKET: bucket,
    DB_INSTANCE: db_instance,
    DB_CLUSTER: db_cluster,
    DB_CLUSTER_INSTANCE: db_cluster_instance,
    TABLE: table,
    FILE_SYSTEM: file_system,
    TOPIC: topic,
    QUEUE: queue,
}
