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
import botocore.model
import botocore.session
import pulumi

from components import naming
from components.catalog import CHECKS

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
MAX_TAG_KEY = 128
MAX_TAG_VALUE = 256
# Config rejects InputParameters longer than this.
MAX_INPUT_PARAMETERS_LENGTH = 1024

ACCOUNT_SCOPE = "account"
ORGANIZATION_SCOPE = "organization"
SCOPES = (ACCOUNT_SCOPE, ORGANIZATION_SCOPE)
# AWS Organizations API Reference: OrganizationalUnitId ^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$, RootId
# ^r-[0-9a-z]{4,32}$; account ids are 12 digits.
ORGANIZATIONAL_UNIT_PATTERN = re.compile(r"^(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}|r-[0-9a-z]{4,32})$")
ACCOUNT_ID_PATTERN = re.compile(r"^\d{12}$")
# Config API Reference, PutOrganizationConfigRule: ExcludedAccounts holds at most 1000 account ids.
MAX_EXCLUDED_ACCOUNTS = 1000
# CloudFormation API Reference, CreateStackInstances and UpdateStackSet: "The maximum number of
# organizational unit (OUs) supported by a ... operation is 50."
MAX_MEMBER_ORGANIZATIONAL_UNITS = 50

EMAIL_PATTERN = re.compile(r"^[^@\s,]+@[^@\s,]+\.[^@\s,]+$")
TAG_KEY_PATTERN = re.compile(r"^[\w.:/=+\-@ ]{1,128}$")
KMS_KEY_ARN_PATTERN = re.compile(r"^arn:aws:kms:[a-z0-9-]+:\d{12}:(key/[A-Za-z0-9-]+|alias/[A-Za-z0-9/_-]+)$")


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

    @property
    def is_organization(self) -> bool:
        return self.scope == ORGANIZATION_SCOPE

    def manages_recorder(self, region: str) -> bool:
        return region not in self.existing_recorder_regions


@functools.cache
def recordable_resource_types() -> frozenset[str]:
    """The resource types AWS Config records, from botocore's bundled Config service model."""
    model = botocore.session.get_session().get_service_model("config")
    shape = model.shape_for("ResourceType")
    assert isinstance(shape, botocore.model.StringShape)
    return frozenset(shape.enum)


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

    def _parse(self, key: str, default: Any, convert: Callable[[str], Any], expected: str) -> Any:
        if key not in self.raw:
            return default
        try:
            return convert(self.raw[key])
        except ValueError:
            self.problems.append(f"{key} must be {expected}, got {self.raw[key]!r}")
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
            if not re.fullmatch(r"-?\d+", text.strip()):
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
        tags: dict[str, str] = {}
        for item in self.string_list(key, ()):
            tag_key, has_value, value = (part.strip() for part in item.partition("="))
            if not has_value or not tag_key:
                self.problems.append(f"{key} items must be Key=Value, got {item!r}")
                continue
            if tag_key in tags:
                self.problems.append(f"{key} sets tag {tag_key!r} more than once")
            problem = _tag_problem(tag_key, value)
            if problem:
                self.problems.append(f"{key} item {item!r}: {problem}")
            tags[tag_key] = value
        return tags


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
)


def parse_settings(raw: Mapping[str, str]) -> Settings:
    """Builds Settings from raw config values (key without namespace -> string as Pulumi stores it)."""
    read = _Reader(raw)
    problems = read.problems
    problems.extend(f"unknown setting {key!r}" for key in sorted(raw) if key not in KNOWN_KEYS)

    regions = read.string_list("regions", DEFAULT_REGIONS)
    primary = read.string("primaryRegion") or (regions[0] if regions else "")
    suffix = read.string("environmentSuffix") or ""
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
        scope=read.string("scope", ACCOUNT_SCOPE) or "",
        member_organizational_units=read.string_list("memberOrganizationalUnits", ()),
        excluded_accounts=read.string_list("excludedAccounts", ()),
        manage_member_recorders=read.boolean("manageMemberRecorders", True),
        delegated_administrator=read.boolean("delegatedAdministrator", False),
    )
    problems.extend(_validate(settings))
    problems.extend(_scope_problems(settings))
    if problems:
        raise SettingsError(problems)
    return settings


