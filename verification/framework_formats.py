"""The per-control report (``report --framework KEY``) as text: table, json, csv and markdown.

Every format names the framework, its version and AWS's page it comes from, lists each control with the
rules that support it (custom checks marked as this project's claim), its compliant / excepted / non-compliant
resources and whether it passes, gives the total "controls passing / controls with evidence", and says
that passing a rule-backed control is evidence for it, not proof of compliance. The html format is in
verification/html_report.py.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from verification.framework_report import CLAIM_NOTE, EVIDENCE_NOTE, ControlResult, FrameworkReport
from verification.report_formats import aligned, filter_line, markdown_cell, markdown_table

CONTROL_COLUMNS = ("Control", "Status", "Compliant", "Excepted", "Non-compliant", "Supporting rules", "Title")
CSV_COLUMNS = ("control", "title", "status", "compliant", "excepted", "non_compliant", "supporting_rules")


def framework_title(framework_report: FrameworkReport) -> str:
    report = framework_report.report
    generated = report.generated.strftime("%Y-%m-%d %H:%M")
    return (
        f"{framework_report.framework.name}: controls supported by the stack's rules, aggregator "
        f"{report.aggregator}, {generated} UTC"
    )


def source_line(framework_report: FrameworkReport) -> str:
    framework = framework_report.framework
    return f"Mapping: {framework.source} (read {framework.retrieved})"


def supporting(result: ControlResult) -> str:
    return "; ".join(rule.describe() for rule in result.rules) or "none deployed"


def control_row(result: ControlResult) -> list[str]:
    counts = result.counts
    return [
        result.control.id,
        result.status,
        str(counts.compliant),
        str(counts.excepted),
        str(counts.non_compliant),
        supporting(result),
        result.control.title,
    ]


def control_rows(framework_report: FrameworkReport) -> list[list[str]]:
    return [list(CONTROL_COLUMNS), *(control_row(result) for result in framework_report.controls)]


def _preamble(framework_report: FrameworkReport) -> list[str]:
    report = framework_report.report
    lines = [source_line(framework_report)]
    if filter_line(report):
        lines.append(filter_line(report))
    return lines + [f"Warning: {warning}" for warning in report.warnings]


def render_framework_table(framework_report: FrameworkReport) -> str:
    lines = [framework_title(framework_report), *_preamble(framework_report), ""]
    lines += aligned(control_rows(framework_report))
    lines += ["", framework_report.total(), "", EVIDENCE_NOTE, CLAIM_NOTE]
    return "\n".join(lines) + "\n"


def render_framework_markdown(framework_report: FrameworkReport) -> str:
    lines = [f"# {framework_title(framework_report)}", ""]
    lines += [f"{markdown_cell(line)}  " for line in _preamble(framework_report)]
    lines += ["", f"> **{EVIDENCE_NOTE}**", ">", f"> {CLAIM_NOTE}", ""]
    lines += markdown_table(control_rows(framework_report))
    lines += ["", f"**{framework_report.total()}**"]
    return "\n".join(lines) + "\n"


def render_framework_csv(framework_report: FrameworkReport) -> str:
    """One row per control; the notes are in every other format (a csv file has no place for prose)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for result in framework_report.controls:
        row = control_row(result)
        writer.writerow([row[0], row[6], *row[1:6]])
    return buffer.getvalue()


def framework_document(framework_report: FrameworkReport) -> dict[str, Any]:
    framework, report = framework_report.framework, framework_report.report
    return {
        "framework": {
            "key": framework.key,
            "title": framework.title,
            "version": framework.version,
            "source": framework.source,
            "retrieved": framework.retrieved,
        },
        "aggregator": report.aggregator,
        "scope": report.scope,
        "generated": report.generated.isoformat(),
        "filters": report.filters.as_dict(),
        "regions": list(report.regions),
        "warnings": list(report.warnings),
        "complete": not report.incomplete,
        "statement": EVIDENCE_NOTE,
        "customCheckClaim": CLAIM_NOTE,
        "controlsPassing": framework_report.passing,
        "controlsWithEvidence": framework_report.with_evidence,
        "controls": [
            {
                "id": result.control.id,
                "title": result.control.title,
                "status": result.status,
                "passes": result.status == "PASS",
                "compliant": result.counts.compliant,
                "excepted": result.counts.excepted,
                "nonCompliant": result.counts.non_compliant,
                "rules": [
                    {
                        "rule": rule.label,
                        "kind": rule.kind,
                        "managedRules": list(rule.identifiers),
                        "projectClaim": rule.is_claim,
                    }
                    for rule in result.rules
                ],
            }
            for result in framework_report.controls
        ],
    }


def render_framework_json(framework_report: FrameworkReport) -> str:
    return json.dumps(framework_document(framework_report), indent=2) + "\n"
