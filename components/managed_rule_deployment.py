"""The ``managedRules`` of one region: an AWS-owned Config rule each, or an organization managed rule.

As the custom rules (components/region.py), each is created after the region's recorder is started and,
in organization scope, after the member baseline; a rule on global resources only in the primary region.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components import naming
from components.hub import ComplianceHub
from components.managed_rule_settings import ManagedRuleSetting
from components.settings import Settings


@dataclass(frozen=True)
class DeployedManagedRule:
    rule_name: pulumi.Output[str]
    identifier: str
    trigger: str

    def output(self) -> dict[str, object]:
        return {"ruleName": self.rule_name, "identifier": self.identifier, "trigger": self.trigger}


def deploy_managed_rules(
    name: str,
    region: str,
    settings: Settings,
    hub: ComplianceHub,
    after: Sequence[pulumi.Resource],
    opts: pulumi.ResourceOptions,
) -> dict[str, DeployedManagedRule]:
    """The user's name of each managed rule that runs in ``region`` → the rule deployed for it."""
    deployed = {}
    for rule in settings.managed_rules:
        if region not in rule.regions(settings.regions, settings.primary_region):
            continue
        resource = _deploy(name, region, settings, hub, rule, after, opts)
        deployed[rule.name] = DeployedManagedRule(resource.name, rule.identifier, rule.rule.trigger)
    return deployed


def _deploy(
    name: str,
    region: str,
    settings: Settings,
    hub: ComplianceHub,
    rule: ManagedRuleSetting,
    after: Sequence[pulumi.Resource],
    opts: pulumi.ResourceOptions,
) -> aws.cfg.Rule | aws.cfg.OrganizationManagedRule:
    rule_name = naming.managed_rule(rule.name, settings.environment_suffix, region)
    description = f"AWS managed rule {rule.identifier}"
    frequency = (rule.frequency or settings.evaluation_frequency) if rule.rule.is_periodic else None
    # Config API Reference, Scope: without resource types, a change-triggered rule is evaluated "when any
    # resource in your recording group changes in configuration": scope it to the types it evaluates.
    scope_types = list(rule.scope_types) if rule.rule.is_change_triggered else []
    options = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=list(after)))
    if settings.is_organization:
        return aws.cfg.OrganizationManagedRule(
            f"{name}-managed-{rule.name}-organization-rule",
            name=rule_name,
            description=description,
            rule_identifier=rule.identifier,
            input_parameters=rule.input_parameters(),
            maximum_execution_frequency=frequency,
            resource_types_scopes=scope_types or None,
            # The same accounts as the custom organization rules leave out (components/hub.py).
            excluded_accounts=hub.rule_excluded_accounts.apply(lambda accounts: accounts or None),
            opts=options,
        )
    return aws.cfg.Rule(
        f"{name}-managed-{rule.name}-rule",
        name=rule_name,
        description=description,
        input_parameters=rule.input_parameters(),
        maximum_execution_frequency=frequency,
        scope=aws.cfg.RuleScopeArgs(compliance_resource_types=scope_types) if scope_types else None,
        source=aws.cfg.RuleSourceArgs(owner="AWS", source_identifier=rule.identifier),
        opts=options,
    )
