"""Rebuild components/data/managed_rules.json from the AWS Config Developer Guide's managed-rule pages.

The pages are read through moto's copy of them: moto (a test dependency of this project) ships
``moto/config/resources/aws_managed_rules.json.gz``, which its maintainers regenerate every month by
scraping the guide's list of managed rules and each rule's page (getmoto/moto,
scripts/pull_down_aws_managed_rules.py; one "chore: update Config Managed Rules" commit a month). For each
identifier it holds the page's "Trigger type", "Resource Types", "AWS Region" and "Parameters" as the page
writes them. This script turns those into the table's facts, refusing any text it does not understand
(a new trigger wording, parameter type or Region name is a decision, not a silent guess):

- ``trigger``: "Configuration changes" -> change, "Periodic" -> periodic, both named -> both;
- ``resourceTypes``: the page's list; ``accountLevel`` when it names none or only ``AWS::::Account``;
- ``unavailableRegions`` from "All supported AWS regions except ...", ``onlyRegions`` from
  "Only available in ...", Region names turned into codes through botocore's endpoint data;
- ``homeRegion``: the one Region of the aws partition a rule "Only available in" names, where the stack runs
  it alone (see _home_region);
- ``parameters``: name, type, required (not marked Optional), the console's default;
- ``global`` (run in the primary Region only): a rule on the global IAM types, or one of
  GLOBAL_ACCOUNT_RULES below; ``globalIamTypes``: its page names only global IAM types;

    python -m scripts.refresh_managed_rules > components/data/managed_rules.json
"""

from __future__ import annotations

import argparse
import datetime
import functools
import gzip
import json
import re
import sys
from collections.abc import Mapping, Sequence
from importlib import metadata, resources
from typing import Any

import botocore.loaders

from components.catalog import GLOBAL_RESOURCE_TYPES

LIST_PAGE = "https://docs.aws.amazon.com/config/latest/developerguide/managed-rules-by-aws-config.html"
# The pseudo resource type the pages name for a rule on the account itself: nothing Config records.
ACCOUNT = "AWS::::Account"
TRIGGERS = {
    "Configuration changes": "change",
    # One page adds that the rule evaluates only on new change events (moto's copy keeps the aside).
    "Configuration changes (current status not checked, only evaluated when changes generate new events)": (
        "change"
    ),
    "Periodic": "periodic",
    "Configuration changes and Periodic": "both",
}
PARAMETER_TYPES = ("String", "CSV", "int", "double", "boolean", "StringMap")
# Rules on an account-level resource that exists once per account, not per Region, so the stack runs them in
# the primary Region only. Each page says so: the IAM and root-user ones and account-part-of-organizations
# carry the guide's note on global IAM resource types ("you should only deploy periodic rules that report
# compliance on a global IAM resource type to one of the supported Regions"); a multi-Region trail is one
# trail for every Region. None of them evaluates a recorded IAM item (the password policy and the root user
# are no resource type Config records), so none needs the global IAM types recorded: their pages offer the
# root-user rules in Regions where Config cannot record those types (root-account-mfa-enabled in Europe
# (Zurich), iam-root-access-key-check in Asia Pacific (Hyderabad)). Every other account-level rule runs in
# each Region: most settings it checks are regional (EC2 API Reference, GetEbsEncryptionByDefault: "Describes
# whether EBS encryption by default is enabled for your account in the current Region"; so are GuardDuty
# detectors and Security Hub).
GLOBAL_ACCOUNT_RULES = (
    "ACCOUNT_PART_OF_ORGANIZATIONS",
    "IAM_PASSWORD_POLICY",
    "IAM_ROOT_ACCESS_KEY_CHECK",
    "MULTI_REGION_CLOUD_TRAIL_ENABLED",
    "ROOT_ACCOUNT_HARDWARE_MFA_ENABLED",
    "ROOT_ACCOUNT_MFA_ENABLED",
)
_ALL = re.compile(r"All supported AWS regions(?: except (?P<names>.+?))?(?: Region)?")
_ONLY = re.compile(r"Only available in (?P<names>.+?)(?: Region)?")


class UnreadableRule(ValueError):
    """A page's text this script does not know how to read."""


def region_codes() -> dict[str, str]:
    """Region descriptions ("Asia Pacific (Taipei)") to codes, from botocore's endpoint data."""
    endpoints = botocore.loaders.Loader().load_data("endpoints")
    return {
        region["description"]: code
        for partition in endpoints["partitions"]
        for code, region in partition["regions"].items()
    }


@functools.cache
def aws_partition_regions() -> frozenset[str]:
    """The Regions of the aws partition, where the stack's regions are, from botocore's endpoint data."""
    endpoints = botocore.loaders.Loader().load_data("endpoints")
    return frozenset(
        code
        for partition in endpoints["partitions"]
        if partition["partition"] == "aws"
        for code in partition["regions"]
    )


def _home_region(only_regions: Sequence[str]) -> str | None:
    """The Region a rule offered in one Region of the aws partition runs in, for the whole account.

    Every such rule is on a global service, whose resources are not tied to a Region and are evaluated in its
    home Region (CloudFront, Route 53, WAF Classic's global resources, Shield Advanced's subscription; for the
    IAM types onboarded after February 2022 the Config API Reference, RecordingGroup, says so: "Global
    resource types onboarded to Config recording after February 2022 will only be recorded in the service's
    home region"), or on a service that exists in that Region only (Device Farm): there, one rule covers the
    account, so a stack of several regions runs it in that one instead of being refused
    (tests/infra/test_managed_rules.py pins the services).
    """
    in_partition = [region for region in only_regions if region in aws_partition_regions()]
    return in_partition[0] if len(in_partition) == 1 else None


