"""The framework mapping data is well-formed (components/data/frameworks.json)."""

from __future__ import annotations

import re

import pytest

from components.catalog import CHECKS
from components.frameworks import FRAMEWORKS, Framework, frameworks_for_rule

AWS_PAGE = re.compile(r"^https://docs\.aws\.amazon\.com/config/latest/developerguide/operational-best-practices-for-.+\.html$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
IDENTIFIER = re.compile(r"^[A-Z0-9]+(_[A-Z0-9]+)*$")


def test_the_three_frameworks_the_report_offers_are_there() -> None:
    assert set(FRAMEWORKS) == {"nist-800-53-rev5", "pci-dss", "cis-aws-foundations"}
    assert FRAMEWORKS["pci-dss"].version == "3.2.1"
    assert FRAMEWORKS["cis-aws-foundations"].version == "v1.4 Level 1"
    assert FRAMEWORKS["nist-800-53-rev5"].version == "Revision 5"


@pytest.mark.parametrize("framework", FRAMEWORKS.values(), ids=lambda f: f.key)
def test_framework_names_its_aws_page_and_when_it_was_read(framework: Framework) -> None:
    assert AWS_PAGE.match(framework.source), framework.source
    assert DATE.match(framework.retrieved), framework.retrieved
    assert framework.title and framework.version


@pytest.mark.parametrize("framework", FRAMEWORKS.values(), ids=lambda f: f.key)
def test_controls_are_unique_titled_and_name_managed_rule_identifiers(framework: Framework) -> None:
    ids = [control.id for control in framework.controls]
    assert len(ids) == len(set(ids))
    for control in framework.controls:
        assert control.title.strip()
        assert control.rules, control.id
        assert len(control.rules) == len(set(control.rules))
        assert all(IDENTIFIER.match(rule) for rule in control.rules), control.rules


def test_frameworks_for_rule_finds_the_controls_aws_maps_it_to() -> None:
    found = frameworks_for_rule("VPC_DEFAULT_SECURITY_GROUP_CLOSED")
    assert [control.id for control in found["pci-dss"]] == ["1.2"]
    assert frameworks_for_rule("NO_SUCH_RULE") == {}


def test_every_check_states_its_equivalent_managed_rules() -> None:
    for check in CHECKS:
        assert check.equivalent_managed_rules, check.name
        assert all(IDENTIFIER.match(rule) for rule in check.equivalent_managed_rules)
