"""RegionalCompliance: AWS Config recording, the custom rules and alert forwarding in one region."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components import naming, policies
from components.alert_path import AlertPath, Delivery, dead_letter_key, deliver_alerts
from components.alerts import ALERT_KINDS, AlertKind
from components.catalog import CHECKS, Check, recorded_types_in_region
from components.conformance_pack_deployment import deploy_conformance_packs
from components.function_alarms import errors_alarm
from components.hub import ComplianceHub
from components.managed_rule_deployment import deploy_managed_rules
from components.members import MemberAccounts
from components.package import LAMBDA_RUNTIME
from components.provider import regional_provider
from components.settings import Settings

CHANGE_MESSAGE_TYPES = (
    "ConfigurationItemChangeNotification",
    "OversizedConfigurationItemChangeNotification",
)
# A scheduled run sweeps every in-scope resource of the region in one invocation: the longest timeout
# Lambda allows leaves room for thousands of resources and throttling back-off. The work is I/O-bound
# (paged describe calls, a few threads for per-resource calls), so 256 MB is ample.
LAMBDA_MEMORY_MB = 256
LAMBDA_TIMEOUT_SECONDS = 900


def function_environment(settings: Settings) -> dict[str, str]:
    variables = {"LOG_LEVEL": "INFO"}
    if settings.is_organization:
        # The role the evaluator assumes in an event's account when it is not the hub's own.
        variables["MEMBER_ROLE_NAME"] = naming.member_evaluation_role(settings.environment_suffix)
    return variables


@dataclass(frozen=True)
class RegionalComplianceArgs:
    region: str
    settings: Settings
    hub: ComplianceHub
    # The evaluator package (functions/), the same archive in every region.
    code: pulumi.Archive
    # Organization scope: the member baseline, in place before organization rules are created.
    members: MemberAccounts | None = None


@dataclass(frozen=True)
class DeployedCheck:
    rule_name: pulumi.Output[str]
    function_arn: pulumi.Output[str]


def recording_group(settings: Settings, region: str) -> aws.cfg.RecorderRecordingGroupArgs:
    if settings.record_all_resource_types:
        return aws.cfg.RecorderRecordingGroupArgs(
            all_supported=True,
            include_global_resource_types=region == settings.primary_region,
            recording_strategies=[
                aws.cfg.RecorderRecordingGroupRecordingStrategyArgs(use_only="ALL_SUPPORTED_RESOURCE_TYPES")
            ],
        )
    return aws.cfg.RecorderRecordingGroupArgs(
        all_supported=False,
        include_global_resource_types=False,
        resource_types=list(recorded_types_in_region(settings, region)),
        recording_strategies=[
            aws.cfg.RecorderRecordingGroupRecordingStrategyArgs(use_only="INCLUSION_BY_RESOURCE_TYPES")
        ],
    )


class RegionalCompliance(pulumi.ComponentResource):
    def __init__(
        self, name: str, args: RegionalComplianceArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("config-compliance:region:RegionalCompliance", name, None, opts)
        settings = args.settings
        self.provider = regional_provider(name, args.region, settings, parent=self)
        child = pulumi.ResourceOptions(parent=self, provider=self.provider)

        self.recorder_name: pulumi.Output[str] | None = None
        self.delivery_channel_name: pulumi.Output[str] | None = None
        recording_started: list[pulumi.Resource] = []
        if settings.manages_recorder(args.region):
            recording_started = [self._record(name, args, child)]

        self.checks = {
            check.name: self._deploy_check(name, check, args, recording_started, child) for check in CHECKS
        }
        member_baseline = list(args.members.regional_instances) if args.members is not None else []
        self.conformance_packs = deploy_conformance_packs(
            name, args.region, settings, args.hub, [*recording_started, *member_baseline], child
        )
        members_in_region = list(args.members.regional_instances) if args.members is not None else []
        self.managed_rules = deploy_managed_rules(
            name, args.region, settings, args.hub, [*recording_started, *members_in_region], child
        )
        if not settings.is_organization:
            # Config's guide: an individual-account aggregator collects from a source region only once that
            # region authorizes the aggregator's account and region, its own account included ("Authorizing
            # the Aggregator Account to Collect AWS Config Configuration and Compliance Data"); an
            # organization aggregator needs none.
            aws.cfg.AggregateAuthorization(
                f"{name}-aggregator-authorization",
                account_id=args.hub.account_id,
                authorized_aws_region=settings.primary_region,
                opts=child,
            )
        self.alert_path = (
            args.hub.alert_path
            if args.region == settings.primary_region
            else self._forward_alerts(name, args, child)
        )

        self.register_outputs(
            {
                "recorderName": self.recorder_name,
                "deliveryChannelName": self.delivery_channel_name,
                "ruleNames": {check: deployed.rule_name for check, deployed in self.checks.items()},
            }
        )

    def _record(
        self, name: str, args: RegionalComplianceArgs, child: pulumi.ResourceOptions
    ) -> pulumi.Resource:
        """Recorder → delivery channel → recorder status, the only order in which Config starts."""
        settings, hub = args.settings, args.hub
        suffix = settings.environment_suffix
        recorder = aws.cfg.Recorder(
            f"{name}-recorder",
            name=naming.recorder(suffix, args.region),
            role_arn=hub.config_role.arn,
            recording_group=recording_group(settings, args.region),
            recording_mode=aws.cfg.RecorderRecordingModeArgs(
                recording_frequency=settings.recording_frequency
            ),
            opts=pulumi.ResourceOptions.merge(
                child, pulumi.ResourceOptions(depends_on=hub.config_role_policies)
            ),
        )
        # Config tests delivery when the channel is created: the bucket and key policies and the role's
        # permissions must already be in place, though no input of the channel refers to them.
        channel = aws.cfg.DeliveryChannel(
            f"{name}-delivery",
            name=naming.delivery_channel(suffix, args.region),
            s3_bucket_name=hub.bucket.bucket,
            s3_key_prefix=policies.CONFIG_KEY_PREFIX,
            s3_kms_key_arn=hub.key.arn,
            snapshot_delivery_properties=aws.cfg.DeliveryChannelSnapshotDeliveryPropertiesArgs(
                delivery_frequency=settings.snapshot_delivery_frequency
            ),
            opts=pulumi.ResourceOptions.merge(
                child,
                pulumi.ResourceOptions(
                    depends_on=[recorder, hub.bucket_policy, hub.key, *hub.config_role_policies]
                ),
            ),
        )
        status = aws.cfg.RecorderStatus(
            f"{name}-recorder-status",
            name=recorder.name,
            is_enabled=True,
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[channel])),
        )
        self.recorder_name = recorder.name
        self.delivery_channel_name = channel.name
        return status

    def _deploy_check(
        self,
        name: str,
        check: Check,
        args: RegionalComplianceArgs,
        recording_started: list[pulumi.Resource],
        child: pulumi.ResourceOptions,
    ) -> DeployedCheck:
        settings, hub = args.settings, args.hub
        suffix = settings.environment_suffix
        function_name = naming.function(check.name, suffix, args.region)
        role = hub.evaluator_roles[check.name]

        log_group_name = f"/aws/lambda/{function_name}"
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-{check.name}-logs",
            name=log_group_name,
            retention_in_days=settings.log_retention_days,
            opts=child,
        )
        function = aws.lambda_.Function(
            f"{name}-{check.name}-function",
            name=function_name,
            description=check.description,
            role=role.arn,
            runtime=LAMBDA_RUNTIME,
            architectures=["arm64"],
            handler=check.handler,
            code=args.code,
            memory_size=LAMBDA_MEMORY_MB,
            timeout=LAMBDA_TIMEOUT_SECONDS,
            environment=aws.lambda_.FunctionEnvironmentArgs(variables=function_environment(settings)),
            opts=pulumi.ResourceOptions.merge(
                child, pulumi.ResourceOptions(depends_on=[log_group, role.policy])
            ),
        )
        # A failing evaluator leaves its rule's results stale: its alarm state change is alerted on.
        errors_alarm(
            f"{name}-{check.name}-errors",
            naming.errors_alarm(check.name, suffix, args.region),
            f"The {check.name} compliance evaluator failed; see {log_group_name}",
            function.name,
            child,
        )
        # Config checks this permission when the rule is created; the rule does not exist yet, so no
        # source_arn: the account is the condition. In organization scope every member account's Config
        # invokes the function, from accounts that may join later: no source condition can list them
        # (awslabs/aws-config-rdk#488), so the function's own guard is the member role it must assume,
        # which the evaluator role may assume only inside the organization (policies.evaluator_policy).
        permission = aws.lambda_.Permission(
            f"{name}-{check.name}-permission",
            action="lambda:InvokeFunction",
            function=function.name,
            principal="config.amazonaws.com",
            source_account=None if settings.is_organization else hub.account_id,
            statement_id="AllowConfigInvoke",
            opts=child,
        )
        after: list[pulumi.Resource] = [permission, *recording_started]
        if args.members is not None:
            after += args.members.regional_instances
            return self._organization_rule(name, check, args, function, after)
        frequency = settings.evaluation_frequency
        rule = aws.cfg.Rule(
            f"{name}-{check.name}-rule",
            name=naming.config_rule(check.name, suffix, args.region),
            description=check.description,
            input_parameters=json.dumps(check.parameters(settings)),
            scope=aws.cfg.RuleScopeArgs(compliance_resource_types=list(check.resource_types)),
            source=aws.cfg.RuleSourceArgs(
                owner="CUSTOM_LAMBDA",
                source_identifier=function.arn,
                source_details=[
                    *(
                        aws.cfg.RuleSourceSourceDetailArgs(event_source="aws.config", message_type=message)
                        for message in CHANGE_MESSAGE_TYPES
                    ),
                    aws.cfg.RuleSourceSourceDetailArgs(
                        event_source="aws.config",
                        message_type="ScheduledNotification",
                        maximum_execution_frequency=frequency,
                    ),
                ],
            ),
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=after)),
        )
        return DeployedCheck(rule_name=rule.name, function_arn=function.arn)

    def _organization_rule(
        self,
        name: str,
        check: Check,
        args: RegionalComplianceArgs,
        function: aws.lambda_.Function,
        after: list[pulumi.Resource],
    ) -> DeployedCheck:
        """The same rule in every account of the organization but the excluded ones (Config API Reference,
        PutOrganizationConfigRule); each account's Config invokes this region's function. Every member
        account needs a recorder before the rule can be created there, hence ``after``."""
        settings = args.settings
        rule = aws.cfg.OrganizationCustomRule(
            f"{name}-{check.name}-organization-rule",
            name=naming.config_rule(check.name, settings.environment_suffix, args.region),
            description=check.description,
            lambda_function_arn=function.arn,
            # OrganizationConfigRuleTriggerType (Config API Reference; botocore's config model): the same
            # message types as an account rule's source details.
            trigger_types=[*CHANGE_MESSAGE_TYPES, "ScheduledNotification"],
            maximum_execution_frequency=settings.evaluation_frequency,
            resource_types_scopes=list(check.resource_types),
            input_parameters=json.dumps(check.parameters(settings)),
            excluded_accounts=args.hub.rule_excluded_accounts.apply(lambda accounts: accounts or None),
            opts=pulumi.ResourceOptions(parent=self, provider=self.provider, depends_on=after),
        )
        return DeployedCheck(rule_name=rule.name, function_arn=function.arn)

    def _forward_alerts(
        self, name: str, args: RegionalComplianceArgs, child: pulumi.ResourceOptions
    ) -> AlertPath:
        """Sends this region's alert events to the primary region's bus, where the hub alerts."""
        suffix = args.settings.environment_suffix
        rules = {
            kind: aws.cloudwatch.EventRule(
                f"{name}-{kind.name}-forward",
                name=naming.forward_rule(kind.name, suffix, args.region),
                description=f"{kind.description} in {args.region}, to the primary region's event bus",
                event_pattern=kind.event_pattern(
                    kind.names_in_region(suffix, args.region, args.settings.is_organization)
                ),
                opts=child,
            )
            for kind in ALERT_KINDS
        }

        def to_primary_bus(
            kind: AlertKind,
            rule: aws.cloudwatch.EventRule,
            delivery: Delivery,
            opts: pulumi.ResourceOptions,
        ) -> None:
            aws.cloudwatch.EventTarget(
                f"{name}-{kind.name}-forward-target",
                rule=rule.name,
                arn=args.hub.primary_bus_arn,
                role_arn=args.hub.alert_forwarder_role_arn,
                target_id="primary-event-bus",
                retry_policy=delivery.retry_policy,
                dead_letter_config=delivery.dead_letter_config,
                opts=opts,
            )

        key = (
            dead_letter_key(name, suffix, args.region, args.hub.account_id, child)
            if args.settings.require_kms
            else None
        )
        return deliver_alerts(
            name, suffix, args.region, rules, to_primary_bus, child, to_event_bus=True, key=key
        )
