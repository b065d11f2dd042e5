"""The organization-scope checks: each organization rule's deployment to the accounts, each StackSet's
stack instances.

Status values, as the API references define them (the same text ships in botocore's service models):

- Organization rules (AWS Config API Reference, OrganizationConfigRuleStatus and MemberAccountStatus,
  https://docs.aws.amazon.com/config/latest/APIReference/API_OrganizationConfigRuleStatus.html,
  https://docs.aws.amazon.com/config/latest/APIReference/API_MemberAccountStatus.html):
  ``CREATE_SUCCESSFUL`` / ``UPDATE_SUCCESSFUL`` (the rule is in the account), ``*_IN_PROGRESS``,
  ``CREATE_FAILED`` / ``UPDATE_FAILED`` / ``DELETE_FAILED`` (failed in the account; overall: "in one or
  more member accounts"), ``DELETE_SUCCESSFUL`` (deleted from the account). Failures carry ``ErrorCode``
  and ``ErrorMessage``. ``GetOrganizationConfigRuleDetailedStatus`` pages at most 100 accounts.
- Stack instances (AWS CloudFormation API Reference, StackInstanceSummary and
  StackInstanceComprehensiveStatus,
  https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_StackInstanceSummary.html,
  https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_StackInstanceComprehensiveStatus.html):
  ``DetailedStatus`` ``FAILED``, ``CANCELLED`` (stopped, or the failure tolerance was exceeded),
  ``INOPERABLE`` (a failed DeleteStackInstances left the stack unstable), ``FAILED_IMPORT``; ``PENDING``
  and ``RUNNING`` are in progress; ``SKIPPED_SUSPENDED_ACCOUNT`` is a suspended account; ``SUCCEEDED``.
  ``Status`` ``INOPERABLE`` also means unusable. ``DriftStatus`` ``DRIFTED`` (the stack differs from the
  StackSet's template and parameters), ``IN_SYNC``, ``NOT_CHECKED`` (no drift detection has run),
  ``UNKNOWN`` (reserved). ``ListStackInstances`` pages at most 100 instances and takes ``CallAs``:
  ``DELEGATED_ADMIN`` when called from a delegated administrator account.

- Accounts (AWS Organizations API Reference, ListAccounts, ListAccountsForParent,
  ListOrganizationalUnitsForParent, callable from the management account or a delegated administrator):
  the organization rules reach every account the deployment did not exclude, the member baseline only the
  accounts of the member OUs and the OUs below them, so an account that joined the organization, or moved,
  outside the member OUs after the last deployment gets the rules and no member baseline.

The verify command reads drift as the last drift detection left it; it does not start one
(DetectStackSetDrift changes the StackSet's operation history and runs for minutes).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

from verification.clients import AwsClient
from verification.outputs import ManagedRuleOutput, RuleOutput
from verification.results import AWS_CALL_ERRORS, Finding, Verdict, error_code

PAGE_SIZE = 100
# At most this many accounts or instances are named in one line; the rest are counted.
NAMED_AT_MOST = 10

RULE_DEPLOYED = {"CREATE_SUCCESSFUL", "UPDATE_SUCCESSFUL"}
RULE_IN_PROGRESS = {"CREATE_IN_PROGRESS", "UPDATE_IN_PROGRESS", "DELETE_IN_PROGRESS"}
RULE_FAILED = {"CREATE_FAILED", "UPDATE_FAILED", "DELETE_FAILED"}

INSTANCE_FAILED = {"FAILED", "CANCELLED", "INOPERABLE", "FAILED_IMPORT"}
INSTANCE_IN_PROGRESS = {"PENDING", "RUNNING"}


def check_organization_rule(
    config: AwsClient, rule: RuleOutput, excluded_accounts: Collection[str]
) -> Finding:
    """The organization rule exists, invokes the stack's function, excludes the stack's excluded accounts,
    and is deployed in every account it reports."""

    def invokes_the_function(described: Mapping[str, Any]) -> str | None:
        invoked = described.get("OrganizationCustomRuleMetadata", {}).get("LambdaFunctionArn")
        if invoked == rule.function_arn:
            return None
        function = rule.function_arn
        return f"organization rule {rule.rule_name} invokes {invoked}, not the stack's function {function}"

    return _check_organization_rule(config, rule.rule_name, invokes_the_function, excluded_accounts)


def check_organization_managed_rule(
    config: AwsClient, rule: ManagedRuleOutput, excluded_accounts: Collection[str]
) -> Finding:
    """As ``check_organization_rule``, for an organization managed rule: it runs the rule's identifier."""

    def runs_the_managed_rule(described: Mapping[str, Any]) -> str | None:
        runs = described.get("OrganizationManagedRuleMetadata", {}).get("RuleIdentifier")
        if runs == rule.identifier:
            return None
        return f"organization rule {rule.rule_name} runs {runs}, not the AWS managed rule {rule.identifier}"

    return _check_organization_rule(config, rule.rule_name, runs_the_managed_rule, excluded_accounts)


