"""The checks of a deployed stack, one result line each.

Per region: the recorder records, the delivery channel's last delivery to the bucket succeeded, and
every rule exists, invokes the stack's function and has evaluated within twice its frequency, and
the alert path delivered everything in the last 24 hours. Each AWS managed rule of the stack is active,
runs its identifier and evaluates as its trigger needs: a periodic one within twice its frequency, a
change-triggered one only not failing (nothing may have changed for days). Each conformance pack is
deployed and every rule Config lists for it evaluates so. In the primary region: every aggregator
source reports SUCCEEDED, the managed-rule summary (when the stack has one) runs on its schedule without
failing (verification/managed_summary.py), and the alert topic has a confirmed subscription. Last, the
stack's listed exceptions (its outputs, no AWS call): none expired (FAIL), none expiring within 14 days
(WARN). A failed AWS call fails its own check only, marked as "could not check" (it says nothing about the
stack).

In organization scope the rules are organization rules: per region and rule, one line for its
deployment to the accounts (verification/organization.py) and one for the hub account's own copy, which
must evaluate like an account-scope rule; one line for the organization's accounts (each in the member OUs
or skipped by the rules); per StackSet, one line for its stack instances; and the aggregator's sources are
checked per account and region.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from components.managed_rules import MANAGED_RULES
from components.naming import ORGANIZATION_RULE_PREFIX
from verification.alert_path import check_alert_path
from verification.clients import AwsClient, ClientFactory
from verification.compliance import CONFORMS_SERVICE
from verification.exception_review import check_exceptions
from verification.managed_summary import check_managed_summary
from verification.organization import (
    check_member_accounts,
    check_organization_conformance_pack,
    check_organization_managed_rule,
    check_organization_rule,
    check_stack_set,
)
from verification.outputs import FREQUENCY_HOURS, ManagedRuleOutput, RegionRecording, RuleOutput, StackOutputs
from verification.results import AWS_CALL_ERRORS, CheckResult, Finding, Verdict, describe_error, error_code
from verification.times import ago, hours, time_of

# ConformancePackState values of a deployed pack (Config API Reference, ConformancePackStatusDetail; the
# enum in botocore's Config model): CREATE_COMPLETE, UPDATE_COMPLETE. The others are in progress or failed.
PACK_DEPLOYED = ("CREATE_COMPLETE", "UPDATE_COMPLETE")
# A periodic rule without MaximumExecutionFrequency runs every 24 hours (Config API Reference, ConfigRule:
# "By default, rules with a periodic trigger are evaluated every 24 hours").
DEFAULT_PERIODIC_FREQUENCY = "TwentyFour_Hours"
# DescribeConfigRules takes at most 25 rule names (botocore's Config model).
RULE_NAMES_PER_CALL = 25
# At most this many failing rules of a pack are named in its line; the rest are counted.
NAMED_AT_MOST = 10

# Delivery infos that describe deliveries to the bucket (the stream one goes to an SNS topic).
_BUCKET_DELIVERIES = {
    "configHistoryDeliveryInfo": "history",
    "configSnapshotDeliveryInfo": "snapshot",
}


def verify(
    outputs: StackOutputs, clients: ClientFactory, now: datetime, stack: str | None = None
) -> Iterator[CheckResult]:
    """Runs every check, yielding each result as soon as it is known.

    ``stack`` is the Pulumi stack name when known: fix commands in FAIL lines name it.
    """
    organization = outputs.organization
    for region in outputs.regions:
        config = clients("config", region)
        recording = outputs.recording[region]
        yield _run(region, "recorder", partial(check_recorder, config, recording))
        yield _run(region, "delivery", partial(check_delivery, config, recording, outputs.bucket_name))
        hub_copies = HubRuleCopies(config)
        for rule in outputs.rules[region]:
            frequency = outputs.evaluation_frequency
            if organization is None:
                yield _run(region, f"rule {rule.check}", partial(check_rule, config, rule, frequency, now))
                continue
            excluded = organization.excluded_accounts
            yield _run(
                region, f"org rule {rule.check}", partial(check_organization_rule, config, rule, excluded)
            )
            if outputs.account_id in excluded:
                excluded_hub = f"the hub account {outputs.account_id} is in excludedAccounts: it has no copy"
                yield CheckResult(Verdict.SKIP, region, f"rule {rule.check}", excluded_hub)
                continue
            hub_copy = partial(check_hub_copy, config, hub_copies, rule, frequency, now)
            yield _run(region, f"rule {rule.check}", hub_copy)
        yield from _managed_rules(outputs, region, config, hub_copies, now)
        yield from _conformance_packs(outputs, region, config, now)
        topic_name = outputs.topic_name if region == outputs.topic_region else None
        alert_path = partial(
            check_alert_path,
            clients("cloudwatch", region),
            clients("sqs", region),
            outputs.alert_path[region],
            topic_name,
            now,
        )
        yield _run(region, "alert path", alert_path)
    primary = outputs.primary_region
    aggregator = partial(
        check_aggregator,
        clients("config", primary),
        outputs.aggregator_name,
        outputs.regions,
        by_account=organization is not None,
    )
    yield _run(primary, "aggregator", aggregator)
    summary = outputs.managed_rule_summary
    if summary is not None:
        summary_check = partial(
            check_managed_summary,
            clients("lambda", primary),
            clients("events", primary),
            clients("cloudwatch", primary),
            summary,
            primary,
            now,
            stack,
        )
        yield _run(primary, "managed-rule summary", summary_check)
    if organization is not None:
        member_accounts = partial(
            check_member_accounts,
            clients("organizations", primary),
            organization.member_organizational_units,
            organization.excluded_accounts,
            outputs.account_id,
            stack,
        )
        yield _run(primary, "member accounts", member_accounts)
        # The StackSets live in the primary region, with the hub's other resources.
        cloudformation = clients("cloudformation", primary)
        for name in organization.stack_sets:
            stack_set = partial(check_stack_set, cloudformation, name, organization.management_role)
            yield _run(primary, f"stack set {name}", stack_set)
    sns = clients("sns", outputs.topic_region)
    subscriptions = partial(check_topic, sns, outputs.topic_arn, stack)
    yield _run(outputs.topic_region, "alert subscriptions", subscriptions)
    verdict, message = check_exceptions(outputs.exceptions, now.astimezone(UTC).date(), stack)
    yield CheckResult(verdict, primary, "exceptions", message)


def _managed_rules(
    outputs: StackOutputs, region: str, config: AwsClient, hub_copies: HubRuleCopies, now: datetime
) -> Iterator[CheckResult]:
    organization = outputs.organization
    frequency = outputs.evaluation_frequency
    for rule in outputs.managed_rules.get(region, ()):
        check = f"managed rule {rule.name}"
        if organization is None:
            yield _run(region, check, partial(check_managed_rule, config, rule, frequency, now))
            continue
        excluded = organization.excluded_accounts
        organization_rule = partial(check_organization_managed_rule, config, rule, excluded)
        yield _run(region, f"org {check}", organization_rule)
        if outputs.account_id in excluded:
            excluded_hub = f"the hub account {outputs.account_id} is in excludedAccounts: it has no copy"
            yield CheckResult(Verdict.SKIP, region, check, excluded_hub)
            continue
        yield _run(region, check, partial(check_hub_managed_copy, config, hub_copies, rule, frequency, now))


def _conformance_packs(
    outputs: StackOutputs, region: str, config: AwsClient, now: datetime
) -> Iterator[CheckResult]:
    for pack in outputs.conformance_packs.get(region, ()):
        if outputs.organization is None:
            yield _run(region, f"conformance pack {pack}", partial(check_conformance_pack, config, pack, now))
        else:
            excluded = outputs.organization.excluded_accounts
            organization_pack = partial(check_organization_conformance_pack, config, pack, excluded)
            yield _run(region, f"org conformance pack {pack}", organization_pack)


def _run(region: str, check: str, probe: Callable[[], Finding]) -> CheckResult:
    try:
        verdict, message = probe()
    except AWS_CALL_ERRORS as error:
        return CheckResult(
            Verdict.FAIL, region, check, f"could not check: {describe_error(error)}", could_not_check=True
        )
    return CheckResult(verdict, region, check, message)


def check_recorder(config: AwsClient, recording: RegionRecording) -> Finding:
    if not recording.managed:
        statuses = config.describe_configuration_recorder_status()["ConfigurationRecordersStatus"]
        if not statuses:
            return Verdict.FAIL, "no configuration recorder exists (the stack expects a pre-existing one)"
        recording_names = [status["name"] for status in statuses if status.get("recording")]
        if not recording_names:
            names = ", ".join(status["name"] for status in statuses)
            return Verdict.FAIL, f"not managed by this stack, and no recorder here is recording ({names})"
        return Verdict.PASS, f"not managed by this stack; recorder {', '.join(recording_names)} is recording"

    name = recording.recorder_name
    try:
        response = config.describe_configuration_recorder_status(ConfigurationRecorderNames=[name])
    except AWS_CALL_ERRORS as error:
        if error_code(error) == "NoSuchConfigurationRecorderException":
            return Verdict.FAIL, f"recorder {name} does not exist"
        raise
    # An empty answer (an emulator, or a region where the recorder is gone) means the same as the error.
    if not response["ConfigurationRecordersStatus"]:
        return Verdict.FAIL, f"recorder {name} does not exist"
    status = response["ConfigurationRecordersStatus"][0]
    if not status.get("recording"):
        return Verdict.FAIL, f"recorder {name} exists but is not recording (no enabled recorder status)"
    if _status(status) == "FAILURE":
        return Verdict.FAIL, f"recorder {name} is on but its last recording failed: {_error_of(status)}"
    return Verdict.PASS, f"recorder {name} is recording (last status {status.get('lastStatus', 'unknown')})"


def check_delivery(config: AwsClient, recording: RegionRecording, bucket: str) -> Finding:
    if not recording.managed:
        return Verdict.SKIP, "the region's pre-existing recorder delivers elsewhere; not this stack's channel"
    name = recording.delivery_channel_name
    try:
        channels = config.describe_delivery_channels(DeliveryChannelNames=[name])["DeliveryChannels"]
    except AWS_CALL_ERRORS as error:
        if error_code(error) == "NoSuchDeliveryChannelException":
            return Verdict.FAIL, f"delivery channel {name} does not exist"
        raise
    if not channels:
        return Verdict.FAIL, f"delivery channel {name} does not exist"
    target = channels[0].get("s3BucketName")
    if target != bucket:
        return Verdict.FAIL, f"delivery channel {name} delivers to bucket {target}, not {bucket}"

    statuses = config.describe_delivery_channel_status(DeliveryChannelNames=[name])["DeliveryChannelsStatus"]
    if not statuses:
        return Verdict.FAIL, f"delivery channel {name} reports no status"
    status = statuses[0]
    failures: list[str] = []
    successes: list[str] = []
    for key, kind in _BUCKET_DELIVERIES.items():
        info = status.get(key, {})
        if _status(info) == "FAILURE":
            attempted = time_of(info.get("lastAttemptTime"))
            failures.append(f"{kind} delivery failed at {attempted}: {_error_of(info)}")
        elif _status(info) == "SUCCESS":
            successes.append(f"{kind} at {time_of(info.get('lastSuccessfulTime'))}")
    if failures:
        return Verdict.FAIL, f"delivery to {bucket}: {'; '.join(failures)}"
    if not successes:
        return Verdict.FAIL, f"delivery channel {name} has not delivered to {bucket} yet"
    return Verdict.PASS, f"last delivery to {bucket} succeeded ({', '.join(successes)})"


def check_rule(config: AwsClient, rule: RuleOutput, stack_frequency: str, now: datetime) -> Finding:
    described = _described_rule(config, rule.rule_name)
    if described is None:
        return Verdict.FAIL, f"rule {rule.rule_name} does not exist"
    return _evaluating(config, described, _invokes(rule.function_arn), stack_frequency, now)


def _described_rule(config: AwsClient, name: str) -> Mapping[str, Any] | None:
    """The rule as DescribeConfigRules gives it; None when there is no such rule."""
    try:
        described = config.describe_config_rules(ConfigRuleNames=[name])["ConfigRules"]
    except AWS_CALL_ERRORS as error:
        if error_code(error) == "NoSuchConfigRuleException":
            return None
        raise
    # AWS answers an unknown name with NoSuchConfigRuleException; an empty list is treated the same.
    return dict(described[0]) if described else None


class HubRuleCopies:
    """The Config rules of one region of the hub account, listed once (DescribeConfigRules, paged).

    Config names an account's copy of an organization rule ``OrgConfigRule-<organization rule
    name>-<random suffix>`` (components/naming.py), so the copy cannot be asked for by name.
    """

    def __init__(self, config: AwsClient) -> None:
        self._config = config
        self._rules: list[dict[str, Any]] | None = None

    def of(self, organization_rule: str) -> list[dict[str, Any]]:
        if self._rules is None:
            paginator = self._config.get_paginator("describe_config_rules")
            self._rules = [rule for page in paginator.paginate() for rule in page["ConfigRules"]]
        # The hyphen after the name keeps a rule whose name merely starts with this one's out.
        prefix = f"{ORGANIZATION_RULE_PREFIX}{organization_rule}-"
        return [rule for rule in self._rules if rule["ConfigRuleName"].startswith(prefix)]


def check_hub_copy(
    config: AwsClient, copies: HubRuleCopies, rule: RuleOutput, stack_frequency: str, now: datetime
) -> Finding:
    """The hub account's copy of an organization rule evaluates like an account-scope rule."""
    found = copies.of(rule.rule_name)
    if not found:
        return Verdict.FAIL, (
            f"the hub account has no copy of organization rule {rule.rule_name} "
            f"(no rule named {ORGANIZATION_RULE_PREFIX}{rule.rule_name}-...)"
        )
    if len(found) > 1:
        names = ", ".join(sorted(copy["ConfigRuleName"] for copy in found))
        copies_of = f"{len(found)} copies of organization rule {rule.rule_name}"
        return Verdict.FAIL, f"the hub account has {copies_of}: {names}"
    return _evaluating(config, found[0], _invokes(rule.function_arn), stack_frequency, now)


