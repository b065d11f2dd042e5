"""A resource has one identity (resource id, name, ARN) for exceptions, whichever path evaluates it: the
change path reads a configuration item, the sweep lists the resource; if they disagreed a result would
flip between them and alert on every sweep."""

from __future__ import annotations

import json
from typing import Any

import parliament
import pytest
from evaluator_support import (
    ACCOUNT,
    REGION,
    ApiCalls,
    ShippedExceptions,
    change_event,
    client,
    configuration_item,
    exception_entry,
    give_db_instance_unique_resource_id,
    oversized_event,
    scheduled_event,
)
from evaluators import backup, encryption, required_tags
from evaluators.check import Check
from evaluators.excepting import NAMED_BY_ARN, identity, name_in_arn
from evaluators.exceptions import ResourceIdentity
from evaluators.inventory import Listed, SweepContext
from evaluators.items import ConfigurationItem, fetch_oversized_item, item_from_record

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


def sweep_items(check: Check[Any] = required_tags.CHECK) -> dict[tuple[str, str], ConfigurationItem]:
    ctx = SweepContext(REGION, ACCOUNT, "aws")
    listed: list[Listed] = [entry for lister in check.listers.values() for entry in lister(ctx)]
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


# --- every check's sweep against every shape a change event's item arrives in -------------------------


def notification_item(
    resource_type: str, recorded: tuple[str, str, str | None], version: str
) -> dict[str, Any]:
    """A change notification's item as Config sends it: ``ARN`` in both vintages, ``resourceName`` null for
    types without a name (Config Developer Guide, example configuration items)."""
    resource_id, arn, name = recorded
    record = configuration_item(resource_type, resource_id, {}, version=version, arn=arn)
    record["resourceName"] = name
    return record


def history_item(resource_type: str, recorded: tuple[str, str, str | None]) -> dict[str, Any]:
    """GetResourceConfigHistory's item for an oversized change (Config API Reference, ConfigurationItem:
    ``accountId``, lowercase ``arn``, ``configuration`` a JSON string)."""
    resource_id, arn, name = recorded
    return {
        "version": "1.3",
        "accountId": ACCOUNT,
        "configurationItemCaptureTime": "2026-11-20T10:00:00+00:00",
        "configurationItemStatus": "OK",
        "configurationStateId": "1",
        "arn": arn,
        "resourceType": resource_type,
        "resourceId": resource_id,
        **({"resourceName": name} if name else {}),
        "awsRegion": REGION,
        "tags": {},
        "relationships": [],
        "configuration": json.dumps({}),
        "supplementaryConfiguration": {},
    }


class _History:
    """A Config client whose GetResourceConfigHistory returns one item."""

    def __init__(self, record: dict[str, Any]) -> None:
        self.record = record

    def get_resource_config_history(self, **request: Any) -> dict[str, Any]:
        assert (request["resourceType"], request["resourceId"]) == (
            self.record["resourceType"],
            self.record["resourceId"],
        )
        return {"configurationItems": [self.record]}


@pytest.mark.parametrize("check", [encryption.CHECK, required_tags.CHECK, backup.CHECK], ids=lambda c: c.name)
def test_each_checks_sweep_and_every_change_item_shape_give_one_identity(
    api: ApiCalls, check: Check[Any]
) -> None:
    """Per type of each check: its own sweep lister (encryption and backup build their items from other
    calls than required-tags), a 1.2 and a 1.3 notification item and an oversized item fetched from
    GetResourceConfigHistory all give the identity Config records."""
    recorded = arrange()
    swept = sweep_items(check)
    for resource_type in check.resource_types:
        resource_id, arn, name = recorded[resource_type]
        expected = ResourceIdentity(resource_id, name, arn)
        summary = item_from_record(notification_item(resource_type, recorded[resource_type], "1.3"))
        fetched = fetch_oversized_item(
            _History(history_item(resource_type, recorded[resource_type])), summary
        )
        assert fetched is not None
        shapes = {
            "sweep": swept[(resource_type, expected.resource_id)],
            "1.2": item_from_record(notification_item(resource_type, recorded[resource_type], "1.2")),
            "1.3": summary,
            "oversized": fetched,
        }
        for shape, item in shapes.items():
            assert identity(item) == expected, (check.name, resource_type, shape)


TAGS = {"requiredTags": "Owner"}


def _posted(api: ApiCalls, event: dict[str, Any]) -> dict[str, str]:
    api.calls.clear()
    required_tags.handler(event, None)
    return {e["ComplianceResourceId"]: e["ComplianceType"] for e in api.evaluations()}


@pytest.mark.parametrize("by", ["name", "arn"])
def test_every_type_is_excepted_alike_by_a_change_event_and_by_the_sweep(
    api: ApiCalls, shipped_exceptions: ShippedExceptions, by: str
) -> None:
    """One exception per type, written as a user would (the name Config shows, or the id where there is
    none; or the ARN): the sweep and each change path (1.2, 1.3, oversized) post the same result, so no
    result flips between them and alerts never repeat."""
    recorded = arrange()
    shipped_exceptions.ship(
        *(
            exception_entry(
                id=f"e{position}",
                resource=(name or resource_id) if by == "name" else arn,
                resourceType=resource_type,
            )
            for position, (resource_type, (resource_id, arn, name)) in enumerate(recorded.items())
        )
    )
    swept = _posted(api, scheduled_event(TAGS))
    for resource_type, entry in recorded.items():
        resource_id = entry[0]
        for version in ("1.2", "1.3"):
            changed = _posted(api, change_event(notification_item(resource_type, entry, version), TAGS))
            assert changed == {resource_id: "COMPLIANT"}, (resource_type, version)
        history = {"configurationItems": [history_item(resource_type, entry)]}
        api.respond("GetResourceConfigHistory", lambda _, answer=history: answer)
        oversized = _posted(api, oversized_event(notification_item(resource_type, entry, "1.3"), TAGS))
        assert oversized == {resource_id: "COMPLIANT"}, (resource_type, "oversized")
        assert swept[resource_id] == "COMPLIANT", (resource_type, "sweep")
