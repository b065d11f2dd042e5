"""The managed-rule summary: a scheduled function in the primary region that writes the managed rules'
compliance metrics, which nothing else writes (they run no code of the stack's).

Created only when ``managedRules`` lists a rule: a role holding exactly the aggregator's two compliance
reads on the stack's aggregator and writes to its own log group, the log group, the function
(functions/managed_summary), its errors alarm (alerted on as the evaluators' are), and an EventBridge
schedule at ``evaluationFrequency`` with the permission that lets it invoke the function.

The schedule follows ``evaluationFrequency``: the dashboard graphs one datapoint per evaluation interval
(components/dashboard.py), and periodic managed rules evaluate at that frequency by default, so a
summary more often would be billed every hour (custom metrics are metered per hour with a value) for
detail the graphs do not show. docs/managed-rules.md gives the cost.
"""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws
from evaluators.metrics import managed_rule_check

from components import naming, policies
from components.dashboard import SWEEP_HOURS
from components.function_alarms import errors_alarm
from components.package import LAMBDA_RUNTIME, managed_summary_archive
from components.settings import Settings

HANDLER = "managed_summary.summary.handler"
# One listing call a run, plus one paged count per rule, account and region with more NON_COMPLIANT
# resources than the listing's capped count: seconds, not minutes, but the largest organizations page a lot.
MEMORY_MB = 256
TIMEOUT_SECONDS = 900


def schedule_expression(frequency: str) -> str:
    """EventBridge User Guide, "Creating an Amazon EventBridge rule that runs on a schedule": ``rate(value
    unit)``, the unit singular for a value of 1 (``rate(1 hour)``) and plural otherwise."""
    hours = SWEEP_HOURS[frequency]
    return f"rate({hours} hour{'' if hours == 1 else 's'})"


def summary_document(settings: Settings) -> dict[str, Any]:
    """What the function reads (functions/managed_summary/summary.py): the aggregator and, per rule and
    region where it runs, its ``Check`` value and the name the aggregator lists it by."""
    suffix = settings.environment_suffix
    rules = []
    for rule in settings.managed_rules:
        for region in rule.regions(settings.regions, settings.primary_region):
            name = naming.managed_rule(rule.name, suffix, region)
            entry: dict[str, Any] = {"check": managed_rule_check(rule.name), "region": region, "name": name}
            if settings.is_organization:
                # Each account's copy: "OrgConfigRule-<name>-<random suffix>" (components/naming.py); the
                # settings refuse names that extend one another there, so the hyphen ends the match.
                entry = {**entry, "name": f"{naming.ORGANIZATION_RULE_PREFIX}{name}-", "isPrefix": True}
            rules.append(entry)
    return {"aggregator": naming.aggregator(suffix), "rules": rules}


def managed_summary_log_group_arn(settings: Settings, account_id: str) -> str:
    name = naming.managed_summary(settings.environment_suffix)
    return f"arn:aws:logs:{settings.primary_region}:{account_id}:log-group:/aws/lambda/{name}"


def deploy_managed_rule_summary(
    name: str,
    settings: Settings,
    account_id: pulumi.Output[str],
    aggregator: aws.cfg.ConfigurationAggregator,
    child: pulumi.ResourceOptions,
) -> aws.lambda_.Function | None:
    """The summary's resources in the primary region (``child`` holds its provider), or None without
    managed rules."""
    if not settings.managed_rules:
        return None
    function_name = naming.managed_summary(settings.environment_suffix)
    role = aws.iam.Role(
        f"{name}-managed-summary-role",
        name=function_name,
        assume_role_policy=pulumi.Output.json_dumps(policies.evaluator_trust(account_id)),
        opts=child,
    )
    role_policy = aws.iam.RolePolicy(
        f"{name}-managed-summary-role-policy",
        role=role.name,
        policy=pulumi.Output.all(aggregator.arn, account_id).apply(
            lambda values: json.dumps(
                policies.managed_summary_policy(values[0], managed_summary_log_group_arn(settings, values[1]))
            )
        ),
        opts=child,
    )
    log_group_name = f"/aws/lambda/{function_name}"
    log_group = aws.cloudwatch.LogGroup(
        f"{name}-managed-summary-logs",
        name=log_group_name,
        retention_in_days=settings.log_retention_days,
        opts=child,
    )
    document = json.dumps(summary_document(settings), indent=1, sort_keys=True) + "\n"
    function = aws.lambda_.Function(
        f"{name}-managed-summary-function",
        name=function_name,
        description="Writes the AWS managed rules' NON_COMPLIANT counts from the aggregator as metrics",
        role=role.arn,
        runtime=LAMBDA_RUNTIME,
        architectures=["arm64"],
        handler=HANDLER,
        code=managed_summary_archive(document),
        memory_size=MEMORY_MB,
        timeout=TIMEOUT_SECONDS,
        opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[log_group, role_policy])),
    )
    errors_alarm(
        f"{name}-managed-summary-errors",
        naming.managed_summary_errors_alarm(settings.environment_suffix),
        f"The managed-rule summary failed: the managed rules' metrics are stale; see {log_group_name}",
        function.name,
        child,
    )
    schedule = aws.cloudwatch.EventRule(
        f"{name}-managed-summary-schedule",
        name=function_name,
        description="Runs the managed-rule summary every evaluation interval",
        schedule_expression=schedule_expression(settings.evaluation_frequency),
        opts=child,
    )
    # Lambda Developer Guide, "Using resource-based policies in Lambda" / EventBridge User Guide, "Using
    # resource-based policies for Amazon EventBridge" (Lambda permissions): the events.amazonaws.com
    # principal, limited to this rule by its ARN.
    permission = aws.lambda_.Permission(
        f"{name}-managed-summary-permission",
        action="lambda:InvokeFunction",
        function=function.name,
        principal="events.amazonaws.com",
        source_arn=schedule.arn,
        statement_id="AllowScheduleInvoke",
        opts=child,
    )
    aws.cloudwatch.EventTarget(
        f"{name}-managed-summary-target",
        rule=schedule.name,
        arn=function.arn,
        target_id="managed-rule-summary",
        opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[permission])),
    )
    return function
