"""Stack settings: read from the project's config namespace, validated before any resource exists.

Every problem is collected and reported in one error, so a user fixes their stack file in one pass.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import boto3
import pulumi
from evaluators.exceptions import ResourceException

from components import naming, tags
from components.conformance_packs import ConformancePack, read_conformance_packs
from components.exception_settings import DEFAULT_MAX_EXCEPTION_DAYS, exception_warnings, read_exceptions
from components.managed_rule_settings import ManagedRuleSetting, managed_rule_warnings, read_managed_rules
from components.resource_types import recordable_resource_types
from components.rule_parameters import rule_parameter_problems

NAMESPACE = "config-compliance"

DEFAULT_REGIONS = ("us-east-1", "us-west-2", "eu-west-1")
DEFAULT_REQUIRED_TAGS = ("Environment", "Owner")

# Config's MaximumExecutionFrequency / DeliveryFrequency values.
FREQUENCIES = ("One_Hour", "Three_Hours", "Six_Hours", "Twelve_Hours", "TwentyFour_Hours")
RECORDING_FREQUENCIES = ("CONTINUOUS", "DAILY")
# The values CloudWatch Logs accepts for a log group's retention.
LOG_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)
# Archived history moves to Glacier Instant Retrieval after this many days (S3 lifecycle leaves objects
# under 128 KB where they are, by default); retention must outlast it.
ARCHIVE_TRANSITION_DAYS = 90
MAX_ARCHIVE_RETENTION_DAYS = 36500
# RDS keeps automated backups for at most 35 days.
MAX_BACKUP_RETENTION_DAYS = 35
# AWS Account Management Reference Guide, "Enable or disable AWS Regions in your account": Regions
# launched after March 20, 2019 are disabled until the account opts in. These are those Regions.
OPT_IN_REGIONS = frozenset(
    {
        "af-south-1",
        "ap-east-1",
        "ap-east-2",
        "ap-south-2",
        "ap-southeast-3",
        "ap-southeast-4",
        "ap-southeast-5",
        "ap-southeast-6",
        "ap-southeast-7",
        "ca-west-1",
        "eu-central-2",
        "eu-south-1",
        "eu-south-2",
        "il-central-1",
        "me-central-1",
        "me-south-1",
        "mx-central-1",
    }
)
ACCOUNT_SCOPE = "account"
ORGANIZATION_SCOPE = "organization"
SCOPES = (ACCOUNT_SCOPE, ORGANIZATION_SCOPE)
# AWS Organizations API Reference: OrganizationalUnitId ^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$, "ou-"
# followed by "the ID of the root that contains the OU", and RootId ^r-[0-9a-z]{4,32}$ (Parent.Id gives
# both). The groups named *root are that root part, the same in every id of one organization ("Currently,
# you can have only one root": Organizations User Guide, Terminology and concepts). Account ids are 12
# digits. Patterns use [0-9], never \d, which also matches other scripts' digits ("١٢٣").
ORGANIZATIONAL_UNIT_PATTERN = re.compile(
    r"^(ou-(?P<ou_root>[0-9a-z]{4,32})-[a-z0-9]{8,32}|r-(?P<root>[0-9a-z]{4,32}))$"
)
ACCOUNT_ID_PATTERN = re.compile(r"^[0-9]{12}$")
# Config API Reference, PutOrganizationConfigRule: ExcludedAccounts holds at most 1000 account ids.
MAX_EXCLUDED_ACCOUNTS = 1000
# CloudFormation API Reference, CreateStackInstances and UpdateStackSet: "The maximum number of
# organizational unit (OUs) supported by a ... operation is 50."
MAX_MEMBER_ORGANIZATIONAL_UNITS = 50

# An email subscription's endpoint is a bare address (SNS API Reference, Subscribe: "For the email
# protocol, the endpoint is an email address"): no "mailto:", no display name or angle brackets.
# RFC 5321, 4.5.3.1: a local part of at most 64 octets, and a path of at most 256 octets including its
# two angle brackets, so an address of at most 254.
EMAIL_PATTERN = re.compile(r"^[^@\s,<>]+@[^@\s,<>]+\.[^@\s,<>]+$")
MAX_EMAIL_LOCAL_PART = 64
MAX_EMAIL_ADDRESS = 254
KMS_KEY_ARN_PATTERN = re.compile(
    r"^arn:aws:kms:(?P<region>[a-z0-9-]+):[0-9]{12}:(key/[A-Za-z0-9-]+|alias/[A-Za-z0-9/_-]+)$"
)


class SettingsError(ValueError):
    """The stack configuration cannot be deployed; the message lists every problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"Invalid stack configuration ({NAMESPACE}:*):\n{lines}")


