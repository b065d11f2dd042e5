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
from moto_stack import StatusAnswers, example_outputs

from verification.cli import main


def _save(outputs: dict[str, Any], directory: Path) -> Path:
    path = directory / "outputs.json"
    path.write_text(json.dumps(outputs), encoding="utf-8")
    return path


def test_the_command_against_moto_server_fails_only_where_moto_has_no_status(
    deployed_stack: dict[str, Any], aws_endpoint: str, tmp_path: Path
) -> None:
    environment = {key: value for key, value in os.environ.items() if key != "AWS_ENDPOINT_URL"}
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "verification",
            "--outputs",
            str(_save(deployed_stack, tmp_path)),
            "--endpoint-url",
            aws_endpoint,
        ],
        capture_output=True,
        text=True,
        env=environment,
        cwd=Path(__file__).resolve().parents[2],
        timeout=120,
        check=False,
    )

    lines = completed.stdout.splitlines()
    assert completed.returncode == 1, completed.stderr
    assert lines[0] == "Verifying 3 region(s), primary us-east-1, rules every Six_Hours"
    assert lines[-1] == "17 checks: 4 passed, 12 failed, 1 skipped"
    verdicts = [line.split()[:3] for line in lines[1:-1]]
    assert ["PASS", "us-west-2", "recorder"] in verdicts
    assert ["FAIL", "us-west-2", "delivery"] in verdicts
    assert ["SKIP", "eu-west-1", "delivery"] in verdicts
    assert ["FAIL", "eu-west-1", "rule"] in verdicts
    assert ["PASS", "us-east-1", "alert"] in verdicts
    assert any("DescribeConfigRuleEvaluationStatus failed: 500" in line for line in lines)


def test_a_healthy_stack_exits_zero(
    deployed_stack: dict[str, Any],
    healthy_clients: StatusAnswers,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    status = main(["--outputs", str(_save(deployed_stack, tmp_path))], clients=healthy_clients)

    lines = capsys.readouterr().out.splitlines()
    assert status == 0
    assert len(lines) == 1 + 17 + 1
    assert lines[-1] == "17 checks: 16 passed, 0 failed, 1 skipped"
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


def test_an_unreachable_endpoint_fails_every_check_without_a_crash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    outputs = example_outputs()
    outputs["regions"] = ["us-east-1"]
    outputs["recording"] = {"us-east-1": outputs["recording"]["us-east-1"]}
    outputs["rules"] = {"us-east-1": outputs["rules"]["us-east-1"]}
    closed_port = "http://127.0.0.1:9"

    assert main(["--outputs", str(_save(outputs, tmp_path)), "--endpoint-url", closed_port]) == 1

    lines = capsys.readouterr().out.splitlines()[1:-1]
    assert len(lines) == 7
    for line in lines:
        assert line.startswith("FAIL  us-east-1")
        assert 'EndpointConnectionError: Could not connect to the endpoint URL: "http://127.0.0.1:9/"' in line
