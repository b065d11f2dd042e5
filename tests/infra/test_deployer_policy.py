"""The deployer's IAM policy (components/deployer_policy.py) covers what the program manages, no more.

The program runs under mocks in each scope and its settings variants; every resource type it registers
and every provider function it calls must have a grant, every grant must still be used, every action
must exist in the Service Authorization Reference (parliament's copy), and the shipped documents must be
what the generator writes.
"""

from __future__ import annotations

import fnmatch
import json
import re
from functools import cache
from typing import Any

import parliament
import pytest

from components import deployer_policy
from components.deployer_policy import (
    ACCOUNT,
    INVOKES,
    NOT_AWS_RESOURCES,
    ORGANIZATION,
    PASS_ROLE,
    RESOURCES,
    SCOPES,
    SERVICE_LINKED_ROLE,
    document,
    grants,
    policy,
    policy_path,
)
from tests.infra.conftest import DEV_CONFIG
from tests.infra.program import Deployment, run_program
from tests.infra.test_iam_scoping import SAR, arn_problems, privilege
from tests.infra.test_organization import ORGANIZATION_CONFIG

# The settings that change what the program registers or calls, in each scope.
CONFIGS: dict[str, list[dict[str, Any]]] = {
    ACCOUNT: [
        DEV_CONFIG,
        {**DEV_CONFIG, "existingRecorderRegions": ["eu-west-1"], "protectData": "false"},
        # Managed rules add the managed-rule summary (components/managed_rule_summary.py).
        {**DEV_CONFIG, "managedRules": [{"identifier": "ENCRYPTED_VOLUMES"}]},
    ],
    ORGANIZATION: [
        ORGANIZATION_CONFIG,
        {**ORGANIZATION_CONFIG, "delegatedAdministrator": "true", "manageMemberRecorders": "false"},
    ],
}
# Provider functions the organization scope is about to call (the accounts of the member OUs): granted
# ahead, so that the program may start calling them without the policy falling behind.
ANTICIPATED = {
    "aws:organizations/getOrganizationalUnitDescendantAccounts:getOrganizationalUnitDescendantAccounts",
    "aws:organizations/getOrganizationalUnitDescendantOrganizationalUnits:"
    "getOrganizationalUnitDescendantOrganizationalUnits",
}
# Actions the SAR lists as dependent on a granted action that this program never needs, and why.
DEPENDENTS_NOT_NEEDED = {
    ("kms:CreateKey", "iam:CreateServiceLinkedRole"): "only for keys in a custom key store",
    (
        "sns:CreateTopic",
        "iam:PassRole",
    ): "only for delivery-status logging roles, which the topic has none of",
    ("sns:SetTopicAttributes", "iam:PassRole"): "as for CreateTopic",
    ("config:PutOrganizationConfigRule", "iam:PassRole"): "only for custom policy rules' roles; the rules "
    "here invoke Lambda functions, which Config invokes through their resource policies",
    ("config:PutConfigurationAggregator", "organizations:EnableAWSServiceAccess"): "only for an organization "
    "source (Config API Reference, PutConfigurationAggregator): granted in organization scope",
    ("config:PutConfigurationAggregator", "organizations:ListDelegatedAdministrators"): "as above",
}
# IAM User Guide, IAM and AWS STS quotas: "Managed policy size: 6,144 characters" (whitespace excluded).
MANAGED_POLICY_SIZE = 6144


@cache
def deployments(scope: str) -> tuple[Deployment, ...]:
    return tuple(run_program(config) for config in CONFIGS[scope])


def used(scope: str) -> set[str]:
    """Every AWS resource type the program registers and every provider function it calls in ``scope``."""
    return {
        *(
            registration.type
            for deployment in deployments(scope)
            for registration in deployment.registrations
            if not registration.type.startswith(NOT_AWS_RESOURCES)
        ),
        *(invocation.token for deployment in deployments(scope) for invocation in deployment.invocations),
    }


def actions(scope: str) -> set[str]:
    return {action for statement in policy(scope)["Statement"] for action in as_list(statement["Action"])}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@pytest.mark.parametrize("scope", SCOPES)
def test_everything_the_program_registers_or_calls_has_a_grant(scope: str) -> None:
    assert used(scope) - set(grants(scope)) == set()


@pytest.mark.parametrize("scope", SCOPES)
def test_every_grant_is_for_something_the_program_uses(scope: str) -> None:
    assert set(grants(scope)) - used(scope) - ANTICIPATED == set()


