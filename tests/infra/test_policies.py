"""Every policy document the stack produces: linted, and each role limited to its catalogue entry."""

from __future__ import annotations

import json

import parliament
import pytest

from components.catalog import CHECKS, EVALUATOR_PERMISSIONS
from tests.infra.conftest import DEV_CONFIG
from tests.infra.program import ACCOUNT_ID, Deployment

SEVERITIES = ["MUTE", "INFO", "LOW", "MEDIUM", "HIGH", "CRITICAL"]


def policy_documents(deployment: Deployment) -> dict[str, str]:
    """Every IAM, bucket, key and topic policy in the stack, by resource name."""
    fields = {
        "aws:iam/role:Role": "assumeRolePolicy",
        "aws:iam/rolePolicy:RolePolicy": "policy",
        "aws:s3/bucketPolicy:BucketPolicy": "policy",
        "aws:kms/key:Key": "policy",
        "aws:sns/topicPolicy:TopicPolicy": "policy",
        "aws:sqs/queuePolicy:QueuePolicy": "policy",
    }
    return {
        r.name: r.inputs[field]
        for resource_type, field in fields.items()
        for r in deployment.of_type(resource_type)
    }


# The linter reads every document as an identity or resource policy; a trust policy has no Resource.
TRUST_POLICY_FINDING = "Statement contains neither Resource nor NotResource"


def findings_above_low(document: str, is_trust_policy: bool = False) -> list[str]:
    policy = parliament.analyze_policy_string(document)
    findings = [parliament.enhance_finding(finding) for finding in policy.findings]
    return [
        f"{finding.issue} ({finding.severity}): {finding.detail}"
        for finding in findings
        if SEVERITIES.index(finding.severity) > SEVERITIES.index("LOW")
        and not (is_trust_policy and finding.detail == TRUST_POLICY_FINDING)
    ]


def test_the_stack_produces_every_kind_of_policy(dev: Deployment) -> None:
    documents = policy_documents(dev)
    # Roles: Config, one per check, the alert forwarder; each with a trust and an inline policy.
    # Then the bucket, key and topic policies, and each region's dead-letter queue policy.
    assert len(documents) == 2 * (len(CHECKS) + 2) + 3 + len(DEV_CONFIG["regions"])


def test_every_policy_passes_the_linter(dev: Deployment) -> None:
    trust_policies = {role.name for role in dev.of_type("aws:iam/role:Role")}
    problems = {
        name: findings_above_low(document, is_trust_policy=name in trust_policies)
        for name, document in policy_documents(dev).items()
    }
    assert {name: found for name, found in problems.items() if found} == {}


def test_the_linter_catches_an_action_on_the_wrong_resource() -> None:
    statement = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::config-archive"}
    document = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    assert findings_above_low(document) == [
        "RESOURCE_MISMATCH (MEDIUM): [{'action': 's3:GetObject', 'required_format': 'arn:*:s3:::*/*'}]"
    ]


def test_no_identity_policy_allows_a_wildcard_action(dev: Deployment) -> None:
    for resource in dev.of_type("aws:iam/rolePolicy:RolePolicy"):
        for statement in json.loads(resource.inputs["policy"])["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            assert not any("*" in action for action in actions), (resource.name, actions)


@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.name)
def test_each_evaluator_role_holds_exactly_its_catalogue_actions(dev: Deployment, check) -> None:  # type: ignore[no-untyped-def]
    (policy,) = [
        r
        for r in dev.of_type("aws:iam/rolePolicy:RolePolicy")
        if r.inputs["role"] == f"compliance-{check.name}-dev"
    ]
    granted: set[tuple[str, str]] = set()
    log_resources: list[str] = []
    for statement in json.loads(policy.inputs["policy"])["Statement"]:
        assert statement["Effect"] == "Allow"
        if statement.get("Sid") == "WriteOwnLogs":
            log_resources = statement["Resource"]
            assert statement["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
            continue
        granted |= {(action, statement["Resource"]) for action in statement["Action"]}
    expected = {
        (permission.action, permission.resource.format(account=ACCOUNT_ID))
        for permission in (*check.read_permissions, *EVALUATOR_PERMISSIONS)
    }
    assert granted == expected
    assert sorted(log_resources) == sorted(
        f"arn:aws:logs:{region}:{ACCOUNT_ID}:log-group:/aws/lambda/compliance-{check.name}-dev-{region}:*"
        for region in ("us-east-1", "us-west-2", "eu-west-1")
    )


def test_forwarder_may_only_put_events_on_the_primary_bus(dev: Deployment) -> None:
    (policy,) = [
        r
        for r in dev.of_type("aws:iam/rolePolicy:RolePolicy")
        if r.inputs["role"] == "config-alert-forwarder-dev"
    ]
    (statement,) = json.loads(policy.inputs["policy"])["Statement"]
    assert statement["Action"] == "events:PutEvents"
    assert statement["Resource"] == f"arn:aws:events:us-east-1:{ACCOUNT_ID}:event-bus/default"


def test_every_role_trusts_one_service_from_this_account_only(dev: Deployment) -> None:
    for role in dev.of_type("aws:iam/role:Role"):
        (statement,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
        assert statement["Action"] == "sts:AssumeRole"
        assert set(statement["Principal"]) == {"Service"}
        assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT_ID}}
