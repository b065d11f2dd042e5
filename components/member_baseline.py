"""What every member account gets in organization scope, as CloudFormation templates for StackSets.

Service-managed StackSets with auto-deployment put these into every account of the member OUs,
including accounts that join later (CloudFormation User Guide, "Enable or disable automatic deployments
for StackSets in AWS Organizations", stacksets-orgs-manage-auto-deployment.html). Two templates, because
IAM is global and a StackSet has one template for all its regions:

- ``member_roles_template``, deployed in the primary region only: the role the hub's evaluators assume,
  the role the forwarding rules send events with, and (with manageMemberRecorders) the Config role.
- ``member_regional_template``, deployed in every configured region: the recorder and delivery channel
  to the hub's bucket (with manageMemberRecorders; global types recorded in the primary region only,
  decided in-template by the ``IsPrimaryRegion`` condition), and the rule that forwards this stack's
  NON_COMPLIANT compliance changes to the hub's primary bus, with a dead-letter queue.

Neither template creates anything in the hub account or in ``excludedAccounts``: the StackSets target whole
OUs (components/members.py), and the templates' ``SkippedAccount`` condition leaves such an account only a
``AWS::CloudFormation::WaitConditionHandle`` placeholder (a stack needs at least one resource; the handle
has no properties and creates nothing outside CloudFormation). Changing the exclusions changes the
template, which CloudFormation applies to every stack instance in place (UpdateStackSet).

Every name comes from ``components.naming`` and every action from the catalogue. A name that holds the
region or account is built by passing the CloudFormation placeholder (``${AWS::Region}``) to the naming
function; the finished template wraps every string holding a placeholder in ``Fn::Sub``.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pulumi

from components import naming, policies
from components.alert_path import DEAD_LETTER_KEY_DELETION_DAYS, DEAD_LETTER_RETENTION_SECONDS
from components.alerts import NON_COMPLIANT
from components.catalog import CHECKS, EVALUATOR_PERMISSIONS, recorded_types_in_region
from components.settings import Settings

Template = dict[str, Any]

# Template parameters: the same three serve both templates (the bucket and key only with recorders).
HUB_ACCOUNT_PARAMETER = "HubAccountId"
BUCKET_PARAMETER = "ConfigBucketName"
KEY_PARAMETER = "ConfigKmsKeyArn"

REGION = "${AWS::Region}"
ACCOUNT = "${AWS::AccountId}"
HUB_ACCOUNT = "${" + HUB_ACCOUNT_PARAMETER + "}"
IS_PRIMARY_REGION = "IsPrimaryRegion"
# The account gets the baseline (MEMBER_ACCOUNT) or only the placeholder (SKIPPED_ACCOUNT).
MEMBER_ACCOUNT = "MemberAccount"
SKIPPED_ACCOUNT = "SkippedAccount"
PLACEHOLDER = "SkippedAccountPlaceholder"
DEAD_LETTER_KEY = "AlertDeadLetterKey"
# CloudFormation Template Reference, condition functions: Fn::Or takes two to ten conditions.
MAX_OR_CONDITIONS = 10

# CloudFormation API Reference, CreateStackSet: TemplateBody is at most 51,200 bytes (also in botocore's
# cloudformation model, CreateStackSetInput.TemplateBody documentation).
MAX_TEMPLATE_BODY_BYTES = 51_200


def role_arn(account: str, role_name: str) -> str:
    return f"arn:aws:iam::{account}:role/{role_name}"


def template_parameters(
    hub_account_id: pulumi.Input[str],
    bucket_name: pulumi.Input[str],
    kms_key_arn: pulumi.Input[str],
    manage_member_recorders: bool,
) -> dict[str, pulumi.Input[str]]:
    """The parameter values of both StackSets (the AWS provider wants every template parameter set)."""
    values: dict[str, pulumi.Input[str]] = {HUB_ACCOUNT_PARAMETER: hub_account_id}
    if manage_member_recorders:
        values |= {BUCKET_PARAMETER: bucket_name, KEY_PARAMETER: kms_key_arn}
    return values


def template_body(template: Template) -> str:
    """The template as the StackSet's TemplateBody; too large a template fails here, not in CloudFormation."""
    body = json.dumps(template, separators=(",", ":"))
    size = len(body.encode())
    if size > MAX_TEMPLATE_BODY_BYTES:
        raise ValueError(
            f"the template {template['Description']!r} is {size} bytes, more than the "
            f"{MAX_TEMPLATE_BODY_BYTES} a StackSet TemplateBody may hold"
        )
    return body


