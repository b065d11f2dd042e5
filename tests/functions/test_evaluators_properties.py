"""Property tests: no configuration-item or event shape crashes an evaluation, and every evaluation
produced is one PutEvaluations accepts (checked with botocore's own validator for the Config model)."""

from __future__ import annotations

import json
from typing import Any

import botocore.session
from botocore.validate import validate_parameters
from evaluator_support import CAPTURE_DATETIME
from evaluators import backup, encryption, required_tags
from evaluators.backup_plans import Selection, TagCondition
from evaluators.errors import InvalidEventError, InvalidParameterError
from evaluators.events import parse_event
from evaluators.items import ConfigurationItem, item_from_record
from evaluators.verdicts import MAX_ANNOTATION, Compliance, Evaluation, MissingEvidence, Verdict
from hypothesis import given, settings
from hypothesis import strategies as st

from components.catalog import recorded_resource_types

PUT_EVALUATIONS = botocore.session.get_session().get_service_model("config").operation_model("PutEvaluations")

FIELD_NAMES = [
    "encrypted",
    "kmsKeyId",
    "storageEncrypted",
    "Encrypted",
    "KmsKeyId",
    "SSEDescription",
    "sSEDescription",
    "Status",
    "SSEType",
    "KMSMasterKeyArn",
    "KmsMasterKeyId",
    "SqsManagedSseEnabled",
    "backupRetentionPeriod",
    "BackupPolicy",
    "ServerSideEncryptionConfiguration",
    "rules",
    "applyServerSideEncryptionByDefault",
    "sseAlgorithm",
    "kmsMasterKeyID",
    "ContinuousBackupsDescription",
    "PointInTimeRecoveryDescription",
    "PointInTimeRecoveryStatus",
    "tableName",
]
VALUES = [
    "ENABLED",
    "DISABLED",
    "KMS",
    "aws:kms",
    "aws:kms:dsse",
    "AES256",
    "true",
    "false",
    "7",
    "alias/aws/sqs",
]
# Every type the rules are scoped to, plus one no check evaluates.
RESOURCE_TYPES = [*recorded_resource_types(), "AWS::Lambda::Function"]

scalars = st.none() | st.booleans() | st.integers(-5, 50) | st.sampled_from(VALUES) | st.text(max_size=12)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(FIELD_NAMES) | st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)
documents = st.dictionaries(st.sampled_from(FIELD_NAMES), json_values, max_size=5)
tag_maps = st.dictionaries(
    st.sampled_from(["Owner", "Environment", "owner", "backup"]) | st.text(max_size=5),
    st.sampled_from(["", " ", "prod", "dev", "daily"]) | st.text(max_size=300),
    max_size=4,
)
items = st.builds(
    ConfigurationItem,
    resource_type=st.sampled_from(RESOURCE_TYPES),
    resource_id=st.text(min_size=1, max_size=40),
    arn=st.none()
    | st.sampled_from(["arn:aws:ec2:us-east-1:1:volume/v", "arn:aws:dynamodb:us-east-1:1:table/t"]),
    configuration=documents,
    supplementary=documents,
    tags=tag_maps,
)
encryption_parameters = st.builds(
    encryption.EncryptionParameters,
    require_kms=st.booleans(),
    allowed_keys=st.frozensets(
        st.sampled_from(["arn:aws:kms:us-east-1:1:key/k", "arn:aws:kms:us-east-1:1:alias/a"])
    ),
)
conditions = st.builds(
    TagCondition,
    operator=st.sampled_from(["StringEquals", "StringNotEquals", "StringLike", "StringNotLike"]),
    key=st.sampled_from(["Owner", "backup"]),
    value=st.text(max_size=6) | st.just("*"),
)
selections = st.lists(
    st.builds(
        Selection,
        plan_name=st.sampled_from(["daily", "weekly"]),
        name=st.just("s"),
        resources=st.lists(
            st.sampled_from(["*", "arn:aws:ec2:*:*:volume/*", "[a-z]+(", "?"]), max_size=2
        ).map(tuple),
        not_resources=st.lists(st.sampled_from(["arn:aws:dynamodb:*"]), max_size=1).map(tuple),
        list_of_tags=st.lists(conditions, max_size=2).map(tuple),
        conditions=st.lists(conditions, max_size=2).map(tuple),
    ),
    max_size=3,
).map(tuple)


