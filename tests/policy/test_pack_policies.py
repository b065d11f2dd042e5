"""The pack's policies: names from the catalogue, advisory by default, unknown values never passed,
configuration errors that name the key, and the command that writes the configuration from a stack."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from evaluators.exceptions import utc_today
from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
)
from pulumi_policy.proxy import unknown_checking_proxy

from components.catalog import CHECKS
from policy import configure
from policy.preventive import adapters as a
from policy.preventive.config import SETTINGS, PackConfigError, config_schema
from policy.preventive.policies import policies
from tests.policy.policy_support import UNKNOWN, Spec, run_policy

KEY = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def test_one_advisory_policy_per_catalogue_check_with_the_stack_setting_names() -> None:
    built = policies()
    assert [p.name for p in built] == [c.name for c in CHECKS]
    assert {p.enforcement_level for p in built} == {EnforcementLevel.ADVISORY}
    assert [p.description for p in built] == [c.description for c in CHECKS]
    schema = built[0].config_schema
    assert schema is not None
    assert set(schema.properties) == {
        "exceptions",
        "requireKms",
        "allowedKmsKeyArns",
        "requiredTags",
        "minBackupRetentionDays",
        "requireBackupPlan",
        "checkReadReplicas",
    }
    assert schema.properties["requiredTags"]["default"] == ["Environment", "Owner"]
    assert schema.properties["minBackupRetentionDays"] == {"type": "integer", "minimum": 1, "default": 7}
    assert config_schema()["requireBackupPlan"] == {"type": "boolean", "default": True}


def test_a_key_unknown_at_preview_is_not_checkable_never_a_pass() -> None:
    outcome = run_policy("encryption", [Spec(a.VOLUME, "data", {"encrypted": True, "kmsKeyId": UNKNOWN})], {})
    # Without an allow-list the key does not matter: encrypted is known and enough.
    assert outcome.messages == [] and outcome.undecided is None
    outcome = run_policy(
        "encryption",
        [Spec(a.VOLUME, "data", {"encrypted": True, "kmsKeyId": UNKNOWN})],
        {"allowedKmsKeyArns": [KEY]},
    )
    assert outcome.messages == []
    assert outcome.undecided is not None
    assert "aws:ebs/volume:Volume 'data'" in outcome.undecided
    assert "its KMS key is another resource's output, unknown at preview" in outcome.undecided


def test_an_unknown_resource_does_not_hide_the_others_findings() -> None:
    outcome = run_policy(
        "encryption",
        [
            Spec(a.VOLUME, "known", {"encrypted": False}),
            Spec(a.TOPIC, "pending", {"name": UNKNOWN}),
        ],
        {},
    )
    assert len(outcome.messages) == 1 and "'known'" in outcome.messages[0]
    assert outcome.undecided is not None and "'pending'" in outcome.undecided


def test_unknown_default_tags_decide_only_what_the_own_tags_already_satisfy() -> None:
    tags = {"Environment": "prod", "Owner": "team"}
    satisfied = run_policy(
        "required-tags", [Spec(a.QUEUE, "q", {"name": "q", "tags": tags, "tagsAll": UNKNOWN})]
    )
    assert satisfied.messages == [] and satisfied.undecided is None
    missing = run_policy("required-tags", [Spec(a.QUEUE, "q", {"name": "q", "tags": {}, "tagsAll": UNKNOWN})])
    assert missing.messages == []
    assert missing.undecided is not None and "tagsAll" in missing.undecided


def test_violations_name_the_resource_the_fix_and_the_aws_default_relied_on() -> None:
    outcome = run_policy("encryption", [Spec(a.BUCKET, "assets", {"bucket": "assets"})], {"requireKms": True})
    (message,) = outcome.messages
    assert message.startswith("aws:s3/bucket:Bucket 'assets': S3 bucket uses SSE-S3; requireKms demands")
    assert "To fix: add an aws.s3.BucketServerSideEncryptionConfiguration" in message
    assert "S3 encrypts every new bucket with SSE-S3 since January 2023" in message
    assert outcome.violations[0][1] == "urn:pulumi:test::project::aws:s3/bucket:Bucket::assets"


def test_missing_optional_inputs_take_the_aws_defaults() -> None:
    # An instance without rootBlockDevice still has a root volume: unencrypted unless asked.
    outcome = run_policy("encryption", [Spec(a.INSTANCE, "web", {"ami": "ami-1"})], {})
    (message,) = outcome.messages
    assert message.startswith(
        "rootBlockDevice of aws:ec2/instance:Instance 'web': EBS volume is not encrypted"
    )
    assert "set rootBlockDevice.encrypted=true" in message


@pytest.mark.parametrize(
    ("config", "named"),
    [
        ({"requireKMS": True}, "unknown configuration key 'requireKMS'"),
        ({"requireKms": "yes"}, "requireKms must be true or false, got 'yes'"),
        ({"minBackupRetentionDays": "7d"}, "minBackupRetentionDays must be a whole number"),
        ({"requiredTags": "Owner"}, "requiredTags must be a list of strings"),
        ({"allowedKmsKeyArns": ["not-a-key"]}, "allowedKmsKeyArns: not a KMS key or alias ARN"),
        ({"minBackupRetentionDays": 36}, "minBackupRetentionDays: expected 1 to 35, got 36"),
    ],
)
def test_malformed_configuration_names_the_key(config: dict[str, object], named: str) -> None:
    check = "backup" if "minBackupRetentionDays" in config else "encryption"
    if "requiredTags" in config:
        check = "required-tags"
    with pytest.raises(PackConfigError, match=named.replace("(", r"\(")) as raised:
        run_policy(check, [Spec(a.VOLUME, "v", {"encrypted": True})], config)
    assert str(raised.value).startswith(f"policy {check!r}: ")


def test_the_configure_command_writes_every_policy_from_the_stack_file(tmp_path: Path) -> None:
    output = tmp_path / "policy-config.json"
    assert configure.main(["--stack", "prod", "--output", str(output), "--mandatory", "encryption"]) == 0
    written = json.loads(output.read_text())
    assert set(written) == {c.name for c in CHECKS}
    assert written["encryption"]["enforcementLevel"] == "mandatory"
    assert written["backup"]["enforcementLevel"] == "advisory"
    assert written["encryption"]["requireKms"] is True
    assert written["required-tags"]["requiredTags"] == ["Environment=prod|staging", "Owner", "CostCenter"]
    assert written["backup"]["minBackupRetentionDays"] == 14
    assert set(written["backup"]) == {"enforcementLevel", "exceptions", *SETTINGS}
    assert written["backup"]["exceptions"] == []


def test_the_configure_command_refuses_what_it_cannot_use(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        configure.main(["--stack", "dev", "--mandatory", "encrypt"])
    assert "--mandatory names unknown policies: encrypt" in capsys.readouterr().err
    assert configure.main(["--stack", "nonexistent"]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_the_pack_entry_point_builds_the_catalogue_policies(monkeypatch: pytest.MonkeyPatch) -> None:
    """policy/__main__.py as Pulumi runs it; PolicyPack itself would start the analyzer's gRPC server."""
    import runpy

    import pulumi_policy

    built: list[dict[str, object]] = []
    monkeypatch.setattr(pulumi_policy, "PolicyPack", lambda **kwargs: built.append(kwargs))
    runpy.run_path(str(configure.PROJECT_ROOT / "policy" / "__main__.py"), run_name="__main__")
    (pack,) = built
    assert pack["name"] == "config-compliance"
    assert pack["enforcement_level"] is EnforcementLevel.ADVISORY
    assert [p.name for p in pack["policies"]] == [c.name for c in CHECKS]  # type: ignore[attr-defined]


