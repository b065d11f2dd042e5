"""The managed-rule summary (functions/managed_summary): what it asks the aggregator, what it writes.

The aggregator's answers are stubbed with botocore's Stubber (moto implements neither aggregate compliance
call); each request is checked against the parameters the Config API Reference documents
(DescribeAggregateComplianceByConfigRules: unfiltered, so that a rule with results but none NON_COMPLIANT
is told from a rule with none, Limit up to 1,000; GetAggregateComplianceDetailsByConfigRule: one rule,
account and region, ComplianceType NON_COMPLIANT, Limit up to 100).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from evaluator_support import ApiCalls
from evaluators.aws import client
from evaluators.errors import EvaluationIncompleteError
from managed_summary import summary
from managed_summary.summary import Counts, SummarizedRule, Summary, count_non_compliant, read_summary
from test_evaluators_metrics import emf_records

AGGREGATOR = "config-compliance-dev"
ACCOUNT = "123456789012"
OTHER_ACCOUNT = "210987654321"
VOLUMES = "managed:encrypted-volumes"
PASSWORDS = "managed:iam-password-policy"
ACCOUNT_SUMMARY = Summary(
    AGGREGATOR,
    (
        SummarizedRule(VOLUMES, "us-east-1", "managed-dev--us-east-1-encrypted-volumes"),
        SummarizedRule(VOLUMES, "us-west-2", "managed-dev--us-west-2-encrypted-volumes"),
        SummarizedRule(PASSWORDS, "us-east-1", "managed-dev--us-east-1-iam-password-policy"),
    ),
)
EAST_VOLUMES_RULE = "managed-dev--us-east-1-encrypted-volumes"
PASSWORD_RULE = "managed-dev--us-east-1-iam-password-policy"
DESCRIBE = "describe_aggregate_compliance_by_config_rules"
DETAILS = "get_aggregate_compliance_details_by_config_rule"


def row(
    name: str,
    region: str,
    count: int | None,
    capped: bool = False,
    account: str = ACCOUNT,
    compliance_type: str = "NON_COMPLIANT",
) -> dict[str, Any]:
    compliance: dict[str, Any] = {"ComplianceType": compliance_type}
    if count is not None:
        compliance["ComplianceContributorCount"] = {"CappedCount": count, "CapExceeded": capped}
    return {"ConfigRuleName": name, "Compliance": compliance, "AccountId": account, "AwsRegion": region}


def describe_request(token: str | None = None) -> dict[str, Any]:
    request: dict[str, Any] = {"ConfigurationAggregatorName": AGGREGATOR, "Limit": 1000}
    return {**request, "NextToken": token} if token else request


def details_request(
    name: str, region: str, account: str = ACCOUNT, token: str | None = None
) -> dict[str, Any]:
    request: dict[str, Any] = {
        "ConfigurationAggregatorName": AGGREGATOR,
        "ConfigRuleName": name,
        "AccountId": account,
        "AwsRegion": region,
        "ComplianceType": "NON_COMPLIANT",
        "Limit": 100,
    }
    return {**request, "NextToken": token} if token else request


def results(name: str, region: str, count: int) -> list[dict[str, Any]]:
    return [
        {
            "EvaluationResultIdentifier": {
                "EvaluationResultQualifier": {
                    "ConfigRuleName": name,
                    "ResourceType": "AWS::EC2::Volume",
                    "ResourceId": f"vol-{index:04d}",
                }
            },
            "ComplianceType": "NON_COMPLIANT",
            "AccountId": ACCOUNT,
            "AwsRegion": region,
        }
        for index in range(count)
    ]


@pytest.fixture
def stubbed() -> Iterator[Stubber]:
    """The container's Config client (the one the handler uses), stubbed; every queued answer must be used."""
    with Stubber(client("config")) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def test_rows_are_paged_capped_counts_taken_and_capped_ones_counted_page_by_page(stubbed: Stubber) -> None:
    west = "managed-dev--us-west-2-encrypted-volumes"
    stubbed.add_response(
        DESCRIBE,
        {
            "AggregateComplianceByConfigRules": [
                row(EAST_VOLUMES_RULE, "us-east-1", 3),
                # Another stack's rule and a rule of this stack in a region where it is not deployed.
                row("managed-prod--us-east-1-encrypted-volumes", "us-east-1", 9),
                row(EAST_VOLUMES_RULE, "eu-west-1", 9),
            ],
            "NextToken": "page-2",
        },
        describe_request(),
    )
    stubbed.add_response(
        DESCRIBE,
        {
            "AggregateComplianceByConfigRules": [
                row(west, "us-west-2", 100, capped=True),
                row(PASSWORD_RULE, "us-east-1", None, compliance_type="COMPLIANT"),
            ]
        },
        describe_request("page-2"),
    )
    stubbed.add_response(
        DETAILS,
        {"AggregateEvaluationResults": results(west, "us-west-2", 100), "NextToken": "more"},
        details_request(west, "us-west-2"),
    )
    stubbed.add_response(
        DETAILS,
        {"AggregateEvaluationResults": results(west, "us-west-2", 20)},
        details_request(west, "us-west-2", token="more"),
    )
    # The password policy rule has a COMPLIANT row and no NON_COMPLIANT one: 0.
    assert count_non_compliant(client("config"), ACCOUNT_SUMMARY) == Counts(
        {(VOLUMES, "us-east-1"): 3, (VOLUMES, "us-west-2"): 120, (PASSWORDS, "us-east-1"): 0}, [], []
    )


