"""Required tags: every resource carries each required tag with a non-blank, allowed value.

Parameter ``requiredTags`` (required): comma-separated items, each ``Key`` (any non-blank value) or
``Key=value1|value2`` (one of the listed values). Change events are evaluated for every resource type in
the rule's scope; periodic sweeps list the types below.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from evaluators import inventory, parameters
from evaluators.check import Check, Evaluator, Target
from evaluators.errors import InvalidParameterError
from evaluators.inventory import Listed, SweepContext
from evaluators.items import ConfigurationItem
from evaluators.runner import run
from evaluators.verdicts import Verdict

MAX_TAG_KEY = 128  # AWS tag key limit
MAX_TAG_VALUE = 256


@dataclass(frozen=True)
class RequiredTag:
    key: str
    # None: any non-blank value is accepted.
    allowed_values: tuple[str, ...] | None = None


def parse_parameters(raw: Mapping[str, str]) -> tuple[RequiredTag, ...]:
    parameters.reject_unknown(raw, "requiredTags")
    items = parameters.comma_list(raw, "requiredTags")
    if not items:
        raise InvalidParameterError("requiredTags", "missing or empty; list at least one tag key")
    required: list[RequiredTag] = []
    for item in items:
        key, has_values, values_text = item.partition("=")
        key = key.strip()
        if not key or len(key) > MAX_TAG_KEY:
            raise InvalidParameterError(
                "requiredTags", f"tag key must be 1-{MAX_TAG_KEY} characters in {item!r}"
            )
        if key in {tag.key for tag in required}:
            raise InvalidParameterError("requiredTags", f"tag key {key!r} listed twice")
        if not has_values:
            required.append(RequiredTag(key))
            continue
        values = tuple(value.strip() for value in values_text.split("|"))
        if any(not value or len(value) > MAX_TAG_VALUE for value in values):
            raise InvalidParameterError("requiredTags", f"blank or over-long allowed value in {item!r}")
        required.append(RequiredTag(key, values))
    return tuple(required)


def tag_problem(tag: RequiredTag, tags: Mapping[str, str]) -> str | None:
    value = tags.get(tag.key)
    if value is None:
        return f"missing tag '{tag.key}'"
    if not value.strip():
        return f"tag '{tag.key}' is blank"
    if tag.allowed_values is not None and value not in tag.allowed_values:
        return f"tag '{tag.key}' is '{value}', allowed: {'|'.join(tag.allowed_values)}"
    return None


def evaluate(item: ConfigurationItem, required: tuple[RequiredTag, ...]) -> Verdict:
    problems = [p for p in (tag_problem(tag, item.tags) for tag in required) if p]
    if problems:
        return Verdict.non_compliant("; ".join(problems) + ".")
    return Verdict.compliant("All required tags are present: " + ", ".join(t.key for t in required) + ".")


# --- periodic sweep -------------------------------------------------------------------------------

# The tagging API's resource types (the ARN's service, plus its resource type where the ARN has one) of
# the services whose list APIs return no tags; one GetResources pagination serves them all.
TAGGED_BY_API = ("s3", "dynamodb:table", "sns", "sqs")


def _with_indexed_tags(
    ctx: SweepContext, resource_type: str, ids: Iterable[str], arn_of: Callable[[str], str]
) -> list[Listed]:
    """Items for a service whose list API returns no tags: ids from the list, tags from GetResources."""
    listed = list(ids)
    tags = inventory.tag_index(ctx, TAGGED_BY_API) if listed else {}
    return [ConfigurationItem(resource_type, i, arn=arn_of(i), tags=tags.get(arn_of(i), {})) for i in listed]


def _buckets(ctx: SweepContext) -> list[Listed]:
    names = inventory.s3_bucket_names(ctx)
    return _with_indexed_tags(ctx, inventory.BUCKET, names, lambda n: f"arn:{ctx.partition}:s3:::{n}")


def _tables(ctx: SweepContext) -> list[Listed]:
    names = inventory.dynamodb_table_names(ctx)
    return _with_indexed_tags(ctx, inventory.TABLE, names, lambda n: ctx.arn("dynamodb", f"table/{n}"))


def _topics(ctx: SweepContext) -> list[Listed]:
    return _with_indexed_tags(ctx, inventory.TOPIC, inventory.sns_topic_arns(ctx), lambda arn: arn)


def _queues(ctx: SweepContext) -> list[Listed]:
    urls = inventory.sqs_queue_urls(ctx)
    return _with_indexed_tags(ctx, inventory.QUEUE, urls, lambda url: inventory.sqs_queue_arn(ctx, url))


def _evaluator(required: tuple[RequiredTag, ...], target: Target) -> Evaluator:
    return lambda item: evaluate(item, required)


CHECK = Check(
    name="required-tags",
    parse_parameters=parse_parameters,
    decide=lambda required, item, _selections: evaluate(item, required),
    evaluator=_evaluator,
    listers={
        inventory.INSTANCE: inventory.ec2_instances,
        inventory.VOLUME: inventory.ebs_volumes,
        inventory.BUCKET: _buckets,
        inventory.DB_INSTANCE: inventory.rds_instances,
        inventory.DB_CLUSTER: inventory.rds_clusters,
        inventory.TABLE: _tables,
        inventory.FILE_SYSTEM: inventory.efs_items,
        inventory.TOPIC: _topics,
        inventory.QUEUE: _queues,
    },
)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return run(CHECK, event, context)
