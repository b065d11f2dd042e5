"""Every conformance pack template shipped in examples/: cfn-lint passes it as written and as deployed,
and the pack validator accepts it with its defaults."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cfnlint.api import ManualArgs, lint

from components.conformance_packs import read_conformance_packs
from components.managed_rules import MANAGED_RULES
from tests.infra.test_member_baseline import ACCEPTED_INFORMATIONAL, SEVENTEEN_REGIONS

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "conformance-packs"
TEMPLATES = sorted(path for path in EXAMPLES.iterdir() if path.suffix in (".yaml", ".yml", ".json"))


def findings(text: str) -> list[str]:
    matches = lint(text, regions=SEVENTEEN_REGIONS, config=ManualArgs(include_checks=["I"]))
    return [f"{m.rule.id} {m.message} ({m.path})" for m in matches if m.rule.id not in ACCEPTED_INFORMATIONAL]


def test_examples_are_shipped() -> None:
    assert [path.name for path in TEMPLATES] == ["encryption-and-logging.yaml"]


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: path.name)
def test_each_example_passes_cfn_lint_as_written_and_as_deployed(template: Path) -> None:
    assert findings(template.read_text(encoding="utf-8")) == []
    setting = [{"name": template.stem, "template": str(template.relative_to(EXAMPLES.parents[1]))}]
    (pack,), problems = read_conformance_packs(json.dumps(setting), "dev", SEVENTEEN_REGIONS, False)
    assert problems == []
    for region in ("us-east-1", "ap-northeast-3"):
        assert findings(pack.body("dev", region)) == []


def test_cfn_lint_catches_a_broken_pack_template() -> None:
    broken = (EXAMPLES / "encryption-and-logging.yaml").read_text(encoding="utf-8")
    broken = broken.replace("!Ref PeriodicRulesFrequency", "!Ref NoSuchParameter", 1)
    assert [finding.split(" ")[0] for finding in findings(broken)] == ["E1020"]


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: path.name)
def test_example_rules_trigger_as_the_managed_rule_table_says(template: Path) -> None:
    """Where the project's managed-rule table (components/managed_rules.py) knows a rule: a schedule only
    on periodic rules, a resource scope only on change-triggered ones, and only its parameters."""
    setting = [{"name": "example", "template": str(template)}]
    (pack,), _ = read_conformance_packs(json.dumps(setting), "dev", ["us-east-1"], False)
    checked = 0
    for resource in pack.document["Resources"].values():
        properties = resource["Properties"]
        known = MANAGED_RULES.get(properties["Source"]["SourceIdentifier"])
        if known is None:
            continue
        checked += 1
        assert ("MaximumExecutionFrequency" in properties) <= known.is_periodic
        assert ("Scope" in properties) <= known.is_change_triggered
        scope = properties.get("Scope", {}).get("ComplianceResourceTypes", [])
        assert set(scope) <= set(known.resource_types)
        assert all(known.parameter(name) for name in properties.get("InputParameters", {}))
    assert checked >= 2
