"""Organization scope: the hub watches every account of the member OUs (docs/organization.md)."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import botocore.session
import pytest

from components.catalog import CHECKS
from components.member_baseline import BUCKET_PARAMETER, HUB_ACCOUNT_PARAMETER, KEY_PARAMETER
from components.settings import supported_regions
from tests.infra.conftest import DEV_CONFIG
from tests.infra.program import (
    ACCOUNT_ID,
    MANAGEMENT_ACCOUNT_ID,
    ORGANIZATION_ID,
    Deployment,
    Registration,
    run_program,
)
from tests.infra.test_alerts import compliance_change, matches, rules_in, target_of, transform
from tests.infra.test_policies import findings_above_low

REGIONS = DEV_CONFIG["regions"]
PRIMARY = REGIONS[0]
MEMBER_ACCOUNT = "210987654321"
OUS = ["ou-ab12-cdef3456", "r-ab12"]
ORGANIZATION_CONFIG: dict[str, Any] = {
    **DEV_CONFIG,
    "scope": "organization",
    "memberOrganizationalUnits": OUS,
    "excludedAccounts": ["111122223333"],
}
SEVENTEEN = sorted(supported_regions())[:17]
# The values PutOrganizationConfigRule accepts, from botocore's Config service model.
TRIGGER_TYPES = set(
    botocore.session.get_session().get_service_model("config").shape_for("OrganizationConfigRuleTriggerType").enum
)


@pytest.fixture(scope="module")
def org() -> Deployment:
    return run_program(ORGANIZATION_CONFIG)


def statements(document: str) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in json.loads(document)["Statement"] if "Sid" in s}


def only(deployment: Deployment, resource_type: str) -> Registration:
    (resource,) = deployment.of_type(resource_type)
    return resource


def member_event(rule: str, region: str) -> dict[str, Any]:
    """A member account's compliance change for its copy of an organization rule."""
    event = compliance_change(rule, region)
    event["account"] = event["detail"]["awsAccountId"] = MEMBER_ACCOUNT
    return event


@pytest.mark.parametrize(
    ("regions", "manage_recorders"),
    [(REGIONS, True), (REGIONS, False), (SEVENTEEN, True), (SEVENTEEN, False)],
    ids=["3-regions", "3-regions-no-member-recorders", "17-regions", "17-regions-no-member-recorders"],
)
def test_organization_graph(regions: list[str], manage_recorders: bool) -> None:
    deployment = run_program(
        {
            **ORGANIZATION_CONFIG,
            "regions": regions,
            "primaryRegion": regions[0],
            "manageMemberRecorders": str(manage_recorders).lower(),
        }
    )
    counts = Counter(r.type for r in deployment.registrations)
    assert counts["aws:cfg/organizationCustomRule:OrganizationCustomRule"] == len(regions) * len(CHECKS)
    assert counts["aws:cfg/rule:Rule"] == 0
    assert counts["aws:cfg/aggregateAuthorization:AggregateAuthorization"] == 0
    # The hub account still records in every region itself.
    assert counts["aws:cfg/recorder:Recorder"] == len(regions)
    assert counts["aws:cloudformation/stackSet:StackSet"] == 2
    assert counts["aws:cloudformation/stackSetInstance:StackSetInstance"] == 1 + len(regions)
    stack_sets = {s.inputs["name"]: s for s in deployment.of_type("aws:cloudformation/stackSet:StackSet")}
    roles = json.loads(stack_sets["config-compliance-roles-dev"].inputs["templateBody"])
    has_recorder_role = any(
        r["Properties"].get("RoleName") == "config-recorder-dev" for r in roles["Resources"].values()
    )
    assert has_recorder_role is manage_recorders
    parameters = set(stack_sets["config-compliance-regional-dev"].inputs["parameters"])
    expected = {HUB_ACCOUNT_PARAMETER} | ({BUCKET_PARAMETER, KEY_PARAMETER} if manage_recorders else set())
    assert parameters == expected
    # Member Config roles are admitted to the bucket and key only when members record.
    bucket_policy = statements(only(deployment, "aws:s3/bucketPolicy:BucketPolicy").inputs["policy"])
    assert ("MemberConfigRolesDeliver" in bucket_policy) is manage_recorders
    key_policy = statements(only(deployment, "aws:kms/key:Key").inputs["policy"])
    assert ("MemberConfigRolesEncryptHistory" in key_policy) is manage_recorders


