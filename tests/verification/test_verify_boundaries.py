"""The values the commands decide by, each at its boundary: a changed threshold, escape or timeout fails here.

Rule freshness at exactly twice the frequency, simultaneous failure and success, the minute/hour
switch of "ago", the hyphen that keeps another rule's hub copies out, markdown and CSV escapes, HTML
escapes of every cell, the heat map's shades, account ids of exactly 12 digits, the waiting notice
within seconds and the clients' bounded timeouts.
"""

from __future__ import annotations

import csv
import io
import signal
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.stub import Stubber
from moto_stack import example_outputs

from verification.checks import HubRuleCopies, check_rule
from verification.compliance import ComplianceReport, Counts, Filters, ResourceResult, collect
from verification.compliance import _source_warnings as source_warnings
from verification.html_report import heat_cell, render_html
from verification.outputs import OutputsError, RuleOutput, StackOutputs, parse_outputs
from verification.report_formats import render_csv, render_markdown
from verification.results import Verdict
from verification.session import CLIENT_CONFIG, CannotCheck, check_credentials, notice_if_slow

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
ACCOUNT = "123456789012"
FUNCTION = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:compliance-backup-dev-us-east-1"
RULE = RuleOutput("backup", "compliance-backup-dev-us-east-1", FUNCTION)


def _rule(stubber: Stubber, status: dict[str, Any]) -> None:
    scheduled = {"EventSource": "aws.config", "MessageType": "ScheduledNotification"}
    rule = {
        "ConfigRuleName": RULE.rule_name,
        "ConfigRuleState": "ACTIVE",
        "Source": {
            "Owner": "CUSTOM_LAMBDA",
            "SourceIdentifier": FUNCTION,
            "SourceDetails": [{**scheduled, "MaximumExecutionFrequency": "Six_Hours"}],
        },
    }
    names = {"ConfigRuleNames": [RULE.rule_name]}
    stubber.add_response("describe_config_rules", {"ConfigRules": [rule]}, names)
    statuses = {"ConfigRulesEvaluationStatus": [{"ConfigRuleName": RULE.rule_name, **status}]}
    stubber.add_response("describe_config_rule_evaluation_status", statuses, names)


# --- rule freshness -----------------------------------------------------------------------------


def test_a_rule_evaluated_exactly_twice_its_frequency_ago_still_passes(config: tuple[Any, Stubber]) -> None:
    client, stubber = config
    _rule(stubber, {"LastSuccessfulEvaluationTime": NOW - timedelta(hours=12)})
    assert check_rule(client, RULE, "Six_Hours", NOW) == (
        Verdict.PASS,
        "rule compliance-backup-dev-us-east-1 last evaluated 12 h 00 min ago (limit 12 h: twice Six_Hours)",
    )


def test_a_failure_at_the_moment_of_the_last_success_is_not_the_last_outcome(
    config: tuple[Any, Stubber],
) -> None:
    client, stubber = config
    moment = NOW - timedelta(minutes=30)
    _rule(
        stubber,
        {
            "LastSuccessfulInvocationTime": moment,
            "LastFailedInvocationTime": moment,
            "LastSuccessfulEvaluationTime": moment,
            "LastFailedEvaluationTime": moment,
        },
    )
    assert check_rule(client, RULE, "Six_Hours", NOW)[0] is Verdict.PASS


@pytest.mark.parametrize(
    ("minutes", "shown"),
    [(0, "0 min ago"), (59, "59 min ago"), (60, "1 h 00 min ago"), (61, "1 h 01 min ago"), (-5, "0 min ago")],
)
def test_ago_switches_to_hours_at_sixty_minutes(
    config: tuple[Any, Stubber], minutes: int, shown: str
) -> None:
    client, stubber = config
    _rule(stubber, {"LastSuccessfulEvaluationTime": NOW - timedelta(minutes=minutes)})
    assert check_rule(client, RULE, "Six_Hours", NOW)[1].endswith(
        f"last evaluated {shown} (limit 12 h: twice Six_Hours)"
    )


# --- the hub's copies of organization rules -----------------------------------------------------


