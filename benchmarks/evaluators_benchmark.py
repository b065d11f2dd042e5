"""Benchmark of the evaluator Lambdas: cold-start cost and periodic-sweep scaling (figures, not a test).

Prints:
1. the time to import each handler module and create the clients its first change event needs, in
   fresh interpreters, next to a bare ``import boto3`` plus one client (median of several runs);
2. for periodic sweeps over N resources in moto (in-process), per check and per simulated latency:
   wall time of the handler, the AWS API calls it made by operation, and the latency bound
   ``(longest chain of dependent calls + per-resource reads / READ_CONCURRENCY) x latency``.

Latency: ``--latency 0,30`` adds a fixed delay (milliseconds) to every request in the benchmark's own
client layer (a botocore ``before-send`` hook that sleeps before moto answers, and the same sleep for the
calls answered at ``before-call``), as AWS's tens of milliseconds would. Moto's own work runs in this
process, so the wall time at latency L is roughly the bound plus the local CPU time the 0 ms run shows.

Moto lacks GetComplianceDetailsByConfigRule and AWS Backup selections; those calls are answered at
botocore's before-call hook (and still counted). PutEvaluations goes to moto in test mode.

3. exceptions (``--exceptions 0,200``): the required-tags sweep of one estate (``--exception-estate``
   resources, 5,000 by default) with each number of exceptions shipped, alternating, median of
   ``--exception-runs`` handler runs; and the evaluation alone (the swept items through the check and the
   exception matcher, no AWS call), which is where exceptions cost anything.

Usage: python benchmarks/evaluators_benchmark.py [--sizes 1000,5000] [--latency 0,30] [--runs 15]
       python benchmarks/evaluators_benchmark.py --skip-cold-start --sizes '' --exceptions 0,200
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import io
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
REGION = "us-east-1"
ACCOUNT = "123456789012"
HANDLERS = ("evaluators.encryption", "evaluators.required_tags", "evaluators.backup")

os.environ.update(
    AWS_ACCESS_KEY_ID="benchmark",
    AWS_SECRET_ACCESS_KEY="benchmark",
    AWS_REGION=REGION,
    AWS_DEFAULT_REGION=REGION,
)
os.environ.pop("AWS_ENDPOINT_URL", None)
os.environ.pop("AWS_PROFILE", None)
sys.path.insert(0, str(ROOT / "functions"))

# --- cold start ----------------------------------------------------------------------------------

BARE = "import boto3; boto3.client('config')"
HANDLER = "import {module}; from evaluators.aws import client; {clients}"
# The clients a handler's first change event creates in a cold container (the backup check reads the
# region's plan selections then; later events in the container reuse them).
CHANGE_EVENT_CLIENTS = {
    "evaluators.encryption": ("config",),
    "evaluators.required_tags": ("config",),
    "evaluators.backup": ("config", "backup"),
}
ALONE = "import {module}"
AFTER_BOTO3 = "import boto3; boto3.client('config')"
TIMED = (
    "{setup}; import time; t, c = time.perf_counter(), time.process_time(); {code}; "
    "print((time.perf_counter() - t) * 1000, (time.process_time() - c) * 1000)"
)


def run_timed(code: str, setup: str = "pass") -> tuple[float, float]:
    """(wall, CPU) milliseconds ``code`` takes in a fresh interpreter, after an untimed ``setup``.

    No bytecode is written or read for the evaluators, as in Lambda: the package is shipped as source
    and the function's code directory is read-only, so every cold start compiles it.
    """
    env = {**os.environ, "PYTHONPATH": str(ROOT / "functions"), "PYTHONDONTWRITEBYTECODE": "1"}
    command = [sys.executable, "-c", TIMED.format(setup=setup, code=code)]
    wall, cpu = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout.split()
    return float(wall), float(cpu)


def report_cold_start(runs: int) -> None:
    """Bare boto3 and each handler measured in turn, ``runs`` rounds, so machine drift hits all alike.

    CPU time is the steadier figure on a shared machine: it leaves out time spent waiting for a core.
    """
    codes = {"import boto3 + one client": BARE}
    for module in HANDLERS:
        services = CHANGE_EVENT_CLIENTS[module]
        clients = "; ".join(f"client({service!r})" for service in services)
        codes[f"import {module} + {'+'.join(services)}"] = HANDLER.format(module=module, clients=clients)
    for code in codes.values():  # warm the file system cache
        run_timed(code)
    samples: dict[str, list[tuple[float, float]]] = {label: [] for label in codes}
    for _ in range(runs):
        for label, code in codes.items():
            samples[label].append(run_timed(code))
    print(f"\nCold start (medians of {runs} fresh interpreters each, Python {sys.version.split()[0]})")
    bare_cpu = statistics.median(cpu for _, cpu in samples["import boto3 + one client"])
    for label, values in samples.items():
        wall = statistics.median(w for w, _ in values)
        cpu = statistics.median(c for _, c in values)
        extra = (
            "" if label.startswith("import boto3") else f"   ({cpu - bare_cpu:+.1f} ms CPU over bare boto3)"
        )
        print(f"  {label:<42} {wall:7.1f} ms wall {cpu:7.1f} ms CPU{extra}")
    # The overhead on its own: the handler's modules imported where boto3 and a client already exist.
    print("  The handler's own modules, imported after boto3 and one client:")
    for module in HANDLERS:
        alone = [run_timed(ALONE.format(module=module), AFTER_BOTO3) for _ in range(runs)]
        wall = statistics.median(w for w, _ in alone)
        cpu = statistics.median(c for _, c in alone)
        print(f"    {'import ' + module:<40} {wall:7.1f} ms wall {cpu:7.1f} ms CPU")


# --- estates in moto -----------------------------------------------------------------------------


def _clients() -> dict[str, Any]:
    import boto3

    session = boto3.session.Session()
    return {
        s: session.client(s, region_name=REGION)
        for s in ("ec2", "s3", "rds", "dynamodb", "efs", "sns", "sqs")
    }


def _owner(i: int) -> list[dict[str, str]]:
    return [{"Key": "Owner", "Value": "team"}] if i % 2 == 0 else []


def create_volumes(c: dict[str, Any], n: int) -> None:
    for i in range(n):
        spec = [{"ResourceType": "volume", "Tags": _owner(i)}] if i % 2 == 0 else []
        c["ec2"].create_volume(
            Size=1, AvailabilityZone=f"{REGION}a", Encrypted=i % 2 == 0, TagSpecifications=spec
        )


def create_instances(c: dict[str, Any], n: int) -> None:
    for start in range(0, n, 100):
        count = min(100, n - start)
        c["ec2"].run_instances(ImageId="ami-12c6146b", MinCount=count, MaxCount=count)


def create_buckets(c: dict[str, Any], n: int) -> None:
    for i in range(n):
        c["s3"].create_bucket(Bucket=f"bench-bucket-{i}")
        if i % 2 == 0:
            rule = {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}
            c["s3"].put_bucket_encryption(
                Bucket=f"bench-bucket-{i}", ServerSideEncryptionConfiguration={"Rules": [rule]}
            )


def create_db_instances(c: dict[str, Any], n: int) -> None:
    from moto.rds.models import rds_backends

    for i in range(n):
        c["rds"].create_db_instance(
            DBInstanceIdentifier=f"bench-db-{i}",
            DBInstanceClass="db.t3.micro",
            Engine="postgres",
            AllocatedStorage=20,
            MasterUsername="admin",
            MasterUserPassword="password123",
            StorageEncrypted=i % 2 == 0,
            BackupRetentionPeriod=7 * (i % 2),
            Tags=_owner(i),
        )
        # Moto gives every instance the same DbiResourceId; AWS does not, and Config keys on it.
        rds_backends[ACCOUNT][REGION].databases[f"bench-db-{i}"].dbi_resource_id = f"db-BENCH{i}"


def create_db_clusters(c: dict[str, Any], n: int) -> None:
    for i in range(n):
        c["rds"].create_db_cluster(
            DBClusterIdentifier=f"bench-cluster-{i}",
            Engine="aurora-postgresql",
            MasterUsername="admin",
            MasterUserPassword="password123",
            StorageEncrypted=True,
            BackupRetentionPeriod=1 + 7 * (i % 2),
        )


def create_tables(c: dict[str, Any], n: int) -> None:
    for i in range(n):
        c["dynamodb"].create_table(
            TableName=f"bench-table-{i}",
            BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        )


def create_file_systems(c: dict[str, Any], n: int) -> None:
    for i in range(n):
        c["efs"].create_file_system(
            CreationToken=f"bench-{i}", Encrypted=i % 2 == 0, Backup=i % 2 == 0, Tags=_owner(i)
        )


def create_topics(c: dict[str, Any], n: int) -> None:
    for i in range(n):
        attributes = {"KmsMasterKeyId": "alias/aws/sns"} if i % 2 == 0 else {}
        c["sns"].create_topic(Name=f"bench-topic-{i}", Attributes=attributes, Tags=_owner(i))


def create_queues(c: dict[str, Any], n: int) -> None:
    for i in range(n):
        c["sqs"].create_queue(
            QueueName=f"bench-queue-{i}", Attributes={"SqsManagedSseEnabled": str(i % 2 == 0).lower()}
        )


CREATORS: dict[str, Callable[[dict[str, Any], int], None]] = {
    "AWS::EC2::Volume": create_volumes,
    "AWS::EC2::Instance": create_instances,
    "AWS::S3::Bucket": create_buckets,
    "AWS::RDS::DBInstance": create_db_instances,
    "AWS::RDS::DBCluster": create_db_clusters,
    "AWS::DynamoDB::Table": create_tables,
    "AWS::EFS::FileSystem": create_file_systems,
    "AWS::SNS::Topic": create_topics,
    "AWS::SQS::Queue": create_queues,
}


def build_estate(resource_types: tuple[str, ...], total: int) -> None:
    """``total`` resources spread evenly over ``resource_types``."""
    clients = _clients()
    share, extra = divmod(total, len(resource_types))
    for index, resource_type in enumerate(resource_types):
        CREATORS[resource_type](clients, share + (1 if index < extra else 0))


# --- sweeps --------------------------------------------------------------------------------------


class CallCounter:
    """Counts calls by operation, answers what moto lacks, and plays the network.

    Recording (no latency): moto answers, and every response is kept under its operation and
    parameters. Replaying (``latency_s`` > 0): each call sleeps ``latency_s`` and gets the response moto
    gave the same call, so the service's own work is inside the delay, as on AWS, and only the
    evaluator's CPU (serializing, evaluating, threads) remains beside it. A call never recorded goes to
    moto after the same delay (counted in ``unrecorded``).
    """

    def __init__(self, latency_s: float, recorded: dict[str, Any]) -> None:
        self.calls: Counter[str] = Counter()
        self.evaluations = 0
        self.unrecorded = 0
        self.latency_s = latency_s
        self.recorded = recorded
        self._lock = threading.Lock()
        self._local = threading.local()

    def install(self, session: Any) -> None:
        session.events.register("provide-client-params", self.record)
        session.events.register_first("before-call", self.answer)
        session.events.register("after-call", self.keep)
        session.events.register_first("before-send", self.delay)

    @staticmethod
    def _key(operation: str, params: dict[str, Any]) -> str:
        return operation + json.dumps(params, sort_keys=True, default=str)

    def record(self, model: Any, params: dict[str, Any], **kwargs: Any) -> None:
        self._local.key = self._key(model.name, params)
        with self._lock:
            self.calls[model.name] += 1
            if model.name == "PutEvaluations":
                self.evaluations += len(params["Evaluations"])

    def delay(self, **kwargs: Any) -> None:
        """``before-send``: the network's share of a request moto answers."""
        if self.latency_s:
            time.sleep(self.latency_s)

    def keep(self, http_response: Any, parsed: dict[str, Any], **kwargs: Any) -> None:
        if not self.latency_s:
            with self._lock:
                self.recorded[self._local.key] = (http_response.status_code, copy.deepcopy(parsed))

    def answer(self, model: Any, **kwargs: Any) -> Any:
        if self.latency_s:
            with self._lock:
                replayed = self.recorded.get(self._local.key)
                self.unrecorded += replayed is None
            if replayed is not None:
                time.sleep(self.latency_s)
                status, parsed = replayed
                return _Ok(status), copy.deepcopy(parsed)
        canned = {
            "GetComplianceDetailsByConfigRule": {"EvaluationResults": []},
            "ListBackupSelections": {
                "BackupSelectionsList": [{"SelectionId": "by-tag", "BackupPlanId": "p"}]
            },
            "GetBackupSelection": {
                "BackupSelection": {
                    "SelectionName": "by-tag",
                    "IamRoleArn": f"arn:aws:iam::{ACCOUNT}:role/backup",
                    "Resources": ["*"],
                    "ListOfTags": [
                        {"ConditionType": "STRINGEQUALS", "ConditionKey": "Owner", "ConditionValue": "team"}
                    ],
                }
            },
        }.get(model.name)
        if canned is None:
            return None
        self.delay()
        return _Ok(), canned


