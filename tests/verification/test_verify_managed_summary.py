"""The ``managed-rule summary`` line of verify (verification/managed_summary.py).

The check against moto in process (``mock_aws``): the function, its schedule rule and the rule's target
are moto's; in AWS, Lambda and EventBridge write their ``AWS/Lambda`` and ``AWS/Events`` metrics
themselves (only when not zero), here the test writes the data points in their place, as
test_verify_alert_path.py does. The line in the whole command (present only with the output, "could not
check" when a call fails) against the moto server stack of the other verify tests; the output itself from
the program run under Pulumi mocks.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import parliament
import pytest
from botocore.exceptions import ClientError
from botocore.stub import ANY, Stubber
from moto_stack import PRIMARY, StatusAnswers, assume_role_policy, aws, example_outputs, healthy_answers

from components import naming
from tests.infra.conftest import DEV_CONFIG
from tests.infra.program import PROJECT_ROOT, run_program
from tests.infra.test_managed_rule_deployment import ORGANIZATION, THREE_RULES
from verification.checks import verify
from verification.clients import AwsClient
from verification.managed_summary import check_managed_summary, metric_queries
from verification.outputs import ManagedSummaryOutput, OutputsError, parse_outputs
from verification.results import Verdict

FUNCTION = naming.managed_summary("dev")
SCHEDULE = FUNCTION
LOG_GROUP = f"/aws/lambda/{FUNCTION}"
CHECK = "managed-rule summary"


def summary_output(function_arn: str, expression: str = "rate(6 hours)") -> dict[str, str]:
    """The ``managedRuleSummary`` output as the program exports it."""
    return {"functionArn": function_arn, "scheduleRuleName": SCHEDULE, "scheduleExpression": expression}


def _function_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("managed_summary/summary.py", "def handler(event, context):\n    return None\n")
    return buffer.getvalue()


def deploy_summary(client: Any) -> str:
    """The summary's function, schedule rule and target, as components/managed_rule_summary.py makes
    them; ``client(service)`` gives a client of the primary region. Returns the function's ARN."""
    role = client("iam").create_role(
        RoleName=FUNCTION, AssumeRolePolicyDocument=assume_role_policy("lambda.amazonaws.com")
    )["Role"]["Arn"]
    function_arn: str = client("lambda").create_function(
        FunctionName=FUNCTION,
        Runtime="python3.13",
        Architectures=["arm64"],
        Role=role,
        Handler="managed_summary.summary.handler",
        Code={"ZipFile": _function_zip()},
    )["FunctionArn"]
    client("events").put_rule(Name=SCHEDULE, ScheduleExpression="rate(6 hours)")
    client("events").put_targets(Rule=SCHEDULE, Targets=[{"Id": "managed-rule-summary", "Arn": function_arn}])
    return function_arn


def put_count(client: Any, metric: str, at: datetime, value: float = 1) -> None:
    """A data point as Lambda (Invocations, Errors) or EventBridge (FailedInvocations) would write it."""
    namespace, dimension, subject = (
        ("AWS/Events", "RuleName", SCHEDULE)
        if metric == "FailedInvocations"
        else ("AWS/Lambda", "FunctionName", FUNCTION)
    )
    client("cloudwatch").put_metric_data(
        Namespace=namespace,
        MetricData=[
            {
                "MetricName": metric,
                "Dimensions": [{"Name": dimension, "Value": subject}],
                "Timestamp": at,
                "Value": value,
                "Unit": "Count",
            }
        ],
    )


def local(service: str) -> AwsClient:
    """A client of moto in process, in the primary region."""
    return boto3.client(service, region_name=PRIMARY)  # type: ignore[call-overload]


def summary_of(function_arn: str, expression: str) -> ManagedSummaryOutput:
    outputs = {**example_outputs(), "managedRuleSummary": summary_output(function_arn, expression)}
    summary = parse_outputs(outputs).managed_rule_summary
    assert summary is not None
    return summary


@dataclass
class InProcess:
    """The summary deployed in moto in process, and the output verify reads of it."""

    function_arn: str
    summary: ManagedSummaryOutput

    def check(self, now: datetime, cloudwatch: AwsClient | None = None) -> tuple[Verdict, str]:
        return check_managed_summary(
            local("lambda"),
            local("events"),
            cloudwatch or local("cloudwatch"),
            self.summary,
            PRIMARY,
            now,
            "dev",
        )

    def schedule(self, expression: str) -> None:
        """The stack sets ``expression``: in the schedule rule and in the outputs."""
        local("events").put_rule(Name=SCHEDULE, ScheduleExpression=expression)
        self.summary = summary_of(self.function_arn, expression)