def member_roles_template(settings: Settings, manage_member_recorders: bool) -> Template:
    """IAM roles of a member account: deploy in one region (the primary) only, since IAM is global."""
    suffix = settings.environment_suffix
    tags = _tags(settings)
    resources: dict[str, Any] = {
        "MemberEvaluationRole": {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "RoleName": naming.member_evaluation_role(suffix),
                "Description": "Lets the hub account's compliance evaluators read and report on this account",
                "AssumeRolePolicyDocument": evaluator_trust(suffix),
                "Policies": [{"PolicyName": "read-and-report", "PolicyDocument": member_evaluation_policy()}],
                "Tags": tags,
            },
        },
        "AlertForwarderRole": {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "RoleName": naming.alert_forwarder_role(suffix),
                "Description": "Lets this account's forwarding rules put alert events on the hub's bus",
                "AssumeRolePolicyDocument": policies.alert_forwarder_trust(ACCOUNT),
                "Policies": [
                    {
                        "PolicyName": "forward-to-hub",
                        "PolicyDocument": policies.alert_forwarder_policy(
                            policies.default_bus_arn(settings.primary_region, HUB_ACCOUNT)
                        ),
                    }
                ],
                "Tags": tags,
            },
        },
    }
    if manage_member_recorders:
        resources["ConfigRole"] = {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "RoleName": naming.config_role(suffix),
                "Description": "Lets AWS Config record this account and deliver to the hub's bucket",
                "AssumeRolePolicyDocument": policies.config_role_trust(ACCOUNT),
                "ManagedPolicyArns": [policies.CONFIG_SERVICE_POLICY_ARN],
                "Policies": [{"PolicyName": "deliver-to-hub", "PolicyDocument": config_delivery_policy()}],
                "Tags": tags,
            },
        }
    return _substituted(
        _for_member_accounts_only(
            {
                "AWSTemplateFormatVersion": "2010-09-09",
                "Description": f"Config compliance ({suffix}): member account roles",
                "Parameters": _parameters(manage_member_recorders),
                "Resources": resources,
            },
            settings,
        )
    )


def member_regional_template(settings: Settings, manage_member_recorders: bool) -> Template:
    """Recording (optional) and alert forwarding in one region of a member account: deploy in every region.

    Needs the roles template's stack in the account first (the StackSet of this template should list the
    roles StackSet in its auto-deployment DependsOn).
    """
    suffix = settings.environment_suffix
    resources: dict[str, Any] = {}
    conditions: dict[str, Any] = {}
    if manage_member_recorders:
        conditions[IS_PRIMARY_REGION] = {"Fn::Equals": [{"Ref": "AWS::Region"}, settings.primary_region]}
        if not settings.record_all_resource_types:
            conditions |= {
                _is_region(region): {"Fn::Equals": [{"Ref": "AWS::Region"}, region]}
                for region in _recorded_types_apart(settings)[1]
            }
        resources |= _recording(settings)
    resources |= _forwarding(settings)
    template: Template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": f"Config compliance ({suffix}): member account recording and alert forwarding",
        "Parameters": _parameters(manage_member_recorders),
        "Resources": resources,
    }
    if conditions:
        template["Conditions"] = conditions
    return _substituted(_for_member_accounts_only(template, settings))


def _for_member_accounts_only(template: Template, settings: Settings) -> Template:
    """Every resource only where ``MemberAccount`` holds; the placeholder where ``SkippedAccount`` does.

    ``SkippedAccount``: the account is the hub (the ``HubAccountId`` parameter; a delegated administrator
    may sit in a member OU, and its own resources carry these names) or one of ``excludedAccounts``
    (literals in the template). Only ``Ref`` and condition functions are used: the CloudFormation User
    Guide (Template Reference, condition functions, "Supported functions") allows in ``Fn::Equals`` and
    ``Fn::Or`` only ``Fn::FindInMap``, ``Ref`` and other condition functions, so ``Fn::Split`` or
    ``Fn::Join`` on a list parameter would be outside what is documented. ``Fn::Contains`` works only
    in the Rules section.
    """
    account = {"Ref": "AWS::AccountId"}
    skipped = [
        {"Fn::Equals": [account, {"Ref": HUB_ACCOUNT_PARAMETER}]},
        *({"Fn::Equals": [account, excluded]} for excluded in sorted(set(settings.excluded_accounts))),
    ]
    conditions = {
        **template.get("Conditions", {}),
        SKIPPED_ACCOUNT: _any_of(skipped),
        MEMBER_ACCOUNT: {"Fn::Not": [{"Condition": SKIPPED_ACCOUNT}]},
    }
    resources = {
        logical_id: {**resource, "Condition": MEMBER_ACCOUNT}
        for logical_id, resource in template["Resources"].items()
    }
    resources[PLACEHOLDER] = {
        "Type": "AWS::CloudFormation::WaitConditionHandle",
        "Condition": SKIPPED_ACCOUNT,
    }
    return {**template, "Conditions": conditions, "Resources": resources}