def test_a_hub_copy_belongs_to_its_rule_only_up_to_the_hyphen(config: tuple[Any, Stubber]) -> None:
    client, stubber = config
    rules = [
        {"ConfigRuleName": name, "Source": {"Owner": "CUSTOM_LAMBDA", "SourceIdentifier": FUNCTION}}
        for name in (
            "OrgConfigRule-compliance-backup-dev-a1b2c3",
            # Another stack whose suffix extends this one's ("dev" and "dev2").
            "OrgConfigRule-compliance-backup-dev2-d4e5f6",
        )
    ]
    stubber.add_response("describe_config_rules", {"ConfigRules": rules}, {})
    copies = HubRuleCopies(client)
    assert [r["ConfigRuleName"] for r in copies.of("compliance-backup-dev")] == [
        "OrgConfigRule-compliance-backup-dev-a1b2c3"
    ]
    # Listed once for every rule of the region (one stubbed answer only).
    assert [r["ConfigRuleName"] for r in copies.of("compliance-backup-dev2")] == [
        "OrgConfigRule-compliance-backup-dev2-d4e5f6"
    ]


# --- escapes ------------------------------------------------------------------------------------


def _report(
    annotation: str,
    resource_id: str = "vol-0abc",
    counts: dict[str, Counts] | None = None,
    regions: tuple[str, ...] = (),
) -> ComplianceReport:
    finding = ResourceResult(
        recorded=NOW,
        account_id=ACCOUNT,
        region="us-east-1",
        check="required-tags",
        rule_name="compliance-required-tags-dev-us-east-1",
        resource_type="AWS::EC2::Volume",
        resource_id=resource_id,
        annotation=annotation,
    )
    cells = counts or {"us-east-1": Counts(1, 1)}
    return ComplianceReport(
        aggregator="config-compliance-dev",
        generated=NOW,
        checks=("required-tags",),
        regions=regions or tuple(cells),
        filters=Filters(),
        account_counts={(ACCOUNT, "required-tags", region): count for region, count in cells.items()},
        findings=(finding,),
        warnings=(),
    )


def test_markdown_escapes_backslashes_pipes_and_line_breaks() -> None:
    text = render_markdown(_report("tag 'Path' is 'C:\\data|x'\nsecond line"))
    row = next(line for line in text.splitlines() if "vol-0abc" in line)
    assert row.endswith("| tag 'Path' is 'C:\\\\data\\|x' second line |")


def test_csv_quotes_commas_quotes_and_line_breaks_so_a_spreadsheet_reads_one_row() -> None:
    annotation = 'tag "Owner" is blank,\nsee the runbook'
    rows = list(csv.DictReader(io.StringIO(render_csv(_report(annotation)))))
    assert len(rows) == 1
    assert rows[0]["annotation"] == annotation and rows[0]["status"] == "NON_COMPLIANT"
    assert ',"tag ""Owner"" is blank,' in render_csv(_report(annotation)).splitlines()[1]


def test_html_escapes_every_cell_and_attribute_value() -> None:
    page = render_html(_report('<img src=x onerror="alert(1)">', resource_id="<script>x</script>"))
    assert "<img" not in page and "<script>x" not in page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page
    assert '<td class="id">&lt;script&gt;x&lt;/script&gt;</td>' in page


@pytest.mark.parametrize(
    ("counts", "cell"),
    [
        (Counts(5, 0), ("heat-compliant", "")),
        (Counts(0, 0), ("heat-compliant", "")),
        (Counts(5, 0, 1), ("heat-excepted", "")),
        (Counts(3, 1, 2), ("heat-noncompliant", "background:hsl(0, 70%, 85%)")),
        (Counts(3, 1), ("heat-noncompliant", "background:hsl(0, 70%, 82%)")),
        (Counts(1, 1), ("heat-noncompliant", "background:hsl(0, 70%, 72%)")),
        (Counts(0, 4), ("heat-noncompliant", "background:hsl(0, 70%, 52%)")),
        (None, ("heat-none", "")),
    ],
)
def test_the_heat_map_shade_follows_the_non_compliant_share(
    counts: Counts | None, cell: tuple[str, str]
) -> None:
    assert heat_cell(counts) == cell
    if counts is not None:
        page = render_html(_report("x", counts={"us-east-1": counts}))
        style = f' style="{cell[1]}"' if cell[1] else ""
        assert f'<td class="cell {cell[0]}"{style}>' in page


def test_a_region_without_results_is_grey_in_the_heat_map() -> None:
    with_results = render_html(_report("x", counts={"us-east-1": Counts(1, 1), "us-west-2": Counts(0, 0)}))
    without = render_html(
        _report("x", counts={"us-east-1": Counts(1, 1)}, regions=("us-east-1", "us-west-2"))
    )
    assert '<td class="cell heat-none">' in without
    assert '<td class="cell heat-none">' not in with_results


