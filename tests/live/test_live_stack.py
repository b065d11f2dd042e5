"""Against a real deployment: the verify command passes, and a change reaches an evaluation.

The round trip creates one unencrypted 1 GiB EBS volume (a few cents per month, deleted at the end),
then waits for the encryption rule of its region to report it NON_COMPLIANT. Config needs minutes to
record a change and invoke the rule: the wait is bounded by ``CONFIG_COMPLIANCE_LIVE_TIMEOUT`` seconds
(default 900).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest

from verification.outputs import StackOutputs

REPOSITORY = Path(__file__).resolve().parents[2]
POLL_SECONDS = 20


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


def test_an_unencrypted_volume_is_reported_non_compliant(stack_outputs: StackOutputs) -> None:
    region = os.environ.get("CONFIG_COMPLIANCE_LIVE_REGION", stack_outputs.primary_region)
    rule = next(r for r in stack_outputs.rules[region] if r.check == "encryption")
    timeout = float(os.environ.get("CONFIG_COMPLIANCE_LIVE_TIMEOUT", "900"))
    ec2 = boto3.client("ec2", region_name=region)
    config = boto3.client("config", region_name=region)
    if ec2.get_ebs_encryption_by_default()["EbsEncryptionByDefault"]:
        pytest.skip(f"EBS encryption by default is on in {region}: an unencrypted volume cannot be created")
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
    finally:
        ec2.get_waiter("volume_available").wait(VolumeIds=[volume_id])
        ec2.delete_volume(VolumeId=volume_id)
