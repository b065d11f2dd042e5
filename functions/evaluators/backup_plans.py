"""AWS Backup plan selections and whether one covers a resource.

A selection picks resources whose ARN matches one of ``Resources`` (wildcards ``*`` and ``?``) or whose
tags match one of ``ListOfTags`` (each a StringEquals); a picked resource must also satisfy every entry
of ``Conditions`` (AND) and match none of ``NotResources``. A selection with neither ``Resources`` nor
``ListOfTags`` is treated as covering nothing: AWS would pick "all opted-in resources", which this
function cannot confirm without reading the account's opt-in settings, and coverage is never assumed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from evaluators.aws import AwsClient
from evaluators.inventory import pages

TAG_KEY_PREFIX = "aws:ResourceTag/"
CONDITION_OPERATORS = ("StringEquals", "StringNotEquals", "StringLike", "StringNotLike")


@lru_cache(maxsize=1024)
def _wildcard(pattern: str) -> re.Pattern[str]:
    return re.compile(re.escape(pattern).replace(r"\*", ".*").replace(r"\?", "."), re.DOTALL)


def wildcard_match(pattern: str, text: str) -> bool:
    return _wildcard(pattern).fullmatch(text) is not None


@dataclass(frozen=True)
class TagCondition:
    operator: str
    key: str
    value: str

    def matches(self, tags: Mapping[str, str]) -> bool:
        actual = tags.get(self.key)
        if self.operator == "StringEquals":
            return actual == self.value
        if self.operator == "StringNotEquals":
            return actual != self.value
        like = actual is not None and wildcard_match(self.value, actual)
        return like if self.operator == "StringLike" else not like


@dataclass(frozen=True)
class Selection:
    plan_name: str
    name: str
    resources: tuple[str, ...] = ()
    not_resources: tuple[str, ...] = ()
    list_of_tags: tuple[TagCondition, ...] = ()
    conditions: tuple[TagCondition, ...] = ()

    def covers(self, arn: str, tags: Mapping[str, str]) -> bool:
        picked = any(wildcard_match(p, arn) for p in self.resources) or any(
            c.matches(tags) for c in self.list_of_tags
        )
        return (
            picked
            and all(c.matches(tags) for c in self.conditions)
            and not any(wildcard_match(p, arn) for p in self.not_resources)
        )


def _tag_key(key: str) -> str:
    return key.removeprefix(TAG_KEY_PREFIX)


def selection_from_api(plan_name: str, body: Mapping[str, Any]) -> Selection:
    """A ``Selection`` from GetBackupSelection's ``BackupSelection``."""
    list_of_tags = tuple(
        TagCondition("StringEquals", _tag_key(t["ConditionKey"]), t["ConditionValue"])
        for t in body.get("ListOfTags") or []
    )
    conditions = tuple(
        TagCondition(operator, _tag_key(c["ConditionKey"]), c["ConditionValue"])
        for operator in CONDITION_OPERATORS
        for c in (body.get("Conditions") or {}).get(operator) or []
    )
    return Selection(
        plan_name=plan_name,
        name=str(body.get("SelectionName", "")),
        resources=tuple(body.get("Resources") or ()),
        not_resources=tuple(body.get("NotResources") or ()),
        list_of_tags=list_of_tags,
        conditions=conditions,
    )


def load_selections(backup: AwsClient) -> tuple[Selection, ...]:
    """Every selection of every backup plan in the region (AWS Backup has no batch read for them)."""
    selections: list[Selection] = []
    for plan_page in pages(backup, "list_backup_plans", 1000):
        for plan in plan_page.get("BackupPlansList", []):
            plan_id = plan["BackupPlanId"]
            for page in pages(backup, "list_backup_selections", 1000, BackupPlanId=plan_id):
                for listed in page.get("BackupSelectionsList", []):
                    found = backup.get_backup_selection(
                        BackupPlanId=plan_id, SelectionId=listed["SelectionId"]
                    )
                    selections.append(
                        selection_from_api(plan.get("BackupPlanName", plan_id), found["BackupSelection"])
                    )
    return tuple(selections)
