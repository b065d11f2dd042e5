"""The member-account baseline templates: linted by cfn-lint, read the way CloudFormation resolves them.

The templates are checked as deployed: ``Fn::Sub``, ``Ref``, ``Fn::If`` and the ``IsPrimaryRegion``
condition are resolved for a given account and region, then the event pattern is run through moto's
EventBridge pattern engine and the policies through parliament.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any

import cfnlint
import pytest
from cfnlint.api import ManualArgs, lint
from moto.events.models import EventPattern

from components import naming
from components.catalog import CHECKS, EVALUATOR_PERMISSIONS, GLOBAL_RESOURCE_TYPES, recorded_resource_types
from components.member_baseline import (
    MAX_TEMPLATE_BODY_BYTES,
    PLACEHOLDER,
    member_regional_template,
    member_roles_template,
    template_body,
    template_parameters,
)
from components.resource_types import recordable_resource_types
from components.settings import Settings, parse_settings
from tests.infra.test_alert_path import expected_dead_letter_key_policy
from tests.infra.test_alerts import compliance_change
from tests.infra.test_policies import findings_above_low

HUB_ACCOUNT = "111111111111"
MEMBER_ACCOUNT = "222222222222"
BUCKET = "config-archive-dev-111111111111"
KEY_ARN = "arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"
PARAMETERS = {"HubAccountId": HUB_ACCOUNT, "ConfigBucketName": BUCKET, "ConfigKmsKeyArn": KEY_ARN}

THREE_REGIONS = ["us-east-1", "us-west-2", "eu-west-1"]
# The regions enabled by default in every account (no opt-in).
SEVENTEEN_REGIONS = [
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "ca-central-1",
    "sa-east-1",
    "eu-central-1",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-north-1",
    "ap-south-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-southeast-1",
    "ap-southeast-2",
]
# cfn-lint's informational I3042 asks for ${AWS::Partition} in ARNs; the stack is for the aws partition
# only (settings accept only its regions) and writes "arn:aws:" everywhere, as the catalogue does.
ACCEPTED_INFORMATIONAL = {"I3042"}


def settings_for(regions: list[str], primary: str = "us-east-1", **extra: str) -> Settings:
    return parse_settings(
        {
            "environmentSuffix": "dev",
            "regions": json.dumps(regions),
            "primaryRegion": primary,
            "resourceTags": json.dumps(["Owner=platform-team"]),
            **extra,
        }
    )


DEV = settings_for(THREE_REGIONS)


def resolve(
    value: Any, region: str, conditions: dict[str, bool] | None = None, account: str = MEMBER_ACCOUNT
) -> Any:
    """The value as CloudFormation gives it to the resource in ``account`` and ``region``."""
    variables = {**PARAMETERS, "AWS::Region": region, "AWS::AccountId": account}
    if isinstance(value, list):
        return [resolve(item, region, conditions, account) for item in value]
    if not isinstance(value, dict):
        return value
    if "Fn::Sub" in value:
        return re.sub(r"\$\{([^}]+)\}", lambda m: variables[m.group(1)], value["Fn::Sub"])
    if "Ref" in value:
        return variables.get(value["Ref"], f"<{value['Ref']}>")
    if "Fn::GetAtt" in value:
        # The only attributes the templates read: the ARNs of the dead-letter queue and its key.
        if value["Fn::GetAtt"] == ["AlertDeadLetterKey", "Arn"]:
            return dead_letter_key_arn(region, account)
        assert value["Fn::GetAtt"] == ["AlertDeadLetterQueue", "Arn"], value
        return dead_letter_queue_arn(region)
    if "Fn::If" in value:
        condition, if_true, if_false = value["Fn::If"]
        assert conditions is not None, "Fn::If outside a resolved template"
        return resolve(if_true if conditions[condition] else if_false, region, conditions, account)
    return {key: resolve(item, region, conditions, account) for key, item in value.items()}


def dead_letter_key_arn(region: str, account: str = MEMBER_ACCOUNT) -> str:
    return f"arn:aws:kms:{region}:{account}:key/<AlertDeadLetterKey>"


def dead_letter_queue_arn(region: str) -> str:
    return f"arn:aws:sqs:{region}:{MEMBER_ACCOUNT}:{naming.dead_letter_queue('dev', region)}"


# CloudFormation Template Reference, condition functions, "Supported functions": in Fn::Equals, Fn::Or and
# the other condition functions only Fn::FindInMap, Ref and condition functions; Fn::Or and Fn::And take
# two to ten conditions.
CONDITION_FUNCTIONS = {"Fn::Equals", "Fn::Or", "Fn::And", "Fn::Not", "Condition", "Ref", "Fn::FindInMap"}


def condition_values(template: dict[str, Any], region: str, account: str) -> dict[str, bool]:
    """Each of the template's conditions, evaluated as CloudFormation would in ``account`` and ``region``."""
    definitions = template.get("Conditions", {})

    def value(expression: Any) -> bool:
        assert isinstance(expression, dict) and len(expression) == 1, expression
        ((function, arguments),) = expression.items()
        assert function in CONDITION_FUNCTIONS, f"{function} is not allowed in a condition"
        if function == "Condition":
            return value(definitions[arguments])
        if function == "Fn::Equals":
            first, second = (resolve(argument, region, account=account) for argument in arguments)
            return bool(first == second)
        if function in ("Fn::Or", "Fn::And"):
            assert 2 <= len(arguments) <= 10, f"{function} takes two to ten conditions"
            return (any if function == "Fn::Or" else all)(value(argument) for argument in arguments)
        assert function == "Fn::Not", function
        (negated,) = arguments
        return not value(negated)

    return {name: value(expression) for name, expression in definitions.items()}


