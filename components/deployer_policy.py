"""The least-privilege IAM policy of the deployer (whoever runs ``pulumi up``), for each scope.

It is derived from what the program manages: for every Pulumi resource type the program registers and
every provider function (invoke) it calls, the IAM actions the provider calls to create, read, update,
delete and tag it. pulumi-aws 7 bridges the resources of hashicorp/terraform-provider-aws 6, so each
entry names the provider source file it was read from (``internal/service/...``); the IAM action of
each API call is the Service Authorization Reference's (tests/infra/test_deployer_policy.py checks every
action against it, and that the program registers nothing without an entry).

``python -m components.deployer_policy`` writes docs/deployer-policy-account.json, and for organization
scope docs/deployer-policy-organization.json and docs/deployer-policy-organization-wide.json (one
managed policy could not hold it); ``--check`` fails when they differ from what it would write.
Resources are ``*`` except ``iam:PassRole`` (the stack's own roles, to the service each is for) and
``iam:CreateServiceLinkedRole`` (Config's own service-linked roles only): names carry the stack's
suffix, and the resources' ARNs are only known after they exist.
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
    # The services whose service-linked role the API creates with the caller's rights (needs
    # iam:CreateServiceLinkedRole among the actions).
    linked_role_services: tuple[str, ...] = ()

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
# PutOrganizationConfigRule and PutOrganizationConformancePack "can create" (above) Config's multi-account
# role in the caller's account.
ORGANIZATION_RULE_ACCESS = (*CONFIG_ORGANIZATION_ACCESS, SERVICE_LINKED_ROLE)
# Config API Reference, PutConformancePack and PutOrganizationConformancePack, TemplateS3Uri: "You must
# have access to read Amazon S3 bucket" (the caller's rights: the template bucket's policy admits only
# Config's conformance-pack role, and in the bucket's own account an identity policy suffices).
READ_TEMPLATE = "s3:GetObject"
# Shared by the custom and the managed organization rules: the same API (organization_custom_rule.go and
# organization_managed_rule.go wait on the rule's status and, when it failed, read each account's status
# for the error they report).
ORGANIZATION_RULE_ACTIONS = (
    "config:PutOrganizationConfigRule",
    "config:DescribeOrganizationConfigRules",
    "config:DescribeOrganizationConfigRuleStatuses",
    "config:GetOrganizationConfigRuleDetailedStatus",
    "config:DeleteOrganizationConfigRule",
    *ORGANIZATION_RULE_ACCESS,
)

# The provider waits on every StackSet operation, and reads a failed one's per-account results to report
# them (cloudformation/wait.go, WaitStackSetOperationSucceeded); without the second the failure reads
# "listing ... results: AccessDenied" instead of the accounts' reasons.
STACK_SET_OPERATION_WAIT = (
    "cloudformation:DescribeStackSetOperation",
    "cloudformation:ListStackSetOperationResults",
)

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
        ORGANIZATION_RULE_ACTIONS,
        PROVIDER + "configservice/organization_custom_rule.go",
        ORGANIZATION_ONLY,
        linked_role_services=(naming.MULTI_ACCOUNT_SETUP_SERVICE,),
    ),
    # The AWS managed rules of managedRules (components/managed_rule_deployment.py); in account scope they
    # are aws:cfg/rule:Rule, owner AWS, whose API calls are the custom rules'.
    "aws:cfg/organizationManagedRule:OrganizationManagedRule": Grant(
        ORGANIZATION_RULE_ACTIONS,
        PROVIDER + "configservice/organization_managed_rule.go",
        ORGANIZATION_ONLY,
        linked_role_services=(naming.MULTI_ACCOUNT_SETUP_SERVICE,),
    ),
    # conformancePacks (components/conformance_pack_deployment.py); the provider tags neither pack.
    "aws:cfg/conformancePack:ConformancePack": Grant(
        (
            "config:PutConformancePack",
            "config:DescribeConformancePacks",
            "config:DescribeConformancePackStatus",
            "config:DeleteConformancePack",
            READ_TEMPLATE,
            SERVICE_LINKED_ROLE,
        ),
        PROVIDER + "configservice/conformance_pack.go",
        ACCOUNT_ONLY,
        linked_role_services=(naming.CONFORMS_SERVICE,),
    ),
    # The provider also reads each account's status while the pack deploys (a delegated administrator's
    # aggregate status may stay CREATE_IN_PROGRESS) and when it failed.
    "aws:cfg/organizationConformancePack:OrganizationConformancePack": Grant(
        (
            "config:PutOrganizationConformancePack",
            "config:DescribeOrganizationConformancePacks",
            "config:DescribeOrganizationConformancePackStatuses",
            "config:GetOrganizationConformancePackDetailedStatus",
            "config:DeleteOrganizationConformancePack",
            READ_TEMPLATE,
            *ORGANIZATION_RULE_ACCESS,
        ),
        PROVIDER + "configservice/organization_conformance_pack.go",
        ORGANIZATION_ONLY,
        # AWS documents that the call creates the multi-account role in the caller's account, and that the
        # pack uses the conformance-pack role in each account it reaches, the caller's included; who
        # creates that one there is not documented: granted, as it is only that service's own role.
        linked_role_services=(naming.MULTI_ACCOUNT_SETUP_SERVICE, naming.CONFORMS_SERVICE),
    ),
    "aws:cloudformation/stackSet:StackSet": Grant(
        (
            "cloudformation:CreateStackSet",
            "cloudformation:DescribeStackSet",
            "cloudformation:UpdateStackSet",
            "cloudformation:DeleteStackSet",
            *STACK_SET_OPERATION_WAIT,
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
            *STACK_SET_OPERATION_WAIT,
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
    # The conformance pack templates over TemplateBody's limit. The provider reads the object with
    # HeadObject (s3:GetObject) and its tags with GetObjectTagging (s3/tags.go); PutObject with tags needs
    # s3:PutObjectTagging (S3 API Reference, PutObject); deleting an object of the unversioned bucket is
    # DeleteObject.
    "aws:s3/bucketObjectv2:BucketObjectv2": Grant(
        (
            "s3:PutObject",
            "s3:GetObject",
            "s3:DeleteObject",
            "s3:GetObjectTagging",
            "s3:PutObjectTagging",
            "s3:DeleteObjectTagging",
        ),
        PROVIDER + "s3/object.go",
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
        "lambda.amazonaws.com": (
            *(naming.evaluator_role(check.name, _ANY_SUFFIX) for check in CHECKS),
            naming.managed_summary(_ANY_SUFFIX),
        ),
        "events.amazonaws.com": (naming.alert_forwarder_role(_ANY_SUFFIX),),
    },
}


def grants(scope: str) -> dict[str, Grant]:
    """Every resource type's and invoke's grant that applies in ``scope``."""
    return {token: grant for token, grant in {**RESOURCES, **INVOKES}.items() if scope in grant.scopes}


def linked_role_services(scope: str) -> list[str]:
    """The services whose service-linked role the deployer may create in ``scope``."""
    return sorted({service for grant in grants(scope).values() for service in grant.linked_role_services})


# IAM User Guide, IAM and AWS STS quotas: "Managed policy size: 6,144 characters" (white space excluded).
# Organization scope outgrew one policy: it has two documents, both attached to the deployer, one for the
# hub's own resources (what account scope manages too) and one for what reaches across the organization.
MANAGED_POLICY_SIZE = 6144
ORGANIZATION_WIDE = "organization-wide"
SPECIAL = frozenset({PASS_ROLE, SERVICE_LINKED_ROLE})


def document_names(scope: str) -> tuple[str, ...]:
    """The names of ``scope``'s documents: docs/deployer-policy-<name>.json."""
    return (ACCOUNT,) if scope == ACCOUNT else (ORGANIZATION, ORGANIZATION_WIDE)