class _Ok:
    def __init__(self, status_code: int = 200) -> None:
        self.status_code = status_code
        self.headers: dict[str, str] = {}


def scheduled_event(parameters: dict[str, str]) -> dict[str, Any]:
    invoking = {
        "awsAccountId": ACCOUNT,
        "notificationCreationTime": "2026-11-20T12:00:00.000Z",
        "messageType": "ScheduledNotification",
    }
    return {
        "invokingEvent": json.dumps(invoking),
        "ruleParameters": json.dumps(parameters),
        "resultToken": "TESTMODE",
        "configRuleName": "benchmark-rule",
        "accountId": ACCOUNT,
    }


CHECK_PARAMETERS = {
    "evaluators.encryption": {},
    "evaluators.required_tags": {"requiredTags": "Owner"},
    "evaluators.backup": {"minRetentionDays": "7"},
}


# Chains of dependent calls per check: a listing operation counts once per page it took, a per-resource
# read ("*") once (reads of one resource type run side by side), and the paths themselves run side by side.
READ = "*"
CHAINS: dict[str, list[list[str]]] = {
    "evaluators.encryption": [
        ["DescribeVolumes"],
        ["ListBuckets", READ + "GetBucketEncryption"],
        ["DescribeDBInstances"],
        ["DescribeDBClusters"],
        ["ListTables", READ + "DescribeTable"],
        ["DescribeFileSystems"],
        ["ListTopics", READ + "GetTopicAttributes"],
        ["ListQueues", READ + "GetQueueAttributes"],
        ["GetComplianceDetailsByConfigRule"],
    ],
    "evaluators.required_tags": [
        ["DescribeInstances"],
        ["DescribeVolumes"],
        ["ListBuckets", "GetResources"],
        ["DescribeDBInstances"],
        ["DescribeDBClusters"],
        ["ListTables", "GetResources"],
        ["DescribeFileSystems"],
        ["ListTopics", "GetResources"],
        ["ListQueues", "GetResources"],
        ["GetComplianceDetailsByConfigRule"],
    ],
    "evaluators.backup": [
        ["DescribeVolumes"],
        ["DescribeDBInstances"],
        ["DescribeDBClusters"],
        ["ListTables", READ + "DescribeContinuousBackups", "GetResources"],
        ["DescribeFileSystems", READ + "DescribeBackupPolicy"],
        ["ListBackupPlans", "ListBackupSelections", "GetBackupSelection"],
        ["GetComplianceDetailsByConfigRule"],
    ],
}


