"""The compliance report as text: table (for people), json, csv (findings only) and markdown.

The html format is in verification/html_report.py. Every format but csv holds the summary (check x
region: compliant / non-compliant resources; in organization scope account x check x region), the
warnings, and every non-compliant resource with its account, newest first. csv holds one row per
non-compliant resource, for spreadsheets and scripts.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

from verification.compliance import ComplianceReport, Counts, NonCompliantResource

NO_RESULTS = "no results"
FINDING_COLUMNS = (
    "Recorded (UTC)",
    "Account",
    "Region",
    "Check",
    "Resource type",
    "Resource",
    "Rule",
    "Annotation",
)
CSV_COLUMNS = ("recorded", "account", "region", "check", "resource_type", "resource_id", "rule", "annotation")


def summary_counts(
    report: ComplianceReport, check: str, region: str, account: str | None = None
) -> Counts | None:
    """One account's counts, or (``account`` None) the sum over accounts; None: no results."""
    if account is None:
        return report.counts.get((check, region))
    return report.account_counts.get((account, check, region))


def summary_cell(report: ComplianceReport, check: str, region: str, account: str | None = None) -> str:
    counts = summary_counts(report, check, region, account)
    return f"{counts.compliant} / {counts.non_compliant}" if counts else NO_RESULTS


def summary_keys(report: ComplianceReport) -> list[tuple[str | None, str]]:
    """The summary's rows: (account, check) in organization scope, (None, check) otherwise."""
    accounts: tuple[str | None, ...] = report.accounts if report.by_account else (None,)
    return [(account, check) for account in accounts for check in report.checks]


def finding_row(finding: NonCompliantResource) -> list[str]:
    return [
        finding.recorded.strftime("%Y-%m-%d %H:%M"),
        finding.account_id,
        finding.region,
        finding.check,
        finding.resource_type,
        finding.resource_id,
        finding.rule_name,
        finding.annotation,
    ]


def title(report: ComplianceReport) -> str:
    generated = report.generated.strftime("%Y-%m-%d %H:%M")
    return f"Compliance report of aggregator {report.aggregator}, {generated} UTC"


def filter_line(report: ComplianceReport) -> str:
    chosen = [
        f"{name} {', '.join(values)}"
        for name, values in (
            ("regions", report.filters.regions),
            ("checks", report.filters.checks),
            ("resource types", report.filters.resource_types),
            ("accounts", report.filters.accounts),
        )
        if values
    ]
    return f"Filtered to {'; '.join(chosen)}" if chosen else ""


def summary_rows(report: ComplianceReport) -> list[list[str]]:
    account_column = ["Account"] if report.by_account else []
    rows = [[*account_column, "Check", *report.regions]]
    for account, check in summary_keys(report):
        cells = [summary_cell(report, check, region, account) for region in report.regions]
        rows.append([*([account] if account else []), check, *cells])
    return rows


def summary_title(report: ComplianceReport) -> str:
    per = "account, check and region" if report.by_account else "check and region"
    return f"Resources per {per} (compliant / non-compliant)"


def finding_rows(report: ComplianceReport) -> list[list[str]]:
    return [list(FINDING_COLUMNS), *(finding_row(finding) for finding in report.findings)]


def _aligned(rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows
    ]


def render_table(report: ComplianceReport) -> str:
    lines = [title(report)]
    if filter_line(report):
        lines.append(filter_line(report))
    lines += [f"Warning: {warning}" for warning in report.warnings]
    lines += ["", f"{summary_title(report)}:"]
    lines += _aligned(summary_rows(report))
    lines += ["", f"Non-compliant resources: {len(report.findings)}, newest first"]
    if report.findings:
        lines += _aligned(finding_rows(report))
    return "\n".join(lines) + "\n"


def _markdown_cell(value: str) -> str:
    return value.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _markdown_table(rows: Sequence[Sequence[str]]) -> list[str]:
    header, *body = rows
    lines = ["| " + " | ".join(_markdown_cell(cell) for cell in header) + " |"]
    lines.append("|" + "|".join("---" for _ in header) + "|")
    lines += ["| " + " | ".join(_markdown_cell(cell) for cell in row) + " |" for row in body]
    return lines


def render_markdown(report: ComplianceReport) -> str:
    lines = [f"# {title(report)}", ""]
    if filter_line(report):
        lines += [filter_line(report), ""]
    lines += [f"> **Warning:** {_markdown_cell(warning)}" for warning in report.warnings]
    if report.warnings:
        lines.append("")
    lines += [f"## {summary_title(report)}", ""]
    lines += _markdown_table(summary_rows(report))
    lines += ["", f"## Non-compliant resources ({len(report.findings)}), newest first", ""]
    if report.findings:
        lines += _markdown_table(finding_rows(report))
    else:
        lines.append("None.")
    return "\n".join(lines) + "\n"


def render_csv(report: ComplianceReport) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for finding in report.findings:
        writer.writerow([finding.recorded.isoformat(), *finding_row(finding)[1:]])
    return buffer.getvalue()


def report_document(report: ComplianceReport) -> dict[str, Any]:
    return {
        "aggregator": report.aggregator,
        "scope": report.scope,
        "generated": report.generated.isoformat(),
        "filters": report.filters.as_dict(),
        "regions": list(report.regions),
        "checks": list(report.checks),
        "accounts": list(report.accounts),
        "warnings": list(report.warnings),
        "complete": not report.incomplete,
        "summary": [
            {
                **({"accountId": account} if account else {}),
                "check": check,
                "region": region,
                "compliant": counts.compliant if counts else None,
                "nonCompliant": counts.non_compliant if counts else None,
            }
            for account, check in summary_keys(report)
            for region in report.regions
            for counts in [summary_counts(report, check, region, account)]
        ],
        "nonCompliant": [
            {
                "recorded": finding.recorded.isoformat(),
                "accountId": finding.account_id,
                "region": finding.region,
                "check": finding.check,
                "ruleName": finding.rule_name,
                "resourceType": finding.resource_type,
                "resourceId": finding.resource_id,
                "annotation": finding.annotation,
            }
            for finding in report.findings
        ],
    }


def render_json(report: ComplianceReport) -> str:
    return json.dumps(report_document(report), indent=2) + "\n"

