"""Support for the evaluator tests: fake credentials, moto, Config events and an AWS call recorder.

``ApiCalls`` hooks botocore's ``provide-client-params`` and ``before-call`` events on the default boto3
session (every client the evaluators create comes from it): it records each call's parameters and can
answer chosen operations itself, which is how PutEvaluations (moto accepts it only in test mode) and
APIs moto lacks are served. Answered calls are still validated against the service model by botocore.
"""

from __future__ import annotations

import functools
import json
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from evaluators import excepting
from evaluators.aws import reset_clients
from evaluators.backup import forget_selections
from moto import mock_aws

REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's default account
CAPTURE_TIME = "2026-11-20T10:00:00.000Z"
NOTIFICATION_TIME = "2026-11-20T12:00:00.000Z"
RULE_NAME = "compliance-check-dev"

Responder = Callable[[dict[str, Any]], dict[str, Any]]


class _Http:
    def __init__(self, status_code: int) -> None:
        self.status_code = status_code
        self.headers: dict[str, str] = {}


def aws_error(code: str, message: str = "injected", status: int = 400) -> dict[str, Any]:
    """A parsed error response for a responder to return; botocore raises it as a ClientError."""
    return {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}}


@dataclass
class ApiCalls:
    """Every AWS call made through the default session, as (operation, params); answers stubbed ones."""

    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    responders: dict[str, Responder] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Sweeps call from worker threads: each thread answers its own call's parameters.
        self._local = threading.local()

    def respond(self, operation: str, responder: Responder) -> None:
        self.responders[operation] = responder

    def record(self, model: Any, params: dict[str, Any], **kwargs: Any) -> None:
        """``provide-client-params`` handler: sees the API parameters as the caller passed them."""
        self.calls.append((model.name, dict(params)))
        self._local.params = dict(params)

    def answer(self, model: Any, **kwargs: Any) -> Any:
        """``before-call`` handler: a (response, parsed) pair short-circuits the HTTP request."""
        responder = self.responders.get(model.name)
        if responder is None:
            return None
        parsed = responder(self._local.params)
        return _Http(parsed.get("ResponseMetadata", {}).get("HTTPStatusCode", 200)), parsed

    def count(self) -> Counter[str]:
        return Counter(name for name, _ in self.calls)

    def evaluations(self) -> list[dict[str, Any]]:
        """Every evaluation sent in PutEvaluations calls, in order."""
        return [e for name, params in self.calls if name == "PutEvaluations" for e in params["Evaluations"]]

    def verdicts(self) -> dict[str, str]:
        """ComplianceResourceId -> ComplianceType of the evaluations sent."""
        return {e["ComplianceResourceId"]: e["ComplianceType"] for e in self.evaluations()}


def accept_evaluations(params: dict[str, Any]) -> dict[str, Any]:
    return {"FailedEvaluations": []}


def no_previous_results(params: dict[str, Any]) -> dict[str, Any]:
    return {"EvaluationResults": []}


@pytest.fixture(autouse=True)
def aws_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_CONFIG_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    boto3.setup_default_session()
    reset_clients()
    forget_selections()
    excepting.container_matcher.cache_clear()
    yield
    reset_clients()
    forget_selections()
    excepting.container_matcher.cache_clear()


@dataclass
class ShippedExceptions:
    """The exceptions document the functions read and the date their clock gives, for one test."""

    path: Path
    today: date = date(2026, 11, 20)

    def ship(self, *exceptions: dict[str, Any]) -> None:
        """Writes the document as the archive carries it; a new deployment means new containers."""
        self.path.write_text(json.dumps(list(exceptions)))
        excepting.container_matcher.cache_clear()


