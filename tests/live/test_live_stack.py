"""Against a real deployment: the verify command passes, and a change reaches an evaluation and an alert.

The round trip creates one unencrypted 1 GiB EBS volume (a few cents per month, deleted at the end),
waits for the encryption rule of its region to report it NON_COMPLIANT, and waits for that alert on a
temporary SQS queue subscribed to the alert topic (tests/live/delivery.py). It runs in the primary
region and, when the stack has another region, in a second one (``CONFIG_COMPLIANCE_LIVE_SECOND_REGION``,
default the first configured region after the primary), whose event must cross to the primary bus.
Config needs minutes to record a change and invoke the rule: each round trip is bounded by
``CONFIG_COMPLIANCE_LIVE_TIMEOUT`` seconds (default 900).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.live.delivery import is_non_compliant_alert, subscribed_queue, wait_for_message
from verification.outputs import StackOutputs

REPOSITORY = Path(__file__).resolve().parents[2]
POLL_SECONDS = 20
VOLUME = "AWS::EC2::Volume"


def test_the_verify_command_passes(outputs_arguments: list[str]) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "verification", *outputs_arguments],
        capture_output=True,
        text=True,
        cwd=REPOSITORY,
        timeout=600,
        check=False,
    )
    print(completed.stdout)
    assert completed.returncode == 0, completed.stdout + completed.stderr


def _non_compliant_rules(config: Any, volume_id: str) -> dict[str, str]:
    details = config.get_compliance_details_by_resource(
        ResourceType="AWS::EC2::Volume", ResourceId=volume_id, ComplianceTypes=["NON_COMPLIANT"]
    )["EvaluationResults"]
    qualifiers = [(d["EvaluationResultIdentifier"]["EvaluationResultQualifier"], d) for d in details]
    return {qualifier["ConfigRuleName"]: d.get("Annotation", "") for qualifier, d in qualifiers}


def round_trip_region(stack_outputs: StackOutputs, where: str) -> str:
    if where == "primary":
        return stack_outputs.primary_region
    others = [region for region in stack_outputs.regions if region != stack_outputs.primary_region]
    region = os.environ.get("CONFIG_COMPLIANCE_LIVE_SECOND_REGION") or (others[0] if others else "")
    if not region:
        pytest.skip("the stack has one region: no event crosses to the primary bus")
    if region not in others:
        pytest.fail(f"CONFIG_COMPLIANCE_LIVE_SECOND_REGION={region} is not a non-primary region of the stack")
    return region


@contextmanager
def unencrypted_volume(ec2: Any) -> Iterator[str]:
    zone = ec2.describe_availability_zones(Filters=[{"Name": "state", "Values": ["available"]}])[
        "AvailabilityZones"
    ][0]["ZoneName"]
    marker = f"compliance-live-test-{uuid.uuid4().hex[:8]}"
    volume_id = ec2.create_volume(
        AvailabilityZone=zone,
        Size=1,
        VolumeType="gp3",
        Encrypted=False,
        TagSpecifications=[{"ResourceType": "volume", "Tags": [{"Key": "Name", "Value": marker}]}],
    )["VolumeId"]
    try:
        yield volume_id
    finally:
        ec2.get_waiter("volume_available").wait(VolumeIds=[volume_id])
        ec2.delete_volume(VolumeId=volume_id)


@pytest.mark.parametrize("where", ["primary", "second"])
def test_an_unencrypted_volume_is_reported_and_alerted(stack_outputs: StackOutputs, where: str) -> None:
    region = round_trip_region(stack_outputs, where)
    rule = next(r for r in stack_outputs.rules[region] if r.check == "encryption")
    timeout = float(os.environ.get("CONFIG_COMPLIANCE_LIVE_TIMEOUT", "900"))
    ec2 = boto3.client("ec2", region_name=region)
    config = boto3.client("config", region_name=region)
    if ec2.get_ebs_encryption_by_default()["EbsEncryptionByDefault"]:
        pytest.skip(f"EBS encryption by default is on in {region}: an unencrypted volume cannot be created")
    sns = boto3.client("sns", region_name=stack_outputs.topic_region)
    sqs = boto3.client("sqs", region_name=stack_outputs.topic_region)
    # Subscribed before the volume exists, so its alert cannot go out before anyone listens.
    with (
        subscribed_queue(sns, sqs, stack_outputs.topic_arn) as subscriber,
        unencrypted_volume(ec2) as volume_id,
    ):
        deadline = time.monotonic() + timeout
        found: dict[str, str] = {}
        while time.monotonic() < deadline:
            found = _non_compliant_rules(config, volume_id)
            if rule.rule_name in found:
                break
            time.sleep(POLL_SECONDS)
        assert rule.rule_name in found, (
            f"{rule.rule_name} did not report {volume_id} NON_COMPLIANT within {timeout:.0f} s "
            f"(non-compliant in: {sorted(found) or 'no rule'})"
        )
        assert "not encrypted" in found[rule.rule_name]

        alert, others = wait_for_message(
            sqs,
            subscriber.queue_url,
            lambda text: is_non_compliant_alert(text, VOLUME, volume_id, rule.rule_name),
            max(deadline - time.monotonic(), POLL_SECONDS),
        )
        assert alert is not None, (
            f"no NON_COMPLIANT alert for {volume_id} reached {stack_outputs.topic_arn} from {region} "
            f"(other messages: {others or 'none'}); see the alert-path dead-letter queue and alarms"
        )
        assert f", region {region}, " in alert
