"""Calling the pack's policies as the policy analyzer would, without starting its gRPC server.

Resources are built as ``pulumi_policy`` hands them to a stack policy: properties deserialized and wrapped
in the proxy that raises ``UnknownValueError`` on a value unknown at preview (``UNKNOWN`` below), with
their property dependencies resolved to the resources.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pulumi_policy import PolicyCustomTimeouts, PolicyResource, PolicyResourceOptions, StackValidationArgs
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

from components.catalog import CHECKS
from policy.preventive.policies import CannotCheckAtPreview, check_policy

# A value Pulumi cannot know at preview (another resource's output), as the engine sends it.
UNKNOWN = UNKNOWN_STRING_VALUE
CHECK_NAMES = tuple(check.name for check in CHECKS)


@dataclass
class Spec:
    """A resource of a program: its type token, logical name, inputs, and which of its inputs refer to
    which other resources (by logical name)."""

    token: str
    name: str
    props: Mapping[str, Any]
    refers: Mapping[str, Sequence[str]] = field(default_factory=dict)


def resources(specs: Sequence[Spec]) -> list[PolicyResource]:
    options = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])
    built = {
        spec.name: PolicyResource(
            spec.token,
            unknown_checking_proxy(dict(spec.props)),
            f"urn:pulumi:test::project::{spec.token}::{spec.name}",
            spec.name,
            options,
            None,
            None,
            [],
            {},
        )
        for spec in specs
    }
    for spec in specs:
        for prop, names in spec.refers.items():
            built[spec.name].property_dependencies[prop] = [built[name] for name in names]
    return list(built.values())


@dataclass
class Outcome:
    violations: list[tuple[str, str | None]]
    # The advisory "cannot be checked at preview" message, if any.
    undecided: str | None

    @property
    def messages(self) -> list[str]:
        return [message for message, _ in self.violations]


def run_policy(
    check: str, specs: Sequence[Spec] | Sequence[PolicyResource], config: Mapping[str, Any] | None = None
) -> Outcome:
    """One policy's validation over a stack, as pulumi_policy's AnalyzeStack calls it."""
    policy = check_policy(next(c for c in CHECKS if c.name == check))
    built = resources(specs) if specs and isinstance(specs[0], Spec) else list(specs)  # type: ignore[arg-type]
    violations: list[tuple[str, str | None]] = []
    args = StackValidationArgs(built, dict(config or {}))
    try:
        policy.validate(args, lambda message, urn=None: violations.append((message, urn)))
    except CannotCheckAtPreview as error:
        return Outcome(violations, error.message)
    return Outcome(violations, None)
