"""Compliance metrics of a periodic sweep, as CloudWatch Embedded Metric Format (EMF) log records.

Lambda sends stdout to the function's log group, and CloudWatch Logs extracts the metrics from each
record, so publishing them costs no API call. Record shape, from the specification
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html):
a JSON object on one line whose ``_aws`` member holds ``Timestamp`` (milliseconds since the epoch) and
``CloudWatchMetrics``, a list of directives each naming a ``Namespace``, its ``Dimensions`` (a list of
dimension sets, each a list of member names) and its ``Metrics`` (``Name`` and ``Unit``); every name a
directive references is a member of the record's root, dimensions as strings, metrics as numbers.

Per sweep: one record per resource type listed (dimensions Check and ResourceType) and one summary
(dimension Check) that adds ResourcesEvaluated and SweepDuration. Each record counts the results by
compliance type and, apart, the excepted ones (posted COMPLIANT under an active exception, counted in
Compliant too). Metrics are regional: each region's functions write their region's. Change events write
none, so nothing is counted twice.

AWS managed rules run no code of ours: the managed-rule summary (functions/managed_summary) reads their
results from the aggregator in the primary region and writes, per rule and region that has results, one
record with the same ``NonCompliant`` metric and ``Check`` dimension (``managed:<name>``), plus a
``Region`` dimension, since every region's count lands in the primary region's CloudWatch.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any, TextIO

from evaluators.exceptions import read_exception_annotation
from evaluators.verdicts import Compliance, Evaluation

NAMESPACE = "ConfigCompliance"
COUNT_METRICS = {
    Compliance.COMPLIANT: "Compliant",
    Compliance.NON_COMPLIANT: "NonCompliant",
    Compliance.NOT_APPLICABLE: "NotApplicable",
}
EXCEPTED_METRIC = "Excepted"
NON_COMPLIANT_METRIC = COUNT_METRICS[Compliance.NON_COMPLIANT]
# The dimension that names the source region of a managed rule's count (see the module docstring).
REGION_DIMENSION = "Region"


def _record(
    timestamp_ms: int, dimensions: dict[str, str], metrics: dict[str, tuple[float, str]]
) -> dict[str, Any]:
    directive = {
        "Namespace": NAMESPACE,
        "Dimensions": [list(dimensions)],
        "Metrics": [{"Name": name, "Unit": unit} for name, (_, unit) in metrics.items()],
    }
    return {
        "_aws": {"Timestamp": timestamp_ms, "CloudWatchMetrics": [directive]},
        **dimensions,
        **{name: value for name, (value, _) in metrics.items()},
    }


def is_excepted(evaluation: Evaluation) -> bool:
    """Posted COMPLIANT because an active exception covers a finding (the annotation names it); an expired
    exception leaves the result NON_COMPLIANT."""
    is_compliant = evaluation.compliance is Compliance.COMPLIANT
    return is_compliant and read_exception_annotation(evaluation.annotation) is not None


def _counts(evaluations: Iterable[Evaluation]) -> dict[str, tuple[float, str]]:
    listed = list(evaluations)
    counted = Counter(e.compliance for e in listed)
    counts: dict[str, tuple[float, str]] = {
        name: (counted[compliance], "Count") for compliance, name in COUNT_METRICS.items()
    }
    counts[EXCEPTED_METRIC] = (sum(1 for e in listed if is_excepted(e)), "Count")
    return counts


def sweep_records(
    check: str,
    listed_types: Sequence[str],
    evaluations: Sequence[Evaluation],
    duration_ms: float,
    timestamp_ms: int,
) -> list[dict[str, Any]]:
    """One record per resource type whose listing completed, then the check's summary record."""
    records = [
        _record(
            timestamp_ms,
            {"Check": check, "ResourceType": resource_type},
            _counts(e for e in evaluations if e.resource_type == resource_type),
        )
        for resource_type in listed_types
    ]
    summary = _counts(evaluations)
    summary["ResourcesEvaluated"] = (len(evaluations), "Count")
    summary["SweepDuration"] = (round(duration_ms, 1), "Milliseconds")
    records.append(_record(timestamp_ms, {"Check": check}, summary))
    return records


def managed_rule_check(name: str) -> str:
    """The ``Check`` value of an AWS managed rule (its short name in the stack's ``managedRules``): the
    dashboard's and the report's label for it."""
    return f"managed:{name}"


def managed_rule_record(check: str, region: str, non_compliant: int, timestamp_ms: int) -> dict[str, Any]:
    """A managed rule's NON_COMPLIANT resources in one region, every account summed."""
    return _record(
        timestamp_ms,
        {"Check": check, REGION_DIMENSION: region},
        {NON_COMPLIANT_METRIC: (non_compliant, "Count")},
    )


def write(records: Iterable[dict[str, Any]], stream: TextIO | None = None) -> None:
    """Each record as one JSON line on stdout (the Lambda log)."""
    out = stream or sys.stdout
    for record in records:
        out.write(json.dumps(record, separators=(",", ":")) + "\n")
    out.flush()
