"""Rebuild components/data/frameworks.json from AWS's Security Hub and Config documentation markdown.

Reads a checkout of the AWS Security Hub User Guide's markdown (``doc_source/*-controls.md``: per Security
Hub control its "Related requirements" and the "AWS Config rule" it is evaluated by) and of the AWS Config
Developer Guide's markdown (``doc_source/<rule-name>.md``, whose "Identifier" line names the managed rule
identifier), and writes, per framework, each control with the identifiers of the managed rules related to
it. Controls evaluated by a rule Security Hub develops itself, or by none, support no control here; they
are listed on stderr. A requirement of a framework or version not listed below stops the run: a new
version is a decision, not a silent skip. docs/frameworks.md says where the markdown comes from.

    python scripts/refresh_frameworks.py --securityhub DIR --config-rules DIR \\
        --commit SHA --text-date YYYY-MM-DD --read-date YYYY-MM-DD > components/data/frameworks.json
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

NIST_FAMILIES = {
    "AC": "Access Control",
    "AT": "Awareness and Training",
    "AU": "Audit and Accountability",
    "CA": "Assessment, Authorization, and Monitoring",
    "CM": "Configuration Management",
    "CP": "Contingency Planning",
    "IA": "Identification and Authentication",
    "IR": "Incident Response",
    "MA": "Maintenance",
    "MP": "Media Protection",
    "PE": "Physical and Environmental Protection",
    "PL": "Planning",
    "PM": "Program Management",
    "PS": "Personnel Security",
    "RA": "Risk Assessment",
    "SA": "System and Services Acquisition",
    "SC": "System and Communications Protection",
    "SI": "System and Information Integrity",
    "SR": "Supply Chain Risk Management",
}
PCI_REQUIREMENTS = {
    "1": "Firewall and network configuration",
    "2": "No vendor-supplied defaults; system hardening",
    "3": "Protection of stored cardholder data",
    "4": "Encryption of cardholder data in transit over open networks",
    "5": "Protection against malware",
    "6": "Secure systems and applications",
    "7": "Access restricted by business need to know",
    "8": "Identification and authentication",
    "10": "Tracking and monitoring of access to network resources and cardholder data",
    "11": "Regular testing of security systems and processes",
}
CIS_SECTIONS = {
    "1": "Identity and Access Management",
    "2.1": "Storage: S3",
    "2.2": "Storage: EC2 (EBS)",
    "2.3": "Storage: RDS",
    "3": "Logging",
    "4": "Monitoring",
    "5": "Networking",
}
# Requirements of frameworks or versions the mapping does not carry.
IGNORED_REQUIREMENTS = ("CIS AWS Foundations Benchmark v1.2.0/",)

SECTION = re.compile(r"^## ", re.MULTILINE)
CONTROL_HEADING = re.compile(r"^\[([A-Za-z0-9]+\.\d+)\]")
REQUIREMENTS = re.compile(r"^\*\*Related requirements:\*\* (.+)$", re.MULTILINE)
# The guide writes this label three ways ("**AWS Config rule:**", "**AWS Config** rule:", "AWS Config rule:").
CONFIG_RULE = re.compile(r"^(?:\*\*)?AWS Config ?(?:\*\* )?rule:(?:\*\*)? (.+)$", re.MULTILINE)
RULE_NAME = re.compile(r"developerguide/([a-z0-9-]+?)(?:\.html)?\)|^`([a-z0-9-]+)`")
IDENTIFIER = re.compile(r"^\*\*Identifier:\*\* (.+)$", re.MULTILINE)


class RefreshError(Exception):
    pass


def nist_title(control_id: str) -> str:
    return f"{NIST_FAMILIES[control_id.split('-')[0]]} family"


def pci_title(control_id: str) -> str:
    requirement = control_id.split(".")[0]
    return f"Requirement {requirement}: {PCI_REQUIREMENTS[requirement]}"


def cis_title(control_id: str) -> str:
    parts = control_id.split(".")
    section = ".".join(parts[:2]) if parts[0] == "2" else parts[0]
    return f"Section {parts[0]}: {CIS_SECTIONS[section]}"


@dataclass(frozen=True)
class FrameworkSpec:
    key: str
    title: str
    version: str
    # How the guide's "Related requirements" names a control of this framework: prefix, then the id.
    prefix: str
    control_title: Callable[[str], str]
    current_page: str


FRAMEWORKS = (
    FrameworkSpec(
        "nist-800-53-rev5",
        "NIST SP 800-53",
        "Revision 5",
        "NIST.800-53.r5 ",
        nist_title,
        "https://docs.aws.amazon.com/config/latest/developerguide/operational-best-practices-for-nist-800-53_rev_5.html",
    ),
    FrameworkSpec(
        "pci-dss",
        "PCI DSS",
        "3.2.1",
        "PCI DSS v3.2.1/",
        pci_title,
        "https://docs.aws.amazon.com/config/latest/developerguide/operational-best-practices-for-pci-dss.html",
    ),
    FrameworkSpec(
        "cis-aws-foundations",
        "CIS AWS Foundations Benchmark",
        "v1.4.0",
        "CIS AWS Foundations Benchmark v1.4.0/",
        cis_title,
        "https://docs.aws.amazon.com/config/latest/developerguide/operational-best-practices-for-cis_aws_benchmark_level_1.html",
    ),
)


def unescape(text: str) -> str:
    """The guide's markdown escapes punctuation (``SC\\-28\\(1\\)``)."""
    return re.sub(r"\\(.)", r"\1", text)


