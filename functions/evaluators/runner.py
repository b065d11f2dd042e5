"""The handler pipeline shared by every check: parse, evaluate, post, and fail loudly.

A check supplies its resource types, a parameter parser, an evaluator (a pure function from a
configuration item to a verdict, built once per invocation) and one lister per resource type for
periodic sweeps. Everything else (the evaluator contract) lives here.

A sweep overlaps its waits: every resource type is listed at once, alongside the read of the rule's
previous results and whatever the evaluator needs (the backup check's plan selections); per-resource
reads share one bounded pool; PutEvaluations batches go out together once every evaluation is known.
Evaluations are keyed by (resource type, id), so nothing is posted twice, and a failure on one type
leaves every other type evaluated and posted.

Accounts: the function's own account comes from ``context.invoked_function_arn`` (no API call). An event
for another account (organization scope) is evaluated with the role ``MEMBER_ROLE_NAME`` in that account,
for every read and for PutEvaluations.
"""

from __future__ import annotations

import logging
import os
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from evaluators import metrics
from evaluators.aws import READ_CONCURRENCY, AwsClient, Clients, client, member_clients
from evaluators.errors import EvaluationIncompleteError, InvalidEventError
from evaluators.events import MessageType, RuleEvent, parse_event
from evaluators.inventory import Listed, Lister, ResourceFailure, SweepContext, error_reason, pages
from evaluators.items import ConfigurationItem, fetch_oversized_item
from evaluators.reporting import put_evaluations
from evaluators.verdicts import Compliance, Evaluation, MissingEvidence, Verdict

P = TypeVar("P")
Evaluator = Callable[[ConfigurationItem], Verdict]

MEMBER_ROLE_ENV = "MEMBER_ROLE_NAME"

logger = logging.getLogger("evaluators")


@dataclass(frozen=True)
class Target:
    """The account an invocation evaluates, its clients, and whether region-wide data (such as backup
    plan selections) must be read afresh (sweeps) or may come from the container's cache (change events)."""

    account_id: str | None
    clients: Clients
    fresh: bool


@dataclass(frozen=True)
class Check(Generic[P]):
    name: str
    parse_parameters: Callable[[Mapping[str, str]], P]
    # Builds the per-invocation evaluator; may read AWS (the backup check loads its plan selections).
    evaluator: Callable[[P, Target], Evaluator]
    # Resource types a periodic sweep lists, each with its lister.
    listers: Mapping[str, Lister]

    @property
    def resource_types(self) -> tuple[str, ...]:
        return tuple(self.listers)


def run(check: Check[P], event: Any, context: Any = None) -> dict[str, Any]:
    """Evaluate what ``event`` asks for and post the evaluations; see the module docstring."""
    logger.setLevel(os.environ.get("LOG_LEVEL", "INFO").upper())
    rule_event = parse_event(event)
    parameters = check.parse_parameters(rule_event.parameters)
    scheduled = rule_event.message_type is MessageType.SCHEDULED
    target = Target(rule_event.account_id, _clients_for(rule_event.account_id, context), fresh=scheduled)
    if scheduled:
        evaluations = _sweep(check, parameters, rule_event, target)
    else:
        evaluations = [_evaluate_change(check, parameters, rule_event, target)]
    counts = Counter(e.compliance.value for e in evaluations)
    logger.info("%s: posted %d evaluation(s) %s", check.name, len(evaluations), dict(counts))
    return {"messageType": rule_event.message_type.value, "evaluations": dict(counts)}


def _clients_for(account_id: str | None, context: Any) -> Clients:
    """The function's own clients, or the member role's in another account.

    Without a Lambda context (a local run) the event's account is taken as the function's own.
    """
    function_arn = getattr(context, "invoked_function_arn", None)
    if not isinstance(function_arn, str) or account_id is None:
        return client
    parts = function_arn.split(":")
    if len(parts) < 7 or not parts[4]:
        raise InvalidEventError(f"context.invoked_function_arn: not a Lambda function ARN: {function_arn!r}")
    partition, own_account = parts[1], parts[4]
    if account_id == own_account:
        return client
    role_name = os.environ.get(MEMBER_ROLE_ENV, "").strip()
    if not role_name:
        raise InvalidEventError(
            f"the event is for account {account_id}, not this function's account {own_account}, "
            f"and {MEMBER_ROLE_ENV} is not set"
        )
    return member_clients(f"arn:{partition}:iam::{account_id}:role/{role_name}")


def _evaluate_change(check: Check[P], parameters: P, rule_event: RuleEvent, target: Target) -> Evaluation:
    summary = rule_event.item
    assert summary is not None and summary.capture_time is not None  # guaranteed by parse_event
    verdict = _gone_verdict(summary, rule_event.event_left_scope)
    if verdict is None:
        item = summary
        if rule_event.message_type is MessageType.OVERSIZED_CHANGE:
            item = _oversized_item(target.clients("config"), summary)
        verdict = _gone_verdict(item, False)
        if verdict is None:
            try:
                verdict = check.evaluator(parameters, target)(item)
            except MissingEvidence as error:
                raise EvaluationIncompleteError(
                    "could not evaluate", [f"{item.describe()} (missing evidence: {error})"]
                ) from None
            except (ClientError, BotoCoreError) as error:
                raise EvaluationIncompleteError(
                    "could not evaluate", [f"{item.describe()} ({error_reason(error)})"]
                ) from None
    evaluation = Evaluation(
        summary.resource_type,
        summary.resource_id,
        verdict.compliance,
        verdict.annotation,
        summary.capture_time,
    )
    refused = put_evaluations(target.clients("config"), [evaluation], rule_event.result_token)
    if refused:
        raise EvaluationIncompleteError("Config refused the evaluation", [summary.describe()])
    return evaluation


