"""A deployed stack built in moto server through boto3, and the status APIs moto does not implement.

moto 5 implements the recorder, delivery channel, rule, aggregator and SNS APIs the verify command
reads, but not DescribeDeliveryChannelStatus, DescribeConfigRuleEvaluationStatus or
DescribeConfigurationAggregatorSourcesStatus (it answers HTTP 500). ``StatusAnswers`` answers those
three at the client layer (botocore's ``before-call`` event), checked against the service model the
way botocore's Stubber checks responses; every other call goes over HTTP to moto.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse
from botocore.validate import validate_parameters

from components import naming
from verification.checks import verify
from verification.clients import AwsClient, AwsClients
from verification.outputs import parse_outputs
from verification.results import CheckResult, Verdict

ACCOUNT = "123456789012"
SUFFIX = "dev"
REGIONS = ("us-east-1", "us-west-2", "eu-west-1")
PRIMARY = "us-east-1"
# eu-west-1 plays an account region whose recorder pre-exists (existingRecorderRegions).
UNMANAGED = "eu-west-1"
CHECKS = ("encryption", "required-tags", "backup")
# The names the program gives (components/naming.py).
BUCKET = naming.bucket(SUFFIX, ACCOUNT)
TOPIC = naming.topic(SUFFIX)
AGGREGATOR = naming.aggregator(SUFFIX)
FREQUENCY = "Six_Hours"


def assume_role_policy(service: str) -> str:
    statement = {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


@cache
def aws(service: str, region: str) -> AwsClient:
    """A client of the moto server (AWS_ENDPOINT_URL, set by ``aws_endpoint``), reused across tests."""
    return boto3.client(service, region_name=region)  # type: ignore[call-overload]


def recorder_name(region: str) -> str:
    return naming.recorder(SUFFIX, region)


def channel_name(region: str) -> str:
    return naming.delivery_channel(SUFFIX, region)


def rule_name(check: str, region: str) -> str:
    return naming.config_rule(check, SUFFIX, region)


def _function_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("evaluators/__init__.py", "def handler(event, context):\n    return None\n")
    return buffer.getvalue()


def build_stack(
    outputs_regions: tuple[str, ...] = REGIONS, deployed_rule_name: Callable[[str, str], str] = rule_name
) -> dict[str, Any]:
    """Creates what `pulumi up` would in moto and returns the stack outputs the program exports.

    ``deployed_rule_name`` names the Config rule created for a check and region (organization scope:
    the hub account's copy of the organization rule); the outputs name the rule ``rule_name``.
    """
    iam = aws("iam", PRIMARY)
    config_role = iam.create_role(
        RoleName=naming.config_role(SUFFIX),
        AssumeRolePolicyDocument=assume_role_policy("config.amazonaws.com"),
    )["Role"]["Arn"]
    evaluator_role = iam.create_role(
        RoleName=f"compliance-evaluator-{SUFFIX}",
        AssumeRolePolicyDocument=assume_role_policy("lambda.amazonaws.com"),
    )["Role"]["Arn"]
    aws("s3", PRIMARY).create_bucket(Bucket=BUCKET)
    key_arn = aws("kms", PRIMARY).create_key()["KeyMetadata"]["Arn"]
    sns = aws("sns", PRIMARY)
    topic_arn = sns.create_topic(Name=TOPIC)["TopicArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="email", Endpoint="compliance@example.com")

    recording: dict[str, Any] = {}
    rules: dict[str, Any] = {}
    code = _function_zip()
    for region in outputs_regions:
        config = aws("config", region)
        if region == UNMANAGED:
            # The account's own recorder and channel, delivering to its own bucket.
            aws("s3", PRIMARY).create_bucket(Bucket=f"landing-zone-config-{region}")
            _record(config, "default", "default", f"landing-zone-config-{region}", config_role)
            recording[region] = {"managed": False, "recorderName": None, "deliveryChannelName": None}
        else:
            _record(config, recorder_name(region), channel_name(region), BUCKET, config_role)
            recording[region] = {
                "managed": True,
                "recorderName": recorder_name(region),
                "deliveryChannelName": channel_name(region),
            }
        awslambda = aws("lambda", region)
        rules[region] = {}
        for check in CHECKS:
            function_arn = awslambda.create_function(
                FunctionName=f"compliance-{check}-{SUFFIX}-{region}",
                Runtime="python3.13",
                Architectures=["arm64"],
                Role=evaluator_role,
                Handler=f"evaluators.{check.replace('-', '_')}.handler",
                Code={"ZipFile": code},
            )["FunctionArn"]
            config.put_config_rule(ConfigRule=_rule(deployed_rule_name(check, region), function_arn))
            rules[region][check] = {"ruleName": rule_name(check, region), "functionArn": function_arn}

    alert_path = {region: build_alert_path(region) for region in outputs_regions}
    aggregator_arn = aws("config", PRIMARY).put_configuration_aggregator(
        ConfigurationAggregatorName=AGGREGATOR,
        AccountAggregationSources=[{"AccountIds": [ACCOUNT], "AwsRegions": list(outputs_regions)}],
    )["ConfigurationAggregator"]["ConfigurationAggregatorArn"]
    return {
        "primaryRegion": PRIMARY,
        "regions": list(outputs_regions),
        "evaluationFrequency": FREQUENCY,
        "bucketName": BUCKET,
        "kmsKeyArn": key_arn,
        "topicArn": topic_arn,
        "aggregatorName": AGGREGATOR,
        "aggregatorArn": aggregator_arn,
        "recording": recording,
        "rules": rules,
        "alertPath": alert_path,
    }


def alert_rule_names(region: str) -> list[str]:
    if region == PRIMARY:
        return [naming.alert_rule(kind, SUFFIX) for kind in naming.ALERT_KIND_NAMES]
    return [naming.forward_rule(kind, SUFFIX, region) for kind in naming.ALERT_KIND_NAMES]


def alarm_names(region: str) -> list[str]:
    return [naming.alert_delivery_alarm(SUFFIX, region), naming.dead_letters_alarm(SUFFIX, region)]


def build_alert_path(region: str) -> dict[str, Any]:
    """The region's dead-letter queue and its two alarms, as the program names them."""
    queue = naming.dead_letter_queue(SUFFIX, region)
    queue_url = aws("sqs", region).create_queue(
        QueueName=queue, Attributes={"SqsManagedSseEnabled": "true"}
    )["QueueUrl"]
    queue_arn = aws("sqs", region).get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    cloudwatch = aws("cloudwatch", region)
    delivery, dead_letters = alarm_names(region)
    rules = alert_rule_names(region)
    cloudwatch.put_metric_alarm(
        AlarmName=delivery,
        Namespace="AWS/Events",
        MetricName="FailedInvocations",
        Dimensions=[{"Name": "RuleName", "Value": rules[0]}],
        Statistic="Sum",
        Period=300,
        EvaluationPeriods=1,
        Threshold=0,
        ComparisonOperator="GreaterThanThreshold",
        TreatMissingData="notBreaching",
    )
    cloudwatch.put_metric_alarm(
        AlarmName=dead_letters,
        Namespace="AWS/SQS",
        MetricName="ApproximateNumberOfMessagesVisible",
        Dimensions=[{"Name": "QueueName", "Value": queue}],
        Statistic="Maximum",
        Period=300,
        EvaluationPeriods=1,
        Threshold=0,
        ComparisonOperator="GreaterThanThreshold",
        TreatMissingData="notBreaching",
    )
    return {
        "ruleNames": rules,
        # The URL AWS gives (moto names its own host); the API reads the queue from the URL's path.
        "deadLetterQueueUrl": f"https://sqs.{region}.amazonaws.com/{ACCOUNT}/{queue}",
        "deadLetterQueueArn": queue_arn,
        "alarmNames": [delivery, dead_letters],
    }


def _record(config: AwsClient, recorder: str, channel: str, bucket: str, role_arn: str) -> None:
    config.put_configuration_recorder(
        ConfigurationRecorder={
            "name": recorder,
            "roleARN": role_arn,
            "recordingGroup": {
                "allSupported": False,
                "includeGlobalResourceTypes": False,
                "resourceTypes": ["AWS::EC2::Volume", "AWS::S3::Bucket", "AWS::DynamoDB::Table"],
            },
        }
    )
    config.put_delivery_channel(
        DeliveryChannel={
            "name": channel,
            "s3BucketName": bucket,
            "s3KeyPrefix": "config",
            "configSnapshotDeliveryProperties": {"deliveryFrequency": "TwentyFour_Hours"},
        }
    )
    config.start_configuration_recorder(ConfigurationRecorderName=recorder)


def _rule(name: str, function_arn: str) -> dict[str, Any]:
    return {
        "ConfigRuleName": name,
        "Scope": {"ComplianceResourceTypes": ["AWS::EC2::Volume"]},
        "Source": {
            "Owner": "CUSTOM_LAMBDA",
            "SourceIdentifier": function_arn,
            "SourceDetails": [
                {"EventSource": "aws.config", "MessageType": "ConfigurationItemChangeNotification"},
                {"EventSource": "aws.config", "MessageType": "OversizedConfigurationItemChangeNotification"},
                {
                    "EventSource": "aws.config",
                    "MessageType": "ScheduledNotification",
                    "MaximumExecutionFrequency": FREQUENCY,
                },
            ],
        },
    }


# An answer to one operation, from the request's parameters.
Answer = Callable[[dict[str, Any]], dict[str, Any]]


def healthy_answers(now: datetime, regions: tuple[str, ...] = REGIONS) -> dict[str, Answer]:
    """What the three status APIs report for a stack that records, delivers and evaluates."""
    an_hour_ago = now - timedelta(hours=1)

    def delivery(params: dict[str, Any]) -> dict[str, Any]:
        info = {"lastStatus": "Success", "lastAttemptTime": an_hour_ago, "lastSuccessfulTime": an_hour_ago}
        return {
            "DeliveryChannelsStatus": [
                {"name": name, "configHistoryDeliveryInfo": info, "configSnapshotDeliveryInfo": info}
                for name in params["DeliveryChannelNames"]
            ]
        }

    def evaluation(params: dict[str, Any]) -> dict[str, Any]:
        return {
            "ConfigRulesEvaluationStatus": [
                {
                    "ConfigRuleName": name,
                    "FirstActivatedTime": now - timedelta(days=3),
                    "LastSuccessfulInvocationTime": an_hour_ago,
                    "LastSuccessfulEvaluationTime": an_hour_ago,
                    "FirstEvaluationStarted": True,
                }
                for name in params["ConfigRuleNames"]
            ]
        }

    def sources(params: dict[str, Any]) -> dict[str, Any]:
        return {
            "AggregatedSourceStatusList": [
                {
                    "SourceId": ACCOUNT,
                    "SourceType": "ACCOUNT",
                    "AwsRegion": region,
                    "LastUpdateStatus": "SUCCEEDED",
                    "LastUpdateTime": an_hour_ago,
                }
                for region in regions
            ]
        }

    return {
        "DescribeDeliveryChannelStatus": delivery,
        "DescribeConfigRuleEvaluationStatus": evaluation,
        "DescribeConfigurationAggregatorSourcesStatus": sources,
    }


@dataclass
class StatusAnswers:
    """A client factory for moto server whose clients answer ``answers``' operations themselves."""

    endpoint_url: str
    answers: dict[str, Answer]
    calls: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._clients = AwsClients(endpoint_url=self.endpoint_url)
        self._hooked: set[int] = set()

    def __call__(self, service: str, region: str) -> AwsClient:
        client = self._clients(service, region)
        if id(client) not in self._hooked:
            self._hooked.add(id(client))
            service_id = client.meta.service_model.service_id.hyphenize()
            client.meta.events.register(f"before-call.{service_id}", self._answer)
        return client

    def _answer(
        self, model: Any, params: dict[str, Any], **_: Any
    ) -> tuple[AWSResponse, dict[str, Any]] | None:
        self.calls.append(model.name)
        answer = self.answers.get(model.name)
        if answer is None:
            return None
        # JSON protocols send the parameters as a JSON body; query protocols (CloudFormation) as a dict;
        # REST protocols' GET requests (Lambda GetFunctionConfiguration) in the URL, with an empty body.
        body = params["body"]
        response = answer(body if isinstance(body, dict) else json.loads(body or "{}"))
        validate_parameters(response, model.output_shape)
        return AWSResponse(params["url"], 200, {}, None), response


def _example_rules(region: str) -> dict[str, Any]:
    return {
        check: {
            "ruleName": f"compliance-{check}-dev-{region}",
            "functionArn": f"arn:aws:lambda:{region}:{ACCOUNT}:function:compliance-{check}-dev-{region}",
        }
        for check in ("encryption", "required-tags", "backup")
    }


def example_outputs() -> dict[str, Any]:
    """The documented outputs of a dev stack whose eu-west-1 recorder pre-exists (no AWS needed)."""
    return {
        "primaryRegion": "us-east-1",
        "regions": ["us-east-1", "us-west-2", "eu-west-1"],
        "evaluationFrequency": "Six_Hours",
        "bucketName": f"config-archive-dev-{ACCOUNT}",
        "kmsKeyArn": f"arn:aws:kms:us-east-1:{ACCOUNT}:key/0b9a1c2d-3e4f-5a6b-7c8d-9e0f1a2b3c4d",
        "topicArn": f"arn:aws:sns:us-east-1:{ACCOUNT}:config-compliance-alerts-dev",
        "aggregatorName": "config-compliance-dev",
        "aggregatorArn": f"arn:aws:config:us-east-1:{ACCOUNT}:config-aggregator/config-aggregator-abc123",
        "recording": {
            "us-east-1": {
                "managed": True,
                "recorderName": "config-recorder-dev-us-east-1",
                "deliveryChannelName": "config-delivery-dev-us-east-1",
            },
            "us-west-2": {
                "managed": True,
                "recorderName": "config-recorder-dev-us-west-2",
                "deliveryChannelName": "config-delivery-dev-us-west-2",
            },
            "eu-west-1": {"managed": False, "recorderName": None, "deliveryChannelName": None},
        },
        "rules": {region: _example_rules(region) for region in REGIONS},
        "alertPath": {region: _example_alert_path(region) for region in REGIONS},
    }


def _example_alert_path(region: str) -> dict[str, Any]:
    queue = f"config-alert-dlq-dev-{region}"
    return {
        "ruleNames": alert_rule_names(region),
        "deadLetterQueueUrl": f"https://sqs.{region}.amazonaws.com/{ACCOUNT}/{queue}",
        "deadLetterQueueArn": f"arn:aws:sqs:{region}:{ACCOUNT}:{queue}",
        "alarmNames": alarm_names(region),
    }


def verify_by_check(stack: dict[str, Any], clients: Any, now: datetime) -> dict[tuple[str, str], CheckResult]:
    """Every result of the verify command, by (region, check); each pair appears once."""
    results = list(verify(parse_outputs(stack), clients, now))
    by_check = {(result.region, result.check): result for result in results}
    assert len(by_check) == len(results), "one line per check and region"
    return by_check


def failures(results: dict[tuple[str, str], CheckResult]) -> dict[tuple[str, str], str]:
    return {key: result.message for key, result in results.items() if result.verdict is Verdict.FAIL}
