"""The encryption check as a pure function of a configuration item and its parameters."""

from __future__ import annotations

from typing import Any

import pytest
from evaluators.encryption import EncryptionParameters, evaluate, key_allowed, parse_parameters
from evaluators.errors import InvalidParameterError
from evaluators.items import ConfigurationItem
from evaluators.verdicts import Compliance, MissingEvidence

KEY = "arn:aws:kms:us-east-1:123456789012:key/1111-2222"
OTHER_KEY = "arn:aws:kms:us-east-1:123456789012:key/9999"
DEFAULT = EncryptionParameters()
KMS = EncryptionParameters(require_kms=True)
ALLOW = EncryptionParameters(allowed_keys=frozenset({KEY}))


def item(
    resource_type: str, configuration: dict[str, Any], supplementary: dict[str, Any] | None = None
) -> ConfigurationItem:
    return ConfigurationItem(
        resource_type, "id-1", configuration=configuration, supplementary=supplementary or {}
    )


def verdict(
    resource_type: str, configuration: dict[str, Any], params: EncryptionParameters = DEFAULT, **kw: Any
) -> Compliance:
    return evaluate(item(resource_type, configuration, **kw), params).compliance


C, N, NA = Compliance.COMPLIANT, Compliance.NON_COMPLIANT, Compliance.NOT_APPLICABLE


@pytest.mark.parametrize(
    ("resource_type", "flag", "key_field"),
    [
        ("AWS::EC2::Volume", "encrypted", "kmsKeyId"),
        ("AWS::RDS::DBInstance", "storageEncrypted", "kmsKeyId"),
        ("AWS::RDS::DBCluster", "storageEncrypted", "kmsKeyId"),
        ("AWS::EFS::FileSystem", "Encrypted", "KmsKeyId"),
    ],
)
def test_kms_only_storage(resource_type: str, flag: str, key_field: str) -> None:
    assert verdict(resource_type, {flag: False, key_field: KEY}) is N
    assert verdict(resource_type, {flag: True, key_field: KEY}) is C
    assert verdict(resource_type, {flag: True, key_field: KEY}, KMS) is C  # these are always KMS
    assert verdict(resource_type, {flag: True, key_field: KEY}, ALLOW) is C
    assert verdict(resource_type, {flag: True, key_field: OTHER_KEY}, ALLOW) is N
    assert verdict(resource_type, {flag.upper(): "true", key_field: KEY}) is C  # casing and string booleans
    with pytest.raises(MissingEvidence, match=f"configuration.{flag} is missing"):
        verdict(resource_type, {"unrelated": 1})


def test_unattached_volume_is_still_checked() -> None:
    assert verdict("AWS::EC2::Volume", {"encrypted": False, "attachments": [], "state": "available"}) is N


def sse(algorithm: str, key: str | None = None) -> dict[str, Any]:
    default: dict[str, Any] = {"sseAlgorithm": algorithm}
    if key:
        default["kmsMasterKeyID"] = key
    return {"ServerSideEncryptionConfiguration": {"rules": [{"applyServerSideEncryptionByDefault": default}]}}


@pytest.mark.parametrize(
    ("supplementary", "params", "expected"),
    [
        ({}, DEFAULT, C),  # SSE-S3 applies by default since January 2023
        ({}, KMS, N),
        (sse("AES256"), DEFAULT, C),
        (sse("AES256"), KMS, N),
        (sse("aws:kms", KEY), KMS, C),
        (sse("aws:kms:dsse", KEY), KMS, C),
        (sse("aws:kms"), ALLOW, N),  # the AWS managed key is not on the allow-list
        (sse("aws:kms", "1111-2222"), ALLOW, C),  # bare key id of an allowed ARN
        (sse("aws:kms", OTHER_KEY), ALLOW, N),
        (sse("rot13"), DEFAULT, N),
        ({"ServerSideEncryptionConfiguration": {"rules": []}}, DEFAULT, C),
    ],
)
def test_bucket(supplementary: dict[str, Any], params: EncryptionParameters, expected: Compliance) -> None:
    assert verdict("AWS::S3::Bucket", {"name": "b"}, params, supplementary=supplementary) is expected


