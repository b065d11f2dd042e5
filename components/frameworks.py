"""Compliance frameworks and the AWS managed rules AWS maps to their controls.

The facts are AWS's: the framework requirements the AWS Security Hub User Guide relates to each Security
Hub control, and the AWS managed rule that control is evaluated by, taken from AWS's archived
documentation text of 2023 (components/data/frameworks.json names the files, the commit and the page that
is current today; docs/frameworks.md says how the file was made and how to refresh it). Identifiers named
here need not be in the managed-rule table (components/managed_rules.py): the report needs only
identifiers, the table only validates the managedRules setting. A control backed by rules that pass is
evidence for that control, not proof of compliance with the framework.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

DATA_FILE = Path(__file__).parent / "data" / "frameworks.json"


@dataclass(frozen=True)
class Control:
    id: str
    title: str
    # AWS managed rule identifiers (e.g. ENCRYPTED_VOLUMES) that AWS maps to this control.
    rules: tuple[str, ...]


@dataclass(frozen=True)
class Framework:
    key: str
    title: str
    version: str
    # The AWS text the controls were read from (files and commit of the archived documentation, with the
    # date of that text), and the date they were read.
    source: str
    retrieved: str
    controls: tuple[Control, ...]
    # AWS's current page for the framework: the place to compare with when refreshing the mapping.
    current_page: str = ""

    @property
    def name(self) -> str:
        return f"{self.title} {self.version}"


def _framework(entry: Mapping[str, object]) -> Framework:
    controls = entry["controls"]
    assert isinstance(controls, list)
    return Framework(
        key=str(entry["key"]),
        title=str(entry["title"]),
        version=str(entry["version"]),
        source=str(entry["source"]),
        retrieved=str(entry["retrieved"]),
        current_page=str(entry["current_page"]),
        controls=tuple(
            Control(id=str(c["id"]), title=str(c["title"]), rules=tuple(str(r) for r in c["rules"]))
            for c in controls
        ),
    )


@functools.cache
def _load() -> Mapping[str, Framework]:
    data = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    return MappingProxyType({entry["key"]: _framework(entry) for entry in data["frameworks"]})


FRAMEWORKS: Mapping[str, Framework] = _load()


def frameworks_for_rule(identifier: str) -> dict[str, tuple[Control, ...]]:
    """Framework key -> the controls AWS relates this managed rule identifier to (frameworks that do)."""
    found: dict[str, tuple[Control, ...]] = {}
    for key, framework in FRAMEWORKS.items():
        controls = tuple(control for control in framework.controls if identifier in control.rules)
        if controls:
            found[key] = controls
    return found
