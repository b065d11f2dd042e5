"""IAM, bucket, key and topic policy documents as plain dicts.

Each function takes the names and ARNs it scopes to and returns a document; the components serialize
them with ``pulumi.Output.json_dumps`` (values may be Outputs), tests and IAM linters read them as-is.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pulumi

from components.catalog import EVALUATOR_PERMISSIONS, Check, Permission

Document = dict[str, Any]
Text = pulumi.Input[str]

# Config writes under <bucket>/<prefix>/AWSLogs/<account>/Config/ for every region, global items included.
CONFIG_KEY_PREFIX = "config"
# The AWS managed policy a Config recorder's role needs (Config Developer Guide, iamrole-permissions).
CONFIG_SERVICE_POLICY_ARN = "arn:aws:iam::aws:policy/service-role/AWS_ConfigRole"
# A value in a policy: a string, a Pulumi output, or (in the member templates) a CloudFormation intrinsic.
Reference = Text | dict[str, Any]


def _document(*statements: dict[str, Any]) -> Document:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _source_account(account_id: Text) -> dict[str, Any]:
    return {"StringEquals": {"aws:SourceAccount": account_id}}


def _member_config_roles(organization_id: Text, member_config_role: str) -> dict[str, Any]:
    """Member accounts' Config roles (docs/organization.md): that role name, in the organization only."""
    return {
        "StringEquals": {"aws:PrincipalOrgID": organization_id},
        "ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::*:role/{member_config_role}"},
    }


def _deny_insecure_transport(action: str, resource: Reference | list[Text]) -> dict[str, Any]:
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": action,
        "Resource": resource,
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def _service_trust(service: str, account_id: Text) -> Document:
    return _document(
        {
            "Effect": "Allow",
            "Principal": {"Service": service},
            "Action": "sts:AssumeRole",
            "Condition": _source_account(account_id),
        }
    )


def default_bus_arn(region: str, account_id: str) -> str:
    return f"arn:aws:events:{region}:{account_id}:event-bus/default"


def bucket_arn(bucket: Text) -> pulumi.Output[str]:
    return pulumi.Output.concat("arn:aws:s3:::", bucket)


def config_delivery_arn(bucket: Text, account_id: Text) -> pulumi.Output[str]:
    return pulumi.Output.concat(
        "arn:aws:s3:::", bucket, f"/{CONFIG_KEY_PREFIX}/AWSLogs/", account_id, "/Config/*"
    )


def archive_bucket_policy(
    bucket: Text, account_id: Text, members: tuple[Text, str] | None = None
) -> Document:
    """Config delivery from this account only, over TLS only; ``members`` (organization id, member Config
    role name) also lets member accounts' Config roles deliver, each into its own AWSLogs/<account>/."""
    config = {"Service": "config.amazonaws.com"}
    sources = _source_account(account_id)
    return _document(
        {
            "Sid": "AWSConfigBucketPermissionsCheck",
            "Effect": "Allow",
            "Principal": config,
            "Action": "s3:GetBucketAcl",
            "Resource": bucket_arn(bucket),
            "Condition": sources,
        },
        {
            "Sid": "AWSConfigBucketExistenceCheck",
            "Effect": "Allow",
            "Principal": config,
            "Action": "s3:ListBucket",
            "Resource": bucket_arn(bucket),
            "Condition": sources,
        },
        {
            "Sid": "AWSConfigBucketDelivery",
            "Effect": "Allow",
            "Principal": config,
            "Action": "s3:PutObject",
            "Resource": config_delivery_arn(bucket, account_id),
            "Condition": {
                "StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", **sources["StringEquals"]}
            },
        },
        *(_member_delivery(bucket, *members) if members else ()),
        _deny_insecure_transport(
            "s3:*", [bucket_arn(bucket), pulumi.Output.concat(bucket_arn(bucket), "/*")]
        ),
    )


def _member_delivery(bucket: Text, organization_id: Text, member_config_role: str) -> list[dict[str, Any]]:
    """Config Developer Guide, "Permissions for the Amazon S3 Bucket": cross-account delivery with an IAM
    role needs the bucket policy to grant that role; ${aws:PrincipalAccount} keeps each member in its own
    folder (IAM User Guide, policy variables)."""
    roles = _member_config_roles(organization_id, member_config_role)
    own_folder = pulumi.Output.concat(
        "arn:aws:s3:::", bucket, f"/{CONFIG_KEY_PREFIX}/AWSLogs/${{aws:PrincipalAccount}}/Config/*"
    )
    return [
        {
            "Sid": "MemberConfigRolesCheckBucket",
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": ["s3:GetBucketAcl", "s3:ListBucket"],
            "Resource": bucket_arn(bucket),
            "Condition": roles,
        },
        {
            "Sid": "MemberConfigRolesDeliver",
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": ["s3:PutObject", "s3:PutObjectAcl"],
            "Resource": own_folder,
            "Condition": {
                **roles,
                "StringEquals": {
                    **roles["StringEquals"],
                    "s3:x-amz-acl": "bucket-owner-full-control",
                },
            },
        },
    ]


