"""The ``exceptions`` and ``maxExceptionDays`` stack settings, read with the functions' own parser.

``exceptions`` is a list of objects. It is not declared in Pulumi.yaml: declaring ``type: array, items:
{type: object}`` needs Pulumi CLI 3.186 or later (pulumi/pulumi#20129), so the code owns its default (no
exceptions). The engine hands the program the value as JSON text; ``pulumi config set --path`` stores
digit-only values (account ids) as numbers and true/false as booleans, which the parser reads back as
text. The model, its validation and its matching live in ``evaluators.exceptions`` (shipped with the
functions), so the stack refuses exactly what the functions could not apply.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date

from evaluators.exceptions import (
    ParsedExceptions,
    ResourceException,
    expiry_warnings,
    parse_exceptions,
    utc_today,
)

from components.catalog import CHECKS

EXCEPTIONS_KEY = "exceptions"
MAX_EXCEPTION_DAYS_KEY = "maxExceptionDays"
DEFAULT_MAX_EXCEPTION_DAYS = 365


def check_types() -> dict[str, tuple[str, ...]]:
    """The checks exceptions apply to (the catalogue's custom checks) and the types each evaluates."""
    return {check.name: check.resource_types for check in CHECKS}


def read_exceptions(
    raw: Mapping[str, str],
    *,
    regions: tuple[str, ...],
    organization: bool,
    max_days: int,
    today: date | None = None,
) -> ParsedExceptions:
    """The ``exceptions`` setting of the raw stack config, validated (problems name each exception).

    A ``max_days`` below 1 is a problem of its own; the exceptions are still validated (without the
    expiry limit), so the one error lists their problems too."""
    limit_problems = [] if max_days >= 1 else [f"{MAX_EXCEPTION_DAYS_KEY} must be at least 1, got {max_days}"]
    text = raw.get(EXCEPTIONS_KEY)
    if text is None:
        return ParsedExceptions(problems=limit_problems)
    try:
        value = json.loads(text)
    except ValueError:
        problem = f"{EXCEPTIONS_KEY}: expected a list of objects, got {text!r:.80}"
        return ParsedExceptions(problems=[*limit_problems, problem])
    parsed = parse_exceptions(
        value,
        check_types=check_types(),
        regions=regions,
        organization=organization,
        today=today or utc_today(),
        max_days=max_days if not limit_problems else None,
    )
    if limit_problems:
        return ParsedExceptions(problems=[*limit_problems, *parsed.problems])
    return parsed


def exception_warnings(exceptions: Iterable[ResourceException], today: date | None = None) -> list[str]:
    """Expired exceptions still listed: the stack deploys (an exception lapses on a day like any other),
    but they no longer apply."""
    return expiry_warnings(tuple(exceptions), today or utc_today())
