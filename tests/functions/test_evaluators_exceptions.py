"""Exceptions applied by the evaluators, under moto: the change path and the sweep, expiry decided per
evaluation (an injectable clock, never a sleep), region and account limits, and the shipped document read
once per container."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from evaluator_support import (
    ACCOUNT,
    REGION,
    ApiCalls,
    ShippedExceptions,
    change_event,
    client,
    configuration_item,
    exception_entry,
    scheduled_event,
)
from evaluators import excepting, required_tags
from evaluators.exceptions import InvalidExceptionsDocument, read_exception_annotation

TAGS = {"requiredTags": "Owner"}
OTHER_ACCOUNT = "210987654321"
LAST_DAY = date(2026, 11, 30)
DAY_AFTER = date(2026, 12, 1)
FINDING = "missing tag 'Owner'."


def posted(api: ApiCalls) -> dict[str, dict[str, Any]]:
    """ComplianceResourceId -> the last evaluation posted for it."""
    return {e["ComplianceResourceId"]: e for e in api.evaluations()}


def buckets(*names: str, tagged: bool = False) -> None:
    s3 = client("s3")
    for name in names:
        s3.create_bucket(Bucket=name)
        if tagged:
            s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [{"Key": "Owner", "Value": "web"}]})


def bucket_item(name: str, tags: dict[str, str] | None = None) -> dict[str, Any]:
    item = configuration_item("AWS::S3::Bucket", name, {"name": name}, tags=tags, arn=f"arn:aws:s3:::{name}")
    item["resourceName"] = name
    return item


def sweep(api: ApiCalls) -> dict[str, dict[str, Any]]:
    api.calls.clear()
    required_tags.handler(scheduled_event(TAGS), None)
    return posted(api)


def change(api: ApiCalls, item: dict[str, Any], **extra: Any) -> dict[str, Any]:
    api.calls.clear()
    required_tags.handler(change_event(item, TAGS, **extra), None)
    (evaluation,) = api.evaluations()
    return evaluation


def test_a_sweep_posts_an_excepted_resource_compliant_naming_the_exception(
    api: ApiCalls, shipped_exceptions: ShippedExceptions
) -> None:
    shipped_exceptions.ship(exception_entry())
    buckets("public-assets-1", "private-data")
    results = sweep(api)
    assert results["public-assets-1"]["ComplianceType"] == "COMPLIANT"
    assert results["public-assets-1"]["Annotation"] == (
        f"EXCEPTION public-assets until 2026-11-30; owner: web team; ticket: SEC-123; finding: {FINDING}"
    )
    assert results["private-data"]["ComplianceType"] == "NON_COMPLIANT"
    assert results["private-data"]["Annotation"] == FINDING


def test_a_compliant_resource_is_reported_as_it_is_though_an_exception_matches(
    api: ApiCalls, shipped_exceptions: ShippedExceptions
) -> None:
    shipped_exceptions.ship(exception_entry())
    buckets("public-assets-tagged", tagged=True)
    result = sweep(api)["public-assets-tagged"]
    assert result["ComplianceType"] == "COMPLIANT"
    assert result["Annotation"] == "All required tags are present: Owner."


def test_an_exception_that_expires_between_two_sweeps_no_longer_applies(
    api: ApiCalls, shipped_exceptions: ShippedExceptions
) -> None:
    shipped_exceptions.ship(exception_entry(expires=LAST_DAY.isoformat()))
    buckets("public-assets-1")
    shipped_exceptions.today = LAST_DAY  # the expiry day itself is still covered
    assert sweep(api)["public-assets-1"]["ComplianceType"] == "COMPLIANT"
    # The same container (the matcher is not rebuilt), the next day.
    shipped_exceptions.today = DAY_AFTER
    result = sweep(api)["public-assets-1"]
    assert result["ComplianceType"] == "NON_COMPLIANT"
    assert result["Annotation"] == (
        "EXCEPTION public-assets EXPIRED after 2026-11-30; owner: web team; ticket: SEC-123; "
        f"finding: {FINDING}"
    )


def test_the_change_path_decides_expiry_per_event(
    api: ApiCalls, shipped_exceptions: ShippedExceptions
) -> None:
    shipped_exceptions.ship(exception_entry(expires=LAST_DAY.isoformat()))
    shipped_exceptions.today = LAST_DAY
    first = change(api, bucket_item("public-assets-1"))
    assert first["ComplianceType"] == "COMPLIANT"
    assert first["Annotation"].startswith("EXCEPTION public-assets until 2026-11-30;")
    shipped_exceptions.today = DAY_AFTER
    second = change(api, bucket_item("public-assets-1"))
    assert second["ComplianceType"] == "NON_COMPLIANT"
    annotated = read_exception_annotation(second["Annotation"])
    assert annotated is not None and annotated.expired and annotated.id == "public-assets"


@pytest.mark.parametrize("resource", ["public-assets-*", "arn:aws:s3:::public-assets-*"])
def test_the_change_path_and_the_sweep_post_the_same_result(
    api: ApiCalls, shipped_exceptions: ShippedExceptions, resource: str
) -> None:
    shipped_exceptions.ship(exception_entry(resource=resource))
    buckets("public-assets-1")
    swept = sweep(api)["public-assets-1"]
    changed = change(api, bucket_item("public-assets-1"))
    keys = ("ComplianceType", "Annotation", "ComplianceResourceType", "ComplianceResourceId")
    assert {k: swept[k] for k in keys} == {k: changed[k] for k in keys}
    assert swept["ComplianceType"] == "COMPLIANT"


def test_an_exception_for_other_regions_does_not_apply_here(
    api: ApiCalls, shipped_exceptions: ShippedExceptions
) -> None:
    shipped_exceptions.ship(exception_entry(regions=["eu-west-1"]))
    buckets("public-assets-1")
    assert sweep(api)["public-assets-1"]["ComplianceType"] == "NON_COMPLIANT"
    assert change(api, bucket_item("public-assets-1"))["ComplianceType"] == "NON_COMPLIANT"
    shipped_exceptions.ship(exception_entry(regions=["eu-west-1", REGION]))
    assert sweep(api)["public-assets-1"]["ComplianceType"] == "COMPLIANT"


def test_an_exception_of_another_resource_type_does_not_apply(
    api: ApiCalls, shipped_exceptions: ShippedExceptions
) -> None:
    shipped_exceptions.ship(exception_entry(resourceType="AWS::SQS::Queue"))
    buckets("public-assets-1")
    assert sweep(api)["public-assets-1"]["ComplianceType"] == "NON_COMPLIANT"


def test_another_checks_exception_does_not_apply(
    api: ApiCalls, shipped_exceptions: ShippedExceptions
) -> None:
    shipped_exceptions.ship(exception_entry(check="encryption"))
    buckets("public-assets-1")
    assert sweep(api)["public-assets-1"]["ComplianceType"] == "NON_COMPLIANT"


@pytest.mark.parametrize(
    ("accounts", "event_account", "compliance"),
    [
        ([OTHER_ACCOUNT], OTHER_ACCOUNT, "COMPLIANT"),
        ([OTHER_ACCOUNT], ACCOUNT, "NON_COMPLIANT"),
        ([ACCOUNT], OTHER_ACCOUNT, "NON_COMPLIANT"),
        (["*"], OTHER_ACCOUNT, "COMPLIANT"),
        ([], ACCOUNT, "COMPLIANT"),
    ],
)
def test_a_member_accounts_evaluation_honours_accounts(
    api: ApiCalls,
    shipped_exceptions: ShippedExceptions,
    accounts: list[str],
    event_account: str,
    compliance: str,
) -> None:
    """An event for a member account is matched with that account (organization scope: the hub's function
    evaluates every member; without a Lambda context the event's account is taken as the function's)."""
    shipped_exceptions.ship(exception_entry(accounts=accounts))
    item = bucket_item("public-assets-1")
    item["awsAccountId"] = event_account
    assert change(api, item, accountId=event_account)["ComplianceType"] == compliance


def test_a_member_accounts_sweep_honours_accounts(
    api: ApiCalls, shipped_exceptions: ShippedExceptions
) -> None:
    shipped_exceptions.ship(exception_entry(accounts=[OTHER_ACCOUNT]))
    buckets("public-assets-1")
    assert sweep(api)["public-assets-1"]["ComplianceType"] == "NON_COMPLIANT"
    event = scheduled_event(TAGS)
    event["accountId"] = OTHER_ACCOUNT
    api.calls.clear()
    required_tags.handler(event, None)
    assert posted(api)["public-assets-1"]["ComplianceType"] == "COMPLIANT"


def test_the_document_is_read_and_compiled_once_per_container(
    api: ApiCalls, shipped_exceptions: ShippedExceptions, monkeypatch: pytest.MonkeyPatch
) -> None:
    shipped_exceptions.ship(exception_entry())
    reads: list[object] = []
    load = excepting.load_exceptions
    monkeypatch.setattr(excepting, "load_exceptions", lambda path: reads.append(path) or load(path))
    buckets("public-assets-1")
    sweep(api)
    change(api, bucket_item("public-assets-1"))
    sweep(api)
    assert reads == [shipped_exceptions.path]


def test_without_a_document_nothing_is_excepted(api: ApiCalls, shipped_exceptions: ShippedExceptions) -> None:
    assert not shipped_exceptions.path.exists()
    buckets("public-assets-1")
    assert sweep(api)["public-assets-1"]["ComplianceType"] == "NON_COMPLIANT"


def test_a_damaged_document_fails_the_invocation_and_posts_nothing(
    api: ApiCalls, shipped_exceptions: ShippedExceptions
) -> None:
    shipped_exceptions.ship({"id": "public-assets"})
    with pytest.raises(InvalidExceptionsDocument, match=r"exceptions\[0\] \(public-assets\): check: missing"):
        required_tags.handler(change_event(bucket_item("public-assets-1"), TAGS), None)
    assert api.evaluations() == []
