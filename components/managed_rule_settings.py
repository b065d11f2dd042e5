"""The ``managedRules`` setting: AWS managed Config rules the stack deploys beside its own checks.

Each item is ``{identifier, name?, parameters?, resourceTypes?, frequency?}`` and is checked against the
rule's facts (components/managed_rules.py). Every problem is one line naming the item; none stops the
others from being found. The setting is a list of objects, so it is not declared in Pulumi.yaml and its
default, no rules, lives here (docs/configuration.md).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from components import naming
from components.managed_rules import (
    LIST_PAGE,
    MANAGED_RULES,
    RETRIEVED,
    ManagedRule,
    Parameter,
    nearest_identifier,
)
from components.resource_types import recordable_resource_types

SETTING = "managedRules"
ITEM_KEYS = ("identifier", "name", "parameters", "resourceTypes", "frequency")
# Config's MaximumExecutionFrequency values (Config API Reference, ConfigRule).
FREQUENCIES = ("One_Hour", "Three_Hours", "Six_Hours", "Twelve_Hours", "TwentyFour_Hours")
# The user's short name is part of the rule name: lowercase letters, digits and single hyphens.
NAME_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
# Config API Reference: PutConfigRule ConfigRuleName is 1-128 characters, PutOrganizationConfigRule
# OrganizationConfigRuleName 1-64; InputParameters is at most 1,024 characters for a rule and 2,048 for an
# organization rule (OrganizationManagedRuleMetadata).
MAX_RULE_NAME = 128
MAX_ORGANIZATION_RULE_NAME = 64
MAX_INPUT_PARAMETERS = 1024
MAX_ORGANIZATION_INPUT_PARAMETERS = 2048
# The iam-password-policy page (and each page of a rule on global IAM resource types): the global IAM
# resource types can be recorded only in Regions where Config was available before February 2022, so a
# rule on them evaluates nothing elsewhere. AWS's list of such Regions (CloudFormation Template Reference,
# AWS::Config::ConfigurationRecorder RecordingGroup, IncludeGlobalResourceTypes; the same list in the
# Config API Reference, ExclusionByResourceTypes): Asia Pacific (Hyderabad), Asia Pacific (Melbourne),
# Canada West (Calgary), Europe (Spain), Europe (Zurich), Israel (Tel Aviv), Middle East (UAE). The list
# predates the Regions opened since; Config cannot have been in those before they opened, so they are
# here too (AWS's Region launch announcements).
REGIONS_WITHOUT_GLOBAL_IAM_RECORDING = frozenset(
    {
        "ap-east-2",
        "ap-south-2",
        "ap-southeast-4",
        "ap-southeast-5",
        "ap-southeast-6",
        "ap-southeast-7",
        "ca-west-1",
        "eu-central-2",
        "eu-south-2",
        "il-central-1",
        "me-central-1",
        "mx-central-1",
    }
)


@dataclass(frozen=True)
class ManagedRuleSetting:
    identifier: str
    # The user's short name: the rule is named naming.managed_rule(name, suffix, region).
    name: str
    parameters: Mapping[str, str] = field(default_factory=dict)
    # Narrows a change-triggered rule's scope; empty: every type the rule evaluates.
    resource_types: tuple[str, ...] = ()
    # A periodic rule's frequency; None: the stack's evaluationFrequency.
    frequency: str | None = None

    @property
    def rule(self) -> ManagedRule:
        return MANAGED_RULES[self.identifier]

    @property
    def scope_types(self) -> tuple[str, ...]:
        """The resource types the rule evaluates here: the ones given, or every one it takes."""
        return self.resource_types or self.rule.resource_types

    @property
    def recorded_types(self) -> tuple[str, ...]:
        """The types the recorder records for it: those of its scope that Config can record (not the account
        pseudo-type, nor a type the Config API does not list as recordable)."""
        return tuple(t for t in self.scope_types if t in recordable_resource_types())

    def regions(self, regions: Sequence[str], primary_region: str) -> tuple[str, ...]:
        """Where the rule runs: only the primary region for a rule on a global or account-level resource,
        only its home Region for a rule AWS offers there alone (when that is one of ``regions``)."""
        if self.rule.is_global:
            return (primary_region,)
        if self.rule.home_region is not None:
            return (self.rule.home_region,) if self.rule.home_region in regions else ()
        return tuple(regions)

    def input_parameters(self) -> str | None:
        return json.dumps(dict(self.parameters), sort_keys=True) if self.parameters else None


def default_name(identifier: str) -> str:
    return identifier.lower().replace("_", "-")


def _text(value: object) -> str | None:
    """A parameter value as Config takes it: text. ``pulumi config set --path`` stores digit-only values as
    numbers and true/false as booleans, so those are read back as their text (booleans lowercase)."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return value
    return None


