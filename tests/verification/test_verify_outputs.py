"""Reading the stack outputs: the exported shape parses, anything else fails naming every problem."""

from __future__ import annotations

import copy
import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from moto_stack import ACCOUNT, example_outputs

from verification.outputs import (
    AlertPath,
    OutputsError,
    RegionRecording,
    RuleOutput,
    load_outputs_file,
    parse_outputs,
    parse_outputs_json,
    read_stack_outputs,
)


def test_the_exported_shape_parses_into_what_the_checks_need() -> None:
    outputs = parse_outputs(example_outputs())

    assert outputs.primary_region == "us-east-1"
    assert outputs.regions == ("us-east-1", "us-west-2", "eu-west-1")
    assert outputs.evaluation_frequency == "Six_Hours"
    assert outputs.bucket_name == f"config-archive-dev-{ACCOUNT}"
    assert outputs.kms_key_arn.startswith("arn:aws:kms:us-east-1:")
    assert outputs.aggregator_name == "config-compliance-dev"
    assert outputs.aggregator_arn.startswith("arn:aws:config:us-east-1:")
    assert outputs.topic_region == "us-east-1"
    assert outputs.recording["us-west-2"] == RegionRecording(
        True, "config-recorder-dev-us-west-2", "config-delivery-dev-us-west-2"
    )
    assert outputs.recording["eu-west-1"] == RegionRecording(False, None, None)

    assert outputs.rules["eu-west-1"][1] == RuleOutput(
        "required-tags",
        "compliance-required-tags-dev-eu-west-1",
        f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:compliance-required-tags-dev-eu-west-1",
    )
    assert [rule.check for rule in outputs.rules["us-east-1"]] == ["encryption", "required-tags", "backup"]
    assert outputs.alert_path["us-west-2"] == AlertPath(
        rule_names=("config-noncompliant-fwd-dev-us-west-2", "config-eval-errors-fwd-dev-us-west-2"),
        dead_letter_queue_url=f"https://sqs.us-west-2.amazonaws.com/{ACCOUNT}/config-alert-dlq-dev-us-west-2",
        dead_letter_queue_arn=f"arn:aws:sqs:us-west-2:{ACCOUNT}:config-alert-dlq-dev-us-west-2",
        alarm_names=(
            "config-alert-delivery-failed-dev-us-west-2",
            "config-alert-dead-letters-dev-us-west-2",
        ),
    )
    assert outputs.alert_path["us-east-1"].rule_names == (
        "config-noncompliant-notify-dev",
        "config-eval-errors-notify-dev",
    )
    assert outputs.account_id == ACCOUNT
    assert outputs.topic_name == "config-compliance-alerts-dev"


def test_an_unmanaged_region_may_omit_the_names() -> None:
    # Pulumi drops null values from exported objects; the program exports them as None.
    outputs = example_outputs()
    outputs["recording"]["eu-west-1"] = {"managed": False}
    assert parse_outputs(outputs).recording["eu-west-1"] == RegionRecording(False, None, None)


def test_keys_the_checks_do_not_use_are_ignored() -> None:
    data = example_outputs()
    data["someLaterOutput"] = {"anything": 1}
    assert parse_outputs(data).regions == ("us-east-1", "us-west-2", "eu-west-1")


def _without(key: str) -> Any:
    def change(data: dict[str, Any]) -> None:
        del data[key]

    return change


def _set(path: str, value: object) -> Any:
    def change(data: dict[str, Any]) -> None:
        *parents, last = path.split("/")
        target = data
        for part in parents:
            target = target[part]
        target[last] = value

    return change


