"""The ``exceptions`` and ``maxExceptionDays`` settings, read by the stack with every other setting."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pulumi
import pytest
from evaluators.exceptions import EVERY_ACCOUNT, utc_today

from components.catalog import CHECKS
from components.exception_settings import check_types
from components.settings import NAMESPACE, SettingsError, load_settings, parse_settings, settings_warnings

VALID = {
    "environmentSuffix": "dev",
    "resourceTags": '["Owner=platform"]',
    "regions": '["eu-west-1", "us-east-1"]',
}
ACCOUNT = "123456789012"


def in_days(days: int) -> str:
    return (utc_today() + timedelta(days=days)).isoformat()


def exception(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "public-assets",
        "check": "encryption",
        "resource": "public-assets-*",
        "reason": "Served publicly through CloudFront.",
        "owner": "web team",
        "expires": in_days(90),
    }
    base.update(fields)
    return {key: value for key, value in base.items() if value is not None}


def settings_with(*exceptions: Any, **raw: str) -> Any:
    return parse_settings({**VALID, "exceptions": json.dumps(list(exceptions)), **raw})


def problems_of(*exceptions: Any, **raw: str) -> list[str]:
    with pytest.raises(SettingsError) as raised:
        settings_with(*exceptions, **raw)
    return raised.value.problems


def test_no_exceptions_by_default_and_a_year_at_most() -> None:
    settings = parse_settings(VALID)
    assert settings.exceptions == ()
    assert settings.max_exception_days == 365


def test_exceptions_are_read_from_the_stack_config_json() -> None:
    settings = settings_with(exception(resourceType="AWS::S3::Bucket", regions=["eu-west-1"], ticket="SEC-1"))
    (read,) = settings.exceptions
    assert (read.id, read.check, read.resource_type, read.regions, read.ticket) == (
        "public-assets",
        "encryption",
        "AWS::S3::Bucket",
        ("eu-west-1",),
        "SEC-1",
    )


def test_checks_come_from_the_catalogue() -> None:
    """Exceptions apply to the catalogue's custom checks, each with the types its entry evaluates."""
    assert list(check_types()) == ["encryption", "required-tags", "backup"]
    for check in CHECKS:
        assert check_types()[check.name] == check.resource_types


def test_account_ids_set_with_path_are_read_as_text() -> None:
    """`pulumi config set --path 'exceptions[0].accounts[0]' 123456789012` stores a number (Pulumi CLI
    reference, pulumi config set: with --path, integers are numbers)."""
    raw = json.dumps([exception(accounts=[int(ACCOUNT)])])
    assert '"accounts": [123456789012]' in raw
    (read,) = parse_settings({**VALID, "exceptions": raw}).exceptions
    assert read.accounts == (ACCOUNT,)


def test_an_account_id_with_a_leading_zero_keeps_it() -> None:
    """`--path` stores a digit-only value with a leading zero as a string, zeros kept (pulumi/pulumi
    sdk/go/common/resource/config, adjustObjectValue: a value of more than one character starting with "0"
    is saved as is), next to numbers for the other ids; both read back as the 12 digits typed."""
    raw = json.dumps([exception(accounts=["012345678901", int(ACCOUNT)])])
    (read,) = parse_settings({**VALID, "exceptions": raw}).exceptions
    assert read.accounts == ("012345678901", ACCOUNT)


BAD_INPUT = [
    ({"reason": None}, "exceptions[0] (public-assets): reason: missing (required)"),
    ({"owner": None}, "exceptions[0] (public-assets): owner: missing (required)"),
    ({"expires": None}, "exceptions[0] (public-assets): expires: missing (required)"),
    (
        {"expires": "2027-13-01"},
        "exceptions[0] (public-assets): expires: '2027-13-01' is not a date YYYY-MM-DD",
    ),
    ({"expires": "tomorrow"}, "exceptions[0] (public-assets): expires: 'tomorrow' is not a date YYYY-MM-DD"),
    (
        {"expires": in_days(366)},
        "exceptions[0] (public-assets): expires: " + in_days(366) + " is more than "
        "maxExceptionDays (365) days after today",
    ),
    (
        {"check": "encrypt"},
        "exceptions[0] (public-assets): check: unknown check 'encrypt' (checks: "
        "encryption, required-tags, backup)",
    ),
    (
        {"check": "backup", "resourceType": "AWS::S3::Bucket"},
        "exceptions[0] (public-assets): resourceType: check 'backup' does not evaluate 'AWS::S3::Bucket'",
    ),
    ({"resource": "*"}, "exceptions[0] (public-assets): resource: '*' would match every resource"),
    ({"expiry": "2027-01-01"}, "exceptions[0] (public-assets): expiry: unknown field"),
    (
        {"regions": ["us-west-2"]},
        "exceptions[0] (public-assets): regions: us-west-2 not in the stack's regions (eu-west-1, us-east-1)",
    ),
    ({"accounts": ["1234"]}, "exceptions[0] (public-assets): accounts: 1234 not a 12-digit account id"),
]


