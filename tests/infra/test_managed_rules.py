"""The managed-rule table (components/data/managed_rules.json) is well-formed and covers what names it."""

from __future__ import annotations

import re

import botocore.session
import pytest

from components.catalog import CHECKS, GLOBAL_RESOURCE_TYPES
from components.managed_rules import (
    MANAGED_RULES,
    PARAMETER_TYPES,
    RETRIEVED,
    TRIGGERS,
    ManagedRule,
    nearest_identifier,
)
from components.settings import recordable_resource_types

IDENTIFIER = re.compile(r"^[A-Z0-9]+(_[A-Z0-9]+)*$")
PAGE = re.compile(r"^https://docs\.aws\.amazon\.com/config/latest/developerguide/([a-z0-9-]+)\.html$")
# Every Region botocore knows, in every partition (the pages name China and GovCloud Regions too).
_SESSION = botocore.session.get_session()
KNOWN_REGIONS = {
    region
    for partition in _SESSION.get_available_partitions()
    for region in _SESSION.get_available_regions("config", partition_name=partition)
}
# Equivalents the catalogue claims whose rule page could not be read in full when the table was built
# (docs/managed-rules.md): they cannot be configured as managedRules yet.
NOT_IN_TABLE = {"REQUIRED_TAGS"}

RULES = list(MANAGED_RULES.values())


def test_table_names_its_retrieval_date_and_holds_the_rules_it_is_built_for() -> None:
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", RETRIEVED)
    assert len(MANAGED_RULES) >= 24


# The pages that say their rule's name differs from its identifier.
PAGE_NAMES = {"MULTI_REGION_CLOUD_TRAIL_ENABLED": "multi-region-cloudtrail-enabled"}


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.identifier)
def test_each_rule_is_well_formed(rule: ManagedRule) -> None:
    assert IDENTIFIER.match(rule.identifier)
    page = PAGE.match(rule.page)
    assert page, rule.page
    # A rule's page is named after its identifier, in kebab case (e.g. encrypted-volumes).
    assert page.group(1) == PAGE_NAMES.get(rule.identifier, rule.identifier.lower().replace("_", "-"))
    assert rule.trigger in TRIGGERS
    names = [parameter.name for parameter in rule.parameters]
    assert len(names) == len(set(names))
    for parameter in rule.parameters:
        assert parameter.type in PARAMETER_TYPES
        if parameter.default is not None:
            assert isinstance(parameter.default, str)
    assert set(rule.resource_types) <= recordable_resource_types()
    assert len(rule.resource_types) == len(set(rule.resource_types))
    assert rule.unavailable_regions <= KNOWN_REGIONS, rule.unavailable_regions - KNOWN_REGIONS


@pytest.mark.parametrize("rule", [r for r in RULES if r.is_global], ids=lambda rule: rule.identifier)
def test_rules_on_global_or_account_level_resources_are_periodic(rule: ManagedRule) -> None:
    # Nothing of theirs is recorded per region: they run on a schedule, with no regional type to scope.
    assert rule.is_periodic
    assert not set(rule.resource_types) - set(GLOBAL_RESOURCE_TYPES)


def test_the_global_rules_are_the_iam_root_account_and_trail_rules() -> None:
    on_iam = {"IAM_PASSWORD_POLICY", "IAM_ROOT_ACCESS_KEY_CHECK", "ROOT_ACCOUNT_MFA_ENABLED"}
    assert {r.identifier for r in RULES if r.on_global_iam_types} == on_iam
    assert {r.identifier for r in RULES if r.is_global} == on_iam | {"MULTI_REGION_CLOUD_TRAIL_ENABLED"}


def test_every_equivalent_the_catalogue_claims_is_in_the_table_or_known_to_be_missing() -> None:
    claimed = {rule for check in CHECKS for rule in check.equivalent_managed_rules}
    assert claimed - NOT_IN_TABLE <= set(MANAGED_RULES)
    assert not NOT_IN_TABLE & set(MANAGED_RULES)


def test_facts_read_from_pages_are_kept_as_read() -> None:
    # Planted values would change these: spot checks of facts as the pages state them.
    assert MANAGED_RULES["EFS_ENCRYPTED_CHECK"].trigger == "periodic"
    assert MANAGED_RULES["ENCRYPTED_VOLUMES"].trigger == "change"
    assert "ap-east-2" in MANAGED_RULES["ENCRYPTED_VOLUMES"].unavailable_regions
    desync = MANAGED_RULES["ALB_DESYNC_MODE_CHECK"].parameter("desyncMode")
    assert desync is not None and desync.required and desync.type == "CSV"
    length = MANAGED_RULES["IAM_PASSWORD_POLICY"].parameter("MinimumPasswordLength")
    assert length is not None and (length.type, length.default, length.required) == ("int", "14", False)


def test_nearest_identifier_suggests_the_rule_meant() -> None:
    assert nearest_identifier("ENCRYPTED_VOLUME") == "ENCRYPTED_VOLUMES"
    assert nearest_identifier("s3-bucket-versioning-enabled") == "S3_BUCKET_VERSIONING_ENABLED"
    assert nearest_identifier("QQQ") is None
