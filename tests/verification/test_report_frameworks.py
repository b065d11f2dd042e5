"""The report with AWS managed rules and conformance pack rules beside the custom checks, and per framework
control (``--framework``) in every format, against the stack in moto server. The aggregator and the pack
APIs moto lacks are answered at the client layer (aggregate_answers.py, moto_stack.StatusAnswers)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aggregate_answers import Evaluation, aggregate_answers
from moto_stack import StatusAnswers, healthy_answers, rule_name

from components.frameworks import FRAMEWORKS, Control, Framework
from verification import report_command
from verification.cli import main
from verification.framework_report import CLAIM_NOTE, EVIDENCE_NOTE

# Standard error is compared whole: no progress line however long a run takes.
pytestmark = pytest.mark.usefixtures("quiet_progress")

PACK = "encryption-logging-dev"
PACK_RULE = "managed-dev--us-east-1-ebs-volumes-encrypted-conformance-pack-ab12cd34"
PACK_RULE_WEST = "managed-dev--us-west-2-ebs-volumes-encrypted-conformance-pack-ef56gh78"
# Named like a pack rule of the stack, but no pack API names it: not in the report.
LOOKALIKE = "managed-dev--us-east-1-s3-logging-conformance-pack-zz99yy88"
# A rule the pack API lists that Config's conformance-pack service did not create.
HAND_MADE = "managed-dev--us-east-1-hand-made"
VERSIONING = "managed-dev--us-east-1-s3-versioning"
FRAMEWORK = Framework(
    key="test-framework",
    title="Test framework",
    version="v1",
    source="https://docs.aws.amazon.com/config/latest/developerguide/operational-best-practices-for-test.html",
    retrieved="2026-12-06",
    controls=(
        Control("1.1", "Data at rest is encrypted", ("ENCRYPTED_VOLUMES", "RDS_STORAGE_ENCRYPTED")),
        Control("1.2", "Object versions are kept", ("S3_BUCKET_VERSIONING_ENABLED",)),
        Control("1.3", "Passwords are strong", ("IAM_PASSWORD_POLICY",)),
        Control("1.4", "Root has MFA", ("ROOT_ACCOUNT_MFA_ENABLED",)),
    ),
)


@pytest.fixture(autouse=True)
def test_framework(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(report_command, "FRAMEWORKS", {FRAMEWORK.key: FRAMEWORK, **FRAMEWORKS})


def stack_with_managed_rules_and_a_pack(stack: dict[str, Any]) -> dict[str, Any]:
    regions = stack["regions"]
    managed = {
        region: {
            "s3-versioning": {
                "ruleName": f"managed-dev--{region}-s3-versioning",
                "identifier": "S3_BUCKET_VERSIONING_ENABLED",
                "trigger": "change",
            }
        }
        for region in regions
    }
    managed["us-east-1"]["password-policy"] = {
        "ruleName": "managed-dev--us-east-1-password-policy",
        "identifier": "IAM_PASSWORD_POLICY",
        "trigger": "periodic",
    }
    return {**stack, "managedRules": managed, "conformancePacks": {region: [PACK] for region in regions}}


def _clients(aws_endpoint: str, now: datetime, evaluations: list[Evaluation]) -> StatusAnswers:
    """The pack APIs answer region by region, in the order the report asks: the stack's regions in order."""
    listed = {"us-east-1": [PACK_RULE, HAND_MADE], "us-west-2": [PACK_RULE_WEST], "eu-west-1": []}
    described = {
        PACK_RULE: ("AWS", "ENCRYPTED_VOLUMES", "config-conforms.amazonaws.com"),
        PACK_RULE_WEST: ("AWS", "ENCRYPTED_VOLUMES", "config-conforms.amazonaws.com"),
        HAND_MADE: ("AWS", "ENCRYPTED_VOLUMES", None),
    }
    asked: list[str] = []

    def pack_compliance(params: dict[str, Any]) -> dict[str, Any]:
        assert params["ConformancePackName"] == PACK
        region = ("us-east-1", "us-west-2", "eu-west-1")[len(asked)]
        asked.append(region)
        return {
            "ConformancePackName": PACK,
            "ConformancePackRuleComplianceList": [
                {"ConfigRuleName": name, "ComplianceType": "NON_COMPLIANT"} for name in listed[region]
            ],
        }

    def config_rules(params: dict[str, Any]) -> dict[str, Any]:
        assert 0 < len(params["ConfigRuleNames"]) <= 25
        rules = []
        for name in params["ConfigRuleNames"]:
            owner, identifier, created_by = described[name]
            rule = {"ConfigRuleName": name, "Source": {"Owner": owner, "SourceIdentifier": identifier}}
            rules.append({**rule, **({"CreatedBy": created_by} if created_by else {})})
        return {"ConfigRules": rules}

    answers = {
        **healthy_answers(now),
        **aggregate_answers(evaluations),
        "DescribeConformancePackCompliance": pack_compliance,
        "DescribeConfigRules": config_rules,
    }
    return StatusAnswers(aws_endpoint, answers)