@dataclass(frozen=True)
class Settings:
    regions: tuple[str, ...]
    primary_region: str
    environment_suffix: str
    notification_emails: tuple[str, ...]
    required_tags: tuple[str, ...]
    evaluation_frequency: str
    snapshot_delivery_frequency: str
    recording_frequency: str
    extra_resource_types: tuple[str, ...]
    record_all_resource_types: bool
    existing_recorder_regions: tuple[str, ...]
    log_retention_days: int
    archive_retention_days: int
    protect_data: bool
    require_kms: bool
    allowed_kms_key_arns: tuple[str, ...]
    min_backup_retention_days: int
    require_backup_plan: bool
    check_read_replicas: bool
    resource_tags: Mapping[str, str]
    # Organization scope (docs/organization.md): the hub account watches every account of these OUs.
    scope: str
    member_organizational_units: tuple[str, ...]
    excluded_accounts: tuple[str, ...]
    manage_member_recorders: bool
    delegated_administrator: bool
    # Resources that may stay non-compliant, each until its expiry (docs/exceptions.md).
    exceptions: tuple[ResourceException, ...]
    max_exception_days: int
    # docs/conformance-packs.md; not declared in Pulumi.yaml (a list of objects), so the default is here.
    conformance_packs: tuple[ConformancePack, ...] = ()
    # docs/managed-rules.md; not declared in Pulumi.yaml (a list of objects), so the default is here.
    managed_rules: tuple[ManagedRuleSetting, ...] = ()

    @property
    def is_organization(self) -> bool:
        return self.scope == ORGANIZATION_SCOPE

    def manages_recorder(self, region: str) -> bool:
        return region not in self.existing_recorder_regions


@functools.cache
def kms_regions() -> frozenset[str]:
    """Regions of the aws partition, from botocore's bundled endpoint data, where KMS keys can exist."""
    return frozenset(boto3.session.Session().get_available_regions("kms"))


@functools.cache
def supported_regions() -> frozenset[str]:
    """Regions, from botocore's bundled endpoint data, that offer every service the stack uses."""
    session = boto3.session.Session()
    services = ("config", "lambda", "events", "sns", "s3", "kms", "logs")
    regions = [set(session.get_available_regions(service)) for service in services]
    return frozenset(set.intersection(*regions))


# `pulumi config set --path 'key[0]' value` stores "true"/"false" as booleans and integers as numbers
# (Pulumi CLI reference, pulumi config set): list items of those types are read back as their text.
SCALARS = (str, bool, int, float)


def _scalar_text(item: str | bool | int | float) -> str:
    if isinstance(item, bool):
        return str(item).lower()
    return str(item).strip()


class _Reader:
    """Parses raw config strings, recording a problem instead of raising on the first one."""

    def __init__(self, raw: Mapping[str, str]) -> None:
        self.raw = raw
        self.problems: list[str] = []
        # Keys whose value could not be read: rules that compare other keys with them are not applied,
        # or a default the user never chose would be blamed for the mistake.
        self.unreadable: set[str] = set()

    def _parse(self, key: str, default: Any, convert: Callable[[str], Any], expected: str) -> Any:
        if key not in self.raw:
            return default
        try:
            return convert(self.raw[key])
        except ValueError:
            self.problems.append(f"{key} must be {expected}, got {self.raw[key]!r}")
            self.unreadable.add(key)
            return default

    def string(self, key: str, default: str | None = None) -> str | None:
        value = self._parse(key, default, str.strip, "a string")
        return None if value is None else str(value)

    def boolean(self, key: str, default: bool) -> bool:
        def convert(text: str) -> bool:
            if text.strip().lower() not in ("true", "false"):
                raise ValueError(text)
            return text.strip().lower() == "true"

        return bool(self._parse(key, default, convert, "true or false"))

    def integer(self, key: str, default: int) -> int:
        def convert(text: str) -> int:
            if not re.fullmatch(r"-?[0-9]+", text.strip()):
                raise ValueError(text)
            return int(text)

        return int(self._parse(key, default, convert, "a whole number"))

    def string_list(self, key: str, default: tuple[str, ...]) -> tuple[str, ...]:
        def convert(text: str) -> tuple[str, ...]:
            value = json.loads(text)
            if not isinstance(value, list) or not all(isinstance(item, SCALARS) for item in value):
                raise ValueError(text)
            return tuple(_scalar_text(item) for item in value)

        return tuple(self._parse(key, default, convert, "a list of strings"))

    def tags(self, key: str) -> dict[str, str]:
        """A list of ``Key=Value`` items (Pulumi project config has no map type)."""
        found: dict[str, str] = {}
        for item in self.string_list(key, ()):
            tag_key, has_value, value = (part.strip() for part in item.partition("="))
            if not has_value or not tag_key:
                self.problems.append(f"{key} items must be Key=Value, got {item!r}")
                self.unreadable.add(key)
                continue
            if tag_key in found:
                self.problems.append(f"{key} sets tag {tag_key!r} more than once")
            problem = tags.tag_problem(tag_key, value)
            if problem:
                self.problems.append(f"{key} item {item!r}: {problem}")
            found[tag_key] = value
        return found


