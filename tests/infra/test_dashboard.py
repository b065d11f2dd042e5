"""The compliance dashboard's body: valid, complete for every region and check, within CloudWatch's limits.

Limits: CloudWatch API Reference, "Dashboard Body Structure and Syntax" (a body holds 0 to 500 widgets;
widgets sit on a 24-column grid); CloudWatch User Guide, "CloudWatch service quotas" (up to 500 metrics
per dashboard widget, 2,500 per dashboard, math inputs included).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest
from pulumi.runtime import settings as runtime_settings
from pulumi.runtime import stack as stack_module
from pulumi.runtime.sync_await import _sync_await

from components import dashboard as dashboard_module
from components import naming
from components.alerts import ALERT_KINDS
from components.catalog import CHECKS
from components.dashboard import compliance_dashboard, dashboard_body
from components.settings import NAMESPACE, Settings, parse_settings, supported_regions
from tests.infra.conftest import DEV_CONFIG
from tests.infra.program import Deployment, ProgramMocks, RecordingMonitor, Registration

MAX_WIDGETS = 500
MAX_METRICS_PER_WIDGET = 500
MAX_METRICS_PER_DASHBOARD = 2500
GRID_COLUMNS = 24

# The longest region names make the largest body: the worst case for a 17-region stack.
SEVENTEEN_REGIONS = sorted(supported_regions(), key=lambda region: (-len(region), region))[:17]


def settings_for(regions: list[str], **raw: str) -> Settings:
    return parse_settings(
        {"environmentSuffix": "prod", "regions": json.dumps(regions), "resourceTags": '["Owner=ops"]', **raw}
    )


COMPLIANCE_TITLE = "NON_COMPLIANT and excepted resources, by region"
DEV = parse_settings({key: v if isinstance(v, str) else json.dumps(v) for key, v in DEV_CONFIG.items()})
SEVENTEEN = settings_for(SEVENTEEN_REGIONS, primaryRegion=SEVENTEEN_REGIONS[5])


def metric_widgets(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [widget["properties"] for widget in body["widgets"] if widget["type"] == "metric"]


def widget(body: dict[str, Any], title: str) -> dict[str, Any]:
    (found,) = [properties for properties in metric_widgets(body) if properties["title"] == title]
    return found


def lines(properties: dict[str, Any]) -> list[tuple[str, str, dict[str, str], str]]:
    """(namespace, metric, dimensions, region) of each line; every line must name its region."""
    found = []
    for metric in properties["metrics"]:
        *identity, options = metric
        namespace, name, *flat = identity
        dimensions = dict(zip(flat[::2], flat[1::2], strict=True))
        assert options["label"].startswith(options["region"])
        found.append((namespace, name, dimensions, options["region"]))
    return found


@pytest.mark.parametrize("settings", [DEV, SEVENTEEN], ids=["3 regions", "17 regions"])
def test_body_is_json_cloudwatch_accepts_within_its_limits(settings: Settings) -> None:
    body = dashboard_body(settings)
    text = json.dumps(body, allow_nan=False)
    assert json.loads(text) == body
    assert 0 < len(body["widgets"]) <= MAX_WIDGETS
    metrics = metric_widgets(body)
    assert max(len(properties["metrics"]) for properties in metrics) <= MAX_METRICS_PER_WIDGET
    assert sum(len(properties["metrics"]) for properties in metrics) <= MAX_METRICS_PER_DASHBOARD
    for properties in metrics:
        # The widget's region is required; the primary region is where the dashboard lives.
        assert properties["region"] == settings.primary_region
        assert properties["view"] == "timeSeries" and properties["period"] % 60 == 0


@pytest.mark.parametrize("settings", [DEV, SEVENTEEN], ids=["3 regions", "17 regions"])
def test_widgets_tile_the_grid_without_overlapping(settings: Settings) -> None:
    cells: set[tuple[int, int]] = set()
    for placed in dashboard_body(settings)["widgets"]:
        assert placed["x"] >= 0 and placed["x"] + placed["width"] <= GRID_COLUMNS
        area = {
            (x, y)
            for x in range(placed["x"], placed["x"] + placed["width"])
            for y in range(placed["y"], placed["y"] + placed["height"])
        }
        assert not cells & area
        cells |= area


@pytest.mark.parametrize("settings", [DEV, SEVENTEEN], ids=["3 regions", "17 regions"])
def test_each_check_shows_non_compliant_and_excepted_resources_in_each_region(settings: Settings) -> None:
    """The sweeps' metrics (functions/evaluators/metrics.py): NonCompliant and, beside it, Excepted, both
    with dimension Check only, in each region's own namespace ConfigCompliance."""
    body = dashboard_body(settings)
    for check in CHECKS:
        graph = widget(body, f"{check.name}: {COMPLIANCE_TITLE}")
        assert lines(graph) == [
            ("ConfigCompliance", metric, {"Check": check.name}, region)
            for region in settings.regions
            for metric in ("NonCompliant", "Excepted")
        ]
        labels = [metric[-1]["label"] for metric in graph["metrics"]]
        assert labels[:2] == [f"{settings.regions[0]} non-compliant", f"{settings.regions[0]} excepted"]
        assert graph["stat"] == "Maximum"


