"""The whole program: region counts, primary placement, stack outputs and warnings."""

from __future__ import annotations

import logging
import warnings
from collections import Counter

import pulumi_aws as aws
import pytest

from components.catalog import CHECKS
from components.settings import supported_regions
from tests.infra.conftest import DEV_CONFIG
from tests.infra.program import ACCOUNT_ID, Deployment, run_program
from verification.outputs import parse_outputs


def per_region(deployment: Deployment, resource_type: str) -> Counter[str]:
    return Counter(deployment.region_of(r) for r in deployment.of_type(resource_type))


@pytest.mark.parametrize("count", [1, 3, 17])
def test_every_region_is_recorded_and_evaluated(count: int) -> None:
    regions = sorted(supported_regions())[:count]
    deployment = run_program({**DEV_CONFIG, "regions": regions})
    assert per_region(deployment, "aws:cfg/recorderStatus:RecorderStatus") == dict.fromkeys(regions, 1)
    assert per_region(deployment, "aws:cfg/rule:Rule") == dict.fromkeys(regions, len(CHECKS))
    assert per_region(deployment, "aws:lambda/function:Function") == dict.fromkeys(regions, len(CHECKS))
    assert per_region(deployment, "aws:iam/role:Role") == {regions[0]: len(CHECKS) + 1 + (count > 1)}
    aggregator = deployment.of_type("aws:cfg/configurationAggregator:ConfigurationAggregator")[0]
    assert aggregator.inputs["accountAggregationSource"]["regions"] == regions
    assert len(deployment.of_type("config-compliance:region:RegionalCompliance")) == count


def test_primary_region_need_not_be_first() -> None:
    regions = ["eu-west-1", "ap-southeast-2", "us-east-1"]
    deployment = run_program({**DEV_CONFIG, "regions": regions, "primaryRegion": "ap-southeast-2"})
    hub = deployment.of_type("config-compliance:hub:ComplianceHub")[0]
    assert {deployment.region_of(r) for r in deployment.children_of(hub) if r.provider_urn} == {
        "ap-southeast-2"
    }
    for region in regions:
        group = next(
            r for r in deployment.of_type("aws:cfg/recorder:Recorder") if deployment.region_of(r) == region
        ).inputs["recordingGroup"]
        assert ("AWS::IAM::Role" in group["resourceTypes"]) is (region == "ap-southeast-2")
    forwarders = [
        r for r in deployment.of_type("aws:cloudwatch/eventRule:EventRule") if "-fwd-" in r.inputs["name"]
    ]
    assert sorted({deployment.region_of(r) for r in forwarders}) == ["eu-west-1", "us-east-1"]
    targets = [
        t for t in deployment.of_type("aws:cloudwatch/eventTarget:EventTarget") if "roleArn" in t.inputs
    ]
    assert {t.inputs["arn"] for t in targets} == {
        f"arn:aws:events:ap-southeast-2:{ACCOUNT_ID}:event-bus/default"
    }
    assert deployment.outputs["primaryRegion"] == "ap-southeast-2"


def test_stack_outputs(dev: Deployment) -> None:
    outputs = dev.outputs
    assert outputs["primaryRegion"] == "us-east-1"
    assert outputs["regions"] == DEV_CONFIG["regions"]
    assert outputs["evaluationFrequency"] == "Six_Hours"
    assert outputs["bucketName"] == f"config-archive-dev-{ACCOUNT_ID}"
    assert outputs["kmsKeyArn"] == dev.of_type("aws:kms/key:Key")[0].state["arn"]
    assert outputs["topicArn"] == dev.of_type("aws:sns/topic:Topic")[0].state["arn"]
    assert outputs["aggregatorName"] == "config-compliance-dev"
    (dashboard,) = dev.of_type("aws:cloudwatch/dashboard:Dashboard")
    assert dev.region_of(dashboard) == "us-east-1"
    assert outputs["dashboardName"] == dashboard.inputs["dashboardName"] == "config-compliance-dev"
    assert (
        outputs["aggregatorArn"]
        == dev.of_type("aws:cfg/configurationAggregator:ConfigurationAggregator")[0].state["arn"]
    )
    for region in DEV_CONFIG["regions"]:
        assert outputs["recording"][region] == {
            "managed": True,
            "recorderName": f"config-recorder-dev-{region}",
            "deliveryChannelName": f"config-delivery-dev-{region}",
        }
        assert set(outputs["rules"][region]) == {check.name for check in CHECKS}
        for check in CHECKS:
            deployed = outputs["rules"][region][check.name]
            assert deployed["ruleName"] == f"compliance-{check.name}-dev-{region}"
            assert deployed["functionArn"].endswith(deployed["ruleName"])


def test_dev_stack_resource_count(dev: Deployment) -> None:
    counts = Counter(r.type for r in dev.registrations)
    regions, checks = len(DEV_CONFIG["regions"]), len(CHECKS)
    assert counts["aws:cfg/rule:Rule"] == regions * checks
    # Per alert kind, one rule in the primary region and a forwarding rule in each other region.
    assert counts["aws:cloudwatch/eventRule:EventRule"] == 2 * regions
    # Per region: an errors alarm per check, and the alert path's delivery and dead-letter alarms.
    assert counts["aws:cloudwatch/metricAlarm:MetricAlarm"] == regions * (checks + 2)
    assert counts["aws:sqs/queue:Queue"] == counts["aws:sqs/queuePolicy:QueuePolicy"] == regions
    assert counts["aws:cfg/aggregateAuthorization:AggregateAuthorization"] == regions
    assert counts["aws:iam/role:Role"] == checks + 2
    assert counts["pulumi:providers:aws"] == regions + 1


def test_program_uses_nothing_deprecated() -> None:
    # Importing pulumi-aws modules announces every deprecated class they hold; load them first so that
    # only what the program itself does is recorded.
    for module in (aws.s3, aws.cfg, aws.iam, aws.kms, aws.sns, aws.cloudwatch, aws.lambda_):
        assert module
    engine_logs: list[logging.LogRecord] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            engine_logs.append(record)

    handler = Collect(level=logging.WARNING)
    logging.getLogger().addHandler(handler)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            run_program(DEV_CONFIG)
    finally:
        logging.getLogger().removeHandler(handler)
    assert [str(w.message) for w in caught if issubclass(w.category, DeprecationWarning)] == []
    assert [r.getMessage() for r in engine_logs if "deprecated" in r.getMessage().lower()] == []


@pytest.mark.parametrize("existing", [[], ["us-west-2"]])
def test_outputs_are_what_the_verify_command_reads(existing: list[str]) -> None:
    deployment = run_program({**DEV_CONFIG, "existingRecorderRegions": existing})
    outputs = parse_outputs(deployment.outputs)
    assert outputs.regions == tuple(DEV_CONFIG["regions"])
    assert {region for region, recording in outputs.recording.items() if not recording.managed} == set(
        existing
    )
    assert {rule.check for rules in outputs.rules.values() for rule in rules} == {c.name for c in CHECKS}