@pytest.fixture
def stack(moto_in_process: None) -> InProcess:
    function_arn = deploy_summary(local)
    return InProcess(function_arn, summary_of(function_arn, "rate(6 hours)"))


@pytest.fixture
def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


# --- the check, moto in process ------------------------------------------------------------------


def test_a_summary_that_ran_on_schedule_without_failing_passes(stack: InProcess, now: datetime) -> None:
    put_count(local, "Invocations", now - timedelta(hours=7))
    put_count(local, "Invocations", now - timedelta(hours=1))

    assert stack.check(now) == (
        Verdict.PASS,
        f"function {FUNCTION} last ran 1 h 00 min ago, 2 run(s) in 12 h, none failed "
        f"(limit 12 h: twice rate(6 hours)); schedule {SCHEDULE} is enabled and targets it",
    )


@pytest.mark.parametrize(
    ("expression", "window"),
    [
        ("rate(1 hour)", timedelta(hours=2)),
        ("rate(6 hours)", timedelta(hours=12)),
        ("rate(24 hours)", timedelta(hours=48)),
        ("rate(1 day)", timedelta(hours=48)),
    ],
)
def test_the_window_is_twice_the_schedule_the_stack_sets(
    stack: InProcess, now: datetime, expression: str, window: timedelta
) -> None:
    stack.schedule(expression)
    put_count(local, "Invocations", now - window - timedelta(minutes=2))
    limit = f"limit {int(window.total_seconds() // 3600)} h: twice {expression}"

    assert stack.check(now) == (
        Verdict.FAIL,
        f"function {FUNCTION} has not run in {int(window.total_seconds() // 3600)} h ({limit}): the managed "
        "rules' dashboard figures are stale (right after the first deployment, check again after its "
        "first run)",
    )
    put_count(local, "Invocations", now - window + timedelta(minutes=2))
    verdict, message = stack.check(now)
    assert verdict is Verdict.PASS
    assert f"1 run(s) in {int(window.total_seconds() // 3600)} h, none failed ({limit})" in message


def test_a_summary_that_never_ran_fails(stack: InProcess, now: datetime) -> None:
    verdict, message = stack.check(now)
    assert verdict is Verdict.FAIL
    assert message.startswith(f"function {FUNCTION} has not run in 12 h (limit 12 h: twice rate(6 hours))")


def test_a_failed_run_in_the_window_fails_naming_the_log_group(stack: InProcess, now: datetime) -> None:
    for hours_ago in (7, 1):
        put_count(local, "Invocations", now - timedelta(hours=hours_ago))
    put_count(local, "Errors", now - timedelta(hours=1))

    assert stack.check(now) == (
        Verdict.FAIL,
        f"function {FUNCTION}: 1 of 2 run(s) in 12 h failed (Errors), the last started "
        f"{(now - timedelta(hours=1)).strftime('%Y-%m-%d %H:%M')} UTC: their managed-rule figures are "
        f"missing or stale; the reason is in its log group {LOG_GROUP}",
    )


def test_a_failure_before_the_window_no_longer_counts(stack: InProcess, now: datetime) -> None:
    put_count(local, "Invocations", now - timedelta(hours=13))
    put_count(local, "Errors", now - timedelta(hours=13))
    put_count(local, "Invocations", now - timedelta(hours=2))

    verdict, message = stack.check(now)
    assert verdict is Verdict.PASS
    assert "1 run(s) in 12 h, none failed" in message


def test_invocations_the_schedule_could_not_make_fail_the_check(stack: InProcess, now: datetime) -> None:
    failed_at = now - timedelta(minutes=30)
    put_count(local, "FailedInvocations", failed_at)
    put_count(local, "Invocations", now - timedelta(hours=9))

    assert stack.check(now) == (
        Verdict.FAIL,
        f"schedule {SCHEDULE} could not invoke it 1 time(s) in 12 h (FailedInvocations), last "
        f"{failed_at.strftime('%Y-%m-%d %H:%M')} UTC: EventBridge may no longer be allowed to invoke the "
        "function. Fix: pulumi up --refresh --stack dev",
    )


