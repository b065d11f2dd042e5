"""Compliance of the stack's rules, read from its aggregator in the primary region.

Calls, in the aggregator's region:

1. ``DescribeConfigurationAggregatorSourcesStatus`` (paged): a source that is not ``SUCCEEDED`` makes
   the report incomplete. The API reference (AggregatedSourceStatus) says ``FAILED`` means errors
   while moving data and ``OUTDATED`` that the data is not the most recent.
2. ``DescribeAggregateComplianceByConfigRules`` (paged, up to 1000 per page): which of the stack's
   rules have results, in which account and region. Rules without results are not listed (API
   reference), so a rule the stack deployed but Config never evaluated shows as "no results".
3. ``GetAggregateComplianceDetailsByConfigRule`` per listed rule, account and region (paged, at most
   100 per page): the evaluation results. Without a ``ComplianceType`` it returns both compliant and
   non-compliant results; the API accepts only ``COMPLIANT`` and ``NON_COMPLIANT`` as that filter.

Calls: 2 plus one per rule, account and region with results, plus one more per extra page.

In organization scope each account's copy of an organization rule is named ``OrgConfigRule-<organization
rule name>-<random suffix>`` (components/naming.py); results under such a name count for the check and
region whose organization rule it copies, in the account the aggregator names. The summary is then per
account as well.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

from components.naming import ORGANIZATION_RULE_PREFIX
from verification.clients import ClientFactory
from verification.outputs import StackOutputs

DETAILS_PAGE_SIZE = 100


@dataclass(frozen=True)
class Filters:
    """Empty means everything; each given value has been checked against the stack's outputs."""

    regions: tuple[str, ...] = ()
    checks: tuple[str, ...] = ()
    resource_types: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, list[str]]:
        return {
            "regions": list(self.regions),
            "checks": list(self.checks),
            "resourceTypes": list(self.resource_types),
            "accounts": list(self.accounts),
        }


@dataclass(frozen=True)
class NonCompliantResource:
    recorded: datetime
    account_id: str
    region: str
    check: str
    rule_name: str
    resource_type: str
    resource_id: str
    annotation: str


@dataclass
class Counts:
    compliant: int = 0
    non_compliant: int = 0


@dataclass(frozen=True)
class ComplianceReport:
    aggregator: str
    generated: datetime
    checks: tuple[str, ...]
    regions: tuple[str, ...]
    filters: Filters
    # Per (account, check, region); a key is absent when the rule has no results there yet.
    account_counts: Mapping[tuple[str, str, str], Counts]
    # Newest first.
    findings: tuple[NonCompliantResource, ...]
    # Aggregator sources that are not SUCCEEDED: the report may lack or lag their data.
    warnings: tuple[str, ...] = ()
    # Whether a source FAILED (the report is incomplete, not only late).
    incomplete: bool = False
    # The accounts with results, or the filtered ones.
    accounts: tuple[str, ...] = ()
    # "organization": the summary is per account too.
    scope: str = "account"

    @property
    def by_account(self) -> bool:
        return self.scope == "organization"

    @cached_property
    def counts(self) -> dict[tuple[str, str], Counts]:
        """Per (check, region), summed over accounts; a pair is absent when its rule has no results yet."""
        summed: dict[tuple[str, str], Counts] = {}
        for (_, check, region), counts in self.account_counts.items():
            cell = summed.setdefault((check, region), Counts())
            cell.compliant += counts.compliant
            cell.non_compliant += counts.non_compliant
        return summed


# Called after each rule's details are read, with the number done and the total.
ProgressCallback = Callable[[int, int], None]


