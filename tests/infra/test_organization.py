"""Organization scope: the hub watches every account of the member OUs (docs/organization.md)."""

from __future__ import annotations

import importlib
import json
import re
from collections import Counter
from typing import Any

import botocore.session
import pulumi
import pytest
import yaml

from components.catalog import CHECKS
from components.member_baseline import BUCKET_PARAMETER, HUB_ACCOUNT_PARAMETER, KEY_PARAMETER
from components.rule_scope import RuleScopeError, rule_excluded_accounts
from components.settings import NAMESPACE, SettingsError, parse_settings, supported_regions
from tests.infra.conftest import DEV_CONFIG
from tests.infra.program import (
    ACCOUNT_ID,
    MANAGEMENT_ACCOUNT_ID,
    ORGANIZATION_ID,
    PROJECT_ROOT,
    ROOT_ID,
    Deployment,
    Organization,
    Registration,
    run_program,
)
from tests.infra.test_alerts import compliance_change, matches, rules_in, target_of, transform
from tests.infra.test_policies import findings_above_low

REGIONS = DEV_CONFIG["regions"]
PRIMARY = REGIONS[0]
MEMBER_ACCOUNT = "210987654321"
# Two OUs of the mocked organization (tests/infra/program.py), ou-ab12-99990000 with a child OU.
OUS = ["ou-ab12-cdef3456", "ou-ab12-99990000"]
# What the organization rules skip: 111122223333 (excludedAccounts; in the root, outside the OUs too),
# 666677778888 (in the hub's OU, outside the member OUs) and the management account (in the root). The hub
# (ACCOUNT_ID, outside the OUs as well) keeps its copies: its own roles evaluate them.
RULE_EXCLUSIONS = ["111122223333", "666677778888", MANAGEMENT_ACCOUNT_ID]
ORGANIZATION_CONFIG: dict[str, Any] = {
    **DEV_CONFIG,
    "scope": "organization",
    "memberOrganizationalUnits": OUS,
    "excludedAccounts": ["111122223333"],
}
SEVENTEEN = sorted(supported_regions())[:17]
# The values PutOrganizationConfigRule accepts, from botocore's Config service model.
TRIGGER_TYPES = set(
    botocore.session.get_session()
    .get_service_model("config")
    .shape_for("OrganizationConfigRuleTriggerType")
    .enum
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
    # One instance per member OU and region: the primary (roles) and every region (regional).
    assert counts["aws:cloudformation/stackSetInstance:StackSetInstance"] == len(OUS) * (1 + len(regions))
    stack_sets = {s.inputs["name"]: s for s in deployment.of_type("aws:cloudformation/stackSet:StackSet")}
    roles = json.loads(stack_sets["config-compliance-roles-dev"].inputs["templateBody"])
    has_recorder_role = any(
        r.get("Properties", {}).get("RoleName") == "config-recorder-dev" for r in roles["Resources"].values()
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
        assert inputs["excludedAccounts"] == RULE_EXCLUSIONS


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
    assert by_stack_set == {
        "config-compliance-roles-dev": len(OUS),
        "config-compliance-regional-dev": len(OUS) * len(REGIONS),
    }
    placed = {
        (i.inputs["stackSetName"], i.inputs["deploymentTargets"]["organizationalUnitIds"][0]): set()
        for i in instances
    }
    for instance in instances:
        unit = instance.inputs["deploymentTargets"]["organizationalUnitIds"][0]
        placed[(instance.inputs["stackSetName"], unit)].add(instance.inputs["stackSetInstanceRegion"])
        # Only the OU: no account filter, whose change would replace the instance.
        assert instance.inputs["deploymentTargets"] == {"organizationalUnitIds": [unit]}
        assert (
            instance.name
            == f"members-{instance.inputs['stackSetName'].split('-')[2]}-{unit}-"
            + (instance.inputs["stackSetInstanceRegion"])
        )
    for unit in OUS:
        assert placed[("config-compliance-roles-dev", unit)] == {PRIMARY}
        assert placed[("config-compliance-regional-dev", unit)] == set(REGIONS)
    # An OU's regional stacks are created after its roles stack.
    roles = {
        i.inputs["deploymentTargets"]["organizationalUnitIds"][0]: i for i in instances if "-roles-" in i.name
    }
    for instance in instances:
        if "-regional-" in instance.name:
            unit = instance.inputs["deploymentTargets"]["organizationalUnitIds"][0]
            assert roles[unit].urn in instance.dependencies
            other = next(u for u in OUS if u != unit)
            assert roles[other].urn not in instance.dependencies


def test_rollout_preferences_reach_the_operations_that_run(org: Deployment) -> None:
    """Creation runs with the instance's preferences, SOFT_FAILURE_TOLERANCE so that a quarter of the accounts
    deploy at a time (CloudFormation API Reference, StackSetOperationPreferences.ConcurrencyMode); the
    instance ignores later changes to them, since the provider's instance update sends OU ids as account
    ids (terraform-provider-aws #40675, #39393). Updates run with the StackSet's, which pulumi-aws 7.51
    takes without a concurrency mode."""
    for instance in org.of_type("aws:cloudformation/stackSetInstance:StackSetInstance"):
        assert instance.inputs["operationPreferences"] == {
            "concurrencyMode": "SOFT_FAILURE_TOLERANCE",
            "maxConcurrentPercentage": 25,
            "failureTolerancePercentage": 10,
        }
        assert instance.ignore_changes == ["operationPreferences"]
        assert "parameterOverrides" not in instance.inputs
    for stack_set in org.of_type("aws:cloudformation/stackSet:StackSet"):
        assert stack_set.inputs["operationPreferences"] == {
            "maxConcurrentPercentage": 25,
            "failureTolerancePercentage": 10,
            "regionConcurrencyType": "PARALLEL",
        }
        assert stack_set.inputs["managedExecution"] == {"active": True}
        assert stack_set.ignore_changes == []


def test_stack_sets_wait_for_the_hub_to_admit_members(org: Deployment) -> None:
    needed = {
        only(org, "aws:s3/bucketPolicy:BucketPolicy").urn,
        only(org, "aws:kms/key:Key").urn,
        only(org, "aws:cloudwatch/eventPermission:EventPermission").urn,
    }
    for stack_set in org.of_type("aws:cloudformation/stackSet:StackSet"):
        assert needed <= set(stack_set.dependencies)


def test_delegated_administrator_calls_as_such_and_keeps_its_own_rule_copies() -> None:
    deployment = run_program(
        {**ORGANIZATION_CONFIG, "delegatedAdministrator": "true", "excludedAccounts": []}
    )
    for stack_set in deployment.of_type("aws:cloudformation/stackSet:StackSet"):
        assert stack_set.inputs["callAs"] == "DELEGATED_ADMIN"
    for instance in deployment.of_type("aws:cloudformation/stackSetInstance:StackSetInstance"):
        assert instance.inputs["callAs"] == "DELEGATED_ADMIN"
        # The hub is skipped by the templates' condition, not by the targets.
        assert set(instance.inputs["deploymentTargets"]) == {"organizationalUnitIds"}
    assert deployment.outputs["organization"]["managementRole"] == "DELEGATED_ADMIN"
    # The management account never gets the member stacks: the rules skip it, as every account outside the
    # member OUs; the hub keeps its copies although it is outside them.
    expected = ["111122223333", "666677778888", MANAGEMENT_ACCOUNT_ID]
    for rule in deployment.of_type("aws:cfg/organizationCustomRule:OrganizationCustomRule"):
        assert rule.inputs["excludedAccounts"] == expected
    assert deployment.outputs["organization"]["excludedAccounts"] == expected


def test_a_delegated_administrator_inside_the_member_ous_still_skips_the_management_account() -> None:
    # The management account is listed in the root, inside r-ab12: StackSets still never deploy there.
    deployment = run_program(
        {**ORGANIZATION_CONFIG, "memberOrganizationalUnits": [ROOT_ID], "delegatedAdministrator": "true"}
    )
    for rule in deployment.of_type("aws:cfg/organizationCustomRule:OrganizationCustomRule"):
        assert rule.inputs["excludedAccounts"] == ["111122223333", MANAGEMENT_ACCOUNT_ID]


def test_management_account_hub_over_the_whole_organization_excludes_only_the_setting() -> None:
    deployment = run_program({**ORGANIZATION_CONFIG, "memberOrganizationalUnits": [ROOT_ID]})
    for rule in deployment.of_type("aws:cfg/organizationCustomRule:OrganizationCustomRule"):
        assert rule.inputs["excludedAccounts"] == ["111122223333"]
    deployment = run_program(
        {**ORGANIZATION_CONFIG, "memberOrganizationalUnits": [ROOT_ID], "excludedAccounts": []}
    )
    # Nothing to skip: the rules get no exclusion list at all.
    for rule in deployment.of_type("aws:cfg/organizationCustomRule:OrganizationCustomRule"):
        assert "excludedAccounts" not in rule.inputs
    assert deployment.outputs["organization"]["excludedAccounts"] == []


def test_management_account_listed_by_the_user_is_skipped_once() -> None:
    deployment = run_program(
        {**ORGANIZATION_CONFIG, "delegatedAdministrator": "true", "excludedAccounts": [MANAGEMENT_ACCOUNT_ID]}
    )
    for rule in deployment.of_type("aws:cfg/organizationCustomRule:OrganizationCustomRule"):
        assert rule.inputs["excludedAccounts"] == ["111122223333", "666677778888", MANAGEMENT_ACCOUNT_ID]


def test_management_account_without_exclusions_targets_whole_ous() -> None:
    deployment = run_program({**ORGANIZATION_CONFIG, "excludedAccounts": []})
    for instance in deployment.of_type("aws:cloudformation/stackSetInstance:StackSetInstance"):
        assert set(instance.inputs["deploymentTargets"]) == {"organizationalUnitIds"}
    # The hub is the management account: every other account outside the OUs is skipped, the hub is not.
    for rule in deployment.of_type("aws:cfg/organizationCustomRule:OrganizationCustomRule"):
        assert rule.inputs["excludedAccounts"] == RULE_EXCLUSIONS


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
        "excludedAccounts": RULE_EXCLUSIONS,
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


# Replace-on-change inputs, from the provider pulumi-aws bridges (hashicorp/terraform-provider-aws):
# internal/service/cloudformation/stack_set_instance.go marks ForceNew deployment_targets (and each of its
# fields), region, stack_set_name and account_id; stack_set.go marks name and auto_deployment;
# internal/service/configservice/organization_custom_rule.go marks only name (excluded_accounts updates in
# place through PutOrganizationConfigRule).
REPLACE_ON_CHANGE = {
    "aws:cloudformation/stackSetInstance:StackSetInstance": (
        "stackSetName",
        "stackSetInstanceRegion",
        "deploymentTargets",
        "accountId",
    ),
    "aws:cloudformation/stackSet:StackSet": ("name", "autoDeployment"),
    "aws:cfg/organizationCustomRule:OrganizationCustomRule": ("name",),
}
INSTANCE = "aws:cloudformation/stackSetInstance:StackSetInstance"
TWO_REGIONS = REGIONS[:2]
EDIT_BASE: dict[str, Any] = {**ORGANIZATION_CONFIG, "regions": TWO_REGIONS, "excludedAccounts": []}
# Each documented edit (docs/organization.md): the settings before and after.
EDITS: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "add an OU": (
        {**EDIT_BASE, "memberOrganizationalUnits": OUS[:1]},
        {**EDIT_BASE, "memberOrganizationalUnits": OUS},
    ),
    "remove an OU": (
        {**EDIT_BASE, "memberOrganizationalUnits": OUS},
        {**EDIT_BASE, "memberOrganizationalUnits": OUS[1:]},
    ),
    "add an excluded account": (EDIT_BASE, {**EDIT_BASE, "excludedAccounts": [MEMBER_ACCOUNT]}),
    "remove an excluded account": ({**EDIT_BASE, "excludedAccounts": [MEMBER_ACCOUNT]}, EDIT_BASE),
    "the hub becomes a delegated administrator": (EDIT_BASE, {**EDIT_BASE, "delegatedAdministrator": "true"}),
    "the hub is the management account again": ({**EDIT_BASE, "delegatedAdministrator": "true"}, EDIT_BASE),
    "add a region": (EDIT_BASE, {**EDIT_BASE, "regions": REGIONS}),
    "remove a region": ({**EDIT_BASE, "regions": REGIONS}, EDIT_BASE),
}
_deployments: dict[str, Deployment] = {}


def deployed(config: dict[str, Any]) -> Deployment:
    key = json.dumps(config, sort_keys=True)
    if key not in _deployments:
        _deployments[key] = run_program(config)
    return _deployments[key]


def replace_on_change(deployment: Deployment) -> dict[str, tuple[Any, ...]]:
    return {
        r.urn: tuple(r.inputs.get(key) for key in keys)
        for resource_type, keys in REPLACE_ON_CHANGE.items()
        for r in deployment.of_type(resource_type)
    }


@pytest.mark.parametrize("edit", list(EDITS))
def test_no_documented_edit_replaces_or_deletes_what_still_serves_accounts(edit: str) -> None:
    before_config, after_config = EDITS[edit]
    before, after = deployed(before_config), deployed(after_config)
    old, new = replace_on_change(before), replace_on_change(after)
    changed = {urn for urn in old.keys() & new.keys() if old[urn] != new[urn]}
    assert changed == set(), f"{edit} would replace {changed}"
    # An instance that goes served only an OU or region the edit removed.
    units, regions = set(after_config["memberOrganizationalUnits"]), set(after_config["regions"])
    for instance in before.of_type(INSTANCE):
        if instance.urn not in new:
            (unit,) = instance.inputs["deploymentTargets"]["organizationalUnitIds"]
            assert unit not in units or instance.inputs["stackSetInstanceRegion"] not in regions, (
                instance.name
            )
    # Every StackSet and organization rule stays (the rules' region list is the regions).
    assert {urn for urn in old if INSTANCE not in urn and urn not in new} <= {
        r.urn
        for r in before.of_type("aws:cfg/organizationCustomRule:OrganizationCustomRule")
        if before.region_of(r) not in regions
    }
    # And every member OU and region of the new settings is served.
    served = {
        (
            i.inputs["stackSetName"],
            i.inputs["deploymentTargets"]["organizationalUnitIds"][0],
            i.inputs["stackSetInstanceRegion"],
        )
        for i in after.of_type(INSTANCE)
    }
    expected = {("config-compliance-roles-dev", unit, PRIMARY) for unit in units} | {
        ("config-compliance-regional-dev", unit, region) for unit in units for region in regions
    }
    assert served == expected


def test_excluding_an_account_changes_the_templates_not_the_targets() -> None:
    before, after = EDITS["add an excluded account"]
    templates = {
        name: [
            deployed(config).of_type("aws:cloudformation/stackSet:StackSet")[i].inputs["templateBody"]
            for i in (0, 1)
        ]
        for name, config in (("before", before), ("after", after))
    }
    for old, new in zip(templates["before"], templates["after"], strict=True):
        assert MEMBER_ACCOUNT not in old and MEMBER_ACCOUNT in new
    rules = deployed(after).of_type("aws:cfg/organizationCustomRule:OrganizationCustomRule")
    assert all(MEMBER_ACCOUNT in rule.inputs["excludedAccounts"] for rule in rules)


def test_an_account_outside_the_ous_is_skipped_by_the_rules_and_targeted_by_no_instance() -> None:
    outside = "666677778888"
    deployment = deployed(EDIT_BASE)
    for rule in deployment.of_type("aws:cfg/organizationCustomRule:OrganizationCustomRule"):
        assert outside in rule.inputs["excludedAccounts"]
        assert ACCOUNT_ID not in rule.inputs["excludedAccounts"]
        # Accounts in the member OUs, their child OUs included, are evaluated.
        for member in ("210987654321", "333344445555", "444455556666", "555566667777"):
            assert member not in rule.inputs["excludedAccounts"]


def test_rule_exclusions_are_the_accounts_outside_the_ous_the_setting_and_the_management_account() -> None:
    skipped = rule_excluded_accounts(
        organization_accounts=["100000000001", "100000000002", "100000000003", "100000000004", ACCOUNT_ID],
        unit_accounts={"ou-ab12-aaaaaaaa": ["100000000001"], "ou-ab12-bbbbbbbb": ["100000000002"]},
        excluded_accounts=["100000000002", "100000000009"],
        hub_account=ACCOUNT_ID,
        management_account="100000000004",
    )
    assert skipped == ["100000000002", "100000000003", "100000000004", "100000000009"]
    # A management-account hub: the management account is the hub, and keeps its copies.
    assert (
        rule_excluded_accounts(
            ["100000000001", ACCOUNT_ID], {"r-ab12": ["100000000001"]}, [], ACCOUNT_ID, None
        )
        == []
    )


def test_more_than_1000_exclusions_are_refused_naming_the_limit() -> None:
    """Config API Reference, PutOrganizationConfigRule: ExcludedAccounts holds at most 1,000 ids."""
    accounts = [f"{number:012d}" for number in range(1, 1002)]
    members = {"ou-ab12-aaaaaaaa": [accounts[0]]}
    assert len(rule_excluded_accounts(accounts, members, [], accounts[0], None)) == 1000
    with pytest.raises(
        RuleScopeError,
        match=r"exclude 1001 accounts \(1001 outside memberOrganizationalUnits\), "
        r"more than the 1,000",
    ):
        rule_excluded_accounts([*accounts, "999999999999"], members, [], accounts[0], None)
    assert issubclass(RuleScopeError, pulumi.RunError), "the engine prints a RunError without a traceback"


def test_the_program_refuses_an_organization_needing_more_than_1000_exclusions() -> None:
    crowded = Organization(
        parents={"ou-ab12-cdef3456": ROOT_ID},
        accounts_in={
            ROOT_ID: tuple(f"{n:012d}" for n in range(1, 1002)),
            "ou-ab12-cdef3456": (MEMBER_ACCOUNT,),
        },
    )
    config = {
        **ORGANIZATION_CONFIG,
        "memberOrganizationalUnits": ["ou-ab12-cdef3456"],
        "excludedAccounts": [],
    }
    with pytest.raises(RuleScopeError, match="more than the 1,000"):
        run_program(config, organization=crowded)


def test_nested_member_ous_are_refused() -> None:
    """Deleting the inner OU's instances would delete stacks of accounts the outer OU still serves."""
    config = {**ORGANIZATION_CONFIG, "memberOrganizationalUnits": ["ou-ab12-99990000", "ou-ab12-99991111"]}
    with pytest.raises(RuleScopeError, match="ou-ab12-99990000 and ou-ab12-99991111 share accounts"):
        run_program(config)
    with pytest.raises(RuleScopeError, match="contain one another"):
        run_program({**ORGANIZATION_CONFIG, "memberOrganizationalUnits": [ROOT_ID, "ou-ab12-cdef3456"]})


def test_the_organization_aggregator_waits_for_its_roles_policy(org: Deployment) -> None:
    """Config validates the role when the aggregator is created: without the managed policy attached the
    aggregator's sources fail (Config Developer Guide, setting up an organization aggregator)."""
    aggregator = only(org, "aws:cfg/configurationAggregator:ConfigurationAggregator")
    (attachment,) = [
        a
        for a in org.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if a.inputs["role"] == "config-org-aggregator-dev"
    ]
    assert attachment.urn in aggregator.dependencies


def test_member_config_roles_are_admitted_by_role_name_and_organization(org: Deployment) -> None:
    key = statements(only(org, "aws:kms/key:Key").inputs["policy"])["MemberConfigRolesEncryptHistory"]
    assert key["Principal"] == {"AWS": "*"}
    assert key["Action"] == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert key["Condition"] == {
        "StringEquals": {"aws:PrincipalOrgID": ORGANIZATION_ID},
        "ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/config-recorder-dev"},
    }
    bucket = statements(only(org, "aws:s3/bucketPolicy:BucketPolicy").inputs["policy"])
    read = [
        s
        for sid, s in bucket.items()
        if sid.startswith("MemberConfigRoles") and sid != "MemberConfigRolesDeliver"
    ]
    for statement in read:
        assert statement["Condition"] == {
            "StringEquals": {"aws:PrincipalOrgID": ORGANIZATION_ID},
            "ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/config-recorder-dev"},
        }


