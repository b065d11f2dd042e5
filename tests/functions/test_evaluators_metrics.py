"""Compliance metrics: each sweep writes Embedded Metric Format records to stdout; change events none.

Records are checked against the EMF specification
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html):
one JSON object per log line; a root ``_aws`` object holding ``Timestamp`` (a number of milliseconds
since the epoch) and ``CloudWatchMetrics`` (MetricDirective objects: ``Namespace`` a string,
``Dimensions`` an array of DimensionSets, each an array of at most 30 strings naming root members whose
values are strings, ``Metrics`` an array of at most 100 MetricDefinitions whose ``Name`` names a root
member holding a number, with an optional ``Unit`` from CloudWatch's unit list).
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest
from evaluator_support import (
    ApiCalls,
    ShippedExceptions,
    aws_error,
    change_event,
    client,
    configuration_item,
    exception_entry,
    scheduled_event,
)
from evaluators import encryption
from evaluators.errors import EvaluationIncompleteError

# CloudWatch's StandardUnit values (the PutMetricData MetricDatum Unit), which EMF units must be.
UNITS = {
    "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes", "Terabytes",
    "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count", "Bytes/Second",
    "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second", "Bits/Second",
    "Kilobits/Second", "Megabits/Second", "Gigabits/Second", "Terabits/Second", "Count/Second", "None",
}  # fmt: skip


def emf_records(output: str) -> list[dict[str, Any]]:
    """Every line that is an EMF record, validated by the specification's rules."""
    records = []
    for line in output.splitlines():
        record = json.loads(line)
        assert isinstance(record, dict) and "_aws" in record, line
        metadata = record["_aws"]
        assert isinstance(metadata["Timestamp"], int) and metadata["Timestamp"] > 1_600_000_000_000
        directives = metadata["CloudWatchMetrics"]
        assert isinstance(directives, list) and directives
        for directive in directives:
            assert set(directive) <= {"Namespace", "Dimensions", "Metrics"}
            assert isinstance(directive["Namespace"], str) and directive["Namespace"]
            for dimension_set in directive["Dimensions"]:
                assert 1 <= len(dimension_set) <= 30
                for name in dimension_set:
                    assert isinstance(record[name], str) and record[name]
            assert 1 <= len(directive["Metrics"]) <= 100
            for definition in directive["Metrics"]:
                assert set(definition) <= {"Name", "Unit", "StorageResolution"}
                value = record[definition["Name"]]
                assert isinstance(value, int | float) and not isinstance(value, bool)
                assert definition.get("Unit", "None") in UNITS
        records.append(record)
    return records


def metric_units(record: dict[str, Any]) -> dict[str, str]:
    [directive] = record["_aws"]["CloudWatchMetrics"]
    return {m["Name"]: m["Unit"] for m in directive["Metrics"]}