def collect(
    outputs: StackOutputs,
    clients: ClientFactory,
    filters: Filters,
    now: datetime,
    progress: ProgressCallback | None = None,
) -> ComplianceReport:
    """Reads the aggregator; AWS errors propagate (the caller reports them: the report cannot be made)."""
    config = clients("config", outputs.primary_region)
    regions = filters.regions or outputs.regions
    checks = filters.checks or tuple(rule.check for rule in outputs.rules[outputs.primary_region])
    check_of = _rule_matcher(outputs, regions, checks)
    warnings, incomplete = _source_warnings(config, outputs.aggregator_name, regions, filters.accounts)

    describe = config.get_paginator("describe_aggregate_compliance_by_config_rules")
    # One region or account filtered: let the aggregator filter too (the API takes one of each per call).
    aggregator_filter = {"AwsRegion": regions[0]} if len(regions) == 1 else {}
    if len(filters.accounts) == 1:
        aggregator_filter["AccountId"] = filters.accounts[0]
    listing = {"Filters": aggregator_filter} if aggregator_filter else {}
    listed = {
        (row["ConfigRuleName"], row["AccountId"], row["AwsRegion"]): check
        for page in describe.paginate(ConfigurationAggregatorName=outputs.aggregator_name, **listing)
        for row in page["AggregateComplianceByConfigRules"]
        if not filters.accounts or row["AccountId"] in filters.accounts
        for check in [check_of(row["ConfigRuleName"], row["AwsRegion"])]
        if check is not None
    }

    counts: dict[tuple[str, str, str], Counts] = {}
    findings: list[NonCompliantResource] = []
    details = config.get_paginator("get_aggregate_compliance_details_by_config_rule")
    for done, ((rule_name, account, region), check) in enumerate(sorted(listed.items()), start=1):
        cell = counts.setdefault((account, check, region), Counts())
        pages = details.paginate(
            ConfigurationAggregatorName=outputs.aggregator_name,
            ConfigRuleName=rule_name,
            AccountId=account,
            AwsRegion=region,
            PaginationConfig={"PageSize": DETAILS_PAGE_SIZE},
        )
        for page in pages:
            for result in page["AggregateEvaluationResults"]:
                finding = _count(cell, result, check, filters.resource_types)
                if finding is not None:
                    findings.append(finding)
        if progress is not None:
            progress(done, len(listed))

    findings.sort(key=lambda finding: finding.recorded, reverse=True)
    return ComplianceReport(
        aggregator=outputs.aggregator_name,
        generated=now,
        checks=checks,
        regions=regions,
        filters=filters,
        account_counts=counts,
        findings=tuple(findings),
        warnings=tuple(warnings),
        incomplete=incomplete,
        accounts=filters.accounts or tuple(sorted({account for _, account, _ in listed})),
        scope=outputs.scope,
    )


def _rule_matcher(
    outputs: StackOutputs, regions: Collection[str], checks: Collection[str]
) -> Callable[[str, str], str | None]:
    """The check a rule name the aggregator lists in a region belongs to, or None (not the stack's)."""
    if outputs.organization is None:
        by_name = {
            (rule.rule_name, region): rule.check
            for region in regions
            for rule in outputs.rules[region]
            if rule.check in checks
        }
        return lambda name, region: by_name.get((name, region))

    # Each account's copy: the organization rule's name, a hyphen, Config's random suffix. Rule names
    # end in their region, so the hyphen also keeps another region's or another stack's rule out.
    prefixes = {
        region: [
            (f"{ORGANIZATION_RULE_PREFIX}{rule.rule_name}-", rule.check)
            for rule in outputs.rules[region]
            if rule.check in checks
        ]
        for region in regions
    }

    def copied_check(name: str, region: str) -> str | None:
        return next((check for prefix, check in prefixes.get(region, []) if name.startswith(prefix)), None)

    return copied_check


def _count(
    cell: Counts, result: Mapping[str, Any], check: str, resource_types: Collection[str]
) -> NonCompliantResource | None:
    qualifier = result["EvaluationResultIdentifier"]["EvaluationResultQualifier"]
    if resource_types and qualifier.get("ResourceType") not in resource_types:
        return None
    compliance = result.get("ComplianceType")
    if compliance == "COMPLIANT":
        cell.compliant += 1
    if compliance != "NON_COMPLIANT":
        return None
    cell.non_compliant += 1
    return NonCompliantResource(
        recorded=result["ResultRecordedTime"],
        account_id=result["AccountId"],
        region=result["AwsRegion"],
        check=check,
        rule_name=qualifier["ConfigRuleName"],
        resource_type=qualifier.get("ResourceType", ""),
        resource_id=qualifier.get("ResourceId", ""),
        annotation=result.get("Annotation", ""),
    )


def _source_warnings(
    config: Any, aggregator: str, regions: tuple[str, ...], accounts: tuple[str, ...]
) -> tuple[list[str], bool]:
    """Sources of the report's regions (and accounts, when filtered) that are not SUCCEEDED."""
    paginator = config.get_paginator("describe_configuration_aggregator_sources_status")
    statuses = [
        status
        for page in paginator.paginate(ConfigurationAggregatorName=aggregator)
        for status in page["AggregatedSourceStatusList"]
        if status.get("AwsRegion") in regions
        and (not accounts or status.get("SourceType") != "ACCOUNT" or status.get("SourceId") in accounts)
    ]
    warnings: list[str] = []
    for status in statuses:
        state = status.get("LastUpdateStatus")
        if state == "SUCCEEDED":
            continue
        error = ": ".join(str(status[key]) for key in ("LastErrorCode", "LastErrorMessage") if key in status)
        consequence = "its results may be missing" if state == "FAILED" else "its results may be out of date"
        warnings.append(
            f"aggregator source {status.get('SourceId')} {status.get('AwsRegion')} is {state}"
            + (f" ({error})" if error else "")
            + f": {consequence}"
        )
    reported = {status.get("AwsRegion") for status in statuses}
    silent = [region for region in regions if region not in reported]
    warnings += [
        f"aggregator has no source status for {region}: its results may be missing" for region in silent
    ]
    failed = any(status.get("LastUpdateStatus") == "FAILED" for status in statuses) or bool(silent)
    return warnings, failed