def _value_problem(parameter: Parameter, value: str) -> str | None:
    if parameter.type == "int" and not re.fullmatch(r"-?\d+", value):
        return f"parameter {parameter.name} must be a whole number (int), got {value!r}"
    if parameter.type == "double" and not re.fullmatch(r"-?\d+(\.\d+)?", value):
        return f"parameter {parameter.name} must be a number (double), got {value!r}"
    # The rule pages: "The true and false values for the rule parameters are case-sensitive. If true is not
    # provided in lowercase, it will be treated as false."
    if parameter.type == "boolean" and value not in ("true", "false"):
        return f"parameter {parameter.name} must be true or false in lowercase (boolean), got {value!r}"
    if not value.strip():
        return f"parameter {parameter.name} must not be empty"
    return None


class _ItemReader:
    def __init__(self, index: int, item: Mapping[str, Any], rule: ManagedRule, problems: list[str]) -> None:
        self.item = item
        self.rule = rule
        self.where = f"{SETTING}[{index}] ({rule.identifier})"
        self.problems = problems

    def problem(self, message: str) -> None:
        self.problems.append(f"{self.where}: {message}")

    def parameters(self) -> dict[str, str]:
        given = self.item.get("parameters", {})
        if not isinstance(given, Mapping):
            self.problem("parameters must be an object of parameter name to value")
            return {}
        parameters: dict[str, str] = {}
        for key, raw_value in given.items():
            parameter = self.rule.parameter(str(key))
            if parameter is None:
                known = ", ".join(p.name for p in self.rule.parameters) or "none"
                self.problem(f"unknown parameter {key!r} (the rule takes: {known}; see {LIST_PAGE})")
                continue
            value = _text(raw_value)
            if value is None:
                self.problem(f"parameter {key} must be a string, number or boolean, got {raw_value!r}")
                continue
            problem = _value_problem(parameter, value)
            if problem:
                self.problem(problem)
                continue
            parameters[parameter.name] = value
        # The console pre-fills defaults; the API does not (AWS Config Developer Guide, "List of AWS Config
        # Managed Rules": "Default values are not supplied for the API, CLI, or SDK").
        for parameter in self.rule.parameters:
            if parameter.required and parameter.name not in given:
                self.problem(f"required parameter {parameter.name} ({parameter.type}) is missing")
        return parameters

    def resource_types(self) -> tuple[str, ...]:
        given = self.item.get("resourceTypes", [])
        if not isinstance(given, list) or not all(isinstance(t, str) for t in given):
            self.problem("resourceTypes must be a list of resource types")
            return ()
        if not given:
            return ()
        if not self.rule.is_change_triggered:
            self.problem("resourceTypes narrows a change-triggered rule's scope; this rule is periodic only")
            return ()
        foreign = [t for t in given if t not in self.rule.resource_types]
        if foreign:
            takes = ", ".join(self.rule.resource_types)
            self.problem(f"resourceTypes {', '.join(foreign)} not evaluated by this rule (it takes: {takes})")
        if len(set(given)) != len(given):
            self.problem("resourceTypes lists a type more than once")
        return tuple(dict.fromkeys(given))

    def frequency(self) -> str | None:
        given = self.item.get("frequency")
        if given is None:
            return None
        if not self.rule.is_periodic:
            self.problem("frequency applies to periodic rules; this rule is triggered by changes only")
            return None
        if given not in FREQUENCIES:
            self.problem(f"frequency must be one of {', '.join(FREQUENCIES)}, got {given!r}")
            return None
        return str(given)

    def name(self) -> str:
        given = self.item.get("name", default_name(self.rule.identifier))
        if not isinstance(given, str) or not NAME_PATTERN.match(given):
            self.problem(
                f"name may hold only lowercase letters, digits and single hyphens between, got {given!r}"
            )
            return default_name(self.rule.identifier)
        return given


def read_managed_rules(
    raw: str | None,
    *,
    suffix: str,
    regions: Sequence[str],
    primary_region: str,
    is_organization: bool,
) -> tuple[tuple[ManagedRuleSetting, ...], list[str]]:
    """The ``managedRules`` setting (its raw config text, or None when unset) and its problems."""
    if raw is None:
        return (), []
    try:
        items = json.loads(raw)
    except ValueError:
        return (), [f"{SETTING} must be a list of objects (JSON), got {raw!r}"]
    if not isinstance(items, list):
        return (), [
            f"{SETTING} must be a list of objects {{identifier, name?, parameters?, ...}}, got {raw!r}"
        ]
    problems: list[str] = []
    rules: list[ManagedRuleSetting] = []
    for index, item in enumerate(items):
        rule = _item(index, item, problems)
        if rule is not None:
            rules.append(rule)
    problems += _duplicate_names(rules)
    if is_organization:
        problems += _names_extending_others(rules)
    for rule in rules:
        problems += _placement_problems(rule, suffix, regions, primary_region, is_organization)
    return tuple(rules), problems