def test_a_row_without_a_count_is_counted(stubbed: Stubber) -> None:
    stubbed.add_response(
        DESCRIBE,
        {"AggregateComplianceByConfigRules": [row(PASSWORD_RULE, "us-east-1", None)]},
        describe_request(),
    )
    stubbed.add_response(
        DETAILS,
        {"AggregateEvaluationResults": results(PASSWORD_RULE, "us-east-1", 1)},
        details_request(PASSWORD_RULE, "us-east-1"),
    )
    counted = count_non_compliant(client("config"), ACCOUNT_SUMMARY)
    assert counted.non_compliant[(PASSWORDS, "us-east-1")] == 1


@pytest.mark.parametrize("compliance_type", ["COMPLIANT", "INSUFFICIENT_DATA"])
def test_a_rule_with_results_none_of_them_non_compliant_is_zero(
    stubbed: Stubber, compliance_type: str
) -> None:
    stubbed.add_response(
        DESCRIBE,
        {
            "AggregateComplianceByConfigRules": [
                row(PASSWORD_RULE, "us-east-1", None, compliance_type=compliance_type)
            ]
        },
        describe_request(),
    )
    counted = count_non_compliant(client("config"), ACCOUNT_SUMMARY)
    assert counted.non_compliant == {(PASSWORDS, "us-east-1"): 0}


def test_a_rule_and_region_without_any_result_is_not_made_a_zero_but_named(stubbed: Stubber) -> None:
    """DescribeAggregateComplianceByConfigRules "does not display rules that do not have compliance results"
    (Config API Reference): not evaluated yet, nothing in scope, or a source the aggregator has not
    collected. Nothing is known of such a rule there, so no count is written for it."""
    stubbed.add_response(
        DESCRIBE,
        {"AggregateComplianceByConfigRules": [row(EAST_VOLUMES_RULE, "us-east-1", 2)]},
        describe_request(),
    )
    assert count_non_compliant(client("config"), ACCOUNT_SUMMARY) == Counts(
        {(VOLUMES, "us-east-1"): 2}, [], [f"{VOLUMES} in us-west-2", f"{PASSWORDS} in us-east-1"]
    )


def test_no_results_at_all_writes_no_count(stubbed: Stubber) -> None:
    stubbed.add_response(DESCRIBE, {"AggregateComplianceByConfigRules": []}, describe_request())
    counted = count_non_compliant(client("config"), ACCOUNT_SUMMARY)
    assert (counted.non_compliant, counted.failures) == ({}, [])
    assert len(counted.without_results) == 3


def test_organization_copies_are_matched_by_prefix_and_summed_over_accounts(stubbed: Stubber) -> None:
    prefix = "OrgConfigRule-managed-dev--us-east-1-encrypted-volumes-"
    organization = Summary(AGGREGATOR, (SummarizedRule(VOLUMES, "us-east-1", prefix, is_prefix=True),))
    stubbed.add_response(
        DESCRIBE,
        {
            "AggregateComplianceByConfigRules": [
                row(f"{prefix}a1b2c3", "us-east-1", 2),
                row(f"{prefix}d4e5f6", "us-east-1", 5, account=OTHER_ACCOUNT),
                # The account-scope name is not an organization rule's copy.
                row(EAST_VOLUMES_RULE, "us-east-1", 40),
            ]
        },
        describe_request(),
    )
    assert count_non_compliant(client("config"), organization).non_compliant == {(VOLUMES, "us-east-1"): 7}


