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
from pathlib import Path
from typing import Any

import parliament
import pytest

from components import deployer_policy
from components.deployer_policy import (
    ACCOUNT,
    INVOKES,
    MANAGED_POLICY_SIZE,
    NOT_AWS_RESOURCES,
    ORGANIZATION,
    ORGANIZATION_WIDE,
    PASS_ROLE,
    RESOURCES,
    SCOPES,
    SERVICE_LINKED_ROLE,
    document,
    document_names,
    documents,
    grants,
    linked_role_services,
    policy,
    policy_path,
)
from tests.infra.conftest import DEV_CONFIG
from tests.infra.program import Deployment, run_program
from tests.infra.test_conformance_packs import SMALL, oversized_template
from tests.infra.test_iam_scoping import SAR, arn_problems, privilege
from tests.infra.test_managed_rule_deployment import THREE_RULES
from tests.infra.test_organization import ORGANIZATION_CONFIG


def configs(scope: str, large_template: str) -> list[dict[str, Any]]:
    """The settings that change what the program registers or calls, in ``scope``: managed rules and
    conformance packs, one small (TemplateBody) and one oversized (its template bucket and object)."""
    base = DEV_CONFIG if scope == ACCOUNT else ORGANIZATION_CONFIG
    variant = (
        {"existingRecorderRegions": ["eu-west-1"], "protectData": "false"}
        if scope == ACCOUNT
        else {"delegatedAdministrator": "true", "manageMemberRecorders": "false"}
    )
    rules_and_packs = {
        "managedRules": THREE_RULES,
        "conformancePacks": [SMALL, {"name": "big", "template": large_template}],
    }
    return [base, {**base, **variant}, {**base, **rules_and_packs}]


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
    ("config:PutConformancePack", "iam:PassRole"): "the packs' templates hold rules and remediation "
    "configurations only, and the program hands Config no role for them",
    ("config:PutOrganizationConformancePack", "iam:PassRole"): "as for PutConformancePack",
    ("config:PutConformancePack", "ssm:GetDocument"): "only for a template in an SSM document "
    "(TemplateSSMDocumentDetails); the program sends TemplateBody or TemplateS3Uri",
}
Deployed = dict[str, tuple[Deployment, ...]]


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Deployed:
    large = str(oversized_template(tmp_path_factory.mktemp("packs")))
    return {scope: tuple(run_program(config) for config in configs(scope, large)) for scope in SCOPES}


def used(deployments: tuple[Deployment, ...]) -> set[str]:
    """Every AWS resource type the program registers and every provider function it calls."""
    return {
        *(
            registration.type
            for deployment in deployments
            for registration in deployment.registrations
            if not registration.type.startswith(NOT_AWS_RESOURCES)
        ),
        *(invocation.token for deployment in deployments for invocation in deployment.invocations),
    }


def actions(scope: str) -> set[str]:
    return {action for statement in policy(scope)["Statement"] for action in as_list(statement["Action"])}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@pytest.mark.parametrize("scope", SCOPES)
def test_everything_the_program_registers_or_calls_has_a_grant(scope: str, deployed: Deployed) -> None:
    assert used(deployed[scope]) - set(grants(scope)) == set()


@pytest.mark.parametrize("scope", SCOPES)
def test_every_grant_is_for_something_the_program_uses(scope: str, deployed: Deployed) -> None:
    assert set(grants(scope)) - used(deployed[scope]) - ANTICIPATED == set()


def test_the_runs_include_managed_rules_and_both_kinds_of_conformance_pack(deployed: Deployed) -> None:
    """So that the two tests above require an entry for every type these settings register."""
    assert {
        "aws:cfg/rule:Rule",
        "aws:cfg/conformancePack:ConformancePack",
        "aws:s3/bucketObjectv2:BucketObjectv2",
    } <= used(deployed[ACCOUNT])
    assert {
        "aws:cfg/organizationManagedRule:OrganizationManagedRule",
        "aws:cfg/organizationConformancePack:OrganizationConformancePack",
        "aws:s3/bucketObjectv2:BucketObjectv2",
    } <= used(deployed[ORGANIZATION])
    for scope in SCOPES:
        packs = [
            registration.inputs
            for deployment in deployed[scope]
            for registration in deployment.registrations
            if registration.type.endswith("onformancePack")
        ]
        assert any("templateBody" in pack for pack in packs)
        assert any("templateS3Uri" in pack for pack in packs)


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
def test_the_shipped_documents_are_the_generators_output(scope: str) -> None:
    for name in document_names(scope):
        assert policy_path(name).read_text(encoding="utf-8") == document(name, scope)


def test_the_generator_checks_and_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert deployer_policy.main(["--check"]) == 0
    monkeypatch.setattr(deployer_policy, "DOCS", tmp_path)
    assert deployer_policy.main(["--check", "--scope", ORGANIZATION]) == 1
    assert deployer_policy.main(["--scope", ORGANIZATION]) == 0
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "deployer-policy-organization-wide.json",
        "deployer-policy-organization.json",
    ]
    written = [
        json.loads((tmp_path / f"deployer-policy-{name}.json").read_text())
        for name in document_names(ORGANIZATION)
    ]
    assert [s for document in written for s in document["Statement"]] == policy(ORGANIZATION)["Statement"]


