"""MemberAccounts: the member baseline in every account of the member OUs, through StackSets.

Service-managed StackSets with automatic deployment reach every account of the OUs, including accounts
that join later, and remove the stacks from accounts that leave (CloudFormation User Guide, "Enable or
disable automatic deployments for StackSets in AWS Organizations"). The templates come from
``components.member_baseline``; this component only deploys them.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from components import naming
from components.hub import ComplianceHub
from components.member_baseline import (
    member_regional_template,
    member_roles_template,
    template_body,
    template_parameters,
)
from components.settings import Settings

# Roll out to a quarter of the accounts at a time and stop when a tenth fail: a broken template stops
# early instead of failing everywhere (CloudFormation API Reference, StackSetOperationPreferences).
OPERATION_PREFERENCES = aws.cloudformation.StackSetOperationPreferencesArgs(
    max_concurrent_percentage=25, failure_tolerance_percentage=10, region_concurrency_type="PARALLEL"
)


def call_as(settings: Settings) -> str:
    """CloudFormation's CallAs: SELF from the management account, DELEGATED_ADMIN from a delegated admin."""
    return "DELEGATED_ADMIN" if settings.delegated_administrator else "SELF"


class MemberAccounts(pulumi.ComponentResource):
    def __init__(
        self, name: str, settings: Settings, hub: ComplianceHub, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("config-compliance:members:MemberAccounts", name, None, opts)
        manage_recorders = settings.manage_member_recorders
        # Members reach into the hub: its policies must admit them before any member stack is created.
        hub_grants: list[pulumi.Resource] = [
            hub.bucket_policy,
            hub.key,
            *(role.policy for role in hub.evaluator_roles.values()),
            *([hub.bus_policy] if hub.bus_policy is not None else []),
        ]
        child = pulumi.ResourceOptions(parent=self, provider=hub.provider, depends_on=hub_grants)
        parameters = template_parameters(hub.account_id, hub.bucket.bucket, hub.key.arn, manage_recorders)
        targets = self._targets(settings, hub)

        self.stack_sets: list[aws.cloudformation.StackSet] = []
        roles = self._stack_set(
            name, "roles", member_roles_template(settings, manage_recorders), parameters, settings, child
        )
        roles_instance = self._instances(name, roles, [settings.primary_region], targets, settings, child)
        regional = self._stack_set(
            name,
            "regional",
            member_regional_template(settings, manage_recorders),
            parameters,
            settings,
            child,
            # Automatic deployment to a new account creates its roles before its recorder and rules.
            depends_on_stack_sets=[roles.arn],
        )
        self.regional_instances = self._instances(
            name,
            regional,
            list(settings.regions),
            targets,
            settings,
            pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=roles_instance)),
        )
        self.stack_set_names = [stack_set.name for stack_set in self.stack_sets]
        self.register_outputs({"stackSetNames": self.stack_set_names})

    @staticmethod
    def _targets(
        settings: Settings, hub: ComplianceHub
    ) -> aws.cloudformation.StackSetInstanceDeploymentTargetsArgs:
        """The member OUs, less the excluded accounts and, from a delegated administrator, the hub itself
        (StackSets never deploy to the management account; a delegated administrator may sit in an OU,
        and its own recorder and roles are the hub's)."""
        skipped: list[pulumi.Input[str]] = list(settings.excluded_accounts)
        if settings.delegated_administrator:
            skipped.append(hub.account_id)
        return aws.cloudformation.StackSetInstanceDeploymentTargetsArgs(
            organizational_unit_ids=list(settings.member_organizational_units),
            account_filter_type="DIFFERENCE" if skipped else None,
            accounts=skipped or None,
        )

    def _stack_set(
        self,
        name: str,
        part: str,
        template: dict[str, object],
        parameters: dict[str, pulumi.Input[str]],
        settings: Settings,
        child: pulumi.ResourceOptions,
        depends_on_stack_sets: list[pulumi.Output[str]] | None = None,
    ) -> aws.cloudformation.StackSet:
        stack_set = aws.cloudformation.StackSet(
            f"{name}-{part}",
            name=naming.member_stack_set(part, settings.environment_suffix),
            description=str(template["Description"]),
            permission_model="SERVICE_MANAGED",
            call_as=call_as(settings),
            auto_deployment=aws.cloudformation.StackSetAutoDeploymentArgs(
                enabled=True,
                retain_stacks_on_account_removal=False,
                depends_on_stack_sets=depends_on_stack_sets,
            ),
            # Roles have fixed names: CAPABILITY_NAMED_IAM (CloudFormation API Reference, CreateStackSet).
            capabilities=["CAPABILITY_NAMED_IAM"],
            managed_execution=aws.cloudformation.StackSetManagedExecutionArgs(active=True),
            operation_preferences=OPERATION_PREFERENCES,
            template_body=template_body(template),
            parameters=parameters,
            opts=child,
        )
        self.stack_sets.append(stack_set)
        return stack_set

    @staticmethod
    def _instances(
        name: str,
        stack_set: aws.cloudformation.StackSet,
        regions: list[str],
        targets: aws.cloudformation.StackSetInstanceDeploymentTargetsArgs,
        settings: Settings,
        child: pulumi.ResourceOptions,
    ) -> list[aws.cloudformation.StackSetInstance]:
        """One instance per region, each covering every account of the OUs."""
        return [
            aws.cloudformation.StackSetInstance(
                f"{stack_set._name}-{region}",
                stack_set_name=stack_set.name,
                stack_set_instance_region=region,
                deployment_targets=targets,
                call_as=call_as(settings),
                operation_preferences=aws.cloudformation.StackSetInstanceOperationPreferencesArgs(
                    max_concurrent_percentage=25, failure_tolerance_percentage=10
                ),
                opts=child,
            )
            for region in regions
        ]
