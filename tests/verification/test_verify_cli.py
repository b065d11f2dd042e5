"""`python -m verification`: one line per check, a summary, and an exit status a pipeline can use."""

from __future__ import annotations

import json
import os
import runpy
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from moto_stack import ACCOUNT, StatusAnswers, aws, example_outputs, healthy_answers, rule_name

from verification.cli import main


def _save(outputs: dict[str, Any], directory: Path) -> Path:
    path = directory / "outputs.json"
    path.write_text(json.dumps(outputs), encoding="utf-8")
    return path


def _run_module(*arguments: str, environment: dict[str, str] | None = None) -> Any:
    if environment is None:
        environment = {key: value for key, value in os.environ.items() if key != "AWS_ENDPOINT_URL"}
    return subprocess.run(
        [sys.executable, "-m", "verification", *arguments],
        capture_output=True,
        text=True,
        env=environment,
        cwd=Path(__file__).resolve().parents[2],
        timeout=120,
        check=False,
    )


def test_the_command_against_moto_server_could_not_check_only_what_moto_lacks(
    deployed_stack: dict[str, Any], aws_endpoint: str, tmp_path: Path
) -> None:
    completed = _run_module("--outputs", str(_save(deployed_stack, tmp_path)), "--endpoint-url", aws_endpoint)

    lines = completed.stdout.splitlines()
    # Every failure is an HTTP 500 from moto: nothing says the stack is broken, so the status is 2.
    assert completed.returncode == 2, completed.stderr
    assert lines[0] == "Verifying 3 region(s), primary us-east-1, rules every Six_Hours"
    assert lines[-1] == (
        "21 checks: 7 passed, 12 failed, 2 skipped (12 of the failed could not check: an AWS call failed)"
    )
    verdicts = [line.split()[:3] for line in lines[1:-1]]
    assert ["PASS", "us-west-2", "recorder"] in verdicts
    assert ["FAIL", "us-west-2", "delivery"] in verdicts
    assert ["SKIP", "eu-west-1", "delivery"] in verdicts
    assert ["FAIL", "eu-west-1", "rule"] in verdicts
    assert ["PASS", "us-east-1", "alert"] in verdicts
    assert any("could not check: DescribeConfigRuleEvaluationStatus failed: 500" in line for line in lines)
    assert "Traceback" not in completed.stderr


def test_a_broken_stack_exits_1_even_when_other_checks_could_not_check(
    deployed_stack: dict[str, Any], aws_endpoint: str, tmp_path: Path
) -> None:
    aws("config", "us-west-2").delete_config_rule(ConfigRuleName=rule_name("backup", "us-west-2"))

    completed = _run_module("--outputs", str(_save(deployed_stack, tmp_path)), "--endpoint-url", aws_endpoint)

    assert completed.returncode == 1, completed.stderr
    assert any(
        line.startswith("FAIL  us-west-2       rule backup ")
        and line.endswith(" rule compliance-backup-dev-us-west-2 does not exist")
        for line in completed.stdout.splitlines()
    )