def _actions_by_document(scope: str) -> dict[str, set[str]]:
    """In organization scope, the actions of organization-only types and what organization scope adds to
    a type of both scopes go to the organization-wide document, unless the other one has them already
    (iam:PassRole included: its statements are by role, for every type)."""
    found: dict[str, set[str]] = {name: set() for name in document_names(scope)}
    for grant in grants(scope).values():
        if scope == ACCOUNT:
            found[ACCOUNT].update(grant.actions)
        elif grant.scopes == ORGANIZATION_ONLY:
            found[ORGANIZATION_WIDE].update(grant.actions_in(scope))
        else:
            found[ORGANIZATION].update(grant.actions)
            found[ORGANIZATION_WIDE].update(grant.organization_actions)
    if scope == ORGANIZATION:
        found[ORGANIZATION_WIDE] -= found[ORGANIZATION]
    return found


def documents(scope: str) -> dict[str, dict[str, Any]]:
    """The deployer's IAM policy documents for ``scope``, by name."""
    result = {}
    for name, actions in _actions_by_document(scope).items():
        statements: list[dict[str, Any]] = [
            {
                "Sid": "ManageTheOrganizationWideResources"
                if name == ORGANIZATION_WIDE
                else "ManageTheStacksResources",
                "Effect": "Allow",
                "Action": sorted(actions - SPECIAL),
                "Resource": "*",
            }
        ]
        if PASS_ROLE in actions:
            statements += _pass_role_statements(scope)
        if SERVICE_LINKED_ROLE in actions:
            statements += _service_linked_role_statements(scope)
        result[name] = {"Version": "2012-10-17", "Statement": statements}
    return result


