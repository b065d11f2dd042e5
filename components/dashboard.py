"""The compliance dashboard: one CloudWatch dashboard, in the primary region, over every configured region.

Built from the catalogue, the alert kinds and the settings alone: a new check, alert kind or region
shows up without editing this module. CloudWatch metrics are regional, so every metric names its own
region (the per-metric ``region`` rendering option of the dashboard body, which aws-cdk's
aws-cloudwatch renders the same way, lib/private/rendering.ts); the widget's own region is the primary.

Limits (CloudWatch API Reference, "Dashboard Body Structure and Syntax": 0 to 500 widgets; CloudWatch
User Guide, "CloudWatch service quotas": up to 500 metrics per widget and 2,500 per dashboard). The
widget count does not grow with the regions (one row per check plus one for the alert path); the metrics
per widget do, at most two per region (non-compliant and excepted; the alert path's two rule kinds).
"""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws
from evaluators.metrics import (
    EXCEPTED_METRIC,
    NAMESPACE,
    NON_COMPLIANT_METRIC,
    REGION_DIMENSION,
    managed_rule_check,
)

from components import naming
from components.alerts import ALERT_KINDS
from components.catalog import CHECKS
from components.settings import Settings

# The namespace and metrics the periodic sweeps write in Embedded Metric Format (one summary record per
# check per sweep, dimension Check; functions/evaluators/metrics.py). Excepted results are posted
# COMPLIANT, so only this graph shows, beside the non-compliant ones, how many an exception covers.
COMPLIANCE_NAMESPACE = NAMESPACE

# Seconds per datapoint of the service metrics (Lambda, EventBridge, SQS, SNS).
SERVICE_PERIOD = 300
# Hours between periodic evaluations: one sweep, so one NonCompliant datapoint, per graph period.
SWEEP_HOURS = {"One_Hour": 1, "Three_Hours": 3, "Six_Hours": 6, "Twelve_Hours": 12, "TwentyFour_Hours": 24}

# Managed rules' widgets side by side in one row.
MANAGED_PER_ROW = 3

GRID_WIDTH = 24
WIDGET_HEIGHT = 6
HEADER_HEIGHT = 3

Widget = dict[str, Any]
Metric = list[Any]


def _metric(namespace: str, name: str, dimensions: dict[str, str], region: str, label: str) -> Metric:
    """One line of a graph: ``[namespace, metric, dimension, value, ..., {options}]``."""
    flat = [part for dimension in dimensions.items() for part in dimension]
    return [namespace, name, *flat, {"region": region, "label": label}]


def _graph(title: str, metrics: list[Metric], stat: str, period: int, settings: Settings) -> Widget:
    return {
        "type": "metric",
        "properties": {
            "title": title,
            "view": "timeSeries",
            "stacked": False,
            "region": settings.primary_region,
            "stat": stat,
            "period": period,
            "metrics": metrics,
            "yAxis": {"left": {"min": 0}},
        },
    }


def _check_widgets(check: str, settings: Settings) -> list[Widget]:
    suffix = settings.environment_suffix
    functions = {region: naming.function(check, suffix, region) for region in settings.regions}
    return [
        _graph(
            f"{check}: NON_COMPLIANT and excepted resources, by region",
            [
                _metric(COMPLIANCE_NAMESPACE, name, {"Check": check}, region, f"{region} {label}")
                for region in settings.regions
                for name, label in ((NON_COMPLIANT_METRIC, "non-compliant"), (EXCEPTED_METRIC, "excepted"))
            ],
            # A period is one sweep interval; Maximum keeps a repeated sweep from being counted twice. In
            # organization scope every account's sweep writes the same metric: their Sum is the total.
            "Sum" if settings.is_organization else "Maximum",
            SWEEP_HOURS[settings.evaluation_frequency] * 3600,
            settings,
        ),
        _graph(
            f"{check}: evaluator errors, by region",
            [
                _metric("AWS/Lambda", "Errors", {"FunctionName": function}, region, region)
                for region, function in functions.items()
            ],
            "Sum",
            SERVICE_PERIOD,
            settings,
        ),
        _graph(
            f"{check}: evaluator duration (maximum, ms), by region",
            [
                _metric("AWS/Lambda", "Duration", {"FunctionName": function}, region, region)
                for region, function in functions.items()
            ],
            "Maximum",
            SERVICE_PERIOD,
            settings,
        ),
    ]