KNOWN_KEYS = (
    "regions",
    "primaryRegion",
    "environmentSuffix",
    "notificationEmails",
    "requiredTags",
    "evaluationFrequency",
    "snapshotDeliveryFrequency",
    "recordingFrequency",
    "extraResourceTypes",
    "recordAllResourceTypes",
    "existingRecorderRegions",
    "logRetentionDays",
    "archiveRetentionDays",
    "protectData",
    "requireKms",
    "allowedKmsKeyArns",
    "minBackupRetentionDays",
    "requireBackupPlan",
    "checkReadReplicas",
    "resourceTags",
    "scope",
    "memberOrganizationalUnits",
    "excludedAccounts",
    "manageMemberRecorders",
    "delegatedAdministrator",
    "exceptions",
    "maxExceptionDays",
    "conformancePacks",
    "managedRules",
)


def parse_settings(raw: Mapping[str, str]) -> Settings:
    """Builds Settings from raw config values (key without namespace -> string as Pulumi stores it)."""
    read = _Reader(raw)
    problems = read.problems
    problems.extend(f"unknown setting {key!r}" for key in sorted(raw) if key not in KNOWN_KEYS)

    regions = read.string_list("regions", DEFAULT_REGIONS)
    primary = read.string("primaryRegion") or (regions[0] if regions else "")
    suffix = read.string("environmentSuffix") or ""
    scope = read.string("scope", ACCOUNT_SCOPE) or ""
    max_exception_days = read.integer("maxExceptionDays", DEFAULT_MAX_EXCEPTION_DAYS)
    exceptions = read_exceptions(
        raw, regions=regions, organization=scope == ORGANIZATION_SCOPE, max_days=max_exception_days
    )
    problems.extend(exceptions.problems)
    packs, pack_problems = read_conformance_packs(
        raw.get("conformancePacks"), suffix, regions, scope == ORGANIZATION_SCOPE
    )
    problems.extend(pack_problems)
    managed_rules, managed_rule_problems = read_managed_rules(
        raw.get("managedRules"),
        suffix=suffix,
        regions=regions,
        primary_region=primary,
        is_organization=read.string("scope", ACCOUNT_SCOPE) == ORGANIZATION_SCOPE,
    )
    problems.extend(managed_rule_problems)
    settings = Settings(
        regions=regions,
        primary_region=primary,
        environment_suffix=suffix,
        notification_emails=read.string_list("notificationEmails", ()),
        required_tags=read.string_list("requiredTags", DEFAULT_REQUIRED_TAGS),
        evaluation_frequency=read.string("evaluationFrequency", "Six_Hours") or "",
        snapshot_delivery_frequency=read.string("snapshotDeliveryFrequency", "TwentyFour_Hours") or "",
        recording_frequency=read.string("recordingFrequency", "CONTINUOUS") or "",
        extra_resource_types=read.string_list("extraResourceTypes", ()),
        record_all_resource_types=read.boolean("recordAllResourceTypes", False),
        existing_recorder_regions=read.string_list("existingRecorderRegions", ()),
        log_retention_days=read.integer("logRetentionDays", 30),
        archive_retention_days=read.integer("archiveRetentionDays", 2557),
        protect_data=read.boolean("protectData", True),
        require_kms=read.boolean("requireKms", False),
        allowed_kms_key_arns=read.string_list("allowedKmsKeyArns", ()),
        min_backup_retention_days=read.integer("minBackupRetentionDays", 7),
        require_backup_plan=read.boolean("requireBackupPlan", True),
        check_read_replicas=read.boolean("checkReadReplicas", False),
        resource_tags={**stack_tags(suffix), **read.tags("resourceTags")},
        scope=scope,
        member_organizational_units=read.string_list("memberOrganizationalUnits", ()),
        excluded_accounts=read.string_list("excludedAccounts", ()),
        manage_member_recorders=read.boolean("manageMemberRecorders", True),
        delegated_administrator=read.boolean("delegatedAdministrator", False),
        exceptions=exceptions.exceptions,
        max_exception_days=max_exception_days,
        conformance_packs=packs,
        managed_rules=managed_rules,
    )
    problems.extend(_validate(settings, frozenset(read.unreadable)))
    problems.extend(_scope_problems(settings, frozenset(read.unreadable)))
    if problems:
        raise SettingsError(problems)
    return settings


