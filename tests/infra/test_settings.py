"""Stack settings: defaults, stack files, and one test per validation message."""

from __future__ import annotations

import importlib
import json
import re
from pathlib import Path
from typing import Any

import boto3
import botocore.model
import botocore.session
import pulumi
import pytest
import yaml
from evaluators.backup import BackupParameters
from evaluators.encryption import EncryptionParameters
from evaluators.required_tags import RequiredTag

from components import settings as settings_module
from components import tags
from components.catalog import CHECKS, ENCRYPTION, REQUIRED_TAGS, Check, RuleParameter
from components.rule_parameters import function_parser
from components.settings import (
    FREQUENCIES,
    KNOWN_KEYS,
    LOG_RETENTION_DAYS,
    NAMESPACE,
    OPT_IN_REGIONS,
    RECORDING_FREQUENCIES,
    Settings,
    SettingsError,
    kms_regions,
    load_settings,
    parse_settings,
    settings_warnings,
    supported_regions,
)

ROOT = Path(__file__).resolve().parents[2]
# Lists of objects: declaring them needs Pulumi CLI 3.186 or later (pulumi/pulumi#20129); the code owns
# their default.
UNDECLARED_KEYS = {"exceptions", "managedRules", "conformancePacks"}
VALID = {"environmentSuffix": "dev", "resourceTags": '["Owner=platform"]'}
KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def as_pulumi_config(values: dict[str, Any]) -> dict[str, str]:
    """What the Pulumi engine hands the program: strings, with lists as JSON."""
    return {
        key: value
        if isinstance(value, str)
        else json.dumps(value)
        if isinstance(value, list)
        else str(value).lower()
        if isinstance(value, bool)
        else str(value)
        for key, value in values.items()
    }


def parse(**overrides: Any) -> Settings:
    return parse_settings({**VALID, **as_pulumi_config(overrides)})


def problems_of(**overrides: Any) -> list[str]:
    with pytest.raises(SettingsError) as raised:
        parse(**overrides)
    return raised.value.problems


def test_defaults_cover_three_regions_with_the_first_as_primary() -> None:
    settings = parse()
    assert settings.regions == ("us-east-1", "us-west-2", "eu-west-1")
    assert settings.primary_region == "us-east-1"
    assert settings.evaluation_frequency == "Six_Hours"
    assert settings.recording_frequency == "CONTINUOUS"
    assert settings.protect_data is True
    assert settings.resource_tags == {
        "Environment": "dev",
        "ManagedBy": "pulumi",
        "Project": NAMESPACE,
        "Owner": "platform",
    }


def test_project_file_documents_every_key_with_the_defaults_the_code_uses() -> None:
    declared = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["config"]
    assert set(declared) == set(KNOWN_KEYS) - UNDECLARED_KEYS
    assert all(entry.get("description") and entry.get("type") for entry in declared.values())
    assert "default" not in declared["environmentSuffix"]  # required: Pulumi refuses to run without it
    defaults = {key: entry["default"] for key, entry in declared.items() if "default" in entry}
    from_file = parse_settings(
        as_pulumi_config({**defaults, **{"environmentSuffix": "dev"}, "resourceTags": ["Owner=x"]})
    )
    from_code = parse_settings({"environmentSuffix": "dev", "resourceTags": '["Owner=x"]'})
    assert from_file == from_code


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_stack_files_are_valid(stack: str) -> None:
    config = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
    prefix = f"{NAMESPACE}:"
    ours = {key[len(prefix) :]: value for key, value in config.items() if key.startswith(prefix)}
    settings = parse_settings(as_pulumi_config(ours))
    assert settings.environment_suffix == stack
    assert config["pulumi:disable-default-providers"] == ["aws"]


def test_prod_stack_shows_non_default_settings() -> None:
    config = yaml.safe_load((ROOT / "Pulumi.prod.yaml").read_text())["config"]
    ours = {key.split(":", 1)[1]: value for key, value in config.items() if key.startswith(NAMESPACE)}
    settings = parse_settings(as_pulumi_config(ours))
    assert settings.primary_region != settings.regions[0]
    assert settings.existing_recorder_regions
    assert settings.recording_frequency == "DAILY"


def test_primary_region_may_be_any_listed_region() -> None:
    settings = parse(regions=["eu-west-1", "us-east-1"], primaryRegion="us-east-1")
    assert settings.primary_region == "us-east-1"


def test_allowed_keys_may_be_key_or_alias_arns() -> None:
    arns = [
        "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "arn:aws:kms:eu-west-1:123456789012:alias/compliance/archive",
    ]
    assert parse(allowedKmsKeyArns=arns).allowed_kms_key_arns == tuple(arns)


def test_existing_recorder_regions_are_not_managed() -> None:
    settings = parse(existingRecorderRegions=["us-west-2"])
    assert [settings.manages_recorder(r) for r in settings.regions] == [True, False, True]