def test_a_healthy_stack_exits_zero(
    deployed_stack: dict[str, Any],
    healthy_clients: StatusAnswers,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    status = main(["--outputs", str(_save(deployed_stack, tmp_path))], clients=healthy_clients)

    lines = capsys.readouterr().out.splitlines()
    assert status == 0
    assert len(lines) == 1 + 21 + 1
    assert lines[-1] == "21 checks: 19 passed, 0 failed, 2 skipped"
    assert lines[1].split(maxsplit=3) == [
        "PASS",
        "us-east-1",
        "recorder",
        "recorder config-recorder-dev-us-east-1 is recording (last status PENDING)",
    ]


def test_unusable_outputs_exit_2_before_any_call(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "outputs.json"
    path.write_text('{"primaryRegion": "us-east-1"}', encoding="utf-8")

    assert main(["--outputs", str(path)]) == 2

    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"error: stack outputs from {path} are unusable:\n")
    assert "  - missing key 'regions'\n" in captured.err


def test_a_stack_name_needs_the_pulumi_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert main(["--stack", "dev"]) == 2
    assert "the pulumi CLI was not found on PATH" in capsys.readouterr().err


def test_one_source_of_outputs_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([])
    assert exited.value.code == 2
    assert "one of the arguments --stack --outputs is required" in capsys.readouterr().err


def test_the_module_entry_point_exits_with_mains_status(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["verification", "--outputs", str(tmp_path / "missing.json")])
    with pytest.raises(SystemExit) as exited:
        runpy.run_module("verification", run_name="__main__")
    assert exited.value.code == 2
    assert "cannot read stack outputs file" in capsys.readouterr().err


def test_the_verify_subcommand_is_the_default_command(
    deployed_stack: dict[str, Any],
    healthy_clients: StatusAnswers,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["verify", "--outputs", str(_save(deployed_stack, tmp_path))], clients=healthy_clients) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "21 checks: 19 passed, 0 failed, 2 skipped"
    # One identity call before the checks, then the checks' own.
    assert healthy_clients.calls[0] == "GetCallerIdentity"
    assert healthy_clients.calls.count("GetCallerIdentity") == 1


def test_a_broken_stack_exits_1_in_process(
    deployed_stack: dict[str, Any],
    healthy_clients: StatusAnswers,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    aws("config", "eu-west-1").delete_config_rule(ConfigRuleName=rule_name("encryption", "eu-west-1"))

    assert main(["--outputs", str(_save(deployed_stack, tmp_path))], clients=healthy_clients) == 1
    assert capsys.readouterr().out.splitlines()[-1] == "21 checks: 18 passed, 1 failed, 2 skipped"


def test_a_check_that_could_not_check_exits_2_in_process(
    deployed_stack: dict[str, Any],
    aws_endpoint: str,
    now: Any,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def denied(params: dict[str, Any]) -> dict[str, Any]:
        error = {"Code": "AccessDenied", "Message": "not authorized to perform sqs:GetQueueAttributes"}
        raise ClientError({"Error": error}, "GetQueueAttributes")

    clients = StatusAnswers(aws_endpoint, {**healthy_answers(now), "GetQueueAttributes": denied})
    assert main(["--outputs", str(_save(deployed_stack, tmp_path))], clients=clients) == 2

    lines = capsys.readouterr().out.splitlines()
    assert lines[-1] == (
        "21 checks: 16 passed, 3 failed, 2 skipped (3 of the failed could not check: an AWS call failed)"
    )
    assert lines[6].endswith(
        "alert path                  could not check: GetQueueAttributes failed: AccessDenied: "
        "not authorized to perform sqs:GetQueueAttributes"
    )


def _one_region(outputs: dict[str, Any]) -> dict[str, Any]:
    for key in ("recording", "rules", "alertPath"):
        outputs[key] = {"us-east-1": outputs[key]["us-east-1"]}
    outputs["regions"] = ["us-east-1"]
    return outputs


def test_an_unreachable_endpoint_could_not_check_and_says_so_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    closed_port = "http://127.0.0.1:9"

    outputs = _save(_one_region(example_outputs()), tmp_path)
    assert main(["--outputs", str(outputs), "--endpoint-url", closed_port]) == 2

    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        "error: could not check: GetCallerIdentity failed: EndpointConnectionError: "
        'Could not connect to the endpoint URL: "http://127.0.0.1:9/"\n'
    )


def test_missing_credentials_could_not_check_without_a_traceback(
    deployed_stack: dict[str, Any], aws_endpoint: str, tmp_path: Path
) -> None:
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
    }
    # No instance metadata lookup either: this machine is not an EC2 instance.
    environment["AWS_EC2_METADATA_DISABLED"] = "true"

    completed = _run_module(
        "--outputs",
        str(_save(deployed_stack, tmp_path)),
        "--endpoint-url",
        aws_endpoint,
        environment=environment,
    )

    assert completed.returncode == 2
    assert completed.stdout == ""
    assert completed.stderr == (
        "error: could not check: GetCallerIdentity failed: NoCredentialsError: Unable to locate credentials\n"
    )


def test_credentials_of_another_account_could_not_check(
    deployed_stack: dict[str, Any],
    healthy_clients: StatusAnswers,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    deployed_stack["aggregatorArn"] = deployed_stack["aggregatorArn"].replace(ACCOUNT, "210987654321")

    assert main(["--outputs", str(_save(deployed_stack, tmp_path))], clients=healthy_clients) == 2

    assert capsys.readouterr().err == (
        f"error: could not check: the AWS credentials are for account {ACCOUNT}, the stack is in account "
        "210987654321 (its aggregatorArn); use credentials for 210987654321\n"
    )
    assert healthy_clients.calls == ["GetCallerIdentity"]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("127.0.0.1:5000", "'127.0.0.1:5000' is not an http(s) URL such as http://127.0.0.1:5000"),
        ("ftp://example.com", "'ftp://example.com' is not an http(s) URL"),
        ("http://", "'http://' is not an http(s) URL"),
        ("http://localhost:port", "'http://localhost:port' is not a URL: Port could not be cast"),
    ],
)
def test_an_invalid_endpoint_url_is_refused_before_anything_runs(
    url: str, expected: str, tmp_path: Path
) -> None:
    completed = _run_module("--outputs", str(tmp_path / "never-read.json"), "--endpoint-url", url)

    assert completed.returncode == 2
    assert completed.stdout == ""
    assert f"argument --endpoint-url: {expected}" in completed.stderr
    assert "Traceback" not in completed.stderr


def test_a_malformed_region_in_the_outputs_is_refused_without_a_traceback(tmp_path: Path) -> None:
    outputs = example_outputs()
    outputs["regions"] = ["us-east-1", "us west 2", "eu-west-1"]

    completed = _run_module("--outputs", str(_save(outputs, tmp_path)))

    assert completed.returncode == 2
    expected = "'regions' holds names that are not region codes such as us-east-1: ['us west 2']"
    assert expected in completed.stderr
    assert "Traceback" not in completed.stderr