def _delete(path: str) -> Any:
    def change(data: dict[str, Any]) -> None:
        *parents, last = path.split("/")
        target = data
        for part in parents:
            target = target[part]
        del target[last]

    return change


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (_without("primaryRegion"), "missing key 'primaryRegion'"),
        (_without("regions"), "missing key 'regions'"),
        (_without("kmsKeyArn"), "missing key 'kmsKeyArn'"),
        (_without("aggregatorArn"), "missing key 'aggregatorArn'"),
        (_without("recording"), "missing key 'recording'"),
        (_without("rules"), "missing key 'rules'"),
        (_set("bucketName", ""), "'bucketName' must be a non-empty string, got ''"),
        (_set("aggregatorName", 7), "'aggregatorName' must be a non-empty string, got 7"),
        (_set("regions", []), "'regions' must be a non-empty list of region names, got []"),
        (_set("regions", "us-east-1"), "'regions' must be a non-empty list of region names"),
        (
            _set("regions", ["us-east-1", "us-west-2", "eu-west-1", "us-west-2"]),
            "'regions' lists a region more than once",
        ),
        (_set("primaryRegion", "ap-south-1"), "'primaryRegion' 'ap-south-1' is not one of 'regions'"),
        (_set("evaluationFrequency", "Daily"), "'evaluationFrequency' must be one of One_Hour, Three_Hours"),
        (_set("topicArn", "config-compliance-alerts-dev"), "'topicArn' must be an ARN of service sns"),
        (
            _set("kmsKeyArn", f"arn:aws:sns:us-east-1:{ACCOUNT}:key"),
            "'kmsKeyArn' must be an ARN of service kms",
        ),
        (_set("aggregatorArn", "arn:aws:config::123:x"), "'aggregatorArn' must be an ARN of service config"),
        (_set("recording", []), "'recording' must be an object keyed by region, got []"),
        (_delete("recording/us-west-2"), "missing key 'recording.us-west-2'"),
        (
            _set("recording/ap-south-1", {"managed": False}),
            "'recording.ap-south-1' is not one of 'regions'",
        ),
        (_set("recording/us-east-1", "yes"), "'recording.us-east-1' must be an object, got 'yes'"),
        (_set("recording/us-east-1/managed", "true"), "'recording.us-east-1.managed' must be true or false"),
        (_delete("recording/us-east-1/managed"), "'recording.us-east-1.managed' must be true or false, got"),
        (_delete("recording/us-east-1/recorderName"), "missing key 'recording.us-east-1.recorderName'"),
        (
            _set("recording/us-west-2/deliveryChannelName", None),
            "'recording.us-west-2.deliveryChannelName' must be a non-empty string, got None",
        ),
        (
            _set("recording/eu-west-1/recorderName", "default"),
            "'recording.eu-west-1.recorderName' must be null or absent when 'managed' is false",
        ),
        (_set("rules/us-east-1", {}), "'rules.us-east-1' must be a non-empty object keyed by check name"),
        (_delete("rules/eu-west-1"), "missing key 'rules.eu-west-1'"),
        (_delete("rules/us-west-2/backup"), "'rules.us-west-2' lacks checks other regions have: backup"),
        (
            _set("rules/us-east-1/encryption", "compliance-encryption-dev-us-east-1"),
            "'rules.us-east-1.encryption' must be an object with 'ruleName' and 'functionArn'",
        ),
        (_delete("rules/us-east-1/backup/ruleName"), "missing key 'rules.us-east-1.backup.ruleName'"),
        (
            _set("rules/us-east-1/backup/functionArn", "compliance-backup-dev-us-east-1"),
            "'rules.us-east-1.backup.functionArn' must be an ARN of service lambda",
        ),
        (_set("regions", ["us-east-1", "US-WEST-2"]), "'regions' holds names that are not region codes"),
        (_set("topicArn", f"arn:aws:sns:us east 1:{ACCOUNT}:t"), "'topicArn' must be an ARN of service sns"),
        (_without("alertPath"), "missing key 'alertPath'"),
        (_delete("alertPath/eu-west-1"), "missing key 'alertPath.eu-west-1'"),
        (_set("alertPath/us-east-1", []), "'alertPath.us-east-1' must be an object, got []"),
        (_set("alertPath/us-east-1/ruleNames", []), "'alertPath.us-east-1.ruleNames' must be a non-empty"),
        (_delete("alertPath/us-east-1/alarmNames"), "'alertPath.us-east-1.alarmNames' must be a non-empty"),
        (
            _set("alertPath/us-west-2/deadLetterQueueArn", f"arn:aws:sqs:us-east-1:{ACCOUNT}:q"),
            "'alertPath.us-west-2.deadLetterQueueArn' is in another region than us-west-2",
        ),
        (
            _set("alertPath/us-west-2/deadLetterQueueUrl", "http://127.0.0.1:5000/123/q"),
            "'alertPath.us-west-2.deadLetterQueueUrl' must be the URL of the queue in 'deadLetterQueueArn'",
        ),
        (
            _set(
                "alertPath/us-west-2/deadLetterQueueUrl",
                f"https://sqs.us-west-2.amazonaws.com/{ACCOUNT}/another-queue",
            ),
            "'alertPath.us-west-2.deadLetterQueueUrl' must be the URL of the queue in 'deadLetterQueueArn'",
        ),
        (_delete("alertPath/us-west-2/deadLetterQueueUrl"), "missing key 'alertPath.us-west-2.deadLetterQ"),
    ],
)
def test_each_malformed_output_is_named(change: Any, expected: str) -> None:
    data = example_outputs()
    change(data)
    with pytest.raises(OutputsError, match="are unusable") as raised:
        parse_outputs(data, source="stack dev")
    assert expected in str(raised.value)
    assert str(raised.value).startswith("stack outputs from stack dev are unusable:\n  - ")