def _any_of(conditions: list[Any]) -> Any:
    """True when any of the conditions is: one condition as it is, more in Fn::Or trees of at most ten."""
    if len(conditions) == 1:
        return conditions[0]
    if len(conditions) <= MAX_OR_CONDITIONS:
        return {"Fn::Or": conditions}
    size = -(-len(conditions) // MAX_OR_CONDITIONS)
    return _any_of([_any_of(conditions[i : i + size]) for i in range(0, len(conditions), size)])


def evaluator_trust(suffix: str) -> policies.Document:
    """Only the hub's evaluator roles may assume the member role.

    The principal is the hub account, narrowed to the evaluator roles by aws:PrincipalArn: a role ARN as
    Principal is stored as the role's unique id, so the trust would break for good if the hub replaced a
    role, and creating the trust would fail while a role did not exist yet (IAM User Guide, "IAM JSON
    policy elements: Principal", IAM role principals).
    """
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "HubEvaluatorsAssume",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{HUB_ACCOUNT}:root"},
                "Action": "sts:AssumeRole",
                "Condition": {
                    "ArnEquals": {
                        "aws:PrincipalArn": [
                            role_arn(HUB_ACCOUNT, naming.evaluator_role(check.name, suffix))
                            for check in CHECKS
                        ]
                    }
                },
            }
        ],
    }


def member_evaluation_policy() -> policies.Document:
    """Every check's read actions and the Config reporting actions, on this account's resources."""
    permissions = [*(p for check in CHECKS for p in check.read_permissions), *EVALUATOR_PERMISSIONS]
    return {"Version": "2012-10-17", "Statement": policies.statements_by_resource(permissions, ACCOUNT)}


def config_delivery_policy() -> policies.Document:
    """Config writes this account's history to the hub's bucket, encrypted with the hub's key.

    Config Developer Guide, "Permissions for the IAM Role Assigned to AWS Config" (iamrole-permissions):
    s3:PutObject and s3:PutObjectAcl under the account's AWSLogs prefix with the bucket-owner-full-control
    ACL, s3:GetBucketAcl on the bucket, kms:Decrypt and kms:GenerateDataKey on the key. The bucket and key
    policies in the hub account must allow this role too (cross-account access needs both sides).
    """
    bucket = "${" + BUCKET_PARAMETER + "}"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "WriteConfigHistory",
                "Effect": "Allow",
                "Action": ["s3:PutObject", "s3:PutObjectAcl"],
                "Resource": f"arn:aws:s3:::{bucket}/{policies.CONFIG_KEY_PREFIX}/AWSLogs/{ACCOUNT}/Config/*",
                "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}},
            },
            {
                "Sid": "ReadBucketAcl",
                "Effect": "Allow",
                "Action": "s3:GetBucketAcl",
                "Resource": f"arn:aws:s3:::{bucket}",
            },
            {
                "Sid": "EncryptConfigHistory",
                "Effect": "Allow",
                "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                "Resource": {"Ref": KEY_PARAMETER},
            },
        ],
    }