def test_every_problem_is_reported_in_one_error() -> None:
    with pytest.raises(SettingsError) as raised:
        parse_settings(
            as_pulumi_config(
                {"regions": ["mars-north-1"], "evaluationFrequency": "Hourly", "logRetentionDays": -3}
            )
        )
    message = str(raised.value)
    assert len(raised.value.problems) >= 4
    for fragment in ("mars-north-1", "Hourly", "logRetentionDays", "environmentSuffix is required"):
        assert fragment in message


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"regions": []}, "regions must list at least one region"),
        ({"regions": ["us-east-1", "moon-1"]}, "unknown or unsupported region(s): moon-1"),
        ({"regions": ["us-east-1", "us-east-1"]}, "lists region(s) more than once: us-east-1"),
        ({"regions": "us-east-1"}, "regions must be a list of strings"),
        ({"notificationEmails": [["a@example.com"]]}, "notificationEmails must be a list of strings"),
        ({"primaryRegion": "ap-south-1"}, "primaryRegion 'ap-south-1' is not one of regions"),
        ({"existingRecorderRegions": ["ap-south-1"]}, "existingRecorderRegions has region(s) not in regions"),
        (
            {"existingRecorderRegions": ["us-east-1", "us-east-1"]},
            "existingRecorderRegions lists region(s) more",
        ),
        ({"environmentSuffix": ""}, "environmentSuffix is required"),
        ({"environmentSuffix": "Dev_1"}, "may hold only lowercase letters, digits and single hyphens"),
        ({"environmentSuffix": "a" * 36}, "S3 bucket name"),
        (
            {"environmentSuffix": "a" * 30},
            "Lambda function name 'compliance-required-tags-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-us-east-1'",
        ),
        ({"evaluationFrequency": "Hourly"}, "evaluationFrequency must be one of One_Hour"),
        ({"snapshotDeliveryFrequency": "Daily"}, "snapshotDeliveryFrequency must be one of"),
        ({"recordingFrequency": "WEEKLY"}, "recordingFrequency must be one of CONTINUOUS, DAILY"),
        ({"notificationEmails": ["not-an-address"]}, "item 'not-an-address': is not an email"),
        ({"notificationEmails": ["a@example.com", "a@example.com"]}, "lists address(es) more than once"),
        ({"requiredTags": []}, "requiredTags must list at least one tag"),
        ({"requiredTags": ["Owner", "Cost,Center"]}, "requiredTags item 'Cost,Center'"),
        ({"requiredTags": ["Owner=a|"]}, "requiredTags item 'Owner=a|'"),
        ({"requiredTags": ["Owner", "Owner=x"]}, "names tag key(s) more than once: Owner"),
        (
            {"requiredTags": [f"Tag{i:03}" for i in range(150)]},
            "the required-tags rule's parameters would be",
        ),
        ({"resourceTags": ["Owner"]}, "resourceTags items must be Key=Value"),
        (
            {"resourceTags": ["Owner=platform", "aws:team=x"]},
            "resourceTags item 'aws:team=x': tag keys starting with 'aws:' are reserved for AWS",
        ),
        ({"resourceTags": ["Owner=platform", f"{'k' * 129}=x"]}, "tag key is 129 characters, more than 128"),
        ({"resourceTags": [f"Owner={'v' * 257}"]}, "tag value is 257 characters, more than 256"),
        ({"resourceTags": ["Owner=a", "Owner=b"]}, "resourceTags sets tag 'Owner' more than once"),
        (
            {"notificationEmails": ["Ops@Example.com", "ops@example.com"]},
            "lists address(es) more than once (ignoring case): ops@example.com",
        ),
        ({"resourceTags": []}, "resourceTags must set 'Owner'"),
        (
            {"requiredTags": ["Owner=a|b"]},
            "resourceTags sets Owner='platform', which requiredTags does not allow",
        ),
        (
            {"extraResourceTypes": ["Lambda::Function"]},
            "type(s) AWS Config does not record: Lambda::Function",
        ),
        ({"extraResourceTypes": ["AWS::Foo::Bar"]}, "type(s) AWS Config does not record: AWS::Foo::Bar"),
        (
            {"extraResourceTypes": ["AWS::Lambda::Function"], "recordAllResourceTypes": True},
            "cannot be combined with recordAllResourceTypes",
        ),
        ({"recordAllResourceTypes": "yes"}, "recordAllResourceTypes must be true or false"),
        ({"logRetentionDays": 0}, "logRetentionDays must be one of 1, 3, 5"),
        ({"logRetentionDays": "thirty"}, "logRetentionDays must be a whole number"),
        ({"archiveRetentionDays": 30}, "archiveRetentionDays must be more than 90"),
        ({"archiveRetentionDays": 100000}, "at most 36500"),
        ({"minBackupRetentionDays": 0}, "minBackupRetentionDays must be between 1 and 35"),
        ({"minBackupRetentionDays": 36}, "minBackupRetentionDays must be between 1 and 35"),
        ({"allowedKmsKeyArns": ["alias/aws/s3"]}, "allowedKmsKeyArns must be KMS key or alias ARNs"),
        ({"colour": "blue"}, "unknown setting 'colour'"),
        ({"scope": "org"}, "scope must be one of account, organization, got 'org'"),
        ({"memberOrganizationalUnits": ["ou-ab12-cdef3456"]}, "memberOrganizationalUnits applies only with"),
        ({"excludedAccounts": ["111122223333"]}, "excludedAccounts applies only with scope organization"),
        ({"manageMemberRecorders": False}, "manageMemberRecorders applies only with scope organization"),
        ({"delegatedAdministrator": True}, "delegatedAdministrator applies only with scope organization"),
        ({"scope": "organization"}, "memberOrganizationalUnits is required with scope organization"),
        (
            {"scope": "organization", "memberOrganizationalUnits": ["ou-1", "r-ab12"]},
            "memberOrganizationalUnits must be OU ids (ou-xxxx-xxxxxxxx) or the root id (r-xxxx), got: ou-1",
        ),
        (
            {"scope": "organization", "memberOrganizationalUnits": ["r-ab12", "r-ab12"]},
            "memberOrganizationalUnits lists id(s) more than once: r-ab12",
        ),
        (
            {
                "scope": "organization",
                "memberOrganizationalUnits": ["r-ab12"],
                "excludedAccounts": [1234567890],
            },
            "excludedAccounts must be 12-digit account ids (digits 0-9), got: 1234567890",
        ),
        (
            {
                "scope": "organization",
                "memberOrganizationalUnits": ["r-ab12"],
                "excludedAccounts": ["111122223333", "111122223333"],
            },
            "excludedAccounts lists account(s) more than once: 111122223333",
        ),
        (
            {
                "scope": "organization",
                "memberOrganizationalUnits": ["r-ab12"],
                "excludedAccounts": [f"{n:012}" for n in range(1001)],
            },
            "excludedAccounts lists 1001 accounts; organization rules take at most 1000",
        ),
        (
            {"allowedKmsKeyArns": [KEY_ARN, KEY_ARN]},
            f"allowedKmsKeyArns lists key(s) more than once: {KEY_ARN}",
        ),
        (
            {"allowedKmsKeyArns": [KEY_ARN.replace("eu-west-1", "eu-west-9")]},
            "allowedKmsKeyArns has key(s) in a region that does not exist: arn:aws:kms:eu-west-9:",
        ),
        (
            {"allowedKmsKeyArns": [KEY_ARN.replace("123456789012", "١٢٣٤٥٦٧٨٩٠١٢")]},
            "allowedKmsKeyArns must be KMS key or alias ARNs",
        ),
        (
            {"requiredTags": ["Owner=platform|" + "v" * 257]},
            "an allowed value is 257 characters, more than the 256 a tag value may have",
        ),
        (
            {"requiredTags": ["aws:cloudformation:stack-name"]},
            "requiredTags item 'aws:cloudformation:stack-name': keys starting with 'aws:' are reserved for "
            "tags AWS itself sets",
        ),
        (
            {"requiredTags": ["Owner", "owner"]},
            "requiredTags names tag keys equal but for case: Owner, owner",
        ),
        ({"requiredTags": ["Owner", "Cost#Center"]}, "requiredTags item 'Cost#Center' must be Key"),
        (
            {"resourceTags": ["Owner=platform", "Cost#Center=1"]},
            "resourceTags item 'Cost#Center=1': IAM refuses the character(s) '#' in tags",
        ),
        (
            {"resourceTags": ["Owner=platform", "owner=x"]},
            "resourceTags has tag keys equal but for case: Owner, owner",
        ),
        (
            {"resourceTags": ["Owner=platform", "environment=dev"]},
            "resourceTags has tag keys equal but for case: Environment, environment; IAM, whose roles the "
            "stack tags, refuses both on one role (its tag keys are case-insensitive); the stack sets "
            "Environment itself: override it with that spelling",
        ),
        (
            {"resourceTags": ["Owner=platform", *(f"Tag{i}=x" for i in range(47))]},
            "resourceTags would give every resource 51 tags (with the stack's own: Environment, ManagedBy, "
            "Project), more than the 50 AWS allows on a resource",
        ),
        (
            {
                "scope": "organization",
                "memberOrganizationalUnits": ["r-ab12"],
                "excludedAccounts": ["١١١١٢٢٢٢٣٣٣٣"],
            },
            "excludedAccounts must be 12-digit account ids (digits 0-9), got: ١١١١٢٢٢٢٣٣٣٣",
        ),
        (
            {"scope": "organization", "memberOrganizationalUnits": ["ou-ab12-cdef3456", "ou-cd34-cdef3456"]},
            "memberOrganizationalUnits has ids of different organization roots (an organization has one "
            "root, and an OU id ou-<root>-... starts with its root's): root r-ab12: ou-ab12-cdef3456; "
            "root r-cd34: ou-cd34-cdef3456",
        ),
        (
            {"scope": "organization", "memberOrganizationalUnits": ["r-ab12", "ou-cd34-cdef3456"]},
            "memberOrganizationalUnits has ids of different organization roots",
        ),
        (
            {"notificationEmails": ["mailto:ops@example.com"]},
            "notificationEmails item 'mailto:ops@example.com': write the bare address, without 'mailto:'",
        ),
        (
            {"notificationEmails": ["Ops <ops@example.com>"]},
            "item 'Ops <ops@example.com>': write the bare address, without a display name or angle brackets",
        ),
        (
            {"notificationEmails": ["ops@example.com>"]},
            "item 'ops@example.com>': write the bare address, without a display name or angle brackets",
        ),
        (
            {"notificationEmails": ["<ops@example.com>"]},
            "item '<ops@example.com>': write the bare address, without a display name or angle brackets",
        ),
        ({"logRetentionDays": "٣٠"}, "logRetentionDays must be a whole number, got '٣٠'"),
    ],
)
def test_each_problem_has_a_clear_message(overrides: dict[str, Any], fragment: str) -> None:
    problems = problems_of(**overrides)
    assert any(fragment in problem for problem in problems), problems