def test_a_disabled_schedule_fails_naming_the_command_that_enables_it(
    stack: InProcess, now: datetime
) -> None:
    put_count(local, "Invocations", now - timedelta(hours=1))
    local("events").disable_rule(Name=SCHEDULE)

    assert stack.check(now) == (
        Verdict.FAIL,
        f"schedule rule {SCHEDULE} is DISABLED: function {FUNCTION} does not run and the managed rules' "
        f"dashboard figures are stale. Fix: aws events enable-rule --name {SCHEDULE} --region {PRIMARY}",
    )


def test_a_deleted_schedule_fails(stack: InProcess, now: datetime) -> None:
    events = local("events")
    events.remove_targets(Rule=SCHEDULE, Ids=["managed-rule-summary"])
    events.delete_rule(Name=SCHEDULE)

    assert stack.check(now) == (
        Verdict.FAIL,
        f"schedule rule {SCHEDULE} does not exist: nothing runs function {FUNCTION}. "
        "Fix: pulumi up --refresh --stack dev",
    )


def test_a_schedule_changed_outside_the_stack_fails(stack: InProcess, now: datetime) -> None:
    put_count(local, "Invocations", now - timedelta(hours=1))
    local("events").put_rule(Name=SCHEDULE, ScheduleExpression="rate(7 days)")

    assert stack.check(now) == (
        Verdict.FAIL,
        f"schedule rule {SCHEDULE} runs on rate(7 days), the stack sets rate(6 hours). "
        "Fix: pulumi up --refresh --stack dev",
    )


def test_a_schedule_that_no_longer_targets_the_function_fails(stack: InProcess, now: datetime) -> None:
    events = local("events")
    events.remove_targets(Rule=SCHEDULE, Ids=["managed-rule-summary"])
    assert stack.check(now) == (
        Verdict.FAIL,
        f"schedule rule {SCHEDULE} targets nothing, not function {FUNCTION}. "
        "Fix: pulumi up --refresh --stack dev",
    )
    other = stack.function_arn + "-old"
    events.put_targets(Rule=SCHEDULE, Targets=[{"Id": "managed-rule-summary", "Arn": other}])
    verdict, message = stack.check(now)
    assert (verdict, message.split(". Fix")[0]) == (
        Verdict.FAIL,
        f"schedule rule {SCHEDULE} targets {other}, not function {FUNCTION}",
    )


def test_a_deleted_function_fails(stack: InProcess, now: datetime) -> None:
    local("lambda").delete_function(FunctionName=FUNCTION)

    assert stack.check(now) == (
        Verdict.FAIL,
        f"function {FUNCTION} does not exist: nothing writes the managed rules' dashboard figures. "
        "Fix: pulumi up --refresh --stack dev",
    )


def test_the_metrics_are_the_functions_and_its_schedules_summed_per_minute(stack: InProcess) -> None:
    assert [query["MetricStat"] for query in metric_queries(stack.summary, FUNCTION)] == [
        {
            "Metric": {
                "Namespace": "AWS/Lambda",
                "MetricName": metric,
                "Dimensions": [{"Name": "FunctionName", "Value": FUNCTION}],
            },
            "Period": 60,
            "Stat": "Sum",
        }
        for metric in ("Invocations", "Errors")
    ] + [
        {
            "Metric": {
                "Namespace": "AWS/Events",
                "MetricName": "FailedInvocations",
                "Dimensions": [{"Name": "RuleName", "Value": SCHEDULE}],
            },
            "Period": 60,
            "Stat": "Sum",
        }
    ]


def test_a_metric_cloudwatch_could_not_read_fails_the_check(stack: InProcess, now: datetime) -> None:
    cloudwatch = boto3.client("cloudwatch", region_name=PRIMARY)
    with Stubber(cloudwatch) as stubber:
        stubber.add_response(
            "get_metric_data",
            {
                "MetricDataResults": [
                    {
                        "Id": "m0",
                        "Label": "Invocations",
                        "Timestamps": [now],
                        "Values": [1.0],
                        "StatusCode": "Complete",
                    },
                    {
                        "Id": "m1",
                        "Label": "Errors",
                        "Timestamps": [],
                        "Values": [],
                        "StatusCode": "Forbidden",
                    },
                    {
                        "Id": "m2",
                        "Label": "FailedInvocations",
                        "Timestamps": [],
                        "Values": [],
                        "StatusCode": "Complete",
                    },
                ]
            },
            {"MetricDataQueries": ANY, "StartTime": now - timedelta(hours=12), "EndTime": now},
        )
        assert stack.check(now, cloudwatch) == (
            Verdict.FAIL,
            f"GetMetricData could not read Errors (Forbidden) of function {FUNCTION}",
        )