def _evaluation(
    rule: str,
    resource: str,
    compliance: str,
    now: datetime,
    region: str = "us-east-1",
    kind: str = "AWS::EC2::Volume",
    hours_ago: float = 1,
) -> Evaluation:
    return Evaluation(
        rule,
        region,
        kind,
        resource,
        compliance,
        now - timedelta(hours=hours_ago),
        "not as required" if compliance == "NON_COMPLIANT" else "",
    )


def _estate(now: datetime) -> list[Evaluation]:
    return [
        # Control 1.1: the encryption check (claimed equivalent to ENCRYPTED_VOLUMES) and the pack's rule
        # judge vol-1 differently: the control counts it once, non-compliant.
        _evaluation(rule_name("encryption", "us-east-1"), "vol-1", "COMPLIANT", now, hours_ago=3),
        _evaluation(PACK_RULE, "vol-1", "NON_COMPLIANT", now, hours_ago=2),
        _evaluation(PACK_RULE, "vol-2", "COMPLIANT", now),
        _evaluation(PACK_RULE_WEST, "vol-3", "COMPLIANT", now, region="us-west-2"),
        # Control 1.2: the managed rule, all compliant.
        _evaluation(VERSIONING, "logs-bucket", "COMPLIANT", now, kind="AWS::S3::Bucket"),
        _evaluation(
            "managed-dev--us-west-2-s3-versioning",
            "data-bucket",
            "COMPLIANT",
            now,
            region="us-west-2",
            kind="AWS::S3::Bucket",
        ),
        # Neither the stack's: a look-alike of a pack rule and a rule the pack API lists but did not create.
        _evaluation(LOOKALIKE, "bucket-x", "NON_COMPLIANT", now, kind="AWS::S3::Bucket"),
        _evaluation(HAND_MADE, "vol-9", "NON_COMPLIANT", now),
    ]


def _run(stack: dict[str, Any], directory: Path, clients: StatusAnswers, *arguments: str) -> int:
    path = directory / "outputs.json"
    path.write_text(json.dumps(stack_with_managed_rules_and_a_pack(stack)), encoding="utf-8")
    return main(["report", "--outputs", str(path), *arguments], clients=clients)


