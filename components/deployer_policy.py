"""The least-privilege IAM policy of the deployer (whoever runs ``pulumi up``), for each scope.

It is derived from what the program manages: for every Pulumi resource type the program registers and
every provider function (invoke) it calls, the IAM actions the provider calls to create, read, update,
delete and tag it. pulumi-aws 7 bridges the resources of hashicorp/terraform-provider-aws 6, so each
entry names the provider source file it was read from (``internal/service/...``); the IAM action of
each API call is the Service Authorization Reference's (tests/infra/test_deployer_policy.py checks every
action against it, and that the program registers nothing without an entry).

``python -m components.deployer_policy`` writes docs/deployer-policy-account.json and
docs/deployer-policy-organization.json; ``--check`` fails when they differ from what it would write.
Resources are ``*`` except ``iam:PassRole`` (the stack's own roles, to the service each is for) and
``iam:CreateServiceLinkedRole`` (Config's organization role only): names carry the stack's suffix, and
the resources' ARNs are only known after they exist.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from components import naming
from components.catalog import CHECKS

ACCOUNT = "account"
ORGANIZATION = "organization"
SCOPES = (ACCOUNT, ORGANIZATION)
BOTH = frozenset(SCOPES)
ORGANIZATION_ONLY = frozenset({ORGANIZATION})
ACCOUNT_ONLY = frozenset({ACCOUNT})

DOCS = Path(__file__).resolve().parent.parent / "docs"
PROVIDER = "hashicorp/terraform-provider-aws internal/service/"


@dataclass(frozen=True)
class Grant:
    """The IAM actions one resource type or invoke needs, in the scopes where the program uses it."""

    actions: tuple[str, ...]
    source: str
    scopes: frozenset[str] = BOTH
    # Needed only in organization scope, where the resource is set up differently.
    organization_actions: tuple[str, ...] = ()

    def actions_in(self, scope: str) -> tuple[str, ...]:
        return self.actions + (self.organization_actions if scope == ORGANIZATION else ())


def _tags(prefix: str, list_action: str = "ListTagsForResource") -> tuple[str, ...]:
    """The provider tags every resource (the provider's default tags: components/provider.py)."""
    return (f"{prefix}:TagResource", f"{prefix}:UntagResource", f"{prefix}:{list_action}")


# Config calls these for the caller when an organization rule or aggregator is put (Config API
# Reference, PutOrganizationConfigRule: "This API enables organization service access through the
# EnableAWSServiceAccess action and creates a service-linked role AWSServiceRoleForConfigMultiAccountSetup
# ... When calling this API with a delegated administrator, you must ensure Organizations
# ListDelegatedAdministrator permissions are added"; PutConfigurationAggregator says the same of
# EnableAwsServiceAccess and ListDelegatedAdministrators for an organization source).
CONFIG_ORGANIZATION_ACCESS = (
    "organizations:EnableAWSServiceAccess",
    "organizations:ListDelegatedAdministrators",
)
SERVICE_LINKED_ROLE = "iam:CreateServiceLinkedRole"
PASS_ROLE = "iam:PassRole"

RESOURCES: Mapping[str, Grant] = {
    "aws:cfg/recorder:Recorder": Grant(
        (
            "config:PutConfigurationRecorder",
            "config:DescribeConfigurationRecorders",
            "config:DeleteConfigurationRecorder",
            PASS_ROLE,
        ),
        PROVIDER + "configservice/configuration_recorder.go",
    ),
    "aws:cfg/deliveryChannel:DeliveryChannel": Grant(
        ("config:PutDeliveryChannel", "config:DescribeDeliveryChannels", "config:DeleteDeliveryChannel"),
        PROVIDER + "configservice/delivery_channel.go",
    ),
    "aws:cfg/recorderStatus:RecorderStatus": Grant(
        (
            "config:StartConfigurationRecorder",
            "config:StopConfigurationRecorder",
            "config:DescribeConfigurationRecorderStatus",
        ),
        PROVIDER + "configservice/configuration_recorder_status.go",
    ),
    "aws:cfg/rule:Rule": Grant(
        ("config:PutConfigRule", "config:DescribeConfigRules", "config:DeleteConfigRule", *_tags("config")),
        PROVIDER + "configservice/config_rule.go",
        ACCOUNT_ONLY,
    ),
    "aws:cfg/aggregateAuthorization:AggregateAuthorization": Grant(
        (
            "config:PutAggregationAuthorization",
            "config:DescribeAggregationAuthorizations",
            "config:DeleteAggregationAuthorization",
            *_tags("config"),
        ),
        PROVIDER + "configservice/aggregate_authorization.go",
        ACCOUNT_ONLY,
    ),
    "aws:cfg/configurationAggregator:ConfigurationAggregator": Grant(
        (
            "config:PutConfigurationAggregator",
            "config:DescribeConfigurationAggregators",
            "config:DeleteConfigurationAggregator",
            *_tags("config"),
        ),
        PROVIDER + "configservice/configuration_aggregator.go",
        # An organization source: the aggregator's role, and Config's calls to Organizations.
        organization_actions=(PASS_ROLE, *CONFIG_ORGANIZATION_ACCESS),
    ),
    "aws:cfg/organizationCustomRule:OrganizationCustomRule": Grant(
        (
            "config:PutOrganizationConfigRule",
            "config:DescribeOrganizationConfigRules",
            "config:DescribeOrganizationConfigRuleStatuses",
            "config:DeleteOrganizationConfigRule",
            *CONFIG_ORGANIZATION_ACCESS,
            SERVICE_LINKED_ROLE,
        ),
        PROVIDER + "configservice/organization_custom_rule.go",
        ORGANIZATION_ONLY,
    ),
    "aws:cloudformation/stackSet:StackSet": Grant(
        (
            "cloudformation:CreateStackSet",
            "cloudformation:DescribeStackSet",
            "cloudformation:UpdateStackSet",
            "cloudformation:DeleteStackSet",
            "cloudformation:DescribeStackSetOperation",
        ),
        PROVIDER + "cloudformation/stack_set.go",
        ORGANIZATION_ONLY,
    ),
    "aws:cloudformation/stackSetInstance:StackSetInstance": Grant(
        (
            "cloudformation:CreateStackInstances",
            "cloudformation:DescribeStackInstance",
            "cloudformation:ListStackInstances",
            "cloudformation:UpdateStackInstances",
            "cloudformation:DeleteStackInstances",
            "cloudformation:DescribeStackSetOperation",
        ),
        PROVIDER + "cloudformation/stack_set_instance.go",
        ORGANIZATION_ONLY,
    ),
    "aws:cloudwatch/dashboard:Dashboard": Grant(
        ("cloudwatch:PutDashboard", "cloudwatch:GetDashboard", "cloudwatch:DeleteDashboards"),
        PROVIDER + "cloudwatch/dashboard.go",
    ),
    "aws:cloudwatch/metricAlarm:MetricAlarm": Grant(
        (
            "cloudwatch:PutMetricAlarm",
            "cloudwatch:DescribeAlarms",
            "cloudwatch:DeleteAlarms",
            *_tags("cloudwatch"),
        ),
        PROVIDER + "cloudwatch/metric_alarm.go",
    ),
    "aws:cloudwatch/eventRule:EventRule": Grant(
        ("events:PutRule", "events:DescribeRule", "events:DeleteRule", *_tags("events")),
        PROVIDER + "events/rule.go",
    ),
    "aws:cloudwatch/eventTarget:EventTarget": Grant(
        ("events:PutTargets", "events:ListTargetsByRule", "events:RemoveTargets", PASS_ROLE),
        PROVIDER + "events/target.go",
    ),
    "aws:cloudwatch/eventPermission:EventPermission": Grant(
        ("events:PutPermission", "events:DescribeEventBus", "events:RemovePermission"),
        PROVIDER + "events/permission.go",
        ORGANIZATION_ONLY,
    ),
    "aws:cloudwatch/logGroup:LogGroup": Grant(
        (
            "logs:CreateLogGroup",
            "logs:DescribeLogGroups",
            "logs:PutRetentionPolicy",
            "logs:DeleteRetentionPolicy",
            "logs:DeleteLogGroup",
            *_tags("logs"),
        ),
        PROVIDER + "logs/group.go",
    ),
    "aws:iam/role:Role": Grant(
        (
            "iam:CreateRole",
            "iam:GetRole",
            "iam:UpdateRole",
            "iam:UpdateRoleDescription",
            "iam:UpdateAssumeRolePolicy",
            "iam:ListRolePolicies",
            "iam:ListAttachedRolePolicies",
            "iam:ListInstanceProfilesForRole",
            "iam:DeleteRole",
            "iam:TagRole",
            "iam:UntagRole",
            "iam:ListRoleTags",
        ),
        PROVIDER + "iam/role.go",
    ),
    "aws:iam/rolePolicy:RolePolicy": Grant(
        ("iam:PutRolePolicy", "iam:GetRolePolicy", "iam:DeleteRolePolicy"),
        PROVIDER + "iam/role_policy.go",
    ),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": Grant(
        ("iam:AttachRolePolicy", "iam:ListAttachedRolePolicies", "iam:DetachRolePolicy"),
        PROVIDER + "iam/role_policy_attachment.go",
    ),
    "aws:kms/key:Key": Grant(
        (
            "kms:CreateKey",
            "kms:DescribeKey",
            "kms:GetKeyPolicy",
            "kms:PutKeyPolicy",
            "kms:GetKeyRotationStatus",
            "kms:EnableKeyRotation",
            "kms:DisableKeyRotation",
            "kms:UpdateKeyDescription",
            "kms:ScheduleKeyDeletion",
            *_tags("kms", "ListResourceTags"),
        ),
        PROVIDER + "kms/key.go",
    ),
    "aws:kms/alias:Alias": Grant(
        ("kms:CreateAlias", "kms:ListAliases", "kms:UpdateAlias", "kms:DeleteAlias"),
        PROVIDER + "kms/alias.go",
    ),
    "aws:lambda/function:Function": Grant(
        (
            "lambda:CreateFunction",
            "lambda:GetFunction",
            "lambda:GetFunctionConfiguration",
            "lambda:ListVersionsByFunction",
            "lambda:GetFunctionCodeSigningConfig",
            "lambda:UpdateFunctionCode",
            "lambda:UpdateFunctionConfiguration",
            "lambda:DeleteFunction",
            "lambda:TagResource",
            "lambda:UntagResource",
            "lambda:ListTags",
            PASS_ROLE,
        ),
        PROVIDER + "lambda/function.go",
    ),
    "aws:lambda/permission:Permission": Grant(
        ("lambda:AddPermission", "lambda:GetPolicy", "lambda:RemovePermission"),
        PROVIDER + "lambda/permission.go",
    ),
    "aws:s3/bucket:Bucket": Grant(
        (
            "s3:CreateBucket",
            "s3:DeleteBucket",
            # The provider's read: HeadBucket, then every bucket sub-resource it reports.
            "s3:ListBucket",
            "s3:GetBucketPolicy",
            "s3:GetBucketAcl",
            "s3:GetBucketCORS",
            "s3:GetBucketWebsite",
            "s3:GetBucketVersioning",
            "s3:GetAccelerateConfiguration",
            "s3:GetBucketRequestPayment",
            "s3:GetBucketLogging",
            "s3:GetLifecycleConfiguration",
            "s3:GetReplicationConfiguration",
            "s3:GetEncryptionConfiguration",
            "s3:GetBucketObjectLockConfiguration",
            "s3:GetBucketTagging",
            "s3:PutBucketTagging",
            # force_destroy (protectData: false) empties the bucket first.
            "s3:ListBucketVersions",
            "s3:DeleteObject",
            "s3:DeleteObjectVersion",
        ),
        PROVIDER + "s3/bucket.go",
    ),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": Grant(
        # DeleteBucketLifecycle is authorized by s3:PutLifecycleConfiguration (SAR, Amazon S3).
        ("s3:PutLifecycleConfiguration", "s3:GetLifecycleConfiguration"),
        PROVIDER + "s3/bucket_lifecycle_configuration.go",
    ),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": Grant(
        ("s3:PutBucketOwnershipControls", "s3:GetBucketOwnershipControls"),
        PROVIDER + "s3/bucket_ownership_controls.go",
    ),
    "aws:s3/bucketPolicy:BucketPolicy": Grant(
        ("s3:PutBucketPolicy", "s3:GetBucketPolicy", "s3:DeleteBucketPolicy"),
        PROVIDER + "s3/bucket_policy.go",
    ),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": Grant(
        # Put/Get/DeletePublicAccessBlock are s3:PutBucketPublicAccessBlock and s3:GetBucketPublicAccessBlock.
        ("s3:PutBucketPublicAccessBlock", "s3:GetBucketPublicAccessBlock"),
        PROVIDER + "s3/bucket_public_access_block.go",
    ),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": Grant(
        ("s3:PutEncryptionConfiguration", "s3:GetEncryptionConfiguration"),
        PROVIDER + "s3/bucket_server_side_encryption_configuration.go",
    ),
    "aws:s3/bucketVersioning:BucketVersioning": Grant(
        ("s3:PutBucketVersioning", "s3:GetBucketVersioning"),
        PROVIDER + "s3/bucket_versioning.go",
    ),
    "aws:sns/topic:Topic": Grant(
        (
            "sns:CreateTopic",
            "sns:GetTopicAttributes",
            "sns:SetTopicAttributes",
            "sns:DeleteTopic",
            *_tags("sns"),
        ),
        PROVIDER + "sns/topic.go",
    ),
    "aws:sns/topicPolicy:TopicPolicy": Grant(
        ("sns:SetTopicAttributes", "sns:GetTopicAttributes"),
        PROVIDER + "sns/topic_policy.go",
    ),
    "aws:sns/topicSubscription:TopicSubscription": Grant(
        (
            "sns:Subscribe",
            "sns:GetSubscriptionAttributes",
            "sns:SetSubscriptionAttributes",
            "sns:Unsubscribe",
        ),
        PROVIDER + "sns/topic_subscription.go",
    ),
    "aws:sqs/queue:Queue": Grant(
        (
            "sqs:CreateQueue",
            "sqs:GetQueueUrl",
            "sqs:GetQueueAttributes",
            "sqs:SetQueueAttributes",
            "sqs:DeleteQueue",
            "sqs:TagQueue",
            "sqs:UntagQueue",
            "sqs:ListQueueTags",
        ),
        PROVIDER + "sqs/queue.go",
    ),
    "aws:sqs/queuePolicy:QueuePolicy": Grant(
        ("sqs:SetQueueAttributes", "sqs:GetQueueAttributes"),
        PROVIDER + "sqs/queue_policy.go",
    ),
}

