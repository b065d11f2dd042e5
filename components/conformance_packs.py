"""Conformance packs: the ``conformancePacks`` setting, read and validated, and each pack's template.

A pack is ``{name, template, parameters?}``: ``template`` is a path, relative to the project directory,
to the user's own conformance pack template (YAML or JSON). The program reads the template, checks it
is one Config can deploy, gives every rule the stack's rule-name prefix (so the alert path matches the
pack's rules as it matches the stack's managed rules), and deploys the result as ``TemplateBody`` or,
when larger than ``TemplateBody`` allows, from a bucket in the pack's region
(components/conformance_pack_deployment.py).

Every problem is one line; none stops the others from being found.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from components import naming

PROJECT_DIRECTORY = Path(__file__).resolve().parents[1]
SETTING = "conformancePacks"

# Config API Reference, PutConformancePack: ConformancePackName matches [a-zA-Z][-a-zA-Z0-9]*, 1-256
# characters; PutOrganizationConformancePack: OrganizationConformancePackName the same pattern, 1-128.
PACK_NAME_PATTERN = re.compile(r"^[a-zA-Z][-a-zA-Z0-9]*$")
MAX_PACK_NAME = 256
MAX_ORGANIZATION_PACK_NAME = 128
# Config API Reference, PutConformancePack: TemplateBody is 1-51,200 bytes; larger templates are read from
# TemplateS3Uri, an object of at most 300 KB in a bucket in the pack's own Region.
MAX_TEMPLATE_BODY_BYTES = 51_200
MAX_TEMPLATE_S3_BYTES = 300 * 1024
# Config API Reference, PutConformancePack, ConformancePackInputParameters: "Custom conformance packs can
# have at most 60 input parameters"; ConformancePackInputParameter: ParameterValue at most 4,096 characters.
MAX_PARAMETERS = 60
MAX_PARAMETER_VALUE = 4096
# Config Developer Guide, "Conformance pack templates" (and the TemplateBody note of PutConformancePack):
# a template holds two resource types only, Config rules and remediation configurations.
PACK_RESOURCE_TYPES = ("AWS::Config::ConfigRule", "AWS::Config::RemediationConfiguration")
# Config API Reference, PutConfigRule: ConfigRuleName is 1-128 characters.
MAX_RULE_NAME = 128
# S3 bucket names are 3-63 characters (S3 User Guide, "General purpose bucket naming rules").
MAX_BUCKET_NAME = 63
# Config Developer Guide, conformance pack "Prerequisites": buckets that Config's conformance-pack role
# reads across accounts and in an organization should be named starting with awsconfigconforms (the
# PutOrganizationConformancePack API requires that prefix of DeliveryS3Bucket).
TEMPLATE_BUCKET_PREFIX = "awsconfigconforms"
SAMPLE_ACCOUNT = "123456789012"


def pack_name(name: str, suffix: str) -> str:
    """The pack's name in Config: the user's name and the stack's suffix, so two stacks may share a name."""
    return f"{name}-{suffix}"


def rule_name_prefix(suffix: str, region: str) -> str:
    """What the program puts before each rule name of a pack template in a region: the managed rules'
    prefix, so the alert path's prefix match on the stack's managed rules covers the pack's rules too.
    Config renames a pack's rules to ``<template rule name>-conformance-pack-<id>``: the form is observed
    (docs/conformance-packs.md), not documented, and keeps this start."""
    return naming.managed_rule_prefix(suffix, region)


def template_bucket(suffix: str, account_id: str, region: str) -> str:
    """The bucket holding the region's oversized templates (TemplateS3Uri must be in the pack's Region)."""
    return f"{TEMPLATE_BUCKET_PREFIX}-{suffix}-{account_id}-{region}"


@dataclass(frozen=True)
class ConformancePack:
    name: str
    # As the setting gives it, relative to the project directory.
    template: str
    parameters: Mapping[str, str] = field(default_factory=dict)
    # The template as read (rule names as the user wrote them; a rule without one named by its logical id).
    document: Mapping[str, Any] = field(default_factory=dict)

    def body(self, suffix: str, region: str) -> str:
        """The template as deployed in ``region``: compact JSON, every rule name prefixed."""
        document, _ = prefixed(self.document, rule_name_prefix(suffix, region))
        return json.dumps(document, separators=(",", ":"))

    def rule_names(self, suffix: str, region: str) -> tuple[str, ...]:
        """The rules' names in the deployed template (Config renames them once more, ``rule_name_prefix``)."""
        return prefixed(self.document, rule_name_prefix(suffix, region))[1]

    def oversized(self, suffix: str, region: str) -> bool:
        """Too large for TemplateBody: deployed from the region's template bucket."""
        return len(self.body(suffix, region).encode()) > MAX_TEMPLATE_BODY_BYTES


def object_key(pack: ConformancePack, body: str) -> str:
    """A template's key in the bucket. A new template is a new key, so the pack's TemplateS3Uri changes and
    the provider updates the pack; an object rewritten under the same key would leave the pack as it was."""
    digest = hashlib.sha256(body.encode()).hexdigest()[:16]
    return f"conformance-packs/{pack.name}/{digest}.json"


