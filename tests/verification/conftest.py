"""Fixtures of the verify command's tests: a stack deployed into moto server (see moto_stack.py), moto in
process, clients stubbed with botocore's Stubber."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws
from moto_stack import StatusAnswers, build_stack, healthy_answers


@pytest.fixture
def now() -> datetime:
    return datetime.now(UTC)


@pytest.fixture
def deployed_stack(aws_endpoint: str) -> dict[str, Any]:
    """The outputs of a dev stack deployed into moto: three regions, eu-west-1's recorder pre-existing."""
    return build_stack()


@pytest.fixture
def healthy_clients(aws_endpoint: str, now: datetime) -> StatusAnswers:
    return StatusAnswers(aws_endpoint, healthy_answers(now))


@pytest.fixture
def moto_in_process(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto in process (``mock_aws``), with fake credentials and no endpoint or profile of the shell's."""
    for variable in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield


def _stubbed(service: str) -> Iterator[tuple[Any, Stubber]]:
    """A client whose every answer comes from the test, checked against the service model by Stubber."""
    client = boto3.client(  # type: ignore[call-overload]
        service, region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


@pytest.fixture
def config() -> Iterator[tuple[Any, Stubber]]:
    yield from _stubbed("config")


@pytest.fixture
def sns() -> Iterator[tuple[Any, Stubber]]:
    yield from _stubbed("sns")


@pytest.fixture
def cloudformation() -> Iterator[tuple[Any, Stubber]]:
    yield from _stubbed("cloudformation")


@pytest.fixture
def quiet_progress(monkeypatch: pytest.MonkeyPatch) -> None:
    """The report command prints its progress once reading takes longer than a moment, which on a busy
    machine an end-to-end run can: tests that compare standard error whole keep it out (the progress line
    itself is tested with an injected clock in test_report.py)."""
    monkeypatch.setattr("verification.report_command.PROGRESS_AFTER_SECONDS", float("inf"))
