"""ComplianceHub: what exists once per stack, in the primary region.

The KMS key and archive bucket every region delivers to, the IAM roles (IAM is global), the alert
topic and the rules that feed it, and the aggregator over every configured region.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components import naming, policies
from components.alert_path import AlertPath, Delivery, deliver_alerts
from components.alerts import ALERT_KINDS, AlertKind
from components.buckets import keep_private
from components.catalog import CHECKS, Check
from components.dashboard import compliance_dashboard
from components.managed_rule_summary import deploy_managed_rule_summary
from components.provider import regional_provider
from components.rule_scope import rule_excluded_accounts
from components.settings import ARCHIVE_TRANSITION_DAYS, Settings

ORGANIZATION_AGGREGATOR_POLICY_ARN = "arn:aws:iam::aws:policy/service-role/AWSConfigRoleForOrganizations"
TOPIC_DISPLAY_NAME = "Config Compliance Alerts"
NONCURRENT_VERSION_DAYS = 30
INCOMPLETE_UPLOAD_DAYS = 7


def log_group_arns(check: str, settings: Settings, account_id: str) -> list[str]:
    return [
        f"arn:aws:logs:{region}:{account_id}:log-group:/aws/lambda/"
        f"{naming.function(check, settings.environment_suffix, region)}"
        for region in settings.regions
    ]


@dataclass(frozen=True)
class EvaluatorRole:
    arn: pulumi.Output[str]
    policy: aws.iam.RolePolicy


class ComplianceHub(pulumi.ComponentResource):
    def __init__(self, name: str, settings: Settings, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("config-compliance:hub:ComplianceHub", name, None, opts)
        suffix = settings.environment_suffix
        self.provider = regional_provider(name, settings.primary_region, settings, parent=self)
        child = pulumi.ResourceOptions(parent=self, provider=self.provider)
        # With protectData the key and bucket survive `pulumi destroy`; without it, destroy empties and
        # deletes them.
        data = pulumi.ResourceOptions.merge(
            child,
            pulumi.ResourceOptions(protect=settings.protect_data, retain_on_delete=settings.protect_data),
        )
        self.account_id = aws.get_caller_identity_output(
            opts=pulumi.InvokeOutputOptions(parent=self, provider=self.provider)
        ).account_id
        # Organization scope: the organization every member account belongs to (DescribeOrganization works
        # from the management account and from a delegated administrator alike).
        self.organization_id: pulumi.Output[str] | None = None
        # The accounts the organization rules skip (components/rule_scope.py), read from AWS Organizations
        # at every deployment; they feed only the rules' excluded_accounts, which updates in place.
        self.rule_excluded_accounts: pulumi.Output[list[str]] = pulumi.Output.from_input([])
        if settings.is_organization:
            read = pulumi.InvokeOutputOptions(parent=self, provider=self.provider)
            organization = aws.organizations.get_organization_output(opts=read)
            self.organization_id = organization.id
            self.rule_excluded_accounts = _rule_excluded_accounts(
                settings, organization, self.account_id, read
            )
        # With member recorders, their Config roles deliver to the bucket with the key.
        members = (
            (self.organization_id, naming.config_role(suffix))
            if self.organization_id is not None and settings.manage_member_recorders
            else None
        )

        self.key = aws.kms.Key(
            f"{name}-key",
            description=f"Encrypts AWS Config history and compliance alerts ({suffix})",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=pulumi.Output.json_dumps(policies.archive_key_policy(self.account_id, members)),
            opts=data,
        )
        aws.kms.Alias(
            f"{name}-key-alias", name=naming.key_alias(suffix), target_key_id=self.key.key_id, opts=child
        )

        self.bucket = aws.s3.Bucket(
            f"{name}-archive",
            bucket=self.account_id.apply(lambda account: naming.bucket(suffix, account)),
            force_destroy=not settings.protect_data,
            opts=data,
        )
        self.bucket_policy = self._harden_bucket(name, settings, members, child)

        self.config_role = aws.iam.Role(
            f"{name}-config-role",
            name=naming.config_role(suffix),
            assume_role_policy=pulumi.Output.json_dumps(policies.config_role_trust(self.account_id)),
            opts=child,
        )
        self.config_role_policies = [
            aws.iam.RolePolicyAttachment(
                f"{name}-config-role-service",
                role=self.config_role.name,
                policy_arn=policies.CONFIG_SERVICE_POLICY_ARN,
                opts=child,
            ),
            aws.iam.RolePolicy(
                f"{name}-config-role-delivery",
                role=self.config_role.name,
                policy=pulumi.Output.json_dumps(
                    policies.config_delivery_policy(self.bucket.bucket, self.account_id, self.key.arn)
                ),
                opts=child,
            ),
        ]

        self.evaluator_roles = {
            check.name: self._evaluator_role(name, check, settings, child) for check in CHECKS
        }
        self.primary_bus_arn = self.account_id.apply(
            lambda account: policies.default_bus_arn(settings.primary_region, account)
        )
        self.alert_forwarder_role_arn = self._alert_forwarder_role(name, settings, child)

        self.topic = aws.sns.Topic(
            f"{name}-alerts",
            name=naming.topic(suffix),
            display_name=TOPIC_DISPLAY_NAME,
            kms_master_key_id=self.key.arn,
            opts=child,
        )
        for email in settings.notification_emails:
            # Named by address, so reordering the list replaces no subscription.
            aws.sns.TopicSubscription(
                f"{name}-alerts-{email}", topic=self.topic.arn, protocol="email", endpoint=email, opts=child
            )
        self.alert_path = self._route_alerts(name, settings, child)
        self.bus_policy = self._admit_organization_events(name, suffix, child)
        self.dashboard = compliance_dashboard(name, settings, parent=self, provider=self.provider)

        self.aggregator = self._aggregate(name, settings, child)
        self.managed_rule_summary = deploy_managed_rule_summary(
            name, settings, self.account_id, self.aggregator, child
        )
        self.register_outputs(
            {
                "bucketName": self.bucket.bucket,
                "kmsKeyArn": self.key.arn,
                "topicArn": self.topic.arn,
                "aggregatorArn": self.aggregator.arn,
            }
        )

    def _aggregate(
        self, name: str, settings: Settings, child: pulumi.ResourceOptions
    ) -> aws.cfg.ConfigurationAggregator:
        """Every configured region of this account, or of every account of the organization."""
        if self.organization_id is None:
            return aws.cfg.ConfigurationAggregator(
                f"{name}-aggregator",
                name=naming.aggregator(settings.environment_suffix),
                account_aggregation_source=aws.cfg.ConfigurationAggregatorAccountAggregationSourceArgs(
                    account_ids=[self.account_id], regions=list(settings.regions)
                ),
                opts=child,
            )
        # Config Developer Guide, "Setting Up an Aggregator Using the AWS CLI" (organization): the
        # aggregator assumes a role that has AWSConfigRoleForOrganizations; no authorizations needed.
        role = aws.iam.Role(
            f"{name}-aggregator-role",
            name=naming.organization_aggregator_role(settings.environment_suffix),
            assume_role_policy=pulumi.Output.json_dumps(policies.config_role_trust(self.account_id)),
            opts=child,
        )
        attachment = aws.iam.RolePolicyAttachment(
            f"{name}-aggregator-role-policy",
            role=role.name,
            policy_arn=ORGANIZATION_AGGREGATOR_POLICY_ARN,
            opts=child,
        )
        return aws.cfg.ConfigurationAggregator(
            f"{name}-aggregator",
            name=naming.aggregator(settings.environment_suffix),
            organization_aggregation_source=aws.cfg.ConfigurationAggregatorOrganizationAggregationSourceArgs(
                role_arn=role.arn, regions=list(settings.regions)
            ),
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[attachment])),
        )

    def _harden_bucket(
        self,
        name: str,
        settings: Settings,
        members: tuple[pulumi.Output[str], str] | None,
        child: pulumi.ResourceOptions,
    ) -> aws.s3.BucketPolicy:
        bucket = self.bucket.id
        public_access = keep_private(f"{name}-archive", bucket, child)
        versioning = aws.s3.BucketVersioning(
            f"{name}-archive-versioning",
            bucket=bucket,
            versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
            opts=child,
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-archive-encryption",
            bucket=bucket,
            rules=[
                aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                    apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                        sse_algorithm="aws:kms", kms_master_key_id=self.key.arn
                    ),
                    bucket_key_enabled=True,
                )
            ],
            opts=child,
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-archive-lifecycle",
            bucket=bucket,
            rules=[
                aws.s3.BucketLifecycleConfigurationRuleArgs(
                    id="archive-config-history",
                    status="Enabled",
                    filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(
                        prefix=f"{policies.CONFIG_KEY_PREFIX}/"
                    ),
                    transitions=[
                        aws.s3.BucketLifecycleConfigurationRuleTransitionArgs(
                            days=ARCHIVE_TRANSITION_DAYS, storage_class="GLACIER_IR"
                        )
                    ],
                    expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(
                        days=settings.archive_retention_days
                    ),
                    noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                        noncurrent_days=NONCURRENT_VERSION_DAYS
                    ),
                    abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                        days_after_initiation=INCOMPLETE_UPLOAD_DAYS
                    ),
                )
            ],
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[versioning])),
        )
        return aws.s3.BucketPolicy(
            f"{name}-archive-policy",
            bucket=bucket,
            policy=pulumi.Output.json_dumps(
                policies.archive_bucket_policy(self.bucket.bucket, self.account_id, members)
            ),
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[public_access])),
        )

    def _evaluator_role(
        self, name: str, check: Check, settings: Settings, child: pulumi.ResourceOptions
    ) -> EvaluatorRole:
        role = aws.iam.Role(
            f"{name}-{check.name}-role",
            name=naming.evaluator_role(check.name, settings.environment_suffix),
            assume_role_policy=pulumi.Output.json_dumps(policies.evaluator_trust(self.account_id)),
            opts=child,
        )
        policy = aws.iam.RolePolicy(
            f"{name}-{check.name}-role-policy",
            role=role.name,
            policy=pulumi.Output.all(self.account_id, self.organization_id).apply(
                lambda ids: json.dumps(
                    policies.evaluator_policy(
                        check,
                        ids[0],
                        log_group_arns(check.name, settings, ids[0]),
                        (naming.member_evaluation_role(settings.environment_suffix), ids[1])
                        if settings.is_organization
                        else None,
                    )
                )
            ),
            opts=child,
        )
        return EvaluatorRole(arn=role.arn, policy=policy)

    def _alert_forwarder_role(
        self, name: str, settings: Settings, child: pulumi.ResourceOptions
    ) -> pulumi.Output[str] | None:
        """The role other regions' forwarding rules use to put events on the primary bus (if any)."""
        if len(settings.regions) == 1:
            return None
        role = aws.iam.Role(
            f"{name}-alert-forwarder-role",
            name=naming.alert_forwarder_role(settings.environment_suffix),
            assume_role_policy=pulumi.Output.json_dumps(policies.alert_forwarder_trust(self.account_id)),
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-alert-forwarder-policy",
            role=role.name,
            policy=pulumi.Output.json_dumps(policies.alert_forwarder_policy(self.primary_bus_arn)),
            opts=child,
        )
        return role.arn

    def _admit_organization_events(
        self, name: str, suffix: str, child: pulumi.ResourceOptions
    ) -> aws.cloudwatch.EventPermission | None:
        """In organization scope, the primary bus accepts the members' forwarded alerts, from the
        organization only. One statement of the default bus's policy (EventBridge API Reference,
        PutPermission: Principal "*" with the aws:PrincipalOrgID condition), so statements other tools
        added there stay."""
        if self.organization_id is None:
            return None
        return aws.cloudwatch.EventPermission(
            f"{name}-organization-bus-permission",
            event_bus_name="default",
            statement_id=f"config-compliance-{suffix}-organization",
            principal="*",
            action="events:PutEvents",
            condition=aws.cloudwatch.EventPermissionConditionArgs(
                key="aws:PrincipalOrgID", type="StringEquals", value=self.organization_id
            ),
            opts=child,
        )

    def _route_alerts(self, name: str, settings: Settings, child: pulumi.ResourceOptions) -> AlertPath:
        """On the primary bus, one rule per alert kind sends the stack's events from every region to SNS."""
        suffix = settings.environment_suffix
        rules = {
            kind: aws.cloudwatch.EventRule(
                f"{name}-{kind.name}-alert-rule",
                name=naming.alert_rule(kind.name, suffix),
                description=f"{kind.description}, from every region, to the alert topic",
                event_pattern=kind.event_pattern(
                    kind.names_in_hub(suffix, settings.is_organization, bool(settings.managed_rules))
                ),
                opts=child,
            )
            for kind in ALERT_KINDS
        }
        topic_policy = aws.sns.TopicPolicy(
            f"{name}-alerts-policy",
            arn=self.topic.arn,
            policy=pulumi.Output.json_dumps(policies.alert_topic_policy(self.topic.arn)),
            opts=child,
        )

        def to_topic(
            kind: AlertKind,
            rule: aws.cloudwatch.EventRule,
            delivery: Delivery,
            opts: pulumi.ResourceOptions,
        ) -> None:
            aws.cloudwatch.EventTarget(
                f"{name}-{kind.name}-alert-target",
                rule=rule.name,
                arn=self.topic.arn,
                target_id="alert-topic",
                input_transformer=aws.cloudwatch.EventTargetInputTransformerArgs(
                    input_paths=kind.input_paths, input_template=kind.template
                ),
                retry_policy=delivery.retry_policy,
                dead_letter_config=delivery.dead_letter_config,
                opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[topic_policy])),
            )

        # requireKms: the archive key, in this region, already lets EventBridge encrypt with it.
        return deliver_alerts(
            name,
            suffix,
            settings.primary_region,
            rules,
            to_topic,
            child,
            to_event_bus=False,
            key=self.key if settings.require_kms else None,
        )


