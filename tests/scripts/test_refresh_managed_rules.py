"""scripts/refresh_managed_rules.py turns the rule pages' facts (moto's copy) into the table's entries.

The sample pages are this project's own, in the form moto's copy keeps: "Trigger type", "Resource Types",
"AWS Region" and "Parameters" as each page writes them.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.managed_rules import DATA_FILE
from scripts import refresh_managed_rules as refresh
from scripts.refresh_managed_rules import (
    UnreadableRule,
    build_table,
    dump,
    main,
    moto_pages,
    region_codes,
    table_entry,
)

CODES = region_codes()


def page(**facts: Any) -> dict[str, Any]:
    return {
        "Trigger type": "Configuration changes",
        "Resource Types": "AWS::EC2::Volume",
        "AWS Region": "All supported AWS regions",
        "Parameters": [],
        **facts,
    }


def test_a_change_triggered_rule_with_excepted_regions_and_parameters() -> None:
    entry = table_entry(
        "DEMO_VOLUME_CHECK",
        page(
            **{
                "Resource Types": "AWS::EC2::Volume, AWS::EC2::Instance",
                "AWS Region": "All supported AWS regions except Asia Pacific (Taipei), Mexico (Central)",
                "Parameters": [
                    {"Name": "kmsId", "Optional": True, "Type": "String"},
                    {"Default": "90", "Name": "maxAge", "Optional": False, "Type": "int"},
                ],
            }
        ),
        CODES,
    )
    assert entry == {
        "identifier": "DEMO_VOLUME_CHECK",
        "trigger": "change",
        "resourceTypes": ["AWS::EC2::Volume", "AWS::EC2::Instance"],
        "accountLevel": False,
        "global": False,
        "globalIamTypes": False,
        "parameters": [
            {"name": "kmsId", "type": "String", "required": False, "default": None},
            {"name": "maxAge", "type": "int", "required": True, "default": "90"},
        ],
        "unavailableRegions": ["ap-east-2", "mx-central-1"],
        "homeRegion": None,
    }


def test_only_available_in_becomes_the_regions_it_runs_in() -> None:
    entry = table_entry(
        "DEMO_FLOW_CHECK",
        page(**{"AWS Region": "Only available in US East (N. Virginia), Europe (Ireland) Region"}),
        CODES,
    )
    assert entry["onlyRegions"] == ["eu-west-1", "us-east-1"]
    assert entry["unavailableRegions"] == []
    assert entry["homeRegion"] is None


@pytest.mark.parametrize(
    "regions",
    [
        "Only available in US East (N. Virginia) Region",
        # The China partition has its own copy of the service; of the aws partition, one Region is named.
        "Only available in China (Beijing), US East (N. Virginia) Region",
    ],
)
def test_a_rule_offered_in_one_region_of_the_partition_has_it_as_its_home(regions: str) -> None:
    entry = table_entry(
        "DEMO_DISTRIBUTION_CHECK",
        page(**{"Resource Types": "AWS::CloudFront::Distribution", "AWS Region": regions}),
        CODES,
    )
    assert entry["homeRegion"] == "us-east-1"
    assert (entry["global"], entry["globalIamTypes"]) == (False, False)


@pytest.mark.parametrize(
    ("trigger", "expected"),
    [
        ("Periodic", "periodic"),
        ("Configuration changes and Periodic", "both"),
        ("Configuration changes", "change"),
    ],
)
def test_trigger_types(trigger: str, expected: str) -> None:
    assert table_entry("DEMO_CHECK", page(**{"Trigger type": trigger}), CODES)["trigger"] == expected


def test_a_rule_on_global_iam_types_runs_once() -> None:
    entry = table_entry(
        "DEMO_USER_CHECK", page(**{"Resource Types": "AWS::IAM::User, AWS::IAM::Role"}), CODES
    )
    assert (entry["global"], entry["globalIamTypes"], entry["accountLevel"]) == (True, True, False)
    mixed = table_entry(
        "DEMO_MIXED_CHECK", page(**{"Resource Types": "AWS::IAM::User, AWS::S3::Bucket"}), CODES
    )
    assert (mixed["global"], mixed["globalIamTypes"]) == (False, False)


def test_account_level_rules_run_everywhere_unless_listed_as_account_wide() -> None:
    regional = table_entry("DEMO_ACCOUNT_CHECK", page(**{"Resource Types": "AWS::::Account"}), CODES)
    assert (regional["accountLevel"], regional["global"]) == (True, False)
    password = table_entry("IAM_PASSWORD_POLICY", {**page(), "Resource Types": ""}, CODES)
    assert (password["accountLevel"], password["global"], password["globalIamTypes"]) == (True, True, False)
    trail = table_entry("MULTI_REGION_CLOUD_TRAIL_ENABLED", {**page(), "Resource Types": ""}, CODES)
    assert (trail["global"], trail["globalIamTypes"]) == (True, False)
    # Membership of an organization is the account's, not a Region's; its page carries the guide's note on
    # deploying such rules to one Region (account-part-of-organizations).
    organizations = table_entry("ACCOUNT_PART_OF_ORGANIZATIONS", {**page(), "Resource Types": ""}, CODES)
    assert (organizations["global"], organizations["globalIamTypes"]) == (True, False)


@pytest.mark.parametrize(
    ("identifier", "facts", "message"),
    [
        ("DEMO_CHECK", {"Trigger type": "Proactive"}, "trigger type not understood: 'Proactive'"),
        (
            "DEMO_CHECK",
            {"Parameters": [{"Name": "x", "Optional": True, "Type": "float"}]},
            "parameter type not understood: 'float'",
        ),
        (
            "DEMO_CHECK",
            {"AWS Region": "Only available in Atlantis Region"},
            "Region name(s) botocore does not know: Atlantis",
        ),
        ("DEMO_CHECK", {"AWS Region": "Most Regions"}, "AWS Region text not understood: 'Most Regions'"),
        ("IAM_PASSWORD_POLICY", {}, "listed as account-level, but its page names ['AWS::EC2::Volume']"),
    ],
)
def test_text_it_does_not_understand_is_refused(identifier: str, facts: dict[str, Any], message: str) -> None:
    with pytest.raises(UnreadableRule) as refused:
        table_entry(identifier, page(**facts), CODES)
    assert str(refused.value) == f"{identifier}: {message}"


def test_every_problem_is_reported_at_once_and_nothing_is_written(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pages = {"A_CHECK": page(**{"Trigger type": "?"}), "B_CHECK": page(**{"AWS Region": "?"})}
    monkeypatch.setattr(refresh, "moto_pages", lambda: (pages, "moto test"))
    assert main(["--retrieved", "2026-12-06"]) == 1
    written = capsys.readouterr()
    assert written.out == ""
    lines = written.err.splitlines()
    assert lines[:2] == [
        "refresh_managed_rules: A_CHECK: trigger type not understood: '?'",
        "B_CHECK: AWS Region text not understood: '?'",
    ]
    # The account-wide rules it was told of must be among the pages.
    assert "IAM_PASSWORD_POLICY: listed in GLOBAL_ACCOUNT_RULES, not in the pages" in lines


def test_the_committed_table_is_what_the_script_writes_from_the_pinned_moto() -> None:
    committed = DATA_FILE.read_text(encoding="utf-8")
    header = json.loads(committed)
    pages, source = moto_pages()
    assert source == header["source"]
    assert dump(build_table(pages, source, header["retrieved"])) == committed


def test_main_writes_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    header = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    assert main(["--retrieved", header["retrieved"]]) == 0
    assert capsys.readouterr().out == DATA_FILE.read_text(encoding="utf-8")
