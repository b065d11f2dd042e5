"""The managed-rule summary in the resource graph: what exists with managed rules, and nothing without.

Account scope with the three rules of tests/infra/test_managed_rule_deployment.py (one change-triggered,
one periodic, one on a global resource, so in the primary region only), organization scope with the same.
"""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest

from components import naming
from components.alerts import EVALUATOR_ERRORS
from components.dashboard import dashboard_body
from components.managed_rule_summary import schedule_expression
from components.package import SUMMARY_DOCUMENT_PATH
from components.settings import OPT_IN_REGIONS, parse_settings, supported_regions
from tests.infra.conftest import DEV_CONFIG
from tests.infra.program import ACCOUNT_ID, Deployment, Registration, run_program
from tests.infra.test_alerts import matches
from tests.infra.test_managed_rule_deployment import ORGANIZATION, THREE_RULES

PRIMARY = "us-east-1"
REGIONS = DEV_CONFIG["regions"]
NAME = "config-managed-summary-dev"
AGGREGATOR_ARN = f"arn:aws:config:{PRIMARY}:{ACCOUNT_ID}:config-aggregator/config-aggregator-0a1b2c3d"
LOG_GROUP_ARN = f"arn:aws:logs:{PRIMARY}:{ACCOUNT_ID}:log-group:/aws/lambda/{NAME}"
# Where each of THREE_RULES runs, by its short name.
RULE_REGIONS = {"encrypted-volumes": REGIONS, "efs-backup": REGIONS, "iam-password-policy": [PRIMARY]}


@pytest.fixture(scope="module")
def account() -> Deployment:
    return run_program({**DEV_CONFIG, "managedRules": THREE_RULES})


@pytest.fixture(scope="module")
def organization() -> Deployment:
    return run_program({**DEV_CONFIG, **ORGANIZATION, "managedRules": THREE_RULES})


def one(deployment: Deployment, resource_type: str, name: str) -> Registration:
    (found,) = [r for r in deployment.of_type(resource_type) if r.inputs.get("name") == name]
    return found


def summary_resources(deployment: Deployment) -> list[Registration]:
    return [r for r in deployment.registrations if "managed-summary" in r.name]


def shipped_document(function: Registration) -> dict[str, Any]:
    asset = function.inputs["code"].assets[SUMMARY_DOCUMENT_PATH]
    assert isinstance(asset, pulumi.StringAsset)
    return dict(json.loads(asset.text))


def test_the_function_runs_in_the_primary_region_on_arm64_with_its_role_and_log_group(
    account: Deployment,
) -> None:
    function = one(account, "aws:lambda/function:Function", NAME)
    assert account.region_of(function) == PRIMARY
    assert function.inputs["runtime"] == "python3.13"
    assert function.inputs["architectures"] == ["arm64"]
    assert function.inputs["handler"] == "managed_summary.summary.handler"
    assert (function.inputs["memorySize"], function.inputs["timeout"]) == (256, 900)
    assert function.inputs["role"] == f"arn:aws:iam::{ACCOUNT_ID}:role/{NAME}"
    # No environment: the rules travel in the archive (4 KB of variables would not hold many).
    assert "environment" not in function.inputs
    log_group = one(account, "aws:cloudwatch/logGroup:LogGroup", f"/aws/lambda/{NAME}")
    assert log_group.inputs["retentionInDays"] == 30
    assert account.region_of(log_group) == PRIMARY
    (policy,) = [
        r
        for r in account.of_type("aws:iam/rolePolicy:RolePolicy")
        if r.name == "hub-managed-summary-role-policy"
    ]
    # The function starts only once it can write its log and read the aggregator.
    assert {log_group.urn, policy.urn} <= set(function.dependencies)
    # A child of the hub, as the evaluator roles are.
    (hub,) = account.of_type("config-compliance:hub:ComplianceHub")
    assert function.parent == policy.parent == one(account, "aws:iam/role:Role", NAME).parent == hub.urn


def test_log_retention_follows_the_setting() -> None:
    deployment = run_program({**DEV_CONFIG, "managedRules": THREE_RULES[:1], "logRetentionDays": 90})
    log_group = one(deployment, "aws:cloudwatch/logGroup:LogGroup", f"/aws/lambda/{NAME}")
    assert log_group.inputs["retentionInDays"] == 90


def test_the_role_may_read_the_aggregators_compliance_and_write_its_own_log_group_only(
    account: Deployment,
) -> None:
    role = one(account, "aws:iam/role:Role", NAME)
    (trust,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert trust["Principal"] == {"Service": "lambda.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT_ID}}
    (policy,) = [
        r
        for r in account.of_type("aws:iam/rolePolicy:RolePolicy")
        if r.name == "hub-managed-summary-role-policy"
    ]
    assert json.loads(policy.inputs["policy"]) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ReadAggregatedCompliance",
                "Effect": "Allow",
                "Action": [
                    "config:DescribeAggregateComplianceByConfigRules",
                    "config:GetAggregateComplianceDetailsByConfigRule",
                ],
                "Resource": AGGREGATOR_ARN,
            },
            {
                "Sid": "WriteOwnLogs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": f"{LOG_GROUP_ARN}:*",
            },
        ],
    }