def test_suffix_at_the_length_limit_is_accepted() -> None:
    # The longest derived Lambda name must stay within 64 characters in the longest region name.
    longest_region = max(supported_regions(), key=len)
    longest_ok = next(
        length for length in range(30, 0, -1) if not _suffix_rejected("a" * length, longest_region)
    )
    assert len(f"compliance-required-tags-{'a' * longest_ok}-{longest_region}") <= 64
    assert _suffix_rejected("a" * (longest_ok + 1), longest_region)


def _suffix_rejected(suffix: str, region: str) -> bool:
    try:
        parse(environmentSuffix=suffix, regions=[region])
    except SettingsError:
        return True
    return False


def test_known_regions_come_from_botocore_data() -> None:
    regions = supported_regions()
    assert {"us-east-1", "eu-west-1", "ap-southeast-2"} <= regions
    assert not any(region.startswith(("cn-", "us-gov-")) for region in regions)


@pytest.mark.parametrize("item", ["Owner=a|", "Cost,Center", "=x", "Owner=|"])
def test_a_malformed_required_tag_is_one_problem_not_a_cascade(item: str) -> None:
    problems = problems_of(requiredTags=[item])
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"requiredTags item {item!r}")


def test_list_items_set_with_path_are_read_as_text() -> None:
    """`pulumi config set --path 'requiredTags[1]' 2024` stores the number 2024, not a string (Pulumi CLI
    reference, pulumi config set: with --path, integers are numbers and true/false booleans)."""
    settings = parse_settings(
        {
            "environmentSuffix": "dev",
            "requiredTags": '["Owner", 2024, true]',
            "resourceTags": '["Owner=platform", "2024=yes", "true=1"]',
        }
    )
    assert settings.required_tags == ("Owner", "2024", "true")


