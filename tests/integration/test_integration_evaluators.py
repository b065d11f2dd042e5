"""The evaluators end to end over HTTP: Config's events in, evaluations posted, in three regions.

Every resource is created in moto server through boto3; every handler runs as its Lambda would, with
clients built from the environment (``AWS_REGION``, ``AWS_ENDPOINT_URL``). See integration_support for
the few calls answered at the client layer.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from types import ModuleType

import pytest
from botocore.exceptions import ClientError
from evaluators import backup, encryption, required_tags
from evaluators.errors import EvaluationIncompleteError
from integration_support import (
    CAPTURED,
    COMPLIANT,
    NON_COMPLIANT,
    REGIONS,
    SENT,
    AwsApi,
    Estate,
    Invoke,
    change_event,
    configuration_item,
    oversized_event,
    scheduled_event,
)

HANDLERS: dict[str, ModuleType] = {"encryption": encryption, "required-tags": required_tags, "backup": backup}


# --- change events -------------------------------------------------------------------------------

# Resource types whose configuration items the suite builds from moto (Config records these itself).
CHANGE_TYPES = (
    "AWS::EC2::Instance",
    "AWS::EC2::Volume",
    "AWS::S3::Bucket",
    "AWS::RDS::DBInstance",
    "AWS::DynamoDB::Table",
    "AWS::SQS::Queue",
)


def _selection_reads(region: str) -> Counter[str]:
    """The calls that read a region's plan selections; only us-east-1 has a plan."""
    if region == "us-east-1":
        return Counter({"ListBackupPlans": 1, "ListBackupSelections": 1, "GetBackupSelection": 1})
    return Counter({"ListBackupPlans": 1})


@pytest.mark.parametrize("check", ["encryption", "required-tags", "backup"])
def test_each_change_event_posts_one_evaluation_for_its_resource(
    check: str, api: AwsApi, estate: Estate, invoke: Invoke
) -> None:
    invoked = 0
    for region in REGIONS:
        cold = True
        for name, resource in estate.names[region].items():
            expected = estate.expected[region].get(check, {}).get(resource[1])
            if resource[0] not in CHANGE_TYPES or expected is None:
                continue
            api.forget_calls()
            event = change_event(api, region, check, configuration_item(region, resource, CAPTURED), SENT)

            result = invoke(HANDLERS[check], event, region)

            invoked += 1
            assert result == {
                "messageType": "ConfigurationItemChangeNotification",
                "evaluations": {expected: 1},
            }
            # A cold container's first backup event reads the plan selections; later ones reuse them.
            extra = _selection_reads(region) if check == "backup" and cold else Counter()
            assert api.count(region) == Counter({"PutEvaluations": 1}) + extra, name
            cold = False
            (put,) = [c for c in api.calls if c.operation == "PutEvaluations"]
            assert put.params["ResultToken"] == event["resultToken"]
            assert put.params["TestMode"] is False
            (evaluation,) = put.params["Evaluations"]
            assert evaluation["ComplianceResourceType"] == resource[0]
            assert evaluation["ComplianceResourceId"] == resource[1]
            assert evaluation["ComplianceType"] == expected, (name, evaluation.get("Annotation"))
            assert evaluation["OrderingTimestamp"] == CAPTURED
            assert 1 <= len(evaluation.get("Annotation", "x")) <= 256
    assert invoked == sum(
        1
        for region in REGIONS
        for t, i in estate.names[region].values()
        if t in CHANGE_TYPES and i in estate.expected[region].get(check, {})
    )


# --- oversized events ------------------------------------------------------------------------------


# moto records configuration items of S3 buckets and SNS topics, so GetResourceConfigHistory goes to
# it over HTTP. (moto's bucket items lack the encryption settings, so buckets go to required-tags.)
OVERSIZED_CASES = [
    ("encryption", "us-east-1", "kms topic"),
    ("encryption", "us-west-2", "plain topic"),
    ("required-tags", "us-east-1", "sse-s3 bucket"),
    ("required-tags", "us-east-1", "kms bucket"),
    ("required-tags", "us-west-2", "plain topic"),
]


def test_an_oversized_event_evaluates_the_item_fetched_from_config(
    api: AwsApi, estate: Estate, invoke: Invoke
) -> None:
    verdicts = set()
    for check, region, name in OVERSIZED_CASES:
        resource = estate.resource(region, name)
        expected = estate.expected[region][check][resource[1]]
        verdicts.add(expected)
        event = oversized_event(api, region, check, resource, CAPTURED, SENT)
        api.forget_calls()

        result = invoke(HANDLERS[check], event, region)

        assert result == {
            "messageType": "OversizedConfigurationItemChangeNotification",
            "evaluations": {expected: 1},
        }, name
        assert api.count(region) == Counter({"GetResourceConfigHistory": 1, "PutEvaluations": 1})
        assert api.http_requests["GetResourceConfigHistory"] == 1
        (history,) = [c for c in api.calls if c.operation == "GetResourceConfigHistory"]
        assert history.params == {
            "resourceType": resource[0],
            "resourceId": resource[1],
            "laterTime": CAPTURED,
            "limit": 1,
        }
        (evaluation,) = api.evaluations()
        assert (evaluation["ComplianceResourceId"], evaluation["ComplianceType"]) == (resource[1], expected)
        assert evaluation["OrderingTimestamp"] == CAPTURED
    assert verdicts == {COMPLIANT, NON_COMPLIANT}


