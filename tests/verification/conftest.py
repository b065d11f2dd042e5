"""Fixtures of the verify command's tests: a stack deployed into moto server (see moto_stack.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
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
