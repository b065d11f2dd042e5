"""MemberAccounts: the member baseline in every account of the member OUs, through StackSets.

Service-managed StackSets with automatic deployment reach every account of the OUs, including accounts
that join later, and remove the stacks from accounts that leave (CloudFormation User Guide, "Enable or
disable automatic deployments for StackSets in AWS Organizations"). The templates come from
``components.member_baseline``; this component only deploys them.

Replacement is deletion. In the provider (hashicorp/terraform-provider-aws,
internal/service/cloudformation/stack_set_instance.go, which pulumi-aws bridges) a stack instance's
``deployment_targets`` (each of its fields), ``region``, ``stack_set_name`` and ``account_id`` are ForceNew,
and its delete calls DeleteStackInstances with the instance's deployment targets and ``RetainStacks`` false.
Pulumi replaces create-before-delete, so a replaced instance deletes the stacks its replacement just
claimed. Hence one instance per member OU and region, whose targets hold only that OU and no account
filter, named after the OU and region: adding an OU or region adds instances, removing one removes only
its own, and nothing else a settings edit changes reaches a ForceNew input. Excluded accounts and the hub
are skipped inside the templates (``member_baseline``), so editing them changes the StackSet's template,
which UpdateStackSet applies to every instance in place. ``aws.cloudformation.StackInstances`` was not
chosen: it would hold every OU in one resource, and its update (stack_instances.go) deletes and creates
stack instances by set differences of its inputs, so its correctness on an edit rests on that diff code
rather than on resources that are only ever added or removed.

The provider's instance update sends the instance's OU ids as account ids (terraform-provider-aws issues
#40675, #39393), and it runs only when ``operation_preferences`` or ``parameter_overrides`` change: the
instances ignore changes to ``operation_preferences`` and set no overrides, so that update never runs. The
rollout preferences reach the operations that run: the instance's at its creation (CreateStackInstances),
the StackSet's on every template or parameter change (UpdateStackSet). Automatic deployment to an account
that joins takes no preferences (the API's AutoDeployment has none).
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

# Roll out to a quarter of the accounts at a time and stop when more than a tenth fail: a broken template
# stops early instead of failing everywhere (CloudFormation API Reference, StackSetOperationPreferences).
# With the default STRICT_FAILURE_TOLERANCE the concurrency is at most the failure tolerance plus one, not
# the quarter; SOFT_FAILURE_TOLERANCE runs at MaxConcurrentPercentage whatever fails (same page,
# ConcurrencyMode). pulumi-aws takes a concurrency mode for a stack instance (its creation) but not for
# the StackSet (its updates), whose operations therefore run strict.
MAX_CONCURRENT_PERCENTAGE = 25
FAILURE_TOLERANCE_PERCENTAGE = 10
CONCURRENCY_MODE = "SOFT_FAILURE_TOLERANCE"
# The provider's instance update is broken (module docstring); the instances' preferences apply at creation.
INSTANCE_IGNORED_CHANGES = ["operationPreferences"]


def call_as(settings: Settings) -> str:
    """CloudFormation's CallAs: SELF from the management account, DELEGATED_ADMIN from a delegated admin."""
    return "DELEGATED_ADMIN" if settings.delegated_administrator else "SELF"


@dataclass(frozen=True)
class MemberTemplate:
    description: str
    body: str


@dataclass(frozen=True)
class MemberTemplates:
    roles: MemberTemplate
    regional: MemberTemplate


def member_templates(settings: Settings) -> MemberTemplates:
    """Both templates, built from the settings alone: the program builds them before any resource, so a
    template too large for a StackSet is refused before anything is deployed."""
    manage_recorders = settings.manage_member_recorders

    def built(template: dict[str, object]) -> MemberTemplate:
        try:
            body = template_body(template)
        except ValueError as error:
            raise pulumi.RunError(
                f"{error}: list fewer excludedAccounts (each adds a condition to the member templates; an "
                "OU outside memberOrganizationalUnits keeps accounts out without one) or fewer "
                "extraResourceTypes"
            ) from None
        return MemberTemplate(str(template["Description"]), body)

    return MemberTemplates(
        roles=built(member_roles_template(settings, manage_recorders)),
        regional=built(member_regional_template(settings, manage_recorders)),
    )


@dataclass(frozen=True)
class _Deployed:
    stack_set: aws.cloudformation.StackSet
    # Per member OU, its instances (one per region).
    instances: dict[str, list[aws.cloudformation.StackSetInstance]]


class MemberAccounts(pulumi.ComponentResource):
    def __init__(
        self,
        name: str,
        settings: Settings,
        hub: ComplianceHub,
        templates: MemberTemplates,
        opts: pulumi.ResourceOptions | None = None,
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
        units = list(settings.member_organizational_units)

        def deploy(
            part: str,
            template: MemberTemplate,
            regions: list[str],
            depends_on_stack_sets: list[pulumi.Output[str]] | None = None,
            after: dict[str, list[aws.cloudformation.StackSetInstance]] | None = None,
        ) -> _Deployed:
            """A service-managed StackSet and one instance per member OU and region."""
            stack_set = aws.cloudformation.StackSet(
                f"{name}-{part}",
                name=naming.member_stack_set(part, settings.environment_suffix),
                description=template.description,
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
                # No concurrency_mode here: pulumi-aws (7.51) has none for a StackSet, so its updates run
                # STRICT_FAILURE_TOLERANCE (a tenth of the accounts plus one at a time, see above).
                operation_preferences=aws.cloudformation.StackSetOperationPreferencesArgs(
                    max_concurrent_percentage=MAX_CONCURRENT_PERCENTAGE,
                    failure_tolerance_percentage=FAILURE_TOLERANCE_PERCENTAGE,
                    region_concurrency_type="PARALLEL",
                ),
                template_body=template.body,
                parameters=parameters,
                opts=child,
            )
            instances: dict[str, list[aws.cloudformation.StackSetInstance]] = {}
            for unit in units:
                waits = pulumi.ResourceOptions(
                    depends_on=(after or {}).get(unit, []), ignore_changes=INSTANCE_IGNORED_CHANGES
                )
                instances[unit] = [
                    aws.cloudformation.StackSetInstance(
                        f"{name}-{part}-{unit}-{region}",
                        stack_set_name=stack_set.name,
                        stack_set_instance_region=region,
                        deployment_targets=aws.cloudformation.StackSetInstanceDeploymentTargetsArgs(
                            organizational_unit_ids=[unit]
                        ),
                        call_as=call_as(settings),
                        operation_preferences=aws.cloudformation.StackSetInstanceOperationPreferencesArgs(
                            concurrency_mode=CONCURRENCY_MODE,
                            max_concurrent_percentage=MAX_CONCURRENT_PERCENTAGE,
                            failure_tolerance_percentage=FAILURE_TOLERANCE_PERCENTAGE,
                        ),
                        opts=pulumi.ResourceOptions.merge(child, waits),
                    )
                    for region in regions
                ]
            return _Deployed(stack_set, instances)

        roles = deploy("roles", templates.roles, [settings.primary_region])
        regional = deploy(
            "regional",
            templates.regional,
            list(settings.regions),
            # Automatic deployment to a new account creates its roles before its recorder and rules.
            depends_on_stack_sets=[roles.stack_set.arn],
            # And this program creates an OU's roles stacks before its regional ones.
            after=roles.instances,
        )
        self.regional_instances = [instance for unit in units for instance in regional.instances[unit]]
        self.stack_set_names = [roles.stack_set.name, regional.stack_set.name]
        self.register_outputs({"stackSetNames": self.stack_set_names})