INVOKES: Mapping[str, Grant] = {
    # "No permissions are required to perform this operation" (STS API Reference, GetCallerIdentity).
    "aws:index/getCallerIdentity:getCallerIdentity": Grant(
        (), PROVIDER + "sts/caller_identity_data_source.go"
    ),
    # Without return_organization_only the function also lists every account, the roots and the
    # services with trusted access.
    "aws:organizations/getOrganization:getOrganization": Grant(
        (
            "organizations:DescribeOrganization",
            "organizations:ListAccounts",
            "organizations:ListRoots",
            "organizations:ListAWSServiceAccessForOrganization",
        ),
        PROVIDER + "organizations/organization_data_source.go",
        ORGANIZATION_ONLY,
    ),
    # The accounts of the member OUs, their OUs included (a recursive walk).
    "aws:organizations/getOrganizationalUnitDescendantAccounts:"
    "getOrganizationalUnitDescendantAccounts": Grant(
        ("organizations:ListAccountsForParent", "organizations:ListOrganizationalUnitsForParent"),
        PROVIDER + "organizations/organizational_unit_descendant_accounts_data_source.go",
        ORGANIZATION_ONLY,
    ),
    "aws:organizations/getOrganizationalUnitDescendantOrganizationalUnits:"
    "getOrganizationalUnitDescendantOrganizationalUnits": Grant(
        ("organizations:ListOrganizationalUnitsForParent",),
        PROVIDER + "organizations/organizational_units_descendant_organizational_units_data_source.go",
        ORGANIZATION_ONLY,
    ),
}