@dataclass(frozen=True)
class Bound:
    chain: int
    reads: int
    concurrency: int

    def seconds(self, latency_s: float) -> float:
        return (self.chain + self.reads / self.concurrency) * latency_s


def latency_bound(module_name: str, calls: Counter[str]) -> Bound:
    """The longest chain of dependent calls (PutEvaluations batches, posted together, add one) and the
    per-resource reads, from the calls a sweep made."""
    from evaluators.aws import READ_CONCURRENCY

    def length(path: list[str]) -> int:
        return sum(1 if op.startswith(READ) and calls[op[1:]] else calls[op] for op in path)

    chain = max(length(path) for path in CHAINS[module_name]) + 1
    reads = sum(calls[op[1:]] for path in CHAINS[module_name] for op in path if op.startswith(READ))
    return Bound(chain, reads, READ_CONCURRENCY)


SWEEP_SERVICES = {
    "evaluators.encryption": ("config", "ec2", "s3", "rds", "dynamodb", "efs", "sns", "sqs"),
    "evaluators.required_tags": (
        *("config", "ec2", "s3", "rds", "dynamodb", "efs", "sns", "sqs", "resourcegroupstaggingapi"),
    ),
    "evaluators.backup": ("config", "ec2", "rds", "dynamodb", "efs", "backup", "resourcegroupstaggingapi"),
}