# --- the line in the command, moto server --------------------------------------------------------


def summary_lines(
    outputs: dict[str, Any], clients: StatusAnswers, now: datetime
) -> list[tuple[str, Verdict, str]]:
    results = verify(parse_outputs(outputs), clients, now, stack="dev")
    return [(r.region, r.verdict, r.message) for r in results if r.check == CHECK]


def test_the_line_is_there_exactly_when_the_outputs_name_a_summary(
    deployed_stack: dict[str, Any], healthy_clients: StatusAnswers, now: datetime
) -> None:
    assert summary_lines(deployed_stack, healthy_clients, now) == []

    function_arn = deploy_summary(lambda service: aws(service, PRIMARY))
    put_count(lambda service: aws(service, PRIMARY), "Invocations", now - timedelta(hours=1))
    outputs = {**deployed_stack, "managedRuleSummary": summary_output(function_arn)}
    ((region, verdict, message),) = summary_lines(outputs, healthy_clients, now)

    assert (region, verdict) == (PRIMARY, Verdict.PASS)
    assert message.startswith(f"function {FUNCTION} last ran 1 h 00 min ago")
    calls = healthy_clients.calls
    assert [
        calls.count(call) for call in ("GetFunctionConfiguration", "DescribeRule", "ListTargetsByRule")
    ] == [
        1,
        1,
        1,
    ]


@pytest.mark.parametrize(
    ("operation", "action"),
    [
        ("GetFunctionConfiguration", "lambda:GetFunctionConfiguration"),
        ("DescribeRule", "events:DescribeRule"),
        ("ListTargetsByRule", "events:ListTargetsByRule"),
        ("GetMetricData", "cloudwatch:GetMetricData"),
    ],
)
def test_a_call_that_fails_could_not_check(
    deployed_stack: dict[str, Any], aws_endpoint: str, now: datetime, operation: str, action: str
) -> None:
    def denied(params: dict[str, Any]) -> dict[str, Any]:
        error = {"Code": "AccessDeniedException", "Message": f"not authorized to perform {action}"}
        raise ClientError({"Error": error}, operation)

    function_arn = deploy_summary(lambda service: aws(service, PRIMARY))
    outputs = {**deployed_stack, "managedRuleSummary": summary_output(function_arn)}
    clients = StatusAnswers(aws_endpoint, {**healthy_answers(now), operation: denied})
    results = [r for r in verify(parse_outputs(outputs), clients, now) if r.check == CHECK]

    assert [(r.verdict, r.could_not_check, r.message) for r in results] == [
        (
            Verdict.FAIL,
            True,
            f"could not check: {operation} failed: AccessDeniedException: not authorized to perform {action}",
        )
    ]


# --- the output ------------------------------------------------------------------------------------


def test_the_output_parses_into_the_function_and_its_schedule() -> None:
    arn = f"arn:aws:lambda:{PRIMARY}:123456789012:function:{FUNCTION}"
    outputs = parse_outputs({**example_outputs(), "managedRuleSummary": summary_output(arn)})
    assert outputs.managed_rule_summary == ManagedSummaryOutput(
        function_arn=arn,
        schedule_rule_name=SCHEDULE,
        schedule_expression="rate(6 hours)",
        interval=timedelta(hours=6),
    )
    assert outputs.managed_rule_summary.function_name == FUNCTION
    assert parse_outputs(example_outputs()).managed_rule_summary is None