def test_more_excluded_accounts_than_the_templates_hold_are_refused_with_advice() -> None:
    """Each excluded account is a condition in the member templates; a StackSet TemplateBody holds at most
    51,200 bytes (CloudFormation API Reference, CreateStackSet): about 750 accounts fit."""
    many = [f"{number:012d}" for number in range(100000000000, 100000000800)]
    with pytest.raises(pulumi.RunError, match=r"more than the 51200 .* list fewer excludedAccounts"):
        run_program({**EDIT_BASE, "excludedAccounts": many})
    assert len(run_program({**EDIT_BASE, "excludedAccounts": many[:700]}).registrations) > 0


def test_more_than_50_member_ous_are_refused() -> None:
    """CloudFormation API Reference, CreateStackInstances and UpdateStackSet: "The maximum number of
    organizational unit (OUs) supported by a ... operation is 50"."""
    units = [f"ou-ab12-{number:08d}" for number in range(51)]
    with pytest.raises(SettingsError) as refused:
        organization_settings(units)
    assert refused.value.problems == [
        "memberOrganizationalUnits lists 51 OUs; a StackSet operation takes at most 50: "
        "list a parent OU that holds them (the root r-... holds all)"
    ]
    assert organization_settings(units[:50]).member_organizational_units == tuple(units[:50])


