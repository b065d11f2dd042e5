"""The stack outputs the checks need: read from a file or from ``pulumi stack output --json``.

The shape is the one the Pulumi program exports::

    {"primaryRegion": "us-east-1", "regions": ["us-east-1", ...], "evaluationFrequency": "Six_Hours",
     "bucketName": ..., "kmsKeyArn": ..., "topicArn": ..., "aggregatorName": ..., "aggregatorArn": ...,
     "recording": {"<region>": {"managed": true, "recorderName": ..., "deliveryChannelName": ...}},
     "rules": {"<region>": {"<check>": {"ruleName": ..., "functionArn": ...}}},
     "alertPath": {"<region>": {"ruleNames": [...], "deadLetterQueueUrl": "https://sqs.<region>...",
                                "deadLetterQueueArn": "arn:aws:sqs:<region>:...", "alarmNames": [...]}}}

In regions whose recorder pre-exists, ``recording.<region>`` is
``{"managed": false, "recorderName": null, "deliveryChannelName": null}``.

``"scope"`` is ``"account"`` or ``"organization"``; outputs of stacks older than organization scope
have none, which means ``"account"``. In organization scope there is also::

    "organization": {"memberOrganizationalUnits": [...], "excludedAccounts": [...],
                     "manageMemberRecorders": true, "memberRoleName": ...,
                     "stackSets": [...], "managementRole": "SELF" | "DELEGATED_ADMIN"}

and each ``ruleName`` is the name of an organization rule (PutOrganizationConfigRule).

``"exceptions"`` is the stack's list of exceptions, as ``evaluators.exceptions.to_document`` writes it
(``[{"id": ..., "check": ..., "expires": "YYYY-MM-DD", ...}]``); outputs of stacks older than exceptions
have none, which means no exceptions.
Optional, absent from stacks older than them (then none)::

    "managedRules": {"<region>": {"<name>": {"ruleName": ..., "identifier": "ENCRYPTED_VOLUMES",
                                             "trigger": "change" | "periodic" | "both"}}},
    "conformancePacks": {"<region>": ["<pack name>", ...]},
    "managedRuleSummary": {"functionArn": "arn:aws:lambda:<primary region>:...:function:<name>",
                           "scheduleRuleName": ..., "scheduleExpression": "rate(6 hours)"}

(in organization scope, organization managed rules and organization conformance packs).
``managedRuleSummary`` exists exactly when the stack deploys the managed-rule summary (with managed rules).
Keys the checks do not use are ignored; anything else that differs is reported, all problems at once.
"""

from __future__ import annotations

import codecs
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO

from evaluators.exceptions import InvalidExceptionsDocument, ResourceException, from_document

# Hours between periodic evaluations, by the rules' ``MaximumExecutionFrequency``.
FREQUENCY_HOURS: Mapping[str, int] = {
    "One_Hour": 1,
    "Three_Hours": 3,
    "Six_Hours": 6,
    "Twelve_Hours": 12,
    "TwentyFour_Hours": 24,
}


SCOPES = ("account", "organization")
# CloudFormation's CallAs for StackSet calls (API Reference, ListStackInstances).
MANAGEMENT_ROLES = ("SELF", "DELEGATED_ADMIN")
ACCOUNT_ID_PATTERN = re.compile(r"^[0-9]{12}$")

# AWS region codes: a partition prefix, a direction and a number (us-east-1, us-gov-west-1, cn-north-1).
# Anything else would be passed to boto3 as a region name and fail there, so it is refused up front.
REGION_PATTERN = re.compile(r"^[a-z]{2}(-[a-z]+)+-[0-9]+$")


class OutputsError(Exception):
    """The stack outputs are missing, unreadable or malformed; nothing can be verified."""


@dataclass(frozen=True)
class RegionRecording:
    """Whether the stack manages the region's recorder and delivery channel, and their names.

    Both names are ``None`` exactly when ``managed`` is false (the region's recorder pre-exists).
    """

    managed: bool
    recorder_name: str | None
    delivery_channel_name: str | None


@dataclass(frozen=True)
class RuleOutput:
    check: str
    rule_name: str
    function_arn: str


@dataclass(frozen=True)
class ManagedRuleOutput:
    """An AWS managed rule of the stack: the user's name for it, its Config rule name, what it runs."""

    name: str
    rule_name: str
    identifier: str
    # change, periodic or both (components/managed_rules.py).
    trigger: str


