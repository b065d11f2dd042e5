"""The checks of a deployed stack, one result line each.

Per region: the recorder records, the delivery channel's last delivery to the bucket succeeded, and
every rule exists, invokes the stack's function and has evaluated within twice its frequency, and
the alert path delivered everything in the last 24 hours. In the primary region: every aggregator
source reports SUCCEEDED, and the alert topic has a confirmed subscription. A failed AWS call fails its
own check only, marked as "could not check" (it says nothing about the stack).

In organization scope the rules are organization rules: per region and rule, one line for its
deployment to the accounts (verification/organization.py) and one for the hub account's own copy, which
must evaluate like an account-scope rule; per StackSet, one line for its stack instances; and the
aggregator's sources are checked per account and region.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from components.naming import ORGANIZATION_RULE_PREFIX
from verification.alert_path import check_alert_path
from verification.clients import AwsClient, ClientFactory
from verification.organization import check_organization_rule, check_stack_set
from verification.outputs import FREQUENCY_HOURS, RegionRecording, RuleOutput, StackOutputs
from verification.results import AWS_CALL_ERRORS, CheckResult, Finding, Verdict, describe_error, error_code

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
    if organization is not None:
        # The StackSets live in the primary region, with the hub's other resources.
        cloudformation = clients("cloudformation", primary)
        for name in organization.stack_sets:
            stack_set = partial(check_stack_set, cloudformation, name, organization.management_role)
            yield _run(primary, f"stack set {name}", stack_set)
    sns = clients("sns", outputs.topic_region)
    subscriptions = partial(check_topic, sns, outputs.topic_arn, stack)
    yield _run(outputs.topic_region, "alert subscriptions", subscriptions)


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
            attempted = _time(info.get("lastAttemptTime"))
            failures.append(f"{kind} delivery failed at {attempted}: {_error_of(info)}")
        elif _status(info) == "SUCCESS":
            successes.append(f"{kind} at {_time(info.get('lastSuccessfulTime'))}")
    if failures:
        return Verdict.FAIL, f"delivery to {bucket}: {'; '.join(failures)}"
    if not successes:
        return Verdict.FAIL, f"delivery channel {name} has not delivered to {bucket} yet"
    return Verdict.PASS, f"last delivery to {bucket} succeeded ({', '.join(successes)})"


def check_rule(config: AwsClient, rule: RuleOutput, stack_frequency: str, now: datetime) -> Finding:
    name = rule.rule_name
    try:
        described = config.describe_config_rules(ConfigRuleNames=[name])["ConfigRules"]
    except AWS_CALL_ERRORS as error:
        if error_code(error) == "NoSuchConfigRuleException":
            return Verdict.FAIL, f"rule {name} does not exist"
        raise
    if not described:
        return Verdict.FAIL, f"rule {name} does not exist"
    return _evaluating(config, described[0], rule.function_arn, stack_frequency, now)


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
    return _evaluating(config, found[0], rule.function_arn, stack_frequency, now)


def _evaluating(
    config: AwsClient, described: Mapping[str, Any], function_arn: str, stack_frequency: str, now: datetime
) -> Finding:
    """A described rule is active, invokes ``function_arn`` and evaluated within twice its frequency."""
    name = described["ConfigRuleName"]
    state = described.get("ConfigRuleState")
    if state != "ACTIVE":
        return Verdict.FAIL, f"rule {name} is {state}, not ACTIVE"
    invoked = described.get("Source", {}).get("SourceIdentifier")
    if invoked != function_arn:
        return Verdict.FAIL, f"rule {name} invokes {invoked}, not the stack's function {function_arn}"

    frequency = _periodic_frequency(described) or stack_frequency
    window = timedelta(hours=2 * FREQUENCY_HOURS.get(frequency, FREQUENCY_HOURS[stack_frequency]))
    response = config.describe_config_rule_evaluation_status(ConfigRuleNames=[name])
    statuses = response["ConfigRulesEvaluationStatus"]
    if not statuses:
        return Verdict.FAIL, f"rule {name} reports no evaluation status"
    status = statuses[0]
    if _later(status.get("LastFailedInvocationTime"), status.get("LastSuccessfulInvocationTime")):
        return Verdict.FAIL, (
            f"rule {name}: last invocation failed at {_time(status['LastFailedInvocationTime'])}: "
            f"{_error_of(status)}"
        )
    if _later(status.get("LastFailedEvaluationTime"), status.get("LastSuccessfulEvaluationTime")):
        return Verdict.FAIL, (
            f"rule {name}: last evaluation failed at {_time(status['LastFailedEvaluationTime'])}: "
            f"{_error_of(status)}"
        )
    evaluated = status.get("LastSuccessfulEvaluationTime")
    if evaluated is None:
        activated = status.get("FirstActivatedTime")
        since = f"activated {_ago(now, activated)}" if activated else "never activated"
        return Verdict.FAIL, f"rule {name} has never evaluated ({since}; periodic runs every {frequency})"
    if now - evaluated > window:
        return Verdict.FAIL, (
            f"rule {name} last evaluated {_ago(now, evaluated)}, more than {_hours(window)} "
            f"(twice its {frequency} frequency)"
        )
    limit = f"limit {_hours(window)}: twice {frequency}"
    return Verdict.PASS, f"rule {name} last evaluated {_ago(now, evaluated)} ({limit})"


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


def _time(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if moment else "an unknown time"


def _hours(window: timedelta) -> str:
    return f"{int(window.total_seconds() // 3600)} h"


def _ago(now: datetime, moment: datetime) -> str:
    minutes = max(0, int((now - moment).total_seconds() // 60))
    if minutes < 60:
        return f"{minutes} min ago"
    return f"{minutes // 60} h {minutes % 60:02d} min ago"
