"""PutEvaluations batching, FailedEvaluations retries and TESTMODE, against a real boto3 client.

The calls never leave the process: the ``api`` fixture answers PutEvaluations at botocore's
``before-call`` hook, after botocore has validated the request against the service model.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ParamValidationError
from evaluator_support import CAPTURE_DATETIME, ApiCalls
from evaluators.aws import CLIENT_CONFIG, client
from evaluators.reporting import put_evaluations
from evaluators.verdicts import MAX_ANNOTATION, Compliance, Evaluation, fit_annotation


def evaluations(count: int) -> list[Evaluation]:
    return [
        Evaluation("AWS::EC2::Volume", f"vol-{i}", Compliance.COMPLIANT, f"note {i}", CAPTURE_DATETIME)
        for i in range(count)
    ]


def test_batches_of_at_most_100(api: ApiCalls) -> None:
    assert put_evaluations(client("config"), evaluations(250), "token") == []
    batches = [params for name, params in api.calls if name == "PutEvaluations"]
    assert [len(b["Evaluations"]) for b in batches] == [100, 100, 50]
    assert all(b["ResultToken"] == "token" and b["TestMode"] is False for b in batches)
    assert [e["ComplianceResourceId"] for e in api.evaluations()] == [f"vol-{i}" for i in range(250)]


def test_test_mode_token(api: ApiCalls) -> None:
    put_evaluations(client("config"), evaluations(1), "TESTMODE")
    assert api.calls[0][1]["TestMode"] is True


def test_nothing_to_post_still_posts_once(api: ApiCalls) -> None:
    put_evaluations(client("config"), [], "token")
    assert api.calls == [("PutEvaluations", {"Evaluations": [], "ResultToken": "token", "TestMode": False})]


def test_failed_evaluations_are_retried_until_accepted(api: ApiCalls) -> None:
    answers = iter([["vol-1", "vol-3"], ["vol-3"], []])

    def partly(params: dict[str, Any]) -> dict[str, Any]:
        failed = next(answers)
        return {
            "FailedEvaluations": [
                {**e, "ComplianceResourceType": e["ComplianceResourceType"]}
                for e in params["Evaluations"]
                if e["ComplianceResourceId"] in failed
            ]
        }

    api.respond("PutEvaluations", partly)
    sleeps: list[float] = []
    assert put_evaluations(client("config"), evaluations(5), "token", sleep=sleeps.append) == []
    sent = [[e["ComplianceResourceId"] for e in p["Evaluations"]] for _, p in api.calls]
    assert sent == [[f"vol-{i}" for i in range(5)], ["vol-1", "vol-3"], ["vol-3"]]
    assert sleeps == [0.5, 1.0]


def test_evaluations_refused_every_time_are_returned(api: ApiCalls) -> None:
    api.respond("PutEvaluations", lambda params: {"FailedEvaluations": params["Evaluations"][:1]})
    refused = put_evaluations(client("config"), evaluations(3), "token", sleep=lambda _: None)
    assert [e.resource_id for e in refused] == ["vol-0"]
    assert len(api.calls) == 4


def test_annotations_fit_the_api() -> None:
    long = Evaluation("AWS::S3::Bucket", "b", Compliance.NON_COMPLIANT, "x " * 300, CAPTURE_DATETIME).to_api()
    assert len(long["Annotation"]) == MAX_ANNOTATION and long["Annotation"].endswith("...")
    empty = Evaluation("AWS::S3::Bucket", "b", Compliance.NOT_APPLICABLE, "  ", CAPTURE_DATETIME).to_api()
    assert "Annotation" not in empty
    assert fit_annotation("a\n  b") == "a b"


def test_botocore_validates_what_is_posted(api: ApiCalls) -> None:
    bad = {"ComplianceResourceType": "AWS::S3::Bucket", "ComplianceType": "COMPLIANT"}
    with pytest.raises(ParamValidationError):
        client("config").put_evaluations(Evaluations=[bad], ResultToken="t")


def test_clients_are_created_once_with_bounded_retries() -> None:
    assert client("config") is client("config")
    assert CLIENT_CONFIG.retries == {"mode": "standard", "total_max_attempts": 5}
    assert client("config").meta.config.retries == {"mode": "standard", "total_max_attempts": 5}


def test_region_comes_from_aws_region(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    assert client("ec2").meta.region_name == "eu-west-1"


def test_importing_the_handlers_creates_no_client_and_opens_no_connection() -> None:
    script = (
        "import socket\n"
        "def refuse(*args, **kwargs):\n"
        "    raise AssertionError('network call at import')\n"
        "socket.socket.connect = refuse\n"
        "socket.create_connection = refuse\n"
        "import evaluators.encryption, evaluators.required_tags, evaluators.backup\n"
        "from evaluators import aws\n"
        "assert aws._clients == {}, aws._clients\n"
    )
    functions = Path(__file__).resolve().parents[2] / "functions"
    env = {**os.environ, "PYTHONPATH": str(functions)}
    subprocess.run([sys.executable, "-c", script], env=env, check=True, capture_output=True)
