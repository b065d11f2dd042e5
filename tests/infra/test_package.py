"""The evaluators' Lambda archive."""

from __future__ import annotations

from pathlib import Path

import pytest

from components.catalog import CHECKS
from components.package import archive_files, lambda_archive


def test_archive_holds_the_handler_modules_and_no_tests_caches_or_bytecode() -> None:
    files = archive_files()
    names = {path.as_posix() for path in files}
    for check in CHECKS:
        module = check.handler.rsplit(".", 1)[0]
        assert f"{module.replace('.', '/')}.py" in names
    assert all(path.suffix == ".py" for path in files)
    assert not any({"tests", "__pycache__"} & set(path.parts) for path in files)
    assert set(lambda_archive().assets) == names


def test_archive_leaves_out_what_a_test_run_leaves_behind(tmp_path: Path) -> None:
    package = tmp_path / "evaluators"
    (package / "__pycache__").mkdir(parents=True)
    (package / "tests").mkdir()
    (package / "__init__.py").write_text("")
    (package / "check.py").write_text("def handler(event, context): ...\n")
    (package / "__pycache__" / "check.cpython-313.pyc").write_bytes(b"\0")
    (package / "tests" / "test_check.py").write_text("")
    (package / "notes.txt").write_text("")
    assert [path.as_posix() for path in archive_files(tmp_path)] == [
        "evaluators/__init__.py",
        "evaluators/check.py",
    ]


def test_empty_source_tree_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no Python sources"):
        archive_files(tmp_path)
