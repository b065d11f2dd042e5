"""The outcome of one check, and how a failed AWS call is described in it."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from botocore.exceptions import BotoCoreError, ClientError

# Errors a single AWS call can end in; each becomes a FAIL line for its check, never a crash.
AWS_CALL_ERRORS = (ClientError, BotoCoreError)

_MAX_ERROR_MESSAGE = 160


class Verdict(enum.Enum):
    PASS = "PASS"
    FAIL = "FAIL"
    # The check does not apply to this stack (e.g. a delivery channel the stack does not manage).
    SKIP = "SKIP"
    # Works today, needs attention soon (e.g. an exception about to expire); does not fail the command.
    WARN = "WARN"


# What a check found: its verdict and the message of its line.
Finding = tuple[Verdict, str]


@dataclass(frozen=True)
class CheckResult:
    verdict: Verdict
    region: str
    check: str
    message: str
    # A FAIL because an AWS call failed (credentials, access, throttling, an unreachable endpoint): the
    # check got no answer, which says nothing about the stack.
    could_not_check: bool = False

    def line(self) -> str:
        return f"{self.verdict.value}  {self.region:<14}  {self.check:<26}  {self.message}"


def error_code(error: ClientError | BotoCoreError) -> str | None:
    if isinstance(error, ClientError):
        return error.response.get("Error", {}).get("Code")
    return None


def describe_error(error: ClientError | BotoCoreError) -> str:
    """One line naming what went wrong, e.g. ``DescribeConfigRules failed: AccessDeniedException: ...``."""
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        code = details.get("Code") or "unknown error"
        message = " ".join(str(details.get("Message", "")).split())
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if message.startswith("<"):
            # An HTML error page from something that is not an AWS API (a proxy, an emulator).
            message = f"HTTP {status}, not an AWS error response"
        if len(message) > _MAX_ERROR_MESSAGE:
            message = message[: _MAX_ERROR_MESSAGE - 3] + "..."
        summary = f"{error.operation_name} failed: {code}"
        return f"{summary}: {message}" if message else summary
    # Set by the clients (verification/clients.py) when the error came from an API call.
    operation = getattr(error, "operation_name", None)
    described = f"{type(error).__name__}: {error}"
    return f"{operation} failed: {described}" if operation else described