def test_bucket_annotation_names_the_key() -> None:
    result = evaluate(item("AWS::S3::Bucket", {"name": "b"}, sse("aws:kms", OTHER_KEY)), ALLOW)
    assert (
        result.annotation == f"S3 bucket (aws:kms) is encrypted with {OTHER_KEY}, which is not in kmsKeyArns."
    )


@pytest.mark.parametrize(
    ("configuration", "params", "expected"),
    [
        ({"tableName": "t"}, DEFAULT, C),  # no SSE description: AWS-owned key
        ({"tableName": "t"}, KMS, N),
        (
            {
                "tableName": "t",
                "sSEDescription": {"status": "ENABLED", "sSEType": "KMS", "kMSMasterKeyArn": KEY},
            },
            KMS,
            C,
        ),
        (
            {
                "TableName": "t",
                "SSEDescription": {"Status": "ENABLED", "SSEType": "KMS", "KMSMasterKeyArn": KEY},
            },
            ALLOW,
            C,
        ),
        (
            {
                "TableName": "t",
                "SSEDescription": {"Status": "ENABLED", "SSEType": "KMS", "KMSMasterKeyArn": OTHER_KEY},
            },
            ALLOW,
            N,
        ),
        ({"TableName": "t", "SSEDescription": {"Status": "DISABLED"}}, KMS, N),
    ],
)
def test_table(configuration: dict[str, Any], params: EncryptionParameters, expected: Compliance) -> None:
    assert verdict("AWS::DynamoDB::Table", configuration, params) is expected


@pytest.mark.parametrize(
    ("configuration", "params", "expected"),
    [
        ({"TopicArn": "arn"}, DEFAULT, N),
        ({"TopicArn": "arn", "KmsMasterKeyId": "alias/aws/sns"}, KMS, C),
        ({"TopicArn": "arn", "KmsMasterKeyId": "alias/aws/sns"}, ALLOW, N),
        ({"TopicArn": "arn", "KmsMasterKeyId": KEY}, ALLOW, C),
    ],
)
def test_topic(configuration: dict[str, Any], params: EncryptionParameters, expected: Compliance) -> None:
    assert verdict("AWS::SNS::Topic", configuration, params) is expected


@pytest.mark.parametrize(
    ("configuration", "params", "expected"),
    [
        ({"QueueUrl": "u", "SqsManagedSseEnabled": "false"}, DEFAULT, N),
        ({"QueueUrl": "u", "SqsManagedSseEnabled": "true"}, DEFAULT, C),  # a string in configuration items
        ({"QueueUrl": "u", "SqsManagedSseEnabled": True}, KMS, N),
        ({"QueueUrl": "u", "KmsMasterKeyId": "alias/aws/sqs"}, KMS, C),
        (
            {"QueueUrl": "u", "KmsMasterKeyId": "alias/mine"},
            EncryptionParameters(allowed_keys=frozenset({"arn:aws:kms:us-east-1:123456789012:alias/mine"})),
            C,
        ),
    ],
)
def test_queue(configuration: dict[str, Any], params: EncryptionParameters, expected: Compliance) -> None:
    assert verdict("AWS::SQS::Queue", configuration, params) is expected


def test_empty_configuration_is_not_evidence() -> None:
    for resource_type in ("AWS::S3::Bucket", "AWS::DynamoDB::Table", "AWS::SNS::Topic", "AWS::SQS::Queue"):
        with pytest.raises(MissingEvidence, match="no configuration"):
            verdict(resource_type, {})


def test_other_types_are_not_applicable() -> None:
    result = evaluate(item("AWS::EC2::Instance", {"x": 1}), DEFAULT)
    assert result.compliance is NA and "not evaluated by the encryption check" in result.annotation


