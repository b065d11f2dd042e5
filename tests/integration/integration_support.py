"""The integration suite's AWS: a three-region estate in moto server, Config events and an API recorder.

Everything the evaluators call goes over HTTP to moto server, except what moto cannot answer:

- ``PutEvaluations``: moto accepts it only in test mode. ``AwsApi`` answers it at the client layer
  (botocore's ``before-call`` event), checking the rules AWS applies beyond the service model (at most
  100 evaluations, no ``INSUFFICIENT_DATA``, annotations of 1-256 characters, a known result token),
  and keeps the results per rule the way Config does.
- ``GetComplianceDetailsByConfigRule`` (not in moto): answered from those kept results, paged.
- ``ListBackupSelections`` and ``GetBackupSelection`` (not in moto): answered from the selections the
  estate declares; the backup plans themselves live in moto.

Answered responses are validated against the service model, as botocore's Stubber does.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from types import ModuleType
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse
from botocore.validate import validate_parameters

ACCOUNT = "123456789012"  # moto's default account
PRIMARY = "us-east-1"
REGIONS = ("us-east-1", "us-west-2", "eu-west-1")
SUFFIX = "dev"
CHECKS = ("encryption", "required-tags", "backup")
# What the stack passes the rules (see components/catalog.py): tags Owner and Environment=prod|dev.
PARAMETERS: dict[str, dict[str, str]] = {
    "encryption": {"requireKms": "false"},
    "required-tags": {"requiredTags": "Owner,Environment=prod|dev"},
    "backup": {"minRetentionDays": "7"},
}
CONFIG_SERVICE_ROLE = "aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig"
# AWS's public parameter naming the current Amazon Linux image (moto serves it too).
LATEST_AMI = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64"
VALID_COMPLIANCE = {"COMPLIANT", "NON_COMPLIANT", "NOT_APPLICABLE"}

# When the events' items were captured and the notifications sent (whole milliseconds, as Config's).
CAPTURED = datetime(2026, 11, 26, 9, 58, 12, 345000, tzinfo=UTC)
SENT = datetime(2026, 11, 26, 10, 0, 3, 120000, tzinfo=UTC)

COMPLIANT = "COMPLIANT"
NON_COMPLIANT = "NON_COMPLIANT"
NOT_APPLICABLE = "NOT_APPLICABLE"


def rule_name(check: str, region: str) -> str:
    return f"compliance-{check}-{SUFFIX}-{region}"


def iso(moment: datetime) -> str:
    """Config's timestamp format in events: ``2026-11-26T10:00:00.000Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


# AWS Backup selections, per plan id: (selection id, BackupSelection body).
Selections = dict[str, list[tuple[str, dict[str, Any]]]]


def function_arn(region: str, name: str, account: str = ACCOUNT) -> str:
    return f"arn:aws:lambda:{region}:{account}:function:{name}"


@dataclass(frozen=True)
class LambdaContext:
    function_name: str
    invoked_function_arn: str
    aws_request_id: str = "8f5c2a4e-0d1b-4c8e-9a7f-3b6d5e2c1a90"
    memory_limit_in_mb: int = 512

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 300_000


# A handler module, its event and the region to run it in -> what the handler returned.
Invoke = Callable[[ModuleType, dict[str, Any], str], dict[str, Any]]


# --- recording and answering calls ---------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    region: str
    operation: str
    params: dict[str, Any]