def check_managed_rule(
    config: AwsClient, rule: ManagedRuleOutput, stack_frequency: str, now: datetime
) -> Finding:
    """An AWS managed rule of the stack is active, runs its identifier and evaluates as its trigger needs."""
    described = _described_rule(config, rule.rule_name)
    if described is None:
        return Verdict.FAIL, f"rule {rule.rule_name} does not exist"
    periodic = rule.trigger != "change"
    return _evaluating(config, described, _runs_managed_rule(rule.identifier), stack_frequency, now, periodic)


def check_hub_managed_copy(
    config: AwsClient, copies: HubRuleCopies, rule: ManagedRuleOutput, stack_frequency: str, now: datetime
) -> Finding:
    """The hub account's copy of an organization managed rule evaluates like an account-scope one."""
    found = copies.of(rule.rule_name)
    if len(found) != 1:
        names = ", ".join(sorted(copy["ConfigRuleName"] for copy in found)) or "none"
        return Verdict.FAIL, (
            f"the hub account should have one copy of organization rule {rule.rule_name} "
            f"({ORGANIZATION_RULE_PREFIX}{rule.rule_name}-...), it has: {names}"
        )
    periodic = rule.trigger != "change"
    source = _runs_managed_rule(rule.identifier)
    return _evaluating(config, found[0], source, stack_frequency, now, periodic)