def warm_clients(module_name: str) -> None:
    """Create the sweep's clients before timing it, as in a warm container: loading a service model
    (tens of milliseconds of CPU each, EC2's the most) is a cold-start cost, reported above."""
    from evaluators.aws import client

    for service in SWEEP_SERVICES[module_name]:
        client(service)


@dataclass(frozen=True)
class SweepRun:
    latency_ms: float
    seconds: float
    evaluations: int
    calls: Counter[str]
    unrecorded: int


def sweeps(module_name: str, size: int, latencies_ms: list[float]) -> tuple[float, list[SweepRun]]:
    """(setup seconds, one run per latency) for one check over one estate of ``size`` resources."""
    import importlib

    import boto3
    from moto import mock_aws

    module = importlib.import_module(module_name)
    from evaluators.aws import reset_clients
    from evaluators.backup import forget_selections

    runs = []
    with mock_aws(), contextlib.redirect_stdout(io.StringIO()):  # the sweep's metric records
        started = time.perf_counter()
        build_estate(module.CHECK.resource_types, size)
        if module_name == "evaluators.backup":
            boto3.session.Session().client("backup", region_name=REGION).create_backup_plan(
                BackupPlan={
                    "BackupPlanName": "daily",
                    "Rules": [{"RuleName": "r", "TargetBackupVaultName": "Default"}],
                }
            )
        setup = time.perf_counter() - started
        recorded: dict[str, Any] = {}
        # The 0 ms run records the responses the latency runs replay; it runs first whatever was asked.
        for latency_ms in [0.0, *[lat for lat in latencies_ms if lat]]:
            reset_clients()
            forget_selections()
            boto3.setup_default_session()
            counter = CallCounter(latency_ms / 1000, recorded)
            assert boto3.DEFAULT_SESSION is not None
            counter.install(boto3.DEFAULT_SESSION)
            warm_clients(module_name)
            started = time.perf_counter()
            module.handler(scheduled_event(CHECK_PARAMETERS[module_name]), None)
            elapsed = time.perf_counter() - started
            if latency_ms in latencies_ms:
                run = SweepRun(latency_ms, elapsed, counter.evaluations, counter.calls, counter.unrecorded)
                runs.append(run)
        reset_clients()
    return setup, runs


