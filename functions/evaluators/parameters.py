"""Parsing rule parameters (the Config rule's InputParameters); errors name the parameter."""

from __future__ import annotations

from collections.abc import Mapping

from evaluators.errors import InvalidParameterError


def reject_unknown(parameters: Mapping[str, str], *known: str) -> None:
    """A misspelt parameter would otherwise be ignored and its default silently used."""
    for name in parameters:
        if name not in known:
            raise InvalidParameterError(name, f"unknown parameter (this rule takes {', '.join(known)})")


def boolean(parameters: Mapping[str, str], name: str, default: bool) -> bool:
    raw = parameters.get(name)
    if raw is None or not raw.strip():
        return default
    value = raw.strip().lower()
    if value not in ("true", "false"):
        raise InvalidParameterError(name, f'expected "true" or "false", got {raw!r}')
    return value == "true"


def integer(parameters: Mapping[str, str], name: str, default: int, minimum: int, maximum: int) -> int:
    raw = parameters.get(name)
    if raw is None or not raw.strip():
        return default
    text = raw.strip()
    if not text.isascii() or not text.isdigit():
        raise InvalidParameterError(name, f"expected a whole number, got {raw!r}")
    value = int(text)
    if not minimum <= value <= maximum:
        raise InvalidParameterError(name, f"expected {minimum} to {maximum}, got {value}")
    return value


def comma_list(parameters: Mapping[str, str], name: str) -> tuple[str, ...]:
    """Items of a comma-separated parameter, stripped; an empty item (``a,,b``) is an error."""
    raw = parameters.get(name)
    if raw is None or not raw.strip():
        return ()
    items = tuple(item.strip() for item in raw.split(","))
    if any(not item for item in items):
        raise InvalidParameterError(name, f"empty item in {raw!r}")
    if len(set(items)) != len(items):
        raise InvalidParameterError(name, f"duplicate item in {raw!r}")
    return items
