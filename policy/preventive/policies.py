"""One stack policy per catalogue check, named after it, deciding with the evaluator's own code.

A stack policy sees every resource with its property dependencies, which the joins need (an S3 bucket and
its encryption configuration, an EFS file system and its backup policy, an Aurora member and its cluster,
backup plan selections). For each resource an adapter covers, the check's ``decide`` gives the verdict the
Config rule will post; a NON_COMPLIANT verdict is a violation at the policy's enforcement level. What
cannot be decided at preview (an input that is another resource's output, backup plan coverage that no
selection of this program shows) is never passed: it is reported together, after the violations, as one
advisory "can't run policy during preview" diagnostic (pulumi_policy reports an ``UnknownValueError``
raised by a policy as advisory whatever the policy's level).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from evaluators import excepting
from evaluators.backup_plans import Selection, selection_from_api
from evaluators.check import Check as RuleCheck
from evaluators.exceptions import apply_exception
from evaluators.verdicts import Compliance, MissingEvidence
from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

from components.catalog import CHECKS, Check
from policy.preventive.adapters import ADAPTERS, Stack, Subject
from policy.preventive.config import config_schema, pack_exceptions, parameters_for

BACKUP_SELECTION = "aws:backup/selection:Selection"
BACKUP_PLAN = "aws:backup/plan:Plan"
# Stands for "some AWS Backup plan outside this program may select it": deciding once more with it tells
# a finding that only plan coverage causes (undecidable at preview) from one that stands anyway.
ASSUMED_COVERAGE = Selection(plan_name="(outside this program)", name="", resources=("*",))


class CannotCheckAtPreview(UnknownValueError):
    """What a policy could not decide at preview; pulumi_policy reports it as advisory."""

    def __init__(self, check: str, reasons: list[str]) -> None:
        Exception.__init__(self)  # UnknownValueError's own constructor describes a single property
        self.reasons = reasons
        listed = "; ".join(reasons)
        self.message = f"{len(reasons)} resource(s) cannot be checked for {check} at preview: {listed}"


def rule_check(check: Check) -> RuleCheck[Any]:
    """The evaluator's definition of a catalogue check: its parser and its decision."""
    module = importlib.import_module(check.function_module)
    rule: RuleCheck[Any] = module.CHECK
    return rule


# aws.backup.Selection's ``conditions`` blocks (pulumi-aws 7 SelectionConditionArgs) -> the operators of
# GetBackupSelection's ``Conditions``.
CONDITION_INPUTS = {
    "stringEquals": "StringEquals",
    "stringNotEquals": "StringNotEquals",
    "stringLikes": "StringLike",
    "stringNotLikes": "StringNotLike",
}


def _selection(resource: PolicyResource, plans: Mapping[str, str]) -> Selection:
    """An AWS Backup selection from aws.backup.Selection inputs, read as GetBackupSelection's
    ``BackupSelection`` (the detective rule's own reader): ``selectionTags`` are its ``ListOfTags``,
    ``conditions`` its ``Conditions``."""
    props = resource.props
    plan = next(
        (plans[d.urn] for d in resource.property_dependencies.get("planId", []) if d.urn in plans), None
    )
    conditions: dict[str, list[dict[str, Any]]] = {}
    for block in props.get("conditions") or []:
        for key, operator in CONDITION_INPUTS.items():
            conditions.setdefault(operator, []).extend(
                {"ConditionKey": entry["key"], "ConditionValue": entry["value"]}
                for entry in block.get(key) or []
            )
    body = {
        "SelectionName": str(props.get("name") or resource.name),
        "Resources": list(props.get("resources") or ()),
        "NotResources": list(props.get("notResources") or ()),
        "ListOfTags": [
            {"ConditionType": tag["type"], "ConditionKey": tag["key"], "ConditionValue": tag["value"]}
            for tag in props.get("selectionTags") or []
        ],
        "Conditions": conditions,
    }
    return selection_from_api(plan or "an AWS Backup plan", body)


