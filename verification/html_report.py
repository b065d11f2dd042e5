"""The compliance report as one self-contained HTML page: inline CSS and SVG, no script, no fetch.

Its Content-Security-Policy (``default-src 'none'``) forbids the page any request; a browser reports
a violation as a console error, which the browser test would catch.
"""

from __future__ import annotations

from html import escape

from verification.compliance import ComplianceReport
from verification.report_formats import (
    FINDING_COLUMNS,
    filter_line,
    finding_row,
    summary_cell,
    summary_counts,
    summary_keys,
    title,
)

COMPLIANT_COLOUR = "#2e7d32"
NON_COMPLIANT_COLOUR = "#c62828"
BAR_AREA = 420
LABEL_WIDTH = 230
BAR_HEIGHT = 18
ROW_GAP = 6
GROUP_GAP = 14
# The resource id column of the findings table (see report_formats.FINDING_COLUMNS): monospace.
RESOURCE_COLUMN = 5

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
.total.good b { color: #2e7d32; } .total.bad b { color: #c62828; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #d0d7de; padding: 6px 10px; text-align: left; vertical-align: top; }
th { background: #f6f8fa; font-weight: 600; }
table.heatmap td.cell { text-align: center; font-variant-numeric: tabular-nums; font-weight: 600; }
table.findings tbody tr:nth-child(even) { background: #f6f8fa; }
table.findings td { font-size: 13px; }
table.findings td:nth-child(-n+5) { white-space: nowrap; }
td.id { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; word-break: break-all; }
.legend { color: #57606a; font-size: 13px; margin: 6px 0 0; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin: 0 4px 0 10px; }
svg text { font: 12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; fill: #1f2328; }
svg text.region { font-weight: 600; }
"""


def _heat(report: ComplianceReport, check: str, region: str, account: str | None) -> str:
    """A cell's background: green when nothing is non-compliant, redder as the non-compliant share grows."""
    counts = summary_counts(report, check, region, account)
    if counts is None:
        return "#eaeef2"
    total = counts.compliant + counts.non_compliant
    if counts.non_compliant == 0:
        return "#dafbe1"
    share = counts.non_compliant / total
    # From a light to a strong red, by the share of non-compliant resources.
    lightness = round(92 - 40 * share)
    return f"hsl(0, 70%, {lightness}%)"


def _chart(report: ComplianceReport) -> str:
    largest = max(
        (counts.compliant + counts.non_compliant for counts in report.counts.values()), default=0
    )
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
                good = counts.compliant * scale
                bad = counts.non_compliant * scale
                parts.append(
                    f'<rect x="{LABEL_WIDTH}" y="{y}" width="{good:.1f}" height="{BAR_HEIGHT}" '
                    f'fill="{COMPLIANT_COLOUR}"><title>{counts.compliant} compliant</title></rect>'
                )
                parts.append(
                    f'<rect x="{LABEL_WIDTH + good:.1f}" y="{y}" width="{bad:.1f}" height="{BAR_HEIGHT}" '
                    f'fill="{NON_COMPLIANT_COLOUR}"><title>{counts.non_compliant} non-compliant</title>'
                    "</rect>"
                )
            y += BAR_HEIGHT + ROW_GAP
        y += GROUP_GAP
    width = LABEL_WIDTH + BAR_AREA + 10
    return (
        f'<svg id="chart" role="img" aria-label="Compliant and non-compliant resources per region and check" '
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
            f'<td class="cell" style="background:{_heat(report, check, region, account)}">'
            f"{escape(summary_cell(report, check, region, account))}</td>"
            for region in report.regions
        )
        + "</tr>"
        for account, check in summary_keys(report)
    )
    return (
        f'<table class="heatmap" id="summary"><thead><tr>{account_header}<th>Check</th>{header}</tr></thead>'
        f"<tbody>{rows}</tbody></table>"
    )


def _findings(report: ComplianceReport) -> str:
    if not report.findings:
        return '<p id="findings-empty">No non-compliant resource.</p>'
    header = "".join(f"<th>{escape(column)}</th>" for column in FINDING_COLUMNS)
    rows = "".join(
        "<tr>"
        + "".join(
            f'<td class="id">{escape(cell)}</td>' if number == RESOURCE_COLUMN else f"<td>{escape(cell)}</td>"
            for number, cell in enumerate(finding_row(finding))
        )
        + "</tr>"
        for finding in report.findings
    )
    return (
        f'<table class="findings" id="findings"><thead><tr>{header}</tr></thead>'
        f"<tbody>{rows}</tbody></table>"
    )


def render_html(report: ComplianceReport) -> str:
    compliant = sum(counts.compliant for counts in report.counts.values())
    non_compliant = sum(counts.non_compliant for counts in report.counts.values())
    meta = escape(filter_line(report) or f"{len(report.regions)} region(s), {len(report.checks)} check(s)")
    warnings = "".join(f'<p class="warning">Warning: {escape(warning)}</p>' for warning in report.warnings)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title(report))}</title>
<style>{STYLE}</style>
</head>
<body>
<main>
<h1>{escape(title(report))}</h1>
<p class="meta">{meta}</p>
{warnings}
<div class="totals">
<div class="total good"><b>{compliant}</b>compliant resources</div>
<div class="total bad"><b>{non_compliant}</b>non-compliant resources</div>
</div>
<h2>Resources per region and check</h2>
{_chart(report)}
<p class="legend"><span class="swatch" style="background:{COMPLIANT_COLOUR}"></span>compliant
<span class="swatch" style="background:{NON_COMPLIANT_COLOUR}"></span>non-compliant</p>
<h2>Compliant / non-compliant per {"account, " if report.by_account else ""}check and region</h2>
{_heatmap(report)}
<h2>Non-compliant resources ({non_compliant}), newest first</h2>
{_findings(report)}
</main>
</body>
</html>
"""
