"""The compliance report as text: table (for people), json, csv (resources only) and markdown.

The html format is in verification/html_report.py. Every format but csv holds the summary (check x
region: compliant / excepted / non-compliant resources; in organization scope account x check x
region), the warnings, every non-compliant resource and every excepted resource (with its exception's
id, owner, ticket and expiry) with its account, newest first, and the exceptions section: the stack's
listed exceptions, expired, stale or expiring first. csv holds one row per non-compliant or excepted
resource, for spreadsheets and scripts.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

from evaluators.exceptions import AnnotatedException

from verification.compliance import ComplianceReport, Counts, ResourceResult
from verification.exception_review import EXPIRY_WARNING_DAYS, ExceptionStatus, ReviewedException

NO_RESULTS = "no results"
# The columns that say which resource, in the findings and the excepted resources.
RESOURCE_COLUMNS = ("Recorded (UTC)", "Account", "Region", "Check", "Resource type", "Resource")
FINDING_COLUMNS = (*RESOURCE_COLUMNS, "Rule", "Annotation")
EXCEPTED_COLUMNS = (*RESOURCE_COLUMNS, "Exception", "Owner", "Ticket", "Expires")
EXCEPTION_COLUMNS = ("Exception", "Check", "Status", "Expires", "Owner", "Ticket", "Excepted", "Reason")
CSV_COLUMNS = (
    "recorded",
    "account",
    "region",
    "check",
    "resource_type",
    "resource_id",
    "rule",
    "annotation",
    "status",
    "exception",
    "owner",
    "ticket",
    "expires",
)
# The order of the exceptions section: what needs doing first.
STATUS_ORDER = tuple(ExceptionStatus)


def summary_counts(
    report: ComplianceReport, check: str, region: str, account: str | None = None
) -> Counts | None:
    """One account's counts, or (``account`` None) the sum over accounts; None: no results."""
    if account is None:
        return report.counts.get((check, region))
    return report.account_counts.get((account, check, region))


def summary_cell(report: ComplianceReport, check: str, region: str, account: str | None = None) -> str:
    counts = summary_counts(report, check, region, account)
    return f"{counts.compliant} / {counts.excepted} / {counts.non_compliant}" if counts else NO_RESULTS


def summary_keys(report: ComplianceReport) -> list[tuple[str | None, str]]:
    """The summary's rows: (account, check) in organization scope, (None, check) otherwise."""
    accounts: tuple[str | None, ...] = report.accounts if report.by_account else (None,)
    return [(account, check) for account in accounts for check in report.checks]


def finding_row(finding: ResourceResult) -> list[str]:
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
    return f"Resources per {per} (compliant / excepted / non-compliant)"


def finding_rows(report: ComplianceReport) -> list[list[str]]:
    return [list(FINDING_COLUMNS), *(finding_row(finding) for finding in report.findings)]


def _exception_of(resource: ResourceResult) -> AnnotatedException:
    assert resource.exception is not None, "an excepted resource names its exception"
    return resource.exception


def excepted_row(resource: ResourceResult) -> list[str]:
    exception = _exception_of(resource)
    return [
        *finding_row(resource)[: len(RESOURCE_COLUMNS)],
        exception.id,
        exception.owner,
        exception.ticket or "",
        exception.expires.isoformat(),
    ]


def excepted_rows(report: ComplianceReport) -> list[list[str]]:
    return [list(EXCEPTED_COLUMNS), *(excepted_row(resource) for resource in report.excepted)]


def status_text(reviewed: ReviewedException) -> str:
    if reviewed.status is ExceptionStatus.EXPIRED:
        return "expired, still listed"
    if reviewed.status is ExceptionStatus.STALE:
        return "stale: no evaluation names it"
    if reviewed.status is ExceptionStatus.EXPIRING:
        return "last day today" if reviewed.days_left == 0 else f"expires in {reviewed.days_left} day(s)"
    return "active"


def ordered_exceptions(report: ComplianceReport) -> list[ReviewedException]:
    return sorted(
        report.exceptions, key=lambda reviewed: (STATUS_ORDER.index(reviewed.status), reviewed.days_left)
    )


def exception_row(reviewed: ReviewedException) -> list[str]:
    exception = reviewed.exception
    return [
        exception.id,
        exception.check,
        status_text(reviewed),
        exception.expires.isoformat(),
        exception.owner,
        exception.ticket or "",
        str(reviewed.excepting),
        exception.reason,
    ]


def exception_rows(report: ComplianceReport) -> list[list[str]]:
    return [list(EXCEPTION_COLUMNS), *(exception_row(reviewed) for reviewed in ordered_exceptions(report))]


def exceptions_title(report: ComplianceReport) -> str:
    if not report.exceptions:
        return "Exceptions: none listed"
    counts = [
        f"{len(report.exceptions_with(status))} {meaning}"
        for status, meaning in (
            (ExceptionStatus.EXPIRED, "expired but still listed"),
            (ExceptionStatus.STALE, "stale (listed, but no evaluation names it)"),
            (ExceptionStatus.EXPIRING, f"expiring within {EXPIRY_WARNING_DAYS} days"),
        )
    ]
    return f"Exceptions: {len(report.exceptions)} listed; {', '.join(counts)}"


