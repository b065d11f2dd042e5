"""The verify command's ``exceptions`` line: FAIL while an expired exception is listed, WARN for those
expiring within 14 days, PASS otherwise, SKIP with none; read from the outputs on the clock's day, no AWS
call."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from exception_estate import LAPSED, NOW, PUBLIC, SCRATCH, TODAY, exception, outputs_with
from moto_stack import StatusAnswers, healthy_answers

from verification.cli import main
from verification.exception_review import check_exceptions
from verification.results import Verdict


def test_no_exceptions_is_an_informative_skip() -> None:
    assert check_exceptions((), TODAY) == (Verdict.SKIP, "no exceptions listed (stack setting exceptions)")


def test_exceptions_far_from_expiry_pass_naming_the_next_one() -> None:
    assert check_exceptions((SCRATCH, exception("later", "backup", "db-*", 90)), TODAY) == (
        Verdict.PASS,
        "2 exception(s) listed, none expired or expiring within 14 days "
        "(next: scratch-volumes on 2027-02-04)",
    )


@pytest.mark.parametrize(("days", "verdict"), [(13, Verdict.WARN), (14, Verdict.WARN), (15, Verdict.PASS)])
def test_warns_within_14_days_that_day_included(days: int, verdict: Verdict) -> None:
    listed = exception("boundary", "encryption", "vol-5c*", days)

    assert check_exceptions((listed,), TODAY)[0] is verdict


def test_warns_on_the_last_day_and_fails_the_day_after() -> None:
    assert check_exceptions((exception("today", "backup", "orders", 0),), TODAY)[0] is Verdict.WARN
    assert check_exceptions((exception("yesterday", "backup", "orders", -1),), TODAY)[0] is Verdict.FAIL


def test_the_warning_names_each_expiring_exception_its_day_and_owner() -> None:
    fourteen = exception("fourteen", "backup", "orders", 14, owner="data-team", ticket="DATA-9")

    assert check_exceptions((SCRATCH, PUBLIC, fourteen), TODAY) == (
        Verdict.WARN,
        "2 of 3 exception(s) expire within 14 days: public-assets (encryption) expires on 2026-12-19 "
        "(in 13 day(s)), owner web-team; fourteen (backup) expires on 2026-12-20 (in 14 day(s)), owner "
        "data-team, ticket DATA-9; extend or remove them before then",
    )


def test_an_expired_exception_fails_saying_how_to_fix_it() -> None:
    verdict, message = check_exceptions((SCRATCH, PUBLIC, LAPSED), TODAY, stack="dev")

    assert verdict is Verdict.FAIL
    assert message == (
        "1 exception(s) expired but still listed, their resources are NON_COMPLIANT again: legacy-orders "
        "(backup) expired on 2026-12-03, owner data-team, ticket DATA-7. Fix: remove each from the stack "
        "setting exceptions or extend its expires, then pulumi up --stack dev. Expiring within 14 days: "
        "public-assets (encryption) expires on 2026-12-19 (in 13 day(s)), owner web-team"
    )


def _verify(stack: dict[str, Any], directory: Path, clients: StatusAnswers, days_later: int = 0) -> int:
    path = directory / "outputs.json"
    path.write_text(json.dumps(stack), encoding="utf-8")
    return main(["--outputs", str(path)], clients=clients, clock=lambda: NOW + timedelta(days=days_later))


def test_the_command_warns_without_failing_and_fails_once_expired(
    deployed_stack: dict[str, Any], aws_endpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stack = outputs_with(deployed_stack, (SCRATCH, PUBLIC))

    status = _verify(stack, tmp_path, StatusAnswers(aws_endpoint, healthy_answers(NOW)))

    lines = capsys.readouterr().out.splitlines()
    assert status == 0
    assert lines[-2].startswith("WARN  us-east-1       exceptions                  1 of 2 exception(s)")
    assert lines[-1] == "21 checks: 19 passed, 0 failed, 1 skipped, 1 warned"

    # 14 days on, PUBLIC (13 days left today) has expired: the stack is broken until it is removed.
    later = NOW + timedelta(days=14)
    status = _verify(stack, tmp_path, StatusAnswers(aws_endpoint, healthy_answers(later)), days_later=14)

    lines = capsys.readouterr().out.splitlines()
    assert status == 1
    assert lines[-2].startswith(
        "FAIL  us-east-1       exceptions                  1 exception(s) expired but still listed"
    )
    assert "public-assets (encryption) expired on 2026-12-19" in lines[-2]
    assert lines[-1] == "21 checks: 19 passed, 1 failed, 1 skipped"


def test_the_line_makes_no_aws_call(
    deployed_stack: dict[str, Any], aws_endpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with_list = StatusAnswers(aws_endpoint, healthy_answers(NOW))
    without_list = StatusAnswers(aws_endpoint, healthy_answers(NOW))

    _verify(outputs_with(deployed_stack, (SCRATCH, LAPSED)), tmp_path, with_list)
    _verify(deployed_stack, tmp_path, without_list)

    assert with_list.calls == without_list.calls
    lines = capsys.readouterr().out.splitlines()
    assert "SKIP  us-east-1       exceptions                  no exceptions listed" in lines[-2]
