"""Every input the pack reads is an input of the resource in pulumi-aws 7, under the name Pulumi sends it.

A misspelt input is read as absent, and the pack then decides on AWS's default without a word: the worst
failure it can have. So each adapter (and the backup selection reader) is run over inputs that answer
only to the names of the resource's ``*Args`` class in the installed pulumi_aws (the camelCase names
``pulumi.getter`` declares, which is what the engine hands the analyzer), nested objects and lists
following the Args classes' own annotations. A name not there is recorded and fails the test.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator, Mapping
from typing import Any

import pulumi_aws as aws
from pulumi._types import input_type_py_to_pulumi_names
from pulumi_policy import PolicyCustomTimeouts, PolicyResource, PolicyResourceOptions

from policy.preventive import adapters as a
from policy.preventive.policies import BACKUP_PLAN, BACKUP_SELECTION, program_selections

# Named InitArgs, its Args name being taken by the deprecated inline block's type; read through the
# resource's module (importing the module by path breaks pulumi_aws.s3's lazy attributes).
BUCKET_ENCRYPTION_ARGS = sys.modules[
    aws.s3.BucketServerSideEncryptionConfiguration.__module__
].BucketServerSideEncryptionConfigurationInitArgs
ARGS: dict[str, type] = {
    a.VOLUME: aws.ebs.VolumeArgs,
    a.INSTANCE: aws.ec2.InstanceArgs,
    a.BUCKET: aws.s3.BucketArgs,
    a.BUCKET_ENCRYPTION: BUCKET_ENCRYPTION_ARGS,
    a.DB_INSTANCE: aws.rds.InstanceArgs,
    a.DB_CLUSTER: aws.rds.ClusterArgs,
    a.DB_CLUSTER_INSTANCE: aws.rds.ClusterInstanceArgs,
    a.TABLE: aws.dynamodb.TableArgs,
    a.FILE_SYSTEM: aws.efs.FileSystemArgs,
    a.FILE_SYSTEM_BACKUP_POLICY: aws.efs.BackupPolicyArgs,
    a.TOPIC: aws.sns.TopicArgs,
    a.QUEUE: aws.sqs.QueueArgs,
    BACKUP_SELECTION: aws.backup.SelectionArgs,
    BACKUP_PLAN: aws.backup.PlanArgs,
}
# Not an input of the Args classes: the tags with the provider's defaultTags, which the bridged provider
# computes and hands to the analyzer with the inputs (the pack reads it where present).
COMPUTED = {"tagsAll"}


class Inputs(Mapping[str, Any]):
    """A resource's inputs that answer only to the Args class's names, with a value of each one's type."""

    def __init__(self, args: type, path: str, unknown: list[str]) -> None:
        self.args, self.path, self.unknown = args, path, unknown
        self.names = {pulumi: py for py, pulumi in input_type_py_to_pulumi_names(args).items()}

    def __getitem__(self, key: str) -> Any:
        if key == "__target":  # how pulumi_policy's proxy hands out its dict
            return self
        if key in COMPUTED and self.path.count(".") == 0:
            return {}
        if key not in self.names:
            self.unknown.append(f"{self.path}.{key} ({self.args.__name__})")
            raise KeyError(key)
        annotation = repr(self.args.__dict__[self.names[key]].fget.__annotations__["return"])
        return self._value(annotation, f"{self.path}.{key}")

    def _value(self, annotation: str, path: str) -> Any:
        nested = re.search(r"ForwardRef\('(\w+Args)'\)", annotation)
        nested_args = getattr(sys.modules[self.args.__module__], nested.group(1)) if nested else None
        if annotation.startswith("typing.Union[typing.Sequence["):
            return [Inputs(nested_args, f"{path}[0]", self.unknown)] if nested_args else ["x"]
        if annotation.startswith("typing.Union[typing.Mapping["):
            return {"Environment": "prod"}
        if nested_args is not None:
            return Inputs(nested_args, path, self.unknown)
        if annotation.startswith("typing.Union[bool"):
            return True
        if annotation.startswith("typing.Union[int"):
            return 7
        return "x"

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0

    def __bool__(self) -> bool:  # given, as every input here is
        return True


def _program(unknown: list[str]) -> list[PolicyResource]:
    options = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])
    built = {
        token: PolicyResource(
            token, Inputs(args, token, unknown), f"urn:{token}", token, options, None, None, [], {}
        )
        for token, args in ARGS.items()
    }
    # The joins: each configuring resource refers to the one it configures.
    joins = [
        (a.BUCKET_ENCRYPTION, "bucket", a.BUCKET),
        (a.FILE_SYSTEM_BACKUP_POLICY, "fileSystemId", a.FILE_SYSTEM),
        (a.DB_CLUSTER_INSTANCE, "clusterIdentifier", a.DB_CLUSTER),
        (BACKUP_SELECTION, "planId", BACKUP_PLAN),
    ]
    for source, prop, target in joins:
        built[source].property_dependencies[prop] = [built[target]]
    return list(built.values())


def test_the_fake_inputs_refuse_a_name_pulumi_aws_does_not_have() -> None:
    unknown: list[str] = []
    inputs = Inputs(aws.backup.SelectionArgs, "selection", unknown)
    assert inputs.get("condition") is None and unknown == ["selection.condition (SelectionArgs)"]
    condition = inputs.get("conditions")[0]
    assert condition.get("stringLike") is None and condition.get("stringLikes")[0].get("key") == "x"


def test_every_input_the_pack_reads_is_a_pulumi_aws_input() -> None:
    unknown: list[str] = []
    resources = _program(unknown)
    stack = a.Stack(resources)
    subjects = [
        s for r in resources if r.resource_type in a.ADAPTERS for s in a.ADAPTERS[r.resource_type](r, stack)
    ]
    selections, unreadable = program_selections(stack)
    assert unknown == []
    assert unreadable == []
    # The joins were followed (so the joined resources' inputs were read too).
    bucket = next(s for s in subjects if s.item.resource_type == "AWS::S3::Bucket")
    assert bucket.item.supplementary["ServerSideEncryptionConfiguration"]["rules"]
    file_system = next(s for s in subjects if s.item.resource_type == "AWS::EFS::FileSystem")
    assert file_system.item.configuration["BackupPolicy"] == {"Status": "x"}
    member = next(s for s in subjects if s.item.configuration.get("dBClusterIdentifier"))
    assert member.item.configuration["storageEncrypted"] is True
    (selection,) = selections
    assert selection.conditions and selection.list_of_tags and selection.not_resources
    assert {c.operator for c in selection.conditions} == {
        "StringEquals",
        "StringNotEquals",
        "StringLike",
        "StringNotLike",
    }