def _oversized_item(config: AwsClient, summary: ConfigurationItem) -> ConfigurationItem:
    """The item behind an oversized notification; Config may no longer have it (for example
    ResourceNotDiscoveredException, GetResourceConfigHistory's error for a resource it does not know)."""
    try:
        item = fetch_oversized_item(config, summary)
    except (ClientError, BotoCoreError) as error:
        reason = error_reason(error)
    else:
        if item is not None:
            return item
        reason = "Config returned no configuration history"
    raise EvaluationIncompleteError(
        "could not read the oversized configuration item", [f"{summary.describe()} ({reason})"]
    )


def _gone_verdict(item: ConfigurationItem, left_scope: bool) -> Verdict | None:
    if left_scope:
        return Verdict.not_applicable("The resource left the rule's scope.")
    if item.is_gone:
        return Verdict.not_applicable(f"The resource is no longer recorded ({item.status}).")
    return None


@dataclass
class _Sweep:
    evaluations: dict[tuple[str, str], Evaluation] = field(default_factory=dict)
    failures: list[ResourceFailure] = field(default_factory=list)
    # Types whose listing completed, in the check's order: only their previous results can be judged
    # vanished, and only they get a metrics record.
    listed_types: list[str] = field(default_factory=list)


def _sweep(check: Check[P], parameters: P, rule_event: RuleEvent, target: Target) -> list[Evaluation]:
    assert rule_event.rule_name and rule_event.account_id and rule_event.notification_time
    started = time.monotonic()
    config = target.clients("config")
    ctx = SweepContext(config.meta.region_name, rule_event.account_id, config.meta.partition, target.clients)
    sweep = _Sweep()
    now = rule_event.notification_time
    with (
        ThreadPoolExecutor(READ_CONCURRENCY, thread_name_prefix="read") as reads,
        ThreadPoolExecutor(len(check.listers) + 2, thread_name_prefix="sweep") as tasks,
    ):
        ctx.reads = reads
        evaluator = tasks.submit(check.evaluator, parameters, target)
        previous = tasks.submit(lambda: list(_previous_results(config, rule_event.rule_name or "")))
        listings = {
            resource_type: tasks.submit(lambda lister: list(lister(ctx)), lister)
            for resource_type, lister in check.listers.items()
        }
        try:
            evaluate = evaluator.result()
        except (ClientError, BotoCoreError) as error:
            raise EvaluationIncompleteError(
                f"{check.name}: could not prepare the evaluation", [error_reason(error)]
            ) from None
        for resource_type, listing in listings.items():
            _evaluate_listing(sweep, resource_type, listing, evaluate, now)
        try:
            _retire_vanished(sweep, previous.result(), now)
        except (ClientError, BotoCoreError) as error:
            failure = ResourceFailure("previous results", rule_event.rule_name, error_reason(error))
            sweep.failures.append(failure)
        posted = list(sweep.evaluations.values())
        refused = put_evaluations(config, posted, rule_event.result_token, executor=tasks)
    duration_ms = (time.monotonic() - started) * 1000
    metrics.write(metrics.sweep_records(check.name, sweep.listed_types, posted, duration_ms, _epoch_ms()))
    problems = [f.describe() for f in sweep.failures]
    problems += [f"{e.resource_type} {e.resource_id} (refused by Config)" for e in refused]
    if problems:
        raise EvaluationIncompleteError(f"{check.name}: could not evaluate or post", problems)
    return posted


def _epoch_ms() -> int:
    return int(time.time() * 1000)


def _evaluate_listing(
    sweep: _Sweep, resource_type: str, listing: Future[list[Listed]], evaluate: Evaluator, now: datetime
) -> None:
    try:
        listed = listing.result()
    except (ClientError, BotoCoreError) as error:
        sweep.failures.append(ResourceFailure(resource_type, "*", error_reason(error)))
        return
    sweep.listed_types.append(resource_type)
    for entry in listed:
        if isinstance(entry, ResourceFailure):
            sweep.failures.append(entry)
            continue
        try:
            verdict = evaluate(entry)
        except MissingEvidence as error:
            reason = f"missing evidence: {error}"
            sweep.failures.append(ResourceFailure(entry.resource_type, entry.resource_id, reason))
            continue
        evaluation = Evaluation(
            entry.resource_type, entry.resource_id, verdict.compliance, verdict.annotation, now
        )
        sweep.evaluations[evaluation.key] = evaluation


def _retire_vanished(sweep: _Sweep, previous: Iterable[tuple[str, str]], now: datetime) -> None:
    """Previous results for resources of a fully listed type that the sweep no longer found."""
    unreadable = {(f.resource_type, f.resource_id) for f in sweep.failures}
    for key in previous:
        if key[0] in sweep.listed_types and key not in sweep.evaluations and key not in unreadable:
            sweep.evaluations[key] = Evaluation(
                key[0], key[1], Compliance.NOT_APPLICABLE, "The resource no longer exists.", now
            )


def _previous_results(config: AwsClient, rule_name: str) -> Iterator[tuple[str, str]]:
    """(resource type, id) of every COMPLIANT or NON_COMPLIANT result the rule currently holds."""
    request = {"ConfigRuleName": rule_name, "ComplianceTypes": ["COMPLIANT", "NON_COMPLIANT"]}
    for page in pages(config, "get_compliance_details_by_config_rule", 100, **request):
        for result in page.get("EvaluationResults", []):
            qualifier = result["EvaluationResultIdentifier"]["EvaluationResultQualifier"]
            yield qualifier["ResourceType"], qualifier["ResourceId"]