def test_the_policy_is_derived_from_the_grants() -> None:
    for scope in SCOPES:
        granted = {action for grant in grants(scope).values() for action in grant.actions_in(scope)}
        assert actions(scope) == granted


@pytest.mark.parametrize("action", sorted({a for scope in SCOPES for a in actions(scope)}))
def test_every_action_is_in_the_service_authorization_reference(action: str) -> None:
    found = privilege(action)
    assert found is not None, f"{action} is not an action in the Service Authorization Reference"
    # The SAR's spelling, so that the document reads like the IAM console's.
    assert action.split(":")[1] == found["privilege"]


@pytest.mark.parametrize("scope", SCOPES)
def test_every_action_an_action_depends_on_is_granted_or_not_needed(scope: str) -> None:
    granted = actions(scope)
    missing = []
    for action in sorted(granted):
        details = privilege(action)
        assert details is not None
        dependents = {d for kind in details["resource_types"] for d in kind.get("dependent_actions", [])}
        missing += [
            f"{action} needs {dependent}"
            for dependent in sorted(dependents)
            if dependent not in granted and (action, dependent) not in DEPENDENTS_NOT_NEEDED
        ]
    assert missing == []


@pytest.mark.parametrize("scope", SCOPES)
def test_the_shipped_document_is_the_generators_output(scope: str) -> None:
    assert policy_path(scope).read_text(encoding="utf-8") == document(scope)