def test_settings_errors_end_the_program_cleanly() -> None:
    """A pulumi.RunError is reported by the engine as its message alone, without a Python traceback."""
    pulumi.runtime.set_all_config({f"{NAMESPACE}:regions": '["mars-north-1"]', f"{NAMESPACE}:colour": "x"})
    with pytest.raises(pulumi.RunError) as raised:
        load_settings()
    message = str(raised.value)
    assert message.startswith(f"Invalid stack configuration ({NAMESPACE}:*):")
    assert "mars-north-1" in message and "unknown setting 'colour'" in message
    assert "environmentSuffix is required" in message


def test_opt_in_regions_are_named_in_a_warning() -> None:
    opt_in = sorted(OPT_IN_REGIONS & supported_regions())[:2]
    (warning,) = settings_warnings(parse(regions=["us-east-1", *opt_in]))
    assert warning.startswith(f"regions {', '.join(opt_in)} must be enabled in the account first")
    assert settings_warnings(parse(regions=["us-east-1", "eu-west-1"])) == []


def test_warnings_reach_the_pulumi_log(monkeypatch: pytest.MonkeyPatch) -> None:
    logged: list[str] = []
    monkeypatch.setattr(pulumi.log, "warn", logged.append)
    opt_in = sorted(OPT_IN_REGIONS & supported_regions())[0]
    pulumi.runtime.set_all_config(
        {
            f"{NAMESPACE}:environmentSuffix": "dev",
            f"{NAMESPACE}:resourceTags": '["Owner=platform"]',
            f"{NAMESPACE}:regions": json.dumps(["us-east-1", opt_in]),
        }
    )
    assert load_settings().regions == ("us-east-1", opt_in)
    assert len(logged) == 1 and opt_in in logged[0]


def test_opt_in_regions_are_real_regions() -> None:
    # A typo here would silently never warn; botocore knows every commercial region.
    known = set(boto3.session.Session().get_available_regions("ec2"))
    assert not OPT_IN_REGIONS - known, OPT_IN_REGIONS - known
    assert {"us-east-1", "eu-west-1", "ap-northeast-3"}.isdisjoint(OPT_IN_REGIONS)


def test_organization_settings_are_read() -> None:
    settings = parse(
        scope="organization",
        memberOrganizationalUnits=["ou-ab12-cdef3456", "r-ab12"],
        excludedAccounts=["012345678901"],
        manageMemberRecorders=False,
        delegatedAdministrator=True,
    )
    assert settings.is_organization
    assert settings.member_organizational_units == ("ou-ab12-cdef3456", "r-ab12")
    assert settings.excluded_accounts == ("012345678901",)
    assert (settings.manage_member_recorders, settings.delegated_administrator) == (False, True)
    assert not parse().is_organization


# --- one mistake, one problem: no advice about a key the user did not get wrong ------------------------


@pytest.mark.parametrize(
    ("overrides", "only_problem"),
    [
        # The Environment tag comes from the suffix: a missing suffix is not a missing resourceTags entry.
        ({"environmentSuffix": ""}, "environmentSuffix is required (e.g. dev, prod)"),
        # A malformed regions list is not compared with primaryRegion or existingRecorderRegions.
        (
            {
                "regions": "us-east-1",
                "primaryRegion": "eu-central-1",
                "existingRecorderRegions": ["eu-central-1"],
            },
            "regions must be a list of strings, got 'us-east-1'",
        ),
        # A malformed requiredTags is not replaced by the default, which would demand resourceTags Owner.
        ({"requiredTags": "Team", "resourceTags": []}, "requiredTags must be a list of strings, got 'Team'"),
        ({"resourceTags": ["Owner"]}, "resourceTags items must be Key=Value, got 'Owner'"),
        ({"resourceTags": "Owner=platform"}, "resourceTags must be a list of strings, got 'Owner=platform'"),
        (
            {"scope": "organization", "memberOrganizationalUnits": "ou-ab12-cdef3456"},
            "memberOrganizationalUnits must be a list of strings, got 'ou-ab12-cdef3456'",
        ),
        # An aws: key cannot be set by anyone: no advice to set it in resourceTags.
        (
            {"requiredTags": ["aws:cloudformation:stack-name"]},
            "requiredTags item 'aws:cloudformation:stack-name': keys starting with 'aws:' are reserved for "
            "tags AWS itself sets; no one can add such a tag to a resource that lacks it (the stack's own "
            "included): require a key of your own",
        ),
        # The stack's Environment tag is not something resourceTags set.
        (
            {"requiredTags": ["Environment=prod|staging", "Owner"]},
            "requiredTags allows Environment only prod|staging, but the stack tags its resources "
            "Environment='dev' (from environmentSuffix): add Environment=<an allowed value> to resourceTags, "
            "or allow 'dev'",
        ),
        # Reported once, by the settings' own rule, not again by the function's parser.
        ({"allowedKmsKeyArns": ["alias/aws/s3"]}, "allowedKmsKeyArns must be KMS key or alias ARNs"),
        ({"minBackupRetentionDays": 36}, "minBackupRetentionDays must be between 1 and 35, got 36"),
        ({"requiredTags": ["Owner", "Owner"]}, "requiredTags names tag key(s) more than once: Owner"),
    ],
)
def test_one_mistake_is_one_problem(overrides: dict[str, Any], only_problem: str) -> None:
    problems = problems_of(**overrides)
    assert len(problems) == 1, problems
    assert problems[0].startswith(only_problem), problems