@pytest.fixture
def shipped_exceptions(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> ShippedExceptions:
    shipped = ShippedExceptions(tmp_path / excepting.DOCUMENT_NAME)
    monkeypatch.setattr(excepting, "DOCUMENT_PATH", shipped.path)
    monkeypatch.setattr(excepting, "clock", lambda: shipped.today)
    return shipped


def exception_entry(**fields: Any) -> dict[str, Any]:
    """An exception as the shipped document holds it (the stack setting's field names)."""
    entry: dict[str, Any] = {
        "id": "public-assets",
        "check": "required-tags",
        "resource": "public-assets-*",
        "resourceType": None,
        "regions": [],
        "accounts": [],
        "reason": "Served publicly; tagged by the CDN team's own tooling.",
        "owner": "web team",
        "ticket": "SEC-123",
        "expires": "2026-11-30",
    }
    entry.update(fields)
    return entry


@pytest.fixture
def moto_aws() -> Iterator[None]:
    with mock_aws():
        yield


@pytest.fixture
def api(moto_aws: None) -> ApiCalls:
    """Records calls; PutEvaluations is accepted and the rule holds no previous results by default.

    Depends on ``moto_aws`` because starting moto replaces boto3's default session.
    """
    recorder = ApiCalls()
    recorder.respond("PutEvaluations", accept_evaluations)
    recorder.respond("GetComplianceDetailsByConfigRule", no_previous_results)
    if boto3.DEFAULT_SESSION is None:
        boto3.setup_default_session()
    assert boto3.DEFAULT_SESSION is not None
    boto3.DEFAULT_SESSION.events.register("provide-client-params", recorder.record)
    boto3.DEFAULT_SESSION.events.register("before-call", recorder.answer)
    return recorder


@functools.cache
def _arranging_session() -> boto3.session.Session:
    # One session for the whole run: botocore then loads each service model once.
    return boto3.session.Session()


def client(service: str, region: str = REGION) -> Any:
    """A client for arranging test resources, outside the default session the recorder watches."""
    return _arranging_session().client(service, region_name=region)  # type: ignore[call-overload]


def give_db_instance_unique_resource_id(identifier: str) -> str:
    """Moto gives every DB instance the same DbiResourceId; real ones are unique, and Config keys on them."""
    from moto.rds.models import rds_backends

    database = rds_backends[ACCOUNT][REGION].databases[identifier]
    database.dbi_resource_id = "db-" + identifier.upper().replace("-", "")
    return str(database.dbi_resource_id)


# --- Config events --------------------------------------------------------------------------------


def configuration_item(
    resource_type: str,
    resource_id: str,
    configuration: dict[str, Any] | None = None,
    *,
    version: str = "1.3",
    status: str = "OK",
    tags: dict[str, str] | None = None,
    supplementary: dict[str, Any] | None = None,
    arn: str | None = None,
) -> dict[str, Any]:
    """A notification configuration item as Config sends it.

    Both vintages spell the ARN ``ARN``; they differ in the state hash key (1.2
    ``configurationItemMD5Hash``, 1.3 ``configurationStateMd5Hash``), which evaluations do not read.
    """
    item: dict[str, Any] = {
        "configurationItemVersion": version,
        "configurationItemCaptureTime": CAPTURE_TIME,
        "configurationStateId": 1,
        "awsAccountId": ACCOUNT,
        "configurationItemStatus": status,
        "resourceType": resource_type,
        "resourceId": resource_id,
        "resourceName": resource_id,
        "awsRegion": REGION,
        "configuration": configuration,
        "supplementaryConfiguration": supplementary or {},
        "tags": {} if tags is None else tags,
        "relationships": [],
    }
    item["ARN"] = arn or f"arn:aws:test:{REGION}:{ACCOUNT}:{resource_id}"
    item["configurationItemMD5Hash" if version == "1.2" else "configurationStateMd5Hash"] = ""
    return item


def change_event(
    item: dict[str, Any], parameters: dict[str, str] | None = None, token: str = "token-1", **extra: Any
) -> dict[str, Any]:
    invoking = {
        "configurationItem": item,
        "notificationCreationTime": NOTIFICATION_TIME,
        "messageType": "ConfigurationItemChangeNotification",
        "recordVersion": "1.3",
    }
    return _event(invoking, parameters, token, **extra)


def oversized_event(item: dict[str, Any], parameters: dict[str, str] | None = None) -> dict[str, Any]:
    summary = {
        k: v for k, v in item.items() if k not in ("configuration", "supplementaryConfiguration", "tags")
    }
    invoking = {
        "configurationItemSummary": summary,
        "s3ObjectKey": "AWSLogs/oversized.json.gz",
        "notificationCreationTime": NOTIFICATION_TIME,
        "messageType": "OversizedConfigurationItemChangeNotification",
        "recordVersion": "1.0",
    }
    return _event(invoking, parameters, "token-1")


def scheduled_event(parameters: dict[str, str] | None = None, token: str = "token-1") -> dict[str, Any]:
    invoking = {
        "awsAccountId": ACCOUNT,
        "notificationCreationTime": NOTIFICATION_TIME,
        "messageType": "ScheduledNotification",
        "recordVersion": "1.0",
    }
    return _event(invoking, parameters, token)


def _event(
    invoking: dict[str, Any], parameters: dict[str, str] | None, token: str, **extra: Any
) -> dict[str, Any]:
    event: dict[str, Any] = {
        "version": "1.0",
        "invokingEvent": json.dumps(invoking),
        "resultToken": token,
        "eventLeftScope": False,
        "executionRoleArn": f"arn:aws:iam::{ACCOUNT}:role/config-role",
        "configRuleArn": f"arn:aws:config:{REGION}:{ACCOUNT}:config-rule/config-rule-abc",
        "configRuleName": RULE_NAME,
        "configRuleId": "config-rule-abc",
        "accountId": ACCOUNT,
        "evaluationMode": "DETECTIVE",
    }
    if parameters is not None:
        event["ruleParameters"] = json.dumps(parameters)
    event.update(extra)
    return event


NOTIFICATION_DATETIME = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
CAPTURE_DATETIME = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def previous_results(results: list[tuple[str, str]], rule_name: str = RULE_NAME) -> dict[str, Any]:
    """A GetComplianceDetailsByConfigRule response holding the rule's results for (type, id) pairs."""
    return {
        "EvaluationResults": [
            {
                "EvaluationResultIdentifier": {
                    "EvaluationResultQualifier": {
                        "ConfigRuleName": rule_name,
                        "ResourceType": resource_type,
                        "ResourceId": resource_id,
                    }
                }
            }
            for resource_type, resource_id in results
        ]
    }
