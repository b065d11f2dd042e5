"""RegionalCompliance: recording, the custom rules and alert forwarding, in every configured region."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from components.catalog import CHECKS, GLOBAL_RESOURCE_TYPES
from components.region import LAMBDA_TIMEOUT_SECONDS
from tests.infra.conftest import DEV_CONFIG
from tests.infra.program import ACCOUNT_ID, Deployment, Registration, run_program

REGIONAL = "config-compliance:region:RegionalCompliance"
REGIONS = DEV_CONFIG["regions"]


def in_region(deployment: Deployment, resource_type: str, region: str) -> list[Registration]:
    return [r for r in deployment.of_type(resource_type) if deployment.region_of(r) == region]


def one_in_region(deployment: Deployment, resource_type: str, region: str) -> Registration:
    found = in_region(deployment, resource_type, region)
    assert len(found) == 1, (resource_type, region, [r.name for r in found])
    return found[0]


def depends(deployment: Deployment, resource: Registration, *on: Registration) -> bool:
    return all(other.urn in resource.dependencies for other in on)


def hub_resource(deployment: Deployment, resource_type: str, name: str) -> Registration:
    return next(r for r in deployment.of_type(resource_type) if r.inputs.get("name") == name)


def test_each_region_component_has_its_own_provider_in_its_region(dev: Deployment) -> None:
    components = sorted(dev.of_type(REGIONAL), key=lambda c: REGIONS.index(c.name.removeprefix("region-")))
    assert [c.name for c in components] == [f"region-{region}" for region in REGIONS]
    for component, region in zip(components, REGIONS, strict=True):
        (provider,) = [r for r in dev.children_of(component) if r.type == "pulumi:providers:aws"]
        assert provider.inputs["region"] == region
        assert {dev.region_of(r) for r in dev.children_of(component) if r is not provider} == {region}


@pytest.mark.parametrize("region", REGIONS)
def test_recording_starts_in_every_region_in_the_order_config_needs(dev: Deployment, region: str) -> None:
    recorder = one_in_region(dev, "aws:cfg/recorder:Recorder", region)
    channel = one_in_region(dev, "aws:cfg/deliveryChannel:DeliveryChannel", region)
    status = one_in_region(dev, "aws:cfg/recorderStatus:RecorderStatus", region)
    assert recorder.inputs["name"] == f"config-recorder-dev-{region}"
    assert channel.inputs["name"] == f"config-delivery-dev-{region}"
    assert status.inputs == {"name": recorder.inputs["name"], "isEnabled": True}

    bucket_policy = dev.of_type("aws:s3/bucketPolicy:BucketPolicy")[0]
    key = dev.of_type("aws:kms/key:Key")[0]
    attachment = dev.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")[0]
    delivery_policy = next(
        r for r in dev.of_type("aws:iam/rolePolicy:RolePolicy") if r.inputs["role"] == "config-recorder-dev"
    )
    assert depends(dev, recorder, attachment, delivery_policy)
    assert depends(dev, channel, recorder, bucket_policy, key, attachment, delivery_policy)
    assert depends(dev, status, channel)


@pytest.mark.parametrize("region", REGIONS)
def test_delivery_goes_to_the_hub_bucket_with_its_key(dev: Deployment, region: str) -> None:
    channel = one_in_region(dev, "aws:cfg/deliveryChannel:DeliveryChannel", region).inputs
    assert channel["s3BucketName"] == f"config-archive-dev-{ACCOUNT_ID}"
    assert channel["s3KeyPrefix"] == "config"
    assert channel["s3KmsKeyArn"] == dev.of_type("aws:kms/key:Key")[0].state["arn"]
    assert channel["snapshotDeliveryProperties"] == {"deliveryFrequency": "TwentyFour_Hours"}


def test_global_types_are_recorded_in_the_primary_region_only(dev: Deployment) -> None:
    for region in REGIONS:
        group = one_in_region(dev, "aws:cfg/recorder:Recorder", region).inputs["recordingGroup"]
        recorded = set(group["resourceTypes"])
        assert group["allSupported"] is False
        assert group["includeGlobalResourceTypes"] is False
        assert {check_type for check in CHECKS for check_type in check.resource_types} <= recorded
        assert (set(GLOBAL_RESOURCE_TYPES) <= recorded) is (region == "us-east-1")
        assert not (set(GLOBAL_RESOURCE_TYPES) & recorded) or region == "us-east-1"


def test_recording_all_types_includes_global_ones_in_the_primary_region_only() -> None:
    deployment = run_program({**DEV_CONFIG, "recordAllResourceTypes": "true", "recordingFrequency": "DAILY"})
    for region in REGIONS:
        recorder = one_in_region(deployment, "aws:cfg/recorder:Recorder", region).inputs
        group = recorder["recordingGroup"]
        assert group["allSupported"] is True
        assert group["includeGlobalResourceTypes"] is (region == "us-east-1")
        assert group["recordingStrategies"] == [{"useOnly": "ALL_SUPPORTED_RESOURCE_TYPES"}]
        assert recorder["recordingMode"] == {"recordingFrequency": "DAILY"}


def test_extra_resource_types_are_recorded_everywhere_but_global_ones_once() -> None:
    extras = ["AWS::Lambda::Function", "AWS::IAM::Role"]
    deployment = run_program({**DEV_CONFIG, "extraResourceTypes": extras})
    for region in REGIONS:
        group = one_in_region(deployment, "aws:cfg/recorder:Recorder", region).inputs["recordingGroup"]
        assert "AWS::Lambda::Function" in group["resourceTypes"]
        assert ("AWS::IAM::Role" in group["resourceTypes"]) is (region == "us-east-1")


def test_existing_recorder_regions_get_rules_but_no_recording_resources() -> None:
    deployment = run_program({**DEV_CONFIG, "existingRecorderRegions": ["us-west-2"]})
    for resource_type in (
        "aws:cfg/recorder:Recorder",
        "aws:cfg/deliveryChannel:DeliveryChannel",
        "aws:cfg/recorderStatus:RecorderStatus",
    ):
        assert sorted(deployment.region_of(r) for r in deployment.of_type(resource_type)) == [
            "eu-west-1",
            "us-east-1",
        ]
    rules = in_region(deployment, "aws:cfg/rule:Rule", "us-west-2")
    assert len(rules) == len(CHECKS)
    for rule in rules:
        assert not any(
            r.type == "aws:cfg/recorderStatus:RecorderStatus"
            for r in map(deployment.by_urn, rule.dependencies)
        )
    assert deployment.outputs["recording"]["us-west-2"] == {"managed": False}


@pytest.mark.parametrize("region", REGIONS)
@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.name)
def test_every_check_is_wired_in_every_region(dev: Deployment, region: str, check) -> None:  # type: ignore[no-untyped-def]
    function_name = f"compliance-{check.name}-dev-{region}"
    function = next(
        r for r in in_region(dev, "aws:lambda/function:Function", region) if r.inputs["name"] == function_name
    )
    rule = next(r for r in in_region(dev, "aws:cfg/rule:Rule", region) if r.inputs["name"] == function_name)
    log_group = next(
        r
        for r in in_region(dev, "aws:cloudwatch/logGroup:LogGroup", region)
        if r.inputs["name"] == f"/aws/lambda/{function_name}"
    )
    permission = next(
        r
        for r in in_region(dev, "aws:lambda/permission:Permission", region)
        if r.inputs["function"] == function_name
    )
    status = one_in_region(dev, "aws:cfg/recorderStatus:RecorderStatus", region)
    role = hub_resource(dev, "aws:iam/role:Role", f"compliance-{check.name}-dev")

    assert log_group.inputs["retentionInDays"] == 30
    assert function.inputs["architectures"] == ["arm64"]
    assert function.inputs["runtime"] == "python3.13"
    assert function.inputs["handler"] == check.handler
    assert function.inputs["role"] == role.state["arn"]
    assert function.inputs["timeout"] <= 900
    assert depends(dev, function, log_group)
    assert permission.inputs == {
        "action": "lambda:InvokeFunction",
        "function": function_name,
        "principal": "config.amazonaws.com",
        "sourceAccount": ACCOUNT_ID,
        "statementId": "AllowConfigInvoke",
    }

    source = rule.inputs["source"]
    assert source["owner"] == "CUSTOM_LAMBDA"
    assert source["sourceIdentifier"] == function.state["arn"]
    details = {detail["messageType"]: detail for detail in source["sourceDetails"]}
    assert set(details) == {
        "ConfigurationItemChangeNotification",
        "OversizedConfigurationItemChangeNotification",
        "ScheduledNotification",
    }
    assert details["ScheduledNotification"]["maximumExecutionFrequency"] == "Six_Hours"
    assert rule.inputs["scope"] == {"complianceResourceTypes": list(check.resource_types)}
    assert depends(dev, rule, permission, status)


def test_rule_parameters_come_from_settings() -> None:
    deployment = run_program(
        {
            **DEV_CONFIG,
            "requiredTags": ["Owner", "Environment=dev|prod"],
            "requireKms": "true",
            "allowedKmsKeyArns": [
                f"arn:aws:kms:us-east-1:{ACCOUNT_ID}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
            ],
            "minBackupRetentionDays": "14",
            "requireBackupPlan": "false",
            "checkReadReplicas": "true",
            "evaluationFrequency": "One_Hour",
        }
    )
    parameters = {
        rule.inputs["name"].rsplit("-dev-", 1)[0]: json.loads(rule.inputs["inputParameters"])
        for rule in in_region(deployment, "aws:cfg/rule:Rule", "eu-west-1")
    }
    assert parameters == {
        "compliance-encryption": {
            "requireKms": "true",
            "kmsKeyArns": f"arn:aws:kms:us-east-1:{ACCOUNT_ID}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        },
        "compliance-required-tags": {"requiredTags": "Owner,Environment=dev|prod"},
        "compliance-backup": {
            "minRetentionDays": "14",
            "requireBackupPlan": "false",
            "checkReadReplicas": "true",
        },
    }
    for rule in deployment.of_type("aws:cfg/rule:Rule"):
        scheduled = rule.inputs["source"]["sourceDetails"][-1]
        assert scheduled["maximumExecutionFrequency"] == "One_Hour"


def test_default_rule_parameters(dev: Deployment) -> None:
    parameters = {
        json.dumps(json.loads(r.inputs["inputParameters"]), sort_keys=True)
        for r in dev.of_type("aws:cfg/rule:Rule")
    }
    assert parameters == {
        '{"requireKms": "false"}',
        '{"requiredTags": "Environment,Owner"}',
        '{"checkReadReplicas": "false", "minRetentionDays": "7", "requireBackupPlan": "true"}',
    }


def test_forwarding_rules_exist_in_exactly_the_non_primary_regions(dev: Deployment) -> None:
    forwarders = [r for r in dev.of_type("aws:cloudwatch/eventRule:EventRule") if "-fwd-" in r.inputs["name"]]
    assert Counter(dev.region_of(r) for r in forwarders) == {"us-west-2": 2, "eu-west-1": 2}
    role = hub_resource(dev, "aws:iam/role:Role", "config-alert-forwarder-dev")
    for rule in forwarders:
        (target,) = [
            t
            for t in dev.of_type("aws:cloudwatch/eventTarget:EventTarget")
            if t.inputs["rule"] == rule.inputs["name"]
        ]
        assert target.inputs["arn"] == f"arn:aws:events:us-east-1:{ACCOUNT_ID}:event-bus/default"
        assert target.inputs["roleArn"] == role.state["arn"]
        assert dev.region_of(target) == dev.region_of(rule)


def test_a_single_region_stack_forwards_nothing() -> None:
    deployment = run_program({**DEV_CONFIG, "regions": ["eu-west-1"]})
    rules = deployment.of_type("aws:cloudwatch/eventRule:EventRule")
    assert sorted(r.inputs["name"] for r in rules) == [
        "config-eval-errors-notify-dev",
        "config-noncompliant-notify-dev",
    ]
    assert not any(
        r.inputs["name"] == "config-alert-forwarder-dev" for r in deployment.of_type("aws:iam/role:Role")
    )


def test_member_credentials_outlast_the_longest_invocation() -> None:
    """Assumed credentials are fixed keys for a whole invocation: the evaluators renew them while they
    still have more than the function's timeout to live."""
    from evaluators.aws import CREDENTIALS_MARGIN, LAMBDA_TIMEOUT

    assert LAMBDA_TIMEOUT.total_seconds() == LAMBDA_TIMEOUT_SECONDS
    assert CREDENTIALS_MARGIN > LAMBDA_TIMEOUT