def stack_tags(suffix: str) -> dict[str, str]:
    """Tags every resource of the stack carries unless resourceTags overrides them."""
    return {"Environment": suffix, "ManagedBy": "pulumi", "Project": NAMESPACE}


def _tag_problem(key: str, value: str) -> str | None:
    """AWS tag limits (Tagging AWS resources, "Tag naming limits and requirements"): keys of 1-128 and
    values of at most 256 characters, and no ``aws:`` prefix, which AWS reserves for its own tags."""
    if key.lower().startswith("aws:"):
        return "tag keys starting with 'aws:' are reserved for AWS"
    if len(key) > MAX_TAG_KEY:
        return f"tag key is {len(key)} characters, more than {MAX_TAG_KEY}"
    if len(value) > MAX_TAG_VALUE:
        return f"tag value is {len(value)} characters, more than {MAX_TAG_VALUE}"
    return None


def _duplicates(items: tuple[str, ...]) -> list[str]:
    return sorted({item for item in items if items.count(item) > 1})


def _one_of(key: str, value: str, allowed: tuple[str, ...]) -> list[str]:
    return [] if value in allowed else [f"{key} must be one of {', '.join(allowed)}, got {value!r}"]


def _validate(s: Settings) -> list[str]:
    problems: list[str] = []
    known_regions = supported_regions()

    if not s.regions:
        problems.append("regions must list at least one region")
    for key, listed in (("regions", s.regions), ("existingRecorderRegions", s.existing_recorder_regions)):
        unknown = [region for region in listed if region not in known_regions]
        if unknown:
            problems.append(f"{key} has unknown or unsupported region(s): {', '.join(unknown)}")
        if _duplicates(listed):
            problems.append(f"{key} lists region(s) more than once: {', '.join(_duplicates(listed))}")
    if s.regions and s.primary_region not in s.regions:
        problems.append(f"primaryRegion {s.primary_region!r} is not one of regions ({', '.join(s.regions)})")
    outside = [region for region in s.existing_recorder_regions if region not in s.regions]
    if outside:
        problems.append(f"existingRecorderRegions has region(s) not in regions: {', '.join(outside)}")

    problems.extend(naming.suffix_problems(s.environment_suffix, s.regions))

    problems.extend(_one_of("evaluationFrequency", s.evaluation_frequency, FREQUENCIES))
    problems.extend(_one_of("snapshotDeliveryFrequency", s.snapshot_delivery_frequency, FREQUENCIES))
    problems.extend(_one_of("recordingFrequency", s.recording_frequency, RECORDING_FREQUENCIES))

    bad_emails = [email for email in s.notification_emails if not EMAIL_PATTERN.match(email)]
    if bad_emails:
        problems.append(f"notificationEmails has invalid address(es): {', '.join(bad_emails)}")
    # Mailbox names are compared case-insensitively in practice: one person would get every alert twice.
    same_mailbox = _duplicates(tuple(email.lower() for email in s.notification_emails))
    if same_mailbox:
        problems.append(
            f"notificationEmails lists address(es) more than once (ignoring case): {', '.join(same_mailbox)}"
        )

    required_tag_problems = _required_tag_problems(s.required_tags)
    problems.extend(required_tag_problems)
    if not required_tag_problems:
        # The stack's own tags can only be judged against a well-formed requiredTags.
        problems.extend(_own_tag_problems(s.required_tags, s.resource_tags))

    bad_types = [t for t in s.extra_resource_types if t not in recordable_resource_types()]
    if bad_types:
        problems.append(
            f"extraResourceTypes has type(s) AWS Config does not record: {', '.join(bad_types)} "
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
    bad_keys = [arn for arn in s.allowed_kms_key_arns if not KMS_KEY_ARN_PATTERN.match(arn)]
    if bad_keys:
        problems.append(f"allowedKmsKeyArns must be KMS key or alias ARNs, got: {', '.join(bad_keys)}")
    for check in CHECKS:
        parameters = json.dumps(check.parameters(s))
        if len(parameters) > MAX_INPUT_PARAMETERS_LENGTH:
            problems.append(
                f"the {check.name} rule's parameters would be {len(parameters)} characters, more than the "
                f"{MAX_INPUT_PARAMETERS_LENGTH} Config accepts: shorten {', '.join(check.parameters(s))}"
            )
    return problems


def _scope_problems(s: Settings) -> list[str]:
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
    if not s.member_organizational_units:
        problems.append(
            "memberOrganizationalUnits is required with scope organization: "
            "OU ids (ou-...) or the root id (r-...)"
        )
    units = s.member_organizational_units
    bad_units = [unit for unit in units if not ORGANIZATIONAL_UNIT_PATTERN.match(unit)]
    if bad_units:
        problems.append(
            f"memberOrganizationalUnits must be OU ids (ou-xxxx-xxxxxxxx) or the root id (r-xxxx), got: "
            f"{', '.join(bad_units)}"
        )
    if _duplicates(units):
        repeated = ", ".join(_duplicates(units))
        problems.append(f"memberOrganizationalUnits lists id(s) more than once: {repeated}")
    if len(units) > MAX_MEMBER_ORGANIZATIONAL_UNITS:
        problems.append(
            f"memberOrganizationalUnits lists {len(units)} OUs; a StackSet operation takes at most "
            f"{MAX_MEMBER_ORGANIZATIONAL_UNITS}: list a parent OU that holds them (the root r-... holds all)"
        )
    bad_accounts = [account for account in s.excluded_accounts if not ACCOUNT_ID_PATTERN.match(account)]
    if bad_accounts:
        problems.append(
            f"excludedAccounts must be 12-digit account ids, got: {', '.join(bad_accounts)} (set ids with a "
            "leading zero as strings: pulumi config set --path --type string 'excludedAccounts[0]' 0123...)"
        )
    if _duplicates(s.excluded_accounts):
        repeated = ", ".join(_duplicates(s.excluded_accounts))
        problems.append(f"excludedAccounts lists account(s) more than once: {repeated}")
    if len(s.excluded_accounts) > MAX_EXCLUDED_ACCOUNTS:
        problems.append(
            f"excludedAccounts lists {len(s.excluded_accounts)} accounts; organization rules take at most "
            f"{MAX_EXCLUDED_ACCOUNTS}"
        )
    return problems


def _required_tag_problems(required_tags: tuple[str, ...]) -> list[str]:
    """Each item is `Key` or `Key=value1|value2`, passed to the rule as one comma-separated string."""
    if not required_tags:
        return [
            "requiredTags must list at least one tag (the required-tags rule would have nothing to check)"
        ]
    problems = []
    for item in required_tags:
        key, _, values = item.partition("=")
        allowed = values.split("|") if "=" in item else []
        if "," in item or not TAG_KEY_PATTERN.match(key.strip()) or any(not v.strip() for v in allowed):
            problems.append(
                f"requiredTags item {item!r} must be Key or Key=value1|value2 "
                "(no commas, key of at most 128 characters, no empty values)"
            )
    keys = [item.partition("=")[0].strip() for item in required_tags]
    if _duplicates(tuple(keys)):
        problems.append(
            f"requiredTags names tag key(s) more than once: {', '.join(_duplicates(tuple(keys)))}"
        )
    return problems


def _own_tag_problems(required_tags: tuple[str, ...], resource_tags: Mapping[str, str]) -> list[str]:
    """The stack's own resources are in the required-tags rule's scope: they must pass it too."""
    problems = []
    for item in required_tags:
        key, has_values, values = (part.strip() for part in item.partition("="))
        allowed = [value.strip() for value in values.split("|")] if has_values else []
        value = resource_tags.get(key, "").strip()
        if not value:
            problems.append(
                f"resourceTags must set {key!r}: requiredTags requires it, and the stack's own bucket "
                "and topic would otherwise be reported NON_COMPLIANT"
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
