"""scripts/refresh_frameworks.py reads the guides' markdown the way components/data/frameworks.json needs.

The fixture is this project's own writing in the guides' format (escaped punctuation, the three ways the
Security Hub guide writes its "AWS Config rule" label, rules Security Hub develops itself), not AWS text.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from scripts.refresh_frameworks import main

CONTROLS = r"""# Demo controls<a name="demo-controls"></a>

## \[Demo\.1\] Demo volumes should be encrypted<a name="demo-1"></a>

**Related requirements:** DEMO_1_REQUIREMENTS

**AWS Config rule:** [https://docs.aws.amazon.com/config/latest/developerguide/demo-volume-check.html](https://docs.aws.amazon.com/config/latest/developerguide/demo-volume-check.html)

## \[Demo\.2\] Demo groups should block SSH<a name="demo-2"></a>

**Related requirements:** NIST\.800\-53\.r5 SC\-28, NIST\.800\-53\.r5 AC\-4\(21\)

**AWS Config** rule: [https://docs.aws.amazon.com/config/latest/developerguide/demo-ssh](https://docs.aws.amazon.com/config/latest/developerguide/demo-ssh)

## \[Demo\.3\] A rule of Security Hub's own<a name="demo-3"></a>

**Related requirements:** NIST\.800\-53\.r5 AU\-2

AWS Config rule: `demo-own` \(Custom rule developed by Security Hub\)

## \[Demo\.4\] No rule at all<a name="demo-4"></a>

**Related requirements:** PCI DSS v3\.2\.1/10\.1

**AWS Config rule:** None

## \[Demo\.5\] No requirement<a name="demo-5"></a>

AWS Config rule: `demo-volume-check`

## Related topics<a name="demo-related"></a>
""".replace(
    "DEMO_1_REQUIREMENTS",
    ", ".join(
        (
            r"PCI DSS v3\.2\.1/3\.4",
            r"CIS AWS Foundations Benchmark v1\.2\.0/2\.7",
            r"CIS AWS Foundations Benchmark v1\.4\.0/2\.2\.1",
            r"NIST\.800\-53\.r5 SC\-28",
            r"NIST\.800\-53\.r5 SC\-28\(1\)",
        )
    ),
)
RULE_PAGES = {
    "demo-volume-check": "# demo\\-volume\\-check\n\n**Identifier:** DEMO\\_VOLUME\\_CHECK\n",
    # A rule whose identifier is not its name in capitals, as restricted-ssh's is INCOMING_SSH_DISABLED.
    "demo-ssh": "# demo\\-ssh\n\n**Identifier:** DEMO\\_INCOMING\\_SSH\\_BLOCKED\n",
}
ARGS = ["--commit", "abc123", "--text-date", "2023-03-10", "--read-date", "2026-12-06"]


def _guides(tmp_path: Path, controls: str = CONTROLS) -> list[str]:
    securityhub, config_rules = tmp_path / "securityhub", tmp_path / "config"
    securityhub.mkdir()
    config_rules.mkdir()
    (securityhub / "demo-controls.md").write_text(controls, encoding="utf-8")
    (securityhub / "securityhub-standards-view-controls.md").write_text(
        "## \\[Other\\.1\\] not a control page\n\n**Related requirements:** ISO 1\n\nAWS Config rule: `x`\n",
        encoding="utf-8",
    )
    for name, text in RULE_PAGES.items():
        (config_rules / f"{name}.md").write_text(text, encoding="utf-8")
    return ["--securityhub", str(securityhub), "--config-rules", str(config_rules), *ARGS]


def _run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], controls: str = CONTROLS
) -> tuple[dict[str, Any], str]:
    assert main(_guides(tmp_path, controls)) == 0
    out, err = capsys.readouterr()
    return json.loads(out), err


def _controls(data: dict[str, Any], key: str) -> dict[str, tuple[str, list[str]]]:
    framework = next(f for f in data["frameworks"] if f["key"] == key)
    return {c["id"]: (c["title"], c["rules"]) for c in framework["controls"]}


def test_controls_carry_the_identifiers_of_the_rules_related_to_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, _ = _run(tmp_path, capsys)
    assert _controls(data, "nist-800-53-rev5") == {
        "AC-4(21)": ("Access Control family", ["DEMO_INCOMING_SSH_BLOCKED"]),
        "SC-28": (
            "System and Communications Protection family",
            ["DEMO_INCOMING_SSH_BLOCKED", "DEMO_VOLUME_CHECK"],
        ),
        "SC-28(1)": ("System and Communications Protection family", ["DEMO_VOLUME_CHECK"]),
    }
    assert _controls(data, "pci-dss") == {
        "3.4": ("Requirement 3: Protection of stored cardholder data", ["DEMO_VOLUME_CHECK"])
    }
    # v1.2.0 is not carried; v1.4.0 is.
    assert _controls(data, "cis-aws-foundations") == {
        "2.2.1": ("Section 2: Storage: EC2 (EBS)", ["DEMO_VOLUME_CHECK"])
    }


def test_each_framework_names_the_text_it_came_from(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, _ = _run(tmp_path, capsys)
    nist = data["frameworks"][0]
    assert nist["source"] == (
        "AWS Security Hub User Guide (archived): awsdocs/aws-security-hub-user-guide "
        "doc_source/*-controls.md at commit abc123 (text of 2023-03-10), "
        "'Related requirements: NIST.800-53.r5'"
    )
    assert nist["retrieved"] == "2026-12-06"
    assert [f["version"] for f in data["frameworks"]] == ["Revision 5", "3.2.1", "v1.4.0"]


def test_controls_without_a_managed_rule_or_requirement_are_listed_not_mapped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, err = _run(tmp_path, capsys)
    assert err.splitlines() == [
        "supports no control: Demo.3: no AWS managed rule",
        "supports no control: Demo.4: no AWS managed rule",
        "supports no control: Demo.5: no requirements",
    ]
    assert "AU-2" not in _controls(data, "nist-800-53-rev5")
    assert "10.1" not in _controls(data, "pci-dss")


def test_a_requirement_of_an_unknown_framework_version_stops_the_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    newer = CONTROLS.replace(r"PCI DSS v3\.2\.1/3\.4", r"PCI DSS v4\.0\.1/3\.5\.1")
    assert main(_guides(tmp_path, newer)) == 1
    out, err = capsys.readouterr()
    assert not out
    assert err == "error: requirement of an unknown framework or version: 'PCI DSS v4.0.1/3.5.1'\n"


def test_a_rule_without_its_page_stops_the_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = _guides(tmp_path)
    (tmp_path / "config" / "demo-ssh.md").unlink()
    assert main(args) == 1
    assert capsys.readouterr().err.startswith("error: demo-ssh: no managed rule page ")


def test_no_control_pages_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--securityhub", str(tmp_path), "--config-rules", str(tmp_path), *ARGS]) == 1
    assert capsys.readouterr().err == f"error: no *-controls.md in {tmp_path}\n"
