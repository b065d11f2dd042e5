"""The Lambda archives: the Python sources of a package under ``functions/`` and the document it reads.

The evaluators' archive holds ``evaluators/`` and the stack's exceptions; the managed-rule summary's holds
``managed_summary/``, the ``evaluators/`` modules it imports (the metric format among them) and its rules.

Only ``.py`` files outside tests and caches go in, so the archive (and its hash) changes only when the
code does, not when a test run leaves bytecode behind. The exceptions travel as a JSON document in the
archive (``evaluators/exceptions.json``): rule InputParameters (1,024 characters) and Lambda environment
variables (4 KB) are too small for them. The document is part of the archive's contents, so a change of
the list changes the archive and every function is redeployed with it: the engine compares archives by
the SHA-256 hash of their contents (pulumi/pulumi sdk/go/common/resource/archive/archive.go, ``Archive.Hash``
and ``Archive.Equals``).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from pathlib import Path

import pulumi
from evaluators.excepting import DOCUMENT_NAME
from evaluators.exceptions import ResourceException, to_document
from managed_summary import DOCUMENT_NAME as SUMMARY_DOCUMENT_NAME

from components import FUNCTIONS_ROOT

# The runtime every function of the stack runs its archive on (arm64).
LAMBDA_RUNTIME = "python3.13"
EXCLUDED_DIRECTORIES = frozenset({"__pycache__", "tests", ".pytest_cache", ".mypy_cache"})


EVALUATORS = "evaluators"
MANAGED_SUMMARY = "managed_summary"


def archive_files(root: Path = FUNCTIONS_ROOT, packages: Collection[str] | None = None) -> list[Path]:
    """The files of the archive (of ``packages`` only, if given), relative to ``root``, in a stable order."""
    files = [
        path.relative_to(root)
        for path in root.rglob("*.py")
        if not EXCLUDED_DIRECTORIES.intersection(path.relative_to(root).parts)
        and (packages is None or path.relative_to(root).parts[0] in packages)
    ]
    if not files:
        raise FileNotFoundError(f"no Python sources under {root}: the evaluators cannot be packaged")
    return sorted(files)


EXCEPTIONS_PATH = f"{EVALUATORS}/{DOCUMENT_NAME}"


def exceptions_document(exceptions: Iterable[ResourceException]) -> str:
    """The shipped document: stable text for one list, so an unchanged list leaves the archive as it is."""
    return json.dumps(to_document(exceptions), indent=1, sort_keys=True) + "\n"


def lambda_archive(
    exceptions: Iterable[ResourceException] = (), root: Path = FUNCTIONS_ROOT
) -> pulumi.AssetArchive:
    assets: dict[str, pulumi.Asset | pulumi.Archive] = {
        path.as_posix(): pulumi.FileAsset(str(root / path)) for path in archive_files(root, (EVALUATORS,))
    }
    assets[EXCEPTIONS_PATH] = pulumi.StringAsset(exceptions_document(exceptions))
    return pulumi.AssetArchive(assets)


SUMMARY_DOCUMENT_PATH = f"{MANAGED_SUMMARY}/{SUMMARY_DOCUMENT_NAME}"


def managed_summary_archive(document: str, root: Path = FUNCTIONS_ROOT) -> pulumi.AssetArchive:
    """``document``: the summary's rules (components/managed_rule_summary.py), stable text for one list."""
    assets: dict[str, pulumi.Asset | pulumi.Archive] = {
        path.as_posix(): pulumi.FileAsset(str(root / path))
        for path in archive_files(root, (MANAGED_SUMMARY, EVALUATORS))
    }
    assets[SUMMARY_DOCUMENT_PATH] = pulumi.StringAsset(document)
    return pulumi.AssetArchive(assets)