def test_organization_rules_mirror_the_account_rules(org: Deployment) -> None:
    account = run_program(DEV_CONFIG)
    account_rules = {r.inputs["name"]: r.inputs for r in account.of_type("aws:cfg/rule:Rule")}
    org_rules = {
        r.inputs["name"]: (r, r.inputs)
        for r in org.of_type("aws:cfg/organizationCustomRule:OrganizationCustomRule")
    }
    assert set(org_rules) == set(account_rules)
    functions = {f.inputs["name"]: f.state["arn"] for f in org.of_type("aws:lambda/function:Function")}
    for name, (registration, inputs) in org_rules.items():
        rule = account_rules[name]
        assert inputs["lambdaFunctionArn"] == functions[name]
        assert org.region_of(registration) == functions[name].split(":")[3]
        assert inputs["triggerTypes"] == [
            "ConfigurationItemChangeNotification",
            "OversizedConfigurationItemChangeNotification",
            "ScheduledNotification",
        ]
        assert set(inputs["triggerTypes"]) <= TRIGGER_TYPES
        assert inputs["maximumExecutionFrequency"] == "Six_Hours"
        assert inputs["resourceTypesScopes"] == rule["scope"]["complianceResourceTypes"]
        assert inputs["inputParameters"] == rule["inputParameters"]
        assert inputs["excludedAccounts"] == ["111122223333"]


def test_organization_rules_wait_for_member_recorders_and_the_permission(org: Deployment) -> None:
    regional_instances = {
        i.urn
        for i in org.of_type("aws:cloudformation/stackSetInstance:StackSetInstance")
        if "regional" in i.name
    }
    permissions = {p.urn for p in org.of_type("aws:lambda/permission:Permission")}
    for rule in org.of_type("aws:cfg/organizationCustomRule:OrganizationCustomRule"):
        assert regional_instances <= set(rule.dependencies)
        assert permissions & set(rule.dependencies)


def test_member_accounts_config_may_invoke_the_evaluators(org: Deployment) -> None:
    for permission in org.of_type("aws:lambda/permission:Permission"):
        assert permission.inputs["principal"] == "config.amazonaws.com"
        # Members' Config invokes the function: the hub account cannot be the only source.
        assert "sourceAccount" not in permission.inputs
    for function in org.of_type("aws:lambda/function:Function"):
        variables = function.inputs["environment"]["variables"]
        assert variables["MEMBER_ROLE_NAME"] == "config-compliance-member-dev"


def test_account_scope_functions_have_no_member_role() -> None:
    for function in run_program(DEV_CONFIG).of_type("aws:lambda/function:Function"):
        assert "MEMBER_ROLE_NAME" not in function.inputs["environment"]["variables"]


def test_evaluators_may_assume_the_member_role_inside_the_organization_only(org: Deployment) -> None:
    for policy in org.of_type("aws:iam/rolePolicy:RolePolicy"):
        if not policy.name.endswith("-role-policy") or "aggregator" in policy.name:
            continue
        assume = statements(policy.inputs["policy"])["AssumeMemberRole"]
        assert assume["Action"] == "sts:AssumeRole"
        assert assume["Resource"] == "arn:aws:iam::*:role/config-compliance-member-dev"
        assert assume["Condition"] == {"StringEquals": {"aws:ResourceOrgID": ORGANIZATION_ID}}


def test_organization_aggregator_uses_its_role_over_exactly_the_regions(org: Deployment) -> None:
    aggregator = only(org, "aws:cfg/configurationAggregator:ConfigurationAggregator").inputs
    assert "accountAggregationSource" not in aggregator
    source = aggregator["organizationAggregationSource"]
    assert source["regions"] == REGIONS and not source.get("allRegions")
    roles = {r.inputs["name"]: r for r in org.of_type("aws:iam/role:Role")}
    role = roles["config-org-aggregator-dev"]
    assert source["roleArn"] == role.state["arn"]
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "config.amazonaws.com"}
    attachments = [
        a.inputs["policyArn"]
        for a in org.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if a.inputs["role"] == "config-org-aggregator-dev"
    ]
    assert attachments == ["arn:aws:iam::aws:policy/service-role/AWSConfigRoleForOrganizations"]


