"""The organization-scope outputs: what the program exports is what the commands read, and outputs that
are not usable are refused naming every problem."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from moto_stack import example_outputs

from components import naming
from tests.infra.conftest import DEV_CONFIG
from tests.infra.program import MANAGEMENT_ACCOUNT_ID, run_program
from verification.outputs import OrganizationOutputs, OutputsError, parse_outputs

ORGANIZATION = {
    "memberOrganizationalUnits": ["ou-ab12-cdef3456"],
    "excludedAccounts": ["012345678901"],
    "manageMemberRecorders": False,
    "memberRoleName": "config-compliance-member-dev",
    "stackSets": ["config-compliance-roles-dev", "config-compliance-regional-dev"],
    "managementRole": "DELEGATED_ADMIN",
}


def organization_outputs(**organization: Any) -> dict[str, Any]:
    return {**example_outputs(), "scope": "organization", "organization": {**ORGANIZATION, **organization}}


@pytest.mark.parametrize("delegated", [False, True])
def test_organization_outputs_are_what_the_commands_read(delegated: bool) -> None:
    settings = {
        **DEV_CONFIG,
        "scope": "organization",
        "memberOrganizationalUnits": ["r-ab12"],
        "excludedAccounts": ["210987654321"],
        "delegatedAdministrator": delegated,
    }
    outputs = parse_outputs(run_program(settings).outputs)

    assert outputs.scope == "organization"
    assert outputs.organization == OrganizationOutputs(
        member_organizational_units=("r-ab12",),
        # From a delegated administrator the organization rules skip the management account too.
        excluded_accounts=("210987654321", MANAGEMENT_ACCOUNT_ID) if delegated else ("210987654321",),
        manage_member_recorders=True,
        member_role_name=naming.member_evaluation_role("dev"),
        stack_sets=tuple(naming.member_stack_set(part, "dev") for part in ("roles", "regional")),
        management_role="DELEGATED_ADMIN" if delegated else "SELF",
    )
    # The rules are the organization rules, one per check and region, named as in account scope.
    assert {
        (region, rule.check): rule.rule_name for region, rules in outputs.rules.items() for rule in rules
    } == {
        (region, check): naming.config_rule(check, "dev", region)
        for region in DEV_CONFIG["regions"]
        for check in ("encryption", "required-tags", "backup")
    }


def test_account_scope_outputs_say_so_and_have_no_organization() -> None:
    outputs = parse_outputs(run_program(DEV_CONFIG).outputs)
    assert (outputs.scope, outputs.organization) == ("account", None)


def test_outputs_without_a_scope_are_account_scope() -> None:
    outputs = parse_outputs(example_outputs())
    assert (outputs.scope, outputs.organization) == ("account", None)


def test_organization_outputs_are_parsed() -> None:
    outputs = parse_outputs(organization_outputs())
    assert outputs.organization is not None
    assert outputs.organization.excluded_accounts == ("012345678901",)
    assert outputs.organization.management_role == "DELEGATED_ADMIN"
    assert outputs.organization.manage_member_recorders is False


def test_every_organization_problem_is_named() -> None:
    data = organization_outputs(
        excludedAccounts=["12345"],
        manageMemberRecorders="yes",
        memberRoleName="",
        stackSets=[],
        managementRole="ADMIN",
    )
    del data["organization"]["memberOrganizationalUnits"]
    with pytest.raises(OutputsError) as raised:
        parse_outputs(data, "outputs.json")
    assert str(raised.value).splitlines()[1:] == [
        "  - 'organization.excludedAccounts' must be a list of 12-digit account ids, got ['12345']",
        "  - 'organization.manageMemberRecorders' must be true or false, got 'yes'",
        "  - 'organization.managementRole' must be one of SELF, DELEGATED_ADMIN, got 'ADMIN'",
        "  - 'organization.memberOrganizationalUnits' must be a non-empty list of names, got None",
        "  - 'organization.memberRoleName' must be a non-empty string, got ''",
        "  - 'organization.stackSets' must be a non-empty list of names, got []",
    ]


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"scope": "global"}, "'scope' must be one of account, organization, got 'global'"),
        (
            {"scope": "organization", "organization": None},
            "'scope' is 'organization' but 'organization' is not an object: None",
        ),
        ({"scope": "account"}, "'organization' is given but 'scope' is 'account' (or absent)"),
    ],
)
def test_a_scope_that_disagrees_with_the_organization_key_is_refused(
    change: dict[str, Any], problem: str
) -> None:
    data = copy.deepcopy(organization_outputs())
    data.update(change)
    with pytest.raises(OutputsError, match="unusable") as raised:
        parse_outputs(data)
    assert f"  - {problem}" in str(raised.value).splitlines()
