"""Managed rules in the resource graph: where they run, what they wait for, how they alert and record.

Account and organization scope, with three and with seventeen regions.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.alerts import NON_COMPLIANT
from components.settings import supported_regions
from tests.infra.conftest import DEV_CONFIG
from tests.infra.program import Deployment, Registration, run_program
from tests.infra.test_alerts import compliance_change, matches, rules_in
from tests.infra.test_region import in_region, one_in_region

RULE = "aws:cfg/rule:Rule"
ORGANIZATION_RULE = "aws:cfg/organizationManagedRule:OrganizationManagedRule"
REGIONS = DEV_CONFIG["regions"]
PRIMARY = REGIONS[0]
# Three rules: one change-triggered, one periodic with its own frequency, one on global IAM resources.
THREE_RULES: list[dict[str, Any]] = [
    {"identifier": "ENCRYPTED_VOLUMES", "parameters": {"kmsId": "alias/ebs"}},
    {"identifier": "EFS_IN_BACKUP_PLAN", "name": "efs-backup", "frequency": "TwentyFour_Hours"},
    {"identifier": "IAM_PASSWORD_POLICY", "parameters": {"MinimumPasswordLength": 16}},
]
# Seventeen regions with us-east-1 first (primary), and rules AWS offers in every one of them.
SEVENTEEN = ["us-east-1", *sorted(supported_regions() - {"us-east-1"})[:16]]
EVERYWHERE_RULES: list[dict[str, Any]] = [
    {"identifier": "S3_BUCKET_VERSIONING_ENABLED"},
    {"identifier": "VPC_DEFAULT_SECURITY_GROUP_CLOSED"},
    {"identifier": "IAM_PASSWORD_POLICY"},
]
ORGANIZATION = {
    "scope": "organization",
    "memberOrganizationalUnits": ["r-ab12"],
    "excludedAccounts": ["111122223333"],
}


@pytest.fixture(scope="module")
def account() -> Deployment:
    return run_program({**DEV_CONFIG, "managedRules": THREE_RULES})


@pytest.fixture(scope="module")
def organization() -> Deployment:
    return run_program({**DEV_CONFIG, **ORGANIZATION, "managedRules": THREE_RULES})


@pytest.fixture(scope="module")
def account_17() -> Deployment:
    return run_program({**DEV_CONFIG, "regions": SEVENTEEN, "managedRules": EVERYWHERE_RULES})


@pytest.fixture(scope="module")
def organization_17() -> Deployment:
    return run_program({**DEV_CONFIG, **ORGANIZATION, "regions": SEVENTEEN, "managedRules": EVERYWHERE_RULES})


def managed(deployment: Deployment, resource_type: str = RULE) -> list[Registration]:
    return [r for r in deployment.of_type(resource_type) if r.inputs["name"].startswith("managed-dev--")]


def names_by_region(deployment: Deployment, resource_type: str = RULE) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for rule in managed(deployment, resource_type):
        found.setdefault(deployment.region_of(rule), set()).add(rule.inputs["name"])
    return found


def test_regional_rules_run_in_every_region_and_the_global_one_in_the_primary_only(
    account: Deployment,
) -> None:
    expected = {
        region: {f"managed-dev--{region}-encrypted-volumes", f"managed-dev--{region}-efs-backup"}
        for region in REGIONS
    }
    expected[PRIMARY].add(f"managed-dev--{PRIMARY}-iam-password-policy")
    assert names_by_region(account) == expected


def test_a_rule_aws_offers_in_one_region_is_deployed_there_only() -> None:
    # Primary us-west-2; CloudFront's rules are "Only available in US East (N. Virginia) Region".
    regions = ["us-west-2", "us-east-1", "eu-west-1"]
    rules = [{"identifier": "CLOUDFRONT_VIEWER_POLICY_HTTPS", "name": "https"}]
    deployment = run_program({**DEV_CONFIG, "regions": regions, "managedRules": rules})
    assert names_by_region(deployment) == {"us-east-1": {"managed-dev--us-east-1-https"}}
    (rule,) = managed(deployment)
    assert rule.inputs["scope"] == {"complianceResourceTypes": ["AWS::CloudFront::Distribution"]}
    # Its type is recorded where it runs, and nowhere else.
    for region in regions:
        recorder = one_in_region(deployment, "aws:cfg/recorder:Recorder", region)
        recorded = recorder.inputs["recordingGroup"]["resourceTypes"]
        assert ("AWS::CloudFront::Distribution" in recorded) == (region == "us-east-1"), region


def test_a_rule_is_aws_owned_with_its_parameters_scope_and_trigger(account: Deployment) -> None:
    by_name = {rule.inputs["name"]: rule for rule in managed(account)}
    volumes = by_name["managed-dev--us-west-2-encrypted-volumes"]
    assert volumes.inputs["source"] == {"owner": "AWS", "sourceIdentifier": "ENCRYPTED_VOLUMES"}
    assert json.loads(volumes.inputs["inputParameters"]) == {"kmsId": "alias/ebs"}
    # Change-triggered: scoped to the types it evaluates, no frequency.
    assert volumes.inputs["scope"] == {"complianceResourceTypes": ["AWS::EC2::Volume"]}
    assert "maximumExecutionFrequency" not in volumes.inputs
    backup = by_name["managed-dev--us-west-2-efs-backup"]
    assert backup.inputs["maximumExecutionFrequency"] == "TwentyFour_Hours"
    assert "scope" not in backup.inputs and "inputParameters" not in backup.inputs
    password = by_name[f"managed-dev--{PRIMARY}-iam-password-policy"]
    # No frequency given: the stack's evaluationFrequency; parameters as text, as Config takes them.
    assert password.inputs["maximumExecutionFrequency"] == "Six_Hours"
    assert json.loads(password.inputs["inputParameters"]) == {"MinimumPasswordLength": "16"}


@pytest.mark.parametrize("region", REGIONS)
def test_managed_rules_wait_for_the_recorder_to_be_started(account: Deployment, region: str) -> None:
    status = one_in_region(account, "aws:cfg/recorderStatus:RecorderStatus", region)
    rules = [rule for rule in managed(account) if account.region_of(rule) == region]
    assert rules
    assert all(status.urn in rule.dependencies for rule in rules)


def test_a_region_with_an_existing_recorder_has_its_rules_without_waiting_for_one() -> None:
    deployment = run_program(
        {**DEV_CONFIG, "existingRecorderRegions": ["us-west-2"], "managedRules": THREE_RULES}
    )
    assert not in_region(deployment, "aws:cfg/recorderStatus:RecorderStatus", "us-west-2")
    assert names_by_region(deployment)["us-west-2"] == {
        "managed-dev--us-west-2-encrypted-volumes",
        "managed-dev--us-west-2-efs-backup",
    }


def test_the_types_managed_rules_evaluate_are_recorded_where_they_run() -> None:
    deployment = run_program(
        {**DEV_CONFIG, "managedRules": [{"identifier": "VPC_DEFAULT_SECURITY_GROUP_CLOSED"}]}
    )
    for region in REGIONS:
        recorder = one_in_region(deployment, "aws:cfg/recorder:Recorder", region)
        assert "AWS::EC2::SecurityGroup" in recorder.inputs["recordingGroup"]["resourceTypes"]
    plain = run_program(DEV_CONFIG)
    recorder = one_in_region(plain, "aws:cfg/recorder:Recorder", PRIMARY)
    assert "AWS::EC2::SecurityGroup" not in recorder.inputs["recordingGroup"]["resourceTypes"]


def test_a_narrowed_scope_records_only_the_types_it_keeps() -> None:
    rules = [
        {"identifier": "VPC_DEFAULT_SECURITY_GROUP_CLOSED", "resourceTypes": ["AWS::EC2::SecurityGroup"]}
    ]
    deployment = run_program({**DEV_CONFIG, "managedRules": rules})
    rule = managed(deployment)[0]
    assert rule.inputs["scope"] == {"complianceResourceTypes": ["AWS::EC2::SecurityGroup"]}


def test_outputs_name_each_regions_managed_rules_with_identifier_and_trigger(account: Deployment) -> None:
    outputs = account.outputs["managedRules"]
    assert set(outputs) == set(REGIONS)
    assert outputs["us-west-2"] == {
        "encrypted-volumes": {
            "ruleName": "managed-dev--us-west-2-encrypted-volumes",
            "identifier": "ENCRYPTED_VOLUMES",
            "trigger": "change",
        },
        "efs-backup": {
            "ruleName": "managed-dev--us-west-2-efs-backup",
            "identifier": "EFS_IN_BACKUP_PLAN",
            "trigger": "periodic",
        },
    }
    assert outputs[PRIMARY]["iam-password-policy"]["trigger"] == "periodic"


def test_no_managed_rules_by_default() -> None:
    deployment = run_program(DEV_CONFIG)
    assert not managed(deployment)
    assert deployment.outputs["managedRules"] == {region: {} for region in REGIONS}


@pytest.mark.parametrize("region", REGIONS)
def test_non_compliant_managed_rules_alert_from_their_region_to_the_topic(
    account: Deployment, region: str
) -> None:
    event = compliance_change(f"managed-dev--{region}-encrypted-volumes", region)
    primary_rule = rules_in(account, PRIMARY)["config-noncompliant-notify-dev"]
    assert matches(primary_rule, event)
    assert not matches(
        primary_rule, compliance_change(f"managed-dev--{region}-encrypted-volumes", region, "COMPLIANT")
    )
    if region != PRIMARY:
        forward = rules_in(account, region)[f"config-noncompliant-fwd-dev-{region}"]
        assert matches(forward, event)
        other = REGIONS[(REGIONS.index(region) + 1) % len(REGIONS)]
        assert not matches(forward, compliance_change(f"managed-dev--{other}-encrypted-volumes", region))


def test_another_stacks_managed_rules_do_not_alert_here(account: Deployment) -> None:
    primary_rule = rules_in(account, PRIMARY)["config-noncompliant-notify-dev"]
    # Suffix dev-x starts with dev: the double hyphen keeps it out.
    assert not matches(
        primary_rule, compliance_change(f"managed-dev-x--{PRIMARY}-encrypted-volumes", PRIMARY)
    )


def test_organization_scope_deploys_organization_managed_rules(organization: Deployment) -> None:
    assert not managed(organization)
    expected = {
        region: {f"managed-dev--{region}-encrypted-volumes", f"managed-dev--{region}-efs-backup"}
        for region in REGIONS
    }
    expected[PRIMARY].add(f"managed-dev--{PRIMARY}-iam-password-policy")
    assert names_by_region(organization, ORGANIZATION_RULE) == expected
    by_name = {rule.inputs["name"]: rule for rule in managed(organization, ORGANIZATION_RULE)}
    volumes = by_name["managed-dev--us-west-2-encrypted-volumes"]
    assert volumes.inputs["ruleIdentifier"] == "ENCRYPTED_VOLUMES"
    assert volumes.inputs["resourceTypesScopes"] == ["AWS::EC2::Volume"]
    assert json.loads(volumes.inputs["inputParameters"]) == {"kmsId": "alias/ebs"}
    assert (
        by_name["managed-dev--us-west-2-efs-backup"].inputs["maximumExecutionFrequency"] == "TwentyFour_Hours"
    )


def test_organization_managed_rules_leave_out_the_accounts_the_custom_rules_leave_out(
    organization: Deployment,
) -> None:
    custom = organization.of_type("aws:cfg/organizationCustomRule:OrganizationCustomRule")
    excluded = {json.dumps(rule.inputs.get("excludedAccounts")) for rule in custom}
    assert excluded == {json.dumps(["111122223333"])}
    for rule in managed(organization, ORGANIZATION_RULE):
        assert rule.inputs["excludedAccounts"] == ["111122223333"]


def test_organization_managed_rules_wait_for_the_member_baseline_and_the_recorder(
    organization: Deployment,
) -> None:
    instances = organization.of_type("aws:cloudformation/stackSetInstance:StackSetInstance")
    for rule in managed(organization, ORGANIZATION_RULE):
        region = organization.region_of(rule)
        status = one_in_region(organization, "aws:cfg/recorderStatus:RecorderStatus", region)
        # Each account's recorders, the regional StackSet's instances (as the custom organization rules).
        regional = {i.urn for i in instances if "regional" in i.name}
        assert status.urn in rule.dependencies
        assert regional and regional <= set(rule.dependencies)


@pytest.mark.parametrize("region", REGIONS[1:])
def test_member_copies_of_organization_managed_rules_alert(organization: Deployment, region: str) -> None:
    copy = f"OrgConfigRule-managed-dev--{region}-encrypted-volumes-a1b2c3d4"
    event = compliance_change(copy, region)
    assert matches(rules_in(organization, PRIMARY)["config-noncompliant-notify-dev"], event)
    assert matches(rules_in(organization, region)[f"config-noncompliant-fwd-dev-{region}"], event)


@pytest.mark.parametrize("scope", ["account", "organization"])
def test_seventeen_regions_place_each_rule_once_per_region_and_the_global_one_once(
    scope: str, account_17: Deployment, organization_17: Deployment
) -> None:
    deployment, resource_type = (
        (account_17, RULE) if scope == "account" else (organization_17, ORGANIZATION_RULE)
    )
    found = names_by_region(deployment, resource_type)
    assert set(found) == set(SEVENTEEN)
    for region, names in found.items():
        expected = {f"managed-dev--{region}-s3-bucket-versioning-enabled"}
        expected.add(f"managed-dev--{region}-vpc-default-security-group-closed")
        if region == "us-east-1":
            expected.add("managed-dev--us-east-1-iam-password-policy")
        assert names == expected


@pytest.mark.parametrize("organization", [False, True])
def test_alert_patterns_stay_small_whatever_the_number_of_rules_and_regions(organization: bool) -> None:
    """EventBridge's default event pattern size is 2,048 characters (Amazon EventBridge quotas): the
    managed rules add one prefix, not a name each. Measured at seventeen regions, the longest region name
    and a long suffix."""
    suffix = "a-rather-long-suffix"
    longest = max(SEVENTEEN, key=len)
    patterns = [
        NON_COMPLIANT.event_pattern(NON_COMPLIANT.prefixes(suffix, organization)),
        NON_COMPLIANT.event_pattern(NON_COMPLIANT.names_in_region(suffix, longest, organization)),
    ]
    assert all(len(pattern) <= 2048 for pattern in patterns), [len(p) for p in patterns]
    matchers = json.loads(patterns[0])["detail"]["configRuleName"]
    # One prefix for the managed rules; in organization scope one for each account's copy of the
    # organization managed rules and one for the organization packs' rules.
    assert sum(1 for m in matchers if "managed" in json.dumps(m)) == (2 if organization else 1)


def test_patterns_do_not_grow_with_the_number_of_managed_rules(account_17: Deployment) -> None:
    many = [{"identifier": "S3_BUCKET_VERSIONING_ENABLED", "name": f"versioning-{i}"} for i in range(40)]
    deployment = run_program({**DEV_CONFIG, "regions": SEVENTEEN, "managedRules": many})
    for region in ("us-east-1", SEVENTEEN[-1]):
        rules = rules_in(deployment, region)
        baseline = rules_in(account_17, region)
        for name, rule in rules.items():
            assert rule.inputs["eventPattern"] == baseline[name].inputs["eventPattern"]
            assert len(rule.inputs["eventPattern"]) <= 2048


def test_a_rule_triggered_both_ways_is_scoped_and_scheduled() -> None:
    rules = [{"identifier": "S3_BUCKET_PUBLIC_READ_PROHIBITED", "frequency": "Twelve_Hours"}]
    deployment = run_program({**DEV_CONFIG, "managedRules": rules})
    rule = next(r for r in managed(deployment) if deployment.region_of(r) == PRIMARY)
    assert rule.inputs["scope"] == {"complianceResourceTypes": ["AWS::S3::Bucket"]}
    assert rule.inputs["maximumExecutionFrequency"] == "Twelve_Hours"
    assert (
        deployment.outputs["managedRules"][PRIMARY]["s3-bucket-public-read-prohibited"]["trigger"] == "both"
    )


def test_an_account_level_rule_runs_in_the_primary_region_only() -> None:
    deployment = run_program(
        {**DEV_CONFIG, "managedRules": [{"identifier": "MULTI_REGION_CLOUD_TRAIL_ENABLED"}]}
    )
    assert names_by_region(deployment) == {
        PRIMARY: {f"managed-dev--{PRIMARY}-multi-region-cloud-trail-enabled"}
    }


@pytest.mark.parametrize("scope", ["account", "organization"])
def test_editing_a_rules_settings_keeps_its_name(
    scope: str, account: Deployment, organization: Deployment
) -> None:
    # terraform-provider-aws, internal/service/configservice: "name" is ForceNew in config_rule.go and in
    # organization_managed_rule.go (a new name deletes the rule and its evaluations); parameters, frequency
    # and scope are updated in place by PutConfigRule / PutOrganizationConfigRule.
    edited: list[dict[str, Any]] = [
        {"identifier": "ENCRYPTED_VOLUMES", "parameters": {"kmsId": "alias/other"}, "resourceTypes": []},
        {"identifier": "EFS_IN_BACKUP_PLAN", "name": "efs-backup", "frequency": "Twelve_Hours"},
        {
            "identifier": "IAM_PASSWORD_POLICY",
            "parameters": {"MinimumPasswordLength": 20, "RequireSymbols": True},
        },
    ]
    before, resource_type = (account, RULE) if scope == "account" else (organization, ORGANIZATION_RULE)
    settings = {**DEV_CONFIG, "managedRules": edited, **(ORGANIZATION if scope == "organization" else {})}
    after = run_program(settings)

    def identities(deployment: Deployment) -> list[tuple[str, str]]:
        return sorted((rule.name, rule.inputs["name"]) for rule in managed(deployment, resource_type))

    assert identities(after) == identities(before)
    changed = [r for r in managed(after, resource_type) if r.inputs.get("maximumExecutionFrequency")]
    assert {r.inputs["maximumExecutionFrequency"] for r in changed if "efs-backup" in r.inputs["name"]} == {
        "Twelve_Hours"
    }
