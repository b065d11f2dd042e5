"""Exceptions: resources that may stay non-compliant for a reason, with an owner, until a date.

One module for the model, its parsing and validation (the stack settings and the document shipped with
the functions), the matcher the evaluators apply, the annotation an excepted evaluation carries and its
inverse (the report reads exceptions back from Config's results). Standard library only: it runs in the
Lambda functions, in the Pulumi program and in the commands.

Semantics (docs/exceptions.md):

- ``resource`` is an anchored glob (``*`` any run of characters, ``?`` one character, ``[...]`` a set),
  matched case-sensitively against the Config resource id, the resource name and the ARN; one match is
  enough.
- ``regions`` empty means every region of the stack; ``accounts`` empty means the stack's own account,
  which in account scope is the only account evaluated (organization scope requires ``accounts``), and
  ``("*",)`` every account.
- ``expires`` is a UTC date, inclusive: the exception applies through that day and no longer after it.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from evaluators.verdicts import Compliance, Verdict, fit_annotation

EVERY_ACCOUNT = "*"

FIELDS = (
    "id",
    "check",
    "resource",
    "resourceType",
    "regions",
    "accounts",
    "reason",
    "owner",
    "ticket",
    "expires",
)

ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# ASCII digits only: ``\d`` also takes other scripts' digits (fullwidth ones, say), which no account id has,
# so such an exception would be accepted and never apply.
ACCOUNT_ID_PATTERN = re.compile(r"^[0-9]{12}$")
DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")
TICKET_PATTERN = re.compile(r"^\S+$")
GLOB_CHARACTERS = re.compile(r"[*?\[]")

# The annotation's head (id, expiry, owner, ticket) must leave room in PutEvaluations' 256 characters for
# the finding: with these limits the head is at most 185 characters (see ``_head``).
MAX_ID = 40
MAX_OWNER = 48
MAX_TICKET = 32
MAX_REASON = 500
MAX_RESOURCE = 1024
# The annotation separates its parts with "; ", so an owner cannot contain one.
ANNOTATION_SEPARATOR = ";"


@dataclass(frozen=True)
class ResourceException:
    id: str
    check: str
    resource: str
    resource_type: str | None
    regions: tuple[str, ...]
    accounts: tuple[str, ...]
    reason: str
    owner: str
    ticket: str | None
    expires: date

    def is_active(self, today: date) -> bool:
        """Whether the exception applies on ``today`` (a UTC date; the expiry day included)."""
        return today <= self.expires

    def days_left(self, today: date) -> int:
        """Days from ``today`` to the expiry day (0 on the day itself, negative once expired)."""
        return (self.expires - today).days


@dataclass
class ParsedExceptions:
    exceptions: tuple[ResourceException, ...] = ()
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def utc_today() -> date:
    return datetime.now(UTC).date()


# --- parsing -------------------------------------------------------------------------------------


def _text(value: object) -> str | None:
    """A scalar as text: ``pulumi config set --path`` stores digit-only values as numbers (and true/false
    as booleans), so they are read back as the text that was typed."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (str, int, float)):
        return str(value).strip()
    return None


class _EntryReader:
    """Reads one exception, collecting one problem line per bad field."""

    def __init__(self, where: str, raw: Mapping[str, object], *, document: bool) -> None:
        self.where = where
        self.raw = raw
        # The shipped document writes empty lists; the setting leaves the field out instead.
        self.document = document
        self.problems: list[str] = []

    def problem(self, name: str, message: str) -> None:
        self.problems.append(f"{self.where}: {name}: {message}")

    def text(self, name: str, *, required: bool, limit: int) -> str | None:
        value = self.raw.get(name)
        if value is None:
            if required:
                self.problem(name, "missing (required)")
            return None
        text = _text(value)
        if text is None:
            self.problem(name, f"expected text, got {type(value).__name__}")
            return None
        text = " ".join(text.split())
        if not text:
            self.problem(name, "empty")
            return None
        if len(text) > limit:
            self.problem(name, f"{len(text)} characters, at most {limit} allowed")
            return None
        return text

    def text_list(self, name: str) -> tuple[str, ...] | None:
        value = self.raw.get(name)
        if value is None or (self.document and value == []):
            return ()
        if not isinstance(value, list) or not value:
            self.problem(name, "expected a non-empty list (leave the field out to mean every one)")
            return None
        items = [_text(item) for item in value]
        if any(item is None or not item for item in items):
            self.problem(name, f"expected a list of text values, got {value!r:.120}")
            return None
        texts = tuple(item for item in items if item)
        repeated = sorted({item for item in texts if texts.count(item) > 1})
        if repeated:
            self.problem(name, f"lists {', '.join(repeated)} more than once")
            return None
        return texts