def _managed_rule_rows(settings: Settings) -> list[list[Widget]]:
    """One graph per managed rule (its NON_COMPLIANT resources in each region where it runs, written by the
    managed-rule summary in the primary region, components/managed_rule_summary.py), after the summary's
    errors; nothing without managed rules."""
    if not settings.managed_rules:
        return []
    primary = settings.primary_region
    summary = naming.managed_summary(settings.environment_suffix)
    widgets = [
        _graph(
            "Managed-rule summary: errors (its counts are stale while it fails)",
            [_metric("AWS/Lambda", "Errors", {"FunctionName": summary}, primary, primary)],
            "Sum",
            SERVICE_PERIOD,
            settings,
        )
    ]
    for rule in settings.managed_rules:
        check = managed_rule_check(rule.name)
        widgets.append(
            _graph(
                f"{check} ({rule.identifier}): NON_COMPLIANT resources, by region",
                [
                    _metric(
                        COMPLIANCE_NAMESPACE,
                        NON_COMPLIANT_METRIC,
                        {"Check": check, REGION_DIMENSION: region},
                        primary,
                        f"{region} non-compliant",
                    )
                    for region in rule.regions(settings.regions, primary)
                ],
                # One summary writes each rule and region once per interval: every account is summed in it.
                "Maximum",
                SWEEP_HOURS[settings.evaluation_frequency] * 3600,
                settings,
            )
        )
    return [widgets[start : start + MANAGED_PER_ROW] for start in range(0, len(widgets), MANAGED_PER_ROW)]


def alert_rule_names(settings: Settings, region: str) -> list[str]:
    """The region's EventBridge rules on the alert path: to the topic (primary) or to the primary bus."""
    suffix = settings.environment_suffix
    if region == settings.primary_region:
        return [naming.alert_rule(kind.name, suffix) for kind in ALERT_KINDS]
    return [naming.forward_rule(kind.name, suffix, region) for kind in ALERT_KINDS]


def _alert_path_widgets(settings: Settings) -> list[Widget]:
    suffix = settings.environment_suffix
    return [
        _graph(
            "Alert path: failed EventBridge deliveries, by region and rule",
            [
                _metric("AWS/Events", "FailedInvocations", {"RuleName": rule}, region, f"{region} {rule}")
                for region in settings.regions
                for rule in alert_rule_names(settings, region)
            ],
            "Sum",
            SERVICE_PERIOD,
            settings,
        ),
        _graph(
            "Alert path: undelivered alerts in the dead-letter queues, by region",
            [
                _metric(
                    "AWS/SQS",
                    "ApproximateNumberOfMessagesVisible",
                    {"QueueName": naming.dead_letter_queue(suffix, region)},
                    region,
                    region,
                )
                for region in settings.regions
            ],
            "Maximum",
            SERVICE_PERIOD,
            settings,
        ),
        _graph(
            "Alert path: failed notifications of the alert topic",
            [
                _metric(
                    "AWS/SNS",
                    "NumberOfNotificationsFailed",
                    {"TopicName": naming.topic(suffix)},
                    settings.primary_region,
                    f"{settings.primary_region} {naming.topic(suffix)}",
                )
            ],
            "Sum",
            SERVICE_PERIOD,
            settings,
        ),
    ]


def _header(settings: Settings) -> Widget:
    managed = [managed_rule_check(rule.name) for rule in settings.managed_rules]
    checks = ", ".join([check.name for check in CHECKS] + managed)
    regions = ", ".join(settings.regions)
    return {
        "type": "text",
        "properties": {
            "markdown": (
                f"## Config compliance ({settings.environment_suffix})\n"
                f"Checks: {checks}. Regions: {regions} (primary {settings.primary_region}); every line "
                "is labelled with its region. Managed by Pulumi: edits made here are overwritten."
            )
        },
    }


def _place(rows: list[list[Widget]]) -> list[Widget]:
    """Lays the rows out top to bottom, each row's widgets left to right on the 24-column grid."""
    placed = []
    y = 0
    for row in rows:
        width = GRID_WIDTH // len(row)
        height = HEADER_HEIGHT if row[0]["type"] == "text" else WIDGET_HEIGHT
        for column, widget in enumerate(row):
            placed.append({**widget, "x": column * width, "y": y, "width": width, "height": height})
        y += height
    return placed


def dashboard_body(settings: Settings) -> dict[str, Any]:
    rows = [
        [_header(settings)],
        *(_check_widgets(check.name, settings) for check in CHECKS),
        *_managed_rule_rows(settings),
        _alert_path_widgets(settings),
    ]
    return {"start": "-P7D", "periodOverride": "inherit", "widgets": _place(rows)}


def compliance_dashboard(
    name: str, settings: Settings, parent: pulumi.Resource, provider: aws.Provider
) -> aws.cloudwatch.Dashboard:
    """The dashboard, created with the primary region's provider (CloudWatch dashboards have no tags)."""
    return aws.cloudwatch.Dashboard(
        f"{name}-dashboard",
        dashboard_name=naming.dashboard(settings.environment_suffix),
        dashboard_body=json.dumps(dashboard_body(settings), allow_nan=False),
        opts=pulumi.ResourceOptions(parent=parent, provider=provider),
    )