def test_stack_sets_reach_every_account_of_the_ous_now_and_later(org: Deployment) -> None:
    stack_sets = {s.inputs["name"]: s for s in org.of_type("aws:cloudformation/stackSet:StackSet")}
    assert set(stack_sets) == {"config-compliance-roles-dev", "config-compliance-regional-dev"}
    for stack_set in stack_sets.values():
        inputs = stack_set.inputs
        assert inputs["permissionModel"] == "SERVICE_MANAGED"
        assert inputs["callAs"] == "SELF"
        assert inputs["autoDeployment"]["enabled"] is True
        assert inputs["autoDeployment"]["retainStacksOnAccountRemoval"] is False
        assert inputs["capabilities"] == ["CAPABILITY_NAMED_IAM"]
        assert inputs["parameters"][HUB_ACCOUNT_PARAMETER] == ACCOUNT_ID
    regional = stack_sets["config-compliance-regional-dev"]
    assert regional.inputs["autoDeployment"]["dependsOnStackSets"] == [
        stack_sets["config-compliance-roles-dev"].state["arn"]
    ]
    instances = org.of_type("aws:cloudformation/stackSetInstance:StackSetInstance")
    by_stack_set = Counter(i.inputs["stackSetName"] for i in instances)
    assert by_stack_set == {"config-compliance-roles-dev": 1, "config-compliance-regional-dev": len(REGIONS)}
    (roles_instance,) = [i for i in instances if i.inputs["stackSetName"] == "config-compliance-roles-dev"]
    assert roles_instance.inputs["stackSetInstanceRegion"] == PRIMARY
    assert {
        i.inputs["stackSetInstanceRegion"]
        for i in instances
        if i.inputs["stackSetName"] == "config-compliance-regional-dev"
    } == set(REGIONS)
    for instance in instances:
        assert instance.inputs["deploymentTargets"] == {
            "organizationalUnitIds": OUS,
            "accountFilterType": "DIFFERENCE",
            "accounts": ["111122223333"],
        }
        if instance is not roles_instance:
            assert roles_instance.urn in instance.dependencies


def test_stack_sets_wait_for_the_hub_to_admit_members(org: Deployment) -> None:
    needed = {
        only(org, "aws:s3/bucketPolicy:BucketPolicy").urn,
        only(org, "aws:kms/key:Key").urn,
        only(org, "aws:cloudwatch/eventPermission:EventPermission").urn,
    }
    for stack_set in org.of_type("aws:cloudformation/stackSet:StackSet"):
        assert needed <= set(stack_set.dependencies)


def test_delegated_administrator_calls_as_such_and_skips_itself() -> None:
    deployment = run_program(
        {**ORGANIZATION_CONFIG, "delegatedAdministrator": "true", "excludedAccounts": []}
    )
    for stack_set in deployment.of_type("aws:cloudformation/stackSet:StackSet"):
        assert stack_set.inputs["callAs"] == "DELEGATED_ADMIN"
    for instance in deployment.of_type("aws:cloudformation/stackSetInstance:StackSetInstance"):
        assert instance.inputs["callAs"] == "DELEGATED_ADMIN"
        targets = instance.inputs["deploymentTargets"]
        assert (targets["accountFilterType"], targets["accounts"]) == ("DIFFERENCE", [ACCOUNT_ID])
    assert deployment.outputs["organization"]["managementRole"] == "DELEGATED_ADMIN"
    # The management account gets organization rules but never the member stacks: it is skipped.
    for rule in deployment.of_type("aws:cfg/organizationCustomRule:OrganizationCustomRule"):
        assert rule.inputs["excludedAccounts"] == [MANAGEMENT_ACCOUNT_ID]
    assert deployment.outputs["organization"]["excludedAccounts"] == [MANAGEMENT_ACCOUNT_ID]


def test_management_account_listed_by_the_user_is_skipped_once() -> None:
    deployment = run_program(
        {**ORGANIZATION_CONFIG, "delegatedAdministrator": "true", "excludedAccounts": [MANAGEMENT_ACCOUNT_ID]}
    )
    for rule in deployment.of_type("aws:cfg/organizationCustomRule:OrganizationCustomRule"):
        assert rule.inputs["excludedAccounts"] == [MANAGEMENT_ACCOUNT_ID]


def test_management_account_without_exclusions_targets_whole_ous() -> None:
    deployment = run_program({**ORGANIZATION_CONFIG, "excludedAccounts": []})
    for instance in deployment.of_type("aws:cloudformation/stackSetInstance:StackSetInstance"):
        assert instance.inputs["deploymentTargets"] == {"organizationalUnitIds": OUS}
    # The hub is the management account: its own rule copies are evaluated without a member role.
    for rule in deployment.of_type("aws:cfg/organizationCustomRule:OrganizationCustomRule"):
        assert "excludedAccounts" not in rule.inputs


