"""The compliance report as one self-contained HTML page: inline CSS and SVG, no script, no fetch.

Excepted resources (COMPLIANT in Config, an exception applied) have their own colour in the totals, the
chart and the heat map, each with a legend; the heat map's cells carry a class per state
(``heat-compliant``, ``heat-excepted``, ``heat-noncompliant``, ``heat-none``) that the legend's swatches
share, so a cell and its legend entry cannot drift apart.

Its Content-Security-Policy (``default-src 'none'``) forbids the page any request; a browser reports
a violation as a console error, which the browser test would catch.
"""

from __future__ import annotations

from html import escape

from verification.compliance import ComplianceReport, Counts
from verification.framework_formats import CONTROL_COLUMNS, control_row, framework_title, source_line
from verification.framework_report import CLAIM_NOTE, EVIDENCE_NOTE, FAIL, PASS, FrameworkReport
from verification.report_formats import (
    EXCEPTED_COLUMNS,
    EXCEPTION_COLUMNS,
    FINDING_COLUMNS,
    excepted_row,
    exception_row,
    exceptions_title,
    filter_line,
    finding_row,
    ordered_exceptions,
    summary_cell,
    summary_counts,
    summary_keys,
    title,
)

COMPLIANT_COLOUR = "#2e7d32"
EXCEPTED_COLOUR = "#0969da"
NON_COMPLIANT_COLOUR = "#c62828"
BAR_AREA = 420
LABEL_WIDTH = 230
BAR_HEIGHT = 18
ROW_GAP = 6
GROUP_GAP = 14
# The resource id column of the findings table (see report_formats.FINDING_COLUMNS): monospace.
RESOURCE_COLUMN = 5
# The status column of the exceptions table (see report_formats.EXCEPTION_COLUMNS).
STATUS_COLUMN = 2

STYLE = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1f2328;
       margin: 0; background: #f6f8fa; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 28px 40px; background: #fff; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 10px; border-bottom: 1px solid #d0d7de; padding-bottom: 4px; }