def resources_in(
    template: dict[str, Any], region: str, account: str = MEMBER_ACCOUNT
) -> dict[str, dict[str, Any]]:
    """The resources CloudFormation creates in ``account`` and ``region``, each with its conditions and
    intrinsic functions resolved."""
    conditions = condition_values(template, region, account)
    return {
        logical_id: resolve(resource, region, conditions, account)
        for logical_id, resource in template["Resources"].items()
        if "Condition" not in resource or conditions[resource["Condition"]]
    }


def lint_findings(template: dict[str, Any], regions: list[str]) -> list[str]:
    matches = lint(template_body(template), regions=regions, config=ManualArgs(include_checks=["I"]))
    return [f"{m.rule.id} {m.message} ({m.path})" for m in matches if m.rule.id not in ACCEPTED_INFORMATIONAL]


@pytest.mark.parametrize("regions", [THREE_REGIONS, SEVENTEEN_REGIONS], ids=["3-regions", "17-regions"])
@pytest.mark.parametrize("manage_recorders", [True, False], ids=["recorders", "no-recorders"])
@pytest.mark.parametrize("build", [member_roles_template, member_regional_template])
def test_templates_pass_cfn_lint_in_every_region(regions: list[str], manage_recorders: bool, build) -> None:  # type: ignore[no-untyped-def]
    template = build(settings_for(regions), manage_recorders)
    assert lint_findings(template, regions) == []


def test_cfn_lint_catches_a_broken_template() -> None:
    template = member_regional_template(DEV, manage_member_recorders=True)
    template["Resources"]["DeliveryChannel"]["Properties"]["S3KeyPrefix"] = {"Fn::Sub": "${NoSuchParameter}"}
    assert any(finding.startswith("E1019") for finding in lint_findings(template, THREE_REGIONS))


