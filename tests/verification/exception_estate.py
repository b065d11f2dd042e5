"""A dev stack's listed exceptions and the evaluations the evaluators would post for them, on one day.

Annotations are written by the evaluators' own ``apply_exception``, so the report reads exactly what the
functions write. The day is fixed (``TODAY``): every expiry is relative to it, and the commands get it
through their injectable clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from aggregate_answers import Evaluation
from evaluators.exceptions import ResourceException, apply_exception, to_document
from evaluators.verdicts import Verdict
from moto_stack import rule_name

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
TODAY = NOW.date()


def exception(
    ident: str,
    check: str,
    resource: str,
    expires_in_days: int,
    *,
    owner: str = "platform-team",
    ticket: str | None = "SEC-101",
    resource_type: str | None = None,
    regions: tuple[str, ...] = (),
) -> ResourceException:
    return ResourceException(
        id=ident,
        check=check,
        resource=resource,
        resource_type=resource_type,
        regions=regions,
        accounts=(),
        reason=f"{ident}: accepted by the security review",
        owner=owner,
        ticket=ticket,
        expires=TODAY + timedelta(days=expires_in_days),
    )


# An exception for scratch volumes (two excepted), one for public buckets that expires in 13 days (one
# excepted), one that expired 3 days ago (its resource is NON_COMPLIANT again), one that names no
# resource any more (stale).
SCRATCH = exception("scratch-volumes", "encryption", "vol-5c*", 60, resource_type="AWS::EC2::Volume")
PUBLIC = exception(
    "public-assets",
    "encryption",
    "public-assets-*",
    13,
    owner="web-team",
    ticket=None,
    resource_type="AWS::S3::Bucket",
)
LAPSED = exception("legacy-orders", "backup", "orders", -3, owner="data-team", ticket="DATA-7")
STALE = exception("old-scratch", "required-tags", "vol-0dead*", 40, regions=("us-east-1",))
LISTED = (SCRATCH, PUBLIC, LAPSED, STALE)


def outputs_with(stack: dict[str, Any], exceptions: Sequence[ResourceException]) -> dict[str, Any]:
    """The stack's outputs with ``exceptions`` exported as the program exports them."""
    return {**stack, "exceptions": to_document(exceptions)}


def evaluated(
    check: str,
    region: str,
    resource_type: str,
    resource_id: str,
    finding: str,
    hours_ago: float,
    applied: ResourceException | None = None,
) -> Evaluation:
    """A non-compliant resource's evaluation, with ``applied`` (matched by the evaluators) taken in."""
    verdict = apply_exception(Verdict.non_compliant(finding), applied, TODAY)
    return Evaluation(
        rule=rule_name(check, region),
        region=region,
        resource_type=resource_type,
        resource_id=resource_id,
        compliance=str(verdict.compliance),
        recorded=NOW - timedelta(hours=hours_ago),
        annotation=verdict.annotation,
    )


def estate() -> list[Evaluation]:
    """Evaluations of the listed exceptions' day: compliant, excepted, non-compliant and lapsed."""
    volume = "AWS::EC2::Volume"
    return [
        Evaluation(
            rule_name("encryption", "us-east-1"),
            "us-east-1",
            volume,
            "vol-0001",
            "COMPLIANT",
            NOW - timedelta(hours=6),
        ),
        evaluated("encryption", "us-east-1", volume, "vol-5c01", "Volume is not encrypted.", 5, SCRATCH),
        evaluated("encryption", "us-west-2", volume, "vol-5c02", "Volume is not encrypted.", 4, SCRATCH),
        evaluated("encryption", "us-west-2", volume, "vol-0bad", "Volume is not encrypted.", 1),
        evaluated(
            "encryption",
            "eu-west-1",
            "AWS::S3::Bucket",
            "public-assets-eu",
            "Bucket has no KMS key.",
            3,
            PUBLIC,
        ),
        evaluated(
            "backup",
            "eu-west-1",
            "AWS::DynamoDB::Table",
            "orders",
            "Point-in-time recovery is off.",
            2,
            LAPSED,
        ),
    ]