def assert_acceptable(item: ConfigurationItem, verdict: Verdict) -> None:
    evaluation = Evaluation(
        item.resource_type, item.resource_id, verdict.compliance, verdict.annotation, CAPTURE_DATETIME
    )
    body = evaluation.to_api()
    assert body["ComplianceType"] in {c.value for c in Compliance}
    assert "Annotation" not in body or 1 <= len(body["Annotation"]) <= MAX_ANNOTATION
    validate_parameters({"Evaluations": [body], "ResultToken": "t"}, PUT_EVALUATIONS.input_shape)


@settings(max_examples=200, deadline=None)
@given(item=items, params=encryption_parameters)
def test_encryption_never_crashes(item: ConfigurationItem, params: encryption.EncryptionParameters) -> None:
    try:
        verdict = encryption.evaluate(item, params)
    except MissingEvidence:
        return
    assert_acceptable(item, verdict)


@settings(max_examples=200, deadline=None)
@given(item=items, raw=st.text(max_size=60))
def test_required_tags_never_crashes(item: ConfigurationItem, raw: str) -> None:
    try:
        required = required_tags.parse_parameters({"requiredTags": raw})
    except InvalidParameterError as error:
        assert error.parameter == "requiredTags"
        return
    verdict = required_tags.evaluate(item, required)  # tags alone decide: never missing evidence
    assert_acceptable(item, verdict)
    if verdict.compliance is Compliance.COMPLIANT:
        assert all(tag.key in item.tags for tag in required)


@settings(max_examples=200, deadline=None)
@given(
    item=items,
    params=st.builds(
        backup.BackupParameters,
        min_retention_days=st.integers(1, 35),
        require_backup_plan=st.booleans(),
        check_read_replicas=st.booleans(),
    ),
    plans=selections,
)
def test_backup_never_crashes(
    item: ConfigurationItem, params: backup.BackupParameters, plans: tuple[Selection, ...]
) -> None:
    try:
        verdict = backup.evaluate(item, params, plans)
    except MissingEvidence:
        return
    assert_acceptable(item, verdict)
    if verdict.compliance is Compliance.COMPLIANT and params.require_backup_plan:
        assert item.arn is not None
        assert any(s.covers(item.arn, item.tags) for s in plans)
    if verdict.compliance is Compliance.COMPLIANT:
        assert item.resource_type != "AWS::EC2::Volume" or params.require_backup_plan


raw_records = st.dictionaries(
    st.sampled_from(
        [
            "resourceType",
            "resourceId",
            "ARN",
            "arn",
            "configuration",
            "supplementaryConfiguration",
            "tags",
            "configurationItemStatus",
            "configurationItemCaptureTime",
            "resourceName",
        ]
    ),
    json_values | st.sampled_from(["2026-01-01T00:00:00Z", "{}", '{"encrypted": true}', "ResourceDeleted"]),
)


@settings(max_examples=200, deadline=None)
@given(raw=raw_records)
def test_any_record_is_normalized_or_rejected_by_name(raw: dict[str, Any]) -> None:
    try:
        item = item_from_record(raw)
    except InvalidEventError as error:
        assert str(error).startswith("configurationItem")
        return
    assert item.resource_type and item.resource_id
    assert isinstance(item.configuration, dict) and isinstance(item.supplementary, dict)


@settings(max_examples=200, deadline=None)
@given(
    invoking=st.dictionaries(
        st.sampled_from(
            [
                "messageType",
                "configurationItem",
                "configurationItemSummary",
                "notificationCreationTime",
                "awsAccountId",
            ]
        ),
        json_values
        | raw_records
        | st.sampled_from(["ScheduledNotification", "ConfigurationItemChangeNotification"]),
    ),
    extra=st.dictionaries(
        st.sampled_from(["resultToken", "ruleParameters", "eventLeftScope", "configRuleName", "accountId"]),
        json_values,
    ),
)
def test_any_event_parses_or_fails_naming_a_field(invoking: dict[str, Any], extra: dict[str, Any]) -> None:
    event = {"invokingEvent": json.dumps(invoking), **extra}
    try:
        parse_event(event)
    except InvalidEventError as error:
        assert str(error).split(":")[0].split(".")[0] in {
            "invokingEvent",
            "resultToken",
            "ruleParameters",
            "eventLeftScope",
            "configRuleName",
            "accountId",
        }