def test_an_oversized_item_config_cannot_return_fails_loudly_and_posts_nothing(
    api: AwsApi, estate: Estate, invoke: Invoke
) -> None:
    # moto records no history for volumes: the same answer Config gives for an item it no longer has.
    region = "eu-west-1"
    resource = estate.resource(region, "plain tagged volume")
    event = oversized_event(api, region, "backup", resource, CAPTURED, SENT)

    with pytest.raises(EvaluationIncompleteError) as raised:
        invoke(backup, event, region)

    (problem,) = raised.value.resources
    assert problem.startswith(f"AWS::EC2::Volume {resource[1]} (ResourceNotDiscoveredException: ")

    assert api.count()["PutEvaluations"] == 0


# --- scheduled sweeps --------------------------------------------------------------------------------


def _types(estate: Estate, region: str, check: str) -> Counter[str]:
    """How many resources of each type the check evaluates in the region."""
    ids = estate.expected[region][check]
    return Counter(t for t, i in estate.names[region].values() if i in ids)


def _sweep_calls(estate: Estate, region: str, check: str) -> Counter[str]:
    """The calls a sweep should make: one listing per type, per-resource reads only where no batch API."""
    types = _types(estate, region, check)
    calls = Counter({"GetComplianceDetailsByConfigRule": 1, "PutEvaluations": 1})
    if check == "encryption":
        calls += Counter(
            {
                "DescribeVolumes": 1,
                "ListBuckets": 1,
                "GetBucketEncryption": types["AWS::S3::Bucket"],
                "DescribeDBInstances": 1,
                "DescribeDBClusters": 1,
                "ListTables": 1,
                "DescribeTable": types["AWS::DynamoDB::Table"],
                "DescribeFileSystems": 1,
                "ListTopics": 1,
                "GetTopicAttributes": types["AWS::SNS::Topic"],
                "ListQueues": 1,
                "GetQueueAttributes": types["AWS::SQS::Queue"],
            }
        )
    elif check == "required-tags":
        tagged_services = ("AWS::S3::Bucket", "AWS::DynamoDB::Table", "AWS::SNS::Topic", "AWS::SQS::Queue")
        calls += Counter(
            {
                "DescribeInstances": 1,
                "DescribeVolumes": 1,
                "ListBuckets": 1,
                "DescribeDBInstances": 1,
                "DescribeDBClusters": 1,
                "ListTables": 1,
                "DescribeFileSystems": 1,
                "ListTopics": 1,
                "ListQueues": 1,
                # One GetResources pagination for every service whose list API returns no tags.
                "GetResources": 1 if any(types[t] for t in tagged_services) else 0,
            }
        )
    else:
        calls += Counter(
            {
                "DescribeVolumes": 1,
                "DescribeDBInstances": 1,
                "DescribeDBClusters": 1,
                "ListTables": 1,
                "DescribeContinuousBackups": types["AWS::DynamoDB::Table"],
                "GetResources": 1 if types["AWS::DynamoDB::Table"] else 0,
                "DescribeFileSystems": 1,
            }
        )
        calls += _selection_reads(region)
    return +calls


@pytest.mark.parametrize("check", ["encryption", "required-tags", "backup"])
def test_a_scheduled_sweep_evaluates_every_resource_of_every_region(
    check: str, api: AwsApi, estate: Estate, invoke: Invoke
) -> None:
    for region in REGIONS:
        api.forget_calls()
        expected = estate.expected[region][check]

        result = invoke(HANDLERS[check], scheduled_event(api, region, check, SENT), region)

        assert api.verdicts() == expected, region
        assert result == {
            "messageType": "ScheduledNotification",
            "evaluations": dict(Counter(expected.values())),
        }
        assert all(e["OrderingTimestamp"] == SENT for e in api.evaluations())
        assert api.count(region) == _sweep_calls(estate, region, check), region
        assert (
            sum(api.count(other)[op] for other in REGIONS if other != region for op in api.count(other)) == 0
        )
        assert api.held(region, check) == expected


def test_change_events_and_sweeps_reach_the_same_verdicts(
    api: AwsApi, estate: Estate, invoke: Invoke
) -> None:
    region = "us-east-1"
    for check, handler in HANDLERS.items():
        invoke(handler, scheduled_event(api, region, check, SENT), region)
        swept = api.held(region, check)
        for resource in estate.names[region].values():
            if resource[0] in CHANGE_TYPES and resource[1] in swept:
                item = configuration_item(region, resource, CAPTURED)
                invoke(handler, change_event(api, region, check, item, SENT + timedelta(hours=1)), region)
        assert api.held(region, check) == swept == estate.expected[region][check]


def test_a_testmode_token_posts_over_http_to_config(api: AwsApi, estate: Estate, invoke: Invoke) -> None:
    region = "us-west-2"
    api.passthrough.add("PutEvaluations")
    resource = estate.resource(region, "staging volume")
    event = change_event(api, region, "required-tags", configuration_item(region, resource, CAPTURED), SENT)
    event["resultToken"] = "TESTMODE"

    result = invoke(required_tags, event, region)

    assert result["evaluations"] == {NON_COMPLIANT: 1}
    (put,) = [c for c in api.calls if c.operation == "PutEvaluations"]
    assert put.params["TestMode"] is True
    assert api.http_requests["PutEvaluations"] == 1
    assert api.results == {}


def test_an_evaluation_config_would_refuse_is_not_posted_silently(
    api: AwsApi, estate: Estate, invoke: Invoke
) -> None:
    # A token from another region's rule: the answer is the InvalidParameterValueException AWS gives.
    region = "us-west-2"
    resource = estate.resource(region, "staging volume")
    event = change_event(api, "us-east-1", "encryption", configuration_item(region, resource, CAPTURED), SENT)

    with pytest.raises(ClientError, match=r"InvalidParameterValueException.*ResultToken of us-east-1"):
        invoke(encryption, event, region)
    assert api.results == {}
