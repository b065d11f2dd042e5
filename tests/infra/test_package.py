"""The Lambda archives: the evaluators' and the managed-rule summary's."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pulumi
import pytest
from evaluators.excepting import DOCUMENT_PATH
from evaluators.exceptions import ResourceException, from_document, utc_today

from components import FUNCTIONS_ROOT
from components.catalog import CHECKS
from components.package import (
    EXCEPTIONS_PATH,
    SUMMARY_DOCUMENT_PATH,
    archive_files,
    lambda_archive,
    managed_summary_archive,
)
from tests.infra.conftest import DEV_CONFIG
from tests.infra.program import Deployment, run_program


def test_archive_holds_the_handler_modules_and_no_tests_caches_or_bytecode() -> None:
    files = archive_files()
    names = {path.as_posix() for path in files}
    for check in CHECKS:
        module = check.handler.rsplit(".", 1)[0]
        assert f"{module.replace('.', '/')}.py" in names
    assert all(path.suffix == ".py" for path in files)
    assert not any({"tests", "__pycache__"} & set(path.parts) for path in files)
    evaluators = {path.as_posix() for path in files if path.parts[0] == "evaluators"}
    assert set(lambda_archive().assets) == evaluators | {EXCEPTIONS_PATH}


def test_the_summary_archive_holds_its_package_the_evaluator_modules_and_its_rules(tmp_path: Path) -> None:
    archive = managed_summary_archive('{"aggregator": "a", "rules": []}\n')
    names = {path.as_posix() for path in archive_files()}
    assert set(archive.assets) == names | {SUMMARY_DOCUMENT_PATH}
    assert SUMMARY_DOCUMENT_PATH == "managed_summary/rules.json"
    # The handler imports from nothing but the archive and the runtime's own (standard library, boto3).
    for name, asset in archive.assets.items():
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        text = asset.text if isinstance(asset, pulumi.StringAsset) else Path(asset.path).read_text()
        target.write_text(text)
    probe = (
        "import sys; sys.path[:] = [p for p in sys.path if 'functions' not in p]; "
        f"sys.path.insert(0, {str(tmp_path)!r}); "
        "import managed_summary.summary as s; "
        "print(s.read_summary(s.json.loads(s.DOCUMENT_PATH.read_text())))"
    )
    completed = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=tmp_path)
    assert completed.returncode == 0, completed.stderr
    assert "aggregator='a'" in completed.stdout


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


# --- the exceptions shipped with the functions -------------------------------------------------------

ACCOUNT = "123456789012"


def _exception(**fields: object) -> ResourceException:
    values: dict[str, object] = {
        "id": "public-assets",
        "check": "encryption",
        "resource": "public-assets-*",
        "resource_type": None,
        "regions": (),
        "accounts": (),
        "reason": "Served publicly.",
        "owner": "web team",
        "ticket": None,
        "expires": date(2027, 3, 31),
    }
    values.update(fields)
    return ResourceException(**values)  # type: ignore[arg-type]


def _shipped(archive: pulumi.AssetArchive) -> str:
    asset = archive.assets[EXCEPTIONS_PATH]
    assert isinstance(asset, pulumi.StringAsset)
    return str(asset.text)


def test_the_archive_ships_the_exceptions_next_to_the_module_that_reads_them() -> None:
    assert EXCEPTIONS_PATH == "evaluators/exceptions.json"
    assert (FUNCTIONS_ROOT / EXCEPTIONS_PATH).parent == DOCUMENT_PATH.parent
    assert Path(EXCEPTIONS_PATH).name == DOCUMENT_PATH.name
    listed = (_exception(ticket="SEC-1"), _exception(id="scratch", check="backup", resource="vol-0abc*"))
    assert from_document(json.loads(_shipped(lambda_archive(listed)))) == listed


def test_no_exceptions_ship_an_empty_list() -> None:
    assert json.loads(_shipped(lambda_archive())) == []


def test_a_change_of_the_list_changes_the_archive_and_nothing_else() -> None:
    before = lambda_archive((_exception(),))
    after = lambda_archive((_exception(expires=date(2027, 4, 30)),))
    assert _shipped(before) != _shipped(after)
    assert _shipped(lambda_archive((_exception(),))) == _shipped(before)  # the same list, the same text
    code = {name: asset for name, asset in before.assets.items() if name != EXCEPTIONS_PATH}
    assert code.keys() == {name for name in after.assets if name != EXCEPTIONS_PATH}


def test_the_program_ships_the_stack_exceptions_to_every_function_and_exports_them() -> None:
    expires = (utc_today() + timedelta(days=30)).isoformat()
    listed = {
        "id": "public-assets",
        "check": "encryption",
        "resource": "public-assets-*",
        "reason": "Served publicly.",
        "owner": "web team",
        "expires": expires,
        "accounts": [int(ACCOUNT)],
    }
    deployment = run_program({**DEV_CONFIG, "exceptions": [listed]})
    shipped = [{**listed, "accounts": [ACCOUNT], "resourceType": None, "regions": [], "ticket": None}]
    functions = deployment.of_type("aws:lambda/function:Function")
    assert len(functions) == 3 * len(CHECKS)
    for function in functions:
        assert json.loads(_shipped(function.inputs["code"])) == shipped
    # Stack outputs drop null members; the document reader takes an absent optional field as unset.
    exported = deployment.outputs["exceptions"]
    assert exported == [{key: value for key, value in shipped[0].items() if value is not None}]
    assert from_document(exported) == from_document(shipped)


def test_without_exceptions_the_output_is_an_empty_list(dev: Deployment) -> None:
    assert dev.outputs["exceptions"] == []


def test_editing_the_exceptions_updates_only_the_functions_code() -> None:
    """An edit of the list changes the functions' ``code`` and no other input of any resource: the
    functions are updated in place, nothing is replaced (terraform-provider-aws
    internal/service/lambda/function.go: ``filename``, which pulumi-aws's ``code`` becomes, is not
    ForceNew; ``function_name`` is, and stays the same)."""
    listed = {
        "id": "scratch",
        "check": "backup",
        "resource": "vol-0abc*",
        "reason": "Scratch space.",
        "owner": "data team",
        "expires": (utc_today() + timedelta(days=30)).isoformat(),
    }
    before = {r.urn: r for r in run_program(DEV_CONFIG).registrations}
    after = {r.urn: r for r in run_program({**DEV_CONFIG, "exceptions": [listed]}).registrations}
    assert before.keys() == after.keys()
    changed = {
        (registration.type, key)
        for urn, registration in after.items()
        for key in registration.inputs.keys() | before[urn].inputs.keys()
        if _comparable(registration.inputs.get(key)) != _comparable(before[urn].inputs.get(key))
    }
    assert changed == {("aws:lambda/function:Function", "code")}
    for urn, registration in after.items():
        if registration.type == "aws:lambda/function:Function":
            old, new = _comparable(before[urn].inputs["code"]), _comparable(registration.inputs["code"])
            assert {name for name in old if old[name] != new[name]} == {EXCEPTIONS_PATH}


def _comparable(value: Any) -> Any:
    """An archive or asset as what it holds (assets compare by identity)."""
    if isinstance(value, pulumi.AssetArchive):
        return {name: _comparable(asset) for name, asset in value.assets.items()}
    if isinstance(value, pulumi.StringAsset):
        return ("text", value.text)
    if isinstance(value, pulumi.FileAsset):
        return ("file", value.path)
    return value