def archive_key_policy(account_id: Text, members: tuple[Text, str] | None = None) -> Document:
    """The account administers the key; Config, EventBridge and SNS may only encrypt and decrypt with it."""

    def service_use(sid: str, service: str, condition: dict[str, Any] | None) -> dict[str, Any]:
        statement = {
            "Sid": sid,
            "Effect": "Allow",
            "Principal": {"Service": service},
            "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
            "Resource": "*",
        }
        return {**statement, "Condition": condition} if condition else statement

    return _document(
        {
            "Sid": "AccountAdministersKey",
            "Effect": "Allow",
            "Principal": {"AWS": pulumi.Output.concat("arn:aws:iam::", account_id, ":root")},
            "Action": "kms:*",
            "Resource": "*",
        },
        service_use("ConfigDeliversEncryptedHistory", "config.amazonaws.com", _source_account(account_id)),
        # No aws:SourceAccount, aws:SourceArn or aws:SourceOrgID here: the SNS Developer Guide (Managing
        # Amazon SNS encryption keys and costs > "Configuring AWS KMS permissions" / compatibility with
        # AWS services, sns-key-management.html) says EventBridge's publishes to an encrypted topic do
        # not support them in the key policy; with one, every alert fails as FailedInvocations. With
        # requireKms the same statement lets EventBridge write the primary region's dead letters
        # (kms:Decrypt and kms:GenerateDataKey: dead_letter_key_policy).
        service_use("EventBridgePublishesEncryptedAlerts", "events.amazonaws.com", None),
        service_use("SnsUsesKeyForEncryptedTopic", "sns.amazonaws.com", _source_account(account_id)),
        *(
            [
                {
                    "Sid": "MemberConfigRolesEncryptHistory",
                    "Effect": "Allow",
                    "Principal": {"AWS": "*"},
                    "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                    "Resource": "*",
                    "Condition": _member_config_roles(*members),
                }
            ]
            if members
            else []
        ),
    )


def dead_letter_key_policy(account_id: Reference) -> Document:
    """The account administers the key; EventBridge may encrypt the dead letters it sends to the queue.

    SQS Developer Guide, "Key management" > "Configure KMS permissions for AWS services"
    (sqs-key-management.html#compatibility-with-aws-services): "To allow the AWS service event source to use
    the kms:Decrypt and kms:GenerateDataKey API methods, add the following statement to the KMS key policy",
    a statement with Principal {"Service": "service.amazonaws.com"}, those two actions, Resource "*" and no
    Condition, the event source of CloudWatch Events (EventBridge) being ``events.amazonaws.com``. The
    EventBridge User Guide's DLQ page ("Using dead-letter queues to process undelivered events",
    eb-rule-dlq.html, "Granting permissions to the dead-letter queue") shows only the queue policy.

    No source condition, as on the archive key's EventBridge statement: the same page of the SQS guide lists
    CloudWatch Events among the services that support aws:SourceArn with encrypted queues but not which ARN
    it carries (the rule, the bus or the queue), and a condition EventBridge does not satisfy loses every
    dead letter silently (InvocationsFailedToBeSentToDlq). The queue policy is what scopes the sender: only
    the alert rules may send (dead_letter_queue_policy), and this key encrypts nothing else.
    """
    root = (
        pulumi.Output.concat("arn:aws:iam::", account_id, ":root")
        if isinstance(account_id, pulumi.Output)
        else f"arn:aws:iam::{account_id}:root"
    )
    return _document(
        {
            "Sid": "AccountAdministersKey",
            "Effect": "Allow",
            "Principal": {"AWS": root},
            "Action": "kms:*",
            "Resource": "*",
        },
        {
            "Sid": "EventBridgeEncryptsDeadLetters",
            "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"},
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
            "Resource": "*",
        },
    )


def config_role_trust(account_id: Text) -> Document:
    return _service_trust("config.amazonaws.com", account_id)


def config_delivery_policy(bucket: Text, account_id: Text, key_arn: Text) -> Document:
    """What the Config role needs beyond AWS_ConfigRole: writing history to the bucket, with the key."""
    return _document(
        {
            "Sid": "WriteConfigHistory",
            "Effect": "Allow",
            "Action": "s3:PutObject",
            "Resource": config_delivery_arn(bucket, account_id),
            "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}},
        },
        {
            "Sid": "ReadBucketAcl",
            "Effect": "Allow",
            "Action": "s3:GetBucketAcl",
            "Resource": bucket_arn(bucket),
        },
        {
            "Sid": "EncryptConfigHistory",
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
            "Resource": key_arn,
        },
    )


def evaluator_trust(account_id: Text) -> Document:
    return _service_trust("lambda.amazonaws.com", account_id)