def _check_organization_rule(
    config: AwsClient,
    name: str,
    source_problem: Callable[[Mapping[str, Any]], str | None],
    excluded_accounts: Collection[str],
) -> Finding:
    try:
        found = config.describe_organization_config_rules(OrganizationConfigRuleNames=[name])[
            "OrganizationConfigRules"
        ]
    except AWS_CALL_ERRORS as error:
        if error_code(error) == "NoSuchOrganizationConfigRuleException":
            return Verdict.FAIL, f"organization rule {name} does not exist"
        raise
    if not found:
        return Verdict.FAIL, f"organization rule {name} does not exist"
    described = found[0]
    problem = source_problem(described) or _excluded_accounts_problem(
        "rule", name, described, excluded_accounts
    )
    if problem:
        return Verdict.FAIL, problem

    statuses = config.describe_organization_config_rule_statuses(OrganizationConfigRuleNames=[name])[
        "OrganizationConfigRuleStatuses"
    ]
    if not statuses:
        return Verdict.FAIL, f"organization rule {name} has no deployment status"
    overall = statuses[0]
    paginator = config.get_paginator("get_organization_config_rule_detailed_status")
    pages = paginator.paginate(OrganizationConfigRuleName=name, PaginationConfig={"PageSize": PAGE_SIZE})
    members = [member for page in pages for member in page["OrganizationConfigRuleDetailedStatus"]]
    return _deployment_finding(name, overall, members)


def _excluded_accounts_problem(
    resource: str, name: str, described: Mapping[str, Any], excluded_accounts: Collection[str]
) -> str | None:
    """What is wrong when the organization ``resource`` (a rule, a conformance pack) ``name``, as Config
    describes it, excludes other accounts than the stack's ``excludedAccounts``; None when it excludes
    the same."""
    deployed = set(described.get("ExcludedAccounts", []))
    if deployed == set(excluded_accounts):
        return None
    # The provider sends no ExcludedAccounts at all when its list is empty (terraform-provider-aws,
    # internal/service/configservice/organization_custom_rule.go, organization_managed_rule.go and
    # organization_conformance_pack.go, Update: only a non-empty set is sent; the program passes no list
    # for an empty one either), and the Config API Reference does not say whether
    # PutOrganizationConfigRule or PutOrganizationConformancePack then keeps or clears the list.
    remedy = (
        f": an empty list cannot be sent to an existing {resource}; remove the {resource} "
        "(pulumi destroy --target <its urn>) and run pulumi up to create it without exclusions"
        if not excluded_accounts
        else ""
    )
    return (
        f"organization {resource} {name} excludes {_listed(sorted(deployed))}, the stack's "
        f"excludedAccounts are {_listed(sorted(excluded_accounts))}{remedy}"
    )


def _deployment_finding(
    name: str, overall: Mapping[str, Any], members: Sequence[Mapping[str, Any]]
) -> Finding:
    status = overall.get("OrganizationRuleStatus", "unknown")
    by_status: dict[str, list[Mapping[str, Any]]] = {}
    for member in members:
        by_status.setdefault(member["MemberAccountRuleStatus"], []).append(member)
    deployed = sum(len(by_status.get(state, [])) for state in RULE_DEPLOYED)
    failed = [member for state in sorted(RULE_FAILED) for member in by_status.get(state, [])]
    in_progress = sum(len(by_status.get(state, [])) for state in RULE_IN_PROGRESS)
    counted = f"deployed in {deployed} of {len(members)} account(s)"
    if in_progress:
        counted += f", {in_progress} in progress"

    if failed:
        named = [
            f"{member['AccountId']} {member['MemberAccountRuleStatus']}{_error(member)}" for member in failed
        ]
        return Verdict.FAIL, (
            f"organization rule {name} is {status}: {counted}; failed in {len(failed)}: {_listed(named)}"
        )
    if status in RULE_FAILED or status.startswith("DELETE_"):
        return Verdict.FAIL, f"organization rule {name} is {status}{_error(overall)}: {counted}"
    if not members:
        return Verdict.FAIL, f"organization rule {name} is {status} but reports no account"
    return Verdict.PASS, f"organization rule {name} {status}: {counted}"


