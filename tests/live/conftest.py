"""Live tests run against a deployed stack only when told which one and given credentials for it.

Set ``CONFIG_COMPLIANCE_OUTPUTS`` to a file saved from ``pulumi stack output --json`` (or
``CONFIG_COMPLIANCE_STACK`` to a stack name, with the pulumi CLI on PATH), with AWS credentials for the
stack's account in the usual boto3 places. Without them every test here is skipped, saying why.
"""

from __future__ import annotations

import os
from pathlib import Path

import boto3
import pytest

from verification.outputs import StackOutputs, load_outputs_file, read_stack_outputs

OUTPUTS_VARIABLE = "CONFIG_COMPLIANCE_OUTPUTS"
STACK_VARIABLE = "CONFIG_COMPLIANCE_STACK"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that need the deployed stack are ``live``; the offline tests of their helpers are not."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.path).parents and "stack_outputs" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.live)


def _skip_reason() -> str | None:
    if not os.environ.get(OUTPUTS_VARIABLE) and not os.environ.get(STACK_VARIABLE):
        return (
            f"live tests need a deployed stack: set {OUTPUTS_VARIABLE}=<file saved from "
            f"`pulumi stack output --json`> or {STACK_VARIABLE}=<stack name>, and AWS credentials"
        )
    if os.environ.get("AWS_ENDPOINT_URL"):
        return "live tests talk to AWS itself; unset AWS_ENDPOINT_URL"
    if boto3.session.Session().get_credentials() is None:
        return "live tests need AWS credentials (environment, profile or role); none were found"
    return None


@pytest.fixture(scope="session")
def stack_outputs() -> StackOutputs:
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    path = os.environ.get(OUTPUTS_VARIABLE)
    if path:
        return load_outputs_file(Path(path))
    return read_stack_outputs(os.environ[STACK_VARIABLE])


@pytest.fixture(scope="session")
def outputs_arguments(stack_outputs: StackOutputs) -> list[str]:
    """The verify command's arguments for the same stack."""
    path = os.environ.get(OUTPUTS_VARIABLE)
    return ["--outputs", path] if path else ["--stack", os.environ[STACK_VARIABLE]]
