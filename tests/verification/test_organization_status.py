"""Verdicts on organization rule and stack instance status, with botocore's Stubber (each request and
response checked against the service model), for the cases the moto tests do not reach."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from verification.organization import check_organization_rule, check_stack_set
from verification.outputs import RuleOutput
from verification.results import Verdict, describe_error

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
HUB = "123456789012"
NAME = "compliance-backup-dev-us-east-1"
FUNCTION = f"arn:aws:lambda:us-east-1:{HUB}:function:compliance-backup-dev-us-east-1"
RULE = RuleOutput("backup", NAME, FUNCTION)
STACK_SET = "config-compliance-regional-dev"





def _account(number: int) -> str:
    return f"{210000000000 + number}"


def _member(number: int, status: str, **error: str) -> dict[str, Any]:
    return {"AccountId": _account(number), "ConfigRuleName": NAME, "MemberAccountRuleStatus": status, **error}


NAMES = {"OrganizationConfigRuleNames": [NAME]}
TRIGGERS = ["ScheduledNotification"]


def _describe(stubber: Stubber, function: str = FUNCTION, excluded: list[str] | None = None) -> None:
    described: dict[str, Any] = {
        "OrganizationConfigRuleName": NAME,
        "OrganizationConfigRuleArn": f"arn:aws:config:us-east-1:{HUB}:organization-config-rule/{NAME}-x1",
        "OrganizationCustomRuleMetadata": {
            "LambdaFunctionArn": function,
            "OrganizationConfigRuleTriggerTypes": TRIGGERS,
        },
    }
    if excluded:
        described["ExcludedAccounts"] = excluded
    response = {"OrganizationConfigRules": [described]}
    stubber.add_response("describe_organization_config_rules", response, NAMES)


def _organization_rule(
    stubber: Stubber, overall: str, pages: list[list[dict[str, Any]]], **overall_error: str
) -> None:
    _describe(stubber)
    status = {"OrganizationConfigRuleName": NAME, "OrganizationRuleStatus": overall, **overall_error}
    stubber.add_response(
        "describe_organization_config_rule_statuses", {"OrganizationConfigRuleStatuses": [status]}, NAMES
    )
    for number, page in enumerate(pages):
        response: dict[str, Any] = {"OrganizationConfigRuleDetailedStatus": page}
        params: dict[str, Any] = {"OrganizationConfigRuleName": NAME, "Limit": 100}
        if number + 1 < len(pages):
            response["NextToken"] = f"page-{number + 1}"
        if number:
            params["NextToken"] = f"page-{number}"
        stubber.add_response("get_organization_config_rule_detailed_status", response, params)


def test_accounts_on_every_page_are_counted(config: tuple[Any, Stubber]) -> None:
    client, stubber = config
    pages = [
        [_member(number, "UPDATE_SUCCESSFUL") for number in range(100)],
        [_member(100, "CREATE_SUCCESSFUL"), _member(101, "CREATE_IN_PROGRESS")],
    ]
    _organization_rule(stubber, "UPDATE_IN_PROGRESS", pages)
    assert check_organization_rule(client, RULE, ()) == (
        Verdict.PASS,
        f"organization rule {NAME} UPDATE_IN_PROGRESS: deployed in 101 of 102 account(s), 1 in progress",
    )


def test_failed_accounts_beyond_ten_are_counted_not_named(config: tuple[Any, Stubber]) -> None:
    client, stubber = config
    code = "NoAvailableConfigurationRecorder"
    failed = [_member(number, "CREATE_FAILED", ErrorCode=code) for number in range(12)]
    _organization_rule(stubber, "CREATE_FAILED", [[*failed, _member(99, "CREATE_SUCCESSFUL")]])
    verdict, message = check_organization_rule(client, RULE, ())
    assert verdict is Verdict.FAIL
    assert message.startswith(
        f"organization rule {NAME} is CREATE_FAILED: deployed in 1 of 13 account(s); failed in 12: "
        f"{_account(0)} CREATE_FAILED (NoAvailableConfigurationRecorder); "
    )
    assert message.endswith(f"{_account(9)} CREATE_FAILED (NoAvailableConfigurationRecorder); and 2 more")


def test_an_overall_failure_without_a_failed_account_still_fails(config: tuple[Any, Stubber]) -> None:
    client, stubber = config
    error = {"ErrorCode": "OrganizationAccessDeniedException", "ErrorMessage": "trusted access is disabled"}
    _organization_rule(stubber, "UPDATE_FAILED", [[_member(1, "UPDATE_SUCCESSFUL")]], **error)
    assert check_organization_rule(client, RULE, ()) == (
        Verdict.FAIL,
        f"organization rule {NAME} is UPDATE_FAILED (OrganizationAccessDeniedException: trusted access is "
        "disabled): deployed in 1 of 1 account(s)",
    )


def test_a_rule_being_deleted_fails(config: tuple[Any, Stubber]) -> None:
    client, stubber = config
    _organization_rule(stubber, "DELETE_IN_PROGRESS", [[_member(1, "DELETE_IN_PROGRESS")]])
    assert check_organization_rule(client, RULE, ()) == (
        Verdict.FAIL,
        f"organization rule {NAME} is DELETE_IN_PROGRESS: deployed in 0 of 1 account(s), 1 in progress",
    )


def test_a_rule_in_no_account_fails(config: tuple[Any, Stubber]) -> None:
    client, stubber = config
    _organization_rule(stubber, "CREATE_SUCCESSFUL", [[]])
    assert check_organization_rule(client, RULE, ()) == (
        Verdict.FAIL,
        f"organization rule {NAME} is CREATE_SUCCESSFUL but reports no account",
    )


def test_a_rule_invoking_another_function_fails(config: tuple[Any, Stubber]) -> None:
    client, stubber = config
    other = FUNCTION.replace("backup", "encryption")
    _describe(stubber, function=other)
    assert check_organization_rule(client, RULE, ()) == (
        Verdict.FAIL,
        f"organization rule {NAME} invokes {other}, not the stack's function {FUNCTION}",
    )


def test_excluded_accounts_that_differ_from_the_stacks_fail(config: tuple[Any, Stubber]) -> None:
    client, stubber = config
    _describe(stubber)
    assert check_organization_rule(client, RULE, (_account(7),)) == (
        Verdict.FAIL,
        f"organization rule {NAME} excludes none, the stack's excludedAccounts are {_account(7)}",
    )


def test_a_rule_keeping_exclusions_the_stack_dropped_names_the_remedy(config: tuple[Any, Stubber]) -> None:
    """The provider omits an empty ExcludedAccounts from PutOrganizationConfigRule (terraform-provider-aws,
    internal/service/configservice/organization_custom_rule.go), so a list that became empty may stay."""
    client, stubber = config
    _describe(stubber, excluded=[_account(7)])
    assert check_organization_rule(client, RULE, ()) == (
        Verdict.FAIL,
        f"organization rule {NAME} excludes {_account(7)}, the stack's excludedAccounts are none: an empty "
        "list cannot be sent to an existing rule; remove the rule (pulumi destroy --target <its urn>) and "
        "run pulumi up to create it without exclusions",
    )


def test_an_empty_answer_for_the_rule_or_its_status_fails_cleanly(config: tuple[Any, Stubber]) -> None:
    client, stubber = config
    stubber.add_response("describe_organization_config_rules", {"OrganizationConfigRules": []}, NAMES)
    missing = (Verdict.FAIL, f"organization rule {NAME} does not exist")
    assert check_organization_rule(client, RULE, ()) == missing
    _describe(stubber)
    stubber.add_response(
        "describe_organization_config_rule_statuses", {"OrganizationConfigRuleStatuses": []}, NAMES
    )
    assert check_organization_rule(client, RULE, ()) == (
        Verdict.FAIL,
        f"organization rule {NAME} has no deployment status",
    )


def test_organization_rule_errors_other_than_not_found_reach_the_caller(config: tuple[Any, Stubber]) -> None:
    client, stubber = config
    denied = "OrganizationAccessDeniedException"
    stubber.add_client_error("describe_organization_config_rules", denied, "not a delegated admin", 400)
    with pytest.raises(ClientError) as raised:
        check_organization_rule(client, RULE, ())
    assert describe_error(raised.value) == (
        "DescribeOrganizationConfigRules failed: OrganizationAccessDeniedException: not a delegated admin"
    )


def _instances(stubber: Stubber, summaries: list[dict[str, Any]], call_as: str = "SELF") -> None:
    stubber.add_response(
        "list_stack_instances",
        {"Summaries": summaries},
        {"StackSetName": STACK_SET, "CallAs": call_as, "MaxResults": 100},
    )


def _instance(number: int, region: str, status: str, detailed: str | None, drift: str) -> dict[str, Any]:
    instance: dict[str, Any] = {"Account": _account(number), "Region": region, "Status": status}
    if detailed:
        instance["StackInstanceStatus"] = {"DetailedStatus": detailed}
    instance["DriftStatus"] = drift
    return instance


def test_inoperable_cancelled_and_failed_import_instances_fail(cloudformation: tuple[Any, Stubber]) -> None:
    client, stubber = cloudformation
    _instances(
        stubber,
        [
            _instance(1, "us-east-1", "INOPERABLE", "SUCCEEDED", "IN_SYNC"),
            _instance(2, "us-east-1", "OUTDATED", "CANCELLED", "NOT_CHECKED"),
            _instance(3, "us-west-2", "OUTDATED", "FAILED_IMPORT", "NOT_CHECKED"),
            _instance(4, "us-west-2", "CURRENT", "SUCCEEDED", "IN_SYNC"),
        ],
        call_as="DELEGATED_ADMIN",
    )
    assert check_stack_set(client, STACK_SET, "DELEGATED_ADMIN") == (
        Verdict.FAIL,
        f"StackSet {STACK_SET}: 3 of 4 instance(s) failed: {_account(1)} us-east-1 INOPERABLE; "
        f"{_account(2)} us-east-1 CANCELLED; {_account(3)} us-west-2 FAILED_IMPORT",
    )


def test_running_suspended_and_unchecked_instances_pass_and_are_counted(
    cloudformation: tuple[Any, Stubber],
) -> None:
    client, stubber = cloudformation
    _instances(
        stubber,
        [
            _instance(1, "us-east-1", "OUTDATED", "RUNNING", "NOT_CHECKED"),
            _instance(2, "us-east-1", "CURRENT", "SKIPPED_SUSPENDED_ACCOUNT", "UNKNOWN"),
            _instance(3, "us-east-1", "CURRENT", None, "IN_SYNC"),
        ],
    )
    assert check_stack_set(client, STACK_SET, "SELF") == (
        Verdict.PASS,
        f"StackSet {STACK_SET}: 3 instance(s), 1 CURRENT, 1 RUNNING, 1 SKIPPED_SUSPENDED_ACCOUNT; "
        "drift: 1 IN_SYNC, 1 NOT_CHECKED, 1 UNKNOWN",
    )


def test_a_stack_set_without_instances_passes_saying_so(cloudformation: tuple[Any, Stubber]) -> None:
    client, stubber = cloudformation
    _instances(stubber, [])
    assert check_stack_set(client, STACK_SET, "SELF") == (
        Verdict.PASS,
        f"StackSet {STACK_SET} has no stack instance (no account in the member OUs)",
    )


def test_a_missing_stack_set_fails_and_other_errors_reach_the_caller(
    cloudformation: tuple[Any, Stubber],
) -> None:
    client, stubber = cloudformation
    stubber.add_client_error("list_stack_instances", "StackSetNotFoundException", "StackSet not found", 404)
    assert check_stack_set(client, STACK_SET, "SELF") == (
        Verdict.FAIL,
        f"StackSet {STACK_SET} does not exist (CallAs SELF)",
    )
    stubber.add_client_error("list_stack_instances", "ValidationError", "Not a delegated admin", 400)
    with pytest.raises(ClientError) as raised:
        check_stack_set(client, STACK_SET, "DELEGATED_ADMIN")
    assert describe_error(raised.value) == (
        "ListStackInstances failed: ValidationError: Not a delegated admin"
    )
