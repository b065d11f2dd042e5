from __future__ import annotations

from typing import Any

import pytest

from tests.infra.program import Deployment, run_program

DEV_CONFIG: dict[str, Any] = {
    "environmentSuffix": "dev",
    "regions": ["us-east-1", "us-west-2", "eu-west-1"],
    "resourceTags": ["Owner=platform-team"],
    "notificationEmails": ["oncall@example.com", "security@example.com"],
}


@pytest.fixture(scope="session")
def dev() -> Deployment:
    """The dev stack: three regions, primary us-east-1, the default settings otherwise."""
    return run_program(DEV_CONFIG)
