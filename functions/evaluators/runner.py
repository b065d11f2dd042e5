"""The handler pipeline shared by every check: parse, evaluate, post, and fail loudly.

A check supplies its resource types, a parameter parser, an evaluator (a pure function from a
configuration item to a verdict, built once per invocation) and one lister per resource type for
periodic sweeps. Everything else (the evaluator contract) lives here.
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from evaluators.aws import AwsClient, client
from evaluators.errors import EvaluationIncompleteError
from evaluators.events import MessageType, RuleEvent, parse_event
from evaluators.inventory import Lister, ResourceFailure, SweepContext, error_reason, pages
from evaluators.items import ConfigurationItem, fetch_oversized_item
from evaluators.reporting import put_evaluations
from evaluators.verdicts import Compliance, Evaluation, MissingEvidence, Verdict

P = TypeVar("P")
Evaluator = Callable[[ConfigurationItem], Verdict]

logger = logging.getLogger("evaluators")


@dataclass(frozen=True)
class Check(Generic[P]):
    name: str
    parse_parameters: Callable[[Mapping[str, str]], P]
    # Builds the per-invocation evaluator; may read AWS (the backup check loads its plan selections).
    evaluator: Callable[[P], Evaluator]
    # Resource types a periodic sweep lists, each with its lister.
    listers: Mapping[str, Lister]

    @property
    def resource_types(self) -> tuple[str, ...]:
        return tuple(self.listers)


def run(check: Check[P], event: Any) -> dict[str, Any]:
    """Evaluate what ``event`` asks for and post the evaluations; see the module docstring."""
    logger.setLevel(os.environ.get("LOG_LEVEL", "INFO").upper())
    rule_event = parse_event(event)
    parameters = check.parse_parameters(rule_event.parameters)
    if rule_event.message_type is MessageType.SCHEDULED:
        evaluations = _sweep(check, parameters, rule_event)
    else:
        evaluations = [_evaluate_change(check, parameters, rule_event)]
    counts = Counter(e.compliance.value for e in evaluations)
    logger.info("%s: posted %d evaluation(s) %s", check.name, len(evaluations), dict(counts))
    return {"messageType": rule_event.message_type.value, "evaluations": dict(counts)}


def _evaluate_change(check: Check[P], parameters: P, rule_event: RuleEvent) -> Evaluation:
    summary = rule_event.item
    assert summary is not None and summary.capture_time is not None  # guaranteed by parse_event
    verdict = _gone_verdict(summary, rule_event.event_left_scope)
    if verdict is None:
        item = summary
        if rule_event.message_type is MessageType.OVERSIZED_CHANGE:
            item = fetch_oversized_item(client("config"), summary)
        verdict = _gone_verdict(item, False)
        if verdict is None:
            try:
                verdict = check.evaluator(parameters)(item)
            except MissingEvidence as error:
                raise EvaluationIncompleteError(
                    "could not evaluate", [f"{item.describe()} (missing evidence: {error})"]
                ) from None
    evaluation = Evaluation(
        summary.resource_type,
        summary.resource_id,
        verdict.compliance,
        verdict.annotation,
        summary.capture_time,
    )
    refused = put_evaluations(client("config"), [evaluation], rule_event.result_token)
    if refused:
        raise EvaluationIncompleteError("Config refused the evaluation", [summary.describe()])
    return evaluation


def _gone_verdict(item: ConfigurationItem, left_scope: bool) -> Verdict | None:
    if left_scope:
        return Verdict.not_applicable("The resource left the rule's scope.")
    if item.is_gone:
        return Verdict.not_applicable(f"The resource is no longer recorded ({item.status}).")
    return None


def _sweep(check: Check[P], parameters: P, rule_event: RuleEvent) -> list[Evaluation]:
    assert rule_event.rule_name and rule_event.account_id and rule_event.notification_time
    config = client("config")
    ctx = SweepContext(config.meta.region_name, rule_event.account_id, config.meta.partition)
    sweep = _evaluate_inventory(check, check.evaluator(parameters), ctx, rule_event.notification_time)
    try:
        _retire_vanished(sweep, _previous_results(config, rule_event.rule_name), rule_event.notification_time)
    except (ClientError, BotoCoreError) as error:
        sweep.failures.append(ResourceFailure("previous results", rule_event.rule_name, error_reason(error)))

    posted = list(sweep.evaluations.values())
    refused = put_evaluations(config, posted, rule_event.result_token)
    problems = [f.describe() for f in sweep.failures]
    problems += [f"{e.resource_type} {e.resource_id} (refused by Config)" for e in refused]
    if problems:
        raise EvaluationIncompleteError(f"{check.name}: could not evaluate or post", problems)
    return posted


@dataclass
class _Sweep:
    evaluations: dict[tuple[str, str], Evaluation] = field(default_factory=dict)
    failures: list[ResourceFailure] = field(default_factory=list)
    # Types whose listing completed: only their previous results can be judged vanished.
    listed_types: set[str] = field(default_factory=set)


def _evaluate_inventory(check: Check[P], evaluate: Evaluator, ctx: SweepContext, now: datetime) -> _Sweep:
    sweep = _Sweep()
    for resource_type, lister in check.listers.items():
        try:
            listed = list(lister(ctx))
        except (ClientError, BotoCoreError) as error:
            sweep.failures.append(ResourceFailure(resource_type, "*", error_reason(error)))
            continue
        sweep.listed_types.add(resource_type)
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
    return sweep


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