def aligned(rows: Sequence[Sequence[str]]) -> list[str]:
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
    lines += aligned(summary_rows(report))
    lines += ["", f"Non-compliant resources: {len(report.findings)}, newest first"]
    if report.findings:
        lines += aligned(finding_rows(report))
    lines += ["", f"Excepted resources: {len(report.excepted)}, newest first"]
    if report.excepted:
        lines += aligned(excepted_rows(report))
    lines += ["", exceptions_title(report)]
    if report.exceptions:
        lines += aligned(exception_rows(report))
    return "\n".join(lines) + "\n"


def markdown_cell(value: str) -> str:
    return value.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def markdown_table(rows: Sequence[Sequence[str]]) -> list[str]:
    header, *body = rows
    lines = ["| " + " | ".join(markdown_cell(cell) for cell in header) + " |"]
    lines.append("|" + "|".join("---" for _ in header) + "|")
    lines += ["| " + " | ".join(markdown_cell(cell) for cell in row) + " |" for row in body]
    return lines


def render_markdown(report: ComplianceReport) -> str:
    lines = [f"# {title(report)}", ""]
    if filter_line(report):
        lines += [filter_line(report), ""]
    lines += [f"> **Warning:** {markdown_cell(warning)}" for warning in report.warnings]
    if report.warnings:
        lines.append("")
    lines += [f"## {summary_title(report)}", ""]
    lines += markdown_table(summary_rows(report))
    lines += ["", f"## Non-compliant resources ({len(report.findings)}), newest first", ""]
    if report.findings:
        lines += markdown_table(finding_rows(report))
    else:
        lines.append("None.")
    lines += ["", f"## Excepted resources ({len(report.excepted)}), newest first", ""]
    if report.excepted:
        lines += markdown_table(excepted_rows(report))
    else:
        lines.append("None.")
    lines += ["", f"## {exceptions_title(report)}", ""]
    if report.exceptions:
        lines += markdown_table(exception_rows(report))
    return "\n".join(lines).rstrip("\n") + "\n"


def render_csv(report: ComplianceReport) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for status, resources in (("NON_COMPLIANT", report.findings), ("EXCEPTED", report.excepted)):
        for resource in resources:
            exception = resource.exception
            named = (
                [exception.id, exception.owner, exception.ticket or "", exception.expires.isoformat()]
                if exception
                else ["", "", "", ""]
            )
            writer.writerow([resource.recorded.isoformat(), *finding_row(resource)[1:], status, *named])
    return buffer.getvalue()


def _resource_document(resource: ResourceResult) -> dict[str, Any]:
    exception = resource.exception
    return {
        "recorded": resource.recorded.isoformat(),
        "accountId": resource.account_id,
        "region": resource.region,
        "check": resource.check,
        "ruleName": resource.rule_name,
        "resourceType": resource.resource_type,
        "resourceId": resource.resource_id,
        "annotation": resource.annotation,
        "exception": None
        if exception is None
        else {
            "id": exception.id,
            "owner": exception.owner,
            "ticket": exception.ticket,
            "expires": exception.expires.isoformat(),
            "expired": exception.expired,
        },
    }


def _exception_document(reviewed: ReviewedException) -> dict[str, Any]:
    exception = reviewed.exception
    return {
        "id": exception.id,
        "check": exception.check,
        "resource": exception.resource,
        "resourceType": exception.resource_type,
        "regions": list(exception.regions),
        "accounts": list(exception.accounts),
        "reason": exception.reason,
        "owner": exception.owner,
        "ticket": exception.ticket,
        "expires": exception.expires.isoformat(),
        "status": reviewed.status.value,
        "daysLeft": reviewed.days_left,
        "excepted": reviewed.excepting,
    }


def report_document(report: ComplianceReport) -> dict[str, Any]:
    return {
        "aggregator": report.aggregator,
        "scope": report.scope,
        "generated": report.generated.isoformat(),
        "filters": report.filters.as_dict(),
        "regions": list(report.regions),
        "checks": list(report.checks),
        # What each row is: a custom check (its managed rules: the catalogue's stated equivalence, this
        # project's claim), an AWS managed rule, or a conformance pack's rule.
        "rules": [
            {
                "check": source.label,
                "kind": source.kind,
                "managedRules": list(source.identifiers),
                **({"pack": source.pack} if source.pack else {}),
            }
            for source in report.sources.values()
        ],
        "accounts": list(report.accounts),
        "warnings": list(report.warnings),
        "complete": not report.incomplete,
        "summary": [
            {
                **({"accountId": account} if account else {}),
                "check": check,
                "region": region,
                "compliant": counts.compliant if counts else None,
                "excepted": counts.excepted if counts else None,
                "nonCompliant": counts.non_compliant if counts else None,
            }
            for account, check in summary_keys(report)
            for region in report.regions
            for counts in [summary_counts(report, check, region, account)]
        ],
        "nonCompliant": [_resource_document(finding) for finding in report.findings],
        "excepted": [_resource_document(resource) for resource in report.excepted],
        "exceptions": [_exception_document(reviewed) for reviewed in ordered_exceptions(report)],
    }


def render_json(report: ComplianceReport) -> str:
    return json.dumps(report_document(report), indent=2) + "\n"