def _rule_excluded_accounts(
    settings: Settings,
    organization: pulumi.Output[aws.organizations.GetOrganizationResult],
    hub_account: pulumi.Output[str],
    read: pulumi.InvokeOutputOptions,
) -> pulumi.Output[list[str]]:
    """Every account of the organization (get_organization: DescribeOrganization, ListAccounts and more)
    and of each member OU with the OUs below it (get_organizational_unit_descendant_accounts:
    ListAccountsForParent and ListOrganizationalUnitsForParent, recursively; terraform-provider-aws,
    internal/service/organizations/organizational_unit_descendant_accounts_data_source.go). AWS
    Organizations answers these from the management account or a delegated administrator (AWS Organizations
    API Reference, ListAccounts)."""
    units = list(settings.member_organizational_units)
    descendants = aws.organizations.get_organizational_unit_descendant_accounts_output
    unit_accounts = [descendants(parent_id=unit, opts=read).accounts for unit in units]
    delegated = settings.delegated_administrator

    def excluded(found: list[Any]) -> list[str]:
        organization_accounts, management, hub, *per_unit = found
        return rule_excluded_accounts(
            organization_accounts=[_account_id(account) for account in organization_accounts],
            unit_accounts={
                unit: [_account_id(account) for account in accounts]
                for unit, accounts in zip(units, per_unit, strict=True)
            },
            excluded_accounts=list(settings.excluded_accounts),
            hub_account=hub,
            management_account=management if delegated else None,
        )

    return pulumi.Output.all(
        organization.accounts, organization.master_account_id, hub_account, *unit_accounts
    ).apply(excluded)


def _account_id(account: Any) -> str:
    """An account of an invoke's result list: the SDK (pulumi 3.272) hands the nested results of an
    output-form invoke over as mappings, not as the generated result classes."""
    return str(account["id"] if isinstance(account, Mapping) else account.id)