# --- account ids --------------------------------------------------------------------------------

# "123456789012" in fullwidth digits: str.isdigit and \d accept them, AWS does not.
FULLWIDTH_DIGITS = "".join(chr(0xFF10 + int(digit)) for digit in "123456789012")


@pytest.mark.parametrize("account", ["12345678901", "1234567890123", "12345678901a", FULLWIDTH_DIGITS])
def test_excluded_accounts_are_exactly_twelve_ascii_digits(account: str) -> None:
    outputs = example_outputs()
    outputs["scope"] = "organization"
    outputs["organization"] = {
        "memberOrganizationalUnits": ["ou-ab12-cdef3456"],
        "excludedAccounts": [account],
        "manageMemberRecorders": True,
        "memberRoleName": "config-compliance-member-dev",
        "stackSets": ["config-compliance-baseline-dev"],
        "managementRole": "SELF",
    }
    with pytest.raises(
        OutputsError, match=r"'organization\.excludedAccounts' must be a list of 12-digit account ids"
    ):
        parse_outputs(outputs)


# --- waiting and timeouts -----------------------------------------------------------------------


class _StalledSts:
    """An STS client whose GetCallerIdentity answers only when released."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.meta = type("Meta", (), {"endpoint_url": "https://sts.us-east-1.amazonaws.com"})()

    def get_caller_identity(self) -> dict[str, str]:
        self.release.wait(timeout=30)
        return {"Account": ACCOUNT}


def _stack() -> StackOutputs:
    return parse_outputs(example_outputs())


def test_a_first_call_without_an_answer_is_named_within_five_seconds() -> None:
    sts = _StalledSts()
    stream = io.StringIO()
    worker = threading.Thread(target=check_credentials, args=(lambda *_: sts, _stack(), stream))
    started = time.monotonic()
    worker.start()
    while not stream.getvalue() and time.monotonic() - started < 5:
        time.sleep(0.05)
    sts.release.set()
    worker.join(timeout=10)
    assert stream.getvalue() == (
        "waiting for https://sts.us-east-1.amazonaws.com (STS GetCallerIdentity, the first AWS call): "
        "no answer yet; Ctrl-C stops the command\n"
    )


def test_a_prompt_answer_prints_no_notice() -> None:
    sts = _StalledSts()
    sts.release.set()
    stream = io.StringIO()
    check_credentials(lambda *_: sts, _stack(), stream)
    time.sleep(0.1)
    assert stream.getvalue() == ""


def test_the_notice_is_written_once_and_never_after_the_block() -> None:
    stream = io.StringIO()
    with notice_if_slow("slow", stream, after_seconds=0.05):
        time.sleep(0.3)
    with notice_if_slow("fast", stream, after_seconds=0.2):
        pass
    time.sleep(0.4)
    assert stream.getvalue() == "slow\n"


@pytest.mark.skipif(not hasattr(signal, "pthread_sigmask"), reason="POSIX signal masks only")
def test_ctrl_c_is_never_delivered_to_the_notice_thread() -> None:
    """The notice's thread blocks SIGINT, so the kernel hands Ctrl-C to the main thread, the one Python runs
    the handler in and the one blocked in the slow call; the main thread's own mask is left as it was."""
    masks: list[set[signal.Signals]] = []

    class Recording(io.StringIO):
        def write(self, text: str) -> int:
            masks.append(set(signal.pthread_sigmask(signal.SIG_BLOCK, [])))
            return super().write(text)

    before = set(signal.pthread_sigmask(signal.SIG_BLOCK, []))
    with notice_if_slow("slow", Recording(), after_seconds=0.01):
        time.sleep(0.3)
    assert masks and signal.SIGINT in masks[0]
    assert set(signal.pthread_sigmask(signal.SIG_BLOCK, [])) == before
    assert signal.SIGINT not in before


def test_another_account_is_refused_after_a_slow_answer_too() -> None:
    sts = _StalledSts()
    sts.release.set()
    outputs = example_outputs()
    outputs["aggregatorArn"] = outputs["aggregatorArn"].replace(ACCOUNT, "210987654321")
    with pytest.raises(CannotCheck, match="the AWS credentials are for account 123456789012"):
        check_credentials(lambda *_: sts, parse_outputs(outputs), io.StringIO())