def check_conformance_pack(config: AwsClient, name: str, now: datetime) -> Finding:
    """The pack is deployed (DescribeConformancePackStatus) and each of its rules, as Config names them
    (DescribeConformancePackCompliance: a pack's rules are renamed by Config, so never guessed), is active
    and evaluating as its trigger needs."""
    try:
        details = config.describe_conformance_pack_status(ConformancePackNames=[name])[
            "ConformancePackStatusDetails"
        ]
    except AWS_CALL_ERRORS as error:
        if error_code(error) == "NoSuchConformancePackException":
            return Verdict.FAIL, f"conformance pack {name} does not exist"
        raise
    if not details:
        return Verdict.FAIL, f"conformance pack {name} does not exist"
    state = details[0].get("ConformancePackState")
    if state not in PACK_DEPLOYED:
        reason = details[0].get("ConformancePackStatusReason")
        return Verdict.FAIL, f"conformance pack {name} is {state}" + (f": {reason}" if reason else "")

    paginator = config.get_paginator("describe_conformance_pack_compliance")
    rule_names = [
        rule["ConfigRuleName"]
        for page in paginator.paginate(ConformancePackName=name)
        for rule in page["ConformancePackRuleComplianceList"]
    ]
    if not rule_names:
        return Verdict.FAIL, f"conformance pack {name} is {state} but reports no rules"
    described = [
        rule
        for start in range(0, len(rule_names), RULE_NAMES_PER_CALL)
        for rule in _described_rules(config, rule_names[start : start + RULE_NAMES_PER_CALL])
    ]
    missing = sorted(set(rule_names) - {rule["ConfigRuleName"] for rule in described})
    failing = [f"rule {rule} does not exist" for rule in missing]
    for rule in described:
        # As the report does (verification/compliance.py): a pack's rules are service-linked rules that
        # the conformance-pack service created (Config API Reference, ConfigRule: CreatedBy).
        if rule.get("CreatedBy") != CONFORMS_SERVICE:
            failing.append(
                f"rule {rule['ConfigRuleName']} was not created by {CONFORMS_SERVICE} "
                f"(CreatedBy {rule.get('CreatedBy')!r})"
            )
            continue
        verdict, message = _evaluating(
            config, rule, None, DEFAULT_PERIODIC_FREQUENCY, now, periodic=_is_periodic(rule)
        )
        if verdict is Verdict.FAIL:
            failing.append(message)
    if failing:
        named = "; ".join(failing[:NAMED_AT_MOST])
        more = f"; and {len(failing) - NAMED_AT_MOST} more" if len(failing) > NAMED_AT_MOST else ""
        return Verdict.FAIL, (
            f"conformance pack {name} is {state}; "
            f"{len(failing)} of {len(rule_names)} rules fail: {named}{more}"
        )
    return (
        Verdict.PASS,
        f"conformance pack {name} is {state}; its {len(rule_names)} rules are active and evaluating",
    )