def stack_tags(suffix: str) -> dict[str, str]:
    """Tags every resource of the stack carries unless resourceTags overrides them."""
    return {"Environment": suffix, "ManagedBy": "pulumi", "Project": NAMESPACE}


def _duplicates(items: tuple[str, ...]) -> list[str]:
    return sorted({item for item in items if items.count(item) > 1})


def _listed(items: list[str]) -> str:
    """Items for a message; an empty item is shown as ''."""
    return ", ".join(item or "''" for item in items)


def _one_of(key: str, value: str, allowed: tuple[str, ...]) -> list[str]:
    return [] if value in allowed else [f"{key} must be one of {', '.join(allowed)}, got {value!r}"]


def _validate(s: Settings, unreadable: frozenset[str]) -> list[str]:
    """Every problem starts with the key it is about. ``unreadable``: keys whose value could not be read
    (their defaults stand in): nothing is compared with them."""
    problems: list[str] = []
    known_regions = supported_regions()

    if not s.regions:
        problems.append("regions must list at least one region")
    for key, listed in (("regions", s.regions), ("existingRecorderRegions", s.existing_recorder_regions)):
        unknown = [region for region in listed if region not in known_regions]
        if unknown:
            problems.append(f"{key} has unknown or unsupported region(s): {_listed(unknown)}")
        if _duplicates(listed):
            problems.append(f"{key} lists region(s) more than once: {_listed(_duplicates(listed))}")
    if "regions" in unreadable:
        if s.primary_region not in known_regions:
            problems.append(f"primaryRegion {s.primary_region!r} is not a known or supported region")
    else:
        if s.regions and s.primary_region not in s.regions:
            problems.append(
                f"primaryRegion {s.primary_region!r} is not one of regions ({', '.join(s.regions)})"
            )
        outside = [region for region in s.existing_recorder_regions if region not in s.regions]
        if outside:
            problems.append(f"existingRecorderRegions has region(s) not in regions: {_listed(outside)}")

    problems.extend(naming.suffix_problems(s.environment_suffix, s.regions))

    problems.extend(_one_of("evaluationFrequency", s.evaluation_frequency, FREQUENCIES))
    problems.extend(_one_of("snapshotDeliveryFrequency", s.snapshot_delivery_frequency, FREQUENCIES))
    problems.extend(_one_of("recordingFrequency", s.recording_frequency, RECORDING_FREQUENCIES))

    problems.extend(_email_problems(s.notification_emails))

    problems.extend(_resource_tag_problems(s.resource_tags))
    required_tag_problems = _required_tag_problems(s.required_tags)
    problems.extend(required_tag_problems)
    if not required_tag_problems and not {"requiredTags", "resourceTags"} & unreadable:
        # The stack's own tags can only be judged against a well-formed requiredTags.
        problems.extend(_own_tag_problems(s.required_tags, s.resource_tags, s.environment_suffix))

    bad_types = [t for t in s.extra_resource_types if t not in recordable_resource_types()]
    if bad_types:
        problems.append(
            f"extraResourceTypes has type(s) AWS Config does not record: {_listed(bad_types)} "
            "(expected names like AWS::Lambda::Function)"
        )
    if s.record_all_resource_types and s.extra_resource_types:
        problems.append(
            "extraResourceTypes cannot be combined with recordAllResourceTypes (which records them all)"
        )

    if s.log_retention_days not in LOG_RETENTION_DAYS:
        allowed = ", ".join(str(days) for days in LOG_RETENTION_DAYS)
        problems.append(f"logRetentionDays must be one of {allowed}, got {s.log_retention_days}")
    if not ARCHIVE_TRANSITION_DAYS < s.archive_retention_days <= MAX_ARCHIVE_RETENTION_DAYS:
        problems.append(
            f"archiveRetentionDays must be more than {ARCHIVE_TRANSITION_DAYS} (when history moves to a "
            f"cheaper tier) and at most {MAX_ARCHIVE_RETENTION_DAYS}, got {s.archive_retention_days}"
        )
    if not 1 <= s.min_backup_retention_days <= MAX_BACKUP_RETENTION_DAYS:
        problems.append(
            f"minBackupRetentionDays must be between 1 and {MAX_BACKUP_RETENTION_DAYS}, "
            f"got {s.min_backup_retention_days}"
        )
    problems.extend(_kms_key_problems(s.allowed_kms_key_arns))

    reported = unreadable | {problem.partition(" ")[0] for problem in problems}
    problems.extend(rule_parameter_problems(s, reported))
    return problems


