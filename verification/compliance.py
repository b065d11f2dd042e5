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
   Each result carries the evaluation's ``Annotation`` (API reference, AggregateEvaluationResult).

Calls: 2 plus one per rule, account and region with results, plus one more per extra page.

Exceptions: the evaluators post a resource an exception applies to as COMPLIANT, its annotation starting
``EXCEPTION <id>`` (functions/evaluators/exceptions.py); the report counts it as excepted, not compliant.
An expired exception's resource is NON_COMPLIANT with an annotation naming the exception: a finding like
any other. Aggregate results carry only the resource type and id, so the annotation is the only place
that says an exception applied. The stack's list of exceptions (its outputs) is reviewed against the
report's date (verification/exception_review.py). Reading the COMPLIANT results costs no call: step 3
reads them already, for the compliant count.

In organization scope each account's copy of an organization rule is named ``OrgConfigRule-<organization
rule name>-<random suffix>`` (components/naming.py); results under such a name count for the check and
region whose organization rule it copies, in the account the aggregator names. The summary is then per
account as well.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from evaluators.exceptions import AnnotatedException, read_exception_annotation

from components.naming import ORGANIZATION_RULE_PREFIX
from verification.clients import ClientFactory
from verification.exception_review import ExceptionStatus, ReportScope, ReviewedException, review
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
class ResourceResult:
    """One resource's evaluation: a non-compliant one (a finding), or one an exception applied to."""

    recorded: datetime
    account_id: str
    region: str
    check: str
    rule_name: str
    resource_type: str
    resource_id: str
    annotation: str
    # The exception its annotation names: the one applied (excepted), or one that expired (a finding).
    exception: AnnotatedException | None = None


@dataclass
class Counts:
    """Compliant counts only resources no exception applied to; excepted ones are COMPLIANT in Config."""

    compliant: int = 0
    non_compliant: int = 0
    excepted: int = 0


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
    findings: tuple[ResourceResult, ...]
    # Aggregator sources that are not SUCCEEDED: the report may lack or lag their data.
    warnings: tuple[str, ...] = ()
    # Whether a source FAILED (the report is incomplete, not only late).
    incomplete: bool = False
    # The accounts with results, or the filtered ones.
    accounts: tuple[str, ...] = ()
    # "organization": the summary is per account too.
    scope: str = "account"
    # Resources an exception applied to, newest first.
    excepted: tuple[ResourceResult, ...] = ()
    # The stack's listed exceptions the report covers, with their status on the report's date.
    exceptions: tuple[ReviewedException, ...] = ()

    def exceptions_with(self, status: ExceptionStatus) -> tuple[ReviewedException, ...]:
        return tuple(reviewed for reviewed in self.exceptions if reviewed.status == status)

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
            cell.excepted += counts.excepted
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
    findings: list[ResourceResult] = []
    excepted: list[ResourceResult] = []
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
                _count(cell, result, check, filters.resource_types, findings, excepted)
        if progress is not None:
            progress(done, len(listed))

    findings.sort(key=lambda finding: finding.recorded, reverse=True)
    excepted.sort(key=lambda resource: resource.recorded, reverse=True)
    scope = ReportScope(
        stack_regions=outputs.regions,
        checks=checks,
        regions=regions,
        accounts=filters.accounts,
        resource_types=filters.resource_types,
        by_account=outputs.organization is not None,
    )
    named = {resource.exception.id for resource in (*findings, *excepted) if resource.exception is not None}
    excepting = Counter(resource.exception.id for resource in excepted if resource.exception is not None)
    today = now.astimezone(UTC).date()
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
        excepted=tuple(excepted),
        exceptions=review(outputs.exceptions, today, scope, named, excepting),
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
    cell: Counts,
    result: Mapping[str, Any],
    check: str,
    resource_types: Collection[str],
    findings: list[ResourceResult],
    excepted: list[ResourceResult],
) -> None:
    """Counts one result, and adds it to ``findings`` (non-compliant) or ``excepted``."""
    qualifier = result["EvaluationResultIdentifier"]["EvaluationResultQualifier"]
    if resource_types and qualifier.get("ResourceType") not in resource_types:
        return
    compliance = result.get("ComplianceType")
    annotation = result.get("Annotation", "")
    exception = read_exception_annotation(annotation) if annotation else None
    if compliance == "COMPLIANT" and (exception is None or exception.expired):
        cell.compliant += 1
        return
    if compliance == "COMPLIANT":
        cell.excepted += 1
        into = excepted
    elif compliance == "NON_COMPLIANT":
        cell.non_compliant += 1
        into = findings
    else:
        return
    resource = ResourceResult(
        recorded=result["ResultRecordedTime"],
        account_id=result["AccountId"],
        region=result["AwsRegion"],
        check=check,
        rule_name=qualifier["ConfigRuleName"],
        resource_type=qualifier.get("ResourceType", ""),
        resource_id=qualifier.get("ResourceId", ""),
        annotation=annotation,
        exception=exception,
    )
    into.append(resource)


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