def test_primary_region_is_still_checked_when_regions_cannot_be_read() -> None:
    problems = problems_of(regions="us-east-1", primaryRegion="mars-north-1")
    assert problems[1:] == ["primaryRegion 'mars-north-1' is not a known or supported region"]


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"regions": ["us-east-1", ""]}, "regions has unknown or unsupported region(s): ''"),
        (
            {"existingRecorderRegions": [""]},
            "existingRecorderRegions has unknown or unsupported region(s): ''",
        ),
        ({"notificationEmails": [""]}, "notificationEmails item '': is not an email address"),
        ({"extraResourceTypes": [""]}, "extraResourceTypes has type(s) AWS Config does not record: ''"),
        ({"allowedKmsKeyArns": [""]}, "...:alias/<name>), got: ''"),
        ({"requiredTags": ["Owner", ""]}, "requiredTags item '' must be Key"),
        ({"resourceTags": ["Owner=platform", ""]}, "resourceTags items must be Key=Value, got ''"),
        (
            {"scope": "organization", "memberOrganizationalUnits": ["r-ab12", ""]},
            "or the root id (r-xxxx), got: ''",
        ),
        (
            {"scope": "organization", "memberOrganizationalUnits": ["r-ab12"], "excludedAccounts": [""]},
            "excludedAccounts must be 12-digit account ids (digits 0-9), got: '' (",
        ),
    ],
)
def test_an_empty_list_item_is_named(overrides: dict[str, Any], fragment: str) -> None:
    problems = problems_of(**overrides)
    assert any(fragment in problem for problem in problems), problems


# --- tags: IAM's characters, case, counts --------------------------------------------------------------


@pytest.mark.parametrize(
    "tag",
    [
        "Équipe=données",  # Latin letters with accents (Lu, Ll)
        "チーム=開発",  # Katakana and CJK (Lo)
        "Team=José Ñúñez",  # a space (Zs)
        "Team=a\u00a0b",  # a no-break space (Zs)
        "Floor=٣",  # an Arabic-Indic digit (Nd)
        "Ratio=½",  # a vulgar fraction (No)
        "path/to:key.x_y+z=a=b-c@d",  # every mark IAM allows: _ . : / = + - @
    ],
)
def test_tags_with_any_letters_digits_and_spaces_are_accepted(tag: str) -> None:
    key, _, value = tag.partition("=")
    assert parse(resourceTags=["Owner=platform", tag]).resource_tags[key] == value


@pytest.mark.parametrize("refused", ["#", "!", "*", "%", "&", "$", "?", "|", ",", "\t", "\u0301", "€"])
def test_tags_with_characters_iam_refuses_are_refused(refused: str) -> None:
    """IAM API Reference, Tag: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]; a combining accent (Mn), a tab (Cc) and a
    currency sign (Sc) are none of those."""
    for tag in (f"Cost{refused}Center=1", f"CostCenter=1{refused}2"):
        problems = problems_of(resourceTags=["Owner=platform", tag])
        assert problems == [
            f"resourceTags item {tag!r}: IAM refuses the character(s) {refused!r} in tags (letters, digits, "
            "spaces and _ . : / = + - @ only)"
        ]


def test_tag_count_counts_the_stacks_own_tags_once() -> None:
    at_limit = ["Owner=platform", *(f"Tag{i}=x" for i in range(46))]
    assert len(parse(resourceTags=at_limit).resource_tags) == 50
    # Overriding a tag the stack sets does not add one.
    assert len(parse(resourceTags=[*at_limit, "Project=other"]).resource_tags) == 50
    (problem,) = problems_of(resourceTags=[*at_limit, "Tag46=x"])
    assert problem.startswith("resourceTags would give every resource 51 tags")


def test_tag_lengths_at_the_limit_are_accepted() -> None:
    tags = parse(resourceTags=["Owner=platform", f"{'k' * 128}={'v' * 256}"]).resource_tags
    assert tags["k" * 128] == "v" * 256
    assert problems_of(resourceTags=["Owner=platform", f"{'k' * 129}=v"]) == [
        f"resourceTags item '{'k' * 129}=v': tag key is 129 characters, more than 128"
    ]
    assert problems_of(resourceTags=["Owner=platform", f"k={'v' * 257}"]) == [
        f"resourceTags item 'k={'v' * 257}': tag value is 257 characters, more than 256"
    ]


@pytest.mark.parametrize("key", ["AWS:team", "Aws:team", "aws:team"])
def test_the_aws_prefix_is_reserved_in_any_case(key: str) -> None:
    (problem,) = problems_of(resourceTags=["Owner=platform", f"{key}=x"])
    assert problem.endswith("tag keys starting with 'aws:' are reserved for AWS")
    (problem,) = problems_of(requiredTags=["Owner", key])
    assert "reserved for tags AWS itself sets" in problem


def test_required_tag_limits_are_those_of_a_tag() -> None:
    settings = parse(requiredTags=[f"{'k' * 128}=a|{'v' * 256}"], resourceTags=["Owner=x", f"{'k' * 128}=a"])
    assert settings.required_tags == (f"{'k' * 128}=a|{'v' * 256}",)
    (too_long_key,) = problems_of(requiredTags=["k" * 129], resourceTags=[])
    assert too_long_key.startswith(f"requiredTags item '{'k' * 129}' must be Key")
    (too_long_value,) = problems_of(requiredTags=[f"Owner=platform|{'v' * 257}"])
    assert too_long_value.endswith(
        "an allowed value is 257 characters, more than the 256 a tag value may have"
    )


# --- boundaries --------------------------------------------------------------------------------------------


