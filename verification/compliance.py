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

The stack's rules are its custom checks (``rules`` in the outputs), its AWS managed rules
(``managedRules``: their names are in the outputs) and the rules of its conformance packs
(``conformancePacks``). Config renames a pack's rules, so they are found through the APIs that name
them, in each region with packs (account scope):

4. ``DescribeConformancePackCompliance`` per pack (paged): the names of the pack's rules.
5. ``DescribeConfigRules`` per 25 of those names (the API's maximum): each rule's source (the AWS
   managed rule identifier) and ``CreatedBy``, the service principal of the service that created a
   service-linked rule (Config API Reference, ConfigRule), ``config-conforms.amazonaws.com`` for packs.

In organization scope each account's copy of an organization rule is named ``OrgConfigRule-<organization
rule name>-<random suffix>`` (components/naming.py); results under such a name count for the check and
region whose organization rule it copies, in the account the aggregator names. The summary is then per
account as well.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from evaluators.exceptions import AnnotatedException, read_exception_annotation
from evaluators.metrics import managed_rule_check

from components.catalog import CHECKS
from components.naming import ORGANIZATION_RULE_PREFIX
from verification.clients import ClientFactory
from verification.exception_review import ExceptionStatus, ReportScope, ReviewedException, review
from verification.outputs import StackOutputs

DETAILS_PAGE_SIZE = 100
# Config API Reference, DescribeConfigRules: ConfigRuleNames holds at most 25 names.
RULES_PER_DESCRIBE = 25
# The service principal of conformance packs (the path of their service-linked role names it).
CONFORMS_SERVICE = "config-conforms.amazonaws.com"

CUSTOM = "custom"
MANAGED = "managed"
PACK = "pack"


@dataclass(frozen=True)
class RuleSource:
    """What a row of the report is: a custom check, an AWS managed rule or a rule of a conformance pack.

    ``identifiers``: the AWS managed rule identifier(s) the rule runs, or, for a custom check, those the
    catalogue states it is equivalent to (this project's claim, components/catalog.py).
    """

    kind: str
    label: str
    identifiers: tuple[str, ...]
    # The pack a pack rule belongs to.
    pack: str = ""


def check_source(check: str) -> RuleSource:
    equivalents = next((c.equivalent_managed_rules for c in CHECKS if c.name == check), ())
    return RuleSource(CUSTOM, check, tuple(equivalents))


def managed_label(name: str) -> str:
    """The row of a managed rule: the ``Check`` value of its metrics on the dashboard too."""
    return managed_rule_check(name)


def pack_label(pack: str, identifier: str) -> str:
    return f"pack:{pack}:{identifier}"


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


# An evaluation the report counts as excepted: COMPLIANT in Config, with an active exception's annotation.
EXCEPTED = "EXCEPTED"


@dataclass(frozen=True)
class EvaluatedResource:
    """One rule's verdict on one resource (COMPLIANT, NON_COMPLIANT or EXCEPTED), for the per-control
    view."""

    source: str
    account_id: str
    region: str
    resource_type: str
    resource_id: str
    compliance: str


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
    # What each of ``checks`` (the rows: custom checks, managed rules, pack rules) is.
    sources: Mapping[str, RuleSource] = field(default_factory=dict)
    # Every COMPLIANT and NON_COMPLIANT result read, per rule and resource.
    evaluated: tuple[EvaluatedResource, ...] = ()
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
    rule_names = _stack_rule_names(outputs, regions, filters.checks)
    pack_rules, pack_warnings = ({}, []) if filters.checks else _pack_rules(outputs, clients, regions)
    sources = {source.label: source for source, _ in [*rule_names.values(), *pack_rules.values()]}
    check_of = _rule_matcher(rule_names, pack_rules)
    warnings, incomplete = _source_warnings(config, outputs.aggregator_name, regions, filters.accounts)
    warnings = [*pack_warnings, *warnings]

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
    evaluated: list[EvaluatedResource] = []
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
                _count(cell, result, check, filters.resource_types, findings, excepted, evaluated)
        if progress is not None:
            progress(done, len(listed))

    findings.sort(key=lambda finding: finding.recorded, reverse=True)
    excepted.sort(key=lambda resource: resource.recorded, reverse=True)
    scope = ReportScope(
        stack_regions=outputs.regions,
        # Exceptions apply to the custom checks only (managed rules run no code of ours).
        checks=tuple(check.name for check in CHECKS if check.name in sources),
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
        checks=tuple(sources),
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
        sources=sources,
        evaluated=tuple(evaluated),
    )


# A rule's name in a region -> what it is, and whether the name is the rule's own (account scope) or the
# start of each account's copy (organization rules: ``OrgConfigRule-<name>-<random suffix>``).
RuleNames = dict[tuple[str, str], tuple[RuleSource, bool]]


def _stack_rule_names(outputs: StackOutputs, regions: Collection[str], checks: Collection[str]) -> RuleNames:
    """The custom checks' and managed rules' names per region, from the outputs (``checks``: only those)."""
    copied = outputs.organization is not None
    names: RuleNames = {}
    for region in regions:
        for rule in outputs.rules[region]:
            if not checks or rule.check in checks:
                names[(rule.rule_name, region)] = (check_source(rule.check), copied)
        for managed in outputs.managed_rules.get(region, ()):
            if not checks or managed.name in checks:
                source = RuleSource(MANAGED, managed_label(managed.name), (managed.identifier,))
                names[(managed.rule_name, region)] = (source, copied)
    return names


def _pack_rules(
    outputs: StackOutputs, clients: ClientFactory, regions: Collection[str]
) -> tuple[RuleNames, list[str]]:
    """The rules of the stack's conformance packs, by the names Config gave them (module docstring)."""
    if outputs.organization is not None:
        packs = sorted({pack for region in regions for pack in outputs.conformance_packs.get(region, ())})
        if not packs:
            return {}, []
        return {}, [
            f"organization conformance packs {', '.join(packs)}: their rules in each account are not in this "
            "report (no API of the hub account names them); see each pack in the aggregator's console"
        ]
    names: RuleNames = {}
    warnings = []
    for region in regions:
        config = clients("config", region)
        for pack in outputs.conformance_packs.get(region, ()):
            listing = config.get_paginator("describe_conformance_pack_compliance")
            in_pack = [
                row["ConfigRuleName"]
                for page in listing.paginate(ConformancePackName=pack)
                for row in page["ConformancePackRuleComplianceList"]
            ]
            labels: list[str] = []
            for start in range(0, len(in_pack), RULES_PER_DESCRIBE):
                chunk = in_pack[start : start + RULES_PER_DESCRIBE]
                for rule in config.describe_config_rules(ConfigRuleNames=chunk)["ConfigRules"]:
                    if rule.get("CreatedBy") != CONFORMS_SERVICE:
                        warnings.append(
                            f"rule {rule['ConfigRuleName']} of pack {pack} in {region} was not created by "
                            f"{CONFORMS_SERVICE} (CreatedBy {rule.get('CreatedBy')!r}): left out"
                        )
                        continue
                    owner, identifier = rule["Source"]["Owner"], rule["Source"]["SourceIdentifier"]
                    shown = identifier if owner == "AWS" else rule["ConfigRuleName"]
                    # Two rules of one pack may run the same managed rule: number the second.
                    label = pack_label(pack, shown)
                    label += f"#{labels.count(label) + 1}" if label in labels else ""
                    labels.append(pack_label(pack, shown))
                    identifiers = (identifier,) if owner == "AWS" else ()
                    names[(rule["ConfigRuleName"], region)] = (
                        RuleSource(PACK, label, identifiers, pack),
                        False,
                    )
    return names, warnings


def _rule_matcher(rule_names: RuleNames, pack_rules: RuleNames) -> Callable[[str, str], str | None]:
    """The row a rule name the aggregator lists in a region belongs to, or None (not the stack's)."""
    exact = {
        key: source.label for key, (source, copied) in {**rule_names, **pack_rules}.items() if not copied
    }
    # Each account's copy: the organization rule's name, a hyphen, Config's random suffix. Rule names end in
    # their region or their own name, so the hyphen keeps another region's or another stack's rule out.
    prefixes: dict[str, list[tuple[str, str]]] = {}
    for (name, region), (source, copied) in rule_names.items():
        if copied:
            prefixes.setdefault(region, []).append((f"{ORGANIZATION_RULE_PREFIX}{name}-", source.label))
    # Managed rule names may hold hyphens (s3-versioning, s3-versioning-2): the longest prefix is the rule's.
    for candidates in prefixes.values():
        candidates.sort(key=lambda candidate: len(candidate[0]), reverse=True)

    def label_of(name: str, region: str) -> str | None:
        if (name, region) in exact:
            return exact[(name, region)]
        return next((label for prefix, label in prefixes.get(region, []) if name.startswith(prefix)), None)

    return label_of


def _count(
    cell: Counts,
    result: Mapping[str, Any],
    check: str,
    resource_types: Collection[str],
    findings: list[ResourceResult],
    excepted: list[ResourceResult],
    evaluated: list[EvaluatedResource],
) -> None:
    """Counts one result, adds it to ``findings`` (non-compliant) or ``excepted``, and to ``evaluated``
    (every COMPLIANT and NON_COMPLIANT result, excepted ones as EXCEPTED, for the per-control view)."""
    qualifier = result["EvaluationResultIdentifier"]["EvaluationResultQualifier"]
    if resource_types and qualifier.get("ResourceType") not in resource_types:
        return
    compliance = result.get("ComplianceType")
    annotation = result.get("Annotation", "")
    exception = read_exception_annotation(annotation) if annotation else None
    is_excepted = compliance == "COMPLIANT" and exception is not None and not exception.expired
    if compliance in ("COMPLIANT", "NON_COMPLIANT"):
        evaluated.append(
            EvaluatedResource(
                source=check,
                account_id=result["AccountId"],
                region=result["AwsRegion"],
                resource_type=qualifier.get("ResourceType", ""),
                resource_id=qualifier.get("ResourceId", ""),
                compliance=EXCEPTED if is_excepted else compliance,
            )
        )
    if compliance == "COMPLIANT" and not is_excepted:
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