def test_organization_non_compliant_graphs_add_up_the_accounts() -> None:
    """Every account's sweep writes the same per-check metric: one interval holds one sweep per account."""
    settings = settings_for(
        ["us-east-1", "eu-west-1"], scope="organization", memberOrganizationalUnits='["r-ab12"]'
    )
    body = dashboard_body(settings)
    for check in CHECKS:
        assert widget(body, f"{check.name}: {COMPLIANCE_TITLE}")["stat"] == "Sum"


def test_non_compliant_graphs_take_one_sweep_per_period() -> None:
    for frequency, seconds in (("One_Hour", 3600), ("Six_Hours", 21600), ("TwentyFour_Hours", 86400)):
        body = dashboard_body(settings_for(["us-east-1"], evaluationFrequency=frequency))
        assert widget(body, f"encryption: {COMPLIANCE_TITLE}")["period"] == seconds


@pytest.mark.parametrize("settings", [DEV, SEVENTEEN], ids=["3 regions", "17 regions"])
def test_each_check_shows_its_evaluators_errors_and_duration_in_every_region(settings: Settings) -> None:
    body = dashboard_body(settings)
    suffix = settings.environment_suffix
    for check in CHECKS:
        for what, metric, stat in (
            ("errors", "Errors", "Sum"),
            ("duration (maximum, ms)", "Duration", "Maximum"),
        ):
            graph = widget(body, f"{check.name}: evaluator {what}, by region")
            assert graph["stat"] == stat
            assert lines(graph) == [
                ("AWS/Lambda", metric, {"FunctionName": naming.function(check.name, suffix, region)}, region)
                for region in settings.regions
            ]


@pytest.mark.parametrize("settings", [DEV, SEVENTEEN], ids=["3 regions", "17 regions"])
def test_alert_path_failures_cover_every_region(settings: Settings) -> None:
    body = dashboard_body(settings)
    suffix = settings.environment_suffix
    failed = lines(widget(body, "Alert path: failed EventBridge deliveries, by region and rule"))
    expected = set()
    for region in settings.regions:
        for kind in ALERT_KINDS:
            if region == settings.primary_region:
                rule = naming.alert_rule(kind.name, suffix)
            else:
                rule = naming.forward_rule(kind.name, suffix, region)
            expected.add(("AWS/Events", "FailedInvocations", rule, region))
    assert {(ns, name, dims["RuleName"], region) for ns, name, dims, region in failed} == expected
    assert len(failed) == len(expected)

    queues = lines(widget(body, "Alert path: undelivered alerts in the dead-letter queues, by region"))
    assert queues == [
        (
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            {"QueueName": naming.dead_letter_queue(suffix, region)},
            region,
        )
        for region in settings.regions
    ]
    topic = lines(widget(body, "Alert path: failed notifications of the alert topic"))
    assert topic == [
        (
            "AWS/SNS",
            "NumberOfNotificationsFailed",
            {"TopicName": naming.topic(suffix)},
            settings.primary_region,
        )
    ]


def test_a_new_check_gets_its_row_without_editing_the_dashboard(monkeypatch: pytest.MonkeyPatch) -> None:
    widgets_before = len(dashboard_body(DEV)["widgets"])
    extra = dataclasses.replace(CHECKS[0], name="logging")
    monkeypatch.setattr(dashboard_module, "CHECKS", (*CHECKS, extra))
    body = dashboard_body(DEV)
    assert len(body["widgets"]) == widgets_before + 3
    for title in ("evaluator errors", "evaluator duration (maximum, ms)"):
        assert [region for *_, region in lines(widget(body, f"logging: {title}, by region"))] == list(
            DEV.regions
        )
    compliance_regions = [region for *_, region in lines(widget(body, f"logging: {COMPLIANCE_TITLE}"))]
    assert compliance_regions == [region for region in DEV.regions for _ in range(2)]
    assert "logging" in body["widgets"][0]["properties"]["markdown"]