def organization_settings(units: list[str]) -> Any:
    values = {
        key: value if isinstance(value, str) else json.dumps(value)
        for key, value in ORGANIZATION_CONFIG.items()
    }
    return parse_settings({**values, "memberOrganizationalUnits": json.dumps(units)})


def test_the_sample_organization_stack_file_parses_and_deploys() -> None:
    """examples/Pulumi.organization.yaml, read as Pulumi hands its values to the program."""
    config = yaml.safe_load((PROJECT_ROOT / "examples" / "Pulumi.organization.yaml").read_text())["config"]
    assert config["pulumi:disable-default-providers"] == ["aws"]
    prefix = f"{NAMESPACE}:"
    ours = {key[len(prefix) :]: value for key, value in config.items() if key.startswith(prefix)}
    raw = {key: value if isinstance(value, str) else json.dumps(value) for key, value in ours.items()}
    settings = parse_settings(raw)
    assert settings.is_organization and settings.delegated_administrator
    assert settings.excluded_accounts == ("111122223333",)
    assert settings.member_organizational_units == ("ou-ab12-cdef3456", "ou-ab12-99990000")
    # The sample's OUs are those of the mocked organization: the program runs with it.
    deployment = run_program(ours)
    assert deployment.outputs["organization"]["managementRole"] == "DELEGATED_ADMIN"


def test_the_organization_guide_names_only_code_that_exists() -> None:
    guide = (PROJECT_ROOT / "docs" / "organization.md").read_text()
    source = "\n".join(
        path.read_text()
        for folder in ("components", "functions")
        for path in (PROJECT_ROOT / folder).rglob("*.py")
    )
    constants = set(re.findall(r"`([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)`", guide))
    assert {"MAX_CONCURRENT_PERCENTAGE", "CONCURRENCY_MODE", "MEMBER_ROLE_NAME"} <= constants
    assert {name for name in constants if not re.search(rf"\b{name}\b", source)} == set()
    for reference in set(
        re.findall(r"`(naming|catalog|member_baseline|members|policies)\.([a-z_]+)`", guide)
    ):
        module, attribute = reference
        assert hasattr(importlib.import_module(f"components.{module}"), attribute), (module, attribute)
