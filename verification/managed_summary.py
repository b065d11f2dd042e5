"""The ``managed-rule summary`` check (primary region): does the summary that writes the managed rules'
dashboard figures (components/managed_rule_summary.py) still run on its schedule, without failing?

When it stops, the dashboard does not say so: the managed rules' graphs just end at their last points.
Four calls, in the primary region:

- Lambda ``GetFunctionConfiguration``: the function exists; ``ResourceNotFoundException`` when it does not
  (https://docs.aws.amazon.com/lambda/latest/api/API_GetFunctionConfiguration.html).
- EventBridge ``DescribeRule`` of the schedule rule: it exists (``ResourceNotFoundException``), its
  ``State`` runs it (``ENABLED``, or ``ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS``, "enabled for all
  events"; ``DISABLED`` matches nothing) and its ``ScheduleExpression`` is the one the stack sets; then
  ``ListTargetsByRule``: one target is the function's ARN, as the stack's target names it
  (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_DescribeRule.html,
  https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_ListTargetsByRule.html; a rule has at
  most 5 targets, EventBridge quotas, so one page of up to 100 holds them all).
- CloudWatch ``GetMetricData``, one call, sums per minute over the window:
  ``AWS/Lambda`` ``Invocations`` and ``Errors``, dimension ``FunctionName``
  (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html: ``Invocations`` counts
  every run, failed ones included, but not an invocation request that was refused; ``Errors`` the runs
  that ended in a function error: an exception of the summary's, such as the aggregator read being denied,
  or a timeout; "the timestamp on an error metric reflects when the function was invoked"); and
  ``AWS/Events`` ``FailedInvocations`` of the schedule rule, dimension ``RuleName``
  (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-monitoring.html: invocations that failed
  permanently, as when the function's resource policy no longer lets EventBridge invoke it). None of
  these is sent when zero, so a metric without data points counted nothing.

The window is twice the schedule's interval, as a periodic rule's last evaluation is held to twice its
frequency (verification/checks.py): a run lands once per interval, but a check made just before the
next run would find the previous one a whole interval (plus the minute EventBridge may take, plus the
run itself) back, so a window of one interval would fail healthy stacks; within two, a run is always
due. A summary that stopped is found within two intervals.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from verification.clients import AwsClient
from verification.metric_queries import READ_STATUSES, sum_query
from verification.outputs import ManagedSummaryOutput
from verification.results import AWS_CALL_ERRORS, Finding, Verdict, error_code
from verification.times import ago, duration, time_of

WINDOW_INTERVALS = 2
# Lambda sends its metrics per minute; per-minute sums date the last run to the minute.
PERIOD_SECONDS = 60
RUNNING_STATES = ("ENABLED", "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS")
INVOCATIONS, ERRORS, FAILED_INVOCATIONS = "Invocations", "Errors", "FailedInvocations"


@dataclass(frozen=True)
class MetricCount:
    total: int
    last: datetime | None


def check_managed_summary(
    awslambda: AwsClient,
    events: AwsClient,
    cloudwatch: AwsClient,
    summary: ManagedSummaryOutput,
    region: str,
    now: datetime,
    stack: str | None = None,
) -> Finding:
    redeploy = f"pulumi up --refresh{f' --stack {stack}' if stack else ''}"
    function = summary.function_name
    try:
        awslambda.get_function_configuration(FunctionName=function)
    except AWS_CALL_ERRORS as error:
        if error_code(error) != "ResourceNotFoundException":
            raise
        return Verdict.FAIL, (
            f"function {function} does not exist: nothing writes the managed rules' dashboard figures. "
            f"Fix: {redeploy}"
        )
    schedule_problem = _schedule_problem(events, summary, function, region, redeploy)
    if schedule_problem:
        return Verdict.FAIL, schedule_problem

    window = WINDOW_INTERVALS * summary.interval
    limit = f"limit {duration(window)}: twice {summary.schedule_expression}"
    counts = _metric_counts(cloudwatch, summary, function, now, window)
    if isinstance(counts, str):
        return Verdict.FAIL, counts
    runs, errors, failed = counts[INVOCATIONS], counts[ERRORS], counts[FAILED_INVOCATIONS]
    problems = []
    if runs.last is None:
        problems.append(
            f"function {function} has not run in {duration(window)} ({limit}): the managed rules' dashboard "
            "figures are stale (right after the first deployment, check again after its first run)"
        )
    elif errors.total:
        problems.append(
            f"function {function}: {errors.total} of {runs.total} run(s) in {duration(window)} failed "
            f"(Errors), the last started {time_of(errors.last)}: their managed-rule figures are missing "
            # The stack names the log group as Lambda does by default, /aws/lambda/<function name>.
            f"or stale; the reason is in its log group /aws/lambda/{function}"
        )
    if failed.total:
        problems.append(
            f"schedule {summary.schedule_rule_name} could not invoke it {failed.total} time(s) in "
            f"{duration(window)} (FailedInvocations), last {time_of(failed.last)}: EventBridge may no "
            f"longer be allowed to invoke the function. Fix: {redeploy}"
        )
    if problems or runs.last is None:
        return Verdict.FAIL, "; ".join(problems)
    return Verdict.PASS, (
        f"function {function} last ran {ago(now, runs.last)}, {runs.total} run(s) in {duration(window)}, "
        f"none failed ({limit}); schedule {summary.schedule_rule_name} is enabled and targets it"
    )


def _schedule_problem(
    events: AwsClient, summary: ManagedSummaryOutput, function: str, region: str, redeploy: str
) -> str | None:
    name = summary.schedule_rule_name
    try:
        rule = events.describe_rule(Name=name)
    except AWS_CALL_ERRORS as error:
        if error_code(error) != "ResourceNotFoundException":
            raise
        return f"schedule rule {name} does not exist: nothing runs function {function}. Fix: {redeploy}"
    state = rule.get("State")
    if state not in RUNNING_STATES:
        return (
            f"schedule rule {name} is {state}: function {function} does not run and the managed rules' "
            f"dashboard figures are stale. Fix: aws events enable-rule --name {name} --region {region}"
        )
    expression = rule.get("ScheduleExpression")
    if expression != summary.schedule_expression:
        return (
            f"schedule rule {name} runs on {expression}, the stack sets {summary.schedule_expression}. "
            f"Fix: {redeploy}"
        )
    targets = events.list_targets_by_rule(Rule=name)["Targets"]
    if not any(target.get("Arn") == summary.function_arn for target in targets):
        aimed = ", ".join(str(target.get("Arn")) for target in targets) or "nothing"
        return f"schedule rule {name} targets {aimed}, not function {function}. Fix: {redeploy}"
    return None


def metric_queries(summary: ManagedSummaryOutput, function: str) -> list[dict[str, Any]]:
    metrics = [
        ("AWS/Lambda", INVOCATIONS, "FunctionName", function),
        ("AWS/Lambda", ERRORS, "FunctionName", function),
        ("AWS/Events", FAILED_INVOCATIONS, "RuleName", summary.schedule_rule_name),
    ]
    return [
        sum_query(f"m{number}", metric, namespace, metric, (dimension, value), PERIOD_SECONDS)
        for number, (namespace, metric, dimension, value) in enumerate(metrics)
    ]


def _metric_counts(
    cloudwatch: AwsClient, summary: ManagedSummaryOutput, function: str, now: datetime, window: timedelta
) -> Mapping[str, MetricCount] | str:
    """Each metric's sum and latest non-zero data point over the window, or the line naming the metrics
    CloudWatch could not read."""
    queries = metric_queries(summary, function)
    metric_of = {query["Id"]: query["Label"] for query in queries}
    totals = dict.fromkeys(metric_of.values(), 0.0)
    latest: dict[str, datetime] = {}
    unread: list[str] = []
    paginator = cloudwatch.get_paginator("get_metric_data")
    for page in paginator.paginate(MetricDataQueries=queries, StartTime=now - window, EndTime=now):
        for result in page["MetricDataResults"]:
            metric = metric_of[result["Id"]]
            for moment, value in zip(result.get("Timestamps", []), result.get("Values", []), strict=True):
                totals[metric] += value
                if value and (metric not in latest or moment > latest[metric]):
                    latest[metric] = moment
            if result.get("StatusCode") not in READ_STATUSES:
                unread.append(f"{metric} ({result.get('StatusCode')})")
    if unread:
        return f"GetMetricData could not read {', '.join(unread)} of function {function}"
    return {metric: MetricCount(int(total), latest.get(metric)) for metric, total in totals.items()}
