"""What a stack's aggregator reports, answered at the client layer: moto 5 has no aggregate compliance API.

``DescribeAggregateComplianceByConfigRules`` and ``GetAggregateComplianceDetailsByConfigRule`` answer
from a list of evaluation results, paged the way the API pages (``NextToken``; at most 100 details per
page); ``StatusAnswers`` checks every answer against botocore's service model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from moto_stack import ACCOUNT, Answer


@dataclass(frozen=True)
class Evaluation:
    rule: str
    region: str
    resource_type: str
    resource_id: str
    compliance: str
    recorded: datetime
    annotation: str = ""
    account: str = ACCOUNT

    def result(self) -> dict[str, Any]:
        result: dict[str, Any] = {
            "EvaluationResultIdentifier": {
                "EvaluationResultQualifier": {
                    "ConfigRuleName": self.rule,
                    "ResourceType": self.resource_type,
                    "ResourceId": self.resource_id,
                    "EvaluationMode": "DETECTIVE",
                },
                "OrderingTimestamp": self.recorded - timedelta(minutes=1),
            },
            "ComplianceType": self.compliance,
            "ResultRecordedTime": self.recorded,
            "ConfigRuleInvokedTime": self.recorded - timedelta(minutes=2),
            "AccountId": self.account,
            "AwsRegion": self.region,
        }
        if self.annotation:
            result["Annotation"] = self.annotation
        return result


def _page(items: Sequence[Any], params: dict[str, Any], size: int) -> tuple[list[Any], dict[str, Any]]:
    start = int(params.get("NextToken", "0"))
    more = {"NextToken": str(start + size)} if start + size < len(items) else {}
    return list(items[start : start + size]), more


def aggregate_answers(evaluations: Sequence[Evaluation], rules_page_size: int = 1000) -> dict[str, Answer]:
    """Answers of the two aggregate operations for ``evaluations``."""

    def by_rule(params: dict[str, Any]) -> dict[str, Any]:
        region = params.get("Filters", {}).get("AwsRegion")
        account = params.get("Filters", {}).get("AccountId")
        keys = sorted(
            {
                (e.rule, e.account, e.region)
                for e in evaluations
                if region in (None, e.region) and account in (None, e.account)
            }
        )
        rows = []
        for rule, rule_account, rule_region in keys:
            key = (rule, rule_account, rule_region)
            mine = [e for e in evaluations if (e.rule, e.account, e.region) == key]
            non_compliant = sum(e.compliance == "NON_COMPLIANT" for e in mine)
            compliance: dict[str, Any] = {"ComplianceType": "NON_COMPLIANT" if non_compliant else "COMPLIANT"}
            if non_compliant:
                compliance["ComplianceContributorCount"] = {
                    "CappedCount": min(non_compliant, 100),
                    "CapExceeded": non_compliant > 100,
                }
            row = {"ConfigRuleName": rule, "AccountId": rule_account, "AwsRegion": rule_region}
            rows.append({**row, "Compliance": compliance})
        page, more = _page(rows, params, rules_page_size)
        return {"AggregateComplianceByConfigRules": page, **more}

    def details(params: dict[str, Any]) -> dict[str, Any]:
        assert params["Limit"] == 100, "the largest page the API allows"
        assert "ComplianceType" not in params
        key = (params["ConfigRuleName"], params["AccountId"], params["AwsRegion"])
        results = [e.result() for e in evaluations if (e.rule, e.account, e.region) == key]
        page, more = _page(results, params, params["Limit"])
        return {"AggregateEvaluationResults": page, **more}

    return {
        "DescribeAggregateComplianceByConfigRules": by_rule,
        "GetAggregateComplianceDetailsByConfigRule": details,
    }