MANAGED_RULE_TRIGGERS = ("change", "periodic", "both")

# EventBridge User Guide, "Setting a schedule pattern for scheduled rules", rate expressions
# (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html):
# ``rate(value unit)``, value a positive integer, unit minute(s), hour(s) or day(s), singular exactly for 1.
RATE_EXPRESSION = re.compile(r"^rate\((?P<value>[1-9][0-9]*) (?P<unit>minute|hour|day)(?P<plural>s?)\)$")
RATE_UNITS = {"minute": timedelta(minutes=1), "hour": timedelta(hours=1), "day": timedelta(days=1)}


@dataclass(frozen=True)
class ManagedSummaryOutput:
    """The managed-rule summary: its function, and the EventBridge rule that runs it every ``interval``
    (the rule's ``schedule_expression``, as the stack sets it)."""

    function_arn: str
    schedule_rule_name: str
    schedule_expression: str
    interval: timedelta

    @property
    def function_name(self) -> str:
        return self.function_arn.rsplit(":", 1)[-1]


@dataclass(frozen=True)
class AlertPath:
    """A region's part of the alert path: its EventBridge rules, their dead-letter queue, its alarms."""

    rule_names: tuple[str, ...]
    dead_letter_queue_url: str
    dead_letter_queue_arn: str
    alarm_names: tuple[str, ...]


@dataclass(frozen=True)
class OrganizationOutputs:
    """What organization scope adds: the member OUs and StackSets, and how to call the StackSet APIs."""

    member_organizational_units: tuple[str, ...]
    excluded_accounts: tuple[str, ...]
    manage_member_recorders: bool
    member_role_name: str
    stack_sets: tuple[str, ...]
    # The CallAs value of the CloudFormation StackSet APIs.
    management_role: str


@dataclass(frozen=True)
class StackOutputs:
    primary_region: str
    regions: tuple[str, ...]
    evaluation_frequency: str
    bucket_name: str
    kms_key_arn: str
    topic_arn: str
    aggregator_name: str
    aggregator_arn: str
    recording: Mapping[str, RegionRecording]
    rules: Mapping[str, tuple[RuleOutput, ...]]
    alert_path: Mapping[str, AlertPath]
    scope: str = "account"
    # Set exactly when ``scope`` is "organization".
    organization: OrganizationOutputs | None = None
    exceptions: tuple[ResourceException, ...] = ()
    managed_rules: Mapping[str, tuple[ManagedRuleOutput, ...]] = field(default_factory=dict)
    conformance_packs: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    managed_rule_summary: ManagedSummaryOutput | None = None

    @property
    def topic_region(self) -> str:
        return self.topic_arn.split(":")[3]

    @property
    def topic_name(self) -> str:
        return self.topic_arn.rsplit(":", 1)[-1]

    @property
    def account_id(self) -> str:
        """The stack's account: the aggregator's, which lives in the primary region of that account."""
        return self.aggregator_arn.split(":")[4]


# ``--outputs -``: the outputs come from standard input (``pulumi stack output --json | ...``).
STANDARD_INPUT = Path("-")


def load_outputs_file(path: Path, stdin: BinaryIO | None = None) -> StackOutputs:
    """Reads the outputs from ``path``, or from ``stdin`` when ``path`` is ``-``."""
    if path == STANDARD_INPUT:
        source = "standard input"
        if stdin is None:
            if sys.stdin.isatty():
                print("reading the stack outputs from standard input (end with Ctrl-D)", file=sys.stderr)
            stdin = sys.stdin.buffer
        content = stdin.read()
    else:
        source = str(path)
        try:
            content = path.read_bytes()
        except OSError as error:
            raise OutputsError(f"cannot read stack outputs file {path}: {error.strerror or error}") from error
    return parse_outputs_json(decode_outputs(content, source), source=source)


