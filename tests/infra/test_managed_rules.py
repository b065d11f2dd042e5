"""The managed-rule table (components/data/managed_rules.json) is well-formed and states the pages' facts."""

from __future__ import annotations

import re

import botocore.session
import pytest

from components.catalog import CHECKS, GLOBAL_RESOURCE_TYPES
from components.frameworks import FRAMEWORKS
from components.managed_rules import (
    LIST_PAGE,
    MANAGED_RULES,
    PARAMETER_TYPES,
    RETRIEVED,
    TRIGGERS,
    ManagedRule,
    nearest_identifier,
)
from scripts.refresh_managed_rules import ACCOUNT, GLOBAL_ACCOUNT_RULES

IDENTIFIER = re.compile(r"^[A-Z0-9]+(_[A-Z0-9]+)*$")
RESOURCE_TYPE = re.compile(r"^AWS::[A-Za-z0-9]+::[A-Za-z0-9]+$")
# Every Region botocore knows, in every partition (the pages name China and GovCloud Regions too).
_SESSION = botocore.session.get_session()
KNOWN_REGIONS = {
    region
    for partition in _SESSION.get_available_partitions()
    for region in _SESSION.get_available_regions("config", partition_name=partition)
}

RULES = list(MANAGED_RULES.values())


def test_table_names_its_list_page_and_retrieval_date() -> None:
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", RETRIEVED)
    assert (
        LIST_PAGE
        == "https://docs.aws.amazon.com/config/latest/developerguide/managed-rules-by-aws-config.html"
    )


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.identifier)
def test_each_rule_is_well_formed(rule: ManagedRule) -> None:
    assert IDENTIFIER.match(rule.identifier)
    assert rule.trigger in TRIGGERS
    names = [parameter.name for parameter in rule.parameters]
    assert len(names) == len(set(names))
    for parameter in rule.parameters:
        assert parameter.type in PARAMETER_TYPES
        assert parameter.default is None or isinstance(parameter.default, str)
    assert len(rule.resource_types) == len(set(rule.resource_types))
    assert all(t == ACCOUNT or RESOURCE_TYPE.match(t) for t in rule.resource_types), rule.resource_types
    assert rule.is_account_level == (set(rule.resource_types) <= {ACCOUNT})
    assert rule.unavailable_regions <= KNOWN_REGIONS, rule.unavailable_regions - KNOWN_REGIONS
    if rule.only_regions is not None:
        assert rule.only_regions and rule.only_regions <= KNOWN_REGIONS
        assert not rule.unavailable_regions


@pytest.mark.parametrize("rule", [r for r in RULES if r.is_global], ids=lambda rule: rule.identifier)
def test_a_rule_run_in_one_region_evaluates_global_iam_types_or_the_account(rule: ManagedRule) -> None:
    # Its types are recorded in the primary region only (catalog.py), or it has none to record.
    assert rule.is_account_level or set(rule.resource_types) <= set(GLOBAL_RESOURCE_TYPES)


def test_global_rules_are_those_on_global_iam_types_and_the_listed_account_wide_ones() -> None:
    on_iam_types = {
        r.identifier
        for r in RULES
        if r.resource_types and set(r.resource_types) <= set(GLOBAL_RESOURCE_TYPES)
    }
    assert {"ACCESS_KEYS_ROTATED", "IAM_USER_NO_POLICIES_CHECK", "IAM_POLICY_IN_USE"} <= on_iam_types
    assert {r.identifier for r in RULES if r.is_global} == on_iam_types | set(GLOBAL_ACCOUNT_RULES)
    # The account-level IAM and root-user rules read IAM itself, no recorded IAM item.
    assert {r.identifier for r in RULES if r.on_global_iam_types} == on_iam_types
    # Account-level settings that are regional run in every region.
    for regional in ("EC2_EBS_ENCRYPTION_BY_DEFAULT", "GUARDDUTY_ENABLED_CENTRALIZED", "SECURITYHUB_ENABLED"):
        assert MANAGED_RULES[regional].is_account_level and not MANAGED_RULES[regional].is_global


def test_every_rule_the_catalogue_or_the_framework_mapping_names_is_in_the_table() -> None:
    claimed = {rule for check in CHECKS for rule in check.equivalent_managed_rules}
    mapped = {
        rule for framework in FRAMEWORKS.values() for control in framework.controls for rule in control.rules
    }
    assert "REQUIRED_TAGS" in claimed
    assert claimed | mapped <= set(MANAGED_RULES), sorted((claimed | mapped) - set(MANAGED_RULES))


