"""The stack's listed exceptions judged on a date: expired but still listed, expiring soon, stale.

The list comes from the stack's outputs (``exceptions``, parsed by the evaluators' own
``evaluators.exceptions.from_document``); which exception an evaluation applied comes from its annotation
(``read_exception_annotation``, the reader of what the evaluators write). An exception's ``expires`` is a
UTC date and inclusive: it applies through that day and has expired from the next.

- **expired**: still listed after its expiry. The evaluators no longer apply it (its resources are
  NON_COMPLIANT again); the fix is to remove it or extend it.
- **stale**: listed and not expired, but no evaluation the report read names it: it excepts nothing any
  more (the resource was fixed or deleted). Judged only when the report read everything it could apply
  to (no filter narrows its regions, accounts or resource type).
- **expiring**: applies today and expires within ``EXPIRY_WARNING_DAYS`` days (the 14th day included).

Each exception has one status, in that order: an expired exception is not also stale, a stale one that
expires soon is stale (either way the fix is to remove it).
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from evaluators.exceptions import EVERY_ACCOUNT, ResourceException

from verification.results import Finding, Verdict

EXPIRY_WARNING_DAYS = 14


class ExceptionStatus(enum.Enum):
    EXPIRED = "expired"
    STALE = "stale"
    EXPIRING = "expiring"
    ACTIVE = "active"


@dataclass(frozen=True)
class ReviewedException:
    exception: ResourceException
    status: ExceptionStatus
    # Days from the report's date to ``expires``: 0 on its last day, negative once expired.
    days_left: int
    # Resources the report found excepted by it.
    excepting: int


def is_expiring(exception: ResourceException, today: date) -> bool:
    return exception.is_active(today) and exception.days_left(today) <= EXPIRY_WARNING_DAYS


@dataclass(frozen=True)
class ReportScope:
    """What a report read: the stack's regions, and the report's checks, regions and filters."""

    stack_regions: tuple[str, ...]
    checks: tuple[str, ...]
    regions: tuple[str, ...]
    # Empty: not filtered.
    accounts: tuple[str, ...] = ()
    resource_types: tuple[str, ...] = ()
    # In account scope the only account is the stack's: an account filter narrows nothing.
    by_account: bool = False

    def covers_some(self, exception: ResourceException) -> bool:
        """Whether the report shows any resource the exception could apply to (else it is left out)."""
        return (
            exception.check in self.checks
            and (not exception.regions or bool(set(exception.regions) & set(self.regions)))
            and (
                not self.accounts
                or not self.by_account
                or EVERY_ACCOUNT in exception.accounts
                or bool(set(exception.accounts) & set(self.accounts))
            )
            and (
                not self.resource_types
                or exception.resource_type is None
                or exception.resource_type in self.resource_types
            )
        )

    def covers_all(self, exception: ResourceException) -> bool:
        """Whether the report read every resource the exception could apply to (so it can be stale)."""
        regions = exception.regions or self.stack_regions
        return (
            exception.check in self.checks
            and set(regions) <= set(self.regions)
            and (
                not self.accounts
                or not self.by_account
                or (EVERY_ACCOUNT not in exception.accounts and set(exception.accounts) <= set(self.accounts))
            )
            and (not self.resource_types or exception.resource_type in self.resource_types)
        )


def review(
    exceptions: Iterable[ResourceException],
    today: date,
    scope: ReportScope,
    named: Collection[str],
    excepting: Mapping[str, int],
) -> tuple[ReviewedException, ...]:
    """The exceptions the report covers, each with its status.

    ``named``: the ids some evaluation names (applied or expired); ``excepting``: per id, the resources
    whose evaluation applied it.
    """
    reviewed = []
    for exception in exceptions:
        if not scope.covers_some(exception):
            continue
        if not exception.is_active(today):
            status = ExceptionStatus.EXPIRED
        elif exception.id not in named and scope.covers_all(exception):
            status = ExceptionStatus.STALE
        elif is_expiring(exception, today):
            status = ExceptionStatus.EXPIRING
        else:
            status = ExceptionStatus.ACTIVE
        left = exception.days_left(today)
        reviewed.append(ReviewedException(exception, status, left, excepting.get(exception.id, 0)))
    return tuple(reviewed)


def _described(exception: ResourceException, today: date) -> str:
    left = exception.days_left(today)
    when = (
        f"expired on {exception.expires.isoformat()}"
        if left < 0
        else f"expires on {exception.expires.isoformat()} (in {left} day(s))"
    )
    ticket = f", ticket {exception.ticket}" if exception.ticket else ""
    return f"{exception.id} ({exception.check}) {when}, owner {exception.owner}{ticket}"


def check_exceptions(
    exceptions: tuple[ResourceException, ...], today: date, stack: str | None = None
) -> Finding:
    """The verify line: FAIL when a listed exception has expired, WARN when one expires within 14 days."""
    if not exceptions:
        return Verdict.SKIP, "no exceptions listed (stack setting exceptions)"
    expired = [exception for exception in exceptions if not exception.is_active(today)]
    expiring = [exception for exception in exceptions if is_expiring(exception, today)]
    soon = "; ".join(_described(exception, today) for exception in expiring)
    if expired:
        on_stack = f" --stack {stack}" if stack else ""
        listed = "; ".join(_described(exception, today) for exception in expired)
        also = f". Expiring within {EXPIRY_WARNING_DAYS} days: {soon}" if expiring else ""
        return Verdict.FAIL, (
            f"{len(expired)} exception(s) expired but still listed, their resources are NON_COMPLIANT "
            f"again: {listed}. Fix: remove each from the stack setting exceptions or extend its expires, "
            f"then pulumi up{on_stack}{also}"
        )
    if expiring:
        return Verdict.WARN, (
            f"{len(expiring)} of {len(exceptions)} exception(s) expire within {EXPIRY_WARNING_DAYS} days: "
            f"{soon}; extend or remove them before then"
        )
    nearest = min(exceptions, key=lambda exception: exception.expires)
    return Verdict.PASS, (
        f"{len(exceptions)} exception(s) listed, none expired or expiring within {EXPIRY_WARNING_DAYS} days "
        f"(next: {nearest.id} on {nearest.expires.isoformat()})"
    )
