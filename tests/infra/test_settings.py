"""Stack settings: defaults, stack files, and one test per validation message."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pulumi
import pytest
import yaml

from components.settings import (
    KNOWN_KEYS,
    NAMESPACE,
    OPT_IN_REGIONS,
    Settings,
    SettingsError,
    load_settings,
    parse_settings,
    settings_warnings,
    supported_regions,
)

ROOT = Path(__file__).resolve().parents[2]
VALID = {"environmentSuffix": "dev", "resourceTags": '["Owner=platform"]'}


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
    assert set(declared) == set(KNOWN_KEYS)
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
        ({"notificationEmails": ["not-an-address"]}, "invalid address(es): not-an-address"),
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
            "excludedAccounts must be 12-digit account ids, got: 1234567890",
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