def program_selections(stack: Stack) -> tuple[tuple[Selection, ...], list[str]]:
    """The program's AWS Backup selections that preview can read, and why any other could not be read."""
    plans = {
        r.urn: str(r.props.get("name") or r.name)
        for r in stack.resources
        if r.resource_type == BACKUP_PLAN and _known_name(r)
    }
    selections, unreadable = [], []
    for resource in stack.resources:
        if resource.resource_type != BACKUP_SELECTION:
            continue
        try:
            selections.append(_selection(resource, plans))
        except UnknownValueError as error:
            unreadable.append(f"backup selection {resource.name!r}: {error.message}")
    return tuple(selections), unreadable


def _region(resource: PolicyResource) -> str:
    """The resource's region where preview knows it, else "" (an exception limited to regions then cannot
    apply at preview): its own ``region`` input, which pulumi-aws 7 gives every regional resource and which
    overrides its provider's, or else its provider's ``region``."""
    try:
        region = resource.props.get("region")
        if not region and resource.provider is not None:
            region = resource.provider.props.get("region")
    except UnknownValueError:
        return ""
    return str(region or "")


def _known_name(resource: PolicyResource) -> bool:
    try:
        resource.props.get("name")
    except UnknownValueError:
        return False
    return True


def _message(check: str, subject: Subject, annotation: str) -> str:
    text = f"{subject.label}: {annotation} To fix: {subject.fixes.get(check, 'see docs/policy-pack.md')}."
    caveat = subject.caveats.get(check)
    return f"{text} (Decided as the Config rule decides: {caveat}.)" if caveat else text


def validate_check(check: Check, args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """The check's verdict on every resource of the stack that it covers."""
    rule = rule_check(check)
    params = parameters_for(check, rule.parse_parameters, args.get_config())
    matcher = pack_exceptions(check, args.get_config())
    today = excepting.clock()
    stack = Stack(args.resources)
    selections, undecided = program_selections(stack)
    for resource in stack.resources:
        adapter = ADAPTERS.get(resource.resource_type)
        if adapter is None:
            continue
        try:
            subjects = [s for s in adapter(resource, stack) if s.item.resource_type in check.resource_types]
            for subject in subjects:
                if rule.decide(params, subject.item, selections).compliance is not Compliance.NON_COMPLIANT:
                    continue
                exception = matcher.match(
                    subject.item.resource_type, subject.identity, _region(resource), None, today=today
                )
                if exception is not None and exception.is_active(today):
                    continue
                if check.name in subject.unknown:
                    undecided.append(f"{subject.label}: {subject.unknown[check.name]}")
                    continue
                # Findings that stand even if a plan outside this program selects the resource.
                standing = rule.decide(params, subject.item, (ASSUMED_COVERAGE,))
                if standing.compliance is Compliance.NON_COMPLIANT:
                    found = apply_exception(standing, exception, today)
                    report_violation(_message(check.name, subject, found.annotation), subject.urn)
                else:
                    undecided.append(
                        f"{subject.label}: no AWS Backup selection of this program selects it, and one "
                        "outside it may"
                    )
        except UnknownValueError as error:
            undecided.append(f"{resource.resource_type} {resource.name!r}: {error.message}")
        except MissingEvidence as error:
            undecided.append(f"{resource.resource_type} {resource.name!r}: {error}")
    if undecided:
        raise CannotCheckAtPreview(check.name, undecided)


def check_policy(check: Check) -> StackValidationPolicy:
    return StackValidationPolicy(
        name=check.name,
        description=check.description,
        enforcement_level=EnforcementLevel.ADVISORY,
        validate=lambda args, report_violation: validate_check(check, args, report_violation),
        config_schema=PolicyConfigSchema(properties=config_schema()),
    )


def policies() -> list[Policy]:
    """The pack's policies: one per catalogue check, advisory unless its configuration says otherwise."""
    return [check_policy(check) for check in CHECKS]
