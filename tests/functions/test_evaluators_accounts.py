"""Organization scope: an event for a member account is evaluated with the member role in that account.

moto keeps one estate per account and serves ``sts:AssumeRole`` with credentials that act in the role's
account, so the tests run over three accounts: the function's own and two members.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from evaluator_support import (
    ACCOUNT,
    REGION,
    ApiCalls,
    aws_error,
    change_event,
    configuration_item,
    scheduled_event,
)
from evaluators import backup, encryption
from evaluators.aws import CREDENTIALS_MARGIN
from evaluators.errors import InvalidEventError, MemberRoleError

MEMBERS = ("111111111111", "222222222222")
ROLE_NAME = "config-compliance-member-dev"


@dataclass(frozen=True)
class Context:
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:compliance-encryption-dev"


CONTEXT = Context()


def role_arn(account: str) -> str:
    return f"arn:aws:iam::{account}:role/{ROLE_NAME}"


def member_client(service: str, account: str) -> Any:
    """A client acting in ``account`` (moto: credentials from AssumeRole act in the role's account)."""
    arranging = boto3.session.Session()
    found = arranging.client("sts", region_name=REGION).assume_role(
        RoleArn=role_arn(account), RoleSessionName="arrange"
    )["Credentials"]
    return arranging.client(  # type: ignore[call-overload]
        service,
        region_name=REGION,
        aws_access_key_id=found["AccessKeyId"],
        aws_secret_access_key=found["SecretAccessKey"],
        aws_session_token=found["SessionToken"],
    )


def for_account(event: dict[str, Any], account: str) -> dict[str, Any]:
    return {**event, "accountId": account}


@pytest.fixture
def access_keys(api: ApiCalls) -> list[tuple[str, str]]:
    """(operation, access key id) of every call, from the signer each client would use."""
    seen: list[tuple[str, str]] = []

    def remember(model: Any, request_signer: Any, **kwargs: Any) -> None:
        seen.append((model.name, request_signer._credentials.access_key))

    assert boto3.DEFAULT_SESSION is not None
    boto3.DEFAULT_SESSION.events.register_first("before-call", remember)
    return seen


@pytest.fixture(autouse=True)
def member_role(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEMBER_ROLE_NAME", ROLE_NAME)


def test_a_member_sweep_reads_and_posts_as_the_member_role(
    api: ApiCalls, access_keys: list[tuple[str, str]]
) -> None:
    own = boto3.session.Session().client("ec2", region_name=REGION)
    own.create_volume(Size=1, AvailabilityZone=f"{REGION}a")
    volumes = {
        account: member_client("ec2", account).create_volume(
            Size=1, AvailabilityZone=f"{REGION}a", Encrypted=account == MEMBERS[0]
        )["VolumeId"]
        for account in MEMBERS
    }

    encryption.handler(for_account(scheduled_event(), MEMBERS[0]), CONTEXT)

    assert api.verdicts() == {volumes[MEMBERS[0]]: "COMPLIANT"}  # neither the own nor the other account's
    [assume] = [p for n, p in api.calls if n == "AssumeRole"]
    assert assume["RoleArn"] == role_arn(MEMBERS[0])
    keys = {operation: key for operation, key in access_keys}
    member_key = next(key for operation, key in access_keys if operation == "DescribeVolumes")
    assert member_key != keys["AssumeRole"]  # AssumeRole uses the function's own credentials
    assert {key for operation, key in access_keys if operation != "AssumeRole"} == {member_key}
    assert keys["PutEvaluations"] == member_key and keys["GetComplianceDetailsByConfigRule"] == member_key


def test_member_sweeps_build_arns_with_the_member_account(api: ApiCalls) -> None:
    volume = member_client("ec2", MEMBERS[1]).create_volume(Size=1, AvailabilityZone=f"{REGION}a")["VolumeId"]
    member_client("backup", MEMBERS[1]).create_backup_plan(
        BackupPlan={
            "BackupPlanName": "daily",
            "Rules": [{"RuleName": "r", "TargetBackupVaultName": "Default"}],
        }
    )
    selection = {
        "SelectionName": "member-volumes",
        "IamRoleArn": f"arn:aws:iam::{MEMBERS[1]}:role/backup",
        "Resources": [f"arn:aws:ec2:{REGION}:{MEMBERS[1]}:volume/*"],
    }
    api.respond("ListBackupSelections", lambda params: {"BackupSelectionsList": [{"SelectionId": "s"}]})
    api.respond("GetBackupSelection", lambda params: {"BackupSelection": selection})

    backup.handler(for_account(scheduled_event(), MEMBERS[1]), CONTEXT)

    assert api.verdicts() == {volume: "COMPLIANT"}


def test_the_own_account_makes_no_sts_call(api: ApiCalls) -> None:
    item = configuration_item("AWS::EC2::Volume", "vol-1", {"volumeId": "vol-1", "encrypted": True})
    encryption.handler(change_event(item), CONTEXT)
    assert [n for n, _ in api.calls] == ["PutEvaluations"]


def test_credentials_are_kept_per_account_until_shortly_before_they_expire(
    api: ApiCalls, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [datetime(2026, 11, 20, 12, 0, tzinfo=UTC)]
    expiry = now[0] + timedelta(hours=1)
    monkeypatch.setattr("evaluators.aws._now", lambda: now[0])
    issued: list[str] = []

    def assume(params: dict[str, Any]) -> dict[str, Any]:
        issued.append(params["RoleArn"])
        return {
            "Credentials": {
                "AccessKeyId": f"ASIA{len(issued):016d}",
                "SecretAccessKey": "secret",
                "SessionToken": "token",
                "Expiration": now[0] + timedelta(hours=1),  # AssumeRole's default duration
            }
        }

    api.respond("AssumeRole", assume)
    item = configuration_item("AWS::EC2::Volume", "vol-1", {"volumeId": "vol-1", "encrypted": True})
    for account in (*MEMBERS, *MEMBERS):
        encryption.handler(for_account(change_event(item), account), CONTEXT)
    assert issued == [role_arn(MEMBERS[0]), role_arn(MEMBERS[1])]  # one per account per container

    now[0] = expiry - CREDENTIALS_MARGIN  # within the margin: assume again before the next call
    encryption.handler(for_account(change_event(item), MEMBERS[0]), CONTEXT)
    assert issued[-1] == role_arn(MEMBERS[0]) and len(issued) == 3
    assert api.count()["PutEvaluations"] == 5


def test_a_member_refusing_the_role_fails_naming_account_and_role(api: ApiCalls) -> None:
    api.respond(
        "AssumeRole",
        lambda params: aws_error("AccessDenied", "not authorized to perform: sts:AssumeRole", 403),
    )
    item = configuration_item("AWS::EC2::Volume", "vol-1", {"volumeId": "vol-1", "encrypted": True})
    with pytest.raises(MemberRoleError) as raised:
        encryption.handler(for_account(change_event(item), MEMBERS[0]), CONTEXT)
    assert str(raised.value) == (
        f"account {MEMBERS[0]}: could not assume {role_arn(MEMBERS[0])} "
        "(AccessDenied: not authorized to perform: sts:AssumeRole)"
    )
    assert api.count()["PutEvaluations"] == 0


def test_another_account_without_a_member_role_fails_naming_it(
    api: ApiCalls, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MEMBER_ROLE_NAME")
    message = f"the event is for account {MEMBERS[0]}, not this function's account {ACCOUNT}"
    with pytest.raises(InvalidEventError, match=message):
        encryption.handler(for_account(scheduled_event(), MEMBERS[0]), CONTEXT)
    assert api.calls == []


def test_a_malformed_function_arn_is_rejected(api: ApiCalls) -> None:
    with pytest.raises(InvalidEventError, match=r"context\.invoked_function_arn: not a Lambda function ARN"):
        encryption.handler(scheduled_event(), Context(invoked_function_arn="compliance-encryption-dev"))