def _described_rules(config: AwsClient, names: Sequence[str]) -> list[Mapping[str, Any]]:
    """The rules of ``names`` that exist. DescribeConfigRules answers a request naming any rule that does
    not exist with NoSuchConfigRuleException, not with the others (Config API Reference,
    DescribeConfigRules, Errors): then each name is asked for alone."""
    try:
        return list(config.describe_config_rules(ConfigRuleNames=list(names))["ConfigRules"])
    except AWS_CALL_ERRORS as error:
        if error_code(error) != "NoSuchConfigRuleException":
            raise
    return [rule for name in names if (rule := _described_rule(config, name)) is not None]


def _is_periodic(described: Mapping[str, Any]) -> bool:
    """Whether a pack's rule runs on a schedule: it says so (a frequency, a ScheduledNotification source
    detail), or it is an AWS managed rule the project's table knows as periodic."""
    if _periodic_frequency(described):
        return True
    source = described.get("Source", {})
    known = MANAGED_RULES.get(source.get("SourceIdentifier", "")) if source.get("Owner") == "AWS" else None
    return known is not None and known.is_periodic


# What a described rule must run: None when it does, else the line that says what it runs instead.
SourceCheck = Callable[[Mapping[str, Any]], str | None]


def _invokes(function_arn: str) -> SourceCheck:
    def check(described: Mapping[str, Any]) -> str | None:
        invoked = described.get("Source", {}).get("SourceIdentifier")
        if invoked == function_arn:
            return None
        return (
            f"rule {described['ConfigRuleName']} invokes {invoked}, not the stack's function {function_arn}"
        )

    return check


