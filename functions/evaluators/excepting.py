"""Exceptions at run time: the list shipped with the functions, compiled once per container, applied to
every evaluation with the date of that evaluation.

The change path and the sweep both build their evaluator with ``excepting_evaluator``, so a resource is
matched with the same identity (``identity``), region and account whichever path evaluates it; a
result that flipped between the two would alert on every sweep.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TypeVar

from evaluators.check import Check, Evaluator, Target
from evaluators.exceptions import (
    ExceptionMatcher,
    InvalidExceptionsDocument,
    ResourceException,
    ResourceIdentity,
    apply_exception,
    from_document,
    utc_today,
)
from evaluators.items import ConfigurationItem
from evaluators.verdicts import Compliance, Verdict

P = TypeVar("P")

# Written into the Lambda archive next to this module by components/package.py (always, "[]" when the
# stack has no exceptions); absent only when the package runs from the source tree.
DOCUMENT_NAME = "exceptions.json"
DOCUMENT_PATH = Path(__file__).with_name(DOCUMENT_NAME)

# The evaluation's date. Read once per invocation (each change event, each sweep), never per container:
# a container that outlives an expiry day must not keep applying the exception. Tests replace it.
clock: Callable[[], date] = utc_today

# Types whose ARN ends in the name their owner gave them, which Config records as the resource name
# (Service Authorization Reference ARN formats: s3 ...:::${BucketName}, rds ...:db:${DbInstanceName} and
# ...:cluster:${DbClusterInstanceName}, dynamodb ...:table/${TableName}, sns ...:${TopicName}, sqs
# ...:${QueueName}). The other types' ARNs end in their resource id (volume/${VolumeId},
# instance/${InstanceId}, file-system/${FileSystemId}): they have no name of their own.
NAMED_BY_ARN = frozenset(
    {
        "AWS::S3::Bucket",
        "AWS::RDS::DBInstance",
        "AWS::RDS::DBCluster",
        "AWS::DynamoDB::Table",
        "AWS::SNS::Topic",
        "AWS::SQS::Queue",
    }
)


def name_in_arn(arn: str) -> str:
    """The last part of an ARN's resource (after its last ``:`` or ``/``)."""
    return arn.rsplit(":", 1)[-1].rsplit("/", 1)[-1]


def identity(item: ConfigurationItem) -> ResourceIdentity:
    """What an exception's glob is matched against. The name is read from the ARN on both paths (a swept
    item has no ``resourceName``), so a change event and a sweep give one resource one identity."""
    name = name_in_arn(item.arn) if item.arn and item.resource_type in NAMED_BY_ARN else None
    return ResourceIdentity(item.resource_id, name, item.arn)


def load_exceptions(path: Path) -> tuple[ResourceException, ...]:
    if not path.exists():
        return ()
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as error:
        raise InvalidExceptionsDocument(f"{path.name}: not valid JSON ({error})") from None
    return from_document(document)


@functools.cache
def container_matcher(check: str, path: Path | None = None) -> ExceptionMatcher:
    """The check's exceptions from the shipped document, read and compiled once per container."""
    return ExceptionMatcher(load_exceptions(path or DOCUMENT_PATH), check)


def excepting(
    evaluate: Evaluator, matcher: ExceptionMatcher, region: str, account: str | None, today: date
) -> Evaluator:
    """``evaluate`` with the matching exception (active or expired on ``today``) applied to its verdict."""
    if not matcher.exceptions:
        return evaluate

    def evaluate_with_exceptions(item: ConfigurationItem) -> Verdict:
        verdict = evaluate(item)
        if verdict.compliance is not Compliance.NON_COMPLIANT:
            return verdict
        found = matcher.match(item.resource_type, identity(item), region, account, today=today)
        return apply_exception(verdict, found, today)

    return evaluate_with_exceptions


def excepting_evaluator(check: Check[P], parameters: P, target: Target) -> Evaluator:
    """The evaluator both paths use: the check's own, then the exceptions of the evaluated account and of
    the function's region (the rule's), as of the invocation's date (``target.today``)."""
    region = target.clients("config").meta.region_name
    matcher = container_matcher(check.name)
    return excepting(check.evaluator(parameters, target), matcher, region, target.account_id, target.today)
