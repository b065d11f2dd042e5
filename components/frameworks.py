"""Compliance frameworks and the AWS managed rules AWS maps to their controls.

The facts are AWS's, from the Config Developer Guide's "Operational Best Practices for ..." pages
(components/data/frameworks.json names the page and the date it was read for each framework). A control
backed by rules that pass is evidence for that control, not proof of compliance with the framework
(docs/frameworks.md).
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
    # The AWS page the controls were read from, and the date they were read.
    source: str
    retrieved: str
    controls: tuple[Control, ...]

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
    """Framework key -> the controls AWS maps this managed rule identifier to (frameworks that map it)."""
    found: dict[str, tuple[Control, ...]] = {}
    for key, framework in FRAMEWORKS.items():
        controls = tuple(control for control in framework.controls if identifier in control.rules)
        if controls:
            found[key] = controls
    return found
