"""The stack outputs the checks need: read from a file or from ``pulumi stack output --json``."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Hours between periodic evaluations, by the rules' ``MaximumExecutionFrequency``.
FREQUENCY_HOURS: Mapping[str, int] = {
    "One_Hour": 1,
    "Three_Hours": 3,
    "Six_Hours": 6,
    "Twelve_Hours": 12,
    "TwentyFour_Hours": 24,
}


class OutputsError(Exception):
    """The stack outputs are missing, unreadable or malformed; nothing can be verified."""


@dataclass(frozen=True)
class RegionRecording:
    """Whether the stack manages the region's recorder and delivery channel, and their names."""

    managed: bool
    recorder_name: str | None
    delivery_channel_name: str | None


@dataclass(frozen=True)
class StackOutputs:
    primary_region: str
    regions: tuple[str, ...]
    evaluation_frequency: str
    bucket_name: str
    topic_arn: str
    aggregator_name: str
    recording: Mapping[str, RegionRecording]
    # region -> check name -> Config rule name
    rules: Mapping[str, Mapping[str, str]]

    @property
    def evaluation_hours(self) -> int:
        return FREQUENCY_HOURS[self.evaluation_frequency]


def load_outputs_file(path: Path) -> StackOutputs:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise OutputsError(f"cannot read stack outputs file {path}: {error.strerror or error}") from error
    return parse_outputs_json(text, source=str(path))


def read_stack_outputs(stack: str) -> StackOutputs:
    """Runs ``pulumi stack output --json --stack <stack>`` and parses what it prints."""
    pulumi = shutil.which("pulumi")
    if pulumi is None:
        raise OutputsError(
            "the pulumi CLI was not found on PATH; install it, or save `pulumi stack output --json` "
            "to a file and pass --outputs FILE"
        )
    command = [pulumi, "stack", "output", "--json", "--stack", stack]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise OutputsError(
            f"`pulumi stack output --json --stack {stack}` exited with {completed.returncode}: "
            f"{completed.stderr.strip() or '(no error output)'}"
        )
    return parse_outputs_json(completed.stdout, source=f"stack {stack}")


def parse_outputs_json(text: str, source: str) -> StackOutputs:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise OutputsError(f"stack outputs from {source} are not valid JSON: {error}") from error
    return parse_outputs(data, source)


def parse_outputs(data: object, source: str = "stack outputs") -> StackOutputs:
    """Validates the exported outputs; raises one error listing every problem found."""
    if not isinstance(data, dict):
        raise OutputsError(f"stack outputs from {source} must be a JSON object, got {type(data).__name__}")
    problems: list[str] = []

    def text(mapping: Mapping[str, Any], key: str, path: str) -> str:
        if key not in mapping:
            problems.append(f"missing key '{path}'")
            return ""
        value = mapping[key]
        if not isinstance(value, str) or not value:
            problems.append(f"'{path}' must be a non-empty string, got {value!r}")
            return ""
        return value

    def section(key: str) -> Mapping[str, Any]:
        if key not in data:
            problems.append(f"missing key '{key}'")
            return {}
        value = data[key]
        if not isinstance(value, dict):
            problems.append(f"'{key}' must be an object keyed by region, got {value!r}")
            return {}
        return value

    primary_region = text(data, "primaryRegion", "primaryRegion")
    regions = _regions(data, problems)
    if primary_region and regions and primary_region not in regions:
        problems.append(f"'primaryRegion' {primary_region!r} is not one of 'regions' {list(regions)}")

    evaluation_frequency = text(data, "evaluationFrequency", "evaluationFrequency")
    if evaluation_frequency and evaluation_frequency not in FREQUENCY_HOURS:
        problems.append(
            f"'evaluationFrequency' must be one of {', '.join(FREQUENCY_HOURS)}, got {evaluation_frequency!r}"
        )

    bucket_name = text(data, "bucketName", "bucketName")
    topic_arn = text(data, "topicArn", "topicArn")
    if topic_arn and not topic_arn.startswith("arn:"):
        problems.append(f"'topicArn' must be an SNS topic ARN, got {topic_arn!r}")
    aggregator_name = text(data, "aggregatorName", "aggregatorName")

    recording_section = section("recording")
    rules_section = section("rules")
    recording: dict[str, RegionRecording] = {}
    rules: dict[str, dict[str, str]] = {}
    for region in regions:
        if recording_section and region not in recording_section:
            problems.append(f"missing key 'recording.{region}'")
        elif region in recording_section:
            recording[region] = _recording(recording_section[region], f"recording.{region}", problems, text)
        if rules_section and region not in rules_section:
            problems.append(f"missing key 'rules.{region}'")
        elif region in rules_section:
            rules[region] = _rule_names(rules_section[region], f"rules.{region}", problems, text)

    if problems:
        raise OutputsError(f"stack outputs from {source} are unusable:\n" + "\n".join(f"  - {p}" for p in problems))
    return StackOutputs(
        primary_region=primary_region,
        regions=regions,
        evaluation_frequency=evaluation_frequency,
        bucket_name=bucket_name,
        topic_arn=topic_arn,
        aggregator_name=aggregator_name,
        recording=recording,
        rules=rules,
    )


def _regions(data: Mapping[str, Any], problems: list[str]) -> tuple[str, ...]:
    if "regions" not in data:
        problems.append("missing key 'regions'")
        return ()
    value = data["regions"]
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(region, str) and region for region in value)
    ):
        problems.append(f"'regions' must be a non-empty list of region names, got {value!r}")
        return ()
    if len(set(value)) != len(value):
        problems.append(f"'regions' lists a region more than once: {value!r}")
    return tuple(dict.fromkeys(value))


def _recording(value: object, path: str, problems: list[str], text: Any) -> RegionRecording:
    if not isinstance(value, dict):
        problems.append(f"'{path}' must be an object, got {value!r}")
        return RegionRecording(managed=False, recorder_name=None, delivery_channel_name=None)
    if "managed" not in value:
        problems.append(f"missing key '{path}.managed'")
        managed = False
    elif not isinstance(value["managed"], bool):
        problems.append(f"'{path}.managed' must be true or false, got {value['managed']!r}")
        managed = False
    else:
        managed = value["managed"]
    if not managed:
        return RegionRecording(managed=False, recorder_name=None, delivery_channel_name=None)
    return RegionRecording(
        managed=True,
        recorder_name=text(value, "recorderName", f"{path}.recorderName"),
        delivery_channel_name=text(value, "deliveryChannelName", f"{path}.deliveryChannelName"),
    )


def _rule_names(value: object, path: str, problems: list[str], text: Any) -> dict[str, str]:
    if not isinstance(value, dict) or not value:
        problems.append(f"'{path}' must be a non-empty object keyed by check name, got {value!r}")
        return {}
    names: dict[str, str] = {}
    for check, rule in value.items():
        if not isinstance(rule, dict):
            problems.append(f"'{path}.{check}' must be an object with a 'ruleName', got {rule!r}")
            continue
        names[check] = text(rule, "ruleName", f"{path}.{check}.ruleName")
    return names