def policy(scope: str) -> dict[str, Any]:
    """Every statement of ``scope``'s documents, as one policy (what the deployer is allowed)."""
    statements = [s for document in documents(scope).values() for s in document["Statement"]]
    return {"Version": "2012-10-17", "Statement": statements}


def _pass_role_statements(scope: str) -> list[dict[str, Any]]:
    return [
        {
            "Sid": "PassRolesTo" + service.split(".")[0].capitalize(),
            "Effect": "Allow",
            "Action": PASS_ROLE,
            "Resource": [f"arn:aws:iam::*:role/{role}" for role in roles],
            "Condition": {"StringEquals": {"iam:PassedToService": service}},
        }
        for service, roles in sorted(PASSED_ROLES[scope].items())
    ]


def _service_linked_role_statements(scope: str) -> list[dict[str, Any]]:
    # IAM User Guide, "Service-linked role permissions": iam:CreateServiceLinkedRole on the role's ARN,
    # scoped by iam:AWSServiceName.
    return [
        {
            "Sid": "Create" + naming.SERVICE_LINKED_ROLES[service],
            "Effect": "Allow",
            "Action": SERVICE_LINKED_ROLE,
            "Resource": f"arn:aws:iam::*:{naming.service_linked_role_path(service)}",
            "Condition": {"StringEquals": {"iam:AWSServiceName": service}},
        }
        for service in linked_role_services(scope)
    ]


def document(name: str, scope: str) -> str:
    return json.dumps(documents(scope)[name], indent=2) + "\n"


def policy_path(name: str) -> Path:
    return DOCS / f"deployer-policy-{name}.json"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m components.deployer_policy",
        description="Write the deployer's least-privilege IAM policy documents for each scope to docs/.",
    )
    parser.add_argument("--scope", choices=SCOPES, action="append", help="default: both scopes")
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 when a shipped file differs"
    )
    arguments = parser.parse_args(argv)
    stale = []
    for scope in arguments.scope or SCOPES:
        for name in document_names(scope):
            path = policy_path(name)
            if arguments.check:
                if not path.exists() or path.read_text(encoding="utf-8") != document(name, scope):
                    stale.append(str(path))
                continue
            path.write_text(document(name, scope), encoding="utf-8")
            print(f"wrote {path}")
    if stale:
        print(f"out of date (run python -m components.deployer_policy): {', '.join(stale)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