def report_sweeps(sizes: list[int], latencies_ms: list[float]) -> None:
    from evaluators.aws import READ_CONCURRENCY

    print(
        f"\nPeriodic sweeps in moto (in-process; wall time of the handler only; "
        f"{READ_CONCURRENCY} per-resource reads in flight at most)"
    )
    for module_name in HANDLERS:
        print(f"\n  {module_name}.handler")
        for size in sizes:
            setup, runs = sweeps(module_name, size, latencies_ms)
            for run in runs:
                total = sum(run.calls.values())
                bound = latency_bound(module_name, run.calls)
                by_operation = ", ".join(f"{op} {n}" for op, n in sorted(run.calls.items()))
                # Moto adds a root volume per EC2 instance, so the evaluated count can exceed the size asked.
                print(
                    f"    {size:>5} asked, {run.evaluations} evaluated, {run.latency_ms:>3.0f} ms/request: "
                    f"{run.seconds:6.2f} s; bound {bound.seconds(run.latency_ms / 1000):5.2f} s "
                    f"(chain {bound.chain} + {bound.reads} reads / {bound.concurrency}); "
                    f"{total} API calls [estate built in {setup:.1f} s]"
                    + (f" ({run.unrecorded} calls not replayed)" if run.unrecorded else "")
                )
                print(f"          {by_operation}")


# --- exceptions ----------------------------------------------------------------------------------


def exception_document(count: int, expires: str) -> list[dict[str, Any]]:
    """``count`` required-tags exceptions of the kinds a team writes: exact names, name prefixes, ARN
    globs, id prefixes, and some that match nothing (a fixed or deleted resource)."""
    patterns = (
        lambda k: f"bench-bucket-{k}",
        lambda k: f"arn:aws:sqs:{REGION}:{ACCOUNT}:bench-queue-{k}*",
        lambda k: f"bench-table-{k}?",
        lambda k: f"decommissioned-{k}-*",
        lambda k: f"vol-{k:04x}*",
    )
    return [
        {
            "id": f"exception-{k}",
            "check": "required-tags",
            "resource": patterns[k % len(patterns)](k),
            "resourceType": None,
            "regions": [],
            "accounts": [],
            "reason": "benchmark",
            "owner": "benchmark",
            "ticket": None,
            "expires": expires,
        }
        for k in range(count)
    ]