def decode_outputs(content: bytes, source: str) -> str:
    """The text of an outputs file: UTF-8, with or without a byte order mark, or UTF-16 with one.

    Windows PowerShell 5.1 writes ``pulumi stack output --json > outputs.json`` as UTF-16 with a byte
    order mark, and ``Out-File -Encoding utf8`` as UTF-8 with one; a byte order mark leaves no doubt,
    so both are read. Anything else must be UTF-8 (RFC 8259, section 8.1).
    """
    if content.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    elif content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    else:
        encoding = "utf-8"
    try:
        return content.decode(encoding)
    except UnicodeDecodeError as error:
        raise OutputsError(
            f"stack outputs from {source} are not {encoding.upper().removesuffix('-SIG')} text "
            f"(byte {error.start} is {content[error.start:error.start + 1]!r}); save them as UTF-8, "
            "e.g. pulumi stack output --json | Out-File -Encoding utf8 outputs.json in PowerShell"
        ) from error


def read_stack_outputs(stack: str) -> StackOutputs:
    """Runs ``pulumi stack output --json --stack <stack>`` and parses what it prints."""
    pulumi = shutil.which("pulumi")
    if pulumi is None:
        raise OutputsError(
            "the pulumi CLI was not found on PATH; install it, or save `pulumi stack output --json` "
            "to a file and pass --outputs FILE"
        )
    command = [pulumi, "stack", "output", "--json", "--stack", stack]
    completed = subprocess.run(command, capture_output=True, check=False)
    if completed.returncode != 0:
        error_output = completed.stderr.decode("utf-8", errors="replace").strip()
        raise OutputsError(
            f"`pulumi stack output --json --stack {stack}` exited with {completed.returncode}: "
            f"{error_output or '(no error output)'}"
        )
    source = f"stack {stack}"
    return parse_outputs_json(decode_outputs(completed.stdout, source), source=source)


def parse_outputs_json(text: str, source: str) -> StackOutputs:
    try:
        data = json.loads(text)
        return parse_outputs(data, source)
    except json.JSONDecodeError as error:
        raise OutputsError(f"stack outputs from {source} are not valid JSON: {error}") from error
    except RecursionError as error:
        # The decoder (and repr in a problem's message) recurse once per level of nesting.
        raise OutputsError(
            f"stack outputs from {source} are nested too deeply to be stack outputs"
        ) from error


def parse_outputs(data: object, source: str = "stack outputs") -> StackOutputs:
    """Validates the exported outputs; raises one error listing every problem found."""
    if not isinstance(data, dict):
        raise OutputsError(f"stack outputs from {source} must be a JSON object, got {type(data).__name__}")
    reader = _Reader()
    primary_region = reader.text(data, "primaryRegion")
    regions = reader.regions(data)
    if primary_region and regions and primary_region not in regions:
        reader.problem(f"'primaryRegion' {primary_region!r} is not one of 'regions' {list(regions)}")

    evaluation_frequency = reader.text(data, "evaluationFrequency")
    if evaluation_frequency and evaluation_frequency not in FREQUENCY_HOURS:
        reader.problem(
            f"'evaluationFrequency' must be one of {', '.join(FREQUENCY_HOURS)}, got {evaluation_frequency!r}"
        )
    bucket_name = reader.text(data, "bucketName")
    kms_key_arn = reader.arn(data, "kmsKeyArn", "kms")
    topic_arn = reader.arn(data, "topicArn", "sns")
    aggregator_name = reader.text(data, "aggregatorName")
    aggregator_arn = reader.arn(data, "aggregatorArn", "config")

    recording = {
        region: reader.recording(value, f"recording.{region}")
        for region, value in reader.by_region(data, "recording", regions).items()
    }
    rules = {
        region: reader.rules(value, f"rules.{region}")
        for region, value in reader.by_region(data, "rules", regions).items()
    }
    reader.same_checks(rules)
    alert_path = {
        region: reader.alert_path(value, f"alertPath.{region}", region)
        for region, value in reader.by_region(data, "alertPath", regions).items()
    }
    scope = reader.scope(data)
    organization = reader.organization(data, scope)
    exceptions = reader.exceptions(data)
    managed_rules = {
        region: reader.managed_rules(value, f"managedRules.{region}")
        for region, value in reader.optional_by_region(data, "managedRules", regions).items()
    }
    conformance_packs = {
        region: reader.pack_names(value, f"conformancePacks.{region}")
        for region, value in reader.optional_by_region(data, "conformancePacks", regions).items()
    }
    managed_rule_summary = reader.managed_rule_summary(data, primary_region)
    if reader.problems:
        listed = "\n".join(f"  - {problem}" for problem in reader.problems)
        raise OutputsError(f"stack outputs from {source} are unusable:\n{listed}")
    return StackOutputs(
        primary_region=primary_region,
        regions=regions,
        evaluation_frequency=evaluation_frequency,
        bucket_name=bucket_name,
        kms_key_arn=kms_key_arn,
        topic_arn=topic_arn,
        aggregator_name=aggregator_name,
        aggregator_arn=aggregator_arn,
        recording=recording,
        rules=rules,
        alert_path=alert_path,
        scope=scope,
        organization=organization,
        exceptions=exceptions,
        managed_rules=managed_rules,
        conformance_packs=conformance_packs,
        managed_rule_summary=managed_rule_summary,
    )