def test_log_retention_values_are_those_cloudwatch_logs_documents() -> None:
    """botocore's CloudWatch Logs model documents PutRetentionPolicy.retentionInDays' possible values."""
    request = botocore.session.get_session().get_service_model("logs").operation_model("PutRetentionPolicy")
    assert request.input_shape is not None
    documented = request.input_shape.members["retentionInDays"].documentation
    listed = documented.split("Possible values are:")[1].split(".")[0].replace("and", "")
    assert tuple(int(days) for days in listed.split(",")) == LOG_RETENTION_DAYS
    for days in LOG_RETENTION_DAYS:
        assert parse(logRetentionDays=days).log_retention_days == days
        for near in (days - 1, days + 1):
            if near not in LOG_RETENTION_DAYS:
                assert problems_of(logRetentionDays=near)[0].startswith("logRetentionDays must be one of")


def test_frequencies_are_those_config_accepts() -> None:
    model = botocore.session.get_session().get_service_model("config")
    for shape_name, values in (
        ("MaximumExecutionFrequency", FREQUENCIES),
        ("RecordingFrequency", RECORDING_FREQUENCIES),
    ):
        shape = model.shape_for(shape_name)
        assert isinstance(shape, botocore.model.StringShape)
        assert tuple(shape.enum) == values
    for frequency in FREQUENCIES:
        settings = parse(evaluationFrequency=frequency, snapshotDeliveryFrequency=frequency)
        assert (settings.evaluation_frequency, settings.snapshot_delivery_frequency) == (frequency, frequency)
    for recording in RECORDING_FREQUENCIES:
        assert parse(recordingFrequency=recording).recording_frequency == recording


@pytest.mark.parametrize(
    ("key", "lowest", "highest"),
    [("archiveRetentionDays", 91, 36500), ("minBackupRetentionDays", 1, 35)],
)
def test_day_ranges_end_where_documented(key: str, lowest: int, highest: int) -> None:
    for accepted in (lowest, highest):
        parse(**{key: accepted})
    for refused in (lowest - 1, highest + 1):
        (problem,) = problems_of(**{key: refused})
        assert problem.startswith(f"{key} must be") and problem.endswith(f"got {refused}"), problem


def test_email_lengths_end_at_rfc_5321_limits() -> None:
    domain = "@" + "d" * 60 + "." + "e" * 60 + "." + "f" * 60 + "." + "example.com"
    longest = "l" * (254 - len(domain)) + domain
    assert len(longest) == 254 and len(longest.partition("@")[0]) <= 64
    assert parse(notificationEmails=[longest]).notification_emails == (longest,)
    (problem,) = problems_of(notificationEmails=["l" + longest])
    assert problem.endswith("is 255 characters, more than the 254 an address may have")
    local = "l" * 64 + "@example.com"
    assert parse(notificationEmails=[local]).notification_emails == (local,)
    (problem,) = problems_of(notificationEmails=["l" + local])
    assert problem.endswith("the part before @ is 65 characters, more than 64")


@pytest.mark.parametrize(
    ("unit", "accepted"),
    [
        ("r-" + "a" * 4, True),
        ("r-" + "a" * 3, False),
        ("r-" + "a" * 32, True),
        ("r-" + "a" * 33, False),
        ("ou-abcd-" + "1" * 8, True),
        ("ou-abcd-" + "1" * 7, False),
        ("ou-abcd-" + "1" * 32, True),
        ("ou-abcd-" + "1" * 33, False),
        ("ou-abc-12345678", False),
        ("ou-" + "a" * 32 + "-12345678", True),
        ("ou-" + "a" * 33 + "-12345678", False),
        ("ou-ABCD-12345678", False),
        ("ou-ab\u0661\u0662-12345678", False),  # Arabic-Indic digits
    ],
)
def test_organizational_unit_ids_follow_the_organizations_pattern(unit: str, accepted: bool) -> None:
    overrides = {"scope": "organization", "memberOrganizationalUnits": [unit]}
    if accepted:
        assert parse(**overrides).member_organizational_units == (unit,)
    else:
        (problem,) = problems_of(**overrides)
        assert problem.startswith("memberOrganizationalUnits must be OU ids"), problem


def test_ids_of_one_root_are_accepted_together() -> None:
    units = ["r-ab12", "ou-ab12-cdef3456", "ou-ab12-99999999"]
    assert parse(scope="organization", memberOrganizationalUnits=units).member_organizational_units == tuple(
        units
    )


@pytest.mark.parametrize(
    ("account", "accepted"),
    [
        ("012345678901", True),
        ("01234567890", False),
        ("0123456789012", False),
        ("\uff10\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18\uff19\uff10\uff11", False),
    ],
)
def test_excluded_accounts_are_twelve_ascii_digits(account: str, accepted: bool) -> None:
    overrides = {
        "scope": "organization",
        "memberOrganizationalUnits": ["r-ab12"],
        "excludedAccounts": [account],
    }
    if accepted:
        assert parse(**overrides).excluded_accounts == (account,)
    else:
        (problem,) = problems_of(**overrides)
        assert problem.startswith(
            f"excludedAccounts must be 12-digit account ids (digits 0-9), got: {account}"
        )


def test_excluded_accounts_end_at_the_organization_rule_limit() -> None:
    overrides = {"scope": "organization", "memberOrganizationalUnits": ["r-ab12"]}
    accounts = [f"{n:012}" for n in range(1000)]
    assert len(parse(**overrides, excludedAccounts=accounts).excluded_accounts) == 1000
    (problem,) = problems_of(**overrides, excludedAccounts=[*accounts, "999999999999"])
    assert problem.startswith("excludedAccounts lists 1001 accounts")