@dataclass
class AwsApi:
    """Hooks on boto3's default session (every evaluator client comes from it): records, answers, keeps."""

    calls: list[Call] = field(default_factory=list)
    http_requests: Counter[str] = field(default_factory=Counter)
    # Result tokens Config handed out, by token: (region, rule name).
    tokens: dict[str, tuple[str, str]] = field(default_factory=dict)
    # Config's stored results, per (region, rule): (resource type, id) -> evaluation as posted.
    results: dict[tuple[str, str], dict[tuple[str, str], dict[str, Any]]] = field(default_factory=dict)
    # AWS Backup selections, per plan id (see ``Estate.selections``).
    selections: Selections = field(default_factory=dict)
    # Operations sent to moto as they are (e.g. PutEvaluations in test mode over HTTP).
    passthrough: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self._local = threading.local()

    def install(self, session: boto3.session.Session) -> None:
        session.events.register("provide-client-params", self._record)
        session.events.register("before-call", self._answer)
        session.events.register("before-send", self._count_request)

    def token_for(self, region: str, check: str) -> str:
        token = f"{uuid.uuid4().hex}{uuid.uuid4().hex}"
        self.tokens[token] = (region, rule_name(check, region))
        return token

    # Hook handlers ------------------------------------------------------------------------------

    def _record(self, params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        call = Call(context["client_region"], model.name, dict(params))
        self.calls.append(call)
        self._local.call = call

    def _count_request(self, event_name: str, **_: Any) -> None:
        self.http_requests[event_name.rsplit(".", 1)[-1]] += 1

    def _answer(self, model: Any, **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        call: Call = self._local.call
        answer = {
            "PutEvaluations": self._put_evaluations,
            "GetComplianceDetailsByConfigRule": self._compliance_details,
            "ListBackupSelections": self._list_selections,
            "GetBackupSelection": self._get_selection,
        }.get(model.name)
        if answer is None or model.name in self.passthrough:
            return None
        status, response = answer(call)
        if status == 200:
            validate_parameters(response, model.output_shape)
        response.setdefault("ResponseMetadata", {"HTTPStatusCode": status})
        return AWSResponse("https://answered.invalid/", status, {}, None), response

    # Config ---------------------------------------------------------------------------------------

    def _put_evaluations(self, call: Call) -> tuple[int, dict[str, Any]]:
        params = call.params
        evaluations = params.get("Evaluations", [])
        problems = []
        if len(evaluations) > 100:
            problems.append(f"{len(evaluations)} evaluations in one call (at most 100)")
        for evaluation in evaluations:
            if evaluation["ComplianceType"] not in VALID_COMPLIANCE:
                problems.append(f"ComplianceType {evaluation['ComplianceType']} is not accepted")
            annotation = evaluation.get("Annotation")
            if annotation is not None and not 1 <= len(annotation) <= 256:
                problems.append(f"Annotation of {len(annotation)} characters")
        if params.get("TestMode"):
            return (
                (400, _error("InvalidParameterValueException", "; ".join(problems)))
                if problems
                else (
                    200,
                    {"FailedEvaluations": []},
                )
            )
        target = self.tokens.get(params["ResultToken"])
        if target is None:
            problems.append(f"unknown ResultToken {params['ResultToken'][:20]}")
        elif target[0] != call.region:
            problems.append(f"ResultToken of {target[0]} used in {call.region}")
        if problems:
            return 400, _error("InvalidParameterValueException", "; ".join(problems))
        assert target is not None
        stored = self.results.setdefault(target, {})
        for evaluation in evaluations:
            stored[(evaluation["ComplianceResourceType"], evaluation["ComplianceResourceId"])] = evaluation
        return 200, {"FailedEvaluations": []}

    def _compliance_details(self, call: Call) -> tuple[int, dict[str, Any]]:
        params = call.params
        wanted = set(params.get("ComplianceTypes") or VALID_COMPLIANCE)
        held = self.results.get((call.region, params["ConfigRuleName"]), {})
        matching = [e for e in held.values() if e["ComplianceType"] in wanted]
        start = int(params.get("NextToken") or 0)
        limit = min(int(params.get("Limit") or 100), 100)
        page = matching[start : start + limit]
        response: dict[str, Any] = {
            "EvaluationResults": [
                {
                    "EvaluationResultIdentifier": {
                        "EvaluationResultQualifier": {
                            "ConfigRuleName": params["ConfigRuleName"],
                            "ResourceType": e["ComplianceResourceType"],
                            "ResourceId": e["ComplianceResourceId"],
                            "EvaluationMode": "DETECTIVE",
                        },
                        "OrderingTimestamp": e["OrderingTimestamp"],
                    },
                    "ComplianceType": e["ComplianceType"],
                    "ResultRecordedTime": e["OrderingTimestamp"],
                    "ConfigRuleInvokedTime": e["OrderingTimestamp"],
                    **({"Annotation": e["Annotation"]} if "Annotation" in e else {}),
                }
                for e in page
            ]
        }
        if start + limit < len(matching):
            response["NextToken"] = str(start + limit)
        return 200, response

    def held(self, region: str, check: str) -> dict[str, str]:
        """Resource id -> compliance type of every result Config holds for the region's rule."""
        return {
            resource_id: e["ComplianceType"]
            for (_, resource_id), e in self.results.get((region, rule_name(check, region)), {}).items()
        }

    # AWS Backup -----------------------------------------------------------------------------------

    def _list_selections(self, call: Call) -> tuple[int, dict[str, Any]]:
        plan_id = call.params["BackupPlanId"]
        listed = [
            {
                "SelectionId": selection_id,
                "SelectionName": body["SelectionName"],
                "BackupPlanId": plan_id,
                "IamRoleArn": body["IamRoleArn"],
                "CreationDate": datetime(2026, 1, 5, tzinfo=UTC),
            }
            for selection_id, body in self.selections.get(plan_id, [])
        ]
        return 200, {"BackupSelectionsList": listed}

    def _get_selection(self, call: Call) -> tuple[int, dict[str, Any]]:
        plan_id, selection_id = call.params["BackupPlanId"], call.params["SelectionId"]
        for known_id, body in self.selections.get(plan_id, []):
            if known_id == selection_id:
                return 200, {"BackupSelection": body, "SelectionId": selection_id, "BackupPlanId": plan_id}
        return 404, _error("ResourceNotFoundException", f"selection {selection_id} not found")

    # Reading what happened ------------------------------------------------------------------------

    def count(self, region: str | None = None) -> Counter[str]:
        """Calls by operation (each once, whatever its retries), optionally for one region."""
        return Counter(c.operation for c in self.calls if region is None or c.region == region)

    def evaluations(self) -> list[dict[str, Any]]:
        return [e for c in self.calls if c.operation == "PutEvaluations" for e in c.params["Evaluations"]]

    def verdicts(self) -> dict[str, str]:
        """ComplianceResourceId -> ComplianceType of every evaluation posted."""
        return {e["ComplianceResourceId"]: e["ComplianceType"] for e in self.evaluations()}

    def forget_calls(self) -> None:
        self.calls.clear()
        self.http_requests.clear()


def _error(code: str, message: str) -> dict[str, Any]:
    return {"Error": {"Code": code, "Message": message}}


# --- the estate ----------------------------------------------------------------------------------


@dataclass
class Estate:
    """What ``build_estate`` created, and the verdict each check must reach for each resource."""

    key_arns: dict[str, str] = field(default_factory=dict)
    selections: Selections = field(default_factory=dict)
    # region -> check -> resource id -> expected compliance type (every resource in the check's scope).
    expected: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)
    # region -> (resource type, resource id) -> a name tests use to find it.
    names: dict[str, dict[str, tuple[str, str]]] = field(default_factory=dict)

    def expect(self, region: str, name: str, resource: tuple[str, str], **verdicts: str) -> None:
        self.names.setdefault(region, {})[name] = resource
        for check, verdict in verdicts.items():
            by_check = self.expected.setdefault(region, {})
            by_check.setdefault(check.replace("_", "-"), {})[resource[1]] = verdict

    def resource(self, region: str, name: str) -> tuple[str, str]:
        return self.names[region][name]


def _tags(**tags: str) -> list[dict[str, str]]:
    return [{"Key": key, "Value": value} for key, value in tags.items()]


@cache
def aws(service: str, region: str) -> Any:
    """A client for arranging the estate, outside the default session (the recorder does not see it).

    Cached for the whole run: every test talks to the same moto server (``AWS_ENDPOINT_URL``).
    """
    return boto3.session.Session().client(service, region_name=region)  # type: ignore[call-overload]


def build_estate() -> Estate:
    """Three regions of resources, compliant and not, each with the verdict every check must reach."""
    estate = Estate()
    _us_east_1(estate)
    _us_west_2(estate)
    _eu_west_1(estate)
    return estate


def _volume(region: str, encrypted: bool, key: str | None = None, **tags: str) -> str:
    request: dict[str, Any] = {"AvailabilityZone": f"{region}a", "Size": 8, "Encrypted": encrypted}
    if key:
        request["KmsKeyId"] = key
    if tags:
        request["TagSpecifications"] = [{"ResourceType": "volume", "Tags": _tags(**tags)}]
    return str(aws("ec2", region).create_volume(**request)["VolumeId"])


def _bucket(region: str, name: str, algorithm: str, key: str | None = None, **tags: str) -> str:
    s3 = aws("s3", region)
    if region == "us-east-1":
        s3.create_bucket(Bucket=name)
    else:
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
    default: dict[str, str] = {"SSEAlgorithm": algorithm}
    if key:
        default["KMSMasterKeyID"] = key
    s3.put_bucket_encryption(
        Bucket=name,
        ServerSideEncryptionConfiguration={"Rules": [{"ApplyServerSideEncryptionByDefault": default}]},
    )
    if tags:
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": _tags(**tags)})
    return name


def _database(region: str, name: str, retention: int, key: str | None, **tags: str) -> str:
    request: dict[str, Any] = {
        "DBInstanceIdentifier": name,
        "DBInstanceClass": "db.t4g.micro",
        "Engine": "postgres",
        "AllocatedStorage": 20,
        "MasterUsername": "admin_user",
        "MasterUserPassword": "not-a-secret-1",
        "BackupRetentionPeriod": retention,
        "StorageEncrypted": key is not None,
        "Tags": _tags(**tags),
    }
    if key:
        request["KmsKeyId"] = key
    created = aws("rds", region).create_db_instance(**request)["DBInstance"]
    return str(created["DbiResourceId"])


def _table(region: str, name: str, pitr: bool, **tags: str) -> str:
    dynamodb = aws("dynamodb", region)
    request: dict[str, Any] = {
        "TableName": name,
        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
        "BillingMode": "PAY_PER_REQUEST",
    }
    if tags:
        request["Tags"] = _tags(**tags)
    dynamodb.create_table(**request)
    if pitr:
        dynamodb.update_continuous_backups(
            TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
        )
    return name


def _tag_selection(estate: Estate, region: str, plan_name: str, key: str, value: str) -> None:
    plan = aws("backup", region).create_backup_plan(
        BackupPlan={
            "BackupPlanName": plan_name,
            "Rules": [
                {
                    "RuleName": "daily",
                    "TargetBackupVaultName": "Default",
                    "ScheduleExpression": "cron(0 5 ? * * *)",
                    "Lifecycle": {"DeleteAfterDays": 35},
                }
            ],
        }
    )
    estate.selections[plan["BackupPlanId"]] = [
        (
            f"sel-{uuid.uuid4().hex[:12]}",
            {
                "SelectionName": f"{plan_name}-by-tag",
                "IamRoleArn": f"arn:aws:iam::{ACCOUNT}:role/service-role/AWSBackupDefaultServiceRole",
                "ListOfTags": [
                    {"ConditionType": "STRINGEQUALS", "ConditionKey": key, "ConditionValue": value}
                ],
            },
        )
    ]


def _us_east_1(estate: Estate) -> None:
    region = "us-east-1"
    key = aws("kms", region).create_key(Description="estate key")["KeyMetadata"]["Arn"]
    estate.key_arns[region] = key
    _tag_selection(estate, region, "daily-prod", "Environment", "prod")

    volume = ("AWS::EC2::Volume", _volume(region, True, key, Owner="payments", Environment="prod"))
    estate.expect(
        region, "encrypted volume", volume, encryption=COMPLIANT, required_tags=COMPLIANT, backup=COMPLIANT
    )
    volume = ("AWS::EC2::Volume", _volume(region, False))
    estate.expect(
        region,
        "plain volume",
        volume,
        encryption=NON_COMPLIANT,
        required_tags=NON_COMPLIANT,
        backup=NON_COMPLIANT,
    )
    bucket = (
        "AWS::S3::Bucket",
        _bucket(region, "estate-sse-s3-use1", "AES256", Owner="web", Environment="dev"),
    )
    estate.expect(region, "sse-s3 bucket", bucket, encryption=COMPLIANT, required_tags=COMPLIANT)
    bucket = ("AWS::S3::Bucket", _bucket(region, "estate-kms-use1", "aws:kms", key, Owner="data"))
    estate.expect(region, "kms bucket", bucket, encryption=COMPLIANT, required_tags=NON_COMPLIANT)
    database = (
        "AWS::RDS::DBInstance",
        _database(region, "orders-db", 0, key, Owner="orders", Environment="prod"),
    )
    estate.expect(
        region,
        "database without backups",
        database,
        encryption=COMPLIANT,
        required_tags=COMPLIANT,
        backup=NON_COMPLIANT,
    )
    table = ("AWS::DynamoDB::Table", _table(region, "orders", False, Owner="orders", Environment="prod"))
    estate.expect(
        region,
        "table without pitr",
        table,
        encryption=COMPLIANT,
        required_tags=COMPLIANT,
        backup=NON_COMPLIANT,
    )
    topic = aws("sns", region).create_topic(
        Name="estate-alerts", Attributes={"KmsMasterKeyId": key}, Tags=_tags(Owner="ops", Environment="prod")
    )["TopicArn"]
    estate.expect(
        region, "kms topic", ("AWS::SNS::Topic", topic), encryption=COMPLIANT, required_tags=COMPLIANT
    )
    queue = aws("sqs", region).create_queue(
        QueueName="estate-jobs", Attributes={"SqsManagedSseEnabled": "true"}
    )
    estate.expect(
        region,
        "sse-sqs queue",
        ("AWS::SQS::Queue", queue["QueueUrl"]),
        encryption=COMPLIANT,
        required_tags=NON_COMPLIANT,
    )


def _us_west_2(estate: Estate) -> None:
    region = "us-west-2"
    key = aws("kms", region).create_key(Description="estate key")["KeyMetadata"]["Arn"]
    estate.key_arns[region] = key
    ec2 = aws("ec2", region)
    image = aws("ssm", region).get_parameter(Name=LATEST_AMI)["Parameter"]["Value"]
    instance = ec2.run_instances(
        ImageId=image,
        InstanceType="t4g.small",
        MinCount=1,
        MaxCount=1,
        TagSpecifications=[{"ResourceType": "instance", "Tags": _tags(Owner="web", Environment="dev")}],
    )["Instances"][0]
    # Only the required-tags check evaluates instances; their volumes are evaluated on their own.
    estate.expect(
        region, "tagged instance", ("AWS::EC2::Instance", instance["InstanceId"]), required_tags=COMPLIANT
    )
    (root,) = instance["BlockDeviceMappings"]
    volume = ("AWS::EC2::Volume", root["Ebs"]["VolumeId"])
    estate.expect(
        region,
        "instance root volume",
        volume,
        encryption=NON_COMPLIANT,
        required_tags=NON_COMPLIANT,
        backup=NON_COMPLIANT,
    )
    volume = ("AWS::EC2::Volume", _volume(region, True, key, Owner="payments", Environment="staging"))
    estate.expect(
        region,
        "staging volume",
        volume,
        encryption=COMPLIANT,
        required_tags=NON_COMPLIANT,
        backup=NON_COMPLIANT,
    )
    table = ("AWS::DynamoDB::Table", _table(region, "sessions", True))
    estate.expect(
        region,
        "table with pitr",
        table,
        encryption=COMPLIANT,
        required_tags=NON_COMPLIANT,
        backup=NON_COMPLIANT,
    )
    bucket = (
        "AWS::S3::Bucket",
        _bucket(region, "estate-kms-usw2", "aws:kms", key, Owner="data", Environment="prod"),
    )
    estate.expect(region, "kms bucket", bucket, encryption=COMPLIANT, required_tags=COMPLIANT)
    topic = aws("sns", region).create_topic(Name="estate-plain-topic")["TopicArn"]
    estate.expect(
        region,
        "plain topic",
        ("AWS::SNS::Topic", topic),
        encryption=NON_COMPLIANT,
        required_tags=NON_COMPLIANT,
    )


def _eu_west_1(estate: Estate) -> None:
    region = "eu-west-1"
    volume = ("AWS::EC2::Volume", _volume(region, False, None, Owner="ops", Environment="prod"))
    estate.expect(
        region,
        "plain tagged volume",
        volume,
        encryption=NON_COMPLIANT,
        required_tags=COMPLIANT,
        backup=NON_COMPLIANT,
    )
    database = ("AWS::RDS::DBInstance", _database(region, "reports-db", 7, None))
    estate.expect(
        region,
        "unencrypted database",
        database,
        encryption=NON_COMPLIANT,
        required_tags=NON_COMPLIANT,
        backup=NON_COMPLIANT,
    )


# --- Config's events -----------------------------------------------------------------------------


def _camel(value: Any) -> Any:
    """An API response as Config writes it in a configuration item: keys start in lower case."""
    if isinstance(value, dict):
        return {key[:1].lower() + key[1:]: _camel(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [_camel(inner) for inner in value]
    if isinstance(value, datetime):
        return iso(value)
    return value


def configuration_item(region: str, resource: tuple[str, str], captured: datetime) -> dict[str, Any]:
    """The configuration item Config records for a resource of the estate, read back from moto."""
    resource_type, resource_id = resource
    configuration, supplementary, tags, arn, name = _described(region, resource_type, resource_id)
    return {
        "relatedEvents": [],
        "relationships": [],
        "configuration": configuration,
        "supplementaryConfiguration": supplementary,
        "tags": tags,
        "configurationItemVersion": "1.3",
        "configurationItemCaptureTime": iso(captured),
        "configurationStateId": 1764151200000,
        "awsAccountId": ACCOUNT,
        "configurationItemStatus": "OK",
        "resourceType": resource_type,
        "resourceId": resource_id,
        "resourceName": name,
        "ARN": arn,
        "awsRegion": region,
        "availabilityZone": f"{region}a" if resource_type == "AWS::EC2::Volume" else "Regional",
        "configurationStateMd5Hash": "",
        "resourceCreationTime": iso(captured),
    }


def _described(
    region: str, resource_type: str, resource_id: str
) -> tuple[Any, Any, dict[str, str], str, str]:
    if resource_type == "AWS::EC2::Volume":
        volume = aws("ec2", region).describe_volumes(VolumeIds=[resource_id])["Volumes"][0]
        tags = {t["Key"]: t["Value"] for t in volume.get("Tags", [])}
        arn = f"arn:aws:ec2:{region}:{ACCOUNT}:volume/{resource_id}"
        return _camel(volume), {}, tags, arn, resource_id
    if resource_type == "AWS::RDS::DBInstance":
        databases = aws("rds", region).describe_db_instances()["DBInstances"]
        database = next(d for d in databases if d["DbiResourceId"] == resource_id)
        tags = {t["Key"]: t["Value"] for t in database.get("TagList", [])}
        return _camel(database), {}, tags, database["DBInstanceArn"], database["DBInstanceIdentifier"]
    if resource_type == "AWS::DynamoDB::Table":
        dynamodb = aws("dynamodb", region)
        table = dynamodb.describe_table(TableName=resource_id)["Table"]
        backups = dynamodb.describe_continuous_backups(TableName=resource_id)["ContinuousBackupsDescription"]
        listed = dynamodb.list_tags_of_resource(ResourceArn=table["TableArn"]).get("Tags", [])
        tags = {t["Key"]: t["Value"] for t in listed}
        supplementary = {"ContinuousBackupsDescription": _camel(backups), "Tags": _camel(listed)}
        return _camel(table), supplementary, tags, table["TableArn"], resource_id
    if resource_type == "AWS::EC2::Instance":
        reservations = aws("ec2", region).describe_instances(InstanceIds=[resource_id])["Reservations"]
        instance = reservations[0]["Instances"][0]
        tags = {t["Key"]: t["Value"] for t in instance.get("Tags", [])}
        arn = f"arn:aws:ec2:{region}:{ACCOUNT}:instance/{resource_id}"
        return _camel(instance), {}, tags, arn, resource_id
    if resource_type == "AWS::S3::Bucket":
        return _bucket_item(region, resource_id)
    if resource_type == "AWS::SQS::Queue":
        attributes = aws("sqs", region).get_queue_attributes(QueueUrl=resource_id, AttributeNames=["All"])
        configuration = {"QueueUrl": resource_id, **attributes["Attributes"]}
        listed = aws("sqs", region).list_queue_tags(QueueUrl=resource_id).get("Tags", {})
        arn = configuration["QueueArn"]
        return configuration, {}, listed, arn, arn.rsplit(":", 1)[-1]
    raise AssertionError(
        f"no change-event item for {resource_type}; use an oversized event (moto records it)"
    )


def _bucket_item(region: str, name: str) -> tuple[Any, Any, dict[str, str], str, str]:
    """An S3 bucket's item: encryption and tagging live in supplementaryConfiguration."""
    s3 = aws("s3", region)
    rules = s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]["Rules"]
    try:
        tag_set = s3.get_bucket_tagging(Bucket=name)["TagSet"]
    except s3.exceptions.ClientError:
        tag_set = []
    tags = {t["Key"]: t["Value"] for t in tag_set}
    owner = s3.list_buckets()["Owner"]
    configuration = {"name": name, "owner": {"displayName": None, "id": owner["ID"]}, "creationDate": None}
    supplementary = {
        "ServerSideEncryptionConfiguration": {
            "rules": [
                {
                    "applyServerSideEncryptionByDefault": {
                        "sseAlgorithm": rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"],
                        "kmsMasterKeyID": rule["ApplyServerSideEncryptionByDefault"].get("KMSMasterKeyID"),
                    },
                    "bucketKeyEnabled": rule.get("BucketKeyEnabled", False),
                }
                for rule in rules
            ]
        },
        "BucketTaggingConfiguration": {"tagSets": [{"tags": tags}]} if tags else None,
        "IsRequesterPaysEnabled": False,
    }
    return configuration, supplementary, tags, f"arn:aws:s3:::{name}", name


def _event(invoking: dict[str, Any], region: str, check: str, token: str) -> dict[str, Any]:
    return {
        "version": "1.0",
        "invokingEvent": json.dumps(invoking),
        "ruleParameters": json.dumps(PARAMETERS[check]),
        "resultToken": token,
        "eventLeftScope": False,
        "executionRoleArn": f"arn:aws:iam::{ACCOUNT}:role/{CONFIG_SERVICE_ROLE}",
        "configRuleArn": f"arn:aws:config:{region}:{ACCOUNT}:config-rule/config-rule-{check[:4]}01",
        "configRuleName": rule_name(check, region),
        "configRuleId": f"config-rule-{check[:4]}01",
        "accountId": ACCOUNT,
        "evaluationMode": "DETECTIVE",
    }


def change_event(
    api: AwsApi, region: str, check: str, item: dict[str, Any], sent: datetime
) -> dict[str, Any]:
    invoking = {
        "configurationItemDiff": {"changedProperties": {}, "changeType": "CREATE"},
        "configurationItem": item,
        "notificationCreationTime": iso(sent),
        "messageType": "ConfigurationItemChangeNotification",
        "recordVersion": "1.3",
    }
    return _event(invoking, region, check, api.token_for(region, check))


def oversized_event(
    api: AwsApi, region: str, check: str, resource: tuple[str, str], captured: datetime, sent: datetime
) -> dict[str, Any]:
    resource_type, resource_id = resource
    invoking = {
        "configurationItemSummary": {
            "changeType": "UPDATE",
            "configurationItemVersion": "1.3",
            "configurationItemCaptureTime": iso(captured),
            "configurationStateId": 1764151200001,
            "awsAccountId": ACCOUNT,
            "configurationItemStatus": "OK",
            "resourceType": resource_type,
            "resourceId": resource_id,
            "resourceName": resource_id.rsplit(":", 1)[-1],
            "ARN": resource_id if resource_id.startswith("arn:") else f"arn:aws:s3:::{resource_id}",
            "awsRegion": region,
            "availabilityZone": "Regional",
            "configurationStateMd5Hash": "",
            "resourceCreationTime": iso(captured),
        },
        "s3ObjectKey": f"AWSLogs/{ACCOUNT}/Config/{region}/2026/11/26/OversizedChangeNotification/"
        f"{resource_type}/{ACCOUNT}_Config_{region}_ChangeNotification_{sent:%Y%m%dT%H%M%SZ}.json.gz",
        "s3Bucket": f"config-archive-{SUFFIX}-{ACCOUNT}",
        "notificationCreationTime": iso(sent),
        "messageType": "OversizedConfigurationItemChangeNotification",
        "recordVersion": "1.0",
    }
    return _event(invoking, region, check, api.token_for(region, check))


def scheduled_event(api: AwsApi, region: str, check: str, sent: datetime) -> dict[str, Any]:
    invoking = {
        "awsAccountId": ACCOUNT,
        "notificationCreationTime": iso(sent),
        "messageType": "ScheduledNotification",
        "recordVersion": "1.0",
    }
    return _event(invoking, region, check, api.token_for(region, check))