@pytest.mark.parametrize(("fields", "problem"), BAD_INPUT)
def test_each_bad_input_is_one_line_naming_the_exception_and_the_field(
    fields: dict[str, Any], problem: str
) -> None:
    (found,) = problems_of(exception(**fields))
    assert found.startswith(problem), found


def test_duplicate_ids_name_both_positions() -> None:
    assert problems_of(exception(), exception(resource="other-*")) == [
        "exceptions[1] (public-assets): id: 'public-assets' is already the id of exceptions[0]"
    ]


def test_organization_scope_needs_accounts() -> None:
    organization = {"scope": "organization", "memberOrganizationalUnits": '["r-ab12"]'}
    assert problems_of(exception(), **organization) == [
        "exceptions[0] (public-assets): accounts: missing: in organization scope name the account ids, "
        'or ["*"] for every account'
    ]
    (read,) = settings_with(exception(accounts=["*"]), **organization).exceptions
    assert read.accounts == (EVERY_ACCOUNT,)


def test_exception_problems_join_every_other_problem_in_one_error() -> None:
    problems = problems_of(exception(owner=None), evaluationFrequency="Hourly")
    assert "exceptions[0] (public-assets): owner: missing (required)" in problems
    assert any(problem.startswith("evaluationFrequency") for problem in problems)


def test_a_value_that_is_not_a_list_of_objects_is_refused() -> None:
    with pytest.raises(SettingsError) as raised:
        parse_settings({**VALID, "exceptions": "public-assets"})
    assert raised.value.problems == ["exceptions: expected a list of objects, got 'public-assets'"]
    with pytest.raises(SettingsError) as raised:
        parse_settings({**VALID, "exceptions": '{"id": "x"}'})
    assert raised.value.problems == ["exceptions: expected a list of objects, got dict"]


def test_max_exception_days_moves_the_limit() -> None:
    assert settings_with(exception(expires=in_days(30)), maxExceptionDays="30").max_exception_days == 30
    (problem,) = problems_of(exception(expires=in_days(31)), maxExceptionDays="30")
    assert "is more than maxExceptionDays (30) days after today" in problem
    with pytest.raises(SettingsError) as raised:
        parse_settings({**VALID, "maxExceptionDays": "0"})
    assert raised.value.problems == ["maxExceptionDays must be at least 1, got 0"]


def test_a_bad_max_exception_days_still_lists_the_exceptions_problems() -> None:
    """Every problem in one error (components/settings.py): a bad limit does not hide the exceptions'."""
    assert problems_of(exception(check="encrypt", expires=in_days(400)), maxExceptionDays="0") == [
        "maxExceptionDays must be at least 1, got 0",
        "exceptions[0] (public-assets): check: unknown check 'encrypt' (checks: encryption, required-tags, "
        "backup)",
    ]


def test_an_expired_exception_deploys_with_a_warning() -> None:
    settings = settings_with(exception(expires=in_days(-1)))
    expired_on = in_days(-1)
    assert settings_warnings(settings) == [
        f"exceptions[0] (public-assets): expired on {expired_on} and no longer applies: remove it, "
        "or extend expires"
    ]
    assert settings_warnings(settings_with(exception(expires=in_days(0)))) == []


def test_an_expired_exception_warning_reaches_the_pulumi_log(monkeypatch: pytest.MonkeyPatch) -> None:
    logged: list[str] = []
    monkeypatch.setattr(pulumi.log, "warn", logged.append)
    pulumi.runtime.set_all_config(
        {
            **{f"{NAMESPACE}:{key}": value for key, value in VALID.items()},
            f"{NAMESPACE}:exceptions": json.dumps([exception(expires=in_days(-3))]),
        }
    )
    assert load_settings().exceptions[0].id == "public-assets"
    assert len(logged) == 1 and "expired on" in logged[0]


def test_bad_exceptions_end_the_program_without_a_traceback() -> None:
    pulumi.runtime.set_all_config(
        {
            **{f"{NAMESPACE}:{key}": value for key, value in VALID.items()},
            f"{NAMESPACE}:exceptions": json.dumps([exception(resource="*")]),
        }
    )
    with pytest.raises(pulumi.RunError) as raised:
        load_settings()
    assert "exceptions[0] (public-assets): resource: '*' would match every resource" in str(raised.value)