def _runs_managed_rule(identifier: str) -> SourceCheck:
    def check(described: Mapping[str, Any]) -> str | None:
        source = described.get("Source", {})
        if source.get("Owner") == "AWS" and source.get("SourceIdentifier") == identifier:
            return None
        runs = f"{source.get('Owner')} {source.get('SourceIdentifier')}"
        return f"rule {described['ConfigRuleName']} runs {runs}, not the AWS managed rule {identifier}"

    return check


def _evaluating(
    config: AwsClient,
    described: Mapping[str, Any],
    source_check: SourceCheck | None,
    stack_frequency: str,
    now: datetime,
    periodic: bool = True,
) -> Finding:
    """A described rule is active, runs what ``source_check`` expects, its last invocation and evaluation
    did not fail, and, when ``periodic``, it evaluated within twice its frequency. A rule triggered by
    changes only may rightly not evaluate for days (nothing in its scope changed): it passes on the
    first three. ConfigRuleEvaluationStatus (Config API Reference) gives the times compared:
    LastSuccessful/LastFailedInvocationTime, LastSuccessful/LastFailedEvaluationTime, FirstActivatedTime,
    and LastErrorCode/LastErrorMessage."""
    name = described["ConfigRuleName"]
    state = described.get("ConfigRuleState")
    if state != "ACTIVE":
        return Verdict.FAIL, f"rule {name} is {state}, not ACTIVE"
    wrong_source = source_check(described) if source_check is not None else None
    if wrong_source:
        return Verdict.FAIL, wrong_source

    frequency = _periodic_frequency(described) or stack_frequency
    window = timedelta(hours=2 * FREQUENCY_HOURS.get(frequency, FREQUENCY_HOURS[stack_frequency]))
    response = config.describe_config_rule_evaluation_status(ConfigRuleNames=[name])
    statuses = response["ConfigRulesEvaluationStatus"]
    if not statuses:
        return Verdict.FAIL, f"rule {name} reports no evaluation status"
    status = statuses[0]
    if _later(status.get("LastFailedInvocationTime"), status.get("LastSuccessfulInvocationTime")):
        return Verdict.FAIL, (
            f"rule {name}: last invocation failed at {time_of(status['LastFailedInvocationTime'])}: "
            f"{_error_of(status)}"
        )
    if _later(status.get("LastFailedEvaluationTime"), status.get("LastSuccessfulEvaluationTime")):
        return Verdict.FAIL, (
            f"rule {name}: last evaluation failed at {time_of(status['LastFailedEvaluationTime'])}: "
            f"{_error_of(status)}"
        )
    evaluated = status.get("LastSuccessfulEvaluationTime")
    if not periodic:
        when = f"last evaluated {ago(now, evaluated)}" if evaluated else "not evaluated yet"
        return Verdict.PASS, (
            f"rule {name} is ACTIVE and evaluates on changes ({when}); its last evaluation did not fail"
        )
    if evaluated is None:
        activated = status.get("FirstActivatedTime")
        since = f"activated {ago(now, activated)}" if activated else "never activated"
        return Verdict.FAIL, f"rule {name} has never evaluated ({since}; periodic runs every {frequency})"
    if now - evaluated > window:
        return Verdict.FAIL, (
            f"rule {name} last evaluated {ago(now, evaluated)}, more than {hours(window)} "
            f"(twice its {frequency} frequency)"
        )
    limit = f"limit {hours(window)}: twice {frequency}"
    return Verdict.PASS, f"rule {name} last evaluated {ago(now, evaluated)} ({limit})"


