"""The ``org conformance pack`` line of verify compares the pack's ``ExcludedAccounts`` with the stack's.

Against moto in process (``mock_aws``): moto implements PutOrganizationConformancePack with
``ExcludedAccounts``, DescribeOrganizationConformancePacks (NoSuchOrganizationConformancePackException for
an unknown name), and the status APIs (every pack ``CREATE_SUCCESSFUL`` in one account, the caller's).
A denied call, which moto does not answer, comes from botocore's Stubber (checked against the service
model).

The packs are put as the provider puts them: ``ExcludedAccounts`` only when the list is not empty
(terraform-provider-aws, internal/service/configservice/organization_conformance_pack.go, Create and
Update). Whether Config keeps a pack's list when an update sends none, the Config API Reference does not
say; the tests describe a pack that kept it.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import parliament
import pytest
from botocore.stub import Stubber
from moto_stack import PRIMARY, example_outputs

from verification import checks
from verification.organization import check_organization_conformance_pack
from verification.outputs import OrganizationOutputs, StackOutputs, parse_outputs
from verification.results import CheckResult, Verdict

PACK = "encryption-baseline-dev"
# A pack's template, as the program uploads one over 51,200 bytes (moto requires TemplateS3Uri).
TEMPLATE = "s3://awsconfigconforms-dev-123456789012-us-east-1/conformance-packs/encryption-baseline/ab12.json"
FIRST, SECOND = "210987654321", "345678901234"
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
DEPLOYED = f"organization conformance pack {PACK} CREATE_SUCCESSFUL: deployed in 1 of 1 account(s)"
REMEDY = (
    ": an empty list cannot be sent to an existing conformance pack; remove the conformance pack "
    "(pulumi destroy --target <its urn>) and run pulumi up to create it without exclusions"
)


@pytest.fixture
def local(moto_in_process: None) -> Any:
    """A Config client of moto in process, in the primary region, recording the operations it calls."""
    client: Any = boto3.client("config", region_name=PRIMARY)
    client.calls = []
    client.meta.events.register("before-call", lambda model, **_: client.calls.append(model.name))
    return client


def put_pack(client: Any, excluded: list[str]) -> None:
    """The pack as the provider puts it: no ExcludedAccounts when its list is empty. The calls recorded
    start after it."""
    client.put_organization_conformance_pack(
        OrganizationConformancePackName=PACK,
        TemplateS3Uri=TEMPLATE,
        **({"ExcludedAccounts": excluded} if excluded else {}),
    )
    client.calls.clear()


def organization_outputs(excluded: tuple[str, ...]) -> StackOutputs:
    example = example_outputs()
    packs = {region: [PACK] if region == PRIMARY else [] for region in example["regions"]}
    outputs = parse_outputs({**example, "conformancePacks": packs})
    organization = OrganizationOutputs(("ou-ab12-cd34ef56",), excluded, True, "member-role", ("s",), "SELF")
    return replace(outputs, organization=organization)


def pack_lines(outputs: StackOutputs, client: Any) -> list[CheckResult]:
    return list(checks._conformance_packs(outputs, PRIMARY, client, NOW))


def test_the_same_accounts_in_any_order_pass(local: Any) -> None:
    put_pack(local, [SECOND, FIRST])
    assert check_organization_conformance_pack(local, PACK, (FIRST, SECOND)) == (Verdict.PASS, DEPLOYED)
    assert local.calls == [
        "DescribeOrganizationConformancePacks",
        "DescribeOrganizationConformancePackStatuses",
        "GetOrganizationConformancePackDetailedStatus",
    ]


def test_no_exclusions_on_either_side_pass(local: Any) -> None:
    put_pack(local, [])
    assert check_organization_conformance_pack(local, PACK, ()) == (Verdict.PASS, DEPLOYED)


def test_an_account_the_pack_excludes_and_the_stack_does_not_fails_naming_both_lists(local: Any) -> None:
    put_pack(local, [FIRST, SECOND])
    assert check_organization_conformance_pack(local, PACK, (SECOND,)) == (
        Verdict.FAIL,
        f"organization conformance pack {PACK} excludes {FIRST}; {SECOND}, the stack's excludedAccounts are "
        f"{SECOND}",
    )
    # A pack that reaches the wrong accounts fails before its deployment status is read.
    assert local.calls == ["DescribeOrganizationConformancePacks"]


def test_an_account_the_stack_excludes_and_the_pack_does_not_fails_naming_both_lists(local: Any) -> None:
    put_pack(local, [FIRST])
    assert check_organization_conformance_pack(local, PACK, (SECOND, FIRST)) == (
        Verdict.FAIL,
        f"organization conformance pack {PACK} excludes {FIRST}, the stack's excludedAccounts are "
        f"{FIRST}; {SECOND}",
    )
    put_pack(local, [])
    assert check_organization_conformance_pack(local, PACK, (FIRST,)) == (
        Verdict.FAIL,
        f"organization conformance pack {PACK} excludes none, the stack's excludedAccounts are {FIRST}",
    )


def test_a_pack_keeping_exclusions_the_stack_dropped_names_the_remedy(local: Any) -> None:
    """The stack's list became empty: the provider's update sends no ExcludedAccounts, so the pack may keep
    its earlier list, and only a new pack is created without it."""
    put_pack(local, [FIRST])
    assert check_organization_conformance_pack(local, PACK, ()) == (
        Verdict.FAIL,
        f"organization conformance pack {PACK} excludes {FIRST}, the stack's excludedAccounts are none"
        + REMEDY,
    )


def test_the_line_compares_the_stacks_exported_exclusions(local: Any) -> None:
    put_pack(local, [FIRST])
    assert [(r.check, r.verdict, r.message) for r in pack_lines(organization_outputs((FIRST,)), local)] == [
        (f"org conformance pack {PACK}", Verdict.PASS, DEPLOYED)
    ]
    (line,) = pack_lines(organization_outputs((FIRST, SECOND)), local)
    assert (line.verdict, line.could_not_check) == (Verdict.FAIL, False)
    assert line.message == (
        f"organization conformance pack {PACK} excludes {FIRST}, the stack's excludedAccounts are "
        f"{FIRST}; {SECOND}"
    )


def test_a_missing_pack_fails(local: Any) -> None:
    assert check_organization_conformance_pack(local, PACK, ()) == (
        Verdict.FAIL,
        f"organization conformance pack {PACK} does not exist",
    )


def test_a_denied_describe_is_a_could_not_check_line(config: tuple[Any, Stubber]) -> None:
    client, stubber = config
    stubber.add_client_error(
        "describe_organization_conformance_packs",
        "OrganizationAccessDeniedException",
        "not a management account or delegated administrator",
        400,
        expected_params={"OrganizationConformancePackNames": [PACK]},
    )
    (line,) = pack_lines(organization_outputs((FIRST,)), client)
    assert (line.verdict, line.could_not_check) == (Verdict.FAIL, True)
    assert line.message == (
        "could not check: DescribeOrganizationConformancePacks failed: OrganizationAccessDeniedException: "
        "not a management account or delegated administrator"
    )


# --- the permissions verify needs for it ------------------------------------------------------------

DOCS = Path(__file__).parents[2] / "docs" / "verify.md"
CONFIG_ACTIONS = {
    privilege["privilege"]: privilege["access_level"]
    for service in parliament.iam_definition
    if service["prefix"] == "config"
    for privilege in service["privileges"]
}


def documented_config_actions() -> tuple[str, set[str]]:
    """The Config actions docs/verify.md grants: its wildcard for every stack, and the organization scope's
    extra permissions."""
    text = DOCS.read_text(encoding="utf-8")
    (wildcard,) = re.findall(r"read-only access:\s*`config:(\w+)\*`", text)
    extra = text.split("**Extra permissions** in the hub:", 1)[1].split("\n\n", 1)[0]
    return wildcard, set(re.findall(r"`config:(\w+)`", extra))


def test_the_documented_permissions_grant_every_call_of_the_line(local: Any) -> None:
    """Each Config operation is authorized by the IAM action of its name (Service Authorization Reference,
    as parliament ships it): a read, granted by docs/verify.md's ``config:Describe*`` or listed by name."""
    put_pack(local, [FIRST])
    check_organization_conformance_pack(local, PACK, (FIRST,))
    wildcard, extra = documented_config_actions()

    assert wildcard == "Describe"
    assert {call for call in local.calls if call not in extra and not call.startswith(wildcard)} == set()
    assert {
        "DescribeOrganizationConformancePacks",
        "DescribeOrganizationConformancePackStatuses",
        "GetOrganizationConformancePackDetailedStatus",
    } <= extra
    for action in extra:
        assert CONFIG_ACTIONS[action] in ("Read", "List"), action
