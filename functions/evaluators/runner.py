"""The handler pipeline shared by every check: parse, evaluate, post, and fail loudly.

A check supplies its resource types, a parameter parser, an evaluator (a pure function from a
configuration item to a verdict, built once per invocation) and one lister per resource type for
periodic sweeps. Everything else (the evaluator contract) lives here.

Scheduled invocations run a sweep (``evaluators.sweep``, imported only then). Both paths evaluate with
``excepting_evaluator`` (the stack's exceptions, judged on the invocation's UTC date from
``excepting.clock``).

Accounts: the function's own account comes from ``context.invoked_function_arn`` (no API call). An event
for another account (organization scope) is evaluated with the role ``MEMBER_ROLE_NAME`` in that account,
for every read and for PutEvaluations.
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from typing import Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from evaluators import excepting
from evaluators.aws import AwsClient, Clients, client, member_clients
from evaluators.check import Check, Target
from evaluators.errors import EvaluationIncompleteError, InvalidEventError
from evaluators.events import MessageType, RuleEvent, parse_event
from evaluators.excepting import excepting_evaluator
from evaluators.inventory import error_reason
from evaluators.items import ConfigurationItem, fetch_oversized_item
from evaluators.reporting import put_evaluations
from evaluators.verdicts import Evaluation, MissingEvidence, Verdict

P = TypeVar("P")

MEMBER_ROLE_ENV = "MEMBER_ROLE_NAME"

logger = logging.getLogger("evaluators")


def run(check: Check[P], event: Any, context: Any = None) -> dict[str, Any]:
    """Evaluate what ``event`` asks for and post the evaluations; see the module docstring."""
    logger.setLevel(os.environ.get("LOG_LEVEL", "INFO").upper())
    rule_event = parse_event(event)
    parameters = check.parse_parameters(rule_event.parameters)
    scheduled = rule_event.message_type is MessageType.SCHEDULED
    clients = _clients_for(rule_event.account_id, context)
    target = Target(rule_event.account_id, clients, fresh=scheduled, today=excepting.clock())
    if scheduled:
        # Imported here so a change event's cold start does not load the sweep code.
        from evaluators.sweep import sweep

        evaluations = sweep(check, parameters, rule_event, target)
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
                verdict = excepting_evaluator(check, parameters, target)(item)
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