def test_every_name_the_dashboard_graphs_is_a_resource_the_program_creates(dev: Deployment) -> None:
    """Function, rule, queue and topic names in the dev stack's body are those of its resources."""
    created: dict[tuple[str, str], str] = {}
    for resource_type, dimension in (
        ("aws:lambda/function:Function", "FunctionName"),
        ("aws:cloudwatch/eventRule:EventRule", "RuleName"),
        ("aws:sqs/queue:Queue", "QueueName"),
        ("aws:sns/topic:Topic", "TopicName"),
    ):
        for registration in dev.of_type(resource_type):
            created[(dimension, str(registration.inputs["name"]))] = dev.region_of(registration)
    for properties in metric_widgets(dashboard_body(DEV)):
        for namespace, _, dimensions, region in lines(properties):
            if namespace == "ConfigCompliance":
                continue
            ((dimension, value),) = dimensions.items()
            assert created.get((dimension, value)) == region, f"{dimension}={value} in {region}"


# --- the resource, under Pulumi mocks -------------------------------------------------------------


class _Parent(pulumi.ComponentResource):
    def __init__(self, name: str) -> None:
        super().__init__("config-compliance:test:Parent", name, None)


def run_under_mocks(program: Callable[[], None]) -> Iterator[Registration]:
    program_mocks = ProgramMocks()
    monitor = RecordingMonitor(program_mocks)
    pulumi.runtime.set_mocks(program_mocks, project=NAMESPACE, stack="test", preview=False, monitor=monitor)
    runtime_settings.set_root_resource(None)  # type: ignore[arg-type]
    _sync_await(stack_module.run_in_stack(program))
    return iter(monitor.registrations)


def test_the_dashboard_resource_is_named_with_the_suffix_in_the_primary_region() -> None:
    def program() -> None:
        parent = _Parent("hub")
        provider = aws.Provider(
            "primary", region=SEVENTEEN.primary_region, opts=pulumi.ResourceOptions(parent=parent)
        )
        compliance_dashboard("hub", SEVENTEEN, parent, provider)

    registrations = {r.type: r for r in run_under_mocks(program)}
    resource = registrations["aws:cloudwatch/dashboard:Dashboard"]
    assert resource.name == "hub-dashboard"
    assert resource.inputs["dashboardName"] == "config-compliance-prod"
    assert json.loads(resource.inputs["dashboardBody"]) == dashboard_body(SEVENTEEN)
    assert resource.parent == registrations["config-compliance:test:Parent"].urn
    provider = registrations["pulumi:providers:aws"]
    assert resource.provider_urn == provider.urn
    assert provider.inputs["region"] == SEVENTEEN.primary_region


def test_alert_path_graphs_add_failures_and_show_the_deepest_queue_per_five_minutes() -> None:
    """Failures are counts (Sum), a queue's depth is a level (Maximum: the worst moment of the period);
    EventBridge, SQS and SNS publish these metrics per minute or five (CloudWatch User Guide, the
    services' metric pages), so 5-minute periods lose nothing."""
    body = dashboard_body(DEV)
    for title, stat in (
        ("Alert path: failed EventBridge deliveries, by region and rule", "Sum"),
        ("Alert path: undelivered alerts in the dead-letter queues, by region", "Maximum"),
        ("Alert path: failed notifications of the alert topic", "Sum"),
    ):
        graph = widget(body, title)
        assert (graph["stat"], graph["period"]) == (stat, 300), title


def test_evaluator_graphs_use_five_minute_periods() -> None:
    body = dashboard_body(DEV)
    for check in CHECKS:
        for what in ("errors", "duration (maximum, ms)"):
            assert widget(body, f"{check.name}: evaluator {what}, by region")["period"] == 300


def test_every_graph_shows_a_week_of_unstacked_lines_from_zero() -> None:
    body = dashboard_body(DEV)
    assert (body["start"], body["periodOverride"]) == ("-P7D", "inherit")
    for properties in metric_widgets(body):
        assert properties["stacked"] is False
        assert properties["yAxis"] == {"left": {"min": 0}}
