"""Errors that end an invocation; each message names what was wrong."""

from __future__ import annotations


class InvalidEventError(ValueError):
    """The Lambda event is not a Config rule event this runtime understands."""


class InvalidParameterError(ValueError):
    """A rule parameter (the rule's InputParameters) is malformed."""

    def __init__(self, parameter: str, problem: str) -> None:
        super().__init__(f"rule parameter {parameter!r}: {problem}")
        self.parameter = parameter
        self.problem = problem


class EvaluationIncompleteError(RuntimeError):
    """Some resources could not be evaluated or their evaluations were not accepted.

    Raised after everything that could be evaluated was posted, so Config records the failed run.
    """

    def __init__(self, summary: str, resources: list[str]) -> None:
        listed = "; ".join(resources[:50])
        more = f"; and {len(resources) - 50} more" if len(resources) > 50 else ""
        super().__init__(f"{summary} ({len(resources)}): {listed}{more}")
        self.resources = resources


class MemberRoleError(RuntimeError):
    """The member account's role could not be assumed; the message names the account and the role."""