# Types the program registers that are not AWS resources: the provider itself (it calls only STS
# GetCallerIdentity, which needs no permission) and the program's own components.
NOT_AWS_RESOURCES = ("pulumi:providers:aws", "config-compliance:")

# The roles the deployer hands to a service, by the service they are handed to (the principal in each
# role's trust policy): iam:PassedToService (SAR, IAM: a condition key of iam:PassRole).
_ANY_SUFFIX = "*"
PASSED_ROLES: Mapping[str, Mapping[str, tuple[str, ...]]] = {
    ACCOUNT: {
        "config.amazonaws.com": (naming.config_role(_ANY_SUFFIX),),
        "lambda.amazonaws.com": (
            *(naming.evaluator_role(check.name, _ANY_SUFFIX) for check in CHECKS),
            naming.managed_summary(_ANY_SUFFIX),
        ),
        "events.amazonaws.com": (naming.alert_forwarder_role(_ANY_SUFFIX),),
    },
    ORGANIZATION: {
        "config.amazonaws.com": (
            naming.config_role(_ANY_SUFFIX),
            naming.organization_aggregator_role(_ANY_SUFFIX),
        ),
        "lambda.amazonaws.com": tuple(naming.evaluator_role(check.name, _ANY_SUFFIX) for check in CHECKS),
        "events.amazonaws.com": (naming.alert_forwarder_role(_ANY_SUFFIX),),
    },
}
# Config's organization rules create AWSServiceRoleForConfigMultiAccountSetup (IAM User Guide, services
# that work with IAM: the role's path is aws-service-role/<service principal>/).
SERVICE_LINKED_ROLE_SERVICE = "config-multiaccountsetup.amazonaws.com"


