"""The errors alarm every Lambda function of the stack has: one failed invocation sets it off.

Its state change to ALARM is alerted on (components/alerts.py, EVALUATOR_ERRORS), since a failing
function leaves what it keeps up to date (rule results, the managed rules' metrics) stale.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

# Seconds per datapoint of the Lambda Errors metric the alarm reads.
ERRORS_PERIOD = 300


def errors_alarm(
    resource_name: str,
    alarm_name: str,
    description: str,
    function_name: pulumi.Input[str],
    opts: pulumi.ResourceOptions,
) -> aws.cloudwatch.MetricAlarm:
    return aws.cloudwatch.MetricAlarm(
        resource_name,
        name=alarm_name,
        alarm_description=description,
        namespace="AWS/Lambda",
        metric_name="Errors",
        dimensions={"FunctionName": function_name},
        statistic="Sum",
        period=ERRORS_PERIOD,
        evaluation_periods=1,
        threshold=1,
        comparison_operator="GreaterThanOrEqualToThreshold",
        treat_missing_data="notBreaching",
        opts=opts,
    )