def _item(index: int, item: object, problems: list[str]) -> ManagedRuleSetting | None:
    where = f"{SETTING}[{index}]"
    if not isinstance(item, Mapping):
        problems.append(f"{where} must be an object {{identifier, name?, parameters?, ...}}, got {item!r}")
        return None
    unknown = [key for key in item if key not in ITEM_KEYS]
    if unknown:
        problems.append(
            f"{where} has unknown key(s) {', '.join(map(str, unknown))} (known: {', '.join(ITEM_KEYS)})"
        )
    identifier = item.get("identifier")
    if not isinstance(identifier, str) or not identifier:
        problems.append(
            f"{where} needs an identifier (an AWS managed rule identifier, e.g. ENCRYPTED_VOLUMES)"
        )
        return None
    rule = MANAGED_RULES.get(identifier)
    if rule is None:
        nearest = nearest_identifier(identifier)
        hint = f"; did you mean {nearest}?" if nearest else ""
        problems.append(
            f"{where}: unknown managed rule identifier {identifier!r}{hint} (the rules of {LIST_PAGE} "
            f"as read on {RETRIEVED} are known; docs/managed-rules.md says how to refresh the table)"
        )
        return None
    reader = _ItemReader(index, item, rule, problems)
    return ManagedRuleSetting(
        identifier=identifier,
        name=reader.name(),
        parameters=reader.parameters(),
        resource_types=reader.resource_types(),
        frequency=reader.frequency(),
    )


def _duplicate_names(rules: Sequence[ManagedRuleSetting]) -> list[str]:
    names = [rule.name for rule in rules]
    repeated = sorted({name for name in names if names.count(name) > 1})
    return [
        f"{SETTING} uses the name {name!r} more than once (give each rule of one identifier its own name)"
        for name in repeated
    ]


def _names_extending_others(rules: Sequence[ManagedRuleSetting]) -> list[str]:
    """Config names each account's copy of an organization rule ``OrgConfigRule-<name>-<random suffix>``
    (components/naming.py): with names ``x`` and ``x-y``, the copies of ``x-y`` start like those of ``x``,
    and the copies could not be told apart by name."""
    names = sorted({rule.name for rule in rules})
    return [
        f"{SETTING}: in organization scope no name may start with another followed by a hyphen "
        f"({longer!r} starts with {shorter!r}-): their accounts' copies could not be told apart"
        for shorter in names
        for longer in names
        if longer.startswith(f"{shorter}-")
    ]


def _placement_problems(
    rule: ManagedRuleSetting, suffix: str, regions: Sequence[str], primary_region: str, is_organization: bool
) -> list[str]:
    where = f"{SETTING} ({rule.name}, {rule.identifier})"
    problems = []
    runs_in = rule.regions(regions, primary_region)
    home = rule.rule.home_region
    if home is not None and home not in regions:
        problems.append(
            f"{where}: AWS offers it in {home} only (per its page, via {LIST_PAGE}), where it evaluates the "
            f"account's resources; add {home} to regions or drop it"
        )
    unavailable = [region for region in runs_in if not rule.rule.is_available_in(region)]
    if unavailable:
        problems.append(
            f"{where}: not available in region(s) {', '.join(unavailable)} (per its page, via {LIST_PAGE})"
            + (
                "; drop it or move the primary region"
                if rule.rule.is_global
                else "; drop it or those regions"
            )
        )
    if rule.rule.on_global_iam_types and primary_region in REGIONS_WITHOUT_GLOBAL_IAM_RECORDING:
        problems.append(
            f"{where}: runs in the primary region only, and primaryRegion {primary_region} is a Region where "
            "Config cannot record the global IAM resource types (it opened after February 2022, per the "
            "rule's page); choose a primary region where Config existed before February 2022"
        )
    limit = MAX_ORGANIZATION_RULE_NAME if is_organization else MAX_RULE_NAME
    longest = max(runs_in, key=len, default="")
    name = naming.managed_rule(rule.name, suffix, longest)
    if len(name) > limit:
        kind = "organization Config rule name" if is_organization else "Config rule name"
        problems.append(
            f"{where}: the {kind} {name!r} would be {len(name)} characters, more than {limit}; "
            "give the rule a shorter name"
        )
    parameters = rule.input_parameters() or ""
    parameters_limit = MAX_ORGANIZATION_INPUT_PARAMETERS if is_organization else MAX_INPUT_PARAMETERS
    if len(parameters) > parameters_limit:
        problems.append(
            f"{where}: its parameters would be {len(parameters)} characters, "
            f"more than the {parameters_limit} Config accepts"
        )
    return problems


def managed_rule_warnings(rules: Sequence[ManagedRuleSetting]) -> list[str]:
    """Change-triggered rules on types the stack cannot record: Config evaluates such a rule when a recorded
    item of its scope changes, so it may evaluate nothing (the Config API's list of recordable types,
    botocore's Config model, does not name them)."""
    warnings = []
    for rule in rules:
        if not rule.rule.is_change_triggered:
            continue
        unrecorded = [t for t in rule.scope_types if t not in rule.recorded_types]
        if unrecorded:
            warnings.append(
                f"{SETTING} ({rule.name}, {rule.identifier}): resource type(s) {', '.join(unrecorded)} "
                "are not among the types the Config API can record, so the stack does not record them and "
                "the rule may never be triggered by a change"
            )
    return warnings