def test_managed_and_pack_rules_join_the_summary_and_findings(
    deployed_stack: dict[str, Any], aws_endpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    now = datetime.now().astimezone()
    clients = _clients(aws_endpoint, now, _estate(now))

    status = _run(deployed_stack, tmp_path, clients, "--format", "json")

    captured = capsys.readouterr()
    document = json.loads(captured.out)
    assert status == 0, captured.err
    assert document["checks"] == [
        "encryption",
        "required-tags",
        "backup",
        "managed:s3-versioning",
        "managed:password-policy",
        f"pack:{PACK}:ENCRYPTED_VOLUMES",
    ]
    assert document["rules"][3:] == [
        {
            "check": "managed:s3-versioning",
            "kind": "managed",
            "managedRules": ["S3_BUCKET_VERSIONING_ENABLED"],
        },
        {"check": "managed:password-policy", "kind": "managed", "managedRules": ["IAM_PASSWORD_POLICY"]},
        {
            "check": f"pack:{PACK}:ENCRYPTED_VOLUMES",
            "kind": "pack",
            "managedRules": ["ENCRYPTED_VOLUMES"],
            "pack": PACK,
        },
    ]
    assert (
        document["rules"][0]["kind"] == "custom"
        and "ENCRYPTED_VOLUMES" in document["rules"][0]["managedRules"]
    )
    cells = {(c["check"], c["region"]): (c["compliant"], c["nonCompliant"]) for c in document["summary"]}
    assert cells[(f"pack:{PACK}:ENCRYPTED_VOLUMES", "us-east-1")] == (1, 1)
    assert cells[(f"pack:{PACK}:ENCRYPTED_VOLUMES", "us-west-2")] == (1, 0)
    assert cells[("managed:s3-versioning", "us-west-2")] == (1, 0)
    assert cells[("managed:password-policy", "us-east-1")] == (None, None)
    assert [(f["check"], f["ruleName"], f["resourceId"]) for f in document["nonCompliant"]] == [
        (f"pack:{PACK}:ENCRYPTED_VOLUMES", PACK_RULE, "vol-1")
    ]
    assert document["warnings"] == [
        f"rule {HAND_MADE} of pack {PACK} in us-east-1 was not created by config-conforms.amazonaws.com "
        "(CreatedBy None): left out"
    ]
    assert "bucket-x" not in captured.out and "vol-9" not in captured.out
    # The pack's rules are named by the APIs, one listing per pack and region with packs, one description
    # per listing with rules.
    assert clients.calls.count("DescribeConformancePackCompliance") == 3
    assert clients.calls.count("DescribeConfigRules") == 2


def test_check_filters_take_managed_rule_names_and_leave_pack_rules_out(
    deployed_stack: dict[str, Any], aws_endpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    now = datetime.now().astimezone()
    clients = _clients(aws_endpoint, now, _estate(now))

    _run(deployed_stack, tmp_path, clients, "--format", "json", "--check", "s3-versioning")

    document = json.loads(capsys.readouterr().out)
    assert document["checks"] == ["managed:s3-versioning"]
    assert "DescribeConformancePackCompliance" not in clients.calls


def _framework_run(
    deployed_stack: dict[str, Any], aws_endpoint: str, tmp_path: Path, output_format: str
) -> tuple[int, str]:
    now = datetime(2026, 12, 6, 12, 0).astimezone()
    clients = _clients(aws_endpoint, now, _estate(now))
    target = tmp_path / f"report.{output_format}"
    status = _run(
        deployed_stack,
        tmp_path,
        clients,
        "--framework",
        FRAMEWORK.key,
        "--format",
        output_format,
        "--output",
        str(target),
    )
    return status, target.read_text(encoding="utf-8")


def test_framework_json_gives_each_control_its_rules_resources_and_verdict(
    deployed_stack: dict[str, Any], aws_endpoint: str, tmp_path: Path
) -> None:
    status, text = _framework_run(deployed_stack, aws_endpoint, tmp_path, "json")

    document = json.loads(text)
    assert status == 0
    assert (
        document["framework"]["key"] == FRAMEWORK.key and document["framework"]["source"] == FRAMEWORK.source
    )
    assert document["statement"] == EVIDENCE_NOTE
    assert document["customCheckClaim"] == CLAIM_NOTE
    controls = {control["id"]: control for control in document["controls"]}
    assert {key: (c["status"], c["compliant"], c["nonCompliant"]) for key, c in controls.items()} == {
        # vol-1 (non-compliant by the pack, compliant by the check: once, non-compliant), vol-2, vol-3.
        "1.1": ("FAIL", 2, 1),
        "1.2": ("PASS", 2, 0),
        "1.3": ("NO EVIDENCE", 0, 0),
        "1.4": ("NO RULE", 0, 0),
    }
    assert controls["1.1"]["rules"] == [
        {
            "rule": "encryption",
            "kind": "custom",
            "managedRules": ["ENCRYPTED_VOLUMES", "RDS_STORAGE_ENCRYPTED"],
            "projectClaim": True,
        },
        {
            "rule": f"pack:{PACK}:ENCRYPTED_VOLUMES",
            "kind": "pack",
            "managedRules": ["ENCRYPTED_VOLUMES"],
            "projectClaim": False,
        },
    ]
    assert controls["1.3"]["rules"] == [
        {
            "rule": "managed:password-policy",
            "kind": "managed",
            "managedRules": ["IAM_PASSWORD_POLICY"],
            "projectClaim": False,
        }
    ]
    assert (document["controlsPassing"], document["controlsWithEvidence"]) == (1, 2)


def test_framework_table_states_the_total_and_that_passing_is_evidence_not_proof(
    deployed_stack: dict[str, Any], aws_endpoint: str, tmp_path: Path
) -> None:
    status, text = _framework_run(deployed_stack, aws_endpoint, tmp_path, "table")

    lines = text.splitlines()
    assert status == 0
    assert lines[0].startswith("Test framework v1: controls supported by the stack's rules, aggregator ")
    assert lines[1] == f"Mapping: {FRAMEWORK.source} (read 2026-12-06)"
    assert lines[2].startswith("Warning: rule managed-dev--us-east-1-hand-made")
    assert lines[4].split() == [
        "Control",
        "Status",
        "Compliant",
        "Excepted",
        "Non-compliant",
        "Supporting",
        "rules",
        "Title",
    ]
    row = next(line for line in lines if line.startswith("1.1 "))
    assert row.split("  ")[0:1] == ["1.1"] and " FAIL " in row
    assert (
        "encryption (custom check; this project's claim: equivalent to "
        "ENCRYPTED_VOLUMES, RDS_STORAGE_ENCRYPTED)" in row
    )
    assert next(line for line in lines if line.startswith("1.4 ")).split()[1:3] == ["NO", "RULE"]
    assert "1 / 2 controls passing / controls with evidence" in lines
    assert lines[-2:] == [EVIDENCE_NOTE, CLAIM_NOTE]


def test_framework_csv_markdown_and_html(
    deployed_stack: dict[str, Any], aws_endpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, text = _framework_run(deployed_stack, aws_endpoint, tmp_path, "csv")
    assert f"note: {EVIDENCE_NOTE}\n" in capsys.readouterr().err
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(row["control"], row["status"], row["compliant"], row["non_compliant"]) for row in rows] == [
        ("1.1", "FAIL", "2", "1"),
        ("1.2", "PASS", "2", "0"),
        ("1.3", "NO EVIDENCE", "0", "0"),
        ("1.4", "NO RULE", "0", "0"),
    ]
    assert {row["excepted"] for row in rows} == {"0"}
    assert rows[1]["supporting_rules"] == "managed:s3-versioning (S3_BUCKET_VERSIONING_ENABLED)"
    assert rows[3]["supporting_rules"] == "none deployed"

    _, text = _framework_run(deployed_stack, aws_endpoint, tmp_path, "markdown")
    lines = text.splitlines()
    assert f"> **{EVIDENCE_NOTE}**" in lines
    assert "| Control | Status | Compliant | Excepted | Non-compliant | Supporting rules | Title |" in lines
    assert (
        "| 1.2 | PASS | 2 | 0 | 0 | managed:s3-versioning (S3_BUCKET_VERSIONING_ENABLED) "
        "| Object versions are kept |" in lines
    )
    assert "**1 / 2 controls passing / controls with evidence**" in lines

    _, page = _framework_run(deployed_stack, aws_endpoint, tmp_path, "html")
    assert page.startswith("<!DOCTYPE html>") and "default-src 'none'" in page
    assert page.count("<tr>") == 1 + 4
    assert '<td class="status fail">FAIL</td>' in page and '<td class="status pass">PASS</td>' in page
    assert EVIDENCE_NOTE in page and "this project&#x27;s claim" in page


def test_an_unknown_framework_is_refused_before_any_call_listing_the_known_ones(
    deployed_stack: dict[str, Any], aws_endpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clients = _clients(aws_endpoint, datetime.now().astimezone(), [])

    status = _run(deployed_stack, tmp_path, clients, "--framework", "nist-800-53")

    assert status == 2
    known = ", ".join([FRAMEWORK.key, *FRAMEWORKS])
    assert capsys.readouterr() == (
        "",
        f"error: --framework nist-800-53: unknown framework; the known ones are {known}\n",
    )
    assert clients.calls == []


def test_organization_packs_are_named_as_left_out(
    deployed_stack: dict[str, Any], aws_endpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from verification.compliance import _pack_rules
    from verification.outputs import parse_outputs

    outputs = parse_outputs(
        {
            **stack_with_managed_rules_and_a_pack(deployed_stack),
            "scope": "organization",
            "organization": {
                "memberOrganizationalUnits": ["r-ab12"],
                "excludedAccounts": [],
                "manageMemberRecorders": True,
                "memberRoleName": "config-compliance-member-dev",
                "stackSets": ["s"],
                "managementRole": "SELF",
            },
        }
    )
    clients = _clients(aws_endpoint, datetime.now().astimezone(), [])
    names, warnings = _pack_rules(outputs, clients, outputs.regions)
    assert names == {}
    assert warnings == [
        f"organization conformance packs {PACK}: their rules in each account are not in this report (no API "
        "of the hub account names them); see each pack in the aggregator's console"
    ]
    assert clients.calls == []


def test_a_resource_counts_once_per_control_non_compliant_over_excepted_over_compliant() -> None:
    """Two rules of one control judge the same resources: the worst verdict stands for each."""
    from dataclasses import replace as with_fields

    from components.frameworks import Control, Framework
    from verification.compliance import EXCEPTED, ComplianceReport, EvaluatedResource, Filters, check_source
    from verification.framework_report import framework_report

    control = Control("1", "Encrypted", ("ENCRYPTED_VOLUMES",))
    framework = Framework("f", "F", "v1", "https://example.com", "2026-12-06", (control,))
    report = ComplianceReport(
        aggregator="a",
        generated=datetime(2026, 12, 6, tzinfo=UTC),
        checks=("encryption",),
        regions=("us-east-1",),
        filters=Filters(),
        account_counts={},
        findings=(),
    )
    verdicts = {
        "vol-1": ("COMPLIANT", EXCEPTED),
        "vol-2": (EXCEPTED, "NON_COMPLIANT"),
        "vol-3": ("COMPLIANT", "COMPLIANT"),
        "vol-4": (EXCEPTED, EXCEPTED),
    }
    evaluated = tuple(
        EvaluatedResource("encryption", "123456789012", region, "AWS::EC2::Volume", volume, compliance)
        for volume, pair in verdicts.items()
        for region, compliance in zip(("us-east-1", "us-east-1"), pair, strict=True)
    )
    sources = {"encryption": check_source("encryption")}
    merged = with_fields(report, sources=sources, evaluated=evaluated)
    (result,) = framework_report(merged, framework).controls
    assert (result.counts.compliant, result.counts.excepted, result.counts.non_compliant) == (1, 2, 1)
    assert result.status == "FAIL"