def statements_by_resource(permissions: Iterable[Permission], account_id: str) -> list[dict[str, Any]]:
    """One Allow statement per resource pattern, its actions sorted and each listed once."""
    by_resource: dict[str, set[str]] = {}
    for permission in permissions:
        by_resource.setdefault(permission.resource.format(account=account_id), set()).add(permission.action)
    return [
        {"Effect": "Allow", "Action": sorted(actions), "Resource": resource}
        for resource, actions in by_resource.items()
    ]


def evaluator_policy(
    check: Check,
    account_id: str,
    log_group_arns: Sequence[str],
    member_role: tuple[str, str] | None = None,
) -> Document:
    """Exactly the catalogue's read actions for one check, Config reporting, and its own log groups.

    ``member_role`` (organization scope) is (role name, organization id): the evaluator may assume that
    role in the organization's accounts only.
    """
    statements = statements_by_resource((*check.read_permissions, *EVALUATOR_PERMISSIONS), account_id)
    statements.append(
        {
            "Sid": "WriteOwnLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": [f"{arn}:*" for arn in log_group_arns],
        }
    )
    if member_role is not None:
        role_name, organization_id = member_role
        statements.append(
            {
                "Sid": "AssumeMemberRole",
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Resource": f"arn:aws:iam::*:role/{role_name}",
                # aws:ResourceOrgID is the organization of the account owning the role (IAM User Guide,
                # global condition keys; aws-samples/data-perimeter-policy-examples,
                # service_control_policies/resource_perimeter_scp.json, bounds every action, role
                # assumption included, by it): a rule in an account outside the organization gets no
                # credentials, and the evaluator fails naming the account.
                "Condition": {"StringEquals": {"aws:ResourceOrgID": organization_id}},
            }
        )
    return _document(*statements)


# The managed-rule summary's reads (functions/managed_summary/summary.py). The Service Authorization
# Reference (AWS Config) scopes both to the ConfigurationAggregator resource type
# (arn:${Partition}:config:${Region}:${Account}:config-aggregator/${AggregatorId});
# tests/infra/test_iam_scoping.py checks the grant against it and against the function's calls.
MANAGED_SUMMARY_ACTIONS = (
    "config:DescribeAggregateComplianceByConfigRules",
    "config:GetAggregateComplianceDetailsByConfigRule",
)


def managed_summary_policy(aggregator_arn: Text, log_group_arn: str) -> Document:
    """Exactly the aggregator reads on the stack's aggregator, and writing its own log group."""
    return _document(
        {
            "Sid": "ReadAggregatedCompliance",
            "Effect": "Allow",
            "Action": list(MANAGED_SUMMARY_ACTIONS),
            "Resource": aggregator_arn,
        },
        {
            "Sid": "WriteOwnLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": f"{log_group_arn}:*",
        },
    )


def alert_forwarder_trust(account_id: Text) -> Document:
    return _service_trust("events.amazonaws.com", account_id)


def alert_forwarder_policy(primary_bus_arn: Text) -> Document:
    return _document(
        {
            "Sid": "ForwardToPrimaryBus",
            "Effect": "Allow",
            "Action": "events:PutEvents",
            "Resource": primary_bus_arn,
        }
    )


def alert_topic_policy(topic_arn: Text) -> Document:
    """EventBridge may publish, with no Condition; nothing may publish without TLS.

    EventBridge User Guide, "Using resource-based policies for Amazon EventBridge" > "Amazon SNS
    permissions" (eb-use-resource-based.html#eb-sns-permissions): "You can't use `Condition` blocks in
    Amazon SNS topic policies for EventBridge." Its example statement is exactly this one. A condition
    EventBridge does not satisfy would lose every alert (FailedInvocations, then the dead-letter queue);
    without one, a rule in another account that knows the topic's ARN could publish here too, which is
    spam bounded to this topic (docs/verify.md, "Who may publish to the alert topic"). The deny does not
    gate the allow: it refuses requests without TLS, whoever sends them.
    """
    return _document(
        {
            "Sid": "AlertRulePublishes",
            "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"},
            "Action": "sns:Publish",
            "Resource": topic_arn,
        },
        _deny_insecure_transport("sns:Publish", topic_arn),
    )


def dead_letter_queue_policy(queue_arn: Reference, rule_arns: Sequence[Text]) -> Document:
    """Only the region's alert-path rules may send undeliverable events here, and only over TLS.

    EventBridge User Guide, "Event retry policy and using dead-letter queues" (eb-rule-dlq.html): the DLQ
    needs a queue policy allowing events.amazonaws.com sqs:SendMessage, scoped by aws:SourceArn to the rule.
    """
    return _document(
        {
            "Sid": "AlertRulesSendDeadLetters",
            "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"},
            "Action": "sqs:SendMessage",
            "Resource": queue_arn,
            "Condition": {"ArnEquals": {"aws:SourceArn": list(rule_arns)}},
        },
        _deny_insecure_transport("sqs:*", queue_arn),
    )