class _Reader:
    """Reads typed values out of the decoded JSON, collecting a problem for each bad one."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def problem(self, message: str) -> None:
        self.problems.append(message)

    def text(self, mapping: Mapping[str, object], key: str, path: str = "") -> str:
        path = path or key
        if key not in mapping:
            self.problem(f"missing key '{path}'")
            return ""
        value = mapping[key]
        if not isinstance(value, str) or not value:
            self.problem(f"'{path}' must be a non-empty string, got {value!r}")
            return ""
        return value

    def arn(self, mapping: Mapping[str, object], key: str, service: str, path: str = "") -> str:
        """An ARN of ``service`` with a region, e.g. ``arn:aws:sns:us-east-1:123456789012:topic``."""
        path = path or key
        value = self.text(mapping, key, path)
        if not value:
            return ""
        parts = value.split(":", 5)
        if (
            len(parts) < 6
            or parts[0] != "arn"
            or parts[2] != service
            or not REGION_PATTERN.match(parts[3])
            or not parts[5]
        ):
            self.problem(
                f"'{path}' must be an ARN of service {service} (arn:<partition>:{service}:<region>:...), "
                f"got {value!r}"
            )
            return ""
        return value

    def regions(self, data: Mapping[str, object]) -> tuple[str, ...]:
        if "regions" not in data:
            self.problem("missing key 'regions'")
            return ()
        value = data["regions"]
        if not isinstance(value, list) or not value or not all(isinstance(r, str) and r for r in value):
            self.problem(f"'regions' must be a non-empty list of region names, got {value!r}")
            return ()
        if len(set(value)) != len(value):
            self.problem(f"'regions' lists a region more than once: {value!r}")
        malformed = [region for region in value if not REGION_PATTERN.match(region)]
        if malformed:
            self.problem(f"'regions' holds names that are not region codes such as us-east-1: {malformed!r}")
            return ()
        return tuple(dict.fromkeys(value))

    def by_region(self, data: Mapping[str, object], key: str, regions: tuple[str, ...]) -> dict[str, object]:
        """The section's value for each configured region; a missing or extra region is a problem."""
        if key not in data:
            self.problem(f"missing key '{key}'")
            return {}
        section = data[key]
        if not isinstance(section, dict):
            self.problem(f"'{key}' must be an object keyed by region, got {section!r}")
            return {}
        for region in section:
            if regions and region not in regions:
                self.problem(f"'{key}.{region}' is not one of 'regions' {list(regions)}")
        for region in regions:
            if region not in section:
                self.problem(f"missing key '{key}.{region}'")
        return {region: section[region] for region in regions if region in section}

    def optional_by_region(
        self, data: Mapping[str, object], key: str, regions: tuple[str, ...]
    ) -> dict[str, object]:
        """A per-region section that stacks older than it do not export: absent means empty everywhere."""
        if key not in data:
            return {}
        return self.by_region(data, key, regions)

    def managed_rules(self, value: object, path: str) -> tuple[ManagedRuleOutput, ...]:
        if not isinstance(value, dict):
            self.problem(f"'{path}' must be an object keyed by the rules' names, got {value!r}")
            return ()
        rules = []
        for name, rule in value.items():
            if not isinstance(rule, dict):
                self.problem(f"'{path}.{name}' must be an object with 'ruleName', 'identifier', 'trigger'")
                continue
            trigger = rule.get("trigger")
            if trigger not in MANAGED_RULE_TRIGGERS:
                self.problem(
                    f"'{path}.{name}.trigger' must be one of {', '.join(MANAGED_RULE_TRIGGERS)}, "
                    f"got {trigger!r}"
                )
            rules.append(
                ManagedRuleOutput(
                    name=name,
                    rule_name=self.text(rule, "ruleName", f"{path}.{name}.ruleName"),
                    identifier=self.text(rule, "identifier", f"{path}.{name}.identifier"),
                    trigger=str(trigger),
                )
            )
        return tuple(rules)

    def managed_rule_summary(
        self, data: Mapping[str, object], primary_region: str
    ) -> ManagedSummaryOutput | None:
        """Absent when the stack has no summary (no managed rules, or a stack older than it)."""
        if "managedRuleSummary" not in data:
            return None
        value = data["managedRuleSummary"]
        path = "managedRuleSummary"
        if not isinstance(value, dict):
            self.problem(f"'{path}' must be an object, got {value!r}")
            return None
        function_arn = self.arn(value, "functionArn", "lambda", f"{path}.functionArn")
        parts = function_arn.split(":")
        if function_arn and (len(parts) != 7 or parts[5] != "function"):
            self.problem(
                f"'{path}.functionArn' must be an unqualified function ARN "
                f"(arn:<partition>:lambda:<region>:<account>:function:<name>), got {function_arn!r}"
            )
        elif function_arn and primary_region and parts[3] != primary_region:
            self.problem(
                f"'{path}.functionArn' is not in the primary region {primary_region}: {function_arn!r}"
            )
        expression = self.text(value, "scheduleExpression", f"{path}.scheduleExpression")
        rate = RATE_EXPRESSION.match(expression)
        if expression and (rate is None or (rate["value"] == "1") == (rate["plural"] == "s")):
            self.problem(
                f"'{path}.scheduleExpression' must be a rate expression such as rate(6 hours) "
                f"(rate(1 hour) for one), got {expression!r}"
            )
            rate = None
        return ManagedSummaryOutput(
            function_arn=function_arn,
            schedule_rule_name=self.text(value, "scheduleRuleName", f"{path}.scheduleRuleName"),
            schedule_expression=expression,
            interval=int(rate["value"]) * RATE_UNITS[rate["unit"]] if rate else timedelta(0),
        )

    def pack_names(self, value: object, path: str) -> tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(name, str) and name for name in value):
            self.problem(f"'{path}' must be a list of conformance pack names, got {value!r}")
            return ()
        return tuple(value)

    def recording(self, value: object, path: str) -> RegionRecording:
        unmanaged = RegionRecording(managed=False, recorder_name=None, delivery_channel_name=None)
        if not isinstance(value, dict):
            self.problem(f"'{path}' must be an object, got {value!r}")
            return unmanaged
        managed = value.get("managed")
        if not isinstance(managed, bool):
            self.problem(f"'{path}.managed' must be true or false, got {managed!r}")
            return unmanaged
        if managed:
            return RegionRecording(
                managed=True,
                recorder_name=self.text(value, "recorderName", f"{path}.recorderName"),
                delivery_channel_name=self.text(value, "deliveryChannelName", f"{path}.deliveryChannelName"),
            )
        # Pulumi may drop null values from outputs: absent and null both mean "not this stack's".
        for key in ("recorderName", "deliveryChannelName"):
            if value.get(key) is not None:
                self.problem(
                    f"'{path}.{key}' must be null or absent when 'managed' is false, got {value[key]!r}"
                )
        return unmanaged

    def rules(self, value: object, path: str) -> tuple[RuleOutput, ...]:
        if not isinstance(value, dict) or not value:
            self.problem(f"'{path}' must be a non-empty object keyed by check name, got {value!r}")
            return ()
        rules: list[RuleOutput] = []
        for check, rule in value.items():
            if not isinstance(rule, dict):
                self.problem(
                    f"'{path}.{check}' must be an object with 'ruleName' and 'functionArn', got {rule!r}"
                )
                continue
            rules.append(
                RuleOutput(
                    check=check,
                    rule_name=self.text(rule, "ruleName", f"{path}.{check}.ruleName"),
                    function_arn=self.arn(rule, "functionArn", "lambda", f"{path}.{check}.functionArn"),
                )
            )
        return tuple(rules)

    def same_checks(self, rules: Mapping[str, tuple[RuleOutput, ...]]) -> None:
        """Every region runs every check: a check exported for one region only is a problem."""
        checks = {region: {rule.check for rule in region_rules} for region, region_rules in rules.items()}
        every_check = set().union(*checks.values())
        for region, region_checks in checks.items():
            if region_checks and region_checks != every_check:
                missing = ", ".join(sorted(every_check - region_checks))
                self.problem(f"'rules.{region}' lacks checks other regions have: {missing}")

    def scope(self, data: Mapping[str, object]) -> str:
        scope = data.get("scope", "account")
        if scope not in SCOPES:
            self.problem(f"'scope' must be one of {', '.join(SCOPES)}, got {scope!r}")
            return "account"
        return str(scope)

    def organization(self, data: Mapping[str, object], scope: str) -> OrganizationOutputs | None:
        if scope != "organization":
            if "organization" in data:
                self.problem(f"'organization' is given but 'scope' is {scope!r} (or absent)")
            return None
        value = data.get("organization")
        if not isinstance(value, dict):
            self.problem(f"'scope' is 'organization' but 'organization' is not an object: {value!r}")
            return None
        excluded = value.get("excludedAccounts")
        if not isinstance(excluded, list) or not all(
            isinstance(account, str) and ACCOUNT_ID_PATTERN.match(account) for account in excluded
        ):
            self.problem(
                f"'organization.excludedAccounts' must be a list of 12-digit account ids, got {excluded!r}"
            )
            excluded = []
        manage = value.get("manageMemberRecorders")
        if not isinstance(manage, bool):
            self.problem(f"'organization.manageMemberRecorders' must be true or false, got {manage!r}")
        role = value.get("managementRole")
        if role not in MANAGEMENT_ROLES:
            self.problem(
                f"'organization.managementRole' must be one of {', '.join(MANAGEMENT_ROLES)}, got {role!r}"
            )
        return OrganizationOutputs(
            member_organizational_units=self.names(
                value, "memberOrganizationalUnits", "organization.memberOrganizationalUnits"
            ),
            excluded_accounts=tuple(excluded),
            manage_member_recorders=manage is True,
            member_role_name=self.text(value, "memberRoleName", "organization.memberRoleName"),
            stack_sets=self.names(value, "stackSets", "organization.stackSets"),
            management_role=str(role),
        )

    def exceptions(self, data: Mapping[str, object]) -> tuple[ResourceException, ...]:
        try:
            return from_document(data.get("exceptions"))
        except InvalidExceptionsDocument as error:
            self.problem(f"'exceptions' is not the list the stack exports: {error}")
            return ()

    def names(self, mapping: Mapping[str, object], key: str, path: str) -> tuple[str, ...]:
        value = mapping.get(key)
        if not isinstance(value, list) or not value or not all(isinstance(n, str) and n for n in value):
            self.problem(f"'{path}' must be a non-empty list of names, got {value!r}")
            return ()
        return tuple(value)

    def alert_path(self, value: object, path: str, region: str) -> AlertPath:
        if not isinstance(value, dict):
            self.problem(f"'{path}' must be an object, got {value!r}")
            return AlertPath((), "", "", ())
        queue_arn = self.arn(value, "deadLetterQueueArn", "sqs", f"{path}.deadLetterQueueArn")
        queue_url = self.text(value, "deadLetterQueueUrl", f"{path}.deadLetterQueueUrl")
        if queue_arn and queue_arn.split(":")[3] != region:
            self.problem(f"'{path}.deadLetterQueueArn' is in another region than {region}: {queue_arn!r}")
        # SQS queue URLs are https://sqs.<region>.<domain>/<account>/<queue name>.
        url_parts = queue_url.split("/")
        if queue_url and (
            len(url_parts) != 5
            or url_parts[0] != "https:"
            or not url_parts[2].startswith(f"sqs.{region}.")
            or (queue_arn and url_parts[3:] != queue_arn.split(":")[4:6])
        ):
            self.problem(
                f"'{path}.deadLetterQueueUrl' must be the URL of the queue in 'deadLetterQueueArn' "
                f"(https://sqs.{region}.<domain>/<account>/<name>), got {queue_url!r}"
            )
        return AlertPath(
            rule_names=self.names(value, "ruleNames", f"{path}.ruleNames"),
            dead_letter_queue_url=queue_url,
            dead_letter_queue_arn=queue_arn,
            alarm_names=self.names(value, "alarmNames", f"{path}.alarmNames"),
        )
