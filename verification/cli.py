"""``python -m verification``: check a deployed stack (the default), or report its compliance.

    python -m verification [verify] (--stack STACK | --outputs FILE) [--endpoint-url URL]
    python -m verification report (--stack STACK | --outputs FILE) [options]   (see report --help)

Exit status of both: 0 when all is well (verify: a WARN line does not change that); 1 when the stack is
broken (verify: a check failed; report --fail-on-noncompliant: a resource is non-compliant;
report --fail-on-expired-exceptions: a listed exception has expired); 2 when it could not check (unusable
outputs, no or wrong credentials, an unreachable endpoint, a failed AWS call); 130 when interrupted
(verification/exit_status.py, listed by ``--help``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from verification.checks import verify
from verification.clients import ClientFactory
from verification.exit_status import EXIT_BROKEN, EXIT_COULD_NOT_CHECK, EXIT_OK, exit_statuses
from verification.report_command import report_main
from verification.results import Verdict
from verification.session import (
    CannotCheck,
    add_source_arguments,
    prepare,
)


def parse_arguments(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m verification",
        description="Check that a deployed compliance stack records, delivers, evaluates and alerts.",
        epilog=exit_statuses("the stack is broken: a check failed")
        + "\n\nTo report compliance instead: python -m verification report --help",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_source_arguments(parser)
    return parser.parse_args(argv)


def utc_now() -> datetime:
    return datetime.now(UTC)


def main(
    argv: Sequence[str] | None = None,
    clients: ClientFactory | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> int:
    """``clients`` and ``clock`` (the current UTC time) are the tests' to replace."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["report"]:
        return report_main(arguments[1:], clients, clock)
    if arguments[:1] == ["verify"]:
        arguments = arguments[1:]
    return verify_main(arguments, clients, clock)


def verify_main(argv: Sequence[str], clients: ClientFactory | None, clock: Callable[[], datetime]) -> int:
    arguments = parse_arguments(argv)
    try:
        outputs, clients = prepare(arguments, clients)
    except CannotCheck as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_COULD_NOT_CHECK

    print(
        f"Verifying {len(outputs.regions)} region(s), primary {outputs.primary_region}, "
        f"rules every {outputs.evaluation_frequency}"
    )
    counts = dict.fromkeys(Verdict, 0)
    unchecked = 0
    for result in verify(outputs, clients, clock(), arguments.stack):
        print(result.line(), flush=True)
        counts[result.verdict] += 1
        unchecked += result.could_not_check
    summary = (
        f"{sum(counts.values())} checks: {counts[Verdict.PASS]} passed, {counts[Verdict.FAIL]} failed, "
        f"{counts[Verdict.SKIP]} skipped"
    )
    if counts[Verdict.WARN]:
        summary += f", {counts[Verdict.WARN]} warned"
    if unchecked:
        summary += f" ({unchecked} of the failed could not check: an AWS call failed)"
    print(summary)
    if counts[Verdict.FAIL] > unchecked:
        return EXIT_BROKEN
    return EXIT_COULD_NOT_CHECK if unchecked else EXIT_OK
