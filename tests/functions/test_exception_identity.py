"""A resource has one identity (resource id, name, ARN) for exceptions, whichever path evaluates it: the
change path reads a configuration item, the sweep lists the resource; if they disagreed a result would
flip between them and alert on every sweep."""

from __future__ import annotations

from typing import Any

import parliament
import pytest
from evaluator_support import (
    ACCOUNT,
    REGION,
    ApiCalls,
    client,
    configuration_item,
    give_db_instance_unique_resource_id,
)
from evaluators import required_tags
from evaluators.excepting import NAMED_BY_ARN, identity, name_in_arn
from evaluators.exceptions import ResourceIdentity
from evaluators.inventory import Listed, SweepContext
from evaluators.items import ConfigurationItem, item_from_record

from components.catalog import recorded_resource_types

# The Service Authorization Reference's resource of each type whose ARN the evaluators read.
SAR_RESOURCES = {
    "AWS::EC2::Instance": ("ec2", "instance"),
    "AWS::EC2::Volume": ("ec2", "volume"),
    "AWS::S3::Bucket": ("s3", "bucket"),
    "AWS::RDS::DBInstance": ("rds", "db"),
    "AWS::RDS::DBCluster": ("rds", "cluster"),
    "AWS::DynamoDB::Table": ("dynamodb", "table"),
    "AWS::EFS::FileSystem": ("elasticfilesystem", "file-system"),
    "AWS::SNS::Topic": ("sns", "topic"),
    "AWS::SQS::Queue": ("sqs", "queue"),
}


def sar_arn_format(resource_type: str) -> str:
    service, resource = SAR_RESOURCES[resource_type]
    (found,) = [
        entry["arn"]
        for definition in parliament.iam_definition
        if definition["prefix"] == service
        for entry in definition["resources"]
        if entry["resource"] == resource
    ]
    return str(found)


def test_named_types_are_those_whose_arn_ends_in_a_name() -> None:
    """The ARN formats of the Service Authorization Reference (as parliament ships it): a named type's
    ARN ends in its ``${...Name}``, every other type's in its ``${...Id}``."""
    assert set(SAR_RESOURCES) == set(recorded_resource_types())
    for resource_type in SAR_RESOURCES:
        last = name_in_arn(sar_arn_format(resource_type))
        assert last.startswith("${") and last.endswith("}"), (resource_type, last)
        is_named = last.endswith("Name}")
        assert is_named == (resource_type in NAMED_BY_ARN), (resource_type, last)


def sweep_items() -> dict[tuple[str, str], ConfigurationItem]:
    ctx = SweepContext(REGION, ACCOUNT, "aws")
    listed: list[Listed] = [entry for lister in required_tags.CHECK.listers.values() for entry in lister(ctx)]
    items = {(e.resource_type, e.resource_id): e for e in listed if isinstance(e, ConfigurationItem)}
    assert len(items) == len(listed)
    return items


def arrange() -> dict[str, tuple[str, str, str | None]]:
    """One resource of every type: (resource id, ARN, resourceName) as Config records them."""
    prefix = f"{REGION}:{ACCOUNT}"
    client("s3").create_bucket(Bucket="public-assets-1")
    client("dynamodb").create_table(
        TableName="orders",
        KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    topic = client("sns").create_topic(Name="alerts")["TopicArn"]
    queue = client("sqs").create_queue(QueueName="jobs")["QueueUrl"]
    rds = client("rds")
    rds.create_db_instance(
        DBInstanceIdentifier="billing",
        DBInstanceClass="db.t3.micro",
        Engine="postgres",
        AllocatedStorage=20,
        MasterUsername="admin",
        MasterUserPassword="password123",
    )
    dbi = give_db_instance_unique_resource_id("billing")
    cluster = rds.create_db_cluster(
        DBClusterIdentifier="aurora",
        Engine="aurora-postgresql",
        MasterUsername="admin",
        MasterUserPassword="password123",
    )["DBCluster"]["DbClusterResourceId"]
    volume = client("ec2").create_volume(Size=1, AvailabilityZone=f"{REGION}a")["VolumeId"]
    instance = client("ec2").run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1)["Instances"][0][
        "InstanceId"
    ]
    file_system = client("efs").create_file_system(CreationToken="fs")["FileSystemId"]
    return {
        "AWS::S3::Bucket": ("public-assets-1", "arn:aws:s3:::public-assets-1", "public-assets-1"),
        "AWS::DynamoDB::Table": ("orders", f"arn:aws:dynamodb:{prefix}:table/orders", "orders"),
        "AWS::SNS::Topic": (topic, topic, "alerts"),
        "AWS::SQS::Queue": (queue, f"arn:aws:sqs:{prefix}:jobs", "jobs"),
        "AWS::RDS::DBInstance": (dbi, f"arn:aws:rds:{prefix}:db:billing", "billing"),
        "AWS::RDS::DBCluster": (cluster, f"arn:aws:rds:{prefix}:cluster:aurora", "aurora"),
        "AWS::EC2::Volume": (volume, f"arn:aws:ec2:{prefix}:volume/{volume}", None),
        "AWS::EC2::Instance": (instance, f"arn:aws:ec2:{prefix}:instance/{instance}", None),
        "AWS::EFS::FileSystem": (
            file_system,
            f"arn:aws:elasticfilesystem:{prefix}:file-system/{file_system}",
            None,
        ),
    }


@pytest.mark.parametrize("version", ["1.2", "1.3"])
def test_a_change_events_item_and_the_sweeps_listing_give_one_identity(api: ApiCalls, version: str) -> None:
    recorded = arrange()
    swept = sweep_items()
    assert set(recorded) == set(recorded_resource_types())
    for resource_type, (resource_id, arn, name) in recorded.items():
        record: dict[str, Any] = configuration_item(resource_type, resource_id, {}, version=version, arn=arn)
        if name is None:
            del record["resourceName"]
        else:
            record["resourceName"] = name
        from_change = identity(item_from_record(record))
        from_sweep = identity(swept[(resource_type, resource_id)])
        assert from_change == from_sweep == ResourceIdentity(resource_id, name, arn), resource_type


def test_the_name_comes_from_the_arn_not_from_what_an_item_calls_it() -> None:
    """An item's own resourceName does not enter the identity, so an item that lacks it (a swept one) or
    spells it otherwise matches the same exceptions."""
    record = configuration_item("AWS::S3::Bucket", "logs", {}, arn="arn:aws:s3:::logs")
    record["resourceName"] = "something else"
    assert identity(item_from_record(record)) == ResourceIdentity("logs", "logs", "arn:aws:s3:::logs")
    assert identity(ConfigurationItem("AWS::S3::Bucket", "logs")) == ResourceIdentity("logs", None, None)