def _periodic_frequency(rule: Mapping[str, Any]) -> str | None:
    for detail in rule.get("Source", {}).get("SourceDetails", []):
        if detail.get("MessageType") == "ScheduledNotification" and detail.get("MaximumExecutionFrequency"):
            return str(detail["MaximumExecutionFrequency"])
    frequency = rule.get("MaximumExecutionFrequency")
    return str(frequency) if frequency else None


def check_aggregator(
    config: AwsClient, name: str, regions: Sequence[str], by_account: bool = False
) -> Finding:
    """Every source of every region SUCCEEDED; ``by_account`` (organization scope): an organization
    source, and failing sources named by account and region."""
    try:
        aggregators = config.describe_configuration_aggregators(ConfigurationAggregatorNames=[name])[
            "ConfigurationAggregators"
        ]
    except AWS_CALL_ERRORS as error:
        if error_code(error) == "NoSuchConfigurationAggregatorException":
            return Verdict.FAIL, f"aggregator {name} does not exist"
        raise
    if not aggregators:
        return Verdict.FAIL, f"aggregator {name} does not exist"
    aggregator = aggregators[0]
    sources = [*aggregator.get("AccountAggregationSources", [])]
    if "OrganizationAggregationSource" in aggregator:
        sources.append(aggregator["OrganizationAggregationSource"])
    elif by_account:
        return Verdict.FAIL, f"aggregator {name} has no organization source (OrganizationAggregationSource)"
    all_regions = any(source.get("AllAwsRegions") for source in sources)
    covered = {region for source in sources for region in source.get("AwsRegions", [])}
    not_covered = [region for region in regions if not all_regions and region not in covered]
    if not_covered:
        return Verdict.FAIL, f"aggregator {name} does not aggregate {', '.join(not_covered)}"

    paginator = config.get_paginator("describe_configuration_aggregator_sources_status")
    statuses = [
        status
        for page in paginator.paginate(ConfigurationAggregatorName=name)
        for status in page["AggregatedSourceStatusList"]
    ]
    problems = [
        f"{_source_of(status, by_account)} {status.get('LastUpdateStatus')}"
        + (f" ({_error_of(status)})" if status.get("LastErrorCode") or status.get("LastErrorMessage") else "")
        for status in statuses
        if status.get("LastUpdateStatus") != "SUCCEEDED"
    ]
    reported = {status.get("AwsRegion") for status in statuses}
    problems += [f"{region} has not reported" for region in regions if region not in reported]
    if problems:
        return Verdict.FAIL, f"aggregator {name} sources not all SUCCEEDED: {'; '.join(problems)}"
    if by_account:
        accounts = len({status.get("SourceId") for status in statuses})
        return Verdict.PASS, (
            f"aggregator {name}: all {len(statuses)} sources SUCCEEDED "
            f"({accounts} account(s) in {len(reported)} region(s))"
        )
    return Verdict.PASS, f"aggregator {name}: all {len(statuses)} sources SUCCEEDED"