def _where(position: int, raw: object) -> str:
    if isinstance(raw, Mapping):
        ident = _text(raw.get("id"))
        if ident:
            return f"exceptions[{position}] ({ident})"
    return f"exceptions[{position}]"


def _parse_expires(read: _EntryReader, stack: _Stack | None) -> date | None:
    text = read.text("expires", required=True, limit=10)
    if text is None:
        return None
    try:
        if not DATE_PATTERN.match(text):
            raise ValueError(text)
        expires = date.fromisoformat(text)
    except ValueError:
        read.problem("expires", f"{text!r} is not a date YYYY-MM-DD")
        return None
    if stack is not None and stack.max_days is not None and (expires - stack.today).days > stack.max_days:
        read.problem(
            "expires",
            f"{text} is more than maxExceptionDays ({stack.max_days}) days after today "
            f"({stack.today.isoformat()})",
        )
        return None
    return expires


def _parse_resource(read: _EntryReader) -> str | None:
    pattern = read.text("resource", required=True, limit=MAX_RESOURCE)
    if pattern is None:
        return None
    # ``?*`` and ``*?`` match every id, name and ARN just as ``*`` does.
    if "*" in pattern and set(pattern) <= {"*", "?"}:
        read.problem("resource", f"{pattern!r} would match every resource; name the resources it excepts")
        return None
    if any(character.isspace() for character in pattern):
        read.problem("resource", f"{pattern!r} contains whitespace (no resource id, name or ARN does)")
        return None
    return pattern


@dataclass(frozen=True)
class _Stack:
    """What the stack settings validate exceptions against (the shipped document is not checked again)."""

    check_types: Mapping[str, tuple[str, ...]]
    regions: tuple[str, ...] | None
    organization: bool
    today: date
    # None: the limit is itself invalid (reported apart) and not applied.
    max_days: int | None


def _parse_entry(
    where: str, raw: Mapping[str, object], stack: _Stack | None
) -> tuple[ResourceException | None, list[str]]:
    read = _EntryReader(where, raw, document=stack is None)
    for name in raw:
        if name not in FIELDS:
            read.problem(str(name), f"unknown field (fields: {', '.join(FIELDS)})")

    ident = read.text("id", required=True, limit=MAX_ID)
    if ident is not None and not ID_PATTERN.match(ident):
        read.problem("id", f"{ident!r} must be lowercase letters, digits and single hyphens")
        ident = None

    check = read.text("check", required=True, limit=100)
    if check is not None and stack is not None and check not in stack.check_types:
        read.problem("check", f"unknown check {check!r} (checks: {', '.join(stack.check_types)})")
        check = None

    resource = _parse_resource(read)

    resource_type = read.text("resourceType", required=False, limit=200)
    evaluated = None if check is None or stack is None else stack.check_types[check]
    if resource_type is not None and evaluated is not None and resource_type not in evaluated:
        read.problem(
            "resourceType",
            f"check {check!r} does not evaluate {resource_type!r} (it evaluates {', '.join(evaluated)})",
        )
        resource_type = None

    in_regions = read.text_list("regions")
    regions = None if stack is None else stack.regions
    if in_regions is not None and regions is not None:
        unknown = [region for region in in_regions if region not in regions]
        if unknown:
            read.problem("regions", f"{', '.join(unknown)} not in the stack's regions ({', '.join(regions)})")
            in_regions = None

    accounts = read.text_list("accounts")
    if accounts is not None:
        if EVERY_ACCOUNT in accounts and accounts != (EVERY_ACCOUNT,):
            read.problem("accounts", '"*" means every account and stands alone')
            accounts = None
        else:
            malformed = [a for a in accounts if a != EVERY_ACCOUNT and not ACCOUNT_ID_PATTERN.match(a)]
            if malformed:
                read.problem(
                    "accounts",
                    f"{', '.join(malformed)} not a 12-digit account id (set ids with a leading zero as text: "
                    "pulumi config set --path --type string 'exceptions[i].accounts[j]' 0123...)",
                )
                accounts = None
            elif stack is not None and stack.organization and not accounts:
                read.problem(
                    "accounts",
                    'missing: in organization scope name the account ids, or ["*"] for every account',
                )
                accounts = None

    reason = read.text("reason", required=True, limit=MAX_REASON)
    owner = read.text("owner", required=True, limit=MAX_OWNER)
    if owner is not None and ANNOTATION_SEPARATOR in owner:
        read.problem(
            "owner", f"must not contain {ANNOTATION_SEPARATOR!r} (it separates the annotation's parts)"
        )
        owner = None
    ticket = read.text("ticket", required=False, limit=MAX_TICKET)
    if ticket is not None and (not TICKET_PATTERN.match(ticket) or ANNOTATION_SEPARATOR in ticket):
        read.problem(
            "ticket", f"{ticket!r} must be one word without {ANNOTATION_SEPARATOR!r}, such as SEC-123"
        )
        ticket = None
    expires = _parse_expires(read, stack)

    if read.problems:
        return None, read.problems
    assert ident and check and resource and reason and owner and expires  # each reported above if missing
    assert in_regions is not None and accounts is not None
    exception = ResourceException(
        id=ident,
        check=check,
        resource=resource,
        resource_type=resource_type,
        regions=in_regions,
        accounts=accounts,
        reason=reason,
        owner=owner,
        ticket=ticket,
        expires=expires,
    )
    return exception, []


