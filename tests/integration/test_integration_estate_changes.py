"""Sweeps over an estate that changes: deleted resources, and more resources than one call takes.

Each test builds the estate on an emptied moto server (these tests change it).
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from evaluators import encryption
from integration_support import (
    CAPTURED,
    COMPLIANT,
    NOT_APPLICABLE,
    SENT,
    AwsApi,
    Estate,
    Invoke,
    aws,
    build_estate,
    change_event,
    configuration_item,
    scheduled_event,
)


@pytest.fixture
def estate(aws_endpoint: str) -> Estate:
    return build_estate()


def test_a_deleted_resource_is_not_applicable_without_reading_anything(
    api: AwsApi, estate: Estate, invoke: Invoke
) -> None:
    region = "us-east-1"
    resource = estate.resource(region, "plain volume")
    item = configuration_item(region, resource, CAPTURED)
    aws("ec2", region).delete_volume(VolumeId=resource[1])
    item.update(configurationItemStatus="ResourceDeleted", configuration=None, supplementaryConfiguration={})
    api.forget_calls()

    result = invoke(encryption, change_event(api, region, "encryption", item, SENT), region)

    assert result["evaluations"] == {NOT_APPLICABLE: 1}
    assert api.count() == Counter({"PutEvaluations": 1})
    assert api.held(region, "encryption") == {resource[1]: NOT_APPLICABLE}


def test_a_second_sweep_marks_resources_that_are_gone_not_applicable(
    api: AwsApi, estate: Estate, invoke: Invoke
) -> None:
    region = "us-east-1"
    invoke(encryption, scheduled_event(api, region, "encryption", SENT), region)
    volume = estate.resource(region, "plain volume")
    queue = estate.resource(region, "sse-sqs queue")
    aws("ec2", region).delete_volume(VolumeId=volume[1])
    aws("sqs", region).delete_queue(QueueUrl=queue[1])
    api.forget_calls()

    invoke(encryption, scheduled_event(api, region, "encryption", SENT + timedelta(hours=6)), region)

    expected = dict(estate.expected[region]["encryption"])
    expected[volume[1]] = expected[queue[1]] = NOT_APPLICABLE
    assert api.verdicts() == expected
    assert api.held(region, "encryption") == expected
    annotations = {e["ComplianceResourceId"]: e.get("Annotation") for e in api.evaluations()}
    assert annotations[volume[1]] == annotations[queue[1]] == "The resource no longer exists."


def test_a_large_sweep_posts_in_batches_and_pages_previous_results(
    api: AwsApi, estate: Estate, invoke: Invoke
) -> None:
    region = "eu-west-1"
    ec2 = aws("ec2", region)
    volumes = [
        ec2.create_volume(AvailabilityZone=f"{region}b", Size=1, Encrypted=True)["VolumeId"]
        for _ in range(99)
    ]
    invoke(encryption, scheduled_event(api, region, "encryption", SENT), region)
    # 99 new volumes + the estate's volume and database: 101 evaluations, one more than a call takes.
    assert [len(c.params["Evaluations"]) for c in api.calls if c.operation == "PutEvaluations"] == [100, 1]
    for volume_id in volumes[:10]:
        ec2.delete_volume(VolumeId=volume_id)
    api.forget_calls()

    invoke(encryption, scheduled_event(api, region, "encryption", SENT + timedelta(hours=6)), region)

    counts = api.count(region)
    assert counts["GetComplianceDetailsByConfigRule"] == 2  # 101 held results, 100 a page
    assert counts["PutEvaluations"] == 2
    assert counts["DescribeVolumes"] == 1
    verdicts = api.verdicts()
    assert len(verdicts) == 101
    assert Counter(verdicts[v] for v in volumes[:10]) == {NOT_APPLICABLE: 10}
    assert Counter(verdicts[v] for v in volumes[10:]) == {COMPLIANT: 89}
    assert api.held(region, "encryption") == verdicts