def test_templates_fit_a_stack_set_template_body_with_many_extra_types() -> None:
    """CloudFormation API Reference, CreateStackSet: TemplateBody holds at most 51,200 bytes."""
    extra = sorted(t for t in recordable_resource_types() if not t.startswith("AWS::IAM::"))[:150]
    settings = settings_for(SEVENTEEN_REGIONS, extraResourceTypes=json.dumps(extra))
    for template in (member_roles_template(settings, True), member_regional_template(settings, True)):
        assert len(template_body(template).encode()) < MAX_TEMPLATE_BODY_BYTES


def test_too_large_a_template_fails_naming_it() -> None:
    template = {"Description": "huge", "Resources": {"Padding": "x" * MAX_TEMPLATE_BODY_BYTES}}
    with pytest.raises(ValueError, match=r"the template 'huge' is \d+ bytes, more than the 51200"):
        template_body(template)


@pytest.mark.parametrize("manage_recorders", [True, False])
def test_parameters_the_stack_sets_get_are_those_the_templates_declare(manage_recorders: bool) -> None:
    values = template_parameters(HUB_ACCOUNT, BUCKET, KEY_ARN, manage_recorders)
    for build in (member_roles_template, member_regional_template):
        assert set(build(DEV, manage_recorders)["Parameters"]) == set(values)
    assert values["HubAccountId"] == HUB_ACCOUNT


def test_evaluation_role_holds_exactly_the_catalogues_actions_on_the_member_account() -> None:
    role = resources_in(member_roles_template(DEV, False), "us-east-1")["MemberEvaluationRole"]
    assert role["Properties"]["RoleName"] == naming.member_evaluation_role("dev")
    (policy,) = role["Properties"]["Policies"]
    granted = {
        (action, statement["Resource"])
        for statement in policy["PolicyDocument"]["Statement"]
        for action in statement["Action"]
    }
    permissions = [*(p for check in CHECKS for p in check.read_permissions), *EVALUATOR_PERMISSIONS]
    assert granted == {(p.action, p.resource.format(account=MEMBER_ACCOUNT)) for p in permissions}
    assert all(statement["Effect"] == "Allow" for statement in policy["PolicyDocument"]["Statement"])