def _parse(raw: object, stack: _Stack | None) -> ParsedExceptions:
    parsed = ParsedExceptions()
    if raw is None:
        return parsed
    if not isinstance(raw, list):
        parsed.problems.append(f"exceptions: expected a list of objects, got {type(raw).__name__}")
        return parsed
    found: list[ResourceException] = []
    positions: dict[str, int] = {}
    for position, entry in enumerate(raw):
        where = _where(position, entry)
        if not isinstance(entry, Mapping):
            parsed.problems.append(f"{where}: expected an object, got {type(entry).__name__}")
            continue
        ident = _text(entry.get("id"))
        if ident:
            if ident in positions:
                parsed.problems.append(
                    f"{where}: id: {ident!r} is already the id of exceptions[{positions[ident]}]"
                )
            else:
                positions[ident] = position
        exception, problems = _parse_entry(where, entry, stack)
        parsed.problems.extend(problems)
        if exception is not None:
            found.append(exception)
    if not parsed.problems:
        parsed.exceptions = tuple(found)
        if stack is not None:
            parsed.warnings = expiry_warnings(parsed.exceptions, stack.today)
    return parsed


def expiry_warnings(exceptions: Sequence[ResourceException], today: date) -> list[str]:
    """One line per exception of the list that has expired by ``today``."""
    return [
        f"exceptions[{position}] ({e.id}): expired on {e.expires.isoformat()} and no longer applies: "
        "remove it, or extend expires"
        for position, e in enumerate(exceptions)
        if not e.is_active(today)
    ]


def parse_exceptions(
    raw: object,
    *,
    check_types: Mapping[str, tuple[str, ...]],
    regions: tuple[str, ...] | None,
    organization: bool,
    today: date,
    max_days: int | None,
) -> ParsedExceptions:
    """The ``exceptions`` setting (a list of objects with the fields in ``FIELDS``), validated.

    ``check_types`` maps each check that takes exceptions to the resource types it evaluates; ``regions``
    None leaves regions unchecked, ``max_days`` None the expiry limit. Each problem is one line naming the
    exception (by id, or by position) and the field. An expiry in the past is a warning, not a problem.
    ``exceptions`` is empty when there is any problem.
    """
    return _parse(raw, _Stack(check_types, regions, organization, today, max_days))


# --- the normalized document (shipped with the functions, exported by the stack) -----------------


def to_document(exceptions: Iterable[ResourceException]) -> list[dict[str, object]]:
    """The exceptions as JSON-ready objects with the setting's field names, every field present."""
    return [
        {
            "id": e.id,
            "check": e.check,
            "resource": e.resource,
            "resourceType": e.resource_type,
            "regions": list(e.regions),
            "accounts": list(e.accounts),
            "reason": e.reason,
            "owner": e.owner,
            "ticket": e.ticket,
            "expires": e.expires.isoformat(),
        }
        for e in exceptions
    ]