.meta { color: #57606a; margin: 0 0 6px; }
.warning { background: #fff8c5; border: 1px solid #d4a72c; border-radius: 6px; padding: 8px 12px;
           margin: 8px 0; }
.totals { display: flex; gap: 14px; margin: 16px 0 4px; }
.total { border: 1px solid #d0d7de; border-radius: 8px; padding: 10px 16px; min-width: 150px; }
.total b { display: block; font-size: 24px; }
.total.good b { color: #2e7d32; } .total.bad b { color: #c62828; } .total.excepted b { color: #0969da; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #d0d7de; padding: 6px 10px; text-align: left; vertical-align: top; }
th { background: #f6f8fa; font-weight: 600; }
table.heatmap td.cell { text-align: center; font-variant-numeric: tabular-nums; font-weight: 600; }
.heat-compliant { background: #dafbe1; }
.heat-excepted { background: #b6e3ff; }
.heat-none { background: #eaeef2; }
.heat-noncompliant { background: hsl(0, 70%, 72%); }
.swatch.heat-scale { width: 42px; background: linear-gradient(to right, hsl(0, 70%, 91%), hsl(0, 70%, 52%)); }
table.exceptions tr.expired td.status { color: #c62828; font-weight: 600; }
table.exceptions tr.stale td.status { color: #9a6700; font-weight: 600; }
table.exceptions tr.expiring td.status { color: #9a6700; }
table.findings tbody tr:nth-child(even), table.excepted tbody tr:nth-child(even),
table.exceptions tbody tr:nth-child(even) { background: #f6f8fa; }
table.findings td, table.excepted td, table.exceptions td { font-size: 13px; }
table.findings td:nth-child(-n+5), table.excepted td:not(.id), table.exceptions td:not(:last-child) {
  white-space: nowrap; }
td.id { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; word-break: break-all; }
.legend { color: #57606a; font-size: 13px; margin: 6px 0 0; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin: 0 4px 0 10px; }
svg text { font: 12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; fill: #1f2328; }
svg text.region { font-weight: 600; }
.note { border-left: 4px solid #0969da; background: #ddf4ff; padding: 8px 12px; margin: 10px 0; }
table.controls td { font-size: 13px; }
td.status { font-weight: 600; white-space: nowrap; }
td.status.pass { color: #2e7d32; } td.status.fail { color: #c62828; } td.status.none { color: #57606a; }
"""


# Legends: (swatch class, swatch style, meaning). The chart's swatches have the bars' fill colours; the
# heat map's share the cells' classes.
CHART_LEGEND = (
    ("compliant", f"background:{COMPLIANT_COLOUR}", "compliant"),
    ("excepted", f"background:{EXCEPTED_COLOUR}", "excepted (compliant in Config: an exception applies)"),
    ("noncompliant", f"background:{NON_COMPLIANT_COLOUR}", "non-compliant"),
)
HEATMAP_LEGEND = (
    ("heat-compliant", "", "nothing non-compliant or excepted"),
    ("heat-excepted", "", "excepted, nothing non-compliant"),
    ("heat-scale", "", "non-compliant (redder: a larger share)"),
    ("heat-none", "", "no results"),
)


def _legend(legend_id: str, entries: tuple[tuple[str, str, str], ...]) -> str:
    swatches = "\n".join(
        f'<span class="swatch {kind}"' + (f' style="{style}"' if style else "") + f"></span>{escape(meaning)}"
        for kind, style, meaning in entries
    )
    return f'<p class="legend" id="{legend_id}">{swatches}</p>'


def _total(counts: Counts) -> int:
    return counts.compliant + counts.excepted + counts.non_compliant


def heat_cell(counts: Counts | None) -> tuple[str, str]:
    """A heat-map cell's class, and its own style: green when nothing is non-compliant or excepted, blue
    when something is excepted and nothing non-compliant, redder as the non-compliant share grows."""
    if counts is None:
        return "heat-none", ""
    if counts.non_compliant:
        share = counts.non_compliant / _total(counts)
        # From a light to a strong red, by the share of non-compliant resources.
        lightness = round(92 - 40 * share)
        return "heat-noncompliant", f"background:hsl(0, 70%, {lightness}%)"
    if counts.excepted:
        return "heat-excepted", ""
    return "heat-compliant", ""


def _bar(x: float, y: int, width: float, kind: str, colour: str, count: int, meaning: str) -> str:
    return (
        f'<rect class="bar {kind}" x="{x:.1f}" y="{y}" width="{width:.1f}" height="{BAR_HEIGHT}" '
        f'fill="{colour}"><title>{count} {meaning}</title></rect>'
    )


def _chart(report: ComplianceReport) -> str:
    largest = max((_total(counts) for counts in report.counts.values()), default=0)
    scale = BAR_AREA / largest if largest else 0.0
    parts: list[str] = []
    y = 4
    for region in report.regions:
        parts.append(f'<text class="region" x="0" y="{y + 12}">{escape(region)}</text>')
        y += 20
        for check in report.checks:
            counts = report.counts.get((check, region))
            label = f"{check}: {summary_cell(report, check, region)}"
            parts.append(f'<text x="12" y="{y + 13}">{escape(label)}</text>')
            if counts is not None:
                x: float = LABEL_WIDTH
                for kind, colour, count, meaning in (
                    ("compliant", COMPLIANT_COLOUR, counts.compliant, "compliant"),
                    ("excepted", EXCEPTED_COLOUR, counts.excepted, "excepted"),
                    ("noncompliant", NON_COMPLIANT_COLOUR, counts.non_compliant, "non-compliant"),
                ):
                    parts.append(_bar(x, y, count * scale, kind, colour, count, meaning))
                    x += count * scale
            y += BAR_HEIGHT + ROW_GAP
        y += GROUP_GAP
    width = LABEL_WIDTH + BAR_AREA + 10
    return (
        '<svg id="chart" role="img" '
        'aria-label="Compliant, excepted and non-compliant resources per region and check" '
        f'xmlns="http://www.w3.org/2000/svg" width="{width}" height="{y}" viewBox="0 0 {width} {y}">'
        + "".join(parts)
        + "</svg>"
    )


def _heatmap(report: ComplianceReport) -> str:
    """Check x region, or in organization scope account x check x region (one row per account and check)."""
    account_header = "<th>Account</th>" if report.by_account else ""
    header = "".join(f"<th>{escape(region)}</th>" for region in report.regions)
    rows = "".join(
        "<tr>"
        + (f"<th>{escape(account)}</th>" if account else "")
        + f"<th>{escape(check)}</th>"
        + "".join(
            _heat_td(
                summary_counts(report, check, region, account), summary_cell(report, check, region, account)
            )
            for region in report.regions
        )
        + "</tr>"
        for account, check in summary_keys(report)
    )
    return (
        f'<table class="heatmap" id="summary"><thead><tr>{account_header}<th>Check</th>{header}</tr></thead>'
        f"<tbody>{rows}</tbody></table>"
    )


def _heat_td(counts: Counts | None, text: str) -> str:
    kind, style = heat_cell(counts)
    styled = f' style="{style}"' if style else ""
    return f'<td class="cell {kind}"{styled}>{escape(text)}</td>'


def _table(
    name: str, columns: tuple[str, ...], rows: list[tuple[str, list[str]]], cell_classes: dict[int, str]
) -> str:
    """A table (class and id ``name``) of text cells; each row with its class (or ""), the cells of the
    columns in ``cell_classes`` with theirs."""
    header = "".join(f"<th>{escape(column)}</th>" for column in columns)
    body = "".join(
        (f'<tr class="{row_class}">' if row_class else "<tr>")
        + "".join(
            f'<td class="{cell_classes[number]}">{escape(cell)}</td>'
            if number in cell_classes
            else f"<td>{escape(cell)}</td>"
            for number, cell in enumerate(cells)
        )
        + "</tr>"
        for row_class, cells in rows
    )
    return f'<table class="{name}" id="{name}"><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>'


def _findings(report: ComplianceReport) -> str:
    if not report.findings:
        return '<p id="findings-empty">No non-compliant resource.</p>'
    rows = [("", finding_row(finding)) for finding in report.findings]
    return _table("findings", FINDING_COLUMNS, rows, {RESOURCE_COLUMN: "id"})


def _excepted(report: ComplianceReport) -> str:
    if not report.excepted:
        return '<p id="excepted-empty">No excepted resource.</p>'
    rows = [("", excepted_row(resource)) for resource in report.excepted]
    return _table("excepted", EXCEPTED_COLUMNS, rows, {RESOURCE_COLUMN: "id"})


def _exceptions(report: ComplianceReport) -> str:
    if not report.exceptions:
        return '<p id="exceptions-empty">The stack lists no exception.</p>'
    # Each row's class is its status (expired, stale, expiring, active), which colours its status cell.
    rows = [(reviewed.status.value, exception_row(reviewed)) for reviewed in ordered_exceptions(report)]
    return _table("exceptions", EXCEPTION_COLUMNS, rows, {0: "id", STATUS_COLUMN: "status"})


def _page(title: str, body: str) -> str:
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
<style>{STYLE}</style>
</head>
<body>
<main>
<h1>{escape(title)}</h1>
{body}
</main>
</body>
</html>
"""


def _status_class(status: str) -> str:
    return {PASS: "pass", FAIL: "fail"}.get(status, "none")


def render_framework_html(framework_report: FrameworkReport) -> str:
    """One row per control: status, resources, supporting rules (custom checks as this project's claim)."""
    report = framework_report.report
    meta = [source_line(framework_report), filter_line(report)]
    header = "".join(f"<th>{escape(column)}</th>" for column in CONTROL_COLUMNS)
    rows = "".join(
        "<tr>"
        + "".join(
            f'<td class="status {_status_class(result.status)}">{escape(cell)}</td>'
            if number == 1
            else f"<td>{escape(cell)}</td>"
            for number, cell in enumerate(control_row(result))
        )
        + "</tr>"
        for result in framework_report.controls
    )
    body = (
        "".join(f'<p class="meta">{escape(line)}</p>' for line in meta if line)
        + "".join(f'<p class="warning">Warning: {escape(warning)}</p>' for warning in report.warnings)
        + f'<p class="note" id="evidence-note"><b>{escape(EVIDENCE_NOTE)}</b></p>'
        + f'<p class="note" id="claim-note">{escape(CLAIM_NOTE)}</p>'
        + '<div class="totals">'
        + f'<div class="total good" id="passing"><b>{framework_report.passing}</b>controls passing</div>'
        + f'<div class="total" id="with-evidence"><b>{framework_report.with_evidence}</b>'
        + "controls with evidence</div>"
        + f'<div class="total"><b>{len(framework_report.controls)}</b>controls in the mapping</div></div>'
        + f'<p id="total">{escape(framework_report.total())}</p>'
        + "<h2>Controls</h2>"
        + f'<table class="controls" id="controls"><thead><tr>{header}</tr></thead>'
        + f"<tbody>{rows}</tbody></table>"
    )
    return _page(framework_title(framework_report), body)


def render_html(report: ComplianceReport) -> str:
    compliant = sum(counts.compliant for counts in report.counts.values())
    excepted = sum(counts.excepted for counts in report.counts.values())
    non_compliant = sum(counts.non_compliant for counts in report.counts.values())
    meta = escape(filter_line(report) or f"{len(report.regions)} region(s), {len(report.checks)} check(s)")
    warnings = "".join(f'<p class="warning">Warning: {escape(warning)}</p>' for warning in report.warnings)
    body = f"""<p class="meta">{meta}</p>
{warnings}
<div class="totals">
<div class="total good"><b>{compliant}</b>compliant resources</div>
<div class="total excepted"><b>{excepted}</b>excepted resources</div>
<div class="total bad"><b>{non_compliant}</b>non-compliant resources</div>
</div>
<h2>Resources per region and check</h2>
{_chart(report)}
{_legend("chart-legend", CHART_LEGEND)}
<h2>Compliant / excepted / non-compliant per {"account, " if report.by_account else ""}check and region</h2>
{_heatmap(report)}
{_legend("heatmap-legend", HEATMAP_LEGEND)}
<h2>Non-compliant resources ({len(report.findings)}), newest first</h2>
{_findings(report)}
<h2>Excepted resources ({len(report.excepted)}), newest first</h2>
{_excepted(report)}
<h2>{escape(exceptions_title(report))}</h2>
{_exceptions(report)}"""
    return _page(title(report), body)
