"""The handler: count each managed rule's NON_COMPLIANT resources per region, write them as metrics.

The rules come from ``rules.json`` in the function's archive (components/managed_rule_summary.py writes
it; many rules would outgrow the 4 KB of Lambda environment variables): the aggregator's name and, per
rule and region, the ``Check`` value and how the aggregator names the rule (the rule's own name, or in
organization scope the start of each account's copy, ``OrgConfigRule-<name>-<random suffix>``).

Calls, in the primary region (the aggregator's, Config API Reference):

1. ``DescribeAggregateComplianceByConfigRules``, unfiltered (paged, up to 1,000 rows a page): one row per
   rule, account and region that has compliance results ("Does not display rules that do not have
   compliance results"), with its ``ComplianceType``. A NON_COMPLIANT row's ``ComplianceContributorCount``
   is the number of resources that make it NON_COMPLIANT "up to a maximum number", ``CapExceeded`` saying
   the maximum was reached (ComplianceSummary: 100 for resources).
2. Only for a NON_COMPLIANT row whose count is capped (or missing):
   ``GetAggregateComplianceDetailsByConfigRule`` for that rule, account and region with ``ComplianceType:
   NON_COMPLIANT`` (paged, at most 100 a page), and its results are counted.

A rule and region with rows but none NON_COMPLIANT is written as 0. One with no row at all has no result
in the aggregator (not evaluated yet, nothing in its scope, or a source the aggregator has not collected):
nothing is known of it, so nothing is written (a gap in its graph, not a made-up 0) and the run names it in
its log and its result; it is not a failure, since a rule with nothing in scope stays so. A failed listing
writes nothing; a failed count leaves that rule and region out, the others are written, and the run then
fails naming what it could not count, so the function's errors alarm goes off
(components/managed_rule_summary.py).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from evaluators import metrics
from evaluators.aws import AwsClient, client
from evaluators.errors import EvaluationIncompleteError
from evaluators.inventory import error_reason, pages

from managed_summary import DOCUMENT_NAME

DOCUMENT_PATH = Path(__file__).with_name(DOCUMENT_NAME)
# Config API Reference: DescribeAggregateComplianceByConfigRules Limit 0-1000,
# GetAggregateComplianceDetailsByConfigRule Limit at most 100.
DESCRIBE_PAGE_SIZE = 1000
DETAILS_PAGE_SIZE = 100
NON_COMPLIANT = "NON_COMPLIANT"

logger = logging.getLogger("managed_summary")
logger.setLevel(logging.INFO)


@dataclass(frozen=True)
class SummarizedRule:
    """One managed rule in one region: ``name`` is its exact name, or with ``is_prefix`` the start of the
    name of each account's copy."""

    check: str
    region: str
    name: str
    is_prefix: bool = False

    def matches(self, rule_name: str, region: str) -> bool:
        if region != self.region:
            return False
        return rule_name.startswith(self.name) if self.is_prefix else rule_name == self.name


@dataclass(frozen=True)
class Summary:
    aggregator: str
    rules: tuple[SummarizedRule, ...]


def read_summary(document: Mapping[str, Any]) -> Summary:
    return Summary(
        aggregator=str(document["aggregator"]),
        rules=tuple(
            SummarizedRule(str(r["check"]), str(r["region"]), str(r["name"]), bool(r.get("isPrefix", False)))
            for r in document["rules"]
        ),
    )


def _rule_of(rules: Iterable[SummarizedRule], row: Mapping[str, Any]) -> SummarizedRule | None:
    return next((rule for rule in rules if rule.matches(row["ConfigRuleName"], row["AwsRegion"])), None)


def _capped_count(row: Mapping[str, Any]) -> int | None:
    """The row's count of NON_COMPLIANT resources when it is exact (below the cap), else None."""
    contributors = row.get("Compliance", {}).get("ComplianceContributorCount")
    if not contributors or contributors.get("CapExceeded", True) or "CappedCount" not in contributors:
        return None
    return int(contributors["CappedCount"])


def _counted(config: AwsClient, aggregator: str, row: Mapping[str, Any]) -> int:
    results = pages(
        config,
        "get_aggregate_compliance_details_by_config_rule",
        DETAILS_PAGE_SIZE,
        ConfigurationAggregatorName=aggregator,
        ConfigRuleName=row["ConfigRuleName"],
        AccountId=row["AccountId"],
        AwsRegion=row["AwsRegion"],
        ComplianceType=NON_COMPLIANT,
    )
    return sum(len(page.get("AggregateEvaluationResults", [])) for page in results)


@dataclass(frozen=True)
class Counts:
    """What one run learned: NON_COMPLIANT resources by (check, region), every account summed; what could not
    be counted (a failed call); and the rules and regions the aggregator holds no result for."""

    non_compliant: dict[tuple[str, str], int]
    failures: list[str]
    without_results: list[str]


def count_non_compliant(config: AwsClient, summary: Summary) -> Counts:
    """A failed listing raises (nothing is known); a failed count drops that rule and region."""
    rows = [
        row
        for page in pages(
            config,
            "describe_aggregate_compliance_by_config_rules",
            DESCRIBE_PAGE_SIZE,
            ConfigurationAggregatorName=summary.aggregator,
        )
        for row in page.get("AggregateComplianceByConfigRules", [])
    ]
    counts: dict[tuple[str, str], int] = {}
    failures: dict[tuple[str, str], str] = {}
    for row in rows:
        rule = _rule_of(summary.rules, row)
        if rule is None:
            continue
        key = (rule.check, rule.region)
        counts.setdefault(key, 0)
        if row.get("Compliance", {}).get("ComplianceType") != NON_COMPLIANT:
            continue
        count = _capped_count(row)
        if count is None:
            try:
                count = _counted(config, summary.aggregator, row)
            except (ClientError, BotoCoreError) as error:
                failures[key] = (
                    f"{rule.check} in {rule.region} (account {row['AccountId']}): {error_reason(error)}"
                )
                continue
        counts[key] += count
    for key in failures:
        counts.pop(key)
    without_results = [
        f"{rule.check} in {rule.region}"
        for rule in summary.rules
        if (rule.check, rule.region) not in counts and (rule.check, rule.region) not in failures
    ]
    return Counts(counts, list(failures.values()), without_results)


def summary_records(counts: Mapping[tuple[str, str], int], timestamp_ms: int) -> list[dict[str, Any]]:
    return [
        metrics.managed_rule_record(check, region, count, timestamp_ms)
        for (check, region), count in sorted(counts.items())
    ]


def handler(event: Any, context: Any = None) -> dict[str, Any]:
    """Invoked by the schedule; the event carries nothing the summary needs."""
    summary = read_summary(json.loads(DOCUMENT_PATH.read_text(encoding="utf-8")))
    counted = count_non_compliant(client("config"), summary)
    metrics.write(summary_records(counted.non_compliant, int(time.time() * 1000)))
    logger.info(
        "wrote %d managed rule count(s): %s",
        len(counted.non_compliant),
        dict(sorted(counted.non_compliant.items())),
    )
    if counted.without_results:
        logger.info("no result in the aggregator, nothing written: %s", "; ".join(counted.without_results))
    if counted.failures:
        raise EvaluationIncompleteError(
            "managed rules whose NON_COMPLIANT resources were not counted", counted.failures
        )
    return {"counted": len(counted.non_compliant), "withoutResults": counted.without_results}