# OrganizationResourceDetailedStatus (Config API Reference; botocore's Config model): the statuses an
# organization conformance pack has overall and in each member account.
PACK_DEPLOYED = {"CREATE_SUCCESSFUL", "UPDATE_SUCCESSFUL"}
# DescribeOrganizationConformancePackStatuses may keep answering these to a delegated administrator after
# every member account finished (terraform-provider-aws, organization_conformance_pack.go,
# statusOrganizationConformancePack, which then reads the accounts' statuses instead).
PACK_MAY_STAY_IN_PROGRESS = {"CREATE_IN_PROGRESS", "UPDATE_IN_PROGRESS"}


def check_organization_conformance_pack(
    config: AwsClient, name: str, excluded_accounts: Collection[str]
) -> Finding:
    """The organization conformance pack excludes the stack's excluded accounts, is deployed, and in no
    member account did it fail.

    Its ``ExcludedAccounts`` come from DescribeOrganizationConformancePacks (Config API Reference,
    OrganizationConformancePack data type,
    https://docs.aws.amazon.com/config/latest/APIReference/API_OrganizationConformancePack.html).
    """
    missing = f"organization conformance pack {name} does not exist"
    try:
        described = config.describe_organization_conformance_packs(OrganizationConformancePackNames=[name])[
            "OrganizationConformancePacks"
        ]
    except AWS_CALL_ERRORS as error:
        if error_code(error) == "NoSuchOrganizationConformancePackException":
            return Verdict.FAIL, missing
        raise
    if not described:
        return Verdict.FAIL, missing
    problem = _excluded_accounts_problem("conformance pack", name, described[0], excluded_accounts)
    if problem:
        return Verdict.FAIL, problem

    statuses = config.describe_organization_conformance_pack_statuses(
        OrganizationConformancePackNames=[name]
    )["OrganizationConformancePackStatuses"]
    if not statuses:
        return Verdict.FAIL, missing
    status = statuses[0].get("Status", "unknown")
    paginator = config.get_paginator("get_organization_conformance_pack_detailed_status")
    members = [
        member
        for page in paginator.paginate(OrganizationConformancePackName=name)
        for member in page["OrganizationConformancePackDetailedStatuses"]
    ]
    failed = [m for m in members if m.get("Status") in RULE_FAILED]
    deployed = sum(1 for m in members if m.get("Status") in PACK_DEPLOYED)
    counted = f"deployed in {deployed} of {len(members)} account(s)"
    if failed:
        named = [f"{m['AccountId']} {m['Status']}{_error(m)}" for m in failed]
        return Verdict.FAIL, (
            f"organization conformance pack {name} is {status}: {counted}; "
            f"failed in {len(failed)}: {_listed(named)}"
        )
    if status in PACK_MAY_STAY_IN_PROGRESS and members and deployed == len(members):
        return (
            Verdict.PASS,
            f"organization conformance pack {name} {status}, done in every account: {counted}",
        )
    if status not in PACK_DEPLOYED:
        return (
            Verdict.FAIL,
            f"organization conformance pack {name} is {status}{_error(statuses[0])}: {counted}",
        )
    return Verdict.PASS, f"organization conformance pack {name} {status}: {counted}"