@pytest.mark.parametrize("scope", SCOPES)
def test_each_document_fits_in_one_managed_policy(scope: str) -> None:
    """IAM User Guide, IAM and AWS STS quotas: "Managed policy size: 6,144 characters" (white space not
    counted). Organization scope needs two documents."""
    assert document_names(scope) == ((ACCOUNT,) if scope == ACCOUNT else (ORGANIZATION, ORGANIZATION_WIDE))
    for name in document_names(scope):
        assert len("".join(document(name, scope).split())) <= MANAGED_POLICY_SIZE, name


def test_organization_documents_split_the_hubs_resources_from_what_reaches_across_the_organization() -> None:
    hub, wide = (documents(ORGANIZATION)[name]["Statement"] for name in document_names(ORGANIZATION))
    hub_actions = {a for statement in hub for a in as_list(statement["Action"])}
    wide_actions = {a for statement in wide for a in as_list(statement["Action"])}
    # No action twice, nothing lost.
    assert hub_actions.isdisjoint(wide_actions)
    assert hub_actions | wide_actions == actions(ORGANIZATION)
    # The hub's document is what account scope manages too; Organizations, StackSets, the bus permission
    # for the organization, organization rules and packs, and the service-linked roles they create are in
    # the other.
    assert {a.split(":")[0] for a in wide_actions - {SERVICE_LINKED_ROLE}} == {
        "organizations",
        "cloudformation",
        "events",
        "config",
    }
    assert not {a for a in hub_actions if a.startswith(("organizations:", "cloudformation:"))}
    assert {a for a in hub_actions if a.startswith("config:")} <= actions(ACCOUNT)
    assert {"config:PutOrganizationConformancePack", "config:PutOrganizationConfigRule"} <= wide_actions