def test_only_the_hub_accounts_evaluator_roles_may_assume_the_member_role() -> None:
    role = resources_in(member_roles_template(DEV, False), "us-east-1")["MemberEvaluationRole"]
    (statement,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Effect"] == "Allow" and statement["Action"] == "sts:AssumeRole"
    assert statement["Principal"] == {"AWS": f"arn:aws:iam::{HUB_ACCOUNT}:root"}
    assert statement["Condition"] == {
        "ArnEquals": {
            "aws:PrincipalArn": [
                f"arn:aws:iam::{HUB_ACCOUNT}:role/{naming.evaluator_role(check.name, 'dev')}"
                for check in CHECKS
            ]
        }
    }


@pytest.mark.parametrize("manage_recorders", [True, False])
def test_every_member_policy_passes_the_linter(manage_recorders: bool) -> None:
    roles = resources_in(member_roles_template(DEV, manage_recorders), "us-east-1")
    regional = resources_in(member_regional_template(DEV, manage_recorders), "us-west-2")
    documents = {
        f"{name} trust": (role["Properties"]["AssumeRolePolicyDocument"], True)
        for name, role in roles.items()
    }
    documents |= {
        f"{name} {policy['PolicyName']}": (policy["PolicyDocument"], False)
        for name, role in roles.items()
        for policy in role["Properties"]["Policies"]
    }
    queue_policy = regional["AlertDeadLetterQueuePolicy"]["Properties"]["PolicyDocument"]
    documents["queue policy"] = (queue_policy, False)
    problems = {
        name: findings_above_low(json.dumps(document), is_trust_policy=is_trust)
        for name, (document, is_trust) in documents.items()
    }
    assert {name: found for name, found in problems.items() if found} == {}
    assert len(documents) == 2 * (3 if manage_recorders else 2) + 1


def test_recorder_and_channel_only_with_managed_recorders() -> None:
    def types(manage: bool) -> set[str]:
        roles = member_roles_template(DEV, manage)["Resources"]
        regional = member_regional_template(DEV, manage)["Resources"]
        return {resource["Type"] for resource in (*roles.values(), *regional.values())}

    recording = {"AWS::Config::ConfigurationRecorder", "AWS::Config::DeliveryChannel"}
    assert recording <= types(True)
    assert not recording & types(False)
    assert "ConfigRole" in member_roles_template(DEV, True)["Resources"]
    assert "ConfigRole" not in member_roles_template(DEV, False)["Resources"]


@pytest.mark.parametrize("region", SEVENTEEN_REGIONS)
def test_global_types_are_recorded_in_the_primary_region_only(region: str) -> None:
    settings = settings_for(SEVENTEEN_REGIONS)
    recorder = resources_in(member_regional_template(settings, True), region)["ConfigRecorder"]
    group = recorder["Properties"]["RecordingGroup"]
    recorded = set(group["ResourceTypes"])
    assert set(recorded_resource_types()) <= recorded
    assert bool(recorded & set(GLOBAL_RESOURCE_TYPES)) == (region == "us-east-1")
    if region == "us-east-1":
        assert set(GLOBAL_RESOURCE_TYPES) <= recorded
    assert group["AllSupported"] is False and group["IncludeGlobalResourceTypes"] is False
    assert group["RecordingStrategy"] == {"UseOnly": "INCLUSION_BY_RESOURCE_TYPES"}


@pytest.mark.parametrize("region", ["us-west-2", "us-east-1", "eu-west-1", "eu-central-1"])
def test_a_managed_rule_aws_offers_in_one_region_has_its_types_recorded_there_only(region: str) -> None:
    # CloudFront's rules are "Only available in US East (N. Virginia) Region"; primary us-west-2. Two regions
    # that record the same types share them.
    regions = ["us-west-2", "us-east-1", "eu-west-1", "eu-central-1"]
    rules = [{"identifier": "CLOUDFRONT_VIEWER_POLICY_HTTPS"}, {"identifier": "S3_BUCKET_VERSIONING_ENABLED"}]
    settings = settings_for(regions, primary="us-west-2", managedRules=json.dumps(rules))
    template = member_regional_template(settings, True)
    group = resources_in(template, region)["ConfigRecorder"]["Properties"]["RecordingGroup"]
    recorded = set(group["ResourceTypes"])
    assert "AWS::S3::Bucket" in recorded
    assert ("AWS::CloudFront::Distribution" in recorded) == (region == "us-east-1")
    assert bool(recorded & set(GLOBAL_RESOURCE_TYPES)) == (region == "us-west-2")
    assert lint_findings(template, regions) == []


@pytest.mark.parametrize("region", THREE_REGIONS)
def test_recording_everything_includes_global_types_in_the_primary_region_only(region: str) -> None:
    settings = settings_for(THREE_REGIONS, recordAllResourceTypes="true")
    recorder = resources_in(member_regional_template(settings, True), region)["ConfigRecorder"]
    group = recorder["Properties"]["RecordingGroup"]
    assert group["AllSupported"] is True
    assert group["IncludeGlobalResourceTypes"] is (region == "us-east-1")
    assert "ResourceTypes" not in group


def test_recorder_and_channel_use_the_config_role_and_the_hubs_bucket() -> None:
    roles = resources_in(member_roles_template(DEV, True), "us-east-1")
    resources = resources_in(member_regional_template(DEV, True), "eu-west-1")
    recorder, channel = resources["ConfigRecorder"]["Properties"], resources["DeliveryChannel"]
    assert recorder["Name"] == naming.recorder("dev", "eu-west-1")
    assert recorder["RoleARN"] == (
        f"arn:aws:iam::{MEMBER_ACCOUNT}:role/{roles['ConfigRole']['Properties']['RoleName']}"
    )
    assert channel["DependsOn"] == "ConfigRecorder"
    assert channel["Properties"] == {
        "Name": naming.delivery_channel("dev", "eu-west-1"),
        "S3BucketName": BUCKET,
        "S3KeyPrefix": "config",
        "S3KmsKeyArn": KEY_ARN,
        "ConfigSnapshotDeliveryProperties": {"DeliveryFrequency": "TwentyFour_Hours"},
    }
    (delivery,) = roles["ConfigRole"]["Properties"]["Policies"]
    written = delivery["PolicyDocument"]["Statement"][0]["Resource"]
    assert written == f"arn:aws:s3:::{BUCKET}/config/AWSLogs/{MEMBER_ACCOUNT}/Config/*"


def member_event(rule: str, region: str, compliance: str = "NON_COMPLIANT") -> dict[str, Any]:
    """A compliance change of an organization rule's copy in the member account."""
    event = compliance_change(rule, region, compliance)
    event["account"] = event["detail"]["awsAccountId"] = MEMBER_ACCOUNT
    event["detail"]["configRuleARN"] = (
        f"arn:aws:config:{region}:{MEMBER_ACCOUNT}:config-rule/config-rule-q1w2e3"
    )
    return event


def forward_rule(region: str, settings: Settings = DEV) -> dict[str, Any]:
    return resources_in(member_regional_template(settings, False), region)["NonCompliantForwardRule"]


def matches(rule: dict[str, Any], event: dict[str, Any]) -> bool:
    return bool(EventPattern.load(json.dumps(rule["Properties"]["EventPattern"])).matches_event(event))


@pytest.mark.parametrize("region", THREE_REGIONS)
@pytest.mark.parametrize("check", [check.name for check in CHECKS])
def test_forward_rule_matches_this_stacks_organization_rules_non_compliant_changes(
    region: str, check: str
) -> None:
    rule = forward_rule(region)
    member_rule = f"OrgConfigRule-{naming.config_rule(check, 'dev', region)}-a1b2c3d4"
    assert matches(rule, member_event(member_rule, region))
    assert not matches(rule, member_event(member_rule, region, "COMPLIANT"))
    assert not matches(rule, member_event(member_rule, region, "NOT_APPLICABLE"))
    # Another stack's rules: another suffix, or a suffix that merely starts with this one's.
    for other_stack in (f"compliance-{check}-prod-{region}", f"compliance-{check}-dev-2-{region}"):
        assert not matches(rule, member_event(f"OrgConfigRule-{other_stack}-a1b2c3d4", region))
    assert not matches(rule, member_event(naming.config_rule(check, "dev", region), region))
    assert not matches(rule, member_event("OrgConfigRule-s3-bucket-versioning-enabled-dbgzf8ba", region))


def test_forward_rule_sends_to_the_hubs_primary_bus_with_a_dead_letter_queue_and_no_retry_policy() -> None:
    resources = resources_in(member_regional_template(DEV, False), "eu-west-1")
    rule = resources["NonCompliantForwardRule"]
    properties = rule["Properties"]
    assert properties["Name"] == naming.forward_rule(naming.NON_COMPLIANT_ALERT, "dev", "eu-west-1")
    assert properties["State"] == "ENABLED"
    (target,) = properties["Targets"]
    forwarder = resources_in(member_roles_template(DEV, False), "us-east-1")["AlertForwarderRole"]
    assert target["Arn"] == f"arn:aws:events:us-east-1:{HUB_ACCOUNT}:event-bus/default"
    assert target["RoleArn"] == f"arn:aws:iam::{MEMBER_ACCOUNT}:role/{forwarder['Properties']['RoleName']}"
    # A bus target takes a dead-letter queue, no retry policy (sources: tests/infra/test_alert_path.py).
    assert "RetryPolicy" not in target
    assert target["DeadLetterConfig"] == {"Arn": dead_letter_queue_arn("eu-west-1")}
    # The forwarder may put events on that bus only.
    (policy,) = forwarder["Properties"]["Policies"]
    (statement,) = policy["PolicyDocument"]["Statement"]
    assert (statement["Action"], statement["Resource"]) == ("events:PutEvents", target["Arn"])

    queue = resources["AlertDeadLetterQueue"]
    assert queue["Properties"]["QueueName"] == naming.dead_letter_queue("dev", "eu-west-1")
    assert queue["Properties"]["SqsManagedSseEnabled"] is True
    assert {"Key": "Owner", "Value": "platform-team"} in queue["Properties"]["Tags"]
    # Only this rule may send dead letters; the rule waits for that permission.
    queue_policy = resources["AlertDeadLetterQueuePolicy"]["Properties"]
    allow = queue_policy["PolicyDocument"]["Statement"][0]
    rule_arn = f"arn:aws:events:eu-west-1:{MEMBER_ACCOUNT}:rule/{properties['Name']}"
    assert allow["Condition"] == {"ArnEquals": {"aws:SourceArn": [rule_arn]}}
    assert (allow["Principal"], allow["Action"]) == ({"Service": "events.amazonaws.com"}, "sqs:SendMessage")
    assert rule["DependsOn"] == "AlertDeadLetterQueuePolicy"


def test_member_rule_prefix_is_the_organization_rule_name_as_config_names_its_member_copy() -> None:
    prefix = naming.member_config_rule_prefix("backup", "dev", "eu-west-1")
    assert prefix == "OrgConfigRule-compliance-backup-dev-eu-west-1-"


EXCLUDED = "333333333333"
OTHER_MEMBER = "444444444444"
BUILDS = [member_roles_template, member_regional_template]


def organization_settings(excluded: list[str], regions: list[str] = THREE_REGIONS) -> Settings:
    return settings_for(
        regions,
        scope="organization",
        memberOrganizationalUnits=json.dumps(["ou-ab12-cdef3456"]),
        excludedAccounts=json.dumps(excluded),
    )


@pytest.mark.parametrize("excluded_count", [1, 10, 11, 105], ids=["1", "10", "11", "105"])
@pytest.mark.parametrize("manage_recorders", [True, False], ids=["recorders", "no-recorders"])
@pytest.mark.parametrize("build", BUILDS)
def test_excluded_accounts_and_the_hub_get_only_the_placeholder(
    excluded_count: int,
    manage_recorders: bool,
    build,  # type: ignore[no-untyped-def]
) -> None:
    """The StackSets target whole OUs; the templates' SkippedAccount condition keeps the hub and every
    excluded account out, with a placeholder because a stack needs at least one resource."""
    excluded = [f"{number:012d}" for number in range(500000000000, 500000000000 + excluded_count - 1)]
    excluded.append(EXCLUDED)
    template = build(organization_settings(excluded), manage_recorders)
    everything = set(template["Resources"]) - {PLACEHOLDER}
    for account in (EXCLUDED, excluded[0], HUB_ACCOUNT):
        assert set(resources_in(template, "us-west-2", account)) == {PLACEHOLDER}, account
    for account in (MEMBER_ACCOUNT, OTHER_MEMBER):
        assert set(resources_in(template, "us-west-2", account)) == everything, account
    assert template["Resources"][PLACEHOLDER] == {
        "Type": "AWS::CloudFormation::WaitConditionHandle",
        "Condition": "SkippedAccount",
    }
    assert lint_findings(template, THREE_REGIONS) == []


def test_exclusions_are_literal_account_ids_and_the_hub_parameter() -> None:
    template = member_regional_template(organization_settings([EXCLUDED]), False)
    assert template["Conditions"]["SkippedAccount"] == {
        "Fn::Or": [
            {"Fn::Equals": [{"Ref": "AWS::AccountId"}, {"Ref": "HubAccountId"}]},
            {"Fn::Equals": [{"Ref": "AWS::AccountId"}, EXCLUDED]},
        ]
    }
    assert template["Conditions"]["MemberAccount"] == {"Fn::Not": [{"Condition": "SkippedAccount"}]}
    # Without exclusions the hub alone is skipped.
    alone = member_roles_template(DEV, False)["Conditions"]["SkippedAccount"]
    assert alone == {"Fn::Equals": [{"Ref": "AWS::AccountId"}, {"Ref": "HubAccountId"}]}


@pytest.mark.parametrize("region", ["eu-west-1", "us-west-2", "us-east-1"])
def test_primary_region_is_the_setting_not_the_first_region(region: str) -> None:
    settings = settings_for(["eu-west-1", "us-west-2", "us-east-1"], primary="us-east-1")
    template = member_regional_template(settings, True)
    assert template["Conditions"]["IsPrimaryRegion"] == {"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]}
    resources = resources_in(template, region)
    recorded = set(resources["ConfigRecorder"]["Properties"]["RecordingGroup"]["ResourceTypes"])
    assert bool(recorded & set(GLOBAL_RESOURCE_TYPES)) == (region == "us-east-1")
    (target,) = resources["NonCompliantForwardRule"]["Properties"]["Targets"]
    assert target["Arn"] == f"arn:aws:events:us-east-1:{HUB_ACCOUNT}:event-bus/default"
    roles = resources_in(member_roles_template(settings, True), "us-east-1")
    (forward,) = roles["AlertForwarderRole"]["Properties"]["Policies"]
    assert forward["PolicyDocument"]["Statement"][0]["Resource"] == target["Arn"]


def test_member_service_roles_trust_their_service_in_the_member_account_only() -> None:
    """EventBridge and Config assume the member's roles on the member account's behalf: aws:SourceAccount is
    the member account, never the hub (whose account sends no event from the member)."""
    roles = resources_in(member_roles_template(DEV, True), "us-east-1")
    for name, service in (
        ("AlertForwarderRole", "events.amazonaws.com"),
        ("ConfigRole", "config.amazonaws.com"),
    ):
        (statement,) = roles[name]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        assert statement == {
            "Effect": "Allow",
            "Principal": {"Service": service},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": MEMBER_ACCOUNT}},
        }


KMS = settings_for(THREE_REGIONS, requireKms="true")
DEAD_LETTER_KEY_RESOURCES = {"AlertDeadLetterKey", "AlertDeadLetterKeyAlias"}


@pytest.mark.parametrize("manage_recorders", [True, False], ids=["recorders", "no-recorders"])
def test_the_template_with_a_dead_letter_key_passes_cfn_lint(manage_recorders: bool) -> None:
    settings = settings_for(SEVENTEEN_REGIONS, requireKms="true")
    assert lint_findings(member_regional_template(settings, manage_recorders), SEVENTEEN_REGIONS) == []


@pytest.mark.parametrize("region", THREE_REGIONS)
def test_with_require_kms_the_member_queue_is_encrypted_with_a_key_of_the_account_and_region(
    region: str,
) -> None:
    """The member's queue follows requireKms as the hub's do (tests/infra/test_alert_path.py): a key of its
    own, with the same policy (the account administers it, EventBridge encrypts, no condition)."""
    resources = resources_in(member_regional_template(KMS, False), region)
    queue = resources["AlertDeadLetterQueue"]["Properties"]
    assert queue["KmsMasterKeyId"] == dead_letter_key_arn(region)
    assert "SqsManagedSseEnabled" not in queue
    key = resources["AlertDeadLetterKey"]
    assert (key["DeletionPolicy"], key["UpdateReplacePolicy"]) == ("Delete", "Delete")
    properties = key["Properties"]
    assert (properties["EnableKeyRotation"], properties["PendingWindowInDays"]) == (True, 30)
    assert properties["KeyPolicy"] == expected_dead_letter_key_policy(MEMBER_ACCOUNT)
    assert {"Key": "Owner", "Value": "platform-team"} in properties["Tags"]
    alias = resources["AlertDeadLetterKeyAlias"]["Properties"]
    assert alias == {
        "AliasName": naming.dead_letter_key_alias("dev", region),
        "TargetKeyId": "<AlertDeadLetterKey>",
    }


def test_the_member_key_exists_before_the_queue_and_the_rule() -> None:
    """The queue reads the key's ARN (CloudFormation creates a resource after those it refers to); the
    rule waits for the queue policy, which refers to the queue."""
    template = member_regional_template(KMS, False)
    queue = template["Resources"]["AlertDeadLetterQueue"]["Properties"]
    assert queue["KmsMasterKeyId"] == {"Fn::GetAtt": ["AlertDeadLetterKey", "Arn"]}
    assert template["Resources"]["AlertDeadLetterQueuePolicy"]["Properties"]["Queues"] == [
        {"Ref": "AlertDeadLetterQueue"}
    ]
    assert template["Resources"]["NonCompliantForwardRule"]["DependsOn"] == "AlertDeadLetterQueuePolicy"


def test_the_member_key_passes_the_policy_linter() -> None:
    key = resources_in(member_regional_template(KMS, False), "us-west-2")["AlertDeadLetterKey"]
    assert findings_above_low(json.dumps(key["Properties"]["KeyPolicy"]), is_trust_policy=False) == []


def test_without_require_kms_or_in_a_skipped_account_there_is_no_member_key() -> None:
    assert not DEAD_LETTER_KEY_RESOURCES & set(member_regional_template(DEV, True)["Resources"])
    assert not DEAD_LETTER_KEY_RESOURCES & set(
        resources_in(member_regional_template(KMS, True), "us-east-1", account=HUB_ACCOUNT)
    )


@functools.cache
def create_only_properties() -> dict[str, list[str]]:
    """Each type's properties whose change replaces the resource: ``createOnlyProperties`` of its
    CloudFormation resource provider schema (CloudFormation CLI, "Resource type schema"; the schemas cfn-lint
    ships), by type name."""
    schemas = Path(cfnlint.__file__).parent / "data" / "schemas" / "resources"
    found = {}
    for path in schemas.glob("*.json"):
        schema = json.loads(path.read_text(encoding="utf-8"))
        if "typeName" in schema:
            pointers = schema.get("createOnlyProperties", [])
            found[schema["typeName"]] = [pointer.removeprefix("/properties/") for pointer in pointers]
    return found


def test_the_schemas_name_the_queue_and_alias_replacement_properties() -> None:
    assert sorted(create_only_properties()["AWS::SQS::Queue"]) == ["FifoQueue", "QueueName"]
    assert create_only_properties()["AWS::KMS::Alias"] == ["AliasName"]
    assert create_only_properties()["AWS::KMS::Key"] == []


@pytest.mark.parametrize("manage_recorders", [True, False], ids=["recorders", "no-recorders"])
def test_turning_require_kms_on_or_off_replaces_nothing_in_a_member_stack(manage_recorders: bool) -> None:
    """The member's dead letters stay where they are: requireKms adds or removes the key and its alias and
    changes the queue's encryption in place, and no other resource's replacement properties move."""
    for region in THREE_REGIONS:
        without, with_kms = (
            resources_in(member_regional_template(settings, manage_recorders), region)
            for settings in (DEV, KMS)
        )
        assert set(with_kms) - set(without) == DEAD_LETTER_KEY_RESOURCES
        for logical_id, resource in without.items():
            replaced_by = create_only_properties()[resource["Type"]]
            assert {p: resource["Properties"].get(p) for p in replaced_by} == {
                p: with_kms[logical_id]["Properties"].get(p) for p in replaced_by
            }, logical_id
        queue = without["AlertDeadLetterQueue"]["Properties"]
        assert queue["QueueName"] == naming.dead_letter_queue("dev", region)