def test_hub_policies_admit_the_organization(org: Deployment) -> None:
    bucket = statements(only(org, "aws:s3/bucketPolicy:BucketPolicy").inputs["policy"])
    deliver = bucket["MemberConfigRolesDeliver"]
    assert deliver["Resource"] == (
        f"arn:aws:s3:::config-archive-dev-{ACCOUNT_ID}/config/AWSLogs/${{aws:PrincipalAccount}}/Config/*"
    )
    assert deliver["Condition"] == {
        "StringEquals": {"aws:PrincipalOrgID": ORGANIZATION_ID, "s3:x-amz-acl": "bucket-owner-full-control"},
        "ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/config-recorder-dev"},
    }
    # TLS-only still holds for everyone.
    assert bucket["DenyInsecureTransport"]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    # The hub account's own delivery keeps its account condition.
    assert bucket["AWSConfigBucketDelivery"]["Condition"]["StringEquals"]["aws:SourceAccount"] == ACCOUNT_ID
    key = statements(only(org, "aws:kms/key:Key").inputs["policy"])
    assert key["MemberConfigRolesEncryptHistory"]["Condition"]["StringEquals"] == {
        "aws:PrincipalOrgID": ORGANIZATION_ID
    }
    bus = only(org, "aws:cloudwatch/eventPermission:EventPermission")
    assert org.region_of(bus) == PRIMARY and bus.inputs["eventBusName"] == "default"
    assert (bus.inputs["principal"], bus.inputs["action"]) == ("*", "events:PutEvents")
    assert bus.inputs["condition"] == {
        "key": "aws:PrincipalOrgID",
        "type": "StringEquals",
        "value": ORGANIZATION_ID,
    }
    assert bus.inputs["statementId"] == "config-compliance-dev-organization"


def test_organization_policies_pass_the_linter(org: Deployment) -> None:
    documents = {
        r.name: (r.inputs.get("policy") or r.inputs.get("assumeRolePolicy"), r.type == "aws:iam/role:Role")
        for r in org.registrations
        if r.type
        in (
            "aws:iam/role:Role",
            "aws:iam/rolePolicy:RolePolicy",
            "aws:s3/bucketPolicy:BucketPolicy",
            "aws:kms/key:Key",
        )
    }
    problems = {name: findings_above_low(doc, trust) for name, (doc, trust) in documents.items()}
    assert {name: found for name, found in problems.items() if found} == {}


@pytest.mark.parametrize("check", [check.name for check in CHECKS])
@pytest.mark.parametrize("region", REGIONS)
def test_hub_alerts_on_member_copies_of_its_organization_rules(
    org: Deployment, check: str, region: str
) -> None:
    rule = rules_in(org, PRIMARY)["config-noncompliant-notify-dev"]
    member_rule = f"OrgConfigRule-compliance-{check}-dev-{region}-a1b2c3d4"
    assert matches(rule, member_event(member_rule, region))
    assert not matches(rule, member_event(f"compliance-{check}-dev-{region}", region))
    assert not matches(rule, member_event(f"OrgConfigRule-compliance-{check}-prod-{region}-a1b2c3d4", region))
    message = transform(target_of(org, rule), member_event(member_rule, region))
    assert f"in account {MEMBER_ACCOUNT}, region {region}" in message


@pytest.mark.parametrize("region", REGIONS[1:])
def test_hub_account_regions_forward_their_copies_of_the_organization_rules(
    org: Deployment, region: str
) -> None:
    forward = rules_in(org, region)[f"config-noncompliant-fwd-dev-{region}"]
    for check in CHECKS:
        copy = f"OrgConfigRule-compliance-{check.name}-dev-{region}-zz9y8x7w"
        assert matches(forward, compliance_change(copy, region))
        other_region = f"OrgConfigRule-compliance-{check.name}-dev-{PRIMARY}-zz9y8x7w"
        assert not matches(forward, compliance_change(other_region, region))


def test_organization_outputs(org: Deployment) -> None:
    assert org.outputs["scope"] == "organization"
    assert org.outputs["organization"] == {
        "memberOrganizationalUnits": OUS,
        "excludedAccounts": ["111122223333"],
        "manageMemberRecorders": True,
        "memberRoleName": "config-compliance-member-dev",
        "stackSets": ["config-compliance-roles-dev", "config-compliance-regional-dev"],
        "managementRole": "SELF",
    }
    assert org.outputs["rules"][PRIMARY]["encryption"]["ruleName"] == f"compliance-encryption-dev-{PRIMARY}"


def test_account_scope_exports_its_scope_and_no_organization() -> None:
    outputs = run_program(DEV_CONFIG).outputs
    assert outputs["scope"] == "account"
    assert "organization" not in outputs
