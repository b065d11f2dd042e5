"""``python -m verification report`` on an organization-scope stack: results under each account's copy of an
organization rule (``OrgConfigRule-<rule>-<random>``) count for the stack's check and region, per account;
``--account`` filters. The aggregator is answered at the client layer (aggregate_answers.py)."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aggregate_answers import Evaluation, aggregate_answers
from moto_stack import ACCOUNT, StatusAnswers, rule_name
from organization_stack import (
    Organization,
    build_organization,
    build_organization_stack,
    organization_answers,
)

from components import naming
from verification.cli import main

# Standard error is compared whole: no progress line however long a run takes.
pytestmark = pytest.mark.usefixtures("quiet_progress")


@pytest.fixture
def organization(aws_endpoint: str) -> Organization:
    return build_organization()


@pytest.fixture
def outputs(organization: Organization) -> dict[str, Any]:
    return build_organization_stack(organization, excluded=["012345678901"])


@pytest.fixture
def outputs_file(outputs: dict[str, Any], tmp_path: Path) -> Path:
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(outputs), encoding="utf-8")
    return path


def copy_name(check: str, region: str, account: str) -> str:
    """The name Config gives ``account``'s copy: the organization rule's name and a random suffix."""
    return f"{naming.ORGANIZATION_RULE_PREFIX}{rule_name(check, region)}-{account[-4:]}x1y2"


def _evaluation(
    account: str, check: str, region: str, resource: str, compliance: str, hours_ago: float, now: datetime
) -> Evaluation:
    return Evaluation(
        rule=copy_name(check, region, account),
        region=region,
        resource_type="AWS::EC2::Volume",
        resource_id=resource,
        compliance=compliance,
        recorded=now - timedelta(hours=hours_ago),
        annotation="Volume is not encrypted." if compliance == "NON_COMPLIANT" else "",
        account=account,
    )


def _estate(organization: Organization, now: datetime) -> list[Evaluation]:
    first, second = organization.members
    return [
        _evaluation(ACCOUNT, "encryption", "us-east-1", "vol-hub1", "COMPLIANT", 4, now),
        _evaluation(first, "encryption", "us-east-1", "vol-m1a", "NON_COMPLIANT", 1, now),
        _evaluation(first, "encryption", "us-east-1", "vol-m1b", "COMPLIANT", 3, now),
        _evaluation(second, "encryption", "us-west-2", "vol-m2a", "NON_COMPLIANT", 2, now),
        _evaluation(second, "backup", "eu-west-1", "vol-m2b", "COMPLIANT", 5, now),
        # Not this stack's: a stack whose suffix starts with "dev", and an account-scope rule of the
        # same name as the organization rule.
        Evaluation(
            f"{naming.ORGANIZATION_RULE_PREFIX}compliance-encryption-devtest-us-east-1-k3j4h5g6",
            "us-east-1",
            "AWS::EC2::Volume",
            "vol-other",
            "NON_COMPLIANT",
            now,
            account=first,
        ),
        Evaluation(
            rule_name("encryption", "us-east-1"),
            "us-east-1",
            "AWS::EC2::Volume",
            "vol-old",
            "NON_COMPLIANT",
            now,
            account=ACCOUNT,
        ),
    ]


def _clients(
    aws_endpoint: str, outputs: dict[str, Any], organization: Organization, now: datetime
) -> StatusAnswers:
    """The aggregator: a source per account and region, and the results of ``_estate``."""
    sources = "DescribeConfigurationAggregatorSourcesStatus"
    per_account = organization_answers(outputs, (ACCOUNT, *organization.members), now)[sources]
    answers = {sources: per_account, **aggregate_answers(_estate(organization, now))}
    return StatusAnswers(aws_endpoint, answers)


def test_the_table_maps_copies_to_checks_and_regions_per_account(
    organization: Organization,
    outputs: dict[str, Any],
    outputs_file: Path,
    aws_endpoint: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    now = datetime.now().astimezone()
    first, second = organization.members
    clients = _clients(aws_endpoint, outputs, organization, now)

    status = main(["report", "--outputs", str(outputs_file)], clients=clients)

    captured = capsys.readouterr()
    assert status == 0, captured.err
    lines = captured.out.splitlines()
    accounts = sorted([ACCOUNT, first, second])
    assert lines[2] == "Resources per account, check and region (compliant / excepted / non-compliant):"
    summary = [line.split("  ")[0:2] for line in lines[4:13]]
    assert [row[0] for row in summary] == [account for account in accounts for _ in range(3)]
    rows = {tuple(line.split()[:2]): line.split()[2:] for line in lines[4:13]}
    assert rows[(first, "encryption")] == ["1", "/", "0", "/", "1", "no", "results", "no", "results"]
    assert rows[(second, "encryption")] == ["no", "results", "0", "/", "0", "/", "1", "no", "results"]
    assert rows[(second, "backup")] == ["no", "results", "no", "results", "1", "/", "0", "/", "0"]
    assert rows[(ACCOUNT, "encryption")] == ["1", "/", "0", "/", "0", "no", "results", "no", "results"]
    assert lines[3].split() == ["Account", "Check", "us-east-1", "us-west-2", "eu-west-1"]
    assert lines[14] == "Non-compliant resources: 2, newest first"
    findings = [line.split() for line in lines[16:18]]
    assert lines[18:] == ["", "Excepted resources: 0, newest first", "", "Exceptions: none listed"]
    assert [(row[2], row[3], row[4], row[5], row[6]) for row in findings] == [
        (first, "us-east-1", "encryption", "AWS::EC2::Volume", "vol-m1a"),
        (second, "us-west-2", "encryption", "AWS::EC2::Volume", "vol-m2a"),
    ]
    assert findings[0][7] == copy_name("encryption", "us-east-1", first)
    assert "vol-other" not in captured.out and "vol-old" not in captured.out
    # One details call per copy with results (4 of them), none for other stacks' rules.
    assert clients.calls.count("GetAggregateComplianceDetailsByConfigRule") == 4


def test_json_csv_markdown_and_html_carry_the_account(
    organization: Organization,
    outputs: dict[str, Any],
    outputs_file: Path,
    aws_endpoint: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    now = datetime.now().astimezone()
    first, second = organization.members
    arguments = ["report", "--outputs", str(outputs_file), "--format"]

    main([*arguments, "json"], clients=_clients(aws_endpoint, outputs, organization, now))
    document = json.loads(capsys.readouterr().out)
    assert document["scope"] == "organization"
    assert document["accounts"] == sorted([ACCOUNT, first, second])
    assert len(document["summary"]) == 3 * 3 * 3
    assert {
        "accountId": second, "check": "encryption", "region": "us-west-2", "compliant": 0, "excepted": 0,
        "nonCompliant": 1,
    } in document["summary"]
    assert [finding["accountId"] for finding in document["nonCompliant"]] == [first, second]

    main([*arguments, "csv"], clients=_clients(aws_endpoint, outputs, organization, now))
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(row["account"], row["check"], row["region"]) for row in rows] == [
        (first, "encryption", "us-east-1"),
        (second, "encryption", "us-west-2"),
    ]

    main([*arguments, "markdown"], clients=_clients(aws_endpoint, outputs, organization, now))
    markdown = capsys.readouterr().out.splitlines()
    assert "## Resources per account, check and region (compliant / excepted / non-compliant)" in markdown
    assert "| Account | Check | us-east-1 | us-west-2 | eu-west-1 |" in markdown
    assert f"| {first} | encryption | 1 / 0 / 1 | no results | no results |" in markdown

    main([*arguments, "html"], clients=_clients(aws_endpoint, outputs, organization, now))
    page = capsys.readouterr().out
    assert "<thead><tr><th>Account</th><th>Check</th><th>us-east-1</th>" in page
    assert f"<tr><th>{second}</th><th>backup</th>" in page
    assert page.count("<tr>") == 1 + 9 + 1 + 2


def test_the_account_filter_narrows_the_listing_summary_and_findings(
    organization: Organization,
    outputs: dict[str, Any],
    outputs_file: Path,
    aws_endpoint: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    now = datetime.now().astimezone()
    first, second = organization.members
    clients = _clients(aws_endpoint, outputs, organization, now)
    listings: list[dict[str, Any]] = []
    by_rule = clients.answers["DescribeAggregateComplianceByConfigRules"]

    def listing(params: dict[str, Any]) -> dict[str, Any]:
        listings.append(params.get("Filters", {}))
        return by_rule(params)

    clients.answers["DescribeAggregateComplianceByConfigRules"] = listing
    arguments = ["report", "--outputs", str(outputs_file), "--format", "json"]

    assert main([*arguments, "--account", second], clients=clients) == 0
    document = json.loads(capsys.readouterr().out)
    assert listings == [{"AccountId": second}]
    assert document["filters"]["accounts"] == [second]
    assert {cell["accountId"] for cell in document["summary"]} == {second}
    assert [finding["resourceId"] for finding in document["nonCompliant"]] == ["vol-m2a"]

    # Two accounts: the aggregator cannot filter on both; the command does.
    two_accounts = ["--account", second, "--account", ACCOUNT, "--region", "us-east-1"]
    assert main([*arguments, *two_accounts], clients=clients) == 0
    document = json.loads(capsys.readouterr().out)
    assert listings[1] == {"AwsRegion": "us-east-1"}
    assert document["accounts"] == [second, ACCOUNT]
    cells = {(cell["accountId"], cell["check"]): cell["compliant"] for cell in document["summary"]}
    assert cells[(ACCOUNT, "encryption")] == 1 and cells[(second, "encryption")] is None
    assert document["nonCompliant"] == []
    assert first not in json.dumps(document)


def test_account_filters_the_stack_cannot_have_are_refused(
    organization: Organization,
    outputs: dict[str, Any],
    outputs_file: Path,
    aws_endpoint: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    clients = _clients(aws_endpoint, outputs, organization, datetime.now().astimezone())
    arguments = ["report", "--outputs", str(outputs_file)]

    assert main([*arguments, "--account", "12345", "--account", "x"], clients=clients) == 2
    assert capsys.readouterr().err == "error: --account 12345, x: expected a 12-digit account id\n"
    assert main([*arguments, "--account", "012345678901"], clients=clients) == 2
    assert capsys.readouterr().err == (
        "error: --account 012345678901: excluded from the stack's rules (excludedAccounts)\n"
    )

    # The same stack's outputs as account scope would have them.
    account_outputs = {key: value for key, value in outputs.items() if key not in ("scope", "organization")}
    account_stack = tmp_path / "account.json"
    account_stack.write_text(json.dumps(account_outputs), encoding="utf-8")
    status = main(["report", "--outputs", str(account_stack), "--account", "210987654321"], clients=clients)
    assert status == 2
    assert capsys.readouterr().err == (
        f"error: --account 210987654321: the stack watches only its account {ACCOUNT}\n"
    )
    assert main(["report", "--outputs", str(account_stack), "--account", ACCOUNT], clients=clients) == 0


def test_member_copies_of_organization_managed_rules_count_and_packs_are_named_as_left_out(
    organization: Organization,
    outputs: dict[str, Any],
    aws_endpoint: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    now = datetime.now().astimezone()
    first, _ = organization.members
    rule = "managed-dev--us-east-1-s3-versioning"
    stack = {
        **outputs,
        "managedRules": {
            "us-east-1": {
                "s3-versioning": {
                    "ruleName": rule,
                    "identifier": "S3_BUCKET_VERSIONING_ENABLED",
                    "trigger": "change",
                },
                "s3-versioning-2": {
                    "ruleName": f"{rule}-2",
                    "identifier": "S3_BUCKET_VERSIONING_ENABLED",
                    "trigger": "change",
                },
            },
            "us-west-2": {},
            "eu-west-1": {},
        },
        "conformancePacks": {"us-east-1": ["encryption-logging-dev"], "us-west-2": [], "eu-west-1": []},
    }
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(stack), encoding="utf-8")
    copy = f"{naming.ORGANIZATION_RULE_PREFIX}{rule}-{first[-4:]}q7w8"
    evaluations = [
        Evaluation(copy, "us-east-1", "AWS::S3::Bucket", "logs", "NON_COMPLIANT", now, "off", account=first),
        # The stack's managed rule whose name starts with the other's: counted for itself (longest prefix).
        Evaluation(
            f"{naming.ORGANIZATION_RULE_PREFIX}{rule}-2-{first[-4:]}q7w8",
            "us-east-1",
            "AWS::S3::Bucket",
            "other",
            "NON_COMPLIANT",
            now,
            account=first,
        ),
    ]
    sources = "DescribeConfigurationAggregatorSourcesStatus"
    answers = {
        sources: organization_answers(stack, (ACCOUNT, *organization.members), now)[sources],
        **aggregate_answers(evaluations),
    }
    clients = StatusAnswers(aws_endpoint, answers)

    status = main(["report", "--outputs", str(path), "--format", "json"], clients=clients)

    captured = capsys.readouterr()
    assert status == 0, captured.err
    document = json.loads(captured.out)
    assert sorted((f["accountId"], f["check"], f["resourceId"]) for f in document["nonCompliant"]) == [
        (first, "managed:s3-versioning", "logs"),
        (first, "managed:s3-versioning-2", "other"),
    ]
    assert document["warnings"] == [
        "organization conformance packs encryption-logging-dev: their rules in each account are not in this "
        "report (no API of the hub account names them); see each pack in the aggregator's console"
    ]
    assert "DescribeConformancePackCompliance" not in clients.calls
