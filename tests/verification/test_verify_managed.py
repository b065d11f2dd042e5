"""Verify on managed rules and conformance packs, with botocore's Stubber (moto implements neither the
rule evaluation status nor the conformance pack APIs): each request and response is checked against the
service model, so the shapes are the ones AWS documents."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.stub import Stubber

from verification import checks
from verification.checks import check_conformance_pack, check_managed_rule
from verification.organization import check_organization_conformance_pack, check_organization_managed_rule
from verification.outputs import ManagedRuleOutput, OrganizationOutputs, OutputsError, parse_outputs
from verification.results import Verdict

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
ACCOUNT = "123456789012"
VOLUMES = ManagedRuleOutput(
    "encrypted-volumes", "managed-dev--us-east-1-encrypted-volumes", "ENCRYPTED_VOLUMES", "change"
)
BACKUP = ManagedRuleOutput(
    "efs-backup", "managed-dev--us-east-1-efs-backup", "EFS_IN_BACKUP_PLAN", "periodic"
)
PACK = "encryption-baseline-dev"
ORGANIZATION = OrganizationOutputs(
    ("r-ab12",), ("111122223333",), True, "member-role", ("stack-set",), "SELF"
)
PACK_ARN_PREFIX = f"arn:aws:config:us-east-1:{ACCOUNT}:conformance-pack"
ORGANIZATION_PACK_ARN_PREFIX = f"arn:aws:config:us-east-1:{ACCOUNT}:organization-conformance-pack"
ORGANIZATION_RULE_ARN = f"arn:aws:config:us-east-1:{ACCOUNT}:organization-config-rule/x"


def described(name: str, identifier: str, frequency: str | None = None, owner: str = "AWS") -> dict[str, Any]:
    rule: dict[str, Any] = {
        "ConfigRuleName": name,
        "ConfigRuleArn": f"arn:aws:config:us-east-1:{ACCOUNT}:config-rule/config-rule-{len(name):06d}",
        "ConfigRuleState": "ACTIVE",
        "Source": {"Owner": owner, "SourceIdentifier": identifier},
    }
    if frequency:
        rule["MaximumExecutionFrequency"] = frequency
    return rule


def evaluation_status(name: str, **times: datetime | str) -> dict[str, Any]:
    return {"ConfigRulesEvaluationStatus": [{"ConfigRuleName": name, **times}]}


def expect_rule(stubber: Stubber, rule: dict[str, Any], status: dict[str, Any]) -> None:
    stubber.add_response(
        "describe_config_rules", {"ConfigRules": [rule]}, {"ConfigRuleNames": [rule["ConfigRuleName"]]}
    )
    stubber.add_response(
        "describe_config_rule_evaluation_status", status, {"ConfigRuleNames": [rule["ConfigRuleName"]]}
    )


# --- managed rules -------------------------------------------------------------------------------


def test_a_change_triggered_rule_that_never_evaluated_passes_when_active(config: tuple[Any, Stubber]) -> None:
    client, stubber = config
    activated = NOW - timedelta(days=9)
    expect_rule(
        stubber,
        described(VOLUMES.rule_name, "ENCRYPTED_VOLUMES"),
        evaluation_status(
            VOLUMES.rule_name, FirstActivatedTime=activated, LastSuccessfulInvocationTime=activated
        ),
    )
    assert check_managed_rule(client, VOLUMES, "Six_Hours", NOW) == (
        Verdict.PASS,
        f"rule {VOLUMES.rule_name} is ACTIVE and evaluates on changes (not evaluated yet); "
        "its last evaluation did not fail",
    )


def test_a_change_triggered_rule_last_evaluated_days_ago_passes(config: tuple[Any, Stubber]) -> None:
    client, stubber = config
    expect_rule(
        stubber,
        described(VOLUMES.rule_name, "ENCRYPTED_VOLUMES"),
        evaluation_status(VOLUMES.rule_name, LastSuccessfulEvaluationTime=NOW - timedelta(days=5)),
    )
    verdict, message = check_managed_rule(client, VOLUMES, "Six_Hours", NOW)
    assert verdict is Verdict.PASS and "last evaluated 120 h 00 min ago" in message


def test_a_change_triggered_rule_whose_last_evaluation_failed_fails(config: tuple[Any, Stubber]) -> None:
    client, stubber = config
    expect_rule(
        stubber,
        described(VOLUMES.rule_name, "ENCRYPTED_VOLUMES"),
        evaluation_status(
            VOLUMES.rule_name,
            LastSuccessfulEvaluationTime=NOW - timedelta(days=2),
            LastFailedEvaluationTime=NOW - timedelta(hours=1),
            LastErrorCode="InternalError",
            LastErrorMessage="could not evaluate",
        ),
    )
    assert check_managed_rule(client, VOLUMES, "Six_Hours", NOW) == (
        Verdict.FAIL,
        f"rule {VOLUMES.rule_name}: last evaluation failed at 2026-11-26 11:00 UTC: "
        "InternalError: could not evaluate",
    )


def test_a_periodic_rule_is_held_to_twice_its_own_frequency(config: tuple[Any, Stubber]) -> None:
    client, stubber = config
    rule = described(BACKUP.rule_name, "EFS_IN_BACKUP_PLAN", "TwentyFour_Hours")
    expect_rule(
        stubber,
        rule,
        evaluation_status(BACKUP.rule_name, LastSuccessfulEvaluationTime=NOW - timedelta(hours=47)),
    )
    verdict, message = check_managed_rule(client, BACKUP, "Six_Hours", NOW)
    assert verdict is Verdict.PASS and "limit 48 h: twice TwentyFour_Hours" in message
    expect_rule(
        stubber,
        rule,
        evaluation_status(BACKUP.rule_name, LastSuccessfulEvaluationTime=NOW - timedelta(hours=49)),
    )
    verdict, message = check_managed_rule(client, BACKUP, "Six_Hours", NOW)
    assert verdict is Verdict.FAIL and "more than 48 h (twice its TwentyFour_Hours frequency)" in message


def test_a_rule_running_another_identifier_fails(config: tuple[Any, Stubber]) -> None:
    client, stubber = config
    stubber.add_response(
        "describe_config_rules",
        {"ConfigRules": [described(VOLUMES.rule_name, "RDS_STORAGE_ENCRYPTED")]},
        {"ConfigRuleNames": [VOLUMES.rule_name]},
    )
    assert check_managed_rule(client, VOLUMES, "Six_Hours", NOW) == (
        Verdict.FAIL,
        f"rule {VOLUMES.rule_name} runs AWS RDS_STORAGE_ENCRYPTED, "
        "not the AWS managed rule ENCRYPTED_VOLUMES",
    )


def test_a_missing_managed_rule_fails(config: tuple[Any, Stubber]) -> None:
    client, stubber = config
    stubber.add_client_error("describe_config_rules", "NoSuchConfigRuleException", "no rule")
    assert check_managed_rule(client, VOLUMES, "Six_Hours", NOW) == (
        Verdict.FAIL,
        f"rule {VOLUMES.rule_name} does not exist",
    )


def organization_rule(stubber: Stubber, identifier: str, excluded: list[str]) -> None:
    stubber.add_response(
        "describe_organization_config_rules",
        {
            "OrganizationConfigRules": [
                {
                    "OrganizationConfigRuleName": VOLUMES.rule_name,
                    "OrganizationConfigRuleArn": ORGANIZATION_RULE_ARN,
                    "OrganizationManagedRuleMetadata": {"RuleIdentifier": identifier},
                    "ExcludedAccounts": excluded,
                }
            ]
        },
        {"OrganizationConfigRuleNames": [VOLUMES.rule_name]},
    )


def test_an_organization_managed_rule_must_run_its_identifier(config: tuple[Any, Stubber]) -> None:
    client, stubber = config
    organization_rule(stubber, "EBS_SNAPSHOT_PUBLIC_RESTORABLE_CHECK", [])
    assert check_organization_managed_rule(client, VOLUMES, []) == (
        Verdict.FAIL,
        f"organization rule {VOLUMES.rule_name} runs EBS_SNAPSHOT_PUBLIC_RESTORABLE_CHECK, "
        "not the AWS managed rule ENCRYPTED_VOLUMES",
    )


def test_an_organization_managed_rule_deployed_everywhere_passes(config: tuple[Any, Stubber]) -> None:
    client, stubber = config
    organization_rule(stubber, "ENCRYPTED_VOLUMES", ["111122223333"])
    stubber.add_response(
        "describe_organization_config_rule_statuses",
        {
            "OrganizationConfigRuleStatuses": [
                {
                    "OrganizationConfigRuleName": VOLUMES.rule_name,
                    "OrganizationRuleStatus": "CREATE_SUCCESSFUL",
                }
            ]
        },
        {"OrganizationConfigRuleNames": [VOLUMES.rule_name]},
    )
    stubber.add_response(
        "get_organization_config_rule_detailed_status",
        {
            "OrganizationConfigRuleDetailedStatus": [
                {
                    "AccountId": ACCOUNT,
                    "ConfigRuleName": "OrgConfigRule-x",
                    "MemberAccountRuleStatus": "CREATE_SUCCESSFUL",
                }
            ]
        },
        {"OrganizationConfigRuleName": VOLUMES.rule_name, "Limit": 100},
    )
    assert check_organization_managed_rule(client, VOLUMES, ["111122223333"]) == (
        Verdict.PASS,
        f"organization rule {VOLUMES.rule_name} CREATE_SUCCESSFUL: deployed in 1 of 1 account(s)",
    )


# --- conformance packs ---------------------------------------------------------------------------


def pack_status(stubber: Stubber, state: str, reason: str | None = None) -> None:
    detail: dict[str, Any] = {
        "ConformancePackName": PACK,
        "ConformancePackId": "conformance-pack-a1b2c3",
        "ConformancePackArn": f"{PACK_ARN_PREFIX}/{PACK}/conformance-pack-a1b2c3",
        "ConformancePackState": state,
        "StackArn": f"arn:aws:cloudformation:us-east-1:{ACCOUNT}:stack/awsconfigconforms-{PACK}/1",
        "LastUpdateRequestedTime": NOW - timedelta(days=1),
    }
    if reason:
        detail["ConformancePackStatusReason"] = reason
    stubber.add_response(
        "describe_conformance_pack_status",
        {"ConformancePackStatusDetails": [detail]},
        {"ConformancePackNames": [PACK]},
    )


def pack_rules(stubber: Stubber, names: list[str]) -> None:
    stubber.add_response(
        "describe_conformance_pack_compliance",
        {
            "ConformancePackName": PACK,
            "ConformancePackRuleComplianceList": [
                {"ConfigRuleName": name, "ComplianceType": "COMPLIANT"} for name in names
            ],
        },
        {"ConformancePackName": PACK},
    )


# Config renames a pack's rules: the names come from DescribeConformancePackCompliance, never built here.
PERIODIC_IN_PACK = "compliance-pack-dev-efs-backup-conformance-pack-k3j2h1g0f"
CHANGE_IN_PACK = "compliance-pack-dev-volumes-conformance-pack-k3j2h1g0f"


def in_pack(name: str, identifier: str, created_by: str = "config-conforms.amazonaws.com") -> dict[str, Any]:
    """A pack's rule as DescribeConfigRules gives it: CreatedBy names the service that created it (Config
    API Reference, ConfigRule)."""
    return {**described(name, identifier), "CreatedBy": created_by}


def test_a_deployed_pack_whose_rules_evaluate_passes(config: tuple[Any, Stubber]) -> None:
    client, stubber = config
    pack_status(stubber, "CREATE_COMPLETE")
    pack_rules(stubber, [PERIODIC_IN_PACK, CHANGE_IN_PACK])
    # A periodic managed rule with no frequency set runs every 24 hours; the table knows it is periodic.
    periodic = in_pack(PERIODIC_IN_PACK, "EFS_IN_BACKUP_PLAN")
    change = in_pack(CHANGE_IN_PACK, "ENCRYPTED_VOLUMES")
    stubber.add_response(
        "describe_config_rules",
        {"ConfigRules": [periodic, change]},
        {"ConfigRuleNames": [PERIODIC_IN_PACK, CHANGE_IN_PACK]},
    )
    stubber.add_response(
        "describe_config_rule_evaluation_status",
        evaluation_status(PERIODIC_IN_PACK, LastSuccessfulEvaluationTime=NOW - timedelta(hours=30)),
        {"ConfigRuleNames": [PERIODIC_IN_PACK]},
    )
    stubber.add_response(
        "describe_config_rule_evaluation_status",
        evaluation_status(CHANGE_IN_PACK, FirstActivatedTime=NOW - timedelta(days=3)),
        {"ConfigRuleNames": [CHANGE_IN_PACK]},
    )
    assert check_conformance_pack(client, PACK, NOW) == (
        Verdict.PASS,
        f"conformance pack {PACK} is CREATE_COMPLETE; its 2 rules are active and evaluating",
    )


def test_a_pack_rule_that_stopped_evaluating_fails_the_pack_and_is_named(config: tuple[Any, Stubber]) -> None:
    client, stubber = config
    pack_status(stubber, "UPDATE_COMPLETE")
    pack_rules(stubber, [PERIODIC_IN_PACK])
    stubber.add_response(
        "describe_config_rules",
        {"ConfigRules": [in_pack(PERIODIC_IN_PACK, "EFS_IN_BACKUP_PLAN")]},
        {"ConfigRuleNames": [PERIODIC_IN_PACK]},
    )
    stubber.add_response(
        "describe_config_rule_evaluation_status",
        evaluation_status(PERIODIC_IN_PACK, LastSuccessfulEvaluationTime=NOW - timedelta(hours=50)),
        {"ConfigRuleNames": [PERIODIC_IN_PACK]},
    )
    verdict, message = check_conformance_pack(client, PACK, NOW)
    assert verdict is Verdict.FAIL
    assert message.startswith(
        f"conformance pack {PACK} is UPDATE_COMPLETE; 1 of 1 rules fail: rule {PERIODIC_IN_PACK}"
    )
    assert "more than 48 h (twice its TwentyFour_Hours frequency)" in message


def test_a_pack_rule_that_no_longer_exists_is_named_and_the_others_still_checked(
    config: tuple[Any, Stubber],
) -> None:
    # DescribeConfigRules fails the whole request when one named rule does not exist (Config API
    # Reference, DescribeConfigRules: NoSuchConfigRuleException): each rule is then asked for alone.
    client, stubber = config
    pack_status(stubber, "CREATE_COMPLETE")
    pack_rules(stubber, [CHANGE_IN_PACK, PERIODIC_IN_PACK])
    stubber.add_client_error(
        "describe_config_rules",
        "NoSuchConfigRuleException",
        "The ConfigRule provided in the request is invalid.",
        expected_params={"ConfigRuleNames": [CHANGE_IN_PACK, PERIODIC_IN_PACK]},
    )
    change = in_pack(CHANGE_IN_PACK, "ENCRYPTED_VOLUMES")
    stubber.add_response(
        "describe_config_rules", {"ConfigRules": [change]}, {"ConfigRuleNames": [CHANGE_IN_PACK]}
    )
    stubber.add_client_error(
        "describe_config_rules",
        "NoSuchConfigRuleException",
        "The ConfigRule provided in the request is invalid.",
        expected_params={"ConfigRuleNames": [PERIODIC_IN_PACK]},
    )
    stubber.add_response(
        "describe_config_rule_evaluation_status",
        evaluation_status(CHANGE_IN_PACK, FirstActivatedTime=NOW - timedelta(days=3)),
        {"ConfigRuleNames": [CHANGE_IN_PACK]},
    )
    assert check_conformance_pack(client, PACK, NOW) == (
        Verdict.FAIL,
        f"conformance pack {PACK} is CREATE_COMPLETE; "
        f"1 of 2 rules fail: rule {PERIODIC_IN_PACK} does not exist",
    )
    stubber.assert_no_pending_responses()


def test_a_rule_the_pack_lists_but_the_conformance_pack_service_did_not_create_fails(
    config: tuple[Any, Stubber],
) -> None:
    client, stubber = config
    pack_status(stubber, "CREATE_COMPLETE")
    pack_rules(stubber, [CHANGE_IN_PACK])
    stubber.add_response(
        "describe_config_rules",
        {
            "ConfigRules": [
                in_pack(CHANGE_IN_PACK, "ENCRYPTED_VOLUMES", created_by="securityhub.amazonaws.com")
            ]
        },
        {"ConfigRuleNames": [CHANGE_IN_PACK]},
    )
    assert check_conformance_pack(client, PACK, NOW) == (
        Verdict.FAIL,
        f"conformance pack {PACK} is CREATE_COMPLETE; 1 of 1 rules fail: rule {CHANGE_IN_PACK} was not "
        "created by config-conforms.amazonaws.com (CreatedBy 'securityhub.amazonaws.com')",
    )


def test_a_pack_that_failed_to_deploy_fails_with_the_reason(config: tuple[Any, Stubber]) -> None:
    client, stubber = config
    pack_status(stubber, "CREATE_FAILED", "Resource handler returned message: rule name already exists")
    assert check_conformance_pack(client, PACK, NOW) == (
        Verdict.FAIL,
        f"conformance pack {PACK} is CREATE_FAILED: "
        "Resource handler returned message: rule name already exists",
    )


def test_a_missing_pack_or_one_without_rules_fails(config: tuple[Any, Stubber]) -> None:
    client, stubber = config
    stubber.add_response(
        "describe_conformance_pack_status",
        {"ConformancePackStatusDetails": []},
        {"ConformancePackNames": [PACK]},
    )
    assert check_conformance_pack(client, PACK, NOW) == (
        Verdict.FAIL,
        f"conformance pack {PACK} does not exist",
    )
    pack_status(stubber, "CREATE_COMPLETE")
    pack_rules(stubber, [])
    assert check_conformance_pack(client, PACK, NOW) == (
        Verdict.FAIL,
        f"conformance pack {PACK} is CREATE_COMPLETE but reports no rules",
    )


def organization_pack_described(stubber: Stubber) -> None:
    """DescribeOrganizationConformancePacks for a pack without exclusions (the stack's in these tests)."""
    stubber.add_response(
        "describe_organization_conformance_packs",
        {
            "OrganizationConformancePacks": [
                {
                    "OrganizationConformancePackName": PACK,
                    "OrganizationConformancePackArn": f"{ORGANIZATION_PACK_ARN_PREFIX}/{PACK}-a1b2c3",
                    "LastUpdateTime": NOW - timedelta(days=1),
                }
            ]
        },
        {"OrganizationConformancePackNames": [PACK]},
    )


def test_an_organization_pack_failing_in_an_account_fails(config: tuple[Any, Stubber]) -> None:
    client, stubber = config
    organization_pack_described(stubber)
    stubber.add_response(
        "describe_organization_conformance_pack_statuses",
        {
            "OrganizationConformancePackStatuses": [
                {"OrganizationConformancePackName": PACK, "Status": "CREATE_FAILED"}
            ]
        },
        {"OrganizationConformancePackNames": [PACK]},
    )
    stubber.add_response(
        "get_organization_conformance_pack_detailed_status",
        {
            "OrganizationConformancePackDetailedStatuses": [
                {
                    "AccountId": ACCOUNT,
                    "ConformancePackName": f"OrgConformsPack-{PACK}-a1b2",
                    "Status": "CREATE_SUCCESSFUL",
                },
                {
                    "AccountId": "210987654321",
                    "ConformancePackName": f"OrgConformsPack-{PACK}-c3d4",
                    "Status": "CREATE_FAILED",
                    "ErrorCode": "NoAvailableConfigurationRecorder",
                },
            ]
        },
        {"OrganizationConformancePackName": PACK},
    )
    assert check_organization_conformance_pack(client, PACK, ()) == (
        Verdict.FAIL,
        f"organization conformance pack {PACK} is CREATE_FAILED: deployed in 1 of 2 account(s); failed in 1: "
        "210987654321 CREATE_FAILED (NoAvailableConfigurationRecorder)",
    )


def organization_pack(stubber: Stubber, status: str, member_statuses: list[str]) -> None:
    organization_pack_described(stubber)
    stubber.add_response(
        "describe_organization_conformance_pack_statuses",
        {
            "OrganizationConformancePackStatuses": [
                {"OrganizationConformancePackName": PACK, "Status": status}
            ]
        },
        {"OrganizationConformancePackNames": [PACK]},
    )
    members = [
        {
            "AccountId": f"{index:012d}",
            "ConformancePackName": f"OrgConformsPack-{PACK}-{index}",
            "Status": state,
        }
        for index, state in enumerate(member_statuses, start=1)
    ]
    stubber.add_response(
        "get_organization_conformance_pack_detailed_status",
        {"OrganizationConformancePackDetailedStatuses": members},
        {"OrganizationConformancePackName": PACK},
    )


def test_an_organization_pack_done_in_every_account_passes_though_still_reported_in_progress(
    config: tuple[Any, Stubber],
) -> None:
    # DescribeOrganizationConformancePackStatuses may keep answering CREATE_IN_PROGRESS to a delegated
    # administrator after every member account finished (terraform-provider-aws,
    # internal/service/configservice/organization_conformance_pack.go, statusOrganizationConformancePack,
    # which then reads the accounts' statuses): the accounts decide.
    client, stubber = config
    organization_pack(stubber, "CREATE_IN_PROGRESS", ["CREATE_SUCCESSFUL", "CREATE_SUCCESSFUL"])
    assert check_organization_conformance_pack(client, PACK, ()) == (
        Verdict.PASS,
        f"organization conformance pack {PACK} CREATE_IN_PROGRESS, done in every account: "
        "deployed in 2 of 2 account(s)",
    )
    organization_pack(stubber, "UPDATE_IN_PROGRESS", ["UPDATE_SUCCESSFUL", "UPDATE_IN_PROGRESS"])
    assert check_organization_conformance_pack(client, PACK, ()) == (
        Verdict.FAIL,
        f"organization conformance pack {PACK} is UPDATE_IN_PROGRESS: deployed in 1 of 2 account(s)",
    )


# --- outputs -------------------------------------------------------------------------------------


def outputs(**extra: Any) -> dict[str, Any]:
    region = "us-east-1"
    return {
        "primaryRegion": region,
        "regions": [region],
        "evaluationFrequency": "Six_Hours",
        "bucketName": f"config-archive-dev-{ACCOUNT}",
        "kmsKeyArn": f"arn:aws:kms:{region}:{ACCOUNT}:key/k",
        "topicArn": f"arn:aws:sns:{region}:{ACCOUNT}:config-compliance-alerts-dev",
        "aggregatorName": "config-compliance-dev",
        "aggregatorArn": f"arn:aws:config:{region}:{ACCOUNT}:config-aggregator/config-aggregator-x",
        "recording": {region: {"managed": True, "recorderName": "r", "deliveryChannelName": "d"}},
        "rules": {
            region: {
                "backup": {"ruleName": "r", "functionArn": f"arn:aws:lambda:{region}:{ACCOUNT}:function:f"}
            }
        },
        "alertPath": {
            region: {
                "ruleNames": ["config-noncompliant-notify-dev"],
                "deadLetterQueueUrl": f"https://sqs.{region}.amazonaws.com/{ACCOUNT}/q",
                "deadLetterQueueArn": f"arn:aws:sqs:{region}:{ACCOUNT}:q",
                "alarmNames": ["a"],
            }
        },
        **extra,
    }


def test_managed_rules_and_packs_are_read_per_region() -> None:
    parsed = parse_outputs(
        outputs(
            managedRules={
                "us-east-1": {
                    VOLUMES.name: {
                        "ruleName": VOLUMES.rule_name,
                        "identifier": "ENCRYPTED_VOLUMES",
                        "trigger": "change",
                    }
                }
            },
            conformancePacks={"us-east-1": [PACK]},
        )
    )
    assert parsed.managed_rules == {"us-east-1": (VOLUMES,)}
    assert parsed.conformance_packs == {"us-east-1": (PACK,)}


def test_older_outputs_without_them_mean_none() -> None:
    parsed = parse_outputs(outputs())
    assert parsed.managed_rules == {} and parsed.conformance_packs == {}


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (
            {"managedRules": {"us-east-1": {"x": {"ruleName": "r", "identifier": "I", "trigger": "hourly"}}}},
            "'managedRules.us-east-1.x.trigger' must be one of change, periodic, both, got 'hourly'",
        ),
        (
            {"conformancePacks": {"us-east-1": "pack"}},
            "'conformancePacks.us-east-1' must be a list of conformance pack names",
        ),
    ],
)
def test_malformed_managed_rules_or_packs_are_named(extra: dict[str, Any], expected: str) -> None:
    with pytest.raises(OutputsError) as raised:
        parse_outputs(outputs(**extra))
    assert expected in str(raised.value)


