"""The evaluators' Lambda archive: the Python sources under ``functions/``, nothing else.

Only ``.py`` files outside tests and caches go in, so the archive (and its hash) changes only when the
code does, not when a test run leaves bytecode behind.
"""

from __future__ import annotations

from pathlib import Path

import pulumi

from components import FUNCTIONS_ROOT

EXCLUDED_DIRECTORIES = frozenset({"__pycache__", "tests", ".pytest_cache", ".mypy_cache"})


def archive_files(root: Path = FUNCTIONS_ROOT) -> list[Path]:
    """The files of the archive, relative to ``root``, in a stable order."""
    files = [
        path.relative_to(root)
        for path in root.rglob("*.py")
        if not EXCLUDED_DIRECTORIES.intersection(path.relative_to(root).parts)
    ]
    if not files:
        raise FileNotFoundError(f"no Python sources under {root}: the evaluators cannot be packaged")
    return sorted(files)


def lambda_archive(root: Path = FUNCTIONS_ROOT) -> pulumi.AssetArchive:
    return pulumi.AssetArchive(
        {path.as_posix(): pulumi.FileAsset(str(root / path)) for path in archive_files(root)}
    )
