"""MemberAccounts: the member baseline in every account of the member OUs, through StackSets.

Service-managed StackSets with automatic deployment reach every account of the OUs, including accounts
that join later, and remove the stacks from accounts that leave (CloudFormation User Guide, "Enable or
disable automatic deployments for StackSets in AWS Organizations"). The templates come from
``components.member_baseline``; this component only deploys them.
"""

from __future__ import annotations

from dataclasses import dataclass

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
MAX_CONCURRENT_PERCENTAGE = 25
FAILURE_TOLERANCE_PERCENTAGE = 10


def call_as(settings: Settings) -> str:
    """CloudFormation's CallAs: SELF from the management account, DELEGATED_ADMIN from a delegated admin."""
    return "DELEGATED_ADMIN" if settings.delegated_administrator else "SELF"


@dataclass(frozen=True)
class _Deployed:
    stack_set: aws.cloudformation.StackSet
    instances: list[aws.cloudformation.StackSetInstance]


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
        targets = _targets(settings, hub)

        def deploy(
            part: str,
            template: dict[str, object],
            regions: list[str],
            depends_on_stack_sets: list[pulumi.Output[str]] | None = None,
            after: list[aws.cloudformation.StackSetInstance] | None = None,
        ) -> _Deployed:
            """A service-managed StackSet and one instance per region, each covering every account of the
            OUs."""
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
                operation_preferences=aws.cloudformation.StackSetOperationPreferencesArgs(
                    max_concurrent_percentage=MAX_CONCURRENT_PERCENTAGE,
                    failure_tolerance_percentage=FAILURE_TOLERANCE_PERCENTAGE,
                    region_concurrency_type="PARALLEL",
                ),
                template_body=template_body(template),
                parameters=parameters,
                opts=child,
            )
            after_roles = pulumi.ResourceOptions(depends_on=after or [])
            instance_opts = pulumi.ResourceOptions.merge(child, after_roles)
            instances = [
                aws.cloudformation.StackSetInstance(
                    f"{name}-{part}-{region}",
                    stack_set_name=stack_set.name,
                    stack_set_instance_region=region,
                    deployment_targets=targets,
                    call_as=call_as(settings),
                    operation_preferences=aws.cloudformation.StackSetInstanceOperationPreferencesArgs(
                        max_concurrent_percentage=MAX_CONCURRENT_PERCENTAGE,
                        failure_tolerance_percentage=FAILURE_TOLERANCE_PERCENTAGE,
                    ),
                    opts=instance_opts,
                )
                for region in regions
            ]
            return _Deployed(stack_set, instances)

        roles = deploy("roles", member_roles_template(settings, manage_recorders), [settings.primary_region])
        regional = deploy(
            "regional",
            member_regional_template(settings, manage_recorders),
            list(settings.regions),
            # Automatic deployment to a new account creates its roles before its recorder and rules.
            depends_on_stack_sets=[roles.stack_set.arn],
            after=roles.instances,
        )
        self.regional_instances = regional.instances
        self.stack_set_names = [roles.stack_set.name, regional.stack_set.name]
        self.register_outputs({"stackSetNames": self.stack_set_names})


def _targets(
    settings: Settings, hub: ComplianceHub
) -> aws.cloudformation.StackSetInstanceDeploymentTargetsArgs:
    """The member OUs, less the excluded accounts and, from a delegated administrator, the hub itself
    (StackSets never deploy to the management account; a delegated administrator may sit in an OU, and
    its own recorder and roles are the hub's)."""
    skipped: list[pulumi.Input[str]] = list(settings.excluded_accounts)
    if settings.delegated_administrator:
        skipped.append(hub.account_id)
    return aws.cloudformation.StackSetInstanceDeploymentTargetsArgs(
        organizational_unit_ids=list(settings.member_organizational_units),
        account_filter_type="DIFFERENCE" if skipped else None,
        accounts=skipped or None,
    )