@dataclass(frozen=True)
class SecurityHubControl:
    id: str
    requirements: tuple[str, ...]
    # The AWS Config rule's name, or None when Security Hub names none or a rule of its own.
    rule_name: str | None


def parse_controls(markdown: str) -> list[SecurityHubControl]:
    controls = []
    for section in SECTION.split(markdown)[1:]:
        heading = CONTROL_HEADING.match(unescape(section.splitlines()[0]))
        if not heading:
            continue
        requirements = REQUIREMENTS.search(section)
        rule = CONFIG_RULE.search(section)
        rule_text = unescape(rule.group(1)) if rule else ""
        name = RULE_NAME.search(rule_text)
        managed = name is not None and "Custom rule developed by Security Hub" not in rule_text
        controls.append(
            SecurityHubControl(
                id=heading.group(1),
                requirements=tuple(r.strip() for r in unescape(requirements.group(1)).split(","))
                if requirements
                else (),
                rule_name=(name.group(1) or name.group(2)) if managed and name else None,
            )
        )
    return controls


def rule_identifier(config_rules: Path, rule_name: str) -> str:
    page = config_rules / f"{rule_name}.md"
    if not page.is_file():
        raise RefreshError(f"{rule_name}: no managed rule page {page}")
    found = IDENTIFIER.search(page.read_text(encoding="utf-8"))
    if not found:
        raise RefreshError(f"{page}: no Identifier line")
    return unescape(found.group(1)).strip()


def framework_of(requirement: str) -> tuple[FrameworkSpec, str] | None:
    for spec in FRAMEWORKS:
        if requirement.startswith(spec.prefix):
            return spec, requirement[len(spec.prefix) :]
    if requirement.startswith(IGNORED_REQUIREMENTS):
        return None
    raise RefreshError(f"requirement of an unknown framework or version: {requirement!r}")


def _sort_key(control_id: str) -> list[tuple[int, int | str]]:
    return [(0, int(p)) if p.isdigit() else (1, p) for p in re.split(r"[.\-()]", control_id) if p]


def build(
    controls: Iterable[SecurityHubControl], config_rules: Path, source: str, read_date: str
) -> tuple[dict[str, object], list[str]]:
    """The data file's content, and the Security Hub controls that support no control (with why)."""
    rows: dict[str, dict[str, set[str]]] = {spec.key: {} for spec in FRAMEWORKS}
    unused = []
    for control in controls:
        if not control.requirements or control.rule_name is None:
            why = "no requirements" if control.rule_name else "no AWS managed rule"
            unused.append(f"{control.id}: {why}")
            continue
        identifier = rule_identifier(config_rules, control.rule_name)
        for requirement in control.requirements:
            found = framework_of(requirement)
            if found:
                spec, control_id = found
                rows[spec.key].setdefault(control_id, set()).add(identifier)
    frameworks = [
        {
            "key": spec.key,
            "title": spec.title,
            "version": spec.version,
            "source": f"{source}, 'Related requirements: {spec.prefix.rstrip(' /')}'",
            "retrieved": read_date,
            "current_page": spec.current_page,
            "controls": [
                {"id": control_id, "title": spec.control_title(control_id), "rules": sorted(rules)}
                for control_id, rules in sorted(rows[spec.key].items(), key=lambda item: _sort_key(item[0]))
            ],
        }
        for spec in FRAMEWORKS
    ]
    return {"frameworks": frameworks}, unused


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--securityhub", type=Path, required=True, help="directory of *-controls.md")
    parser.add_argument("--config-rules", type=Path, required=True, help="directory of <rule-name>.md")
    parser.add_argument("--commit", required=True, help="commit of the Security Hub guide's markdown")
    parser.add_argument("--text-date", required=True, help="date of that commit (YYYY-MM-DD)")
    parser.add_argument("--read-date", required=True, help="date the mapping is read (YYYY-MM-DD)")
    parser.add_argument("--comment", default="", help="the data file's _comment")
    args = parser.parse_args(argv)
    pages = sorted(
        p for p in args.securityhub.glob("*-controls.md") if not p.name.startswith("securityhub-standards")
    )
    if not pages:
        print(f"error: no *-controls.md in {args.securityhub}", file=sys.stderr)
        return 1
    source = (
        "AWS Security Hub User Guide (archived): awsdocs/aws-security-hub-user-guide "
        f"doc_source/*-controls.md at commit {args.commit} (text of {args.text_date})"
    )
    controls = [c for page in pages for c in parse_controls(page.read_text(encoding="utf-8"))]
    try:
        data, unused = build(controls, args.config_rules, source, args.read_date)
    except RefreshError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if args.comment:
        data = {"_comment": args.comment, **data}
    print(json.dumps(data, indent=1))
    for line in unused:
        print(f"supports no control: {line}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
