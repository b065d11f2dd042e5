"""scripts/deploy.sh and scripts/pulumi-env.sh agree on the backend and passphrase.

No Pulumi CLI can be installed here: a stand-in ``pulumi`` on PATH records the environment and the
arguments the deploy script calls it with, which is what decides which stack later commands find.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHOW = '"$PULUMI_BACKEND_URL|${PULUMI_CONFIG_PASSPHRASE-unset}"'
FAKE_PULUMI = """#!/usr/bin/env bash
echo "$* | ${PULUMI_BACKEND_URL} | ${PULUMI_CONFIG_PASSPHRASE-unset}" >> "$CALLS"
"""


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    """A copy of the scripts in a fresh folder, as a new user's checkout."""
    (tmp_path / "scripts").mkdir()
    for script in ("deploy.sh", "pulumi-env.sh"):
        shutil.copy(ROOT / "scripts" / script, tmp_path / "scripts" / script)
    return tmp_path


def environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    fake = bin_dir / "pulumi"
    fake.write_text(FAKE_PULUMI)
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PULUMI_")}
    return {**env, "PATH": f"{bin_dir}:{env['PATH']}", "CALLS": str(tmp_path / "calls.txt"), **extra}


def sourced(project: Path, env: dict[str, str]) -> tuple[str, str]:
    shown = subprocess.run(
        ["bash", "-c", f"source scripts/pulumi-env.sh && echo {SHOW}"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    backend, passphrase = shown.split("|")
    return backend, passphrase


def deploy(project: Path, env: dict[str, str], *stack: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "scripts/deploy.sh", *stack], cwd=project, env=env, capture_output=True, text=True
    )


def test_deploy_uses_the_backend_a_sourced_shell_uses(project: Path, tmp_path: Path) -> None:
    env = environment(tmp_path)
    assert deploy(project, env, "dev").returncode == 0
    calls = (tmp_path / "calls.txt").read_text().splitlines()
    commands = [call.split(" | ")[0] for call in calls]
    assert commands == ["install", "stack select --create dev", "up --stack dev"]
    backend, passphrase = sourced(project, env)
    assert backend == f"file://{project}/.pulumi-state"
    assert (project / ".pulumi-state").is_dir()
    assert passphrase == ""
    assert all(call.endswith(f" | {backend} | {passphrase}") for call in calls)


def test_a_chosen_backend_is_kept(project: Path, tmp_path: Path) -> None:
    env = environment(tmp_path, PULUMI_BACKEND_URL="s3://state-bucket/config", PULUMI_CONFIG_PASSPHRASE="pw")
    assert deploy(project, env, "prod").returncode == 0
    calls = (tmp_path / "calls.txt").read_text().splitlines()
    assert all(call.endswith(" | s3://state-bucket/config | pw") for call in calls)
    assert sourced(project, env) == ("s3://state-bucket/config", "pw")
    assert not (project / ".pulumi-state").exists()


def test_deploy_without_the_cli_says_what_to_install(project: Path, tmp_path: Path) -> None:
    env = {**environment(tmp_path), "PATH": "/usr/bin:/bin"}
    result = deploy(project, env)
    assert result.returncode == 1
    assert "The Pulumi CLI is required" in result.stderr
