"""With allowedKmsKeyArns set, the stack says which of its own keys the list lacks, since its own
encryption rule would flag what they encrypt (components/own_keys.py, docs/configuration.md)."""

from __future__ import annotations

import json

import pulumi
import pytest

from tests.infra.conftest import DEV_CONFIG
from tests.infra.program import ACCOUNT_ID, run_program

KMS_CONFIG = {**DEV_CONFIG, "requireKms": "true"}


def key_arn(region: str, account: str = ACCOUNT_ID) -> str:
    """The ARN the mocks give every key (tests/infra/program.py, ARN_FORMATS)."""
    return f"arn:aws:kms:{region}:{account}:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def warnings_of(config: dict[str, object], monkeypatch: pytest.MonkeyPatch) -> list[str]:
    warned: list[str] = []
    monkeypatch.setattr(pulumi.log, "warn", lambda message, *args, **kwargs: warned.append(message))
    run_program(config)
    return [message for message in warned if "allowedKmsKeyArns" in message]


def test_a_list_without_the_stacks_keys_names_each_of_them(monkeypatch: pytest.MonkeyPatch) -> None:
    someone_elses = key_arn("eu-west-1", "999999999999")
    config = {**KMS_CONFIG, "allowedKmsKeyArns": json.dumps([someone_elses])}
    static, known = warnings_of(config, monkeypatch)
    # Before any key exists: no listed key in us-east-1 or us-west-2 at all.
    assert "the archive key of us-east-1; the dead-letter queue key of us-west-2" in static
    # Once the key's ARN is known: eu-west-1 has a listed key, but not this one.
    assert f"the dead-letter queue key of eu-west-1 ({key_arn('eu-west-1')})" in known
    assert "us-east-1" not in known and "us-west-2" not in known
    for message in (static, known):
        assert "alertPath.<region>.deadLetterKeyArn" in message and "exceptions" in message


def test_a_list_holding_the_stacks_keys_warns_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    own = [key_arn(region) for region in DEV_CONFIG["regions"]]
    assert warnings_of({**KMS_CONFIG, "allowedKmsKeyArns": json.dumps(own)}, monkeypatch) == []


def test_without_require_kms_only_the_archive_key_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    config = {**DEV_CONFIG, "allowedKmsKeyArns": json.dumps([key_arn("us-west-2")])}
    (static,) = warnings_of(config, monkeypatch)
    assert "allowedKmsKeyArns names no key in the region of the archive key of us-east-1:" in static


def test_without_a_list_nothing_is_said(monkeypatch: pytest.MonkeyPatch) -> None:
    assert warnings_of(KMS_CONFIG, monkeypatch) == []


def test_member_accounts_keys_are_named_in_organization_scope(monkeypatch: pytest.MonkeyPatch) -> None:
    own = [key_arn(region) for region in DEV_CONFIG["regions"]]
    config = {
        **KMS_CONFIG,
        "allowedKmsKeyArns": json.dumps(own),
        "scope": "organization",
        "memberOrganizationalUnits": ["ou-ab12-cd34ef56"],
    }
    (members,) = warnings_of(config, monkeypatch)
    assert "each member account's dead-letter queue" in members
    assert "'config-alert-dlq-dev-*'" in members