def test_the_function_ships_every_rule_in_every_region_it_runs_in(account: Deployment) -> None:
    function = one(account, "aws:lambda/function:Function", NAME)
    assert shipped_document(function) == {
        "aggregator": "config-compliance-dev",
        "rules": [
            {"check": f"managed:{rule}", "region": region, "name": f"managed-dev--{region}-{rule}"}
            for rule, regions in RULE_REGIONS.items()
            for region in regions
        ],
    }
    # The names are those of the rules the program deploys.
    deployed = {r.inputs["name"] for r in account.of_type("aws:cfg/rule:Rule")}
    assert {entry["name"] for entry in shipped_document(function)["rules"]} <= deployed


def test_in_organization_scope_it_matches_each_accounts_copy_by_prefix(organization: Deployment) -> None:
    function = one(organization, "aws:lambda/function:Function", NAME)
    rules = shipped_document(function)["rules"]
    assert rules[0] == {
        "check": "managed:encrypted-volumes",
        "region": PRIMARY,
        "name": f"OrgConfigRule-managed-dev--{PRIMARY}-encrypted-volumes-",
        "isPrefix": True,
    }
    organization_rules = organization.of_type("aws:cfg/organizationManagedRule:OrganizationManagedRule")
    assert {f"OrgConfigRule-{r.inputs['name']}-" for r in organization_rules} == {e["name"] for e in rules}


@pytest.mark.parametrize(
    ("frequency", "expression"),
    [
        ("One_Hour", "rate(1 hour)"),
        ("Three_Hours", "rate(3 hours)"),
        ("Six_Hours", "rate(6 hours)"),
        ("Twelve_Hours", "rate(12 hours)"),
        ("TwentyFour_Hours", "rate(24 hours)"),
    ],
)
def test_the_schedule_follows_the_evaluation_frequency(frequency: str, expression: str) -> None:
    assert schedule_expression(frequency) == expression


def test_the_schedule_invokes_the_function_with_a_permission_for_that_rule_only(account: Deployment) -> None:
    schedule = one(account, "aws:cloudwatch/eventRule:EventRule", NAME)
    assert schedule.inputs["scheduleExpression"] == "rate(6 hours)"
    assert "eventPattern" not in schedule.inputs
    assert account.region_of(schedule) == PRIMARY
    (target,) = [
        t for t in account.of_type("aws:cloudwatch/eventTarget:EventTarget") if t.inputs["rule"] == NAME
    ]
    assert target.inputs["arn"] == f"arn:aws:lambda:{PRIMARY}:{ACCOUNT_ID}:function:{NAME}"
    (permission,) = [
        p for p in account.of_type("aws:lambda/permission:Permission") if p.inputs["function"] == NAME
    ]
    assert permission.inputs["principal"] == "events.amazonaws.com"
    assert permission.inputs["action"] == "lambda:InvokeFunction"
    assert permission.inputs["sourceArn"] == f"arn:aws:events:{PRIMARY}:{ACCOUNT_ID}:rule/{NAME}"
    assert "sourceAccount" not in permission.inputs
    assert permission.urn in target.dependencies


def test_a_failing_summary_sets_off_its_errors_alarm_which_alerts(account: Deployment) -> None:
    alarm = one(account, "aws:cloudwatch/metricAlarm:MetricAlarm", "config-managed-summary-errors-dev")
    assert account.region_of(alarm) == PRIMARY
    assert {
        key: alarm.inputs[key]
        for key in (
            "namespace",
            "metricName",
            "dimensions",
            "statistic",
            "period",
            "evaluationPeriods",
            "threshold",
            "comparisonOperator",
            "treatMissingData",
        )
    } == {
        "namespace": "AWS/Lambda",
        "metricName": "Errors",
        "dimensions": {"FunctionName": NAME},
        "statistic": "Sum",
        "period": 300,
        "evaluationPeriods": 1,
        "threshold": 1,
        "comparisonOperator": "GreaterThanOrEqualToThreshold",
        "treatMissingData": "notBreaching",
    }
    # The primary region's evaluator-errors alert rule matches its state change to ALARM.
    rule = one(account, "aws:cloudwatch/eventRule:EventRule", naming.alert_rule(EVALUATOR_ERRORS.name, "dev"))
    event = {
        "source": "aws.cloudwatch",
        "detail-type": "CloudWatch Alarm State Change",
        "detail": {"alarmName": "config-managed-summary-errors-dev", "state": {"value": "ALARM"}},
    }
    assert matches(rule, event)
    assert not matches(
        rule, {**event, "detail": {**event["detail"], "alarmName": "config-managed-summary-errors-prod"}}
    )


def test_without_managed_rules_nothing_of_it_exists(dev: Deployment) -> None:
    assert summary_resources(dev) == []
    rule = one(dev, "aws:cloudwatch/eventRule:EventRule", naming.alert_rule(EVALUATOR_ERRORS.name, "dev"))
    assert "managed-summary" not in rule.inputs["eventPattern"]
    (dashboard,) = dev.of_type("aws:cloudwatch/dashboard:Dashboard")
    body = json.loads(dashboard.inputs["dashboardBody"])
    assert not [w for w in body["widgets"] if "managed" in json.dumps(w)]


