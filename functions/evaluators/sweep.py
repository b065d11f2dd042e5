"""Periodic sweeps: list every resource of the check's types, evaluate, retire vanished ones, post.

A sweep overlaps its waits: every resource type is listed at once, alongside the read of the rule's
previous results and whatever the evaluator needs (the backup check's plan selections); per-resource
reads share one bounded pool; PutEvaluations batches go out together once every evaluation is known.
Evaluations are keyed by (resource type, id), so nothing is posted twice, and a failure on one type
leaves every other type evaluated and posted. Each sweep writes its compliance metrics (see metrics).

Imported only by scheduled invocations, so a change event's cold start does not load it.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from evaluators import metrics
from evaluators.aws import READ_CONCURRENCY, AwsClient
from evaluators.check import Check, Evaluator, Target
from evaluators.errors import EvaluationIncompleteError
from evaluators.events import RuleEvent
from evaluators.excepting import excepting_evaluator
from evaluators.inventory import Listed, ResourceFailure, SweepContext, error_reason, pages
from evaluators.reporting import put_evaluations
from evaluators.verdicts import Compliance, Evaluation, MissingEvidence

P = TypeVar("P")


@dataclass
class _Sweep:
    evaluations: dict[tuple[str, str], Evaluation] = field(default_factory=dict)
    failures: list[ResourceFailure] = field(default_factory=list)
    # Types whose listing completed, in the check's order: only their previous results can be judged
    # vanished, and only they get a metrics record.
    listed_types: list[str] = field(default_factory=list)


def sweep(check: Check[P], parameters: P, rule_event: RuleEvent, target: Target) -> list[Evaluation]:
    assert rule_event.rule_name and rule_event.account_id and rule_event.notification_time
    started = time.monotonic()
    config = target.clients("config")
    ctx = SweepContext(config.meta.region_name, rule_event.account_id, config.meta.partition, target.clients)
    state = _Sweep()
    now = rule_event.notification_time
    with (
        ThreadPoolExecutor(READ_CONCURRENCY, thread_name_prefix="read") as reads,
        ThreadPoolExecutor(len(check.listers) + 2, thread_name_prefix="sweep") as tasks,
    ):
        ctx.reads = reads
        evaluator = tasks.submit(excepting_evaluator, check, parameters, target)
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
            _evaluate_listing(state, resource_type, listing, evaluate, now)
        try:
            _retire_vanished(state, previous.result(), now)
        except (ClientError, BotoCoreError) as error:
            failure = ResourceFailure("previous results", rule_event.rule_name, error_reason(error))
            state.failures.append(failure)
        posted = list(state.evaluations.values())
        refused = put_evaluations(config, posted, rule_event.result_token, executor=tasks)
    duration_ms = (time.monotonic() - started) * 1000
    metrics.write(metrics.sweep_records(check.name, state.listed_types, posted, duration_ms, _epoch_ms()))
    problems = [f.describe() for f in state.failures]
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
