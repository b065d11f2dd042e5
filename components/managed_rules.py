"""The AWS managed Config rules this project knows, from components/data/managed_rules.json.

The table holds every rule of the AWS Config Developer Guide's list, each with what its page states: how it
is triggered, its parameters, the resource types it evaluates, whether it must run in one Region only, and
the Regions where it is or is not available. scripts/refresh_managed_rules.py writes it;
docs/managed-rules.md says where the pages are read from and how to refresh the table.
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
PARAMETER_TYPES = ("String", "CSV", "int", "double", "boolean", "StringMap")


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
    trigger: str
    resource_types: tuple[str, ...]
    # Its page names no resource type, or only AWS::::Account: it evaluates the account's settings.
    is_account_level: bool
    # It evaluates a global resource (the global IAM types, which the stack records in the primary Region
    # only) or an account-wide one, so one Region (the primary) runs it. The pages of the rules on global
    # IAM resource types say so: a periodic rule on them evaluates in every Region it is added to.
    is_global: bool
    # It reports on the global IAM resource types, which Config records only in Regions it served before
    # February 2022 (the rules' pages).
    on_global_iam_types: bool
    parameters: tuple[Parameter, ...]
    # "All supported AWS regions except ...": the Regions excepted.
    unavailable_regions: frozenset[str]
    # "Only available in ...": those Regions; None when the page names the Regions it is not in.
    only_regions: frozenset[str] | None
    # "Only available in" one Region of the aws partition: a global (or one-Region) service's rule, which
    # runs there alone and covers the account (scripts/refresh_managed_rules.py, _home_region).
    home_region: str | None

    @property
    def is_periodic(self) -> bool:
        return self.trigger in (PERIODIC, BOTH)

    @property
    def is_change_triggered(self) -> bool:
        return self.trigger in (CHANGE, BOTH)

    def is_available_in(self, region: str) -> bool:
        if self.only_regions is not None:
            return region in self.only_regions
        return region not in self.unavailable_regions

    def parameter(self, name: str) -> Parameter | None:
        return next((parameter for parameter in self.parameters if parameter.name == name), None)


def _rule(entry: Mapping[str, Any]) -> ManagedRule:
    return ManagedRule(
        identifier=entry["identifier"],
        trigger=entry["trigger"],
        resource_types=tuple(entry["resourceTypes"]),
        is_account_level=entry["accountLevel"],
        is_global=entry["global"],
        on_global_iam_types=entry["globalIamTypes"],
        parameters=tuple(
            Parameter(name=p["name"], type=p["type"], required=p["required"], default=p["default"])
            for p in entry["parameters"]
        ),
        unavailable_regions=frozenset(entry["unavailableRegions"]),
        only_regions=frozenset(entry["onlyRegions"]) if "onlyRegions" in entry else None,
        home_region=entry["homeRegion"],
    )


@functools.cache
def _load() -> tuple[str, str, Mapping[str, ManagedRule]]:
    data = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    rules = {entry["identifier"]: _rule(entry) for entry in data["rules"]}
    return data["retrieved"], data["listPage"], MappingProxyType(rules)


RETRIEVED, LIST_PAGE, MANAGED_RULES = _load()


def nearest_identifier(text: str) -> str | None:
    """The known identifier closest to ``text`` (case and separators aside), for "did you mean"."""
    wanted = text.strip().upper().replace("-", "_")
    matches = difflib.get_close_matches(wanted, list(MANAGED_RULES), n=1, cutoff=0.6)
    return matches[0] if matches else None