def test_parameters() -> None:
    assert parse_parameters({}) == DEFAULT
    assert parse_parameters(
        {"requireKms": "true", "kmsKeyArns": f"{KEY}, {OTHER_KEY}"}
    ) == EncryptionParameters(True, frozenset({KEY, OTHER_KEY}))
    with pytest.raises(InvalidParameterError, match="'kmsKeyArns': not a KMS key or alias ARN: '1111'"):
        parse_parameters({"kmsKeyArns": "1111"})
    with pytest.raises(InvalidParameterError, match="'requireKms'"):
        parse_parameters({"requireKms": "maybe"})


def test_key_allowed() -> None:
    assert key_allowed(None, frozenset())
    assert not key_allowed(None, frozenset({KEY}))
    assert key_allowed(KEY, frozenset({KEY}))
    assert key_allowed("1111-2222", frozenset({KEY}))
    assert not key_allowed("2222", frozenset({KEY}))


# DynamoDB table items as Config records them (camelCase keys, as in sSEDescription) and as DescribeTable
# returns them in sweeps (PascalCase). SSEDescription states from the DynamoDB API reference
# (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_SSEDescription.html).
def config_table(table_status: str = "ACTIVE", **sse: Any) -> dict[str, Any]:
    table: dict[str, Any] = {"tableName": "orders", "tableStatus": table_status, "itemCount": 0}
    if sse:
        table["sSEDescription"] = sse
    return table


@pytest.mark.parametrize(
    ("configuration", "params", "expected"),
    [
        # A table being created with a KMS key shows ENABLING: it is KMS-encrypted, key checked.
        (config_table("CREATING", status="ENABLING", sSEType="KMS", kMSMasterKeyArn=KEY), KMS, C),
        (config_table("CREATING", status="ENABLING", sSEType="KMS", kMSMasterKeyArn=OTHER_KEY), ALLOW, N),
        (config_table(status="UPDATING", sSEType="KMS", kMSMasterKeyArn=KEY), ALLOW, C),
        (config_table(status="UPDATING", sSEType="KMS", kMSMasterKeyArn=OTHER_KEY), ALLOW, N),
        # ENABLED without SSEType: KMS (the AWS-owned key has no description at all).
        (config_table(status="ENABLED", kMSMasterKeyArn=KEY), KMS, C),
        (config_table(status="ENABLED", kMSMasterKeyArn=OTHER_KEY), ALLOW, N),
        ({"TableName": "t", "TableStatus": "ACTIVE", "SSEDescription": {"Status": "ENABLED"}}, KMS, C),
        # Going back to the AWS-owned key.
        (config_table(status="DISABLING"), DEFAULT, C),
        (config_table(status="DISABLING"), KMS, N),
        (config_table(status="MYSTERY", sSEType="KMS"), DEFAULT, N),
    ],
)
def test_table_encryption_states(
    configuration: dict[str, Any], params: EncryptionParameters, expected: Compliance
) -> None:
    assert verdict("AWS::DynamoDB::Table", configuration, params) is expected


def test_table_whose_key_became_inaccessible_is_non_compliant() -> None:
    configuration = config_table(
        status="ENABLED", sSEType="KMS", kMSMasterKeyArn=KEY, inaccessibleEncryptionDateTime=1795000000.0
    )
    result = evaluate(item("AWS::DynamoDB::Table", configuration), DEFAULT)
    assert result.compliance is N
    assert result.annotation == (
        f"DynamoDB table's KMS key {KEY} has been inaccessible since 1795000000.0; "
        "DynamoDB archives the table after seven days."
    )


def test_table_being_deleted_is_not_applicable() -> None:
    deleting = config_table("DELETING", status="ENABLED", sSEType="KMS", kMSMasterKeyArn=OTHER_KEY)
    result = evaluate(item("AWS::DynamoDB::Table", deleting), ALLOW)
    assert (result.compliance, result.annotation) == (NA, "DynamoDB table is being deleted.")


def test_table_description_without_status_is_missing_evidence() -> None:
    with pytest.raises(MissingEvidence, match=r"SSEDescription\.Status is missing"):
        verdict("AWS::DynamoDB::Table", config_table(sSEType="KMS"))