def test_every_problem_of_the_output_is_named() -> None:
    elsewhere = f"arn:aws:lambda:us-west-2:123456789012:function:{FUNCTION}"
    problems = {
        "cron(0 */6 * * ? *)": "'managedRuleSummary.scheduleExpression' must be a rate expression",
        "rate(1 hours)": "'managedRuleSummary.scheduleExpression' must be a rate expression",
        "rate(6 hour)": "'managedRuleSummary.scheduleExpression' must be a rate expression",
        "rate(0 hours)": "'managedRuleSummary.scheduleExpression' must be a rate expression",
    }
    for expression, problem in problems.items():
        with pytest.raises(OutputsError, match=re.escape(problem)):
            parse_outputs({**example_outputs(), "managedRuleSummary": summary_output(elsewhere, expression)})
    with pytest.raises(OutputsError) as raised:
        parse_outputs(
            {
                **example_outputs(),
                "managedRuleSummary": {
                    "functionArn": elsewhere + ":live",
                    "scheduleExpression": "rate(6 hours)",
                },
            }
        )
    assert str(raised.value).splitlines()[1:] == [
        "  - 'managedRuleSummary.functionArn' must be an unqualified function ARN "
        f"(arn:<partition>:lambda:<region>:<account>:function:<name>), got '{elsewhere}:live'",
        "  - missing key 'managedRuleSummary.scheduleRuleName'",
    ]
    with pytest.raises(
        OutputsError, match=re.escape("'managedRuleSummary.functionArn' is not in the primary")
    ):
        parse_outputs({**example_outputs(), "managedRuleSummary": summary_output(elsewhere)})


@pytest.mark.parametrize(
    ("scope", "frequency", "interval"),
    [
        ({}, "Six_Hours", 6),
        ({}, "One_Hour", 1),
        ({}, "TwentyFour_Hours", 24),
        (ORGANIZATION, "Twelve_Hours", 12),
    ],
)
def test_the_program_exports_the_summary_it_deploys(
    scope: dict[str, Any], frequency: str, interval: int
) -> None:
    settings = {**DEV_CONFIG, **scope, "managedRules": THREE_RULES, "evaluationFrequency": frequency}
    deployment = run_program(settings)
    summary = parse_outputs(deployment.outputs).managed_rule_summary

    (function,) = [
        r for r in deployment.of_type("aws:lambda/function:Function") if r.inputs["name"] == FUNCTION
    ]
    (schedule,) = [
        r
        for r in deployment.of_type("aws:cloudwatch/eventRule:EventRule")
        if "scheduleExpression" in r.inputs
    ]
    (target,) = [
        r for r in deployment.of_type("aws:cloudwatch/eventTarget:EventTarget") if "summary" in r.name
    ]
    assert summary is not None
    # What verify expects is what the program deploys: the rule, its schedule, its target.
    assert summary.function_arn == function.state["arn"] == target.inputs["arn"]
    assert summary.schedule_rule_name == schedule.inputs["name"] == target.inputs["rule"]
    assert summary.schedule_expression == schedule.inputs["scheduleExpression"]
    assert summary.interval == timedelta(hours=interval)


def test_a_stack_without_managed_rules_exports_no_summary() -> None:
    assert "managedRuleSummary" not in run_program(DEV_CONFIG).outputs


# --- the permissions verify needs for it ------------------------------------------------------------

DOCS = PROJECT_ROOT / "docs" / "verify.md"
SAR = {service["prefix"]: service for service in parliament.iam_definition}


def documented_actions() -> set[tuple[str, str]]:
    """The actions docs/verify.md's section on the line names, as (service prefix, action)."""
    text = DOCS.read_text(encoding="utf-8")
    section = text.split("## The `managed-rule summary` line", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"`(lambda|events|cloudwatch):(\w+)`", section))


def test_the_documented_permissions_are_the_calls_the_check_makes(stack: InProcess, now: datetime) -> None:
    """Each API operation is authorized by the IAM action of its name, under the service's prefix (SAR)."""
    calls: list[tuple[str, str]] = []
    # These botocore service names are also the services' IAM prefixes (SAR).
    clients = {prefix: local(prefix) for prefix in ("lambda", "events", "cloudwatch")}
    for prefix, client in clients.items():
        client.meta.events.register(
            "before-call", lambda model, prefix=prefix, **_: calls.append((prefix, model.name))
        )
    put_count(local, "Invocations", now - timedelta(hours=1))

    check_managed_summary(
        clients["lambda"], clients["events"], clients["cloudwatch"], stack.summary, PRIMARY, now, "dev"
    )

    assert len(calls) == 4
    assert (
        set(calls)
        == documented_actions()
        == {
            ("lambda", "GetFunctionConfiguration"),
            ("events", "DescribeRule"),
            ("events", "ListTargetsByRule"),
            ("cloudwatch", "GetMetricData"),
        }
    )


def test_the_documented_permissions_are_reads_in_the_service_authorization_reference() -> None:
    for prefix, action in documented_actions():
        (privilege,) = [p for p in SAR[prefix]["privileges"] if p["privilege"] == action]
        assert privilege["access_level"] in ("Read", "List"), (prefix, action)