def test_facts_of_the_pages_are_kept_as_stated() -> None:
    # Planted values would change these: spot checks of facts as the pages state them.
    assert MANAGED_RULES["EFS_ENCRYPTED_CHECK"].trigger == "periodic"
    assert MANAGED_RULES["ENCRYPTED_VOLUMES"].trigger == "change"
    assert MANAGED_RULES["ENCRYPTED_VOLUMES"].resource_types == ("AWS::EC2::Volume",)
    desync = MANAGED_RULES["ALB_DESYNC_MODE_CHECK"].parameter("desyncMode")
    assert desync is not None and desync.required and desync.type == "CSV"
    length = MANAGED_RULES["IAM_PASSWORD_POLICY"].parameter("MinimumPasswordLength")
    assert length is not None and (length.type, length.default, length.required) == ("int", "14", False)
    age = MANAGED_RULES["ACCESS_KEYS_ROTATED"].parameter("maxAccessKeyAge")
    assert age is not None and (age.type, age.default, age.required) == ("int", "90", True)
    tag = MANAGED_RULES["REQUIRED_TAGS"].parameter("tag1Key")
    assert tag is not None and (tag.type, tag.default, tag.required) == ("String", "CostCenter", True)
    utilization = MANAGED_RULES["DYNAMODB_AUTOSCALING_ENABLED"].parameter("targetReadUtilization")
    assert utilization is not None and utilization.type == "double"
    assert MANAGED_RULES["S3_ACCOUNT_LEVEL_PUBLIC_ACCESS_BLOCKS_PERIODIC"].resource_types == (ACCOUNT,)


def test_availability_follows_the_page_form() -> None:
    # "All supported AWS regions except ...": those are refused, any other is not.
    keys = MANAGED_RULES["ACCESS_KEYS_ROTATED"]
    assert not keys.is_available_in("ap-east-2") and keys.is_available_in("us-east-1")
    assert MANAGED_RULES["S3_BUCKET_VERSIONING_ENABLED"].is_available_in("ap-east-2")
    # "Only available in ...": every Region outside the list is refused.
    flow = MANAGED_RULES["APPFLOW_FLOW_TAGGED"]
    assert flow.only_regions is not None and "eu-north-1" not in flow.only_regions
    assert flow.is_available_in("eu-west-1") and not flow.is_available_in("eu-north-1")


# Services whose resources are global, recorded and evaluated in one home Region (the Config API Reference,
# RecordingGroup: global resource types onboarded after February 2022 are recorded only in the service's
# home Region), or that exist in one Region only (Device Farm, us-west-2).
HOME_REGION_SERVICES = {
    "CloudFront",
    "DeviceFarm",
    "IAM",
    "Route53",
    "Route53RecoveryControl",
    "Route53RecoveryReadiness",
    "WAF",
}
HOME_REGION_ACCOUNT_RULES = {"SHIELD_ADVANCED_ENABLED_AUTORENEW", "SHIELD_DRT_ACCESS"}


def test_rules_aws_offers_in_one_region_are_on_global_or_one_region_services() -> None:
    # A refresh that adds another such rule must decide whether one Region covers the account.
    home = [rule for rule in RULES if rule.home_region is not None]
    assert {t.split("::")[1] for rule in home for t in rule.resource_types} == HOME_REGION_SERVICES
    assert {rule.identifier for rule in home if rule.is_account_level} == HOME_REGION_ACCOUNT_RULES
    for rule in home:
        assert not rule.is_global and rule.only_regions is not None and rule.home_region in rule.only_regions
    assert MANAGED_RULES["CLOUDFRONT_VIEWER_POLICY_HTTPS"].home_region == "us-east-1"
    assert MANAGED_RULES["DEVICEFARM_PROJECT_TAGGED"].home_region == "us-west-2"
    assert MANAGED_RULES["IAM_SERVER_CERTIFICATE_EXPIRATION_CHECK"].home_region == "us-east-1"
    assert MANAGED_RULES["APPFLOW_FLOW_TAGGED"].home_region is None


def test_no_change_triggered_rule_is_scoped_to_the_account_pseudo_type() -> None:
    # A change-triggered rule is scoped to its types (managed_rule_deployment.py); AWS::::Account is no type
    # Config records, so such a scope would never be triggered.
    assert not [r.identifier for r in RULES if r.is_change_triggered and ACCOUNT in r.resource_types]
    # Config API Reference, Scope: ComplianceResourceTypes holds at most 100 types (botocore's model too).
    assert max(len(r.resource_types) for r in RULES if r.is_change_triggered) <= 100


def test_nearest_identifier_suggests_the_rule_meant() -> None:
    assert nearest_identifier("ENCRYPTED_VOLUME") == "ENCRYPTED_VOLUMES"
    assert nearest_identifier("s3-bucket-versioning-enabled") == "S3_BUCKET_VERSIONING_ENABLED"
    assert nearest_identifier("QQQ") is None