class InvalidExceptionsDocument(ValueError):
    """A document of exceptions that ``to_document`` did not write (or that was edited since)."""


def from_document(doc: object) -> tuple[ResourceException, ...]:
    """The exceptions of a ``to_document`` document; raises ``InvalidExceptionsDocument`` listing every
    problem. Checks, regions and expiry limits were validated with the stack settings and are not
    checked again (an expired exception is kept: it still names the finding it no longer excepts)."""
    parsed = _parse(doc, None)
    if parsed.problems:
        raise InvalidExceptionsDocument("; ".join(parsed.problems))
    return parsed.exceptions


# --- matching ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResourceIdentity:
    """What an exception's ``resource`` glob is matched against: Config's resource id, the resource name
    Config records (``resourceName``; None where there is none) and the ARN (None where unknown)."""

    resource_id: str
    resource_name: str | None
    arn: str | None

    def texts(self) -> tuple[str, ...]:
        return tuple(text for text in (self.resource_id, self.resource_name, self.arn) if text)


def compile_glob(pattern: str) -> re.Pattern[str]:
    """An anchored, case-sensitive glob (``fnmatch`` syntax) as a regular expression for ``fullmatch``."""
    return re.compile(fnmatch.translate(pattern))


@dataclass(frozen=True)
class _Compiled:
    exception: ResourceException
    pattern: re.Pattern[str]

    def applies_to(self, resource_type: str, region: str, account: str | None) -> bool:
        e = self.exception
        if e.resource_type is not None and e.resource_type != resource_type:
            return False
        if e.regions and region not in e.regions:
            return False
        # Empty accounts: the stack's own account, the only one evaluated in account scope (organization
        # scope refuses an exception without accounts).
        return not e.accounts or e.accounts == (EVERY_ACCOUNT,) or account in e.accounts


def literal_prefix(pattern: str) -> str:
    """The part of a glob before its first wildcard: every text it matches starts with it."""
    found = GLOB_CHARACTERS.search(pattern)
    return pattern if found is None else pattern[: found.start()]


# Prefix characters the combined expression shares as a tree; the rest of a longer prefix stays in the
# pattern's own part (this bounds the nesting of the expression).
TREE_DEPTH = 64


@dataclass
class _PrefixNode:
    children: dict[str, _PrefixNode] = field(default_factory=dict)
    # Expressions for what follows the prefix up to this node, of the globs whose prefix ends here.
    rests: list[str] = field(default_factory=list)

    def expression(self) -> str:
        branches = [f"(?:{rest})" for rest in self.rests]
        branches += [re.escape(c) + child.expression() for c, child in self.children.items()]
        return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"


def _any_of(patterns: Iterable[str]) -> re.Pattern[str]:
    """One expression that fully matches what any of the globs matches, with the globs' literal prefixes
    merged into a tree: the regular-expression engine follows a text's characters down the tree and
    gives up at the first one no prefix has, instead of trying every glob in turn."""
    root = _PrefixNode()
    for pattern in patterns:
        prefix = literal_prefix(pattern)[:TREE_DEPTH]
        node = root
        for character in prefix:
            node = node.children.setdefault(character, _PrefixNode())
        node.rests.append(fnmatch.translate(pattern[len(prefix) :]))
    return re.compile(root.expression())


