"""What a check is to the runner: its name, parameter parser, evaluator factory and sweep listers."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Generic, TypeVar

from evaluators.aws import Clients
from evaluators.backup_plans import Selection
from evaluators.inventory import Lister
from evaluators.items import ConfigurationItem
from evaluators.verdicts import Verdict

P = TypeVar("P")
Evaluator = Callable[[ConfigurationItem], Verdict]


@dataclass(frozen=True)
class Target:
    """The account an invocation evaluates, its clients, whether region-wide data (such as backup plan
    selections) must be read afresh (sweeps) or may come from the container's cache (change events), and
    the UTC date exceptions are judged on (the invocation's, not the container's)."""

    account_id: str | None
    clients: Clients
    fresh: bool
    today: date


@dataclass(frozen=True)
class Check(Generic[P]):
    name: str
    parse_parameters: Callable[[Mapping[str, str]], P]
    # The verdict on one item, given the parameters and the region's AWS Backup plan selections (only the
    # backup check reads them). Pure: the Lambda and the CrossGuard policy pack (policy/) both decide with it.
    decide: Callable[[P, ConfigurationItem, tuple[Selection, ...]], Verdict]
    # Builds the per-invocation evaluator; may read AWS (the backup check loads its plan selections).
    evaluator: Callable[[P, Target], Evaluator]
    # Resource types a periodic sweep lists, each with its lister.
    listers: Mapping[str, Lister]

    @property
    def resource_types(self) -> tuple[str, ...]:
        return tuple(self.listers)