def _email_problem(address: str) -> str | None:
    if address.lower().startswith("mailto:"):
        return "write the bare address, without 'mailto:'"
    if "<" in address or ">" in address:
        return "write the bare address, without a display name or angle brackets"
    if not EMAIL_PATTERN.match(address):
        return "is not an email address (expected name@example.com)"
    if len(address) > MAX_EMAIL_ADDRESS:
        return f"is {len(address)} characters, more than the {MAX_EMAIL_ADDRESS} an address may have"
    local_part = address.rpartition("@")[0]
    if len(local_part) > MAX_EMAIL_LOCAL_PART:
        return f"the part before @ is {len(local_part)} characters, more than {MAX_EMAIL_LOCAL_PART}"
    return None


def _email_problems(addresses: tuple[str, ...]) -> list[str]:
    """Addresses SNS would refuse to subscribe, and addresses listed twice."""
    problems = []
    for address in addresses:
        problem = _email_problem(address)
        if problem:
            problems.append(f"notificationEmails item {address!r}: {problem}")
    # Mailbox names are compared case-insensitively in practice: one person would get every alert twice.
    same_mailbox = _duplicates(tuple(address.lower() for address in addresses))
    if same_mailbox:
        problems.append(
            f"notificationEmails lists address(es) more than once (ignoring case): {_listed(same_mailbox)}"
        )
    return problems


def _kms_key_problems(arns: tuple[str, ...]) -> list[str]:
    problems = []
    matches = {arn: KMS_KEY_ARN_PATTERN.match(arn) for arn in arns}
    bad = [arn for arn, match in matches.items() if not match]
    if bad:
        problems.append(
            "allowedKmsKeyArns must be KMS key or alias ARNs (arn:aws:kms:<region>:<account>:key/<id> or "
            f"...:alias/<name>), got: {_listed(bad)}"
        )
    nowhere = [arn for arn, match in matches.items() if match and match["region"] not in kms_regions()]
    if nowhere:
        problems.append(f"allowedKmsKeyArns has key(s) in a region that does not exist: {_listed(nowhere)}")
    if _duplicates(arns):
        problems.append(f"allowedKmsKeyArns lists key(s) more than once: {_listed(_duplicates(arns))}")
    return problems


def _resource_tag_problems(resource_tags: Mapping[str, str]) -> list[str]:
    """Limits on the whole set of tags every resource carries: resourceTags and the stack's own tags.
    Each tag's own limits are checked as resourceTags is read."""
    problems = []
    for keys in tags.keys_equal_but_for_case(resource_tags):
        stack_keys = [key for key in keys if key in stack_tags("")]
        hint = (
            f"; the stack sets {', '.join(stack_keys)} itself: override it with that spelling"
            if stack_keys
            else ""
        )
        problems.append(
            f"resourceTags has tag keys equal but for case: {', '.join(keys)}; IAM, whose roles the stack "
            f"tags, refuses both on one role (its tag keys are case-insensitive){hint}"
        )
    if len(resource_tags) > tags.MAX_TAGS_PER_RESOURCE:
        added = ", ".join(key for key in stack_tags("") if key in resource_tags)
        problems.append(
            f"resourceTags would give every resource {len(resource_tags)} tags (with the stack's own: "
            f"{added}), more than the {tags.MAX_TAGS_PER_RESOURCE} AWS allows on a resource"
        )
    return problems


