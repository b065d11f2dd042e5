"""The pack's configuration: the stack settings' names and meaning, turned into each check's parameters.

Every policy takes the same keys (``SETTINGS``), as a stack file sets them; ``parameters_for`` builds the
check's Config rule InputParameters from them with the catalogue's own builder and parses them with the
evaluator's own parser, so a value the Config rule would refuse is refused here with the same words.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any

from evaluators.backup import DEFAULT_MIN_RETENTION_DAYS
from evaluators.errors import InvalidParameterError
from evaluators.exceptions import ExceptionMatcher, InvalidExceptionsDocument, from_document

from components.catalog import Check
from components.settings import DEFAULT_REQUIRED_TAGS

# The key Pulumi itself reads from each policy's configuration.
ENFORCEMENT_LEVEL = "enforcementLevel"
# The stack setting's exceptions, in the form the stack exports and ships to its functions
# (evaluators.exceptions.to_document), which python -m policy.configure writes.
EXCEPTIONS = "exceptions"


class PackConfigError(ValueError):
    """The pack's configuration for one policy cannot be used; the message names the key."""


@dataclass(frozen=True)
class PackSettings:
    """The rule settings (components.catalog.RuleSettings) as the pack's configuration gives them; the
    defaults are the stack's."""

    require_kms: bool = False
    allowed_kms_key_arns: tuple[str, ...] = ()
    required_tags: tuple[str, ...] = DEFAULT_REQUIRED_TAGS
    min_backup_retention_days: int = DEFAULT_MIN_RETENTION_DAYS
    require_backup_plan: bool = True
    check_read_replicas: bool = False


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


# Stack setting name -> PackSettings field; allowedKmsKeyArns is the stack's name for the keys list.
SETTINGS: dict[str, str] = {_camel(f.name): f.name for f in fields(PackSettings)}


def _boolean(key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise PackConfigError(f"{key} must be true or false, got {value!r}")


def _integer(key: str, value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        return int(value.strip())
    raise PackConfigError(f"{key} must be a whole number, got {value!r}")


def _strings(key: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, list) and all(
        isinstance(item, str | int) and not isinstance(item, bool) for item in value
    ):
        return tuple(str(item).strip() for item in value)
    raise PackConfigError(f"{key} must be a list of strings, got {value!r}")


_READERS: dict[type, Callable[[str, Any], Any]] = {bool: _boolean, int: _integer, tuple: _strings}


def pack_settings(policy: str, config: Mapping[str, Any]) -> PackSettings:
    """The settings one policy's configuration gives; unknown keys and wrong types name the key."""
    values: dict[str, Any] = {}
    defaults = PackSettings()
    for key, value in config.items():
        if key in (ENFORCEMENT_LEVEL, EXCEPTIONS):
            continue
        if key not in SETTINGS:
            known = ", ".join(sorted([*SETTINGS, EXCEPTIONS]))
            raise PackConfigError(f"policy {policy!r}: unknown configuration key {key!r} (known: {known})")
        field_name = SETTINGS[key]
        kind = type(getattr(defaults, field_name))
        try:
            values[field_name] = _READERS[kind](key, value)
        except PackConfigError as error:
            raise PackConfigError(f"policy {policy!r}: {error}") from None
    return PackSettings(**values)


def parameters_for(check: Check, parse: Callable[[Mapping[str, str]], Any], config: Mapping[str, Any]) -> Any:
    """The check's parsed rule parameters from one policy's configuration."""
    settings = pack_settings(check.name, config)
    try:
        return parse(check.parameters(settings))
    except InvalidParameterError as refused:
        setting = next(p.setting for p in check.rule_parameters if p.name == refused.parameter)
        raise PackConfigError(
            f"policy {check.name!r}: {setting}: {refused.problem} (the Config rule's function refuses it too)"
        ) from None


def pack_exceptions(check: Check, config: Mapping[str, Any]) -> ExceptionMatcher:
    """The check's exceptions from one policy's configuration, matched by the functions' own matcher."""
    try:
        exceptions = from_document(config.get(EXCEPTIONS, []))
    except InvalidExceptionsDocument as error:
        raise PackConfigError(f"policy {check.name!r}: {EXCEPTIONS}: {error}") from None
    return ExceptionMatcher(exceptions, check.name)


def config_schema() -> dict[str, Any]:
    """JSON schema properties of every policy's configuration (pulumi_policy.PolicyConfigSchema)."""
    kinds: dict[type, dict[str, Any]] = {bool: {"type": "boolean"}, int: {"type": "integer", "minimum": 1}}
    defaults = PackSettings()
    properties: dict[str, Any] = {}
    for key, field_name in SETTINGS.items():
        default = getattr(defaults, field_name)
        if isinstance(default, tuple):
            properties[key] = {"type": "array", "items": {"type": "string"}, "default": list(default)}
        else:
            properties[key] = {**kinds[type(default)], "default": default}
    properties[EXCEPTIONS] = {"type": "array", "items": {"type": "object"}, "default": []}
    return properties