def report_exceptions(estate: int, counts: list[int], runs: int) -> None:
    import tempfile
    from datetime import timedelta

    import boto3
    from evaluators import excepting, required_tags
    from evaluators.aws import client, reset_clients
    from evaluators.check import Target
    from evaluators.exceptions import utc_today
    from evaluators.inventory import SweepContext
    from evaluators.items import ConfigurationItem
    from moto import mock_aws

    module_name = "evaluators.required_tags"
    today = utc_today()
    expires = (today + timedelta(days=100)).isoformat()
    parameters = required_tags.parse_parameters(CHECK_PARAMETERS[module_name])
    print(
        f"\nExceptions: required-tags over {estate} resources in moto (medians of {runs} runs, alternating)"
    )
    with tempfile.TemporaryDirectory() as directory, mock_aws(), contextlib.redirect_stdout(io.StringIO()):
        excepting.DOCUMENT_PATH = Path(directory) / excepting.DOCUMENT_NAME
        build_estate(required_tags.CHECK.resource_types, estate)
        reset_clients()
        boto3.setup_default_session()
        assert boto3.DEFAULT_SESSION is not None
        CallCounter(0, {}).install(boto3.DEFAULT_SESSION)  # answers what moto lacks
        warm_clients(module_name)
        ctx = SweepContext(REGION, ACCOUNT, "aws")
        listed = [e for lister in required_tags.CHECK.listers.values() for e in lister(ctx)]
        items = [e for e in listed if isinstance(e, ConfigurationItem)]
        target = Target(ACCOUNT, client, fresh=True, today=today)
        sweep_s: dict[int, list[float]] = {count: [] for count in counts}
        evaluate_ms: dict[int, list[float]] = {count: [] for count in counts}
        excepted: dict[int, int] = {}
        for _ in range(runs):
            for count in counts:
                excepting.DOCUMENT_PATH.write_text(json.dumps(exception_document(count, expires)))
                excepting.container_matcher.cache_clear()
                started = time.perf_counter()
                required_tags.handler(scheduled_event(CHECK_PARAMETERS[module_name]), None)
                sweep_s[count].append(time.perf_counter() - started)
                evaluate = excepting.excepting_evaluator(required_tags.CHECK, parameters, target)
                started = time.perf_counter()
                verdicts = [evaluate(item) for item in items]
                evaluate_ms[count].append((time.perf_counter() - started) * 1000)
                excepted[count] = sum(v.annotation.startswith("EXCEPTION ") for v in verdicts)
        reset_clients()
    for count in counts:
        print(
            f"  {count:>4} exceptions: sweep {statistics.median(sweep_s[count]):6.2f} s; evaluation of "
            f"{len(items)} items {statistics.median(evaluate_ms[count]):7.1f} ms; {excepted[count]} excepted"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--sizes", default="1000,5000", help="comma-separated estate sizes (default %(default)s)"
    )
    parser.add_argument(
        "--latency",
        default="0,30",
        help="comma-separated delays per request in milliseconds (default %(default)s)",
    )
    parser.add_argument("--skip-cold-start", action="store_true", help="only the sweeps")
    parser.add_argument("--runs", type=int, default=15, help="fresh interpreters per cold-start figure")
    parser.add_argument(
        "--exceptions", default="", help="comma-separated numbers of exceptions to sweep with, e.g. 0,200"
    )
    parser.add_argument("--exception-estate", type=int, default=5000, help="resources of that sweep")
    parser.add_argument("--exception-runs", type=int, default=5, help="runs per number of exceptions")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    latencies = [float(s) for s in args.latency.split(",") if s.strip()]
    exception_counts = [int(s) for s in args.exceptions.split(",") if s.strip()]
    print(f"Evaluator benchmark: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} CPUs")
    if not args.skip_cold_start:
        report_cold_start(args.runs)
    if sizes:
        report_sweeps(sizes, latencies)
    if exception_counts:
        report_exceptions(args.exception_estate, exception_counts, args.exception_runs)


if __name__ == "__main__":
    main()