def _recording(settings: Settings) -> dict[str, Any]:
    """Recorder and delivery channel. CloudFormation starts the recorder as soon as the delivery channel
    is available (CloudFormation Template Reference, AWS::Config::ConfigurationRecorder), so there is no
    recorder-status resource as in the hub; the channel needs the recorder (fact 2 of the architecture)."""
    suffix = settings.environment_suffix
    return {
        "ConfigRecorder": {
            "Type": "AWS::Config::ConfigurationRecorder",
            "Properties": {
                "Name": naming.recorder(suffix, REGION),
                "RoleARN": role_arn(ACCOUNT, naming.config_role(suffix)),
                "RecordingGroup": _recording_group(settings),
                "RecordingMode": {"RecordingFrequency": settings.recording_frequency},
            },
        },
        "DeliveryChannel": {
            "Type": "AWS::Config::DeliveryChannel",
            "DependsOn": "ConfigRecorder",
            "Properties": {
                "Name": naming.delivery_channel(suffix, REGION),
                "S3BucketName": {"Ref": BUCKET_PARAMETER},
                "S3KeyPrefix": policies.CONFIG_KEY_PREFIX,
                "S3KmsKeyArn": {"Ref": KEY_PARAMETER},
                "ConfigSnapshotDeliveryProperties": {
                    "DeliveryFrequency": settings.snapshot_delivery_frequency
                },
            },
        },
    }


def _recording_group(settings: Settings) -> dict[str, Any]:
    """As the hub's regions record (components/region.py), global types in the primary region only."""
    if settings.record_all_resource_types:
        return {
            "AllSupported": True,
            "IncludeGlobalResourceTypes": {"Fn::If": [IS_PRIMARY_REGION, True, False]},
            "RecordingStrategy": {"UseOnly": "ALL_SUPPORTED_RESOURCE_TYPES"},
        }
    shared, apart = _recorded_types_apart(settings)
    others: Any = shared
    for region, own in sorted(apart.items()):
        others = {"Fn::If": [_is_region(region), own, others]}
    return {
        "AllSupported": False,
        "IncludeGlobalResourceTypes": False,
        "ResourceTypes": {
            "Fn::If": [
                IS_PRIMARY_REGION,
                list(recorded_types_in_region(settings, settings.primary_region)),
                others,
            ]
        },
        "RecordingStrategy": {"UseOnly": "INCLUSION_BY_RESOURCE_TYPES"},
    }


def _recorded_types_apart(settings: Settings) -> tuple[list[str], dict[str, list[str]]]:
    """The types most regions but the primary record, and the regions that record others: where a managed
    rule runs in one region alone (components/managed_rule_settings.py), its types are recorded there."""
    others = {
        region: list(recorded_types_in_region(settings, region))
        for region in settings.regions
        if region != settings.primary_region
    }
    counts = Counter(tuple(types) for types in others.values())
    shared = list(counts.most_common(1)[0][0]) if counts else []
    return shared, {region: types for region, types in others.items() if types != shared}


def _is_region(region: str) -> str:
    """The name of the condition that holds in ``region`` (names are alphanumeric): IsUsEast1."""
    return "Is" + "".join(part.capitalize() for part in region.split("-"))


def _forwarding(settings: Settings) -> dict[str, Any]:
    """This stack's NON_COMPLIANT compliance changes in the region, to the hub's primary bus.

    A rule in another account may target the hub's bus when it names a role allowed events:PutEvents on
    it, and the bus policy lets the organization put events (EventBridge User Guide, "Sending and
    receiving events between AWS accounts", eventbridge-cross-account-event-delivery.html; CloudFormation
    Template Reference, AWS::Events::EventBusPolicy). Cross-account targets may be in another region when
    it is a supported cross-Region destination (same page).
    """
    suffix = settings.environment_suffix
    rule_name = naming.forward_rule(NON_COMPLIANT.name, suffix, REGION)
    # The queue policy names the rule by its ARN, not a reference, so that the rule can wait for the
    # policy: a target may only use its DLQ once EventBridge may send to it.
    rule_arn = f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{rule_name}"
    # The matchers of the hub's own forwarding rules in organization scope, for this region.
    names = NON_COMPLIANT.names_in_region(suffix, REGION, organization=True)
    return {
        **(_dead_letter_key(settings) if settings.require_kms else {}),
        # Said outright: the dead letters go with the stack (when the account leaves the member OUs).
        "AlertDeadLetterQueue": {
            "Type": "AWS::SQS::Queue",
            "DeletionPolicy": "Delete",
            "UpdateReplacePolicy": "Delete",
            "Properties": {
                "QueueName": naming.dead_letter_queue(suffix, REGION),
                # The key (its policy is part of it) exists before the queue: the queue refers to it.
                **(
                    {"KmsMasterKeyId": {"Fn::GetAtt": [DEAD_LETTER_KEY, "Arn"]}}
                    if settings.require_kms
                    else {"SqsManagedSseEnabled": True}
                ),
                "MessageRetentionPeriod": DEAD_LETTER_RETENTION_SECONDS,
                "Tags": _tags(settings),
            },
        },
        "AlertDeadLetterQueuePolicy": {
            "Type": "AWS::SQS::QueuePolicy",
            "Properties": {
                "Queues": [{"Ref": "AlertDeadLetterQueue"}],
                "PolicyDocument": policies.dead_letter_queue_policy(
                    {"Fn::GetAtt": ["AlertDeadLetterQueue", "Arn"]}, [rule_arn]
                ),
            },
        },
        "NonCompliantForwardRule": {
            "Type": "AWS::Events::Rule",
            "DependsOn": "AlertDeadLetterQueuePolicy",
            "Properties": {
                "Name": rule_name,
                "Description": f"{NON_COMPLIANT.description} in this account, to the hub's event bus",
                "EventPattern": NON_COMPLIANT.pattern(names),
                "State": "ENABLED",
                "Targets": [
                    {
                        "Id": "hub-event-bus",
                        "Arn": policies.default_bus_arn(settings.primary_region, HUB_ACCOUNT),
                        "RoleArn": role_arn(ACCOUNT, naming.alert_forwarder_role(suffix)),
                        # No RetryPolicy: a target that is an event bus takes a dead-letter queue only
                        # (sources in components/alert_path.py).
                        "DeadLetterConfig": {"Arn": {"Fn::GetAtt": ["AlertDeadLetterQueue", "Arn"]}},
                    }
                ],
            },
        },
    }


