"""``python -m verification report``: the stack's compliance across regions, from its aggregator.

Exit status: 0 when the report was made; 1 with ``--fail-on-noncompliant`` when a resource is
non-compliant (an excepted one is not), or with ``--fail-on-expired-exceptions`` when a listed exception
(of the report's checks, regions and accounts) has expired; 2 when it could not be made (unusable outputs
or filters, no or wrong credentials, a failed AWS call) or an aggregator source FAILED (the report is
printed, but may lack that source's results).
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TextIO

from components.frameworks import FRAMEWORKS, Framework
from verification.clients import ClientFactory
from verification.compliance import ComplianceReport, Filters, collect
from verification.exception_review import ExceptionStatus
from verification.exit_status import EXIT_BROKEN, EXIT_COULD_NOT_CHECK, EXIT_OK, exit_statuses
from verification.framework_formats import (
    render_framework_csv,
    render_framework_json,
    render_framework_markdown,
    render_framework_table,
)
from verification.framework_report import EVIDENCE_NOTE, FrameworkReport, framework_report
from verification.html_report import render_framework_html, render_html
from verification.outputs import ACCOUNT_ID_PATTERN, StackOutputs
from verification.report_formats import render_csv, render_json, render_markdown, render_table
from verification.results import AWS_CALL_ERRORS, describe_error
from verification.session import (
    CannotCheck,
    add_source_arguments,
    prepare,
)

RENDERERS: dict[str, Callable[[ComplianceReport], str]] = {
    "table": render_table,
    "json": render_json,
    "csv": render_csv,
    "markdown": render_markdown,
    "html": render_html,
}
FRAMEWORK_RENDERERS: dict[str, Callable[[FrameworkReport], str]] = {
    "table": render_framework_table,
    "json": render_framework_json,
    "csv": render_framework_csv,
    "markdown": render_framework_markdown,
    "html": render_framework_html,
}
# CloudFormation-style resource type names, as Config reports them.
RESOURCE_TYPE = re.compile(r"^AWS::[A-Za-z0-9]+::[A-Za-z0-9]+$")
# Progress appears only when the report takes longer than this.
PROGRESS_AFTER_SECONDS = 1.0


def parse_arguments(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m verification report",
        description="Report the compliance of the stack's rules in every region, from its aggregator.",
        epilog=exit_statuses(
            "with --fail-on-noncompliant: a resource is non-compliant;\n"
            "       with --fail-on-expired-exceptions: a listed exception has expired",
            incomplete=";\n       or an aggregator source FAILED (the report is printed, but may lack "
            "its results)",
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_source_arguments(parser)
    parser.add_argument("--format", choices=tuple(RENDERERS), default="table", help="default: table")
    parser.add_argument("--output", type=Path, metavar="FILE", help="write the report here, not to stdout")
    parser.add_argument("--region", action="append", default=[], help="only this region (repeatable)")
    parser.add_argument(
        "--check",
        action="append",
        default=[],
        help="only this check or managed rule, by its name (repeatable; leaves the packs' rules out)",
    )
    parser.add_argument(
        "--resource-type",
        action="append",
        default=[],
        help="only this resource type, e.g. AWS::EC2::Volume (repeatable)",
    )
    parser.add_argument(
        "--account",
        action="append",
        default=[],
        help="only this account, a 12-digit id (repeatable; organization scope: a member account)",
    )
    parser.add_argument(
        "--framework",
        metavar="KEY",
        help=f"report per control of this framework instead ({', '.join(FRAMEWORKS)})",
    )
    parser.add_argument(
        "--fail-on-noncompliant",
        action="store_true",
        help="exit with status 1 when any resource is non-compliant (for CI gates); excepted ones are not",
    )
    parser.add_argument(
        "--fail-on-expired-exceptions",
        action="store_true",
        help="exit with status 1 when a listed exception has expired (remove it or extend its expiry)",
    )
    return parser.parse_args(argv)


def filters_for(arguments: argparse.Namespace, outputs: StackOutputs) -> Filters:
    problems: list[str] = []
    unknown_regions = [region for region in arguments.region if region not in outputs.regions]
    if unknown_regions:
        regions = ", ".join(outputs.regions)
        problems.append(f"--region {', '.join(unknown_regions)}: the stack's regions are {regions}")
    checks = [rule.check for rule in outputs.rules[outputs.primary_region]]
    checks += sorted({rule.name for rules in outputs.managed_rules.values() for rule in rules} - set(checks))
    unknown_checks = [check for check in arguments.check if check not in checks]
    if unknown_checks:
        problems.append(
            f"--check {', '.join(unknown_checks)}: the stack's checks and managed rules are "
            f"{', '.join(checks)}"
        )
    bad_types = [kind for kind in arguments.resource_type if not RESOURCE_TYPE.match(kind)]
    if bad_types:
        problems.append(f"--resource-type {', '.join(bad_types)}: expected a type like AWS::EC2::Volume")
    problems += _account_problems(arguments.account, outputs)
    if problems:
        raise CannotCheck("; ".join(problems))
    return Filters(
        regions=tuple(region for region in outputs.regions if region in arguments.region),
        checks=tuple(check for check in checks if check in arguments.check),
        resource_types=tuple(dict.fromkeys(arguments.resource_type)),
        accounts=tuple(dict.fromkeys(arguments.account)),
    )


def _account_problems(accounts: Sequence[str], outputs: StackOutputs) -> list[str]:
    malformed = [account for account in accounts if not ACCOUNT_ID_PATTERN.match(account)]
    if malformed:
        return [f"--account {', '.join(malformed)}: expected a 12-digit account id"]
    if outputs.organization is None:
        others = [account for account in accounts if account != outputs.account_id]
        if others:
            return [f"--account {', '.join(others)}: the stack watches only its account {outputs.account_id}"]
        return []
    excluded = [account for account in accounts if account in outputs.organization.excluded_accounts]
    if excluded:
        return [f"--account {', '.join(excluded)}: excluded from the stack's rules (excludedAccounts)"]
    return []


class Progress:
    """``reading compliance: 3/9 rule(s)`` on stderr, once the report takes longer than a moment.

    On a terminal the line is rewritten in place; elsewhere (CI logs) at most one line a second.
    """

    def __init__(self, stream: TextIO, clock: Callable[[], float] = time.monotonic) -> None:
        self._stream = stream
        self._clock = clock
        self._started = clock()
        self._last_shown: float | None = None

    def __call__(self, done: int, total: int) -> None:
        now = self._clock()
        if now - self._started < PROGRESS_AFTER_SECONDS:
            return
        if self._last_shown is not None and now - self._last_shown < 1.0 and done < total:
            return
        self._last_shown = now
        message = f"reading compliance: {done}/{total} rule(s) in {now - self._started:.0f} s"
        if self._stream.isatty():
            self._stream.write(f"\r{message}" + ("\n" if done == total else ""))
        else:
            self._stream.write(message + "\n")
        self._stream.flush()


def chosen_framework(key: str | None) -> Framework | None:
    if key is None:
        return None
    if key not in FRAMEWORKS:
        raise CannotCheck(f"--framework {key}: unknown framework; the known ones are {', '.join(FRAMEWORKS)}")
    return FRAMEWORKS[key]


def report_main(argv: Sequence[str], clients: ClientFactory | None, clock: Callable[[], datetime]) -> int:
    """``clock``: the report's time (UTC), which also decides which exceptions have expired."""
    arguments = parse_arguments(argv)
    try:
        framework = chosen_framework(arguments.framework)
        outputs, clients = prepare(arguments, clients)
        filters = filters_for(arguments, outputs)
    except CannotCheck as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_COULD_NOT_CHECK
    try:
        report = collect(outputs, clients, filters, clock(), Progress(sys.stderr))
    except AWS_CALL_ERRORS as error:
        print(f"error: could not make the report: {describe_error(error)}", file=sys.stderr)
        return EXIT_COULD_NOT_CHECK

    if framework is None:
        text = RENDERERS[arguments.format](report)
    else:
        text = FRAMEWORK_RENDERERS[arguments.format](framework_report(report, framework))
    if arguments.output is None:
        sys.stdout.write(text)
    else:
        try:
            arguments.output.write_text(text, encoding="utf-8")
        except OSError as error:
            print(f"error: cannot write {arguments.output}: {error.strerror or error}", file=sys.stderr)
            return EXIT_COULD_NOT_CHECK
        print(f"wrote the {arguments.format} report to {arguments.output}", file=sys.stderr)
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if framework is not None and arguments.format == "csv":
        # Every other format carries the note in the report itself; a csv file has rows only.
        print(f"note: {EVIDENCE_NOTE}", file=sys.stderr)

    failed = False
    if arguments.fail_on_noncompliant and report.findings:
        print(f"{len(report.findings)} non-compliant resource(s) (--fail-on-noncompliant)", file=sys.stderr)
        failed = True
    expired = report.exceptions_with(ExceptionStatus.EXPIRED)
    if arguments.fail_on_expired_exceptions and expired:
        names = ", ".join(reviewed.exception.id for reviewed in expired)
        print(
            f"{len(expired)} expired exception(s) still listed: {names} (--fail-on-expired-exceptions)",
            file=sys.stderr,
        )
        failed = True
    if failed:
        return EXIT_BROKEN
    return EXIT_COULD_NOT_CHECK if report.incomplete else EXIT_OK