def test_the_generator_checks_and_writes(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    assert deployer_policy.main(["--check"]) == 0
    monkeypatch.setattr(deployer_policy, "DOCS", tmp_path)
    assert deployer_policy.main(["--check", "--scope", ACCOUNT]) == 1
    assert deployer_policy.main(["--scope", ACCOUNT]) == 0
    assert json.loads((tmp_path / "deployer-policy-account.json").read_text()) == policy(ACCOUNT)
    assert not (tmp_path / "deployer-policy-organization.json").exists()


@pytest.mark.parametrize("scope", SCOPES)
def test_the_policy_fits_in_one_managed_policy(scope: str) -> None:
    assert len("".join(document(scope).split())) <= MANAGED_POLICY_SIZE


def _roles(scope: str) -> dict[str, str]:
    """Each role the program creates in ``scope``, by name, with the service its trust policy admits."""
    roles = {}
    for deployment in deployments(scope):
        for role in deployment.of_type("aws:iam/role:Role"):
            (statement,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
            roles[role.inputs["name"]] = statement["Principal"]["Service"]
    return roles


def _pass_role_statements(scope: str) -> list[dict[str, Any]]:
    return [s for s in policy(scope)["Statement"] if s["Action"] == PASS_ROLE]


@pytest.mark.parametrize("scope", SCOPES)
def test_each_role_may_be_passed_only_to_the_service_it_trusts(scope: str) -> None:
    roles = _roles(scope)
    passes = {
        name: sorted(
            statement["Condition"]["StringEquals"]["iam:PassedToService"]
            for statement in _pass_role_statements(scope)
            if any(
                fnmatch.fnmatchcase(f"arn:aws:iam::123456789012:role/{name}", r)
                for r in statement["Resource"]
            )
        )
        for name in roles
    }
    assert passes == {name: [service] for name, service in roles.items()}
    # And only roles of the stack: each pattern matches a role the program creates.
    for statement in _pass_role_statements(scope):
        for pattern in statement["Resource"]:
            assert any(
                fnmatch.fnmatchcase(f"arn:aws:iam::123456789012:role/{name}", pattern) for name in roles
            )
    # iam:PassRole appears nowhere else, so no statement passes any role to anything.
    (managed,) = [s for s in policy(scope)["Statement"] if s["Sid"] == "ManageTheStacksResources"]
    assert PASS_ROLE not in managed["Action"] and SERVICE_LINKED_ROLE not in managed["Action"]


@pytest.mark.parametrize("scope", SCOPES)
def test_scoped_statements_use_resource_types_and_condition_keys_the_sar_lists(scope: str) -> None:
    for statement in policy(scope)["Statement"]:
        action = statement["Action"]
        if statement["Resource"] == "*":
            continue
        for resource in as_list(statement["Resource"]):
            assert arn_problems(action, resource.replace("*:role", "123456789012:role", 1)) == []
        details = privilege(action)
        assert details is not None
        keys = {key for kind in details["resource_types"] for key in kind["condition_keys"]}
        for condition in statement["Condition"].values():
            assert set(condition) <= keys


def test_the_organization_reads_and_config_organization_access_are_granted_in_organization_scope() -> None:
    granted = actions(ORGANIZATION)
    # get_organization without return_organization_only lists the accounts, roots and service access.
    (call,) = {
        json.dumps(invocation.args, sort_keys=True)
        for deployment in deployments(ORGANIZATION)
        for invocation in deployment.invocations
        if invocation.token == "aws:organizations/getOrganization:getOrganization"
    }
    assert not json.loads(call).get("returnOrganizationOnly")
    assert {
        "organizations:DescribeOrganization",
        "organizations:ListAccounts",
        "organizations:ListRoots",
        "organizations:ListAWSServiceAccessForOrganization",
        "organizations:ListDelegatedAdministrators",
        "organizations:EnableAWSServiceAccess",
        "organizations:ListAccountsForParent",
        "organizations:ListOrganizationalUnitsForParent",
        "iam:GetRole",
        "iam:PassRole",
        "iam:CreateServiceLinkedRole",
    } <= granted
    (linked,) = [s for s in policy(ORGANIZATION)["Statement"] if s["Action"] == SERVICE_LINKED_ROLE]
    assert linked["Condition"] == {
        "StringEquals": {"iam:AWSServiceName": "config-multiaccountsetup.amazonaws.com"}
    }
    assert linked["Resource"] == (
        "arn:aws:iam::*:role/aws-service-role/config-multiaccountsetup.amazonaws.com/*"
    )


def test_account_scope_grants_nothing_of_organizations_or_stack_sets() -> None:
    granted = actions(ACCOUNT)
    assert {a for a in granted if a.startswith(("organizations:", "cloudformation:"))} == set()
    assert SERVICE_LINKED_ROLE not in granted
    # The aggregator's organization source adds its role and Config's Organizations calls only there.
    aggregator = RESOURCES["aws:cfg/configurationAggregator:ConfigurationAggregator"]
    assert PASS_ROLE not in aggregator.actions_in(ACCOUNT)
    assert PASS_ROLE in aggregator.actions_in(ORGANIZATION)


def test_every_grant_names_the_provider_source_it_was_read_from() -> None:
    for token, grant in {**RESOURCES, **INVOKES}.items():
        assert grant.source.startswith("hashicorp/terraform-provider-aws internal/service/"), token
        assert grant.source.endswith(".go"), token
        assert len(set(grant.actions)) == len(grant.actions), token


def test_the_sar_services_are_the_ones_parliament_ships() -> None:
    # A guard for the checks above: parliament's data is present and has the services used.
    prefixes = {action.split(":")[0] for scope in SCOPES for action in actions(scope)}
    assert prefixes <= set(SAR)
    assert parliament.iam_definition


ROLE_ARN = re.compile(r"^arn:aws:iam::[0-9]{12}:role/[\w+=,.@/-]+$")


def _passes_a_role(value: Any) -> bool:
    """Whether an input, at any depth, is a role ARN (a policy document that names one does not count)."""
    if isinstance(value, str):
        return bool(ROLE_ARN.match(value))
    if isinstance(value, dict):
        return any(_passes_a_role(item) for item in value.values())
    if isinstance(value, list):
        return any(_passes_a_role(item) for item in value)
    return False


@pytest.mark.parametrize("scope", SCOPES)
def test_each_resource_given_a_role_grants_pass_role(scope: str) -> None:
    """IAM checks iam:PassRole when a role ARN is handed to a service (IAM User Guide, "Granting a user
    permissions to pass a role to an AWS service"): the recorder, the functions, the event targets and
    the organization aggregator."""
    given = {
        registration.type
        for deployment in deployments(scope)
        for registration in deployment.registrations
        if _passes_a_role(registration.inputs)
    }
    assert given == (
        {
            "aws:cfg/recorder:Recorder",
            "aws:lambda/function:Function",
            "aws:cloudwatch/eventTarget:EventTarget",
        }
        | ({"aws:cfg/configurationAggregator:ConfigurationAggregator"} if scope == ORGANIZATION else set())
    )
    assert {token for token in given if PASS_ROLE not in grants(scope)[token].actions_in(scope)} == set()
