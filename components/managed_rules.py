"""The AWS managed Config rules this project knows, from components/data/managed_rules.json.

Each entry was read from the rule's own page in the AWS Config Developer Guide (its URL is kept with it):
how it is triggered, its parameters, the resource types it evaluates, whether it must run in one Region
only, and the Regions where it is not available. docs/managed-rules.md says how to add or refresh one.
"""

from __future__ import annotations

import difflib
import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

DATA_FILE = Path(__file__).parent / "data" / "managed_rules.json"

CHANGE = "change"
PERIODIC = "periodic"
BOTH = "both"
TRIGGERS = (CHANGE, PERIODIC, BOTH)
# The parameter types the rule pages use.
PARAMETER_TYPES = ("String", "CSV", "int", "boolean")


@dataclass(frozen=True)
class Parameter:
    name: str
    type: str
    required: bool
    # The console's default; Config's API supplies none (docs/managed-rules.md).
    default: str | None


@dataclass(frozen=True)
class ManagedRule:
    identifier: str
    page: str
    trigger: str
    resource_types: tuple[str, ...]
    # It evaluates a global or account-level resource, so one Region (the primary) runs it. The pages of
    # the rules on global IAM resource types say so: a periodic rule on them evaluates in every Region it
    # is added to.
    is_global: bool
    # It reports on the global IAM resource types, which Config records only in Regions it served before
    # February 2022 (the rules' pages).
    on_global_iam_types: bool
    parameters: tuple[Parameter, ...]
    unavailable_regions: frozenset[str]
    # False where the page's list of Regions could be read only in part.
    unavailable_regions_complete: bool

    @property
    def is_periodic(self) -> bool:
        return self.trigger in (PERIODIC, BOTH)

    @property
    def is_change_triggered(self) -> bool:
        return self.trigger in (CHANGE, BOTH)

    def parameter(self, name: str) -> Parameter | None:
        return next((parameter for parameter in self.parameters if parameter.name == name), None)


def _rule(entry: Mapping[str, Any]) -> ManagedRule:
    return ManagedRule(
        identifier=entry["identifier"],
        page=entry["page"],
        trigger=entry["trigger"],
        resource_types=tuple(entry["resourceTypes"]),
        is_global=entry["global"],
        on_global_iam_types=entry.get("globalIamTypes", False),
        parameters=tuple(
            Parameter(name=p["name"], type=p["type"], required=p["required"], default=p["default"])
            for p in entry["parameters"]
        ),
        unavailable_regions=frozenset(entry["unavailableRegions"]),
        unavailable_regions_complete=entry.get("unavailableRegionsComplete", True),
    )


@functools.cache
def _load() -> tuple[str, Mapping[str, ManagedRule]]:
    data = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    rules = {entry["identifier"]: _rule(entry) for entry in data["rules"]}
    return data["retrieved"], MappingProxyType(rules)


RETRIEVED, MANAGED_RULES = _load()


def nearest_identifier(text: str) -> str | None:
    """The known identifier closest to ``text`` (case and separators aside), for "did you mean"."""
    wanted = text.strip().upper().replace("-", "_")
    matches = difflib.get_close_matches(wanted, list(MANAGED_RULES), n=1, cutoff=0.6)
    return matches[0] if matches else None
