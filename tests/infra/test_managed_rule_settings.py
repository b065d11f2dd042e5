"""The managedRules setting: read as Pulumi hands it over, and one clear line per problem."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.catalog import recorded_types_in_region
from components.managed_rule_settings import REGIONS_WITHOUT_GLOBAL_IAM_RECORDING, ManagedRuleSetting
from components.settings import KNOWN_KEYS, Settings, SettingsError, parse_settings, settings_warnings
from scripts.refresh_managed_rules import aws_partition_regions

VALID = {"environmentSuffix": "dev", "resourceTags": '["Owner=platform"]'}


def parse(rules: Any, **overrides: Any) -> Settings:
    raw = {**VALID, "managedRules": rules if isinstance(rules, str) else json.dumps(rules)}
    raw.update(
        {key: value if isinstance(value, str) else json.dumps(value) for key, value in overrides.items()}
    )
    return parse_settings(raw)


def problems_of(rules: Any, **overrides: Any) -> list[str]:
    with pytest.raises(SettingsError) as raised:
        parse(rules, **overrides)
    return raised.value.problems


def test_unset_means_no_managed_rules_and_the_key_is_known() -> None:
    assert parse_settings(VALID).managed_rules == ()
    assert "managedRules" in KNOWN_KEYS


def test_a_rule_is_read_with_its_name_parameters_scope_and_frequency() -> None:
    (encrypted, password, pitr) = parse(
        [
            {"identifier": "ENCRYPTED_VOLUMES", "parameters": {"kmsId": "alias/ebs"}},
            {
                "identifier": "IAM_PASSWORD_POLICY",
                "name": "passwords",
                # As `pulumi config set --path` stores them: a number and a boolean.
                "parameters": {"MinimumPasswordLength": 16, "RequireSymbols": True},
                "frequency": "TwentyFour_Hours",
            },
            {"identifier": "DYNAMODB_PITR_ENABLED", "resourceTypes": ["AWS::DynamoDB::Table"]},
        ]
    ).managed_rules
    assert encrypted == ManagedRuleSetting("ENCRYPTED_VOLUMES", "encrypted-volumes", {"kmsId": "alias/ebs"})
    assert password.name == "passwords"
    assert password.parameters == {"MinimumPasswordLength": "16", "RequireSymbols": "true"}
    assert password.input_parameters() == '{"MinimumPasswordLength": "16", "RequireSymbols": "true"}'
    assert password.frequency == "TwentyFour_Hours"
    assert pitr.resource_types == ("AWS::DynamoDB::Table",)
    assert encrypted.input_parameters() is not None and pitr.input_parameters() is None


def test_one_identifier_twice_under_two_names() -> None:
    rules = parse(
        [
            {"identifier": "ENCRYPTED_VOLUMES", "name": "ebs-any-key"},
            {"identifier": "ENCRYPTED_VOLUMES", "name": "ebs-team-key", "parameters": {"kmsId": "k"}},
        ]
    ).managed_rules
    assert [rule.name for rule in rules] == ["ebs-any-key", "ebs-team-key"]


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        ("{", "managedRules must be a list of objects (JSON), got '{'"),
        ({"identifier": "X"}, "managedRules must be a list of objects"),
        (["ENCRYPTED_VOLUMES"], "managedRules[0] must be an object"),
        ([{"name": "x"}], "managedRules[0] needs an identifier"),
        (
            [{"identifier": "ENCRYPTED_VOLUME"}],
            "managedRules[0]: unknown managed rule identifier 'ENCRYPTED_VOLUME'; "
            "did you mean ENCRYPTED_VOLUMES?",
        ),
        ([{"identifier": "ENCRYPTED_VOLUMES", "scope": "x"}], "managedRules[0] has unknown key(s) scope"),
        (
            [{"identifier": "ENCRYPTED_VOLUMES", "parameters": {"kmsKey": "k"}}],
            "managedRules[0] (ENCRYPTED_VOLUMES): unknown parameter 'kmsKey' (the rule takes: kmsId;",
        ),
        (
            [{"identifier": "ALB_DESYNC_MODE_CHECK"}],
            "managedRules[0] (ALB_DESYNC_MODE_CHECK): required parameter desyncMode (CSV) is missing",
        ),
        (
            [{"identifier": "IAM_PASSWORD_POLICY", "parameters": {"MaxPasswordAge": "ninety"}}],
            "parameter MaxPasswordAge must be a whole number (int), got 'ninety'",
        ),
        (
            [{"identifier": "IAM_PASSWORD_POLICY", "parameters": {"RequireNumbers": "True"}}],
            "parameter RequireNumbers must be true or false in lowercase (boolean), got 'True'",
        ),
        (
            # dynamodb-autoscaling-enabled: targetReadUtilization (Optional), Type: double.
            [{"identifier": "DYNAMODB_AUTOSCALING_ENABLED", "parameters": {"targetReadUtilization": "7O.5"}}],
            "parameter targetReadUtilization must be a number (double), got '7O.5'",
        ),
        (
            [{"identifier": "ENCRYPTED_VOLUMES", "parameters": {"kmsId": ["a"]}}],
            "parameter kmsId must be a string, number or boolean",
        ),
        (
            [{"identifier": "ENCRYPTED_VOLUMES", "frequency": "One_Hour"}],
            "managedRules[0] (ENCRYPTED_VOLUMES): frequency applies to periodic rules; "
            "this rule is triggered by changes only",
        ),
        (
            [{"identifier": "EFS_IN_BACKUP_PLAN", "frequency": "Hourly"}],
            "frequency must be one of One_Hour, Three_Hours, Six_Hours, Twelve_Hours, TwentyFour_Hours",
        ),
        (
            [{"identifier": "ENCRYPTED_VOLUMES", "resourceTypes": ["AWS::S3::Bucket"]}],
            "managedRules[0] (ENCRYPTED_VOLUMES): resourceTypes AWS::S3::Bucket not evaluated by this rule "
            "(it takes: AWS::EC2::Volume)",
        ),
        (
            [{"identifier": "EFS_IN_BACKUP_PLAN", "resourceTypes": ["AWS::EFS::FileSystem"]}],
            "resourceTypes narrows a change-triggered rule's scope; this rule is periodic only",
        ),
        ([{"identifier": "ENCRYPTED_VOLUMES", "name": "Bad_Name"}], "name may hold only lowercase letters"),
        (
            [{"identifier": "ENCRYPTED_VOLUMES"}, {"identifier": "ENCRYPTED_VOLUMES"}],
            "managedRules uses the name 'encrypted-volumes' more than once",
        ),
    ],
)
def test_each_problem_is_one_clear_line(rules: Any, expected: str) -> None:
    found = problems_of(rules)
    assert [problem for problem in found if expected in problem], found


LIST_PAGE = "https://docs.aws.amazon.com/config/latest/developerguide/managed-rules-by-aws-config.html"


def test_a_rule_unavailable_in_a_configured_region_names_the_regions_and_the_page() -> None:
    # Its page: "All supported AWS regions except Asia Pacific (New Zealand), China (Ningxia) Region".
    found = problems_of(
        [{"identifier": "DYNAMODB_TABLE_ENCRYPTION_ENABLED"}], regions=["us-east-1", "ap-southeast-6"]
    )
    assert (
        "managedRules (dynamodb-table-encryption-enabled, DYNAMODB_TABLE_ENCRYPTION_ENABLED): "
        f"not available in region(s) ap-southeast-6 (per its page, via {LIST_PAGE}); drop it or those regions"
    ) in found


def test_a_rule_only_available_in_listed_regions_is_refused_elsewhere() -> None:
    # appflow-flow-tagged: "Only available in" sixteen Regions, not Europe (Stockholm) among them.
    found = problems_of([{"identifier": "APPFLOW_FLOW_TAGGED"}], regions=["eu-west-1", "eu-north-1"])
    assert [p for p in found if "not available" in p] == [
        "managedRules (appflow-flow-tagged, APPFLOW_FLOW_TAGGED): not available in region(s) eu-north-1 "
        f"(per its page, via {LIST_PAGE}); drop it or those regions"
    ]


def test_a_rule_aws_offers_in_one_region_runs_there_only() -> None:
    # cloudfront-viewer-policy-https: "Only available in US East (N. Virginia) Region", where Config records
    # the distributions (a global resource): one rule there evaluates every one of them.
    settings = parse(
        [{"identifier": "CLOUDFRONT_VIEWER_POLICY_HTTPS"}], regions=["eu-west-1", "us-east-1", "eu-north-1"]
    )
    assert settings.managed_rules[0].regions(settings.regions, settings.primary_region) == ("us-east-1",)


def test_a_rule_aws_offers_in_one_region_needs_that_region_configured() -> None:
    found = problems_of([{"identifier": "DEVICEFARM_PROJECT_TAGGED"}], regions=["eu-west-1", "us-east-1"])
    assert [p for p in found if "DEVICEFARM_PROJECT_TAGGED" in p] == [
        "managedRules (devicefarm-project-tagged, DEVICEFARM_PROJECT_TAGGED): AWS offers it in us-west-2 "
        f"only (per its page, via {LIST_PAGE}), where it evaluates the account's resources; add us-west-2 "
        "to regions or drop it"
    ]


def test_a_global_rule_is_judged_by_the_primary_region_only() -> None:
    # IAM_ROOT_ACCESS_KEY_CHECK is unavailable in il-central-1, but runs in the primary region only.
    settings = parse([{"identifier": "IAM_ROOT_ACCESS_KEY_CHECK"}], regions=["us-east-1", "il-central-1"])
    assert settings.managed_rules[0].regions(settings.regions, settings.primary_region) == ("us-east-1",)


@pytest.mark.parametrize(
    "primary", sorted(REGIONS_WITHOUT_GLOBAL_IAM_RECORDING & {"eu-central-2", "ap-south-2"})
)
def test_a_rule_on_global_iam_types_needs_a_primary_region_where_config_records_them(primary: str) -> None:
    found = problems_of([{"identifier": "IAM_USER_NO_POLICIES_CHECK"}], regions=[primary, "us-east-1"])
    assert [p for p in found if f"primaryRegion {primary} is a Region where Config cannot record" in p], found


@pytest.mark.parametrize("identifier", ["IAM_PASSWORD_POLICY", "ROOT_ACCOUNT_MFA_ENABLED"])
def test_account_level_iam_rules_are_judged_by_their_pages_regions_alone(identifier: str) -> None:
    # The password policy and the root user are no recorded resource type: these rules read IAM itself. Their
    # pages offer them where Config cannot record the global IAM types: iam-password-policy "All supported
    # AWS regions", root-account-mfa-enabled every Region but those it names, Europe (Zurich) not among them.
    settings = parse([{"identifier": identifier}], regions=["eu-central-2", "us-east-1"])
    assert settings.managed_rules[0].regions(settings.regions, settings.primary_region) == ("eu-central-2",)


def test_every_region_aws_lists_without_global_iam_recording_is_refused_as_primary() -> None:
    # CloudFormation Template Reference, AWS::Config::ConfigurationRecorder RecordingGroup,
    # IncludeGlobalResourceTypes: the global IAM types cannot be recorded in Asia Pacific (Hyderabad),
    # Asia Pacific (Melbourne), Canada West (Calgary), Europe (Spain), Europe (Zurich), Israel (Tel Aviv),
    # Middle East (UAE).
    aws_list = {"ap-south-2", "ap-southeast-4", "ca-west-1", "eu-south-2", "eu-central-2", "il-central-1"}
    assert aws_list | {"me-central-1"} <= REGIONS_WITHOUT_GLOBAL_IAM_RECORDING
    # Regions where Config was available before February 2022 stay allowed.
    assert not {"us-east-1", "eu-west-1", "me-south-1"} & REGIONS_WITHOUT_GLOBAL_IAM_RECORDING


# The commercial Regions opened before February 2022, where Config records the global IAM types.
REGIONS_OPENED_BEFORE_FEBRUARY_2022 = {
    *("us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "sa-east-1", "af-south-1"),
    *("eu-central-1", "eu-west-1", "eu-west-2", "eu-west-3", "eu-south-1", "eu-north-1", "me-south-1"),
    *("ap-east-1", "ap-south-1", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3"),
    *("ap-southeast-1", "ap-southeast-2", "ap-southeast-3"),
}


def test_every_region_botocore_knows_is_judged_for_global_iam_recording() -> None:
    # A Region opened later (a botocore update brings it) cannot record them either: it must join the set,
    # or it would pass as a primary region unrefused.
    opened_since = aws_partition_regions() - REGIONS_OPENED_BEFORE_FEBRUARY_2022
    assert opened_since == REGIONS_WITHOUT_GLOBAL_IAM_RECORDING


def test_a_rule_not_on_global_iam_types_does_not_care_where_they_are_recorded() -> None:
    assert parse([{"identifier": "S3_BUCKET_VERSIONING_ENABLED"}], regions=["eu-central-2", "us-east-1"])
    # Account-level, so in the primary region only, but not on the IAM types.
    trail = parse([{"identifier": "MULTI_REGION_CLOUD_TRAIL_ENABLED"}], regions=["eu-central-2", "us-east-1"])
    assert trail.managed_rules[0].regions(trail.regions, trail.primary_region) == ("eu-central-2",)


def test_organization_rule_names_must_fit_64_characters() -> None:
    organization = {"scope": "organization", "memberOrganizationalUnits": ["r-ab12"]}
    rule = [{"identifier": "EBS_RESOURCES_PROTECTED_BY_BACKUP_PLAN"}]
    found = problems_of(rule, regions=["us-east-1", "ap-southeast-2"], **organization)
    assert [p for p in found if "the organization Config rule name 'managed-dev--ap-southeast-2-ebs-" in p], (
        found
    )
    assert [p for p in found if "more than 64; give the rule a shorter name" in p], found
    # A short name fits; in account scope the 128-character limit leaves room for the default.
    assert parse([{**rule[0], "name": "ebs-protected"}], regions=["us-east-1"], **organization)
    assert parse(rule, regions=["us-east-1", "ap-southeast-2"])


def test_organization_names_may_not_extend_one_another() -> None:
    organization = {"scope": "organization", "memberOrganizationalUnits": ["r-ab12"]}
    rules = [
        {"identifier": "ENCRYPTED_VOLUMES", "name": "ebs"},
        {"identifier": "ENCRYPTED_VOLUMES", "name": "ebs-kms", "parameters": {"kmsId": "k"}},
    ]
    found = problems_of(rules, **organization)
    assert (
        "managedRules: in organization scope no name may start with another followed by a hyphen "
        "('ebs-kms' starts with 'ebs'-): their accounts' copies could not be told apart"
    ) in found
    assert parse(rules)  # account scope names each rule exactly


def test_every_problem_is_reported_together_with_the_other_settings_problems() -> None:
    found = problems_of(
        [{"identifier": "NOPE"}, {"identifier": "ENCRYPTED_VOLUMES", "frequency": "One_Hour"}],
        logRetentionDays="2",
    )
    assert len([p for p in found if p.startswith("managedRules")]) == 2
    assert [p for p in found if p.startswith("logRetentionDays")]


def test_a_double_parameter_takes_a_decimal_number() -> None:
    rule = parse(
        [{"identifier": "DYNAMODB_AUTOSCALING_ENABLED", "parameters": {"targetReadUtilization": 70.5}}]
    ).managed_rules[0]
    assert rule.parameters == {"targetReadUtilization": "70.5"}


def test_only_types_config_can_record_are_recorded() -> None:
    settings = parse(
        [
            # Periodic, on the account: nothing to record (AWS::::Account is no recordable type).
            {"identifier": "S3_ACCOUNT_LEVEL_PUBLIC_ACCESS_BLOCKS_PERIODIC"},
            # Periodic, on log groups, which the Config API does not list as recordable.
            {"identifier": "CW_LOGGROUP_RETENTION_PERIOD_CHECK"},
            {"identifier": "S3_BUCKET_VERSIONING_ENABLED"},
        ]
    )
    account, log_groups, versioning = settings.managed_rules
    assert (account.recorded_types, log_groups.recorded_types) == ((), ())
    assert versioning.recorded_types == ("AWS::S3::Bucket",)
    recorded = recorded_types_in_region(settings, settings.primary_region)
    assert "AWS::S3::Bucket" in recorded
    assert not {"AWS::::Account", "AWS::Logs::LogGroup"} & set(recorded)
    # Periodic rules on unrecorded types evaluate through the services' APIs: no warning.
    assert settings_warnings(settings) == []


def test_a_change_triggered_rule_on_types_config_cannot_record_is_warned_about() -> None:
    settings = parse([{"identifier": "SAGEMAKER_NOTEBOOK_INSTANCE_INSIDE_VPC"}])
    assert settings.managed_rules[0].recorded_types == ()
    assert settings_warnings(settings) == [
        "managedRules (sagemaker-notebook-instance-inside-vpc, SAGEMAKER_NOTEBOOK_INSTANCE_INSIDE_VPC): "
        "resource type(s) AWS::SageMaker::NotebookInstance are not among the types the Config API can "
        "record, "
        "so the stack does not record them and the rule may never be triggered by a change"
    ]