def _codes(names: str, codes: Mapping[str, str], identifier: str) -> list[str]:
    unknown = [name for name in names.split(", ") if name not in codes]
    if unknown:
        raise UnreadableRule(f"{identifier}: Region name(s) botocore does not know: {', '.join(unknown)}")
    return sorted({codes[name] for name in names.split(", ")})


def _regions(text: str, codes: Mapping[str, str], identifier: str) -> dict[str, list[str] | str | None]:
    if match := _ALL.fullmatch(text.strip()):
        names = match.group("names")
        return {"unavailableRegions": _codes(names, codes, identifier) if names else [], "homeRegion": None}
    if match := _ONLY.fullmatch(text.strip()):
        only = _codes(match.group("names"), codes, identifier)
        return {"unavailableRegions": [], "onlyRegions": only, "homeRegion": _home_region(only)}
    raise UnreadableRule(f"{identifier}: AWS Region text not understood: {text!r}")


def _parameters(page_parameters: Sequence[Mapping[str, Any]], identifier: str) -> list[dict[str, Any]]:
    parameters = []
    for parameter in sorted(page_parameters, key=lambda p: str(p["Name"])):
        if parameter["Type"] not in PARAMETER_TYPES:
            raise UnreadableRule(f"{identifier}: parameter type not understood: {parameter['Type']!r}")
        parameters.append(
            {
                "name": parameter["Name"],
                "type": parameter["Type"],
                "required": not parameter["Optional"],
                "default": parameter.get("Default"),
            }
        )
    return parameters


def table_entry(identifier: str, page: Mapping[str, Any], codes: Mapping[str, str]) -> dict[str, Any]:
    """One rule's entry from the facts of its page (moto's copy)."""
    trigger = TRIGGERS.get(page["Trigger type"].strip())
    if trigger is None:
        raise UnreadableRule(f"{identifier}: trigger type not understood: {page['Trigger type']!r}")
    resource_types = [t.strip() for t in page.get("Resource Types", "").split(",") if t.strip()]
    account_level = set(resource_types) <= {ACCOUNT}
    on_global_iam_types = bool(resource_types) and set(resource_types) <= set(GLOBAL_RESOURCE_TYPES)
    if identifier in GLOBAL_ACCOUNT_RULES and not account_level:
        raise UnreadableRule(f"{identifier}: listed as account-level, but its page names {resource_types}")
    return {
        "identifier": identifier,
        "trigger": trigger,
        "resourceTypes": resource_types,
        "accountLevel": account_level,
        # A rule on the global IAM types evaluates what the primary Region records (catalog.py records them
        # there only), so it runs there; so do the account-wide rules above, which need none recorded.
        "global": on_global_iam_types or identifier in GLOBAL_ACCOUNT_RULES,
        "globalIamTypes": on_global_iam_types,
        "parameters": _parameters(page["Parameters"], identifier),
        **_regions(page["AWS Region"], codes, identifier),
    }


def build_table(pages: Mapping[str, Mapping[str, Any]], source: str, retrieved: str) -> dict[str, Any]:
    codes = region_codes()
    problems: list[str] = []
    rules = []
    for identifier in sorted(pages):
        try:
            rules.append(table_entry(identifier, pages[identifier], codes))
        except UnreadableRule as problem:
            problems.append(str(problem))
    missing = sorted(set(GLOBAL_ACCOUNT_RULES) - set(pages))
    problems += [f"{identifier}: listed in GLOBAL_ACCOUNT_RULES, not in the pages" for identifier in missing]
    if problems:
        raise UnreadableRule("\n".join(problems))
    return {
        "_comment": (
            "AWS managed Config rules this project can deploy (stack setting managedRules), one entry per "
            "rule of the AWS Config Developer Guide's list (listPage), with the facts its page states. "
            "Generated by scripts/refresh_managed_rules.py; do not edit by hand (docs/managed-rules.md)."
        ),
        "listPage": LIST_PAGE,
        "source": source,
        "retrieved": retrieved,
        "rules": rules,
    }


def moto_pages() -> tuple[dict[str, Any], str]:
    """moto's copy of the pages, and a line naming the moto release it came with."""
    data = resources.files("moto").joinpath("config/resources/aws_managed_rules.json.gz").read_bytes()
    pages = json.loads(gzip.decompress(data))["ManagedRules"]
    version = metadata.version("moto")
    return pages, f"moto {version}: moto/config/resources/aws_managed_rules.json.gz"


def dump(table: Mapping[str, Any]) -> str:
    """The table as JSON with one line per rule, so a refresh shows as a diff of the rules that changed."""
    head = {key: value for key, value in table.items() if key != "rules"}
    lines = [json.dumps(rule) for rule in table["rules"]]
    body = json.dumps(head, indent=1)[:-2]
    return body + ',\n "rules": [\n  ' + ",\n  ".join(lines) + "\n ]\n}\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--retrieved", default=datetime.date.today().isoformat(), help="date written")
    args = parser.parse_args(argv)
    pages, source = moto_pages()
    try:
        table = build_table(pages, source, args.retrieved)
    except UnreadableRule as problem:
        print(f"refresh_managed_rules: {problem}", file=sys.stderr)
        return 1
    sys.stdout.write(dump(table))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