@pytest.mark.parametrize(
    ("arn", "accepted"),
    [
        (KEY_ARN, True),
        ("arn:aws:kms:eu-west-1:123456789012:alias/compliance/archive", True),
        ("arn:aws:kms:ap-southeast-5:123456789012:key/abcd", True),
        ("arn:aws:kms:eu-west-1:12345678901:key/abcd", False),
        ("arn:aws:kms:eu-west-1:1234567890123:key/abcd", False),
        ("arn:aws:kms:eu-west-1:123456789012:key/", False),
        ("arn:aws:kms:eu-west-1:123456789012:secret/abcd", False),
        ("arn:aws:s3:eu-west-1:123456789012:key/abcd", False),
    ],
)
def test_kms_key_arns_follow_the_arn_format(arn: str, accepted: bool) -> None:
    if accepted:
        assert parse(allowedKmsKeyArns=[arn]).allowed_kms_key_arns == (arn,)
    else:
        (problem,) = problems_of(allowedKmsKeyArns=[arn])
        assert problem.startswith("allowedKmsKeyArns must be KMS key or alias ARNs"), problem


def test_kms_key_regions_come_from_botocore_data() -> None:
    assert {"us-east-1", "eu-west-1", "ap-southeast-2"} <= kms_regions()
    assert not {"eu-west-9", "us-east-7", "mars-north-1"} & kms_regions()