def _scope_problems(s: Settings, unreadable: frozenset[str]) -> list[str]:
    if s.scope not in SCOPES:
        return [f"scope must be one of {', '.join(SCOPES)}, got {s.scope!r}"]
    if not s.is_organization:
        # Pulumi hands the program every declared default, so a key's presence says nothing: a value other
        # than its default does.
        set_anyway = {
            "memberOrganizationalUnits": bool(s.member_organizational_units),
            "excludedAccounts": bool(s.excluded_accounts),
            "manageMemberRecorders": not s.manage_member_recorders,
            "delegatedAdministrator": s.delegated_administrator,
        }
        return [f"{key} applies only with scope organization" for key, is_set in set_anyway.items() if is_set]
    problems = []
    if not s.member_organizational_units and "memberOrganizationalUnits" not in unreadable:
        problems.append(
            "memberOrganizationalUnits is required with scope organization: "
            "OU ids (ou-...) or the root id (r-...)"
        )
    units = s.member_organizational_units
    bad_units = [unit for unit in units if not ORGANIZATIONAL_UNIT_PATTERN.match(unit)]
    if bad_units:
        problems.append(
            f"memberOrganizationalUnits must be OU ids (ou-xxxx-xxxxxxxx) or the root id (r-xxxx), got: "
            f"{_listed(bad_units)}"
        )
    if _duplicates(units):
        repeated = _listed(_duplicates(units))
        problems.append(f"memberOrganizationalUnits lists id(s) more than once: {repeated}")
    by_root: dict[str, list[str]] = {}
    for unit in units:
        match = ORGANIZATIONAL_UNIT_PATTERN.match(unit)
        if match:
            by_root.setdefault(match["ou_root"] or match["root"], []).append(unit)
    if len(by_root) > 1:
        roots = "; ".join(f"root r-{root}: {', '.join(ids)}" for root, ids in by_root.items())
        problems.append(
            "memberOrganizationalUnits has ids of different organization roots (an organization has one "
            f"root, and an OU id ou-<root>-... starts with its root's): {roots}"
        )
    # CloudFormation API Reference, Tag: a Value of 1 to 256 characters. In organization scope the stack's
    # tags are on its StackSets (the providers' default tags) and in the member templates.
    own = stack_tags(s.environment_suffix)
    untagged = [key for key, value in s.resource_tags.items() if not value and own.get(key) != value]
    if untagged:
        problems.append(
            f"resourceTags must give {_listed(untagged)} a value with scope organization: CloudFormation, "
            "which deploys the member baseline, refuses empty tag values"
        )
    if len(units) > MAX_MEMBER_ORGANIZATIONAL_UNITS:
        problems.append(
            f"memberOrganizationalUnits lists {len(units)} OUs; a StackSet operation takes at most "
            f"{MAX_MEMBER_ORGANIZATIONAL_UNITS}: list a parent OU that holds them (the root r-... holds all)"
        )
    bad_accounts = [account for account in s.excluded_accounts if not ACCOUNT_ID_PATTERN.match(account)]
    if bad_accounts:
        problems.append(
            f"excludedAccounts must be 12-digit account ids (digits 0-9), got: {_listed(bad_accounts)} (set "
            "ids with a leading zero as strings: pulumi config set --path --type string "
            "'excludedAccounts[0]' 0123...)"
        )
    if _duplicates(s.excluded_accounts):
        repeated = _listed(_duplicates(s.excluded_accounts))
        problems.append(f"excludedAccounts lists account(s) more than once: {repeated}")
    if len(s.excluded_accounts) > MAX_EXCLUDED_ACCOUNTS:
        problems.append(
            f"excludedAccounts lists {len(s.excluded_accounts)} accounts; organization rules take at most "
            f"{MAX_EXCLUDED_ACCOUNTS}"
        )
    return problems


