"""Periodic sweeps: list every in-scope resource of the region as configuration items.

Each lister turns what a describe/list API returns into a ``ConfigurationItem`` (keeping the API's
own field names; checks read fields case-insensitively), so periodic and change-triggered runs share
one evaluation path. Listing uses each API's largest page; per-resource calls are made only where a
service has no batch API. The runner lists every resource type at once, and per-resource reads of all
types share one bounded pool (``READ_CONCURRENCY``), each read submitted as soon as the page naming its
resource arrives. A failed per-resource call becomes a ``ResourceFailure`` and the sweep goes on.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from typing import Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from evaluators.aws import AwsClient, Clients, client
from evaluators.items import ConfigurationItem

T = TypeVar("T")

VOLUME = "AWS::EC2::Volume"
INSTANCE = "AWS::EC2::Instance"
BUCKET = "AWS::S3::Bucket"
DB_INSTANCE = "AWS::RDS::DBInstance"
DB_CLUSTER = "AWS::RDS::DBCluster"
TABLE = "AWS::DynamoDB::Table"
FILE_SYSTEM = "AWS::EFS::FileSystem"
TOPIC = "AWS::SNS::Topic"
QUEUE = "AWS::SQS::Queue"

# The largest page each listing API takes: DescribeVolumes up to 1000 (the AWS CLI's own default page
# size for it, awscli/customizations/ec2/paginate.py), RDS describes and DynamoDB ListTables 100,
# tagging GetResources 100 (its ResourcesPerPage maximum), SQS ListQueues 1000, EC2 DescribeInstances 1000.
VOLUME_PAGE = 1000


@dataclass(frozen=True)
class ResourceFailure:
    """A resource (or, with id ``*``, a whole resource type) that could not be read."""

    resource_type: str
    resource_id: str
    reason: str

    def describe(self) -> str:
        return f"{self.resource_type} {self.resource_id} ({self.reason})"


Listed = ConfigurationItem | ResourceFailure


@dataclass
class SweepContext:
    """Where a sweep runs (region, account, partition), its clients, and what its listers share."""

    region: str
    account_id: str
    partition: str
    client: Clients = client
    # The pool per-resource reads run in; None reads inline (a lister called on its own).
    reads: Executor | None = None
    _shared: dict[Any, Future[Any]] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def arn(self, service: str, resource: str) -> str:
        return f"arn:{self.partition}:{service}:{self.region}:{self.account_id}:{resource}"

    def read_each(
        self, resource_type: str, keys: Iterable[str], fetch: Callable[[str], ConfigurationItem]
    ) -> list[Listed]:
        """``fetch`` each key in the shared pool, submitted while ``keys`` is still being listed; an AWS
        error on one key is recorded and the rest go on. Results keep the order of ``keys``."""

        def guarded(key: str) -> Listed:
            try:
                return fetch(key)
            except (ClientError, BotoCoreError) as error:
                return ResourceFailure(resource_type, key, error_reason(error))

        if self.reads is None:
            return [guarded(key) for key in keys]
        futures = [self.reads.submit(guarded, key) for key in keys]
        return [future.result() for future in futures]

    def once(self, key: Any, compute: Callable[[], T]) -> T:
        """``compute()`` run once per sweep for ``key``, whichever lister asks first; the others wait
        for its result (or its exception)."""
        with self._lock:
            shared = self._shared.get(key)
            owner = shared is None
            if shared is None:
                shared = self._shared[key] = Future()
        if owner:
            try:
                shared.set_result(compute())
            except BaseException as error:
                shared.set_exception(error)
        result: T = shared.result()
        return result


Lister = Callable[[SweepContext], Iterable[Listed]]


def error_reason(error: Exception) -> str:
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        return f"{details.get('Code', 'Error')}: {details.get('Message', '')}".strip()
    return f"{type(error).__name__}: {error}"


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def pages(aws: AwsClient, operation: str, page_size: int | None, **request: Any) -> Iterator[dict[str, Any]]:
    paginator = aws.get_paginator(operation)
    config = {"PageSize": page_size} if page_size else {}
    yield from paginator.paginate(**request, PaginationConfig=config)


def tag_dict(tag_list: Any) -> dict[str, str]:
    """The APIs' ``[{"Key": k, "Value": v}]`` as ``{k: v}``."""
    return {tag["Key"]: tag.get("Value", "") for tag in tag_list or []}


def tag_index(ctx: SweepContext, resource_type_filters: tuple[str, ...]) -> dict[str, dict[str, str]]:
    """Tags by ARN, from the tagging API, for resource types whose list APIs return no tags.

    One ``GetResources`` pagination per sweep for a given set of filters, however many listers ask
    (it takes up to 100 filters per request). GetResources returns every resource that has or had tags;
    one it does not return has none.
    """

    def read() -> dict[str, dict[str, str]]:
        index: dict[str, dict[str, str]] = {}
        tagging = ctx.client("resourcegroupstaggingapi")
        request = {"ResourceTypeFilters": list(resource_type_filters)}
        for page in pages(tagging, "get_resources", 100, **request):
            for mapping in page.get("ResourceTagMappingList", []):
                index[mapping["ResourceARN"]] = tag_dict(mapping.get("Tags"))
        return index

    return ctx.once(("tags", resource_type_filters), read)