class ExceptionMatcher:
    """The exceptions of one check, compiled once (per container in the functions).

    Most resources match no exception: one combined expression (``_any_of``) rejects them with one
    ``fullmatch`` per identity text. A text it accepts is tried only against the exceptions whose literal
    prefix it starts with (every text a glob matches starts with that prefix), so a sweep's cost barely
    depends on the number of exceptions.
    """

    def __init__(self, exceptions: Iterable[ResourceException], check: str) -> None:
        self.check = check
        self._compiled = tuple(_Compiled(e, compile_glob(e.resource)) for e in exceptions if e.check == check)
        self._any = _any_of(c.exception.resource for c in self._compiled) if self._compiled else None
        self._by_prefix: dict[str, list[int]] = {}
        for position, compiled in enumerate(self._compiled):
            self._by_prefix.setdefault(literal_prefix(compiled.exception.resource), []).append(position)
        self._prefix_lengths = sorted({len(prefix) for prefix in self._by_prefix})

    @property
    def exceptions(self) -> tuple[ResourceException, ...]:
        return tuple(c.exception for c in self._compiled)

    def _candidates(self, texts: tuple[str, ...]) -> list[int]:
        """Positions, in list order, of the exceptions whose literal prefix starts one of ``texts``."""
        found: set[int] = set()
        for text in texts:
            for length in self._prefix_lengths:
                if length > len(text):
                    break
                found.update(self._by_prefix.get(text[:length], ()))
        return sorted(found)

    def match(
        self,
        resource_type: str,
        identity: ResourceIdentity,
        region: str,
        account: str | None,
        *,
        today: date | None = None,
    ) -> ResourceException | None:
        """The exception for this resource of ``region`` and ``account``, active or expired on ``today``
        (UTC today when None): the first active one in list order, else the first expired one."""
        if self._any is None:
            return None
        texts = identity.texts()
        if not any(self._any.fullmatch(text) for text in texts):
            return None
        candidates = self._candidates(texts)
        if not candidates:
            return None
        day = utc_today() if today is None else today
        expired: ResourceException | None = None
        for position in candidates:
            compiled = self._compiled[position]
            if not compiled.applies_to(resource_type, region, account):
                continue
            if not any(compiled.pattern.fullmatch(text) for text in texts):
                continue
            if compiled.exception.is_active(day):
                return compiled.exception
            if expired is None:
                expired = compiled.exception
        return expired


# --- the annotation ------------------------------------------------------------------------------

_PREFIX = "EXCEPTION"
_ACTIVE = "until"
_EXPIRED = "EXPIRED after"
_FINDING = "finding:"
_ANNOTATION = re.compile(
    rf"^{_PREFIX} (?P<id>[a-z0-9-]+) (?P<state>{_ACTIVE}|{_EXPIRED}) (?P<expires>\d{{4}}-\d{{2}}-\d{{2}}); "
    r"owner: (?P<owner>[^;]+?)(?:; ticket: (?P<ticket>[^;\s]+))?; "
    rf"{_FINDING}"
)


@dataclass(frozen=True)
class AnnotatedException:
    """What an evaluation's annotation says about the exception applied to it."""

    id: str
    expires: date
    owner: str
    ticket: str | None
    expired: bool


def _head(exception: ResourceException, expired: bool) -> str:
    state = _EXPIRED if expired else _ACTIVE
    head = f"{_PREFIX} {exception.id} {state} {exception.expires.isoformat()}; owner: {exception.owner}"
    if exception.ticket:
        head += f"; ticket: {exception.ticket}"
    return f"{head}; {_FINDING} "


def apply_exception(verdict: Verdict, exception: ResourceException | None, today: date) -> Verdict:
    """The verdict to post once ``exception`` (the matcher's answer) is taken into account.

    Only a NON_COMPLIANT verdict changes: with an active exception it is posted COMPLIANT, not
    NOT_APPLICABLE. Config API Reference: the ``ComplianceType`` filter of
    GetAggregateComplianceDetailsByConfigRule and of DescribeAggregateComplianceByConfigRules
    (ConfigRuleComplianceFilters) "supports only COMPLIANT and NON_COMPLIANT", so NOT_APPLICABLE results
    cannot be listed through the aggregator; and DescribeComplianceByConfigRule returns INSUFFICIENT_DATA
    for a rule whose Lambda function "has returned NOT_APPLICABLE for all evaluation results". With an
    expired exception the verdict stays NON_COMPLIANT and says the exception expired.
    Either way the annotation starts ``EXCEPTION <id>`` and keeps the expiry and owner whole; only the
    original finding is cut to fit PutEvaluations' 256 characters.
    """
    if exception is None or verdict.compliance is not Compliance.NON_COMPLIANT:
        return verdict
    expired = not exception.is_active(today)
    annotation = fit_annotation(_head(exception, expired) + verdict.annotation)
    return Verdict(Compliance.NON_COMPLIANT if expired else Compliance.COMPLIANT, annotation)


def read_exception_annotation(annotation: str) -> AnnotatedException | None:
    """The exception an annotation written by ``apply_exception`` names, or None for any other text."""
    found = _ANNOTATION.match(annotation)
    if found is None:
        return None
    try:
        expires = date.fromisoformat(found["expires"])
    except ValueError:
        return None
    return AnnotatedException(
        id=found["id"],
        expires=expires,
        owner=found["owner"],
        ticket=found["ticket"],
        expired=found["state"] == _EXPIRED,
    )