def test_exceptions_that_are_not_the_stacks_document_name_the_key() -> None:
    with pytest.raises(PackConfigError, match="policy 'encryption': exceptions: "):
        run_policy("encryption", [Spec(a.VOLUME, "v", {"encrypted": True})], {"exceptions": [{"id": "x"}]})


def test_an_exception_limited_to_regions_reads_the_resource_s_own_region_first() -> None:
    """pulumi-aws 7 gives each regional resource a ``region`` input, "Region where this resource will be
    managed. Defaults to the Region set in the provider configuration." (pulumi_aws.ebs.VolumeArgs and
    every regional Args class): an exception for one region must not apply to a resource placed in
    another."""
    options = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])
    provider = PolicyResource(
        "pulumi:providers:aws",
        unknown_checking_proxy({"region": "us-east-1"}),
        "urn:p",
        "p",
        options,
        None,
        None,
        [],
        {},
    )

    def bucket(props: dict[str, str]) -> PolicyResource:
        return PolicyResource(
            a.BUCKET, unknown_checking_proxy(props), "urn:b", "b", options, provider, None, [], {}
        )

    config = {
        "requireKms": True,
        "exceptions": [
            {
                "id": "assets-sse-s3",
                "check": "encryption",
                "resource": "assets",
                "regions": ["us-east-1"],
                "reason": "accepted by the security review",
                "owner": "platform-team",
                "expires": (utc_today() + timedelta(days=30)).isoformat(),
            }
        ],
    }
    assert run_policy("encryption", [bucket({"bucket": "assets"})], config).messages == []
    elsewhere = run_policy("encryption", [bucket({"bucket": "assets", "region": "eu-west-1"})], config)
    assert len(elsewhere.messages) == 1 and "SSE-S3" in elsewhere.messages[0]
    unknown = run_policy("encryption", [bucket({"bucket": "assets", "region": UNKNOWN})], config)
    assert len(unknown.messages) == 1


def test_a_bucket_s_computed_inline_encryption_does_not_hide_its_configuration_resource() -> None:
    """Stack policies see each resource's planned state (pulumi/pulumi, deploy/step_generator.go:
    "AnalyzeStack is called on the final outputs of each resource"), where a new bucket's computed inline
    ``serverSideEncryptionConfiguration`` is unknown; the joined configuration resource decides anyway."""
    program = [
        Spec(a.BUCKET, "assets", {"bucket": "assets", "serverSideEncryptionConfiguration": UNKNOWN}),
        Spec(
            a.BUCKET_ENCRYPTION,
            "assets-sse",
            {
                "bucket": UNKNOWN,
                "rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms"}}],
            },
            {"bucket": ["assets"]},
        ),
    ]
    outcome = run_policy("encryption", program, {"requireKms": True})
    assert outcome.messages == [] and outcome.undecided is None
    alone = run_policy("encryption", program[:1], {"requireKms": True})
    assert alone.messages == [] and alone.undecided is not None
