"""Conformance packs in the resource graph: a small template as TemplateBody, an oversized one from the
region's template bucket, in account and organization scope, and the settings that cannot deploy."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from components.conformance_packs import MAX_TEMPLATE_BODY_BYTES, object_key, read_conformance_packs
from components.settings import SettingsError, parse_settings
from tests.infra.conftest import DEV_CONFIG
from tests.infra.program import ACCOUNT_ID, ORGANIZATION_ID, Deployment, Registration, run_program
from tests.infra.test_alerts import compliance_change, matches
from tests.infra.test_member_baseline import SEVENTEEN_REGIONS
from tests.infra.test_organization import ORGANIZATION_CONFIG

EXAMPLE = "examples/conformance-packs/encryption-and-logging.yaml"
PACK = "aws:cfg/conformancePack:ConformancePack"
ORGANIZATION_PACK = "aws:cfg/organizationConformancePack:OrganizationConformancePack"
OBJECT = "aws:s3/bucketObjectv2:BucketObjectv2"
CONFORMS_PATH = "role/aws-service-role/config-conforms.amazonaws.com/AWSServiceRoleForConfigConforms"
CONFORMS_ROLE = f"arn:aws:iam::{ACCOUNT_ID}:{CONFORMS_PATH}"


def oversized_template(directory: Path) -> Path:
    """A valid pack template over TemplateBody's 51,200 bytes: many rules with long descriptions."""
    resources = {
        f"Volumes{number}": {
            "Type": "AWS::Config::ConfigRule",
            "Properties": {
                "ConfigRuleName": f"volumes-{number}",
                "Description": "Attached EBS volumes are encrypted. " * 30,
                "Scope": {"ComplianceResourceTypes": ["AWS::EC2::Volume"]},
                "Source": {"Owner": "AWS", "SourceIdentifier": "ENCRYPTED_VOLUMES"},
            },
        }
        for number in range(50)
    }
    path = directory / "large.json"
    path.write_text(json.dumps({"Resources": resources}, indent=2), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(oversized_template(tmp_path_factory.mktemp("packs")))


def packs(*items: dict[str, Any]) -> list[dict[str, Any]]:
    return list(items)


SMALL = {"name": "encryption-logging", "template": EXAMPLE, "parameters": {"FlowLogTrafficType": "REJECT"}}


def in_region(deployment: Deployment, resource_type: str, region: str) -> list[Registration]:
    return [r for r in deployment.of_type(resource_type) if deployment.region_of(r) == region]


def status_in(deployment: Deployment, region: str) -> Registration:
    (status,) = in_region(deployment, "aws:cfg/recorderStatus:RecorderStatus", region)
    return status


@pytest.fixture(scope="module")
def small() -> Deployment:
    return run_program({**DEV_CONFIG, "conformancePacks": [SMALL]})


def test_a_small_pack_is_deployed_as_template_body_in_every_region_after_recording(small: Deployment) -> None:
    (expected,), _ = read_conformance_packs(json.dumps([SMALL]), "dev", DEV_CONFIG["regions"], False)
    for region in DEV_CONFIG["regions"]:
        (pack,) = in_region(small, PACK, region)
        assert pack.inputs["name"] == "encryption-logging-dev"
        assert pack.inputs["templateBody"] == expected.body("dev", region)
        assert "templateS3Uri" not in pack.inputs
        assert pack.inputs["inputParameters"] == [
            {"parameterName": "FlowLogTrafficType", "parameterValue": "REJECT"}
        ]
        assert status_in(small, region).urn in pack.dependencies
    assert small.of_type("aws:s3/bucket:Bucket") == [
        r for r in small.of_type("aws:s3/bucket:Bucket") if "archive" in r.name
    ]
    assert small.outputs["conformancePacks"] == {
        region: ["encryption-logging-dev"] for region in DEV_CONFIG["regions"]
    }


@pytest.mark.parametrize("region", DEV_CONFIG["regions"])
def test_the_template_s_rules_carry_the_managed_rules_prefix_of_their_region(
    small: Deployment, region: str
) -> None:
    pack = in_region(small, PACK, region)[0]
    rules = json.loads(pack.inputs["templateBody"])["Resources"]
    # naming.managed_rule_prefix: the alert path matches it in the region and, without the region, in the hub.
    assert {rule["Properties"]["ConfigRuleName"] for rule in rules.values()} == {
        f"managed-dev--{region}-ebs-volumes-encrypted",
        f"managed-dev--{region}-rds-storage-encrypted",
        f"managed-dev--{region}-s3-bucket-logging",
        f"managed-dev--{region}-cloudtrail-on",
        f"managed-dev--{region}-vpc-flow-logs",
    }
    # Short-form functions arrive in their long form, which Config reads alike.
    assert rules["VpcFlowLogs"]["Properties"]["InputParameters"] == {
        "trafficType": {"Ref": "FlowLogTrafficType"}
    }


@pytest.mark.parametrize("region", DEV_CONFIG["regions"])
def test_the_alert_path_matches_the_pack_rules_as_config_renames_them(small: Deployment, region: str) -> None:
    """Config renames a pack's rules to <template name>-conformance-pack-<id> (observed, not documented:
    docs/conformance-packs.md); the prefix the program gives the template names is what the alert rules
    match, in the rule's region (forwarding) and in the hub."""
    (pack,) = in_region(small, PACK, region)
    deployed = json.loads(pack.inputs["templateBody"])["Resources"]["EbsVolumesEncrypted"]["Properties"]
    renamed = f"{deployed['ConfigRuleName']}-conformance-pack-ab12cd34"
    alert_rules = [
        rule
        for rule in small.of_type("aws:cloudwatch/eventRule:EventRule")
        if rule.inputs["name"] in ("config-noncompliant-notify-dev", f"config-noncompliant-fwd-dev-{region}")
    ]
    assert len(alert_rules) == (1 if region == "us-east-1" else 2)
    for rule in alert_rules:
        assert matches(rule, compliance_change(renamed, region))
        assert not matches(rule, compliance_change(renamed, region, "COMPLIANT"))
        # Another stack's pack (suffix dev2) and the template's bare name stay out.
        assert not matches(
            rule, compliance_change(f"managed-dev2--{region}-ebs-volumes-encrypted-cp-1", region)
        )
        assert not matches(rule, compliance_change("ebs-volumes-encrypted-conformance-pack-ab12cd34", region))


def test_a_region_whose_recorder_pre_exists_gets_the_pack_without_waiting_for_a_recorder() -> None:
    deployment = run_program(
        {**DEV_CONFIG, "existingRecorderRegions": ["eu-west-1"], "conformancePacks": [SMALL]}
    )
    (pack,) = in_region(deployment, PACK, "eu-west-1")
    assert not in_region(deployment, "aws:cfg/recorderStatus:RecorderStatus", "eu-west-1")
    assert pack.inputs["name"] == "encryption-logging-dev"


@pytest.mark.parametrize("regions", [DEV_CONFIG["regions"], SEVENTEEN_REGIONS], ids=["3", "17"])
def test_an_oversized_pack_is_read_from_a_hardened_bucket_in_its_own_region(
    large: str, regions: list[str]
) -> None:
    deployment = run_program(
        {**DEV_CONFIG, "regions": regions, "conformancePacks": [SMALL, {"name": "big", "template": large}]}
    )
    (big,), _ = read_conformance_packs(
        json.dumps([{"name": "big", "template": large}]), "dev", regions, False
    )
    for region in regions:
        body = big.body("dev", region)
        assert len(body.encode()) > MAX_TEMPLATE_BODY_BYTES
        bucket_name = f"awsconfigconforms-dev-{ACCOUNT_ID}-{region}"
        (bucket,) = [b for b in in_region(deployment, "aws:s3/bucket:Bucket", region) if "pack" in b.name]
        assert bucket.inputs["bucket"] == bucket_name
        (template,) = in_region(deployment, OBJECT, region)
        assert template.inputs["content"] == body
        assert template.inputs["key"] == object_key(big, body)
        assert template.inputs["serverSideEncryption"] == "AES256"
        packs_here = {p.inputs["name"]: p for p in in_region(deployment, PACK, region)}
        assert set(packs_here) == {"encryption-logging-dev", "big-dev"}
        oversized = packs_here["big-dev"]
        assert oversized.inputs["templateS3Uri"] == f"s3://{bucket_name}/{object_key(big, body)}"
        assert "templateBody" not in oversized.inputs
        (policy,) = [
            p for p in in_region(deployment, "aws:s3/bucketPolicy:BucketPolicy", region) if "pack" in p.name
        ]
        (public_access,) = [
            p
            for p in in_region(deployment, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", region)
            if "pack" in p.name
        ]
        assert {template.urn, policy.urn, status_in(deployment, region).urn} <= set(oversized.dependencies)
        assert public_access.urn in policy.dependencies
        assert all(
            public_access.inputs[key] is True
            for key in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
        )
        (encryption,) = [
            e
            for e in in_region(
                deployment,
                "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
                region,
            )
            if "pack" in e.name
        ]
        assert encryption.inputs["rules"][0]["applyServerSideEncryptionByDefault"] == {
            "sseAlgorithm": "AES256"
        }
        statements = {s["Sid"]: s for s in json.loads(policy.inputs["policy"])["Statement"]}
        assert statements["ConformancePackTemplateRead"] == {
            "Sid": "ConformancePackTemplateRead",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{bucket_name}/conformance-packs/*",
            "Condition": {"ArnEquals": {"aws:PrincipalArn": CONFORMS_ROLE}},
        }
        assert statements["DenyInsecureTransport"] == {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [f"arn:aws:s3:::{bucket_name}", f"arn:aws:s3:::{bucket_name}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    # The small pack still travels as TemplateBody.
    assert all(
        "templateBody" in p.inputs
        for p in deployment.of_type(PACK)
        if p.inputs["name"] == "encryption-logging-dev"
    )


@pytest.mark.parametrize("regions", [DEV_CONFIG["regions"], SEVENTEEN_REGIONS], ids=["3", "17"])
def test_organization_packs_skip_the_organization_rules_accounts_and_wait_for_the_members(
    large: str, regions: list[str]
) -> None:
    deployment = run_program(
        {
            **ORGANIZATION_CONFIG,
            "regions": regions,
            "conformancePacks": [SMALL, {"name": "big", "template": large}],
        }
    )
    assert not deployment.of_type(PACK)
    regional_instances = {
        i.urn
        for i in deployment.of_type("aws:cloudformation/stackSetInstance:StackSetInstance")
        if "regional" in i.name
    }
    rule_exclusions = {
        json.dumps(r.inputs["excludedAccounts"])
        for r in deployment.of_type("aws:cfg/organizationCustomRule:OrganizationCustomRule")
    }
    for region in regions:
        found = {p.inputs["name"]: p for p in in_region(deployment, ORGANIZATION_PACK, region)}
        assert set(found) == {"encryption-logging-dev", "big-dev"}
        for pack in found.values():
            # The organization rules' exclusions (components/rule_scope.py): the setting's account and every
            # account outside the member OUs, so a pack never reaches an account without the member baseline.
            assert {json.dumps(pack.inputs["excludedAccounts"])} == rule_exclusions
            assert "111122223333" in pack.inputs["excludedAccounts"]
            assert regional_instances <= set(pack.dependencies)
            assert status_in(deployment, region).urn in pack.dependencies
        assert (
            found["big-dev"]
            .inputs["templateS3Uri"]
            .startswith(f"s3://awsconfigconforms-dev-{ACCOUNT_ID}-{region}/")
        )
        (policy,) = [
            p for p in in_region(deployment, "aws:s3/bucketPolicy:BucketPolicy", region) if "pack" in p.name
        ]
        read = json.loads(policy.inputs["policy"])["Statement"][0]
        assert read["Principal"] == "*" and read["Action"] == "s3:GetObject"
        assert read["Condition"] == {
            "StringEquals": {"aws:PrincipalOrgID": ORGANIZATION_ID},
            "ArnLike": {"aws:PrincipalArn": (f"arn:aws:iam::*:{CONFORMS_PATH}")},
        }


def test_organization_packs_without_excluded_accounts_still_skip_accounts_outside_the_member_ous() -> None:
    deployment = run_program({**ORGANIZATION_CONFIG, "excludedAccounts": [], "conformancePacks": [SMALL]})
    (rule_exclusions,) = {
        json.dumps(r.inputs["excludedAccounts"])
        for r in deployment.of_type("aws:cfg/organizationCustomRule:OrganizationCustomRule")
    }
    assert json.loads(rule_exclusions)  # the mocked organization has accounts outside the member OUs
    for pack in deployment.of_type(ORGANIZATION_PACK):
        assert json.dumps(pack.inputs["excludedAccounts"]) == rule_exclusions


def test_editing_parameters_or_template_keeps_the_pack_name(large: str) -> None:
    # The provider's aws_config_conformance_pack "name" is ForceNew (terraform-provider-aws,
    # internal/service/configservice/conformance_pack.go): a new name would delete the pack and its
    # evaluation history. Parameters and the template are updated in place.
    before = run_program({**DEV_CONFIG, "conformancePacks": [SMALL]})
    after = run_program(
        {
            **DEV_CONFIG,
            "conformancePacks": [{**SMALL, "parameters": {}, "template": large}],
        }
    )
    assert sorted(p.inputs["name"] for p in before.of_type(PACK)) == sorted(
        p.inputs["name"] for p in after.of_type(PACK)
    )
    assert sorted(p.name for p in before.of_type(PACK)) == sorted(p.name for p in after.of_type(PACK))


def test_no_packs_by_default(dev: Deployment) -> None:
    assert not dev.of_type(PACK) and not dev.of_type(OBJECT)
    assert dev.outputs["conformancePacks"] == {region: [] for region in DEV_CONFIG["regions"]}


# ---- bad settings --------------------------------------------------------------------------------------


def problems(conformance_packs: Any, **settings: Any) -> list[str]:
    raw = {
        "environmentSuffix": "dev",
        "resourceTags": json.dumps(["Owner=platform"]),
        "conformancePacks": conformance_packs
        if isinstance(conformance_packs, str)
        else json.dumps(conformance_packs),
        **settings,
    }
    with pytest.raises(SettingsError) as raised:
        parse_settings(raw)
    return raised.value.problems


def write(directory: Path, name: str, text: str) -> str:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return str(path)


BUCKET_TEMPLATE = """
Resources:
  Rule:
    Type: AWS::Config::ConfigRule
    Properties:
      Source: {Owner: AWS, SourceIdentifier: ENCRYPTED_VOLUMES}
  Logs:
    Type: AWS::S3::Bucket
"""
REQUIRED_PARAMETER = """
Parameters:
  Needed: {Type: String}
Resources:
  Rule:
    Type: AWS::Config::ConfigRule
    Properties:
      ConfigRuleName: !Sub "${Needed}-rule"
      Source: {Owner: AWS, SourceIdentifier: ENCRYPTED_VOLUMES}
"""


def test_every_pack_problem_is_one_line_in_one_error(tmp_path: Path) -> None:
    found = problems(
        [
            {"name": "missing", "template": "examples/conformance-packs/nothing-here.yaml"},
            {"name": "not-yaml", "template": write(tmp_path, "broken.yaml", "Resources: [unclosed\n")},
            {"name": "bucket", "template": write(tmp_path, "bucket.yaml", BUCKET_TEMPLATE)},
            {
                "name": "needs",
                "template": write(tmp_path, "needs.yaml", REQUIRED_PARAMETER),
                "parameters": {"Other": "x"},
            },
            {"name": "9lives", "template": EXAMPLE},
            {"template": EXAMPLE},
            {"name": "no-template"},
            {"name": "extra", "template": EXAMPLE, "colour": "blue"},
            {"name": "listed", "template": EXAMPLE, "parameters": ["a"]},
            {"name": "twice", "template": EXAMPLE},
            {"name": "twice", "template": EXAMPLE},
            "just-a-name",
        ]
    )
    where = "conformancePacks pack"
    assert found == [
        f"{where} 'missing': template examples/conformance-packs/nothing-here.yaml does not exist "
        f"(relative to {Path(__file__).resolve().parents[2]})",
        f"{where} 'not-yaml': template {tmp_path / 'broken.yaml'} is neither YAML nor JSON: "
        "while parsing a flow sequence",
        f"{where} 'bucket': template {tmp_path / 'bucket.yaml'} resource Logs is 'AWS::S3::Bucket'; "
        "a pack holds only AWS::Config::ConfigRule and AWS::Config::RemediationConfiguration",
        f"{where} 'needs': parameter 'Other' is not declared by template {tmp_path / 'needs.yaml'} "
        "(it declares Needed)",
        f"{where} 'needs': template {tmp_path / 'needs.yaml'} parameter 'Needed' has no Default: "
        "set it in the pack's parameters",
        f"{where} 'needs': template {tmp_path / 'needs.yaml'} rule Rule: ConfigRuleName must be plain "
        "text (the stack prefixes it so its alerts find the rule), not a function",
        f"{where} '9lives': name must start with a letter and hold only letters, digits and hyphens",
        "conformancePacks[5] needs 'name' (letters, digits and hyphens, starting with a letter)",
        f"{where} 'no-template' needs 'template', a path relative to the project directory",
        f"{where} 'extra' has unknown key 'colour'",
        f"{where} 'listed': parameters must be an object of name: value, got ['a']",
        "conformancePacks[11] must be an object {name, template, parameters}, got 'just-a-name'",
        "conformancePacks names pack(s) more than once: twice",
    ]


def test_the_setting_must_be_a_list() -> None:
    assert problems('{"name": "x"}') == [
        'conformancePacks must be a list of {name, template, parameters} objects, got \'{"name": "x"}\''
    ]


def test_parameters_set_with_path_are_read_as_text() -> None:
    (pack,), found = read_conformance_packs(
        json.dumps([{"name": "p", "template": EXAMPLE, "parameters": {"FlowLogTrafficType": True}}]),
        "dev",
        ["us-east-1"],
        False,
    )
    assert found == [] and pack.parameters == {"FlowLogTrafficType": "true"}


def test_pack_names_fit_config_s_limits_in_each_scope() -> None:
    # PutConformancePack ConformancePackName: 256; PutOrganizationConformancePack: 128 (botocore's model).
    long_name = "p" * 124  # "-dev" makes 128
    assert (
        read_conformance_packs(json.dumps([{"name": long_name, "template": EXAMPLE}]), "dev", [], True)[1]
        == []
    )
    found = read_conformance_packs(
        json.dumps([{"name": long_name + "q", "template": EXAMPLE}]), "dev", [], True
    )[1]
    assert found == [
        f"conformancePacks pack {long_name + 'q'!r}: its name in Config, {long_name + 'q-dev'!r}, "
        "is 129 characters; an organization conformance pack takes 128"
    ]
    assert (
        read_conformance_packs(
            json.dumps([{"name": long_name + "q", "template": EXAMPLE}]), "dev", [], False
        )[1]
        == []
    )


def test_too_many_parameters_and_too_long_values(tmp_path: Path) -> None:
    found = problems(
        [
            {
                "name": "many",
                "template": EXAMPLE,
                "parameters": {f"P{n}": "x" * (4097 if n == 0 else 1) for n in range(61)},
            }
        ]
    )
    assert "conformancePacks pack 'many': parameter 'P0' is 4097 characters, more than 4096" in found
    assert "conformancePacks pack 'many' sets 61 parameters; a conformance pack takes at most 60" in found


def test_an_oversized_template_needs_a_suffix_short_enough_for_its_bucket(large: str) -> None:
    suffix = "a" * 18
    found = problems(
        [{"name": "big", "template": large}],
        environmentSuffix=suffix,
        regions=json.dumps(["us-east-1", "ap-southeast-2"]),
    )
    bucket = f"awsconfigconforms-{suffix}-123456789012-ap-southeast-2"
    assert found == [
        f"conformancePacks: a template over {MAX_TEMPLATE_BODY_BYTES} bytes is deployed from a bucket "
        f"named like {bucket!r} ({len(bucket)} > 63 characters): shorten environmentSuffix or the template"
    ]