def prefixed(document: Mapping[str, Any], prefix: str) -> tuple[dict[str, Any], tuple[str, ...]]:
    """A copy of a validated template whose rules are named ``prefix + name``, with remediation
    configurations pointing at the renamed rules; and the rules' new names."""
    copy: dict[str, Any] = json.loads(json.dumps(document))
    resources = copy["Resources"]
    renamed: dict[str, str] = {}
    for logical_id, resource in resources.items():
        if resource["Type"] == "AWS::Config::ConfigRule":
            properties = resource.setdefault("Properties", {})
            original = properties.get("ConfigRuleName", logical_id)
            properties["ConfigRuleName"] = renamed[original] = prefix + original
    for resource in resources.values():
        target = resource.get("Properties", {}).get("ConfigRuleName")
        if resource["Type"] == "AWS::Config::RemediationConfiguration" and target in renamed:
            resource["Properties"]["ConfigRuleName"] = renamed[target]
    return copy, tuple(renamed.values())


class _TemplateLoader(yaml.SafeLoader):  # type: ignore[misc]  # PyYAML ships no type hints
    """YAML with CloudFormation's short-form functions (``!Ref x`` is read as ``{"Ref": "x"}``)."""


def _short_form(loader: _TemplateLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        assert isinstance(node, yaml.MappingNode)
        value = loader.construct_mapping(node, deep=True)
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "GetAtt" and isinstance(value, str):
        return {"Fn::GetAtt": value.split(".", 1)}
    return {f"Fn::{suffix}": value}


_TemplateLoader.add_multi_constructor("!", _short_form)
# Dates stay text, as CloudFormation reads them ("Version: 2012-10-17" is not a timestamp there).
_TemplateLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _scalar_text(value: object) -> str | None:
    """`pulumi config set --path` stores true/false and digits as booleans and numbers: read them as text."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (str, int, float)):
        return str(value)
    return None


def read_conformance_packs(
    raw: str | None, suffix: str, regions: Sequence[str], organization: bool
) -> tuple[tuple[ConformancePack, ...], list[str]]:
    """The packs of the setting (JSON text as Pulumi hands it; absent means none) and every problem."""
    if raw is None:
        return (), []
    try:
        items = json.loads(raw)
    except json.JSONDecodeError:
        items = None
    if not isinstance(items, list):
        return (), [f"{SETTING} must be a list of {{name, template, parameters}} objects, got {raw!r}"]
    packs: list[ConformancePack] = []
    problems: list[str] = []
    longest_region = max(regions, key=len, default="")
    for number, item in enumerate(items):
        pack, item_problems = _read_pack(number, item, suffix, longest_region, organization)
        problems += item_problems
        if pack is not None:
            packs.append(pack)
    names = [pack.name for pack in packs]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        problems.append(f"{SETTING} names pack(s) more than once: {', '.join(repeated)}")
    longest = max(regions, key=len, default="")
    if any(pack.oversized(suffix, longest) for pack in packs) and regions:
        bucket = template_bucket(suffix, SAMPLE_ACCOUNT, longest)
        if len(bucket) > MAX_BUCKET_NAME:
            problems.append(
                f"{SETTING}: a template over {MAX_TEMPLATE_BODY_BYTES} bytes is deployed from a bucket "
                f"named like {bucket!r} ({len(bucket)} > {MAX_BUCKET_NAME} characters): shorten "
                "environmentSuffix or the template"
            )
    return tuple(packs), problems


def _read_pack(
    number: int, item: object, suffix: str, region: str, organization: bool
) -> tuple[ConformancePack | None, list[str]]:
    where = f"{SETTING}[{number}]"
    if not isinstance(item, dict):
        return None, [f"{where} must be an object {{name, template, parameters}}, got {item!r}"]
    name = _scalar_text(item.get("name")) or ""
    template = _scalar_text(item.get("template")) or ""
    if name:
        where = f"{SETTING} pack {name!r}"
    problems = [
        f"{where} has unknown key {key!r}" for key in item if key not in ("name", "template", "parameters")
    ]
    problems += _name_problems(where, name, suffix, organization)
    parameters, parameter_problems = _parameters(where, item.get("parameters", {}))
    problems += parameter_problems
    if not template:
        return None, [*problems, f"{where} needs 'template', a path relative to the project directory"]
    document, template_problems = _load_template(where, template)
    problems += template_problems
    if document is None:
        return None, problems
    problems += _parameter_problems(where, template, document, parameters)
    problems += _rule_problems(where, template, document, rule_name_prefix(suffix, region))
    if problems:
        return None, problems
    pack = ConformancePack(name, template, parameters, document)
    size = len(pack.body(suffix, region).encode())
    if size > MAX_TEMPLATE_S3_BYTES:
        problems.append(
            f"{where}: template {template} is {size} bytes as deployed, more than the "
            f"{MAX_TEMPLATE_S3_BYTES} Config reads from S3 (PutConformancePack TemplateS3Uri)"
        )
    if problems:
        return None, problems
    return pack, []


def _name_problems(where: str, name: str, suffix: str, organization: bool) -> list[str]:
    if not name:
        return [f"{where} needs 'name' (letters, digits and hyphens, starting with a letter)"]
    if not PACK_NAME_PATTERN.match(name):
        return [f"{where}: name must start with a letter and hold only letters, digits and hyphens"]
    deployed = pack_name(name, suffix)
    limit = MAX_ORGANIZATION_PACK_NAME if organization else MAX_PACK_NAME
    if len(deployed) > limit:
        kind = "an organization conformance pack" if organization else "a conformance pack"
        return [
            f"{where}: its name in Config, {deployed!r}, is {len(deployed)} characters; {kind} takes {limit}"
        ]
    return []


def _parameters(where: str, raw: object) -> tuple[dict[str, str], list[str]]:
    if not isinstance(raw, dict):
        return {}, [f"{where}: parameters must be an object of name: value, got {raw!r}"]
    parameters: dict[str, str] = {}
    problems = []
    for key, value in raw.items():
        text = _scalar_text(value)
        if text is None:
            problems.append(f"{where}: parameter {key!r} must be a string, got {value!r}")
        elif len(text) > MAX_PARAMETER_VALUE:
            problems.append(
                f"{where}: parameter {key!r} is {len(text)} characters, more than {MAX_PARAMETER_VALUE}"
            )
        else:
            parameters[key] = text
    if len(raw) > MAX_PARAMETERS:
        problems.append(
            f"{where} sets {len(raw)} parameters; a conformance pack takes at most {MAX_PARAMETERS}"
        )
    return parameters, problems


def _load_template(where: str, template: str) -> tuple[dict[str, Any] | None, list[str]]:
    path = PROJECT_DIRECTORY / template
    if not path.is_file():
        return None, [f"{where}: template {template} does not exist (relative to {PROJECT_DIRECTORY})"]
    try:
        text = path.read_text(encoding="utf-8")
        document = yaml.load(text, Loader=_TemplateLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        first_line = str(error).splitlines()[0] if str(error) else type(error).__name__
        return None, [f"{where}: template {template} is neither YAML nor JSON: {first_line}"]
    if (
        not isinstance(document, dict)
        or not isinstance(document.get("Resources"), dict)
        or not document["Resources"]
    ):
        return None, [f"{where}: template {template} is not a conformance pack template: it has no Resources"]
    problems = []
    for logical_id, resource in document["Resources"].items():
        kind = resource.get("Type") if isinstance(resource, dict) else None
        if kind not in PACK_RESOURCE_TYPES:
            problems.append(
                f"{where}: template {template} resource {logical_id} is {kind!r}; a pack holds only "
                f"{' and '.join(PACK_RESOURCE_TYPES)}"
            )
    if not any(
        resource["Type"] == "AWS::Config::ConfigRule"
        for resource in document["Resources"].values()
        if isinstance(resource, dict)
    ):
        problems.append(f"{where}: template {template} declares no AWS::Config::ConfigRule")
    return (None if problems else document), problems


def _parameter_problems(
    where: str, template: str, document: Mapping[str, Any], parameters: Mapping[str, str]
) -> list[str]:
    declared = document.get("Parameters") or {}
    if not isinstance(declared, dict):
        return [f"{where}: template {template} Parameters must be a mapping"]
    problems = [
        f"{where}: parameter {key!r} is not declared by template {template} "
        f"(it declares {', '.join(declared) or 'none'})"
        for key in parameters
        if key not in declared
    ]
    problems += [
        f"{where}: template {template} parameter {key!r} has no Default: set it in the pack's parameters"
        for key, declaration in declared.items()
        if key not in parameters and not (isinstance(declaration, dict) and "Default" in declaration)
    ]
    return problems


def _rule_problems(where: str, template: str, document: Mapping[str, Any], prefix: str) -> list[str]:
    """Each rule's name must be plain text (the program prefixes it), fit Config's limit once prefixed
    (in the longest region), and be the template's only rule of that name."""
    problems = []
    names = []
    for logical_id, resource in document["Resources"].items():
        if resource["Type"] != "AWS::Config::ConfigRule":
            continue
        original = (resource.get("Properties") or {}).get("ConfigRuleName", logical_id)
        if not isinstance(original, str):
            problems.append(
                f"{where}: template {template} rule {logical_id}: ConfigRuleName must be plain text (the "
                "stack prefixes it so its alerts find the rule), not a function"
            )
            continue
        names.append(original)
        if len(prefix + original) > MAX_RULE_NAME:
            problems.append(
                f"{where}: template {template} rule {logical_id} would be named {prefix + original!r}, more "
                f"than {MAX_RULE_NAME} characters"
            )
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        problems.append(f"{where}: template {template} names rule(s) more than once: {', '.join(repeated)}")
    return problems