def _source_of(status: Mapping[str, Any], by_account: bool) -> str:
    """``us-east-1``, or in organization scope ``210987654321 us-east-1`` (account or organization id)."""
    region = status.get("AwsRegion", status.get("SourceId"))
    return f"{status.get('SourceId')} {region}" if by_account else str(region)


def subscribe_command(stack: str | None) -> str:
    """The commands that give the topic an email subscription (issue: the dev stack ships without one)."""
    on_stack = f" --stack {stack}" if stack else ""
    deploy = f"scripts/deploy.sh {stack}" if stack else "scripts/deploy.sh"
    return (
        f"pulumi config set --path 'notificationEmails[0]' you@example.com{on_stack}, "
        f"then pulumi up{on_stack} (or {deploy}), then confirm the emailed link"
    )


def check_topic(sns: AwsClient, topic_arn: str, stack: str | None = None) -> Finding:
    name = topic_arn.rsplit(":", 1)[-1]
    paginator = sns.get_paginator("list_subscriptions_by_topic")
    try:
        subscriptions = [
            subscription
            for page in paginator.paginate(TopicArn=topic_arn)
            for subscription in page["Subscriptions"]
        ]
    except AWS_CALL_ERRORS as error:
        if error_code(error) == "NotFound":
            return Verdict.FAIL, f"topic {name} does not exist"
        raise
    confirmed = [s for s in subscriptions if s["SubscriptionArn"].startswith("arn:")]
    pending_endpoints = [
        s.get("Endpoint", "?") for s in subscriptions if s["SubscriptionArn"] == "PendingConfirmation"
    ]
    pending = len(pending_endpoints)
    if not confirmed and pending:
        return Verdict.FAIL, (
            f"topic {name} has no confirmed subscription ({pending} pending confirmation: open the email AWS "
            f"sent to {', '.join(pending_endpoints)} and click its confirmation link); alerts reach nobody"
        )
    if not confirmed:
        fix = subscribe_command(stack)
        return Verdict.FAIL, f"topic {name} has no subscription; alerts reach nobody. Fix: {fix}"
    protocols = ", ".join(sorted({s["Protocol"] for s in confirmed}))
    pending_note = f", {pending} pending" if pending else ""
    count = len(confirmed)
    return Verdict.PASS, f"topic {name} has {count} confirmed subscription(s) ({protocols}){pending_note}"


def _status(status: Mapping[str, Any]) -> str:
    """``lastStatus`` in upper case: the API documents ``Success``, the CLI shows ``SUCCESS``."""
    return str(status.get("lastStatus", "")).upper()


def _later(first: datetime | None, second: datetime | None) -> bool:
    """Whether ``first`` happened and ``second`` did not happen after it."""
    return first is not None and (second is None or first > second)


def _error_of(status: Mapping[str, Any]) -> str:
    code = status.get("LastErrorCode") or status.get("lastErrorCode") or "error"
    message = status.get("LastErrorMessage") or status.get("lastErrorMessage")
    return f"{code}: {message}" if message else str(code)