def test_a_sweep_writes_one_record_per_type_and_a_summary(
    api: ApiCalls, capsys: pytest.CaptureFixture[str]
) -> None:
    ec2 = client("ec2")
    for encrypted in (True, False, False):
        ec2.create_volume(Size=1, AvailabilityZone="us-east-1a", Encrypted=encrypted)
    client("s3").create_bucket(Bucket="sse-s3")
    capsys.readouterr()

    encryption.handler(scheduled_event(), None)

    records = emf_records(capsys.readouterr().out)
    assert all(r["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "ConfigCompliance" for r in records)
    *per_type, summary = records
    assert [r["ResourceType"] for r in per_type] == list(encryption.CHECK.resource_types)
    for record in per_type:
        assert record["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["Check", "ResourceType"]]
        assert record["Check"] == "encryption"
        counts = {
            "Compliant": "Count",
            "NonCompliant": "Count",
            "NotApplicable": "Count",
            "Excepted": "Count",
        }
        assert metric_units(record) == counts
    volumes = next(r for r in per_type if r["ResourceType"] == "AWS::EC2::Volume")
    assert (volumes["Compliant"], volumes["NonCompliant"], volumes["NotApplicable"]) == (1, 2, 0)
    buckets = next(r for r in per_type if r["ResourceType"] == "AWS::S3::Bucket")
    assert (buckets["Compliant"], buckets["NonCompliant"]) == (1, 0)
    assert summary["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["Check"]]
    assert "ResourceType" not in summary
    assert metric_units(summary) == {
        "Compliant": "Count",
        "NonCompliant": "Count",
        "NotApplicable": "Count",
        "Excepted": "Count",
        "ResourcesEvaluated": "Count",
        "SweepDuration": "Milliseconds",
    }
    posted = Counter(e["ComplianceType"] for e in api.evaluations())
    assert (summary["Compliant"], summary["NonCompliant"], summary["NotApplicable"]) == (
        posted["COMPLIANT"],
        posted["NON_COMPLIANT"],
        posted["NOT_APPLICABLE"],
    )
    assert summary["ResourcesEvaluated"] == len(api.evaluations()) == 4
    assert summary["SweepDuration"] > 0


def test_vanished_resources_count_as_not_applicable(
    api: ApiCalls, capsys: pytest.CaptureFixture[str]
) -> None:
    api.respond(
        "GetComplianceDetailsByConfigRule",
        lambda params: {
            "EvaluationResults": [
                {
                    "EvaluationResultIdentifier": {
                        "EvaluationResultQualifier": {"ResourceType": "AWS::SQS::Queue", "ResourceId": "gone"}
                    }
                }
            ]
        },
    )
    encryption.handler(scheduled_event(), None)
    records = emf_records(capsys.readouterr().out)
    queues = next(r for r in records if r.get("ResourceType") == "AWS::SQS::Queue")
    assert queues["NotApplicable"] == 1 and records[-1]["ResourcesEvaluated"] == 1


def test_a_type_whose_listing_failed_gets_no_record(
    api: ApiCalls, capsys: pytest.CaptureFixture[str]
) -> None:
    api.respond("DescribeVolumes", lambda params: aws_error("UnauthorizedOperation", "no", 403))
    with pytest.raises(EvaluationIncompleteError):
        encryption.handler(scheduled_event(), None)
    records = emf_records(capsys.readouterr().out)
    types = [r.get("ResourceType") for r in records]
    assert "AWS::EC2::Volume" not in types and len(types) == len(encryption.CHECK.resource_types)


def test_change_events_write_no_metric(api: ApiCalls, capsys: pytest.CaptureFixture[str]) -> None:
    item = configuration_item("AWS::EC2::Volume", "vol-1", {"volumeId": "vol-1", "encrypted": False})
    encryption.handler(change_event(item), None)
    assert capsys.readouterr().out == ""


def test_excepted_resources_are_counted_apart_per_check_and_type(
    api: ApiCalls, shipped_exceptions: ShippedExceptions, capsys: pytest.CaptureFixture[str]
) -> None:
    """Excepted results are posted COMPLIANT and counted in Compliant too; Excepted says how many of them
    an exception covers, beside NonCompliant (the dashboard graphs both)."""
    ec2 = client("ec2")
    excepted = [ec2.create_volume(Size=1, AvailabilityZone="us-east-1a", Encrypted=False) for _ in range(2)]
    ec2.create_volume(Size=1, AvailabilityZone="us-east-1a", Encrypted=False)
    ec2.create_volume(Size=1, AvailabilityZone="us-east-1a", Encrypted=True)
    expired = ec2.create_volume(Size=1, AvailabilityZone="us-east-1a", Encrypted=False)
    shipped_exceptions.ship(
        *(
            exception_entry(id=f"scratch-{n}", check="encryption", resource=volume["VolumeId"])
            for n, volume in enumerate(excepted)
        ),
        exception_entry(id="old", check="encryption", resource=expired["VolumeId"], expires="2026-11-19"),
    )
    capsys.readouterr()

    encryption.handler(scheduled_event(), None)

    *per_type, summary = emf_records(capsys.readouterr().out)
    volumes = next(r for r in per_type if r["ResourceType"] == "AWS::EC2::Volume")
    assert volumes["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["Check", "ResourceType"]]
    assert (volumes["Check"], volumes["Compliant"], volumes["Excepted"], volumes["NonCompliant"]) == (
        "encryption",
        3,
        2,
        2,
    )
    assert all(r["Excepted"] == 0 for r in per_type if r["ResourceType"] != "AWS::EC2::Volume")
    assert summary["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["Check"]]
    assert (summary["Check"], summary["Excepted"], summary["NonCompliant"]) == ("encryption", 2, 2)
