"""The pack starts the way the Pulumi CLI starts a Python policy pack, and its own requirements cover what
it imports.

The Python language host runs an analyzer as ``python -u -m pulumi.policy <engine> <pack directory>`` with
the pack's directory as working directory (pulumi/pulumi, sdk/python/cmd/pulumi-language-python/main.go,
``RunPlugin``); ``pulumi.policy`` runs ``__main__.py`` with ``runpy.run_path``, which puts only the pack's
directory on ``sys.path``. ``PolicyPack`` then prints the port of its gRPC server on the first line.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import grpc
import yaml
from google.protobuf import empty_pb2
from pulumi.runtime.proto import analyzer_pb2_grpc

ROOT = Path(__file__).resolve().parents[2]
PACK = ROOT / "policy"


def _clean_env() -> dict[str, str]:
    """The environment without pytest's path additions (pyproject's pythonpath is not the CLI's)."""
    return {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}


def test_the_pack_starts_as_pulumi_starts_it_and_serves_one_policy_per_check() -> None:
    process = subprocess.Popen(
        [sys.executable, "-u", "-m", "pulumi.policy", "127.0.0.1:1", str(PACK)],
        cwd=PACK,
        env=_clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline().strip()
        if not first.isdigit():
            process.kill()
            raise AssertionError(f"the pack did not start: {first!r} {process.communicate()[1][-2000:]}")
        with grpc.insecure_channel(f"127.0.0.1:{first}") as channel:
            info = analyzer_pb2_grpc.AnalyzerStub(channel).GetAnalyzerInfo(empty_pb2.Empty(), timeout=30)
        assert info.name == "config-compliance"
        assert [p.name for p in info.policies] == ["encryption", "required-tags", "backup"]
        assert "requireKms" in info.policies[0].configSchema.properties
    finally:
        process.kill()
        process.wait()


def test_the_configure_command_runs_from_the_checkout_without_test_paths() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "policy.configure", "--stack", "dev"],
        cwd=ROOT,
        env=_clean_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert '"enforcementLevel": "advisory"' in done.stdout


def _imported_project_modules() -> list[Path]:
    """The project's source files the pack loads (the policies import the checks' modules lazily)."""
    code = (
        "import runpy, sys; sys.argv = ['x']; import pulumi_policy\n"
        "pulumi_policy.PolicyPack = lambda **kwargs: None\n"
        f"runpy.run_path({str(PACK)!r}, run_name='__main__')\n"
        "from policy.preventive.policies import rule_check\n"
        "from components.catalog import CHECKS\n"
        "[rule_check(check) for check in CHECKS]\n"
        "print('\\n'.join(m.__file__ for m in list(sys.modules.values()) if getattr(m, '__file__', None)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=PACK, env=_clean_env(), capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    files = [Path(line) for line in done.stdout.splitlines()]
    return [f for f in files if f.is_relative_to(ROOT) and ".venv" not in f.parts]


def _top_level_imports(source: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def _requirement_names(path: Path) -> set[str]:
    names: set[str] = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#")[0].strip()
        if line:
            names.add(re.split(r"[<>=!~\[ ;]", line)[0].lower().replace("_", "-"))
    return names


def test_the_pack_requirements_name_every_distribution_the_pack_imports() -> None:
    """Pulumi installs the pack's virtualenv from policy/requirements.txt alone: every distribution a
    project module loaded by the pack imports directly must be named there, not left to chance as some
    other package's dependency."""
    distributions = metadata.packages_distributions()
    modules = _imported_project_modules()
    assert {m.relative_to(ROOT).parts[0] for m in modules} == {"policy", "components", "functions"}
    needed = {
        dist.lower().replace("_", "-")
        for module in modules
        for name in _top_level_imports(module)
        for dist in distributions.get(name, [])
    }
    assert "pulumi-policy" in needed and "boto3" in needed
    assert needed <= _requirement_names(PACK / "requirements.txt"), needed


def test_the_preview_job_creates_the_pack_s_virtualenv_before_pulumi_runs_the_pack() -> None:
    """PulumiPolicy.yaml names a virtualenv (policy/venv); the Python language host runs the pack with it
    but only ``pulumi install`` creates it (RunPlugin does not, unlike a program's dependencies)."""
    runtime = yaml.safe_load((PACK / "PulumiPolicy.yaml").read_text(encoding="utf-8"))["runtime"]
    assert runtime == {"name": "python", "options": {"toolchain": "pip", "virtualenv": "venv"}}
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8"))
    steps = workflow["jobs"]["preview"]["steps"]
    preview = next(
        i for i, step in enumerate(steps) if str(step.get("uses", "")).startswith("pulumi/actions")
    )
    assert steps[preview]["with"]["policyPacks"] == "./policy"
    assert steps[preview]["with"]["policyPackConfigs"] == "./policy-config.json"
    installs = [
        i
        for i, step in enumerate(steps)
        if "python -m venv policy/venv" in step.get("run", "")
        and "policy/venv/bin/python -m pip install -r policy/requirements.txt" in step.get("run", "")
    ]
    assert installs and installs[0] < preview
