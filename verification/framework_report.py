"""The report per framework control (``report --framework KEY``), computed from a compliance report.

A control is supported by the stack's rules that run an AWS managed rule AWS maps to it
(components/frameworks.py): the stack's managed rules, its conformance packs' rules, and its custom
checks through the managed rules the catalogue states they are equivalent to, which is this project's
claim, not AWS's mapping. Per control: the supporting rules, the resources they found compliant and
non-compliant (a resource counts once, non-compliant if any supporting rule says so), and whether the
control passes: at least one evaluation and no non-compliant resource.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import cached_property

from components.frameworks import Control, Framework
from verification.compliance import CUSTOM, EXCEPTED, ComplianceReport, Counts

PASS = "PASS"
FAIL = "FAIL"
NO_EVIDENCE = "NO EVIDENCE"
NO_RULE = "NO RULE"

EVIDENCE_NOTE = (
    "Passing a rule-backed control is evidence for it, not proof of compliance with the framework: "
    "the rules check what Config can see, and most controls ask for more than any Config rule can check."
)
CLAIM_NOTE = (
    "Custom checks support a control only through the AWS managed rules this project's catalogue states "
    "they are equivalent to: that equivalence is this project's claim, not AWS's mapping."
)


@dataclass(frozen=True)
class SupportingRule:
    label: str
    kind: str
    # The managed rule identifiers through which it supports the control.
    identifiers: tuple[str, ...]

    @property
    def is_claim(self) -> bool:
        """A custom check, supporting the control through its stated equivalence (this project's claim)."""
        return self.kind == CUSTOM

    def describe(self) -> str:
        through = ", ".join(self.identifiers)
        if self.is_claim:
            return f"{self.label} (custom check; this project's claim: equivalent to {through})"
        return f"{self.label} ({through})"


@dataclass(frozen=True)
class ControlResult:
    control: Control
    rules: tuple[SupportingRule, ...]
    counts: Counts

    @property
    def status(self) -> str:
        if not self.rules:
            return NO_RULE
        if self.counts.non_compliant:
            return FAIL
        return PASS if self.counts.compliant else NO_EVIDENCE

    @property
    def has_evidence(self) -> bool:
        return self.counts.compliant + self.counts.non_compliant > 0


@dataclass(frozen=True)
class FrameworkReport:
    framework: Framework
    report: ComplianceReport
    controls: tuple[ControlResult, ...]

    @cached_property
    def passing(self) -> int:
        return sum(result.status == PASS for result in self.controls)

    @cached_property
    def with_evidence(self) -> int:
        return sum(result.has_evidence for result in self.controls)

    def total(self) -> str:
        return f"{self.passing} / {self.with_evidence} controls passing / controls with evidence"


def framework_report(report: ComplianceReport, framework: Framework) -> FrameworkReport:
    return FrameworkReport(
        framework, report, tuple(_control(report, control) for control in framework.controls)
    )


def _control(report: ComplianceReport, control: Control) -> ControlResult:
    mapped = set(control.rules)
    rules = tuple(
        SupportingRule(source.label, source.kind, tuple(i for i in source.identifiers if i in mapped))
        for source in report.sources.values()
        if mapped.intersection(source.identifiers)
    )
    labels = {rule.label for rule in rules}
    # A resource counts once per control: non-compliant if any supporting rule finds it so, else excepted
    # if an exception applied under any of them, else compliant.
    verdicts: dict[tuple[str, str, str, str], int] = {}
    for result in report.evaluated:
        if result.source in labels:
            key = (result.account_id, result.region, result.resource_type, result.resource_id)
            verdicts[key] = max(verdicts.get(key, 0), _SEVERITY[result.compliance])
    tally = Counter(verdicts.values())
    return ControlResult(control, rules, Counts(tally[0], tally[2], tally[1]))


_SEVERITY = {"COMPLIANT": 0, EXCEPTED: 1, "NON_COMPLIANT": 2}
