"""The framework mapping data is well-formed and holds what was extracted (components/data/frameworks.json).

Spot checks cite the archived AWS text the row comes from: awsdocs/aws-security-hub-user-guide at commit
bda5bf7ddbdf498557b2ac6a538577528004e6d5, doc_source/<service>-controls.md ("Related requirements" and
"AWS Config rule" of a Security Hub control), the rule resolved to its identifier by the rule's page in
awsdocs/aws-config-developer-guide at 572f3077b849a2a49b175e097bc56dd17f643e85, doc_source/<rule>.md.
"""

from __future__ import annotations

import re

import pytest

from components.catalog import CHECKS
from components.frameworks import FRAMEWORKS, Framework, frameworks_for_rule

SOURCE = re.compile(
    r"^AWS Security Hub User Guide \(archived\): awsdocs/aws-security-hub-user-guide "
    r"doc_source/\*-controls\.md at commit bda5bf7ddbdf498557b2ac6a538577528004e6d5 "
    r"\(text of 2023-03-10\), 'Related requirements: .+'$"
)
CURRENT_PAGE = re.compile(
    r"^https://docs\.aws\.amazon\.com/config/latest/developerguide/operational-best-practices-for-.+\.html$"
)
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
IDENTIFIER = re.compile(r"^[A-Z0-9]+(_[A-Z0-9]+)*$")
# What the extraction found, per framework: controls, and (control, rule) rows. Exact, so a lost or added
# row fails here; a refresh updates these with the new counts.
EXTRACTED = {
    "nist-800-53-rev5": (122, 1401),
    "pci-dss": (39, 130),
    "cis-aws-foundations": (23, 24),
}
CONTROL_ID = {
    "nist-800-53-rev5": re.compile(r"^[A-Z]{2}-\d+(\(\d+\))?$"),
    "pci-dss": re.compile(r"^\d+(\.\d+){1,2}$"),
    "cis-aws-foundations": re.compile(r"^\d+(\.\d+){1,2}$"),
}
# Equivalents the catalogue claims that no Security Hub control of the archived text is evaluated by
# (for backup plans it names the *_RESOURCES_PROTECTED_BY_BACKUP_PLAN rules instead): a check supports a
# control only through its other equivalents.
UNMAPPED_EQUIVALENTS = {
    "DYNAMODB_TABLE_ENCRYPTION_ENABLED",
    "EBS_IN_BACKUP_PLAN",
    "RDS_IN_BACKUP_PLAN",
    "DYNAMODB_IN_BACKUP_PLAN",
    "REQUIRED_TAGS",
}


def _named() -> set[str]:
    return {rule for framework in FRAMEWORKS.values() for c in framework.controls for rule in c.rules}


def _rules(key: str, control_id: str) -> tuple[str, ...]:
    return next(c.rules for c in FRAMEWORKS[key].controls if c.id == control_id)


def test_the_three_frameworks_the_report_offers_are_there() -> None:
    assert set(FRAMEWORKS) == {"nist-800-53-rev5", "pci-dss", "cis-aws-foundations"}
    assert FRAMEWORKS["pci-dss"].version == "3.2.1"
    assert FRAMEWORKS["cis-aws-foundations"].version == "v1.4.0"
    assert FRAMEWORKS["nist-800-53-rev5"].version == "Revision 5"


@pytest.mark.parametrize("framework", FRAMEWORKS.values(), ids=lambda f: f.key)
def test_framework_names_its_archived_source_current_page_and_read_date(framework: Framework) -> None:
    assert SOURCE.match(framework.source), framework.source
    assert CURRENT_PAGE.match(framework.current_page), framework.current_page
    assert DATE.match(framework.retrieved), framework.retrieved
    assert framework.title and framework.version


@pytest.mark.parametrize("framework", FRAMEWORKS.values(), ids=lambda f: f.key)
def test_controls_are_unique_titled_and_name_managed_rule_identifiers(framework: Framework) -> None:
    ids = [control.id for control in framework.controls]
    assert len(ids) == len(set(ids))
    for control in framework.controls:
        assert CONTROL_ID[framework.key].match(control.id), control.id
        assert control.title.strip()
        assert control.rules, control.id
        assert list(control.rules) == sorted(set(control.rules)), control.id
        assert all(IDENTIFIER.match(rule) for rule in control.rules), control.rules


@pytest.mark.parametrize("key", EXTRACTED)
def test_every_extracted_control_and_row_is_there(key: str) -> None:
    controls = FRAMEWORKS[key].controls
    assert (len(controls), sum(len(c.rules) for c in controls)) == EXTRACTED[key]


def test_spot_checks_against_the_archived_text() -> None:
    # ec2-controls.md, [EC2.3] (encrypted-volumes): NIST.800-53.r5 SC-28 among its requirements.
    assert "ENCRYPTED_VOLUMES" in _rules("nist-800-53-rev5", "SC-28")
    # rds-controls.md, [RDS.3] (rds-storage-encrypted): CIS AWS Foundations Benchmark v1.4.0/2.3.1.
    assert _rules("cis-aws-foundations", "2.3.1") == ("RDS_STORAGE_ENCRYPTED",)
    # iam-controls.md, [IAM.15] (iam-password-policy): CIS v1.4.0/1.8.
    assert _rules("cis-aws-foundations", "1.8") == ("IAM_PASSWORD_POLICY",)
    # ec2-controls.md, [EC2.2] (vpc-default-security-group-closed): CIS v1.4.0/5.3.
    assert _rules("cis-aws-foundations", "5.3") == ("VPC_DEFAULT_SECURITY_GROUP_CLOSED",)
    # cloudtrail-controls.md [CloudTrail.2], es-controls.md [ES.1], s3-controls.md [S3.4]: PCI DSS v3.2.1/3.4.
    assert _rules("pci-dss", "3.4") == (
        "CLOUD_TRAIL_ENCRYPTION_ENABLED",
        "ELASTICSEARCH_ENCRYPTED_AT_REST",
        "S3_BUCKET_SERVER_SIDE_ENCRYPTION_ENABLED",
    )
    # restricted-ssh's page names the identifier INCOMING_SSH_DISABLED, not the rule's name.
    assert "INCOMING_SSH_DISABLED" in _rules("pci-dss", "1.2.1")
    assert "RESTRICTED_SSH" not in _named()


def test_frameworks_for_rule_finds_the_controls_aws_relates_it_to() -> None:
    found = frameworks_for_rule("RDS_STORAGE_ENCRYPTED")
    assert [control.id for control in found["cis-aws-foundations"]] == ["2.3.1"]
    assert "SC-28" in [control.id for control in found["nist-800-53-rev5"]]
    assert frameworks_for_rule("NO_SUCH_RULE") == {}


def test_every_check_states_its_equivalent_managed_rules() -> None:
    for check in CHECKS:
        assert check.equivalent_managed_rules, check.name
        assert all(IDENTIFIER.match(rule) for rule in check.equivalent_managed_rules)


def test_catalogue_equivalents_back_controls_except_the_ones_known_unmapped() -> None:
    claimed = {rule for check in CHECKS for rule in check.equivalent_managed_rules}
    assert claimed - _named() == UNMAPPED_EQUIVALENTS
    supported = {check.name for check in CHECKS if set(check.equivalent_managed_rules) & _named()}
    # required-tags's only equivalent, REQUIRED_TAGS, backs no control: the check supports none.
    assert supported == {check.name for check in CHECKS} - {"required-tags"}
