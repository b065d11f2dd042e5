"""The accounts the organization rules skip, so that they evaluate exactly the accounts given the baseline.

Organization rules cannot be scoped to OUs: they reach every account of the organization except their
``ExcludedAccounts``, at most 1,000 ids (Config API Reference, PutOrganizationConfigRule). The member
StackSets reach the accounts of ``memberOrganizationalUnits`` and of every OU below them (CloudFormation API
Reference, DeploymentTargets.OrganizationalUnitIds: "CloudFormation will perform operations on accounts
within these OUs and their child OUs"), never the management account (same page). So the rules skip, at each
deployment, every account outside the member OUs, the ``excludedAccounts``, and (from a delegated
administrator) the management account; the hub keeps its copies, which its own roles evaluate.

The account lists come from AWS Organizations at deploy time (the program reads them with the hub's
provider); this module is only the arithmetic and its refusals, so it can be tested without AWS.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import combinations

import pulumi

from components.settings import MAX_EXCLUDED_ACCOUNTS


class RuleScopeError(pulumi.RunError):
    """The organization cannot be covered as the settings ask; the engine prints the message alone."""


def rule_excluded_accounts(
    organization_accounts: Sequence[str],
    unit_accounts: Mapping[str, Sequence[str]],
    excluded_accounts: Sequence[str],
    hub_account: str,
    management_account: str | None,
) -> list[str]:
    """The accounts the organization rules must skip, sorted (a stable list diffs only when it changes).

    ``unit_accounts`` maps each member OU to every account below it; ``management_account`` is set when the
    hub is a delegated administrator (a management-account hub is itself the management account).
    """
    _refuse_overlapping_units(unit_accounts)
    members = {account for accounts in unit_accounts.values() for account in accounts}
    outside = set(organization_accounts) - members - {hub_account}
    skipped = outside | set(excluded_accounts) | ({management_account} if management_account else set())
    if len(skipped) > MAX_EXCLUDED_ACCOUNTS:
        raise RuleScopeError(
            f"the organization rules would have to exclude {len(skipped)} accounts ({len(outside)} outside "
            f"memberOrganizationalUnits), more than the {MAX_EXCLUDED_ACCOUNTS:,} that "
            "PutOrganizationConfigRule's ExcludedAccounts takes: list OUs that hold more of the organization "
            "(the root id r-... holds every account) or fewer excludedAccounts"
        )
    return sorted(skipped)


def _refuse_overlapping_units(unit_accounts: Mapping[str, Sequence[str]]) -> None:
    """Two member OUs that share an account are nested (an account has one parent). Each OU has its own
    stack instances, and deleting one OU's instances deletes the stacks of every account below it (the
    provider deletes with the instance's DeploymentTargets), so removing the inner OU from the settings
    would delete stacks the outer one still needs."""
    nested = [
        f"{first} and {second}"
        for (first, accounts), (second, others) in combinations(unit_accounts.items(), 2)
        if set(accounts) & set(others)
    ]
    if nested:
        raise RuleScopeError(
            f"memberOrganizationalUnits lists OUs that contain one another ({'; '.join(nested)} share "
            "accounts): list only the outer OU, which already covers every OU below it"
        )
