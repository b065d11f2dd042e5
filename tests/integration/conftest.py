"""Fixtures of the integration suite: the evaluators run against moto server in three regions.

The estate is built once per module (the evaluators only read it); a module whose tests change the
estate overrides ``estate`` with a function-scoped one built on an emptied server.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType
from typing import Any

import boto3
import pytest
from evaluators.aws import reset_clients
from evaluators.backup import forget_selections
from integration_support import AwsApi, Estate, Invoke, LambdaContext, build_estate, function_arn


@pytest.fixture(scope="module")
def estate(moto_server: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Estate]:
    """The three-region estate, shared by the module's tests, which must leave it as it is."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        moto_server.point_boto3_at(monkeypatch, tmp_path_factory.mktemp("aws"))
        moto_server.reset()
        yield build_estate()


@pytest.fixture
def api(estate: Estate, monkeypatch: pytest.MonkeyPatch) -> Iterator[AwsApi]:
    """Records (and, where moto cannot, answers) every call the evaluators make; see integration_support."""
    session = boto3.session.Session()
    recorder = AwsApi(selections=estate.selections)
    recorder.install(session)
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", session)
    reset_clients()
    forget_selections()
    yield recorder
    reset_clients()
    forget_selections()


@pytest.fixture
def invoke(api: AwsApi, monkeypatch: pytest.MonkeyPatch) -> Invoke:
    """Runs a handler as Lambda would in ``region``; a container serves one region, so changing region
    starts afresh (new clients, no cached backup selections), while repeated calls in a region reuse them
    like a warm container."""
    current: list[str] = []

    def run(module: ModuleType, event: dict[str, Any], region: str) -> dict[str, Any]:
        if current != [region]:
            monkeypatch.setenv("AWS_REGION", region)
            monkeypatch.setenv("AWS_DEFAULT_REGION", region)
            reset_clients()
            forget_selections()
            current[:] = [region]
        name = event["configRuleName"]
        context = LambdaContext(function_name=name, invoked_function_arn=function_arn(region, name))
        result: dict[str, Any] = module.handler(event, context)
        return result

    return run