def check_stack_set(cloudformation: AwsClient, name: str, call_as: str) -> Finding:
    """No stack instance of the StackSet failed or drifted (as the last drift detection found)."""
    paginator = cloudformation.get_paginator("list_stack_instances")
    try:
        instances = [
            instance
            for page in paginator.paginate(
                StackSetName=name, CallAs=call_as, PaginationConfig={"PageSize": PAGE_SIZE}
            )
            for instance in page["Summaries"]
        ]
    except AWS_CALL_ERRORS as error:
        if error_code(error) == "StackSetNotFoundException":
            return Verdict.FAIL, f"StackSet {name} does not exist (CallAs {call_as})"
        raise
    if not instances:
        return Verdict.PASS, f"StackSet {name} has no stack instance (no account in the member OUs)"

    failed = [instance for instance in instances if _instance_status(instance) in INSTANCE_FAILED]
    drifted = [instance for instance in instances if instance.get("DriftStatus") == "DRIFTED"]
    problems: list[str] = []
    if failed:
        named = [
            f"{_where(instance)} {_instance_status(instance)}"
            + (f" ({instance['StatusReason']})" if instance.get("StatusReason") else "")
            for instance in failed
        ]
        problems.append(f"{len(failed)} of {len(instances)} instance(s) failed: {_listed(named)}")
    if drifted:
        problems.append(f"{len(drifted)} drifted: {_listed([_where(instance) for instance in drifted])}")
    if problems:
        return Verdict.FAIL, f"StackSet {name}: {'; '.join(problems)}"

    counts: dict[str, int] = {}
    for instance in instances:
        state = _instance_status(instance)
        counts[state] = counts.get(state, 0) + 1
    drift: dict[str, int] = {}
    for instance in instances:
        state = instance.get("DriftStatus", "NOT_CHECKED")
        drift[state] = drift.get(state, 0) + 1
    states = ", ".join(f"{count} {state}" for state, count in sorted(counts.items()))
    drift_states = ", ".join(f"{count} {state}" for state, count in sorted(drift.items()))
    return Verdict.PASS, f"StackSet {name}: {len(instances)} instance(s), {states}; drift: {drift_states}"


def check_member_accounts(
    organizations: AwsClient,
    member_units: Sequence[str],
    excluded_accounts: Collection[str],
    hub_account: str,
    stack: str | None = None,
) -> Finding:
    """Every account of the organization is in the member OUs or skipped by the organization rules (the
    hub evaluates its own copies)."""
    paginator = organizations.get_paginator("list_accounts")
    accounts = [account["Id"] for page in paginator.paginate() for account in page["Accounts"]]
    members: set[str] = set()
    for unit in member_units:
        members |= _descendant_accounts(organizations, unit)
    uncovered = sorted(set(accounts) - members - set(excluded_accounts) - {hub_account})
    if uncovered:
        command = f"pulumi up --stack {stack}" if stack else "pulumi up"
        return Verdict.FAIL, (
            f"{len(uncovered)} account(s) outside memberOrganizationalUnits get the organization rules but "
            f"no member baseline (they joined or moved after the last deployment): {_listed(uncovered)}; "
            f"run `{command}` again (the rules then skip them), or move them into a member OU"
        )
    inside = len(members & set(accounts))
    skipped = len(set(accounts) & set(excluded_accounts))
    return Verdict.PASS, (
        f"{len(accounts)} account(s) in the organization: {inside} in the member OUs, {skipped} skipped by "
        "the organization rules, none uncovered"
    )


def _descendant_accounts(organizations: AwsClient, parent: str) -> set[str]:
    """The accounts in ``parent`` and every OU below it."""
    accounts = {
        account["Id"]
        for page in organizations.get_paginator("list_accounts_for_parent").paginate(ParentId=parent)
        for account in page["Accounts"]
    }
    children = organizations.get_paginator("list_organizational_units_for_parent").paginate(ParentId=parent)
    for page in children:
        for unit in page["OrganizationalUnits"]:
            accounts |= _descendant_accounts(organizations, unit["Id"])
    return accounts


def _instance_status(instance: Mapping[str, Any]) -> str:
    """The detailed status; ``Status`` ``INOPERABLE`` wins, and an instance without one reports ``Status``."""
    if instance.get("Status") == "INOPERABLE":
        return "INOPERABLE"
    detailed = instance.get("StackInstanceStatus", {}).get("DetailedStatus")
    return str(detailed or instance.get("Status", "unknown"))


def _where(instance: Mapping[str, Any]) -> str:
    return f"{instance.get('Account')} {instance.get('Region')}"


def _error(status: Mapping[str, Any]) -> str:
    details = [str(status[key]) for key in ("ErrorCode", "ErrorMessage") if status.get(key)]
    return f" ({': '.join(details)})" if details else ""


def _listed(items: Sequence[str]) -> str:
    if not items:
        return "none"
    shown = "; ".join(items[:NAMED_AT_MOST])
    more = len(items) - NAMED_AT_MOST
    return f"{shown}; and {more} more" if more > 0 else shown