def _dead_letter_key(settings: Settings) -> dict[str, Any]:
    """requireKms: the member account's dead letters are encrypted with a key of its own in the region, with
    the hub's dead-letter key policy (components/alert_path.py, policies.dead_letter_key_policy: the
    account administers it, EventBridge may encrypt with it). Deleted with the stack like the queue it
    serves; CloudFormation then schedules its deletion after PendingWindowInDays (CloudFormation Template
    Reference, AWS::KMS::Key)."""
    suffix = settings.environment_suffix
    return {
        DEAD_LETTER_KEY: {
            "Type": "AWS::KMS::Key",
            "DeletionPolicy": "Delete",
            "UpdateReplacePolicy": "Delete",
            "Properties": {
                "Description": f"Encrypts undelivered compliance alerts in this region ({suffix})",
                "EnableKeyRotation": True,
                "PendingWindowInDays": DEAD_LETTER_KEY_DELETION_DAYS,
                "KeyPolicy": policies.dead_letter_key_policy(ACCOUNT),
                "Tags": _tags(settings),
            },
        },
        "AlertDeadLetterKeyAlias": {
            "Type": "AWS::KMS::Alias",
            "Properties": {
                "AliasName": naming.dead_letter_key_alias(suffix, REGION),
                "TargetKeyId": {"Ref": DEAD_LETTER_KEY},
            },
        },
    }


def _parameters(manage_member_recorders: bool) -> dict[str, Any]:
    parameters: dict[str, Any] = {
        HUB_ACCOUNT_PARAMETER: {
            "Type": "String",
            "AllowedPattern": r"^\d{12}$",
            "Description": "The account that runs the compliance stack (its evaluators, bus and bucket)",
        }
    }
    if manage_member_recorders:
        parameters[BUCKET_PARAMETER] = {
            "Type": "String",
            "MinLength": 3,
            "MaxLength": 63,
            "Description": "The hub's Config archive bucket every member account delivers to",
        }
        parameters[KEY_PARAMETER] = {
            "Type": "String",
            "AllowedPattern": r"^arn:aws:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+$",
            "Description": "The hub's KMS key that encrypts the archive bucket",
        }
    return parameters


def _tags(settings: Settings) -> list[dict[str, str]]:
    """The stack's tags: the DLQ is in the required-tags check's scope, in member accounts too."""
    return [{"Key": key, "Value": value} for key, value in settings.resource_tags.items()]


def _substituted(template: Template) -> Template:
    """Wraps each string that holds a ``${...}`` placeholder in Fn::Sub, throughout the template."""
    return {key: _substituted_value(value) for key, value in template.items()}


def _substituted_value(value: Any) -> Any:
    if isinstance(value, str):
        return {"Fn::Sub": value} if "${" in value else value
    if isinstance(value, dict):
        return _substituted(value)
    if isinstance(value, list):
        return [_substituted_value(item) for item in value]
    return value