# --- the verify run ------------------------------------------------------------------------------


def test_verify_gives_each_managed_rule_and_pack_its_line(monkeypatch: pytest.MonkeyPatch) -> None:
    """Account scope: one line per managed rule and per pack; organization scope: the deployment line
    and the hub's copy for a rule, the organization pack's line for a pack."""
    seen: list[tuple[str, str]] = []
    # The probes are replaced: no AWS client is called.
    no_client: Any = None

    def recorded(kind: str) -> Any:
        def probe(*args: Any) -> tuple[Verdict, str]:
            seen.append((kind, str(args[1] if kind != "hub copy" else args[2])))
            return Verdict.PASS, kind

        return probe

    for name, kind in [
        ("check_managed_rule", "managed"),
        ("check_conformance_pack", "pack"),
        ("check_organization_managed_rule", "org managed"),
        ("check_hub_managed_copy", "hub copy"),
        ("check_organization_conformance_pack", "org pack"),
    ]:
        monkeypatch.setattr(checks, name, recorded(kind))
    extra = {
        "managedRules": {
            "us-east-1": {
                VOLUMES.name: {
                    "ruleName": VOLUMES.rule_name,
                    "identifier": "ENCRYPTED_VOLUMES",
                    "trigger": "change",
                }
            }
        },
        "conformancePacks": {"us-east-1": [PACK]},
    }
    account = parse_outputs(outputs(**extra))
    lines = [
        (r.check, r.verdict) for r in checks._managed_rules(account, "us-east-1", no_client, no_client, NOW)
    ]
    lines += [(r.check, r.verdict) for r in checks._conformance_packs(account, "us-east-1", no_client, NOW)]
    assert lines == [
        (f"managed rule {VOLUMES.name}", Verdict.PASS),
        (f"conformance pack {PACK}", Verdict.PASS),
    ]
    assert seen == [("managed", str(VOLUMES)), ("pack", PACK)]

    seen.clear()
    organization = replace(account, organization=ORGANIZATION)
    lines = [
        (r.check, r.verdict)
        for r in checks._managed_rules(organization, "us-east-1", no_client, no_client, NOW)
    ]
    lines += [
        (r.check, r.verdict) for r in checks._conformance_packs(organization, "us-east-1", no_client, NOW)
    ]
    assert lines == [
        (f"org managed rule {VOLUMES.name}", Verdict.PASS),
        (f"managed rule {VOLUMES.name}", Verdict.PASS),
        (f"org conformance pack {PACK}", Verdict.PASS),
    ]
    # The hub account excluded: no copy of the rule to check there.
    excluded = replace(account, organization=replace(ORGANIZATION, excluded_accounts=(ACCOUNT,)))
    results = list(checks._managed_rules(excluded, "us-east-1", no_client, no_client, NOW))
    assert [(r.check, r.verdict) for r in results] == [
        (f"org managed rule {VOLUMES.name}", Verdict.PASS),
        (f"managed rule {VOLUMES.name}", Verdict.SKIP),
    ]