def test_every_aws_call_is_bounded_in_time() -> None:
    # docs/verify.md: 5 s to connect, 30 s to read, 3 attempts; an unreachable endpoint fails its check
    # in at most about two minutes instead of botocore's default 60 s reads and legacy retries.
    assert (CLIENT_CONFIG.connect_timeout, CLIENT_CONFIG.read_timeout) == (5, 30)
    assert CLIENT_CONFIG.retries == {"mode": "standard", "max_attempts": 3}


# --- what the report counts ---------------------------------------------------------------------


def _result(resource: str, compliance: str) -> dict[str, Any]:
    qualifier = {
        "ConfigRuleName": "compliance-backup-dev-us-east-1",
        "ResourceType": "AWS::RDS::DBInstance",
        "ResourceId": resource,
    }
    return {
        "EvaluationResultIdentifier": {"EvaluationResultQualifier": qualifier},
        "ComplianceType": compliance,
        "ResultRecordedTime": NOW,
        "ConfigRuleInvokedTime": NOW,
        "AccountId": ACCOUNT,
        "AwsRegion": "us-east-1",
        "Annotation": f"{resource} is {compliance}",
    }


def test_only_compliant_and_non_compliant_results_are_counted(config: tuple[Any, Stubber]) -> None:
    client, stubber = config
    aggregator = {"ConfigurationAggregatorName": "config-compliance-dev"}
    source = {
        "SourceId": ACCOUNT,
        "SourceType": "ACCOUNT",
        "AwsRegion": "us-east-1",
        "LastUpdateStatus": "SUCCEEDED",
    }
    stubber.add_response(
        "describe_configuration_aggregator_sources_status",
        {"AggregatedSourceStatusList": [source]},
        aggregator,
    )
    listed = {
        "ConfigRuleName": "compliance-backup-dev-us-east-1",
        "Compliance": {"ComplianceType": "NON_COMPLIANT"},
        "AccountId": ACCOUNT,
        "AwsRegion": "us-east-1",
    }
    stubber.add_response(
        "describe_aggregate_compliance_by_config_rules",
        {"AggregateComplianceByConfigRules": [listed]},
        {**aggregator, "Filters": {"AwsRegion": "us-east-1"}},
    )
    results = [
        _result(resource, compliance)
        for resource, compliance in (
            ("db-1", "COMPLIANT"),
            ("db-2", "NON_COMPLIANT"),
            ("db-3", "NOT_APPLICABLE"),
            ("db-4", "INSUFFICIENT_DATA"),
        )
    ]
    stubber.add_response(
        "get_aggregate_compliance_details_by_config_rule",
        {"AggregateEvaluationResults": results},
        {
            **aggregator,
            "ConfigRuleName": "compliance-backup-dev-us-east-1",
            "AccountId": ACCOUNT,
            "AwsRegion": "us-east-1",
            "Limit": 100,
        },
    )
    outputs = parse_outputs(example_outputs())
    report = collect(outputs, lambda *_: client, Filters(regions=("us-east-1",), checks=("backup",)), NOW)

    assert report.counts == {("backup", "us-east-1"): Counts(compliant=1, non_compliant=1)}
    assert [finding.resource_id for finding in report.findings] == ["db-2"]
    assert not report.incomplete


def test_an_account_filter_keeps_organization_sources_and_the_accounts_own(
    config: tuple[Any, Stubber],
) -> None:
    client, stubber = config
    statuses = [
        {
            "SourceId": "o-a1b2c3d4e5",
            "SourceType": "ORGANIZATION",
            "AwsRegion": "us-east-1",
            "LastUpdateStatus": "FAILED",
        },
        {
            "SourceId": "111122223333",
            "SourceType": "ACCOUNT",
            "AwsRegion": "us-east-1",
            "LastUpdateStatus": "FAILED",
        },
        {
            "SourceId": "210987654321",
            "SourceType": "ACCOUNT",
            "AwsRegion": "us-east-1",
            "LastUpdateStatus": "OUTDATED",
        },
    ]
    stubber.add_response(
        "describe_configuration_aggregator_sources_status",
        {"AggregatedSourceStatusList": statuses},
        {"ConfigurationAggregatorName": "agg"},
    )
    warnings, incomplete = source_warnings(client, "agg", ("us-east-1",), ("210987654321",))
    assert warnings == [
        "aggregator source o-a1b2c3d4e5 us-east-1 is FAILED: its results may be missing",
        "aggregator source 210987654321 us-east-1 is OUTDATED: its results may be out of date",
    ]
    assert incomplete