# --- resource listers shared by the checks -------------------------------------------------------


def ebs_volumes(ctx: SweepContext) -> Iterator[Listed]:
    for page in pages(ctx.client("ec2"), "describe_volumes", VOLUME_PAGE):
        for volume in page.get("Volumes", []):
            yield ConfigurationItem(
                resource_type=VOLUME,
                resource_id=volume["VolumeId"],
                arn=ctx.arn("ec2", f"volume/{volume['VolumeId']}"),
                configuration=volume,
                tags=tag_dict(volume.get("Tags")),
            )


def ec2_instances(ctx: SweepContext) -> Iterator[Listed]:
    live = ["pending", "running", "shutting-down", "stopping", "stopped"]
    request = {"Filters": [{"Name": "instance-state-name", "Values": live}]}
    for page in pages(ctx.client("ec2"), "describe_instances", 1000, **request):
        for reservation in page.get("Reservations", []):
            for instance in reservation.get("Instances", []):
                yield ConfigurationItem(
                    resource_type=INSTANCE,
                    resource_id=instance["InstanceId"],
                    arn=ctx.arn("ec2", f"instance/{instance['InstanceId']}"),
                    configuration=instance,
                    tags=tag_dict(instance.get("Tags")),
                )


def rds_instances(ctx: SweepContext) -> Iterator[Listed]:
    # Config identifies DB instances by their DbiResourceId ("db-..."), not their name.
    for page in pages(ctx.client("rds"), "describe_db_instances", 100):
        for db in page.get("DBInstances", []):
            yield ConfigurationItem(
                resource_type=DB_INSTANCE,
                resource_id=db["DbiResourceId"],
                arn=db.get("DBInstanceArn"),
                configuration=db,
                tags=tag_dict(db.get("TagList")),
            )


def rds_clusters(ctx: SweepContext) -> Iterator[Listed]:
    for page in pages(ctx.client("rds"), "describe_db_clusters", 100):
        for cluster in page.get("DBClusters", []):
            yield ConfigurationItem(
                resource_type=DB_CLUSTER,
                resource_id=cluster["DbClusterResourceId"],
                arn=cluster.get("DBClusterArn"),
                configuration=cluster,
                tags=tag_dict(cluster.get("TagList")),
            )


def efs_file_systems(ctx: SweepContext) -> list[dict[str, Any]]:
    found = pages(ctx.client("efs"), "describe_file_systems", 100)
    return [fs for page in found for fs in page["FileSystems"]]


def efs_item(
    ctx: SweepContext, fs: Mapping[str, Any], extra: Mapping[str, Any] | None = None
) -> ConfigurationItem:
    return ConfigurationItem(
        resource_type=FILE_SYSTEM,
        resource_id=fs["FileSystemId"],
        arn=fs.get("FileSystemArn") or ctx.arn("elasticfilesystem", f"file-system/{fs['FileSystemId']}"),
        configuration={**fs, **(extra or {})},
        tags=tag_dict(fs.get("Tags")),
    )


def efs_items(ctx: SweepContext) -> list[Listed]:
    """The region's EFS file systems as configuration items (the describe call carries everything)."""
    return [efs_item(ctx, fs) for fs in efs_file_systems(ctx)]


def dynamodb_table_names(ctx: SweepContext) -> Iterator[str]:
    for page in pages(ctx.client("dynamodb"), "list_tables", 100):
        yield from page["TableNames"]


def s3_bucket_names(ctx: SweepContext) -> Iterator[str]:
    """Buckets located in the sweep's region (ListBuckets is account-wide without ``BucketRegion``)."""
    for page in pages(ctx.client("s3"), "list_buckets", 10000, BucketRegion=ctx.region):
        yield from (bucket["Name"] for bucket in page.get("Buckets", []))


def sns_topic_arns(ctx: SweepContext) -> Iterator[str]:
    # ListTopics has no page size: SNS returns up to 100 topics per page.
    for page in pages(ctx.client("sns"), "list_topics", None):
        yield from (topic["TopicArn"] for topic in page["Topics"])


def sqs_queue_urls(ctx: SweepContext) -> Iterator[str]:
    for page in pages(ctx.client("sqs"), "list_queues", 1000):
        yield from page.get("QueueUrls", [])


def sqs_queue_arn(ctx: SweepContext, url: str) -> str:
    # Queue URLs end in /<account>/<name>, whatever the endpoint host.
    account, name = url.rstrip("/").split("/")[-2:]
    return f"arn:{ctx.partition}:sqs:{ctx.region}:{account}:{name}"