def test_every_problem_is_reported_in_one_error() -> None:
    data = example_outputs()
    del data["bucketName"]
    data["evaluationFrequency"] = "Hourly"
    data["recording"]["us-east-1"]["managed"] = None
    del data["rules"]["us-west-2"]["encryption"]["functionArn"]

    with pytest.raises(OutputsError) as raised:
        parse_outputs(copy.deepcopy(data))

    problems = str(raised.value).splitlines()[1:]
    assert problems == [
        "  - 'evaluationFrequency' must be one of One_Hour, Three_Hours, Six_Hours, Twelve_Hours, "
        "TwentyFour_Hours, got 'Hourly'",
        "  - missing key 'bucketName'",
        "  - 'recording.us-east-1.managed' must be true or false, got None",
        "  - missing key 'rules.us-west-2.encryption.functionArn'",
    ]


def test_a_document_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(OutputsError, match="must be a JSON object, got list"):
        parse_outputs([example_outputs()], source="x.json")


def test_invalid_json_is_refused_naming_its_source() -> None:
    with pytest.raises(OutputsError, match=r"stack outputs from x.json are not valid JSON: Expecting"):
        parse_outputs_json("{'primaryRegion': 'us-east-1'}", source="x.json")


def test_outputs_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(example_outputs()), encoding="utf-8")
    assert load_outputs_file(path).bucket_name == f"config-archive-dev-{ACCOUNT}"


def test_missing_outputs_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(OutputsError, match=r"cannot read stack outputs file .*missing.json: No such file"):
        load_outputs_file(tmp_path / "missing.json")


def _fake_pulumi(directory: Path, script: str) -> None:
    """A `pulumi` executable on PATH that checks its arguments and runs ``script``."""
    path = directory / "pulumi"
    path.write_text(
        "#!/bin/sh\n"
        'if [ "$*" != "stack output --json --stack dev" ]; then\n'
        '  echo "unexpected arguments: $*" >&2; exit 9\n'
        "fi\n" + script
    )
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def test_stack_outputs_come_from_pulumi_stack_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    saved = tmp_path / "saved.json"
    saved.write_text(json.dumps(example_outputs()), encoding="utf-8")
    _fake_pulumi(tmp_path, f"cat {saved}\n")
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")

    assert read_stack_outputs("dev").aggregator_name == "config-compliance-dev"


def test_a_failing_pulumi_command_is_reported_with_its_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_pulumi(tmp_path, "echo 'error: no stack named dev found' >&2\nexit 255\n")
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")

    with pytest.raises(OutputsError, match=r"exited with 255: error: no stack named dev found$"):
        read_stack_outputs("dev")


def test_pulumi_output_that_is_not_the_stack_shape_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_pulumi(tmp_path, "echo '{}'\n")
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")

    with pytest.raises(OutputsError, match="stack outputs from stack dev are unusable"):
        read_stack_outputs("dev")


def test_without_the_pulumi_cli_the_error_says_what_to_do_instead(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(OutputsError, match=r"pulumi CLI was not found on PATH.*pass --outputs FILE"):
        read_stack_outputs("dev")