def _required_tag_problems(required_tags: tuple[str, ...]) -> list[str]:
    """Each item is `Key` or `Key=value1|value2`, passed to the rule as one comma-separated string. The
    stack's own resources must carry every required tag, so each key must be one AWS accepts."""
    if not required_tags:
        return [
            "requiredTags must list at least one tag (the required-tags rule would have nothing to check)"
        ]
    problems = []
    for item in required_tags:
        key, has_values, values = (part.strip() for part in item.partition("="))
        allowed = [value.strip() for value in values.split("|")] if has_values else []
        if tags.is_reserved(key):
            problems.append(
                f"requiredTags item {item!r}: keys starting with {tags.RESERVED_PREFIX!r} are reserved for "
                "tags AWS itself sets; no one can add such a tag to a resource that lacks it (the stack's "
                "own included): require a key of your own"
            )
        elif (
            "," in item
            or not key
            or len(key) > tags.MAX_TAG_KEY
            or tags.refused_characters(key)
            or any(not value for value in allowed)
        ):
            problems.append(
                f"requiredTags item {item!r} must be Key or Key=value1|value2 (no commas, a key of at most "
                f"{tags.MAX_TAG_KEY} letters, digits, spaces or _ . : / + - @, no empty values)"
            )
        elif any(len(value) > tags.MAX_TAG_VALUE for value in allowed):
            longest = max(len(value) for value in allowed)
            problems.append(
                f"requiredTags item {item!r}: an allowed value is {longest} characters, more than the "
                f"{tags.MAX_TAG_VALUE} a tag value may have"
            )
    keys = tuple(item.partition("=")[0].strip() for item in required_tags)
    if _duplicates(keys):
        problems.append(f"requiredTags names tag key(s) more than once: {_listed(_duplicates(keys))}")
    for same in tags.keys_equal_but_for_case(keys):
        problems.append(
            f"requiredTags names tag keys equal but for case: {', '.join(same)}; the stack's own resources "
            "must carry both, and IAM, whose roles the stack tags, refuses both on one role (its tag keys "
            "are case-insensitive)"
        )
    return problems


def _own_tag_problems(
    required_tags: tuple[str, ...], resource_tags: Mapping[str, str], suffix: str
) -> list[str]:
    """The stack's own resources are in the required-tags rule's scope: they must pass it too."""
    problems = []
    from_stack = stack_tags(suffix)
    for item in required_tags:
        key, has_values, values = (part.strip() for part in item.partition("="))
        allowed = [value.strip() for value in values.split("|")] if has_values else []
        value = resource_tags.get(key, "").strip()
        stack_value = key in from_stack and resource_tags.get(key) == from_stack[key]
        if not value and stack_value:
            continue  # an empty environmentSuffix, reported as such
        if not value:
            problems.append(
                f"resourceTags must set {key!r}: requiredTags requires it, and the stack's own bucket "
                "and topic would otherwise be reported NON_COMPLIANT"
            )
        elif allowed and value not in allowed and stack_value:
            source = "environmentSuffix" if key == "Environment" else "the stack's own tags"
            problems.append(
                f"requiredTags allows {key} only {values}, but the stack tags its resources "
                f"{key}={value!r} (from {source}): add {key}=<an allowed value> to resourceTags, or allow "
                f"{value!r}"
            )
        elif allowed and value not in allowed:
            problems.append(
                f"resourceTags sets {key}={value!r}, which requiredTags does not allow ({values})"
            )
    return problems


def settings_warnings(s: Settings) -> list[str]:
    """What deploys but may not work as the user expects; shown by `pulumi up`, not an error."""
    warnings = []
    opt_in = [region for region in s.regions if region in OPT_IN_REGIONS]
    if opt_in:
        warnings.append(
            f"regions {', '.join(opt_in)} must be enabled in the account first (opt-in regions); "
            "deploying to a region that is not enabled fails"
        )
    warnings.extend(exception_warnings(s.exceptions))
    warnings.extend(managed_rule_warnings(s.managed_rules))
    return warnings


def load_settings() -> Settings:
    """Reads every key of the project's namespace from the running Pulumi program's config."""
    from pulumi.runtime.config import CONFIG, get_config_env

    prefix = f"{NAMESPACE}:"
    everything = {**get_config_env(), **CONFIG.get()}
    raw = {key[len(prefix) :]: str(value) for key, value in everything.items() if key.startswith(prefix)}
    try:
        settings = parse_settings(raw)
    except SettingsError as error:
        # The engine prints a RunError's message alone, without the Python traceback (pulumi SDK, RunError).
        raise pulumi.RunError(str(error)) from None
    for warning in settings_warnings(settings):
        pulumi.log.warn(warning)
    return settings
