"""``python -m verification report`` against the stack in moto server, the aggregator answered at the client
layer (aggregate_answers.py): summary, findings, paging, filters, formats, exit statuses."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aggregate_answers import Evaluation, aggregate_answers
from moto_stack import ACCOUNT, REGIONS, StatusAnswers, healthy_answers, rule_name

from verification.cli import main
from verification.report_command import Progress

NOW = datetime(2026, 11, 26, 12, 0).astimezone()


def _save(outputs: dict[str, Any], directory: Path) -> Path:
    path = directory / "outputs.json"
    path.write_text(json.dumps(outputs), encoding="utf-8")
    return path


def _report(stack: dict[str, Any], directory: Path, clients: StatusAnswers, *arguments: str) -> int:
    return main(["report", "--outputs", str(_save(stack, directory)), *arguments], clients=clients)


def _clients(aws_endpoint: str, now: datetime, evaluations: list[Evaluation], **overrides: Any) -> Any:
    answers = {**healthy_answers(now), **aggregate_answers(evaluations), **overrides}
    return StatusAnswers(aws_endpoint, answers)


def _volume(
    number: int, region: str, compliance: str, hours_ago: float, now: datetime, rule: str = "encryption"
) -> Evaluation:
    return Evaluation(
        rule=rule_name(rule, region),
        region=region,
        resource_type="AWS::EC2::Volume",
        resource_id=f"vol-{number:04x}",
        compliance=compliance,
        recorded=now - timedelta(hours=hours_ago),
        annotation="Volume is not encrypted." if compliance == "NON_COMPLIANT" else "",
    )


def _estate(now: datetime) -> list[Evaluation]:
    """A small estate: compliant and non-compliant resources in every region, and a rule of another stack."""
    evaluations = [
        _volume(1, "us-east-1", "COMPLIANT", 5, now),
        _volume(2, "us-east-1", "NON_COMPLIANT", 3, now),
        _volume(3, "us-west-2", "NON_COMPLIANT", 1, now),
        _volume(4, "eu-west-1", "COMPLIANT", 2, now),
        Evaluation(
            rule=rule_name("required-tags", "us-west-2"),
            region="us-west-2",
            resource_type="AWS::S3::Bucket",
            resource_id="analytics-raw",
            compliance="NON_COMPLIANT",
            recorded=now - timedelta(hours=2),
            annotation="Missing required tag(s): CostCenter | Owner",
        ),
        Evaluation(
            rule=rule_name("backup", "eu-west-1"),
            region="eu-west-1",
            resource_type="AWS::RDS::DBInstance",
            resource_id="db-ABCDEFGHIJKLMNOP",
            compliance="NON_COMPLIANT",
            recorded=now - timedelta(minutes=30),
            annotation="<b>Backup retention is 0 days</b>, at least 7 required.",
        ),
        # Another stack's rule in the same aggregator: not in the report.
        Evaluation("someone-elses-rule", "us-east-1", "AWS::EC2::Volume", "vol-ffff", "NON_COMPLIANT", now),
    ]
    return evaluations


@pytest.mark.usefixtures("quiet_progress")
def test_the_table_shows_the_summary_then_every_non_compliant_resource_newest_first(
    deployed_stack: dict[str, Any], aws_endpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    now = datetime.now().astimezone()
    clients = _clients(aws_endpoint, now, _estate(now))

    status = _report(deployed_stack, tmp_path, clients)

    captured = capsys.readouterr()
    assert status == 0, captured.err
    lines = captured.out.splitlines()
    assert lines[0].startswith("Compliance report of aggregator config-compliance-dev, ")
    assert lines[1:7] == [
        "",
        "Resources per check and region (compliant / excepted / non-compliant):",
        "Check          us-east-1   us-west-2   eu-west-1",
        "encryption     1 / 0 / 1   0 / 0 / 1   1 / 0 / 0",
        "required-tags  no results  0 / 0 / 1   no results",
        "backup         no results  no results  0 / 0 / 1",
    ]
    assert lines[8] == "Non-compliant resources: 4, newest first"
    assert lines[9].split("  ")[0] == "Recorded (UTC)"
    ids = [line.split()[6] for line in lines[10:14]]
    assert lines[14:] == ["", "Excepted resources: 0, newest first", "", "Exceptions: none listed"]
    assert ids == ["db-ABCDEFGHIJKLMNOP", "vol-0003", "analytics-raw", "vol-0002"]
    assert lines[10].endswith("backup         AWS::RDS::DBInstance  db-ABCDEFGHIJKLMNOP  "
                              "compliance-backup-dev-eu-west-1         "
                              "<b>Backup retention is 0 days</b>, at least 7 required.")
    assert "someone-elses-rule" not in captured.out
    assert captured.err == ""


def test_calls_one_sources_one_listing_and_one_per_rule_with_results(
    deployed_stack: dict[str, Any], aws_endpoint: str, tmp_path: Path
) -> None:
    now = datetime.now().astimezone()
    clients = _clients(aws_endpoint, now, _estate(now))

    _report(deployed_stack, tmp_path, clients)

    assert clients.calls == [
        "GetCallerIdentity",
        "DescribeConfigurationAggregatorSourcesStatus",
        "DescribeAggregateComplianceByConfigRules",
        *["GetAggregateComplianceDetailsByConfigRule"] * 5,
    ]


def test_an_empty_stack_reports_no_results_without_detail_calls(
    deployed_stack: dict[str, Any], aws_endpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    now = datetime.now().astimezone()
    clients = _clients(aws_endpoint, now, [])

    status = _report(deployed_stack, tmp_path, clients, "--format", "json")

    document = json.loads(capsys.readouterr().out)
    assert status == 0
    assert document["nonCompliant"] == []
    assert len(document["summary"]) == 9
    assert {(cell["compliant"], cell["nonCompliant"]) for cell in document["summary"]} == {(None, None)}
    assert "GetAggregateComplianceDetailsByConfigRule" not in clients.calls


def test_every_page_is_read(
    deployed_stack: dict[str, Any], aws_endpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    now = datetime.now().astimezone()
    evaluations = [
        _volume(number, region, "NON_COMPLIANT" if number % 3 else "COMPLIANT", number / 60, now)
        for region in REGIONS
        for number in range(250)
    ]
    evaluations += [_volume(1000, "us-east-1", "COMPLIANT", 1, now, rule="backup")]
    clients = StatusAnswers(
        aws_endpoint, {**healthy_answers(now), **aggregate_answers(evaluations, rules_page_size=1)}
    )

    status = _report(deployed_stack, tmp_path, clients, "--format", "json")

    document = json.loads(capsys.readouterr().out)
    assert status == 0
    cells = {(c["check"], c["region"]): (c["compliant"], c["nonCompliant"]) for c in document["summary"]}
    assert cells[("encryption", "eu-west-1")] == (84, 166)
    assert cells[("backup", "us-east-1")] == (1, 0)
    assert len(document["nonCompliant"]) == 3 * 166
    recorded = [finding["recorded"] for finding in document["nonCompliant"]]
    assert recorded == sorted(recorded, reverse=True)
    # Four listing pages of one rule each; three pages of 100 per encryption rule, one for backup.
    assert clients.calls.count("DescribeAggregateComplianceByConfigRules") == 4
    assert clients.calls.count("GetAggregateComplianceDetailsByConfigRule") == 3 * 3 + 1


def test_filters_narrow_the_regions_checks_and_types(
    deployed_stack: dict[str, Any], aws_endpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    now = datetime.now().astimezone()
    clients = _clients(aws_endpoint, now, _estate(now))
    arguments = ["report", "--outputs", str(_save(deployed_stack, tmp_path)), "--format", "json"]

    main([*arguments, "--region", "us-west-2"], clients=clients)
    document = json.loads(capsys.readouterr().out)
    assert document["regions"] == ["us-west-2"]
    assert [finding["resourceId"] for finding in document["nonCompliant"]] == ["vol-0003", "analytics-raw"]
    assert document["filters"] == {
        "regions": ["us-west-2"], "checks": [], "resourceTypes": [], "accounts": []
    }
    # One region: the listing is filtered by the aggregator, and only that region's rules are read.
    assert clients.calls.count("GetAggregateComplianceDetailsByConfigRule") == 2

    main([*arguments, "--check", "encryption", "--check", "backup"], clients=clients)
    document = json.loads(capsys.readouterr().out)
    assert document["checks"] == ["encryption", "backup"]
    assert {finding["check"] for finding in document["nonCompliant"]} == {"encryption", "backup"}

    main([*arguments, "--resource-type", "AWS::S3::Bucket"], clients=clients)
    document = json.loads(capsys.readouterr().out)
    assert [finding["resourceId"] for finding in document["nonCompliant"]] == ["analytics-raw"]
    encryption = [cell for cell in document["summary"] if cell["check"] == "encryption"]
    assert {(cell["compliant"], cell["nonCompliant"]) for cell in encryption} == {(0, 0)}


def test_filters_the_stack_does_not_have_are_refused(
    deployed_stack: dict[str, Any], aws_endpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clients = _clients(aws_endpoint, NOW, [])
    status = main(
        [
            "report",
            "--outputs",
            str(_save(deployed_stack, tmp_path)),
            "--region",
            "ap-south-1",
            "--check",
            "logging",
            "--resource-type",
            "Volume",
        ],
        clients=clients,
    )

    assert status == 2
    assert capsys.readouterr().err == (
        "error: --region ap-south-1: the stack's regions are us-east-1, us-west-2, eu-west-1; "
        "--check logging: the stack's checks and managed rules are encryption, required-tags, backup; "
        "--resource-type Volume: expected a type like AWS::EC2::Volume\n"
    )
    assert clients.calls == ["GetCallerIdentity"]


def test_csv_has_one_row_per_non_compliant_resource(
    deployed_stack: dict[str, Any], aws_endpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    now = datetime.now().astimezone()
    main(
        ["report", "--outputs", str(_save(deployed_stack, tmp_path)), "--format", "csv"],
        clients=_clients(aws_endpoint, now, _estate(now)),
    )

    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    newest_first = ["db-ABCDEFGHIJKLMNOP", "vol-0003", "analytics-raw", "vol-0002"]
    assert [row["resource_id"] for row in rows] == newest_first
    assert rows[2] == {
        "recorded": rows[2]["recorded"],
        "account": ACCOUNT,
        "region": "us-west-2",
        "check": "required-tags",
        "resource_type": "AWS::S3::Bucket",
        "resource_id": "analytics-raw",
        "rule": "compliance-required-tags-dev-us-west-2",
        "annotation": "Missing required tag(s): CostCenter | Owner",
        "status": "NON_COMPLIANT",
        "exception": "",
        "owner": "",
        "ticket": "",
        "expires": "",
    }
    assert datetime.fromisoformat(rows[2]["recorded"]).tzinfo is not None


def test_markdown_escapes_table_separators(
    deployed_stack: dict[str, Any], aws_endpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    now = datetime.now().astimezone()
    main(
        ["report", "--outputs", str(_save(deployed_stack, tmp_path)), "--format", "markdown"],
        clients=_clients(aws_endpoint, now, _estate(now)),
    )

    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("# Compliance report of aggregator config-compliance-dev, ")
    assert "| Check | us-east-1 | us-west-2 | eu-west-1 |" in lines
    assert "| encryption | 1 / 0 / 1 | 0 / 0 / 1 | 1 / 0 / 0 |" in lines
    assert "## Non-compliant resources (4), newest first" in lines
    tagged = next(line for line in lines if "analytics-raw" in line)
    assert tagged.endswith("| Missing required tag(s): CostCenter \\| Owner |")
    assert tagged.count(" | ") == 7


@pytest.mark.usefixtures("quiet_progress")
def test_html_is_one_page_with_chart_table_and_escaped_findings(
    deployed_stack: dict[str, Any], aws_endpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    now = datetime.now().astimezone()
    report = tmp_path / "report.html"
    clients = _clients(aws_endpoint, now, _estate(now))
    status = _report(deployed_stack, tmp_path, clients, "--format", "html", "--output", str(report))

    assert status == 0
    assert capsys.readouterr() == ("", f"wrote the html report to {report}\n")
    page = report.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert "<svg id=\"chart\"" in page and "<table class=\"heatmap\" id=\"summary\">" in page
    assert page.count("<tr>") == 1 + 3 + 1 + 4
    assert "&lt;b&gt;Backup retention is 0 days&lt;/b&gt;" in page
    assert "<b>Backup" not in page
    # Nothing to fetch: no URL other than the SVG namespace, and a policy that forbids requests.
    assert page.count("//") == 1 and 'xmlns="http://www.w3.org/2000/svg"' in page
    assert "default-src 'none'" in page


@pytest.mark.usefixtures("quiet_progress")
def test_fail_on_noncompliant_exits_1_only_with_findings(
    deployed_stack: dict[str, Any], aws_endpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    now = datetime.now().astimezone()
    outputs = str(_save(deployed_stack, tmp_path))
    gate = ["report", "--outputs", outputs, "--fail-on-noncompliant", "--format", "csv"]

    assert main(gate, clients=_clients(aws_endpoint, now, _estate(now))) == 1
    assert capsys.readouterr().err == "4 non-compliant resource(s) (--fail-on-noncompliant)\n"
    compliant_part = [*gate, "--region", "us-east-1", "--check", "backup"]
    assert main(compliant_part, clients=_clients(aws_endpoint, now, _estate(now))) == 0
    without_gate = ["report", "--outputs", outputs, "--format", "csv"]
    assert main(without_gate, clients=_clients(aws_endpoint, now, _estate(now))) == 0


def _sources(now: datetime, failed: str, status: str) -> Any:
    def answer(params: dict[str, Any]) -> dict[str, Any]:
        sources = healthy_answers(now)["DescribeConfigurationAggregatorSourcesStatus"](params)
        for source in sources["AggregatedSourceStatusList"]:
            if source["AwsRegion"] == failed:
                source["LastUpdateStatus"] = status
                if status == "FAILED":
                    source["LastErrorCode"] = "AccessDeniedException"
                    source["LastErrorMessage"] = "Not authorized to aggregate"
        return sources

    return answer


@pytest.mark.usefixtures("quiet_progress")
def test_a_failed_aggregator_source_is_reported_and_exits_2(
    deployed_stack: dict[str, Any], aws_endpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    now = datetime.now().astimezone()
    clients = _clients(
        aws_endpoint,
        now,
        _estate(now),
        DescribeConfigurationAggregatorSourcesStatus=_sources(now, "us-west-2", "FAILED"),
    )

    status = _report(deployed_stack, tmp_path, clients)

    captured = capsys.readouterr()
    warning = (
        f"aggregator source {ACCOUNT} us-west-2 is FAILED "
        "(AccessDeniedException: Not authorized to aggregate): its results may be missing"
    )
    assert status == 2
    assert captured.out.splitlines()[1] == f"Warning: {warning}"
    assert captured.err == f"warning: {warning}\n"


@pytest.mark.usefixtures("quiet_progress")
def test_an_outdated_source_warns_but_the_report_is_complete(
    deployed_stack: dict[str, Any], aws_endpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    now = datetime.now().astimezone()
    sources = _sources(now, "eu-west-1", "OUTDATED")
    clients = _clients(aws_endpoint, now, _estate(now), DescribeConfigurationAggregatorSourcesStatus=sources)

    status = _report(deployed_stack, tmp_path, clients, "--format", "json")

    document = json.loads(capsys.readouterr().out)
    assert status == 0
    assert document["complete"] is True
    assert document["warnings"] == [
        f"aggregator source {ACCOUNT} eu-west-1 is OUTDATED: its results may be out of date"
    ]


@pytest.mark.usefixtures("quiet_progress")
def test_a_failed_call_exits_2_naming_the_operation_and_code(
    deployed_stack: dict[str, Any], aws_endpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    now = datetime.now().astimezone()

    def denied(params: dict[str, Any]) -> dict[str, Any]:
        from botocore.exceptions import ClientError

        error = {"Code": "AccessDeniedException", "Message": "User is not authorized to perform GetAggr..."}
        raise ClientError({"Error": error}, "GetAggregateComplianceDetailsByConfigRule")

    clients = _clients(aws_endpoint, now, _estate(now), GetAggregateComplianceDetailsByConfigRule=denied)
    status = _report(deployed_stack, tmp_path, clients)

    captured = capsys.readouterr()
    assert status == 2
    assert captured.out == ""
    assert captured.err == (
        "error: could not make the report: GetAggregateComplianceDetailsByConfigRule failed: "
        "AccessDeniedException: User is not authorized to perform GetAggr...\n"
    )


@pytest.mark.usefixtures("quiet_progress")
def test_an_unwritable_output_file_exits_2(
    deployed_stack: dict[str, Any], aws_endpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    now = datetime.now().astimezone()
    target = tmp_path / "no-such-directory" / "report.html"
    status = main(
        ["report", "--outputs", str(_save(deployed_stack, tmp_path)), "--output", str(target)],
        clients=_clients(aws_endpoint, now, []),
    )

    assert status == 2
    assert capsys.readouterr().err == f"error: cannot write {target}: No such file or directory\n"


def test_against_bare_moto_the_report_could_not_be_made(
    deployed_stack: dict[str, Any], aws_endpoint: str, tmp_path: Path
) -> None:
    # moto has no aggregate compliance API: the command says which call failed, exits 2, no traceback.
    environment = {key: value for key, value in os.environ.items() if key != "AWS_ENDPOINT_URL"}
    completed = subprocess.run(
        [sys.executable, "-m", "verification", "report", "--outputs", str(_save(deployed_stack, tmp_path)),
         "--endpoint-url", aws_endpoint],
        capture_output=True,
        text=True,
        env=environment,
        cwd=Path(__file__).resolve().parents[2],
        timeout=120,
        check=False,
    )

    assert completed.returncode == 2
    assert completed.stdout == ""
    expected = "error: could not make the report: DescribeConfigurationAggregatorSourcesStatus failed: 500"
    assert completed.stderr.startswith(expected)
    assert "Traceback" not in completed.stderr


class _Stream(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self._tty = tty

    def isatty(self) -> bool:
        return self._tty


def test_progress_shows_only_after_a_moment_and_at_most_once_a_second() -> None:
    times = iter([0.0, 0.5, 1.2, 1.5, 2.3, 2.4])
    stream = _Stream(tty=False)
    progress = Progress(stream, clock=lambda: next(times))

    for done in range(1, 6):
        progress(done, 5)

    assert stream.getvalue().splitlines() == [
        "reading compliance: 2/5 rule(s) in 1 s",
        "reading compliance: 4/5 rule(s) in 2 s",
        "reading compliance: 5/5 rule(s) in 2 s",
    ]


def test_progress_on_a_terminal_rewrites_one_line() -> None:
    times = iter([0.0, 1.0, 2.0, 3.0])
    stream = _Stream(tty=True)
    progress = Progress(stream, clock=lambda: next(times))

    for done in range(1, 4):
        progress(done, 3)

    assert stream.getvalue() == (
        "\rreading compliance: 1/3 rule(s) in 1 s\rreading compliance: 2/3 rule(s) in 2 s"
        "\rreading compliance: 3/3 rule(s) in 3 s\n"
    )


def test_every_text_format_shows_filters_warnings_and_an_empty_findings_list() -> None:
    from verification.compliance import ComplianceReport, Counts, Filters
    from verification.html_report import render_html
    from verification.report_formats import render_markdown, render_table

    report = ComplianceReport(
        aggregator="config-compliance-dev",
        generated=NOW,
        checks=("backup",),
        regions=("us-west-2",),
        filters=Filters(regions=("us-west-2",), checks=("backup",), resource_types=("AWS::RDS::DBInstance",)),
        account_counts={(ACCOUNT, "backup", "us-west-2"): Counts(4, 0)},
        findings=(),
        warnings=("aggregator source 123456789012 us-west-2 is OUTDATED: its results may be out of date",),
    )
    filters = "Filtered to regions us-west-2; checks backup; resource types AWS::RDS::DBInstance"

    table = render_table(report).splitlines()
    assert table[1:3] == [filters, f"Warning: {report.warnings[0]}"]
    assert table[-5:] == [
        "Non-compliant resources: 0, newest first", "", "Excepted resources: 0, newest first", "",
        "Exceptions: none listed",
    ]
    markdown = render_markdown(report).splitlines()
    assert filters in markdown and f"> **Warning:** {report.warnings[0]}" in markdown
    assert markdown[-7:] == [
        "None.", "", "## Excepted resources (0), newest first", "", "None.", "", "## Exceptions: none listed"
    ]
    page = render_html(report)
    assert f'<p class="meta">{filters}</p>' in page
    assert '<p id="findings-empty">No non-compliant resource.</p>' in page
    assert '<td class="cell heat-compliant">4 / 0 / 0</td>' in page
    assert '<p id="excepted-empty">No excepted resource.</p>' in page
    assert '<p id="exceptions-empty">The stack lists no exception.</p>' in page