def test_input_parameters_end_at_config_limit() -> None:
    """ConfigRule.InputParameters is at most 1,024 characters (Config API Reference)."""

    def required_tags_of_length(length: int) -> list[str]:
        """One item whose allowed values (each at most 99 characters) make the parameters ``length`` long."""
        free = length - len(json.dumps({"requiredTags": "Owner=platform|"}))
        assert free % 100
        return ["Owner=platform|" + ("v" * 99 + "|") * (free // 100) + "v" * (free % 100)]

    at_limit = required_tags_of_length(1024)
    assert len(json.dumps(REQUIRED_TAGS.parameters(parse(requiredTags=at_limit)))) == 1024
    (problem,) = problems_of(requiredTags=required_tags_of_length(1025))
    assert problem == (
        "the required-tags rule's parameters would be 1025 characters, more than the 1024 Config accepts: "
        "shorten requiredTags"
    )


# --- rule parameters: the functions' own parsers decide -----------------------------------------------------


@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.name)
def test_the_stack_checks_parameters_with_the_parser_its_handler_runs(check: Check) -> None:
    module = importlib.import_module(check.function_module)
    assert getattr(module, check.handler.rpartition(".")[2]).__module__ == check.function_module
    assert function_parser(check) is module.CHECK.parse_parameters
    assert module.CHECK.name == check.name
    # Every parameter the stack sends is one the function reads, and the stack names its setting.
    full = parse(allowedKmsKeyArns=[KEY_ARN])
    assert set(check.parameters(full)) == {parameter.name for parameter in check.rule_parameters}
    assert {parameter.setting for parameter in check.rule_parameters} <= set(KNOWN_KEYS)
    function_parser(check)(check.parameters(full))


@pytest.mark.parametrize(
    ("loosen", "overrides", "problem"),
    [
        (
            ("_kms_key_problems", lambda arns: []),
            {"allowedKmsKeyArns": ["alias/aws/s3"]},
            "allowedKmsKeyArns: not a KMS key or alias ARN: 'alias/aws/s3' (the encryption rule's function "
            "would refuse its parameter kmsKeyArns)",
        ),
        (
            ("MAX_BACKUP_RETENTION_DAYS", 36),
            {"minBackupRetentionDays": 36},
            "minBackupRetentionDays: expected 1 to 35, got 36 (the backup rule's function would refuse its "
            "parameter minRetentionDays)",
        ),
        (
            ("_required_tag_problems", lambda required: []),
            {"requiredTags": ["Owner=platform|"]},
            "requiredTags: blank or over-long allowed value in 'Owner=platform|' (the required-tags rule's "
            "function would refuse its parameter requiredTags)",
        ),
    ],
)
def test_a_parameter_the_function_refuses_is_refused_even_if_settings_rules_miss_it(
    monkeypatch: pytest.MonkeyPatch, loosen: tuple[str, Any], overrides: dict[str, Any], problem: str
) -> None:
    """Planted: a settings rule looser than the function's parser. The parser still stops the deployment,
    with a message naming the stack setting."""
    monkeypatch.setattr(settings_module, *loosen)
    problems = problems_of(**overrides)
    assert any(found.startswith(problem) for found in problems), problems


def test_the_functions_read_the_settings_from_the_parameters_the_stack_deploys() -> None:
    second_key = KEY_ARN.replace("1234abcd", "5678efab")
    settings = parse(
        requireKms=True,
        allowedKmsKeyArns=[KEY_ARN, second_key],
        requiredTags=["Owner", "Environment=dev|prod"],
        minBackupRetentionDays=14,
        requireBackupPlan=False,
        checkReadReplicas=True,
    )
    deployed = {check.name: check.parameters(settings) for check in CHECKS}
    assert deployed == {
        "encryption": {"requireKms": "true", "kmsKeyArns": f"{KEY_ARN},{second_key}"},
        "required-tags": {"requiredTags": "Owner,Environment=dev|prod"},
        "backup": {"minRetentionDays": "14", "requireBackupPlan": "false", "checkReadReplicas": "true"},
    }
    read = {check.name: function_parser(check)(deployed[check.name]) for check in CHECKS}
    assert read["encryption"] == EncryptionParameters(True, frozenset({KEY_ARN, second_key}))
    assert read["required-tags"] == (RequiredTag("Owner"), RequiredTag("Environment", ("dev", "prod")))
    assert read["backup"] == BackupParameters(14, require_backup_plan=False, check_read_replicas=True)
    # Without allowed keys the parameter is left out: the function then accepts any key.
    assert "kmsKeyArns" not in ENCRYPTION.parameters(parse())


REFUSED_BY_THE_FUNCTIONS = {
    "requireKms": "yes",
    "kmsKeyArns": "alias/aws/s3",
    "requiredTags": "Owner=a|",
    "minRetentionDays": "36",
    "requireBackupPlan": "yes",
    "checkReadReplicas": "no",
}


@pytest.mark.parametrize(
    ("check", "parameter"),
    [(check, parameter) for check in CHECKS for parameter in check.rule_parameters],
    ids=lambda value: value.name,
)
def test_every_rule_parameter_the_function_refuses_is_refused_naming_its_setting(
    monkeypatch: pytest.MonkeyPatch, check: Check, parameter: RuleParameter
) -> None:
    """Planted: the catalogue builds a parameter the function refuses. The stack refuses to deploy it."""
    built = Check.parameters

    def planted(self: Check, settings: Settings) -> dict[str, str]:
        parameters = built(self, settings)
        if self is check:
            parameters[parameter.name] = REFUSED_BY_THE_FUNCTIONS[parameter.name]
        return parameters

    monkeypatch.setattr(Check, "parameters", planted)
    (problem,) = problems_of()
    assert problem.startswith(f"{parameter.setting}: "), problem
    assert problem.endswith(
        f"(the {check.name} rule's function would refuse its parameter {parameter.name})"
    ), problem


def test_suffix_length_ends_where_the_lambda_and_organization_rule_names_reach_64() -> None:
    # compliance-required-tags-<suffix>-us-east-1: 25 + 29 + 10 = 64 characters.
    assert parse(environmentSuffix="a" * 29, regions=["us-east-1"]).environment_suffix == "a" * 29
    (problem,) = problems_of(environmentSuffix="a" * 30, regions=["us-east-1"])
    name = f"'compliance-required-tags-{'a' * 30}-us-east-1' (65 > 64)"
    assert f"Lambda function name {name}" in problem
    assert f"organization Config rule name {name}" in problem


def test_tag_rules_are_those_of_iams_api_model() -> None:
    """botocore's IAM model: Tag.Key [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+ of 1-128, Tag.Value that class, 0-256."""
    shape = botocore.session.get_session().get_service_model("iam").shape_for("Tag")
    assert isinstance(shape, botocore.model.StructureShape)
    key, value = shape.members["Key"].metadata, shape.members["Value"].metadata
    limits = (key["min"], key["max"], value["min"], value["max"])
    assert limits == (1, tags.MAX_TAG_KEY, 0, tags.MAX_TAG_VALUE)
    assert value["pattern"] == key["pattern"][:-1] + "*"
    character_class = key["pattern"].removeprefix("[").removesuffix("]+")
    assert tuple(re.findall(r"\\p\{(\w)\}", character_class)) == tags.TAG_CATEGORIES
    marks = re.sub(r"\\p\{\w\}", "", character_class).replace("\\-", "-")
    assert frozenset(marks) == tags.TAG_MARKS and len(marks) == len(tags.TAG_MARKS)


def test_empty_tag_values_are_refused_only_where_cloudformation_carries_the_tags() -> None:
    assert parse(resourceTags=["Owner=platform", "Team="]).resource_tags["Team"] == ""
    organization = {"scope": "organization", "memberOrganizationalUnits": ["r-ab12"]}
    (problem,) = problems_of(**organization, resourceTags=["Owner=platform", "Team="])
    assert problem == (
        "resourceTags must give Team a value with scope organization: CloudFormation, which deploys the "
        "member baseline, refuses empty tag values"
    )
    # The Environment tag is empty only without a suffix, which is the one problem then.
    problems = problems_of(**organization, environmentSuffix="")
    assert problems == ["environmentSuffix is required (e.g. dev, prod)"]


@pytest.mark.parametrize(
    ("suffix", "accepted"),
    [("a", True), ("a-b", True), ("dev2", True), ("-a", False), ("a-", False), ("a--b", False), ("A", False)],
)
def test_suffix_pattern(suffix: str, accepted: bool) -> None:
    if accepted:
        assert parse(environmentSuffix=suffix).environment_suffix == suffix
    else:
        (problem,) = problems_of(environmentSuffix=suffix)
        assert problem.startswith(f"environmentSuffix {suffix!r} may hold only lowercase letters"), problem


@pytest.mark.parametrize(
    ("address", "accepted"),
    [
        ("a@b.co", True),
        ("first.last+alerts@sub.example.com", True),
        ("a@b", False),
        ("@example.com", False),
        ("a@@example.com", False),
        ("a b@example.com", False),
        ("a,b@example.com", False),
    ],
)
def test_email_pattern(address: str, accepted: bool) -> None:
    if accepted:
        assert parse(notificationEmails=[address]).notification_emails == (address,)
    else:
        assert problems_of(notificationEmails=[address]) == [
            f"notificationEmails item {address!r}: is not an email address (expected name@example.com)"
        ]


@pytest.mark.parametrize(("text", "days"), [("30", 30), (" 30 ", 30), ("030", 30)])
def test_whole_numbers_are_read_from_ascii_digits(text: str, days: int) -> None:
    assert parse(logRetentionDays=text).log_retention_days == days


@pytest.mark.parametrize("text", ["30.0", "3e1", "thirty", "\uff13\uff10"])
def test_anything_else_is_not_a_whole_number(text: str) -> None:
    assert problems_of(logRetentionDays=text) == [f"logRetentionDays must be a whole number, got {text!r}"]


def test_an_empty_item_listed_twice_is_named() -> None:
    problems = problems_of(regions=["us-east-1", "", ""])
    assert "regions lists region(s) more than once: ''" in problems, problems