def grants(scope: str) -> dict[str, Grant]:
    """Every resource type's and invoke's grant that applies in ``scope``."""
    return {token: grant for token, grant in {**RESOURCES, **INVOKES}.items() if scope in grant.scopes}


def policy(scope: str) -> dict[str, Any]:
    """The deployer's IAM policy document for ``scope``."""
    actions = {action for grant in grants(scope).values() for action in grant.actions_in(scope)}
    special = {PASS_ROLE, SERVICE_LINKED_ROLE}
    statements: list[dict[str, Any]] = [
        {
            "Sid": "ManageTheStacksResources",
            "Effect": "Allow",
            "Action": sorted(actions - special),
            "Resource": "*",
        }
    ]
    if PASS_ROLE in actions:
        for service, roles in sorted(PASSED_ROLES[scope].items()):
            statements.append(
                {
                    "Sid": "PassRolesTo" + service.split(".")[0].capitalize(),
                    "Effect": "Allow",
                    "Action": PASS_ROLE,
                    "Resource": [f"arn:aws:iam::*:role/{role}" for role in roles],
                    "Condition": {"StringEquals": {"iam:PassedToService": service}},
                }
            )
    if SERVICE_LINKED_ROLE in actions:
        statements.append(
            {
                "Sid": "CreateConfigOrganizationServiceLinkedRole",
                "Effect": "Allow",
                "Action": SERVICE_LINKED_ROLE,
                "Resource": f"arn:aws:iam::*:role/aws-service-role/{SERVICE_LINKED_ROLE_SERVICE}/*",
                "Condition": {"StringEquals": {"iam:AWSServiceName": SERVICE_LINKED_ROLE_SERVICE}},
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


def document(scope: str) -> str:
    return json.dumps(policy(scope), indent=2) + "\n"


def policy_path(scope: str) -> Path:
    return DOCS / f"deployer-policy-{scope}.json"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m components.deployer_policy",
        description="Write the deployer's least-privilege IAM policy for each scope to docs/.",
    )
    parser.add_argument("--scope", choices=SCOPES, action="append", help="default: both scopes")
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 when a shipped file differs"
    )
    arguments = parser.parse_args(argv)
    stale = []
    for scope in arguments.scope or SCOPES:
        path = policy_path(scope)
        if arguments.check:
            if not path.exists() or path.read_text(encoding="utf-8") != document(scope):
                stale.append(str(path))
            continue
        path.write_text(document(scope), encoding="utf-8")
        print(f"wrote {path}")
    if stale:
        print(f"out of date (run python -m components.deployer_policy): {', '.join(stale)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