def test_a_failed_count_leaves_its_rule_and_region_out_and_is_reported(stubbed: Stubber) -> None:
    west = "managed-dev--us-west-2-encrypted-volumes"
    stubbed.add_response(
        DESCRIBE,
        {
            "AggregateComplianceByConfigRules": [
                row(west, "us-west-2", 100, capped=True),
                row(EAST_VOLUMES_RULE, "us-east-1", 4),
                row(PASSWORD_RULE, "us-east-1", None, compliance_type="COMPLIANT"),
            ]
        },
        describe_request(),
    )
    stubbed.add_client_error(
        DETAILS, "ThrottlingException", "Rate exceeded", expected_params=details_request(west, "us-west-2")
    )
    # The failed one is a failure, not also a rule without results.
    assert count_non_compliant(client("config"), ACCOUNT_SUMMARY) == Counts(
        {(VOLUMES, "us-east-1"): 4, (PASSWORDS, "us-east-1"): 0},
        [f"{VOLUMES} in us-west-2 (account {ACCOUNT}): ThrottlingException: Rate exceeded"],
        [],
    )


DOCUMENT = {
    "aggregator": AGGREGATOR,
    "rules": [
        {"check": VOLUMES, "region": "us-east-1", "name": EAST_VOLUMES_RULE},
        {"check": VOLUMES, "region": "us-west-2", "name": "managed-dev--us-west-2-encrypted-volumes"},
    ],
}


@pytest.fixture
def shipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """DOCUMENT as the function's rules.json."""
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(DOCUMENT))
    monkeypatch.setattr(summary, "DOCUMENT_PATH", path)


def test_the_document_is_read_as_the_component_writes_it() -> None:
    assert read_summary(DOCUMENT) == Summary(
        AGGREGATOR,
        (
            SummarizedRule(VOLUMES, "us-east-1", EAST_VOLUMES_RULE),
            SummarizedRule(VOLUMES, "us-west-2", "managed-dev--us-west-2-encrypted-volumes"),
        ),
    )


def test_the_handler_writes_one_record_per_rule_and_region(
    stubbed: Stubber, shipped: None, capsys: pytest.CaptureFixture[str]
) -> None:
    stubbed.add_response(
        DESCRIBE,
        {"AggregateComplianceByConfigRules": [row(EAST_VOLUMES_RULE, "us-east-1", 3)]},
        describe_request(),
    )
    assert summary.handler({"source": "aws.events"}) == {
        "counted": 1,
        "withoutResults": [f"{VOLUMES} in us-west-2"],
    }
    records = emf_records(capsys.readouterr().out)
    timestamp = records[0]["_aws"]["Timestamp"]
    directive = {
        "Namespace": "ConfigCompliance",
        "Dimensions": [["Check", "Region"]],
        "Metrics": [{"Name": "NonCompliant", "Unit": "Count"}],
    }
    assert records == [
        {
            "_aws": {"Timestamp": timestamp, "CloudWatchMetrics": [directive]},
            "Check": VOLUMES,
            "Region": region,
            "NonCompliant": count,
        }
        for region, count in (("us-east-1", 3),)
    ]


def test_the_handler_writes_what_it_counted_then_fails_naming_the_rest(
    stubbed: Stubber, shipped: None, capsys: pytest.CaptureFixture[str]
) -> None:
    west = "managed-dev--us-west-2-encrypted-volumes"
    stubbed.add_response(
        DESCRIBE,
        {
            "AggregateComplianceByConfigRules": [
                row(west, "us-west-2", None),
                row(EAST_VOLUMES_RULE, "us-east-1", None, compliance_type="COMPLIANT"),
            ]
        },
        describe_request(),
    )
    stubbed.add_client_error(
        DETAILS, "AccessDeniedException", "not authorized", expected_params=details_request(west, "us-west-2")
    )
    with pytest.raises(EvaluationIncompleteError, match=f"{VOLUMES} in us-west-2 .*AccessDeniedException"):
        summary.handler({})
    written = emf_records(capsys.readouterr().out)
    assert [(r["Check"], r["Region"], r["NonCompliant"]) for r in written] == [(VOLUMES, "us-east-1", 0)]


def test_a_failed_listing_writes_nothing_and_fails(
    stubbed: Stubber, shipped: None, capsys: pytest.CaptureFixture[str]
) -> None:
    stubbed.add_client_error(
        DESCRIBE,
        "NoSuchConfigurationAggregatorException",
        "no aggregator",
        expected_params=describe_request(),
    )
    with pytest.raises(ClientError, match="NoSuchConfigurationAggregatorException"):
        summary.handler({})
    assert capsys.readouterr().out == ""


