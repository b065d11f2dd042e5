"""The HTML report in a real browser: headless Chromium loads it without any error or request, and
shows the chart, the summary table, the findings, the excepted resources and the exceptions; excepted
resources have their own colour in the chart and the heat map, the same as their legend's swatch.

Needs Debian's ``chromium`` package (``apt-get install chromium``); skipped, saying so, without it.
``REPORT_SCREENSHOT=docs/report-screenshot.png`` also saves what the browser rendered.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from evaluators.exceptions import ResourceException, apply_exception, read_exception_annotation
from evaluators.verdicts import Verdict
from exception_estate import LAPSED, LISTED, NOW, PUBLIC, SCRATCH, TODAY
from headless_chromium import chromium_path, visit
from moto_stack import example_outputs

from components.frameworks import Control, Framework
from verification.compliance import (
    ComplianceReport,
    Counts,
    EvaluatedResource,
    Filters,
    ResourceResult,
    check_source,
)
from verification.exception_review import ReportScope, review
from verification.framework_report import EVIDENCE_NOTE, FrameworkReport, framework_report
from verification.html_report import render_framework_html, render_html
from verification.outputs import parse_outputs

pytestmark = pytest.mark.skipif(
    chromium_path() is None, reason="Chromium is not installed (/usr/bin/chromium or chromium on PATH)"
)

# What the page shows, read from its DOM once loaded; colours as the browser computed them.
LAYOUT = """(() => {
  // A property of the first element matching selector, null when there is none.
  const style = (selector, property) => {
    const element = document.querySelector(selector);
    return element ? getComputedStyle(element)[property] : null;
  };
  return JSON.stringify({
    title: document.title,
    bars: document.querySelectorAll('#chart rect').length,
    exceptedBars: document.querySelectorAll('#chart rect.bar.excepted').length,
    chartWidth: document.getElementById('chart').getBoundingClientRect().width,
    summaryRows: document.querySelectorAll('#summary tbody tr').length,
    findingRows: document.querySelectorAll('#findings tbody tr').length,
    firstFinding: document.querySelector('#findings tbody tr').innerText,
    exceptedRows: document.querySelectorAll('#excepted tbody tr').length,
    exceptionRows: [...document.querySelectorAll('#exceptions tbody tr')].map((row) => row.className),
    bar: Object.fromEntries(['compliant', 'excepted', 'noncompliant'].map((kind) => [kind, {
      bar: style(`#chart rect.bar.${kind}`, 'fill'),
      legend: style(`#chart-legend .swatch.${kind}`, 'backgroundColor'),
    }])),
    heat: Object.fromEntries(['compliant', 'excepted', 'none'].map((kind) => [kind, {
      cell: style(`#summary td.heat-${kind}`, 'backgroundColor'),
      legend: style(`#heatmap-legend .swatch.heat-${kind}`, 'backgroundColor'),
    }])),
    heatLegend: document.getElementById('heatmap-legend').innerText,
    heatLegendHeight: document.getElementById('heatmap-legend').getBoundingClientRect().height,
    expiredStatus: style('#exceptions tr.expired td.status', 'color'),
  });
})()"""


# Non-compliant resources of the sample: region, check, type, id, annotation (newest first).
SAMPLE_FINDINGS = (
    (
        "eu-west-1",
        "backup",
        "AWS::RDS::DBInstance",
        "db-7HJQ2KXN4ZPLR6WT",
        "automated backup retention is 0 day(s), below minRetentionDays=7.",
    ),
    (
        "us-east-1",
        "encryption",
        "AWS::EC2::Volume",
        "vol-0a1b2c3d4e5f60718",
        "EBS volume is not encrypted at rest.",
    ),
    ("us-west-2", "required-tags", "AWS::S3::Bucket", "analytics-raw-landing", "missing tag 'Owner'."),
    ("us-east-1", "required-tags", "AWS::DynamoDB::Table", "orders", "tag 'Environment' is blank."),
    ("us-west-2", "backup", "AWS::DynamoDB::Table", "sessions", "point-in-time recovery is DISABLED."),
    ("us-east-1", "required-tags", "AWS::EC2::Volume", "vol-0f9e8d7c6b5a43210", "missing tag 'Owner'."),
    (
        "eu-west-1",
        "encryption",
        "AWS::SNS::Topic",
        "ops-alerts",
        "SNS topic has no server-side encryption (KmsMasterKeyId unset).",
    ),
)
# Compliant resources per check and region; required-tags has no results in eu-west-1 yet.
SAMPLE_COMPLIANT = {
    ("encryption", "us-east-1"): 41,
    ("encryption", "us-west-2"): 18,
    ("encryption", "eu-west-1"): 7,
    ("required-tags", "us-east-1"): 35,
    ("required-tags", "us-west-2"): 12,
    ("backup", "us-east-1"): 14,
    ("backup", "us-west-2"): 6,
    ("backup", "eu-west-1"): 3,
}


# Resources an exception applies to: region, check, type, id, the exception (newest first). us-west-2's
# encryption cell then has excepted resources and nothing non-compliant.
SAMPLE_EXCEPTED = (
    ("us-west-2", "encryption", "AWS::EC2::Volume", "vol-05c1a2b3c4d5e6f70", SCRATCH),
    ("us-east-1", "encryption", "AWS::S3::Bucket", "public-assets-prod", PUBLIC),
    ("us-west-2", "encryption", "AWS::EC2::Volume", "vol-05c9f8e7d6c5b4a32", SCRATCH),
)
# The lapsed exception's resource: non-compliant again, the annotation naming it.
SAMPLE_LAPSED = (
    "eu-west-1",
    "backup",
    "AWS::DynamoDB::Table",
    "orders",
    "point-in-time recovery is DISABLED.",
)


def _result(
    number: int, region: str, check: str, kind: str, resource: str, annotation: str
) -> ResourceResult:
    return ResourceResult(
        recorded=NOW - timedelta(minutes=37 * number + 5),
        account_id="123456789012",
        region=region,
        check=check,
        rule_name=f"compliance-{check}-dev-{region}",
        resource_type=kind,
        resource_id=resource,
        annotation=annotation,
        exception=read_exception_annotation(annotation),
    )


def _annotation(finding: str, applied: ResourceException) -> str:
    return apply_exception(Verdict.non_compliant(finding), applied, TODAY).annotation


def sample_report() -> ComplianceReport:
    """A three-region dev stack's report with a few findings, excepted resources and exceptions (one
    expired, one stale, one expiring): the one docs/report.md shows."""
    outputs = parse_outputs(example_outputs())
    counts = {("123456789012", *cell): Counts(compliant, 0) for cell, compliant in SAMPLE_COMPLIANT.items()}
    lapsed = (*SAMPLE_LAPSED[:4], _annotation(SAMPLE_LAPSED[4], LAPSED))
    findings = []
    for number, (region, check, kind, resource, annotation) in enumerate((*SAMPLE_FINDINGS, lapsed)):
        counts[("123456789012", check, region)].non_compliant += 1
        findings.append(_result(number, region, check, kind, resource, annotation))
    findings.sort(key=lambda finding: finding.recorded, reverse=True)
    excepted = []
    for number, (region, check, kind, resource, applied) in enumerate(SAMPLE_EXCEPTED):
        counts[("123456789012", check, region)].excepted += 1
        annotation = _annotation(
            "EBS volume is not encrypted at rest." if "vol" in resource else "No KMS key.", applied
        )
        excepted.append(_result(2 * number + 1, region, check, kind, resource, annotation))
    checks = ("encryption", "required-tags", "backup")
    scope = ReportScope(stack_regions=outputs.regions, checks=checks, regions=outputs.regions)
    named = {resource.exception.id for resource in (*findings, *excepted) if resource.exception}
    return ComplianceReport(
        aggregator=outputs.aggregator_name,
        generated=NOW,
        checks=checks,
        regions=outputs.regions,
        filters=Filters(),
        account_counts=counts,
        findings=tuple(findings),
        accounts=("123456789012",),
        excepted=tuple(excepted),
        exceptions=review(LISTED, TODAY, scope, named, {"scratch-volumes": 2, "public-assets": 1}),
    )


def test_the_report_loads_without_errors_and_shows_chart_and_tables(tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text(render_html(sample_report()), encoding="utf-8")

    seen = visit(page, LAYOUT)

    assert seen.errors == []
    assert seen.requests == [page.resolve().as_uri()]
    layout = json.loads(seen.value)
    assert layout["title"] == "Compliance report of aggregator config-compliance-dev, 2026-12-06 12:00 UTC"
    # Three bars (compliant, excepted, non-compliant) for each check and region with results (8 of 9).
    assert layout["bars"] == 3 * 8
    assert layout["exceptedBars"] == 8
    assert layout["chartWidth"] > 600
    assert layout["summaryRows"] == 3
    assert layout["findingRows"] == len(SAMPLE_FINDINGS) + 1
    assert "db-7HJQ2KXN4ZPLR6WT" in layout["firstFinding"]
    assert layout["exceptedRows"] == len(SAMPLE_EXCEPTED)
    assert layout["exceptionRows"] == ["expired", "stale", "expiring", "active"]
    assert layout["expiredStatus"] == "rgb(198, 40, 40)"
    assert seen.screenshot.startswith(b"\x89PNG")
    if os.environ.get("REPORT_SCREENSHOT"):
        Path(os.environ["REPORT_SCREENSHOT"]).write_bytes(seen.screenshot)


def test_excepted_resources_have_their_own_colour_matching_the_legends(tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text(render_html(sample_report()), encoding="utf-8")

    layout = json.loads(visit(page, LAYOUT).value)

    # The chart: each kind of bar has its legend swatch's colour; excepted is blue, apart from the others.
    assert layout["bar"] == {
        "compliant": {"bar": "rgb(46, 125, 50)", "legend": "rgb(46, 125, 50)"},
        "excepted": {"bar": "rgb(9, 105, 218)", "legend": "rgb(9, 105, 218)"},
        "noncompliant": {"bar": "rgb(198, 40, 40)", "legend": "rgb(198, 40, 40)"},
    }
    # The heat map: a cell with excepted resources and nothing non-compliant is blue, as its legend says.
    assert layout["heat"] == {
        "compliant": {"cell": "rgb(218, 251, 225)", "legend": "rgb(218, 251, 225)"},
        "excepted": {"cell": "rgb(182, 227, 255)", "legend": "rgb(182, 227, 255)"},
        "none": {"cell": "rgb(234, 238, 242)", "legend": "rgb(234, 238, 242)"},
    }
    assert layout["heatLegendHeight"] > 0
    assert "excepted, nothing non-compliant" in layout["heatLegend"]


def test_the_browser_check_catches_a_page_that_fetches(tmp_path: Path) -> None:
    # The control: the same report with one remote image is caught, so an empty error list means something.
    page = tmp_path / "report.html"
    html = render_html(sample_report()).replace("</main>", '<img src="https://example.com/logo.png"></main>')
    page.write_text(html, encoding="utf-8")

    seen = visit(page, LAYOUT)

    assert any("Content Security Policy" in error for error in seen.errors), seen.errors


# What the per-control page shows, read from its DOM once loaded.
CONTROLS_LAYOUT = """JSON.stringify({
  title: document.title,
  rows: Array.from(document.querySelectorAll('#controls tbody tr')).map(row => row.innerText),
  statusColours: Array.from(document.querySelectorAll('#controls td.status')).map(
    cell => getComputedStyle(cell).color),
  note: document.getElementById('evidence-note').innerText,
  noteVisible: document.getElementById('evidence-note').getBoundingClientRect().height > 0,
  passing: document.querySelector('#passing b').innerText,
  withEvidence: document.querySelector('#with-evidence b').innerText,
})"""


def sample_framework_report() -> FrameworkReport:
    """The sample report seen through a small framework (the page docs/report.md shows)."""
    report = sample_report()
    framework = Framework(
        key="sample",
        title="Sample framework",
        version="v1",
        source="https://docs.aws.amazon.com/config/latest/developerguide/operational-best-practices-for-sample.html",
        retrieved="2026-12-06",
        controls=(
            Control("3.4", "Stored data is encrypted", ("ENCRYPTED_VOLUMES", "RDS_STORAGE_ENCRYPTED")),
            Control("10.1", "Backups exist", ("DB_INSTANCE_BACKUP_ENABLED",)),
            Control("8.2", "Passwords are strong", ("IAM_PASSWORD_POLICY",)),
        ),
    )
    sources = {check: check_source(check) for check in report.checks}
    evaluated = tuple(
        EvaluatedResource(
            check, "123456789012", region, "AWS::EC2::Volume", f"vol-{check}-{region}", compliance
        )
        for (check, region), compliance in {
            ("encryption", "us-east-1"): "NON_COMPLIANT",
            ("encryption", "us-west-2"): "COMPLIANT",
            ("backup", "eu-west-1"): "COMPLIANT",
        }.items()
    )
    return framework_report(replace(report, sources=sources, evaluated=evaluated), framework)


def test_the_framework_page_shows_each_control_and_states_evidence_is_not_proof(tmp_path: Path) -> None:
    page = tmp_path / "controls.html"
    page.write_text(render_framework_html(sample_framework_report()), encoding="utf-8")

    seen = visit(page, CONTROLS_LAYOUT)

    assert seen.errors == []
    assert seen.requests == [page.resolve().as_uri()]
    layout = json.loads(seen.value)
    assert layout["title"].startswith("Sample framework v1: controls supported by the stack's rules")
    assert [row.split("\t")[:5] for row in layout["rows"]] == [
        ["3.4", "FAIL", "1", "0", "1"],
        ["10.1", "PASS", "1", "0", "0"],
        ["8.2", "NO RULE", "0", "0", "0"],
    ]
    assert "this project's claim" in layout["rows"][0]
    # FAIL red, PASS green, NO RULE grey (the page's status colours).
    assert layout["statusColours"] == ["rgb(198, 40, 40)", "rgb(46, 125, 50)", "rgb(87, 96, 106)"]
    assert layout["note"] == EVIDENCE_NOTE and layout["noteVisible"]
    assert (layout["passing"], layout["withEvidence"]) == ("1", "2")
    if os.environ.get("FRAMEWORK_SCREENSHOT"):
        Path(os.environ["FRAMEWORK_SCREENSHOT"]).write_bytes(seen.screenshot)
