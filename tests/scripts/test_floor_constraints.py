"""scripts/floor_constraints.py: the constraints that make pip install exactly the floors requirements.txt
promises (scripts/test-floors.sh runs the infra tests on them)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "floor_constraints.py"


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("floor_constraints", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


floor_constraints = load_script()


def test_each_requirement_is_pinned_to_its_floor_extras_caps_and_comments_aside() -> None:
    text = "# runtime\npulumi>=3.200,<4\n\nmoto[server] >= 5.1, <6  # mocks\nboto3>=1.40.21,<2\n"
    assert floor_constraints.floor_constraints(text) == ["pulumi==3.200", "moto==5.1", "boto3==1.40.21"]


def test_a_requirement_without_one_floor_is_refused_with_every_problem_named() -> None:
    with pytest.raises(floor_constraints.FloorError) as raised:
        floor_constraints.floor_constraints("ruff\nboto3<2\n-r other.txt\npulumi>=3,>=3.1\nmypy>=1.13\n")
    assert str(raised.value) == (
        "'ruff' has no single '>=' floor; 'boto3<2' has no single '>=' floor; "
        "'-r other.txt' is not a plain requirement; 'pulumi>=3,>=3.1' has no single '>=' floor"
    )


def test_the_shipped_requirements_all_have_floors() -> None:
    completed = subprocess.run(
        [sys.executable, str(SCRIPT), str(ROOT / "requirements.txt")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    pins = completed.stdout.split()
    assert pins and all("==" in pin for pin in pins)


def test_a_bad_file_is_one_line_on_stderr_and_exit_1(tmp_path: Path) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("boto3\n", encoding="utf-8")
    completed = subprocess.run(
        [sys.executable, str(SCRIPT), str(requirements)], capture_output=True, text=True, check=False
    )
    assert (completed.returncode, completed.stdout) == (1, "")
    assert completed.stderr == "floor_constraints.py: 'boto3' has no single '>=' floor\n"
    usage = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True, check=False)
    assert usage.returncode == 2 and usage.stderr.startswith("usage:")