def _roles(deployments: tuple[Deployment, ...]) -> dict[str, str]:
    """Each role the program creates, by name, with the service its trust policy admits."""
    roles = {}
    for deployment in deployments:
        for role in deployment.of_type("aws:iam/role:Role"):
            (statement,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
            roles[role.inputs["name"]] = statement["Principal"]["Service"]
    return roles


def _pass_role_statements(scope: str) -> list[dict[str, Any]]:
    return [s for s in policy(scope)["Statement"] if s["Action"] == PASS_ROLE]


@pytest.mark.parametrize("scope", SCOPES)
def test_each_role_may_be_passed_only_to_the_service_it_trusts(scope: str, deployed: Deployed) -> None:
    roles = _roles(deployed[scope])
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
    for managed in [s for s in policy(scope)["Statement"] if s["Resource"] == "*"]:
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


def test_the_organization_reads_and_config_organization_access_are_granted_in_organization_scope(
    deployed: Deployed,
) -> None:
    granted = actions(ORGANIZATION)
    # get_organization without return_organization_only lists the accounts, roots and service access.
    (call,) = {
        json.dumps(invocation.args, sort_keys=True)
        for deployment in deployed[ORGANIZATION]
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


def linked_role_statements(scope: str) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in policy(scope)["Statement"] if s["Action"] == SERVICE_LINKED_ROLE}


def linked_role_statement(service: str, role: str) -> dict[str, Any]:
    return {
        "Sid": f"Create{role}",
        "Effect": "Allow",
        "Action": "iam:CreateServiceLinkedRole",
        "Resource": f"arn:aws:iam::*:role/aws-service-role/{service}/{role}",
        "Condition": {"StringEquals": {"iam:AWSServiceName": service}},
    }


CONFORMS = linked_role_statement("config-conforms.amazonaws.com", "AWSServiceRoleForConfigConforms")
MULTI_ACCOUNT = linked_role_statement(
    "config-multiaccountsetup.amazonaws.com", "AWSServiceRoleForConfigMultiAccountSetup"
)


def test_only_configs_service_linked_roles_may_be_created_each_under_its_service_name() -> None:
    """Config API Reference: PutConformancePack creates AWSServiceRoleForConfigConforms in the caller's
    account; PutOrganizationConfigRule and PutOrganizationConformancePack create
    AWSServiceRoleForConfigMultiAccountSetup there (and an organization pack uses the conformance-pack
    role in each account it reaches, the hub's included)."""
    assert list(linked_role_statements(ACCOUNT).values()) == [CONFORMS]
    assert list(linked_role_statements(ORGANIZATION).values()) == [CONFORMS, MULTI_ACCOUNT]
    # The organization-wide document holds them, beside the organization rules and packs that need them.
    wide = documents(ORGANIZATION)[ORGANIZATION_WIDE]["Statement"]
    assert [s for s in wide if s["Action"] == SERVICE_LINKED_ROLE] == [CONFORMS, MULTI_ACCOUNT]
    # A grant names the services of the roles it creates exactly when it grants the action.
    for token, grant in {**RESOURCES, **INVOKES}.items():
        assert (SERVICE_LINKED_ROLE in grant.actions) == bool(grant.linked_role_services), token
    assert linked_role_services(ACCOUNT) == ["config-conforms.amazonaws.com"]


@pytest.mark.parametrize(
    ("token", "scope", "expected"),
    [
        (
            "aws:cfg/conformancePack:ConformancePack",
            ACCOUNT,
            {
                "config:PutConformancePack",
                "config:DescribeConformancePacks",
                "config:DescribeConformancePackStatus",
                "config:DeleteConformancePack",
                "s3:GetObject",
                "iam:CreateServiceLinkedRole",
            },
        ),
        (
            "aws:cfg/organizationConformancePack:OrganizationConformancePack",
            ORGANIZATION,
            {
                "config:PutOrganizationConformancePack",
                "config:DescribeOrganizationConformancePacks",
                "config:DescribeOrganizationConformancePackStatuses",
                "config:GetOrganizationConformancePackDetailedStatus",
                "config:DeleteOrganizationConformancePack",
                "s3:GetObject",
                "organizations:EnableAWSServiceAccess",
                "organizations:ListDelegatedAdministrators",
                "iam:CreateServiceLinkedRole",
            },
        ),
        (
            "aws:cfg/organizationManagedRule:OrganizationManagedRule",
            ORGANIZATION,
            {
                "config:PutOrganizationConfigRule",
                "config:DescribeOrganizationConfigRules",
                "config:DescribeOrganizationConfigRuleStatuses",
                "config:GetOrganizationConfigRuleDetailedStatus",
                "config:DeleteOrganizationConfigRule",
                "organizations:EnableAWSServiceAccess",
                "organizations:ListDelegatedAdministrators",
                "iam:CreateServiceLinkedRole",
            },
        ),
        (
            "aws:s3/bucketObjectv2:BucketObjectv2",
            ACCOUNT,
            {
                "s3:PutObject",
                "s3:GetObject",
                "s3:DeleteObject",
                "s3:GetObjectTagging",
                "s3:PutObjectTagging",
                "s3:DeleteObjectTagging",
            },
        ),
    ],
)
def test_managed_rules_and_packs_are_granted_what_the_provider_and_config_call(
    token: str, scope: str, expected: set[str]
) -> None:
    """The provider's calls (configservice/conformance_pack.go, organization_conformance_pack.go,
    organization_managed_rule.go, s3/object.go and s3/tags.go), and what Config requires of the caller:
    reading a TemplateS3Uri ("You must have access to read Amazon S3 bucket"), Organizations access and
    the service-linked roles (Config API Reference, PutConformancePack, PutOrganizationConformancePack,
    PutOrganizationConfigRule)."""
    grant = grants(scope)[token]
    assert set(grant.actions_in(scope)) == expected
    assert expected <= actions(scope)
    # The template bucket's object is read with the caller's rights in both scopes.
    assert "s3:GetObject" in actions(ACCOUNT) and "s3:GetObject" in actions(ORGANIZATION)


def test_account_scope_grants_nothing_of_organizations_or_stack_sets() -> None:
    granted = actions(ACCOUNT)
    assert {a for a in granted if a.startswith(("organizations:", "cloudformation:"))} == set()
    assert not {a for a in granted if a.startswith("config:") and "Organization" in a}
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
def test_each_resource_given_a_role_grants_pass_role(scope: str, deployed: Deployed) -> None:
    """IAM checks iam:PassRole when a role ARN is handed to a service (IAM User Guide, "Granting a user
    permissions to pass a role to an AWS service"): the recorder, the functions, the event targets and
    the organization aggregator."""
    given = {
        registration.type
        for deployment in deployed[scope]
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


def test_stack_set_operations_are_waited_on_and_their_failures_read() -> None:
    """cloudformation/wait.go (WaitStackSetOperationSucceeded): DescribeStackSetOperation while waiting,
    ListStackSetOperationResults to name each failing account."""
    for resource_type in (
        "aws:cloudformation/stackSet:StackSet",
        "aws:cloudformation/stackSetInstance:StackSetInstance",
    ):
        actions = deployer_policy.RESOURCES[resource_type].actions
        assert "cloudformation:DescribeStackSetOperation" in actions
        assert "cloudformation:ListStackSetOperationResults" in actions


def test_the_sizes_the_docs_give_are_the_documents_sizes() -> None:
    """docs/deployer-permissions.md states each document's size against the 6,144-character quota; a grant
    added or removed changes it, and the docs must follow."""
    text = " ".join(
        (policy_path(ACCOUNT).parent / "deployer-permissions.md").read_text(encoding="utf-8").split()
    )
    stated = re.search(
        r"the account document is ([\d,]+) characters, "
        r"the two organization documents ([\d,]+) and ([\d,]+)\)",
        text,
    )
    assert stated is not None
    sizes = [
        len("".join(document(name, scope).split())) for scope in SCOPES for name in document_names(scope)
    ]
    assert [int(figure.replace(",", "")) for figure in stated.groups()] == sizes
