"""The HTML report in a real browser: headless Chromium loads it without any error or request, and
shows the chart, the summary table and the findings.

Needs Debian's ``chromium`` package (``apt-get install chromium``); skipped, saying so, without it.
``REPORT_SCREENSHOT=docs/report-screenshot.png`` also saves what the browser rendered.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from headless_chromium import chromium_path, visit
from moto_stack import example_outputs

from components.frameworks import Control, Framework
from verification.compliance import (
    ComplianceReport,
    Counts,
    EvaluatedResource,
    Filters,
    NonCompliantResource,
    check_source,
)
from verification.framework_report import EVIDENCE_NOTE, FrameworkReport, framework_report
from verification.html_report import render_framework_html, render_html
from verification.outputs import parse_outputs

pytestmark = pytest.mark.skipif(
    chromium_path() is None, reason="Chromium is not installed (/usr/bin/chromium or chromium on PATH)"
)

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
# What the page shows, read from its DOM once loaded.
LAYOUT = """JSON.stringify({
  title: document.title,
  bars: document.querySelectorAll('#chart rect').length,
  chartWidth: document.getElementById('chart').getBoundingClientRect().width,
  summaryRows: document.querySelectorAll('#summary tbody tr').length,
  findingRows: document.querySelectorAll('#findings tbody tr').length,
  firstFinding: document.querySelector('#findings tbody tr').innerText,
})"""


# Non-compliant resources of the sample: region, check, type, id, annotation (newest first).
SAMPLE_FINDINGS = (
    ("eu-west-1", "backup", "AWS::RDS::DBInstance", "db-7HJQ2KXN4ZPLR6WT", "Backup retention is 0 days."),
    ("us-east-1", "encryption", "AWS::EC2::Volume", "vol-0a1b2c3d4e5f60718", "Volume is not encrypted."),
    ("us-west-2", "required-tags", "AWS::S3::Bucket", "analytics-raw-landing", "Missing required tag: Owner"),
    ("us-east-1", "required-tags", "AWS::DynamoDB::Table", "orders", "Tag Environment: 'test' not allowed"),
    ("us-west-2", "backup", "AWS::DynamoDB::Table", "sessions", "Point-in-time recovery is off."),
    ("us-east-1", "required-tags", "AWS::EC2::Volume", "vol-0f9e8d7c6b5a43210", "Tag Owner is missing"),
    ("eu-west-1", "encryption", "AWS::SNS::Topic", "ops-alerts", "Topic is not encrypted with KMS."),
)
SAMPLE_COMPLIANT = {
    ("encryption", "us-east-1"): 41,
    ("encryption", "us-west-2"): 18,
    ("encryption", "eu-west-1"): 7,
    ("required-tags", "us-east-1"): 35,
    ("required-tags", "us-west-2"): 12,
    ("required-tags", "eu-west-1"): 9,
    ("backup", "us-east-1"): 14,
    ("backup", "us-west-2"): 6,
    ("backup", "eu-west-1"): 3,
}


def sample_report() -> ComplianceReport:
    """A three-region dev stack's report with a few findings (the one docs/report.md shows)."""
    outputs = parse_outputs(example_outputs())
    counts = {("123456789012", *cell): Counts(compliant, 0) for cell, compliant in SAMPLE_COMPLIANT.items()}
    findings = []
    for number, (region, check, kind, resource, annotation) in enumerate(SAMPLE_FINDINGS):
        counts[("123456789012", check, region)].non_compliant += 1
        findings.append(
            NonCompliantResource(
                recorded=NOW - timedelta(minutes=37 * number + 5),
                account_id="123456789012",
                region=region,
                check=check,
                rule_name=f"compliance-{check}-dev-{region}",
                resource_type=kind,
                resource_id=resource,
                annotation=annotation,
            )
        )
    return ComplianceReport(
        aggregator=outputs.aggregator_name,
        generated=NOW,
        checks=("encryption", "required-tags", "backup"),
        regions=outputs.regions,
        filters=Filters(),
        account_counts=counts,
        findings=tuple(findings),
        accounts=("123456789012",),
    )


def test_the_report_loads_without_errors_and_shows_chart_and_tables(tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text(render_html(sample_report()), encoding="utf-8")

    seen = visit(page, LAYOUT)

    assert seen.errors == []
    assert seen.requests == [page.resolve().as_uri()]
    layout = json.loads(seen.value)
    assert layout["title"] == "Compliance report of aggregator config-compliance-dev, 2026-11-26 12:00 UTC"
    # Two bars (compliant, non-compliant) for each check and region.
    assert layout["bars"] == 2 * 9
    assert layout["chartWidth"] > 600
    assert layout["summaryRows"] == 3
    assert layout["findingRows"] == len(SAMPLE_FINDINGS)
    assert "db-7HJQ2KXN4ZPLR6WT" in layout["firstFinding"]
    assert seen.screenshot.startswith(b"\x89PNG")
    if os.environ.get("REPORT_SCREENSHOT"):
        Path(os.environ["REPORT_SCREENSHOT"]).write_bytes(seen.screenshot)


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
    assert [row.split("\t")[:4] for row in layout["rows"]] == [
        ["3.4", "FAIL", "1", "1"],
        ["10.1", "PASS", "1", "0"],
        ["8.2", "NO RULE", "0", "0"],
    ]
    assert "this project's claim" in layout["rows"][0]
    # FAIL red, PASS green, NO RULE grey (the page's status colours).
    assert layout["statusColours"] == ["rgb(198, 40, 40)", "rgb(46, 125, 50)", "rgb(87, 96, 106)"]
    assert layout["note"] == EVIDENCE_NOTE and layout["noteVisible"]
    assert (layout["passing"], layout["withEvidence"]) == ("1", "2")
    if os.environ.get("FRAMEWORK_SCREENSHOT"):
        Path(os.environ["FRAMEWORK_SCREENSHOT"]).write_bytes(seen.screenshot)