def test_the_graph_holds_these_resources_and_no_more(account: Deployment, organization: Deployment) -> None:
    for deployment in (account, organization):
        assert sorted(r.type for r in summary_resources(deployment)) == [
            "aws:cloudwatch/eventRule:EventRule",
            "aws:cloudwatch/eventTarget:EventTarget",
            "aws:cloudwatch/logGroup:LogGroup",
            "aws:cloudwatch/metricAlarm:MetricAlarm",
            "aws:iam/role:Role",
            "aws:iam/rolePolicy:RolePolicy",
            "aws:lambda/function:Function",
            "aws:lambda/permission:Permission",
        ]


# --- the dashboard --------------------------------------------------------------------------------


def settings_with(rules: list[dict[str, Any]], **raw: str) -> Any:
    config = {**DEV_CONFIG, "managedRules": rules, **raw}
    return parse_settings({key: v if isinstance(v, str) else json.dumps(v) for key, v in config.items()})


def managed_widgets(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        w["properties"] for w in body["widgets"] if w["properties"].get("title", "").startswith("managed:")
    ]


def test_each_managed_rule_has_a_graph_of_its_non_compliant_resources_by_region() -> None:
    settings = settings_with(THREE_RULES)
    graphs = managed_widgets(dashboard_body(settings))
    assert [graph["title"] for graph in graphs] == [
        "managed:encrypted-volumes (ENCRYPTED_VOLUMES): NON_COMPLIANT resources, by region",
        "managed:efs-backup (EFS_IN_BACKUP_PLAN): NON_COMPLIANT resources, by region",
        "managed:iam-password-policy (IAM_PASSWORD_POLICY): NON_COMPLIANT resources, by region",
    ]
    for graph, (rule, regions) in zip(graphs, RULE_REGIONS.items(), strict=True):
        # The metrics the summary writes (tests/functions/test_managed_summary.py), all in the primary region.
        assert graph["metrics"] == [
            [
                "ConfigCompliance",
                "NonCompliant",
                "Check",
                f"managed:{rule}",
                "Region",
                region,
                {"region": PRIMARY, "label": f"{region} non-compliant"},
            ]
            for region in regions
        ]
        assert (graph["stat"], graph["period"], graph["region"]) == ("Maximum", 6 * 3600, PRIMARY)


def test_the_managed_rule_graphs_take_one_summary_per_period_in_either_scope() -> None:
    hourly = settings_with(THREE_RULES, evaluationFrequency="One_Hour")
    assert {graph["period"] for graph in managed_widgets(dashboard_body(hourly))} == {3600}
    organization = settings_with(THREE_RULES, scope="organization", memberOrganizationalUnits='["r-ab12"]')
    assert {graph["stat"] for graph in managed_widgets(dashboard_body(organization))} == {"Maximum"}


def test_the_summary_errors_graph_and_the_header_name_the_managed_rules() -> None:
    body = dashboard_body(settings_with(THREE_RULES))
    (errors,) = [
        w["properties"]
        for w in body["widgets"]
        if w["properties"].get("title", "").startswith("Managed-rule")
    ]
    assert errors["metrics"] == [
        ["AWS/Lambda", "Errors", "FunctionName", NAME, {"region": PRIMARY, "label": PRIMARY}]
    ]
    assert (errors["stat"], errors["period"]) == ("Sum", 300)
    assert "managed:iam-password-policy" in body["widgets"][0]["properties"]["markdown"]
    # Three to a row, after the checks' rows: the errors graph and two rules, then the third rule alone.
    placed = [w for w in body["widgets"] if "managed" in json.dumps(w["properties"]).lower()]
    assert [(w["x"], w["width"]) for w in placed[1:]] == [(0, 8), (8, 8), (16, 8), (0, 24)]
    assert placed[1]["y"] == placed[2]["y"] == placed[3]["y"] < placed[4]["y"]


def test_forty_regional_rules_in_seventeen_regions_stay_within_the_dashboards_limits() -> None:
    """CloudWatch: at most 500 widgets, 500 metrics per widget and 2,500 per dashboard
    (tests/infra/test_dashboard.py names the sources)."""
    many = [{"identifier": "S3_BUCKET_VERSIONING_ENABLED", "name": f"versioning-{i}"} for i in range(40)]
    seventeen = ["us-east-1", *sorted(supported_regions() - OPT_IN_REGIONS - {"us-east-1"})[:16]]
    body = dashboard_body(settings_with(many, regions=json.dumps(seventeen)))
    metrics = [w["properties"]["metrics"] for w in body["widgets"] if w["type"] == "metric"]
    assert len(body["widgets"]) <= 500
    assert max(len(m) for m in metrics) <= 500
    assert sum(len(m) for m in metrics) <= 2500
    assert len(managed_widgets(body)) == 40
    assert {len(graph["metrics"]) for graph in managed_widgets(body)} == {17}
