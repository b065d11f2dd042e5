"""CloudWatch GetMetricData as the checks use it: one summed metric of one dimension per query."""

from __future__ import annotations

from typing import Any

# A result's StatusCode when its data points were read (CloudWatch API Reference, MetricDataResult;
# the enum in botocore's model: Complete, InternalError, PartialData, Forbidden):
# Forbidden and InternalError mean they were not, and the metric must not pass unread.
READ_STATUSES = ("Complete", "PartialData")


def sum_query(
    query_id: str, label: str, namespace: str, metric: str, dimension: tuple[str, str], period_seconds: int
) -> dict[str, Any]:
    """The query of ``metric``'s sums per ``period_seconds``, for the dimension (name, value)."""
    name, value = dimension
    return {
        "Id": query_id,
        "Label": label,
        "MetricStat": {
            "Metric": {
                "Namespace": namespace,
                "MetricName": metric,
                "Dimensions": [{"Name": name, "Value": value}],
            },
            "Period": period_seconds,
            "Stat": "Sum",
        },
        "ReturnData": True,
    }