def test_a_listing_that_fails_after_its_first_page_writes_nothing_and_fails(
    stubbed: Stubber, shipped: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """The rows of a later page may hold any rule: a count from the first page alone could be too low."""
    stubbed.add_response(
        DESCRIBE,
        {
            "AggregateComplianceByConfigRules": [row(EAST_VOLUMES_RULE, "us-east-1", 3)],
            "NextToken": "page-2",
        },
        describe_request(),
    )
    stubbed.add_client_error(
        DESCRIBE, "ThrottlingException", "Rate exceeded", expected_params=describe_request("page-2")
    )
    with pytest.raises(ClientError, match="ThrottlingException"):
        summary.handler({})
    assert capsys.readouterr().out == ""


def test_records_use_the_metric_format_the_sweeps_use() -> None:
    stream = io.StringIO()
    summary.metrics.write(summary.summary_records({(VOLUMES, "eu-west-1"): 2}, 1_700_000_000_000), stream)
    (record,) = emf_records(stream.getvalue())
    assert record["_aws"]["Timestamp"] == 1_700_000_000_000
    assert record["_aws"]["CloudWatchMetrics"][0]["Namespace"] == summary.metrics.NAMESPACE


# --- calls per run (the figures docs/managed-rules.md states) --------------------------------------

# ComplianceSummary (Config API Reference): resource counts are capped at 100.
CAP = 100


@dataclass(frozen=True)
class SyntheticAggregator:
    """Answers the two aggregate calls as the API Reference describes them, for rules that are each
    NON_COMPLIANT with ``resources`` resources in every account and region listed, beside
    ``other_rules`` COMPLIANT rules the summary does not count (the custom checks', other stacks')."""

    rules: int
    regions: int
    accounts: int
    resources: int
    other_rules: int = 0

    def rows(self) -> list[dict[str, Any]]:
        return [
            row(
                f"managed-dev--region-{region}-rule-{rule}",
                f"region-{region}",
                min(self.resources, CAP),
                capped=self.resources >= CAP,
                account=f"{account:012d}",
            )
            for rule in range(self.rules)
            for region in range(self.regions)
            for account in range(self.accounts)
        ] + [
            row(
                f"other-{rule}",
                f"region-{region}",
                None,
                account=f"{account:012d}",
                compliance_type="COMPLIANT",
            )
            for rule in range(self.other_rules)
            for region in range(self.regions)
            for account in range(self.accounts)
        ]

    def summary(self) -> Summary:
        return Summary(
            AGGREGATOR,
            tuple(
                SummarizedRule(
                    f"managed:rule-{rule}", f"region-{region}", f"managed-dev--region-{region}-rule-{rule}"
                )
                for rule in range(self.rules)
                for region in range(self.regions)
            ),
        )

    def describe(self, params: dict[str, Any]) -> dict[str, Any]:
        return _page(self.rows(), params, "AggregateComplianceByConfigRules")

    def details(self, params: dict[str, Any]) -> dict[str, Any]:
        found = results(params["ConfigRuleName"], params["AwsRegion"], self.resources)
        return _page(found, params, "AggregateEvaluationResults")


def _page(items: list[dict[str, Any]], params: dict[str, Any], key: str) -> dict[str, Any]:
    start = int(params.get("NextToken", 0))
    end = start + params["Limit"]
    page: dict[str, Any] = {key: items[start:end]}
    if end < len(items):
        page["NextToken"] = str(end)
    return page


@pytest.mark.parametrize(
    ("aggregator", "calls"),
    [
        # Three rules in three regions, a few findings each: one listing call.
        (SyntheticAggregator(rules=3, regions=3, accounts=1, resources=5), 1),
        # Ten rules in 17 regions, 99 findings each (below the cap): still one call.
        (SyntheticAggregator(rules=10, regions=17, accounts=1, resources=99), 1),
        # 170 capped rows of 250 findings: 1 listing + 170 x 3 detail pages.
        (SyntheticAggregator(rules=10, regions=17, accounts=1, resources=250), 511),
        # Organization: 10 rules, 17 regions, 50 accounts, 5 findings each: 8,500 rows, 9 listing pages.
        (SyntheticAggregator(rules=10, regions=17, accounts=50, resources=5), 9),
        # The listing reads every rule of the aggregator: with 40 more rules, 42,500 rows, 43 pages.
        (SyntheticAggregator(rules=10, regions=17, accounts=50, resources=5, other_rules=40), 43),
    ],
    ids=["3x3", "10x17", "10x17-capped", "10x17x50-accounts", "10x17x50-accounts-40-other-rules"],
)
def test_calls_per_run(api: ApiCalls, aggregator: SyntheticAggregator, calls: int) -> None:
    api.respond("DescribeAggregateComplianceByConfigRules", aggregator.describe)
    api.respond("GetAggregateComplianceDetailsByConfigRule", aggregator.details)
    counted = count_non_compliant(client("config"), aggregator.summary())
    assert (counted.failures, counted.without_results) == ([], [])
    assert set(counted.non_compliant.values()) == {aggregator.resources * aggregator.accounts}
    assert sum(api.count().values()) == calls
