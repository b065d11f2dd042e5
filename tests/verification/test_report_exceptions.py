"""``python -m verification report`` with exceptions, against the stack in moto server (aggregate answers at
the client layer, aggregate_answers.py): excepted resources counted apart, listed with their exception, the
exceptions section (expired, stale, expiring within 14 days) in every format, and the two gates."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aggregate_answers import Evaluation, aggregate_answers
from evaluators.exceptions import ResourceException
from exception_estate import (
    LAPSED,
    LISTED,
    NOW,
    PUBLIC,
    SCRATCH,
    STALE,
    estate,
    evaluated,
    exception,
    outputs_with,
)
from moto_stack import StatusAnswers, healthy_answers

from verification.cli import main
from verification.exception_review import EXPIRY_WARNING_DAYS, ReportScope

# Standard error is compared whole: no progress line however long a run takes.
pytestmark = pytest.mark.usefixtures("quiet_progress")


def _run(
    stack: dict[str, Any],
    directory: Path,
    aws_endpoint: str,
    *arguments: str,
    exceptions: Sequence[ResourceException] = LISTED,
    evaluations: list[Evaluation] | None = None,
    clients: StatusAnswers | None = None,
) -> int:
    path = directory / "outputs.json"
    path.write_text(json.dumps(outputs_with(stack, exceptions)), encoding="utf-8")
    if clients is None:
        answers = aggregate_answers(estate() if evaluations is None else evaluations)
        clients = StatusAnswers(aws_endpoint, {**healthy_answers(NOW), **answers})
    return main(["report", "--outputs", str(path), *arguments], clients=clients, clock=lambda: NOW)


def _json(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(capsys.readouterr().out)
    return document


def test_the_table_counts_excepted_apart_and_lists_them_and_the_exceptions(
    deployed_stack: dict[str, Any], aws_endpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = _run(deployed_stack, tmp_path, aws_endpoint)

    captured = capsys.readouterr()
    assert status == 0, captured.err
    lines = captured.out.splitlines()
    assert lines[2:7] == [
        "Resources per check and region (compliant / excepted / non-compliant):",
        "Check          us-east-1   us-west-2   eu-west-1",
        "encryption     1 / 1 / 0   0 / 1 / 1   0 / 1 / 0",
        "required-tags  no results  no results  no results",
        "backup         no results  no results  0 / 0 / 1",
    ]
    assert lines[8] == "Non-compliant resources: 2, newest first"
    # The lapsed exception's resource is a finding again, its annotation naming the exception.
    assert lines[11].split()[6] == "orders"
    assert "EXCEPTION legacy-orders EXPIRED after 2026-12-03; owner: data-team" in lines[11]
    assert lines[13] == "Excepted resources: 3, newest first"
    assert lines[14].split("  ")[0] == "Recorded (UTC)"
    assert [line.split() for line in lines[15:18]] == [
        [
            "2026-12-06",
            "09:00",
            "123456789012",
            "eu-west-1",
            "encryption",
            "AWS::S3::Bucket",
            "public-assets-eu",
            "public-assets",
            "web-team",
            "2026-12-19",
        ],
        [
            "2026-12-06",
            "08:00",
            "123456789012",
            "us-west-2",
            "encryption",
            "AWS::EC2::Volume",
            "vol-5c02",
            "scratch-volumes",
            "platform-team",
            "SEC-101",
            "2027-02-04",
        ],
        [
            "2026-12-06",
            "07:00",
            "123456789012",
            "us-east-1",
            "encryption",
            "AWS::EC2::Volume",
            "vol-5c01",
            "scratch-volumes",
            "platform-team",
            "SEC-101",
            "2027-02-04",
        ],
    ]
    assert lines[19] == (
        "Exceptions: 4 listed; 1 expired but still listed, 1 stale (listed, but no evaluation names it), "
        "1 expiring within 14 days"
    )
    rows = [line.split("  ") for line in lines[21:]]
    assert [(row[0], _cells(row)[2]) for row in rows] == [
        ("legacy-orders", "expired, still listed"),
        ("old-scratch", "stale: no evaluation names it"),
        ("public-assets", "expires in 13 day(s)"),
        ("scratch-volumes", "active"),
    ]
    assert _cells(rows[3])[3:] == [
        "2027-02-04",
        "platform-team",
        "SEC-101",
        "2",
        "scratch-volumes: accepted by the security review",
    ]


def _cells(row: list[str]) -> list[str]:
    return [cell.strip() for cell in row if cell.strip()]


def test_json_has_excepted_counts_resources_and_each_exceptions_status(
    deployed_stack: dict[str, Any], aws_endpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(deployed_stack, tmp_path, aws_endpoint, "--format", "json") == 0

    document = _json(capsys)
    cells = {
        (c["check"], c["region"]): (c["compliant"], c["excepted"], c["nonCompliant"])
        for c in document["summary"]
    }
    assert cells[("encryption", "us-east-1")] == (1, 1, 0)
    assert cells[("encryption", "us-west-2")] == (0, 1, 1)
    assert cells[("backup", "eu-west-1")] == (0, 0, 1)
    assert cells[("backup", "us-east-1")] == (None, None, None)
    assert [resource["resourceId"] for resource in document["excepted"]] == [
        "public-assets-eu",
        "vol-5c02",
        "vol-5c01",
    ]
    assert document["excepted"][1]["exception"] == {
        "id": "scratch-volumes",
        "owner": "platform-team",
        "ticket": "SEC-101",
        "expires": "2027-02-04",
        "expired": False,
    }
    assert document["excepted"][0]["exception"]["ticket"] is None
    lapsed = document["nonCompliant"][1]
    assert (lapsed["resourceId"], lapsed["exception"]["id"], lapsed["exception"]["expired"]) == (
        "orders",
        "legacy-orders",
        True,
    )
    assert document["nonCompliant"][0]["exception"] is None
    assert [(e["id"], e["status"], e["daysLeft"], e["excepted"]) for e in document["exceptions"]] == [
        ("legacy-orders", "expired", -3, 0),
        ("old-scratch", "stale", 40, 0),
        ("public-assets", "expiring", 13, 1),
        ("scratch-volumes", "active", 60, 2),
    ]
    assert document["exceptions"][1] == {
        "id": "old-scratch",
        "check": "required-tags",
        "resource": "vol-0dead*",
        "resourceType": None,
        "regions": ["us-east-1"],
        "accounts": [],
        "reason": "old-scratch: accepted by the security review",
        "owner": "platform-team",
        "ticket": "SEC-101",
        "expires": "2027-01-15",
        "status": "stale",
        "daysLeft": 40,
        "excepted": 0,
    }


def test_csv_has_a_row_per_non_compliant_and_excepted_resource_with_its_exception(
    deployed_stack: dict[str, Any], aws_endpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(deployed_stack, tmp_path, aws_endpoint, "--format", "csv") == 0

    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(row["resource_id"], row["status"], row["exception"]) for row in rows] == [
        ("vol-0bad", "NON_COMPLIANT", ""),
        ("orders", "NON_COMPLIANT", "legacy-orders"),
        ("public-assets-eu", "EXCEPTED", "public-assets"),
        ("vol-5c02", "EXCEPTED", "scratch-volumes"),
        ("vol-5c01", "EXCEPTED", "scratch-volumes"),
    ]
    assert {key: rows[3][key] for key in ("owner", "ticket", "expires", "region", "check")} == {
        "owner": "platform-team",
        "ticket": "SEC-101",
        "expires": "2027-02-04",
        "region": "us-west-2",
        "check": "encryption",
    }
    assert rows[2]["ticket"] == ""


def test_markdown_has_the_excepted_resources_and_the_exceptions_section(
    deployed_stack: dict[str, Any], aws_endpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(deployed_stack, tmp_path, aws_endpoint, "--format", "markdown") == 0

    lines = capsys.readouterr().out.splitlines()
    assert "| encryption | 1 / 1 / 0 | 0 / 1 / 1 | 0 / 1 / 0 |" in lines
    assert "## Excepted resources (3), newest first" in lines
    assert (
        "| 2026-12-06 08:00 | 123456789012 | us-west-2 | encryption | AWS::EC2::Volume | vol-5c02 "
        "| scratch-volumes | platform-team | SEC-101 | 2027-02-04 |"
    ) in lines
    section = lines.index(
        "## Exceptions: 4 listed; 1 expired but still listed, 1 stale (listed, but no evaluation names it), "
        "1 expiring within 14 days"
    )
    assert (
        lines[section + 2] == "| Exception | Check | Status | Expires | Owner | Ticket | Excepted | Reason |"
    )
    assert lines[section + 4].startswith("| legacy-orders | backup | expired, still listed | 2026-12-03 |")
    assert lines[section + 6].startswith("| public-assets | encryption | expires in 13 day(s) | 2026-12-19 |")


def test_html_marks_excepted_in_totals_chart_heat_map_and_tables(
    deployed_stack: dict[str, Any], aws_endpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page_file = tmp_path / "report.html"
    assert _run(deployed_stack, tmp_path, aws_endpoint, "--format", "html", "--output", str(page_file)) == 0

    page = page_file.read_text(encoding="utf-8")
    assert '<div class="total excepted"><b>3</b>excepted resources</div>' in page
    assert page.count('<rect class="bar excepted"') == 4
    assert "<title>1 excepted</title>" in page
    # eu-west-1 encryption: one excepted, nothing non-compliant; us-east-1: one compliant, one excepted.
    assert '<td class="cell heat-excepted">0 / 1 / 0</td>' in page
    assert '<td class="cell heat-excepted">1 / 1 / 0</td>' in page
    assert '<td class="cell heat-noncompliant" style="background:hsl(0, 70%, 72%)">0 / 1 / 1</td>' in page
    assert '<td class="cell heat-none">no results</td>' in page
    assert '<p class="legend" id="heatmap-legend"><span class="swatch heat-compliant"></span>' in page
    assert '<tr class="expired"><td class="id">legacy-orders</td>' in page
    assert '<tr class="stale"><td class="id">old-scratch</td>' in page
    assert '<tr class="expiring"><td class="id">public-assets</td>' in page
    assert '<td class="status">expires in 13 day(s)</td>' in page
    assert '<table class="excepted" id="excepted">' in page


def test_fail_on_noncompliant_ignores_excepted_resources(
    deployed_stack: dict[str, Any], aws_endpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    only_excepted = [e for e in estate() if e.compliance == "COMPLIANT"]
    gate = ["--fail-on-noncompliant", "--format", "csv"]

    assert _run(deployed_stack, tmp_path, aws_endpoint, *gate, evaluations=only_excepted) == 0
    assert capsys.readouterr().err == ""
    # The lapsed exception's resource is non-compliant: it fails the gate like any other.
    lapsed = [e for e in estate() if e.resource_id == "orders"]
    assert _run(deployed_stack, tmp_path, aws_endpoint, *gate, evaluations=only_excepted + lapsed) == 1
    assert capsys.readouterr().err == "1 non-compliant resource(s) (--fail-on-noncompliant)\n"


def test_fail_on_expired_exceptions_exits_1_while_an_expired_one_is_listed(
    deployed_stack: dict[str, Any], aws_endpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gate = ["--fail-on-expired-exceptions", "--format", "csv"]

    assert _run(deployed_stack, tmp_path, aws_endpoint, *gate) == 1
    assert capsys.readouterr().err == (
        "1 expired exception(s) still listed: legacy-orders (--fail-on-expired-exceptions)\n"
    )
    # Without the flag the report is made and exits 0; without the expired exception the flag passes.
    assert _run(deployed_stack, tmp_path, aws_endpoint, "--format", "csv") == 0
    assert _run(deployed_stack, tmp_path, aws_endpoint, *gate, exceptions=(SCRATCH, PUBLIC, STALE)) == 0
    # Expiring, stale: not expired. Both gates at once: both messages, exit 1.
    both = ["--fail-on-expired-exceptions", "--fail-on-noncompliant", "--format", "csv"]
    capsys.readouterr()
    assert _run(deployed_stack, tmp_path, aws_endpoint, *both) == 1
    assert capsys.readouterr().err.splitlines() == [
        "2 non-compliant resource(s) (--fail-on-noncompliant)",
        "1 expired exception(s) still listed: legacy-orders (--fail-on-expired-exceptions)",
    ]


def test_an_exception_expires_after_its_last_day(
    deployed_stack: dict[str, Any], aws_endpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # expires is inclusive: on that day it applies (expiring, 0 days left), the next day it has expired.
    last_day = exception("last-day", "backup", "orders", 0)
    lapsed_yesterday = exception("lapsed-yesterday", "backup", "orders", -1)
    evaluations = [
        evaluated("backup", "eu-west-1", "AWS::DynamoDB::Table", "orders", "No plan.", 1, last_day)
    ]
    gate = ["--fail-on-expired-exceptions", "--format", "json"]

    assert (
        _run(deployed_stack, tmp_path, aws_endpoint, *gate, exceptions=(last_day,), evaluations=evaluations)
        == 0
    )
    assert [(e["status"], e["daysLeft"]) for e in _json(capsys)["exceptions"]] == [("expiring", 0)]
    assert (
        _run(
            deployed_stack,
            tmp_path,
            aws_endpoint,
            *gate,
            exceptions=(lapsed_yesterday,),
            evaluations=evaluations,
        )
        == 1
    )
    assert [(e["status"], e["daysLeft"]) for e in _json(capsys)["exceptions"]] == [("expired", -1)]


@pytest.mark.parametrize(("days", "status"), [(13, "expiring"), (14, "expiring"), (15, "active")])
def test_expiring_means_within_14_days_that_day_included(
    days: int,
    status: str,
    deployed_stack: dict[str, Any],
    aws_endpoint: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    listed = exception("boundary", "encryption", "vol-5c*", days)
    applied = [
        evaluated("encryption", "us-east-1", "AWS::EC2::Volume", "vol-5c01", "Not encrypted.", 1, listed)
    ]

    _run(
        deployed_stack, tmp_path, aws_endpoint, "--format", "json", exceptions=(listed,), evaluations=applied
    )

    document = _json(capsys)
    assert EXPIRY_WARNING_DAYS == 14
    assert [(e["id"], e["status"], e["daysLeft"], e["excepted"]) for e in document["exceptions"]] == [
        ("boundary", status, days, 1)
    ]


def test_an_exception_named_by_an_evaluation_is_not_stale_even_once_expired(
    deployed_stack: dict[str, Any], aws_endpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # SCRATCH is named only by evaluations of us-west-2; the stale one by none; LAPSED by its finding.
    west = [e for e in estate() if e.resource_id == "vol-5c02"]
    lapsed = [e for e in estate() if e.resource_id == "orders"]

    _run(deployed_stack, tmp_path, aws_endpoint, "--format", "json", evaluations=west + lapsed)

    statuses = {e["id"]: e["status"] for e in _json(capsys)["exceptions"]}
    assert statuses == {
        "legacy-orders": "expired",
        "old-scratch": "stale",
        "public-assets": "stale",
        "scratch-volumes": "active",
    }


def test_stale_is_judged_only_where_the_report_read_everything_the_exception_covers(
    deployed_stack: dict[str, Any], aws_endpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Filtered to eu-west-1: SCRATCH (every region) excepts nothing there but is not called stale; STALE
    # (us-east-1 only) and the required-tags check are outside the report; LAPSED is still expired.
    _run(deployed_stack, tmp_path, aws_endpoint, "--format", "json", "--region", "eu-west-1")
    assert {e["id"]: e["status"] for e in _json(capsys)["exceptions"]} == {
        "legacy-orders": "expired",
        "public-assets": "expiring",
        "scratch-volumes": "active",
    }

    # Filtered to the check and region STALE covers: it is judged, and stale.
    _run(
        deployed_stack,
        tmp_path,
        aws_endpoint,
        "--format",
        "json",
        "--region",
        "us-east-1",
        "--check",
        "required-tags",
    )
    assert {e["id"]: e["status"] for e in _json(capsys)["exceptions"]} == {"old-scratch": "stale"}

    # A resource type filter: only exceptions limited to that type are judged.
    _run(deployed_stack, tmp_path, aws_endpoint, "--format", "json", "--resource-type", "AWS::EC2::Volume")
    statuses = {e["id"]: e["status"] for e in _json(capsys)["exceptions"]}
    assert statuses == {"legacy-orders": "expired", "old-scratch": "active", "scratch-volumes": "active"}


def test_exceptions_cost_no_extra_call(
    deployed_stack: dict[str, Any], aws_endpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = {**healthy_answers(NOW), **aggregate_answers(estate())}
    with_list = StatusAnswers(aws_endpoint, answers)
    without_list = StatusAnswers(aws_endpoint, answers)

    _run(deployed_stack, tmp_path, aws_endpoint, clients=with_list)
    _run(deployed_stack, tmp_path, aws_endpoint, exceptions=(), clients=without_list)

    # One details call per rule, account and region with results (4), COMPLIANT results included.
    assert (
        with_list.calls
        == without_list.calls
        == [
            "GetCallerIdentity",
            "DescribeConfigurationAggregatorSourcesStatus",
            "DescribeAggregateComplianceByConfigRules",
            *["GetAggregateComplianceDetailsByConfigRule"] * 4,
        ]
    )


def test_outputs_without_exceptions_report_none_and_malformed_ones_exit_2(
    deployed_stack: dict[str, Any], aws_endpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Stacks deployed before exceptions export no "exceptions" key.
    path = tmp_path / "old.json"
    path.write_text(json.dumps(deployed_stack), encoding="utf-8")
    clients = StatusAnswers(aws_endpoint, {**healthy_answers(NOW), **aggregate_answers(estate())})
    assert (
        main(["report", "--outputs", str(path), "--format", "json"], clients=clients, clock=lambda: NOW) == 0
    )
    document = _json(capsys)
    assert document["exceptions"] == []
    # Their annotations still mark the excepted resources.
    assert len(document["excepted"]) == 3

    broken = {**deployed_stack, "exceptions": [{"id": "no-expiry", "check": "encryption"}]}
    path.write_text(json.dumps(broken), encoding="utf-8")
    assert main(["report", "--outputs", str(path)], clients=clients, clock=lambda: NOW) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"error: stack outputs from {path} are unusable:\n")
    assert (
        "'exceptions' is not the list the stack exports: exceptions[0] (no-expiry): resource: missing"
        in error
    )


def test_the_report_date_decides_expiry(
    deployed_stack: dict[str, Any], aws_endpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The same list a week earlier: LAPSED still applied (4 days left), PUBLIC was 20 days away.
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(outputs_with(deployed_stack, (PUBLIC, LAPSED))), encoding="utf-8")
    clients = StatusAnswers(aws_endpoint, {**healthy_answers(NOW), **aggregate_answers(estate())})
    week_earlier = NOW - timedelta(days=7)

    status = main(
        ["report", "--outputs", str(path), "--format", "json", "--fail-on-expired-exceptions"],
        clients=clients,
        clock=lambda: week_earlier,
    )

    assert status == 0
    statuses = [(e["id"], e["status"], e["daysLeft"]) for e in _json(capsys)["exceptions"]]
    assert statuses == [("legacy-orders", "expiring", 4), ("public-assets", "active", 20)]


def test_account_filters_narrow_only_in_organization_scope() -> None:
    member, other = "210987654321", "345678901234"
    named = ResourceException(**{**vars(SCRATCH), "accounts": (member,)})
    every = ResourceException(**{**vars(SCRATCH), "accounts": ("*",)})
    regions = ("us-east-1", "us-west-2", "eu-west-1")
    checks = ("encryption",)

    def scope(accounts: tuple[str, ...], by_account: bool) -> ReportScope:
        return ReportScope(regions, checks, regions, accounts=accounts, by_account=by_account)

    # Organization scope: an exception is in a report filtered to one of its accounts, and judged (may be
    # stale) only when the filter holds all of them; ["*"] is never wholly read under an account filter.
    assert scope((member,), True).covers_all(named)
    assert not scope((other,), True).covers_some(named)
    assert scope((other,), True).covers_some(every) and not scope((other,), True).covers_all(every)
    assert scope((), True).covers_all(every)
    # Account scope: the only account is the stack's, an account filter narrows nothing.
    assert scope((other,), False).covers_all(named)


def test_until_the_next_evaluation_a_lapsed_exceptions_resource_stays_as_config_holds_it(
    deployed_stack: dict[str, Any], aws_endpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Evaluated on the exception's last day (COMPLIANT, excepted); the report runs the next day, before
    # the rule evaluated the resource again.
    last_day = exception("last-day", "backup", "orders", 0)
    applied = [evaluated("backup", "eu-west-1", "AWS::DynamoDB::Table", "orders", "No plan.", 1, last_day)]
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(outputs_with(deployed_stack, (last_day,))), encoding="utf-8")
    clients = StatusAnswers(aws_endpoint, {**healthy_answers(NOW), **aggregate_answers(applied)})

    status = main(
        ["report", "--outputs", str(path), "--format", "json", "--fail-on-expired-exceptions"],
        clients=clients,
        clock=lambda: NOW + timedelta(days=1),
    )

    document = _json(capsys)
    assert status == 1
    assert [(r["resourceId"], r["exception"]["expires"]) for r in document["excepted"]] == [
        ("orders", "2026-12-06")
    ]
    assert document["nonCompliant"] == []
    reviewed = [(e["id"], e["status"], e["excepted"]) for e in document["exceptions"]]
    assert reviewed == [("last-day", "expired", 1)]
