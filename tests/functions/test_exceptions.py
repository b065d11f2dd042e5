"""The exception model: parsing (every bad input named by exception and field), the shipped document,
the matcher, the annotation written on an excepted evaluation and its inverse."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from evaluators.exceptions import (
    EVERY_ACCOUNT,
    AnnotatedException,
    ExceptionMatcher,
    InvalidExceptionsDocument,
    ResourceException,
    ResourceIdentity,
    apply_exception,
    from_document,
    parse_exceptions,
    read_exception_annotation,
    to_document,
)
from evaluators.verdicts import MAX_ANNOTATION, Compliance, Verdict

TODAY = date(2026, 12, 6)
CHECK_TYPES = {
    "encryption": ("AWS::EC2::Volume", "AWS::S3::Bucket"),
    "backup": ("AWS::EC2::Volume", "AWS::DynamoDB::Table"),
}
REGIONS = ("eu-west-1", "us-east-1")
ACCOUNT = "123456789012"
OTHER_ACCOUNT = "210987654321"
FULLWIDTH_ACCOUNT = "".join(chr(ord("\N{FULLWIDTH DIGIT ZERO}") + int(digit)) for digit in ACCOUNT)


def entry(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "public-assets",
        "check": "encryption",
        "resource": "public-assets-*",
        "reason": "Served publicly through CloudFront; nothing secret.",
        "owner": "web team",
        "expires": "2027-03-31",
    }
    base.update(fields)
    return {key: value for key, value in base.items() if value is not None}


def parse(*entries: Any, organization: bool = False, max_days: int = 365, raw: Any = None) -> Any:
    return parse_exceptions(
        list(entries) if raw is None else raw,
        check_types=CHECK_TYPES,
        regions=REGIONS,
        organization=organization,
        today=TODAY,
        max_days=max_days,
    )


def exception(**fields: Any) -> ResourceException:
    parsed = parse(entry(**fields))
    assert parsed.problems == []
    return parsed.exceptions[0]


def test_a_full_exception_is_read_with_every_field() -> None:
    parsed = parse(
        entry(
            resourceType="AWS::S3::Bucket",
            regions=["eu-west-1"],
            accounts=[123456789012],  # pulumi config set --path stores digit-only values as numbers
            ticket="SEC-123",
        )
    )
    assert parsed.problems == [] and parsed.warnings == []
    assert parsed.exceptions == (
        ResourceException(
            id="public-assets",
            check="encryption",
            resource="public-assets-*",
            resource_type="AWS::S3::Bucket",
            regions=("eu-west-1",),
            accounts=(ACCOUNT,),
            reason="Served publicly through CloudFront; nothing secret.",
            owner="web team",
            ticket="SEC-123",
            expires=date(2027, 3, 31),
        ),
    )


def test_optional_fields_default_to_everywhere_in_the_own_account() -> None:
    found = exception()
    assert (found.resource_type, found.regions, found.accounts, found.ticket) == (None, (), (), None)


def test_no_setting_is_no_exceptions() -> None:
    assert parse(raw=[]).exceptions == ()
    parsed = parse_exceptions(
        None, check_types=CHECK_TYPES, regions=REGIONS, organization=False, today=TODAY, max_days=365
    )
    assert (parsed.exceptions, parsed.problems) == ((), [])


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"reason": None}, "exceptions[0] (public-assets): reason: missing (required)"),
        ({"owner": None}, "exceptions[0] (public-assets): owner: missing (required)"),
        ({"expires": None}, "exceptions[0] (public-assets): expires: missing (required)"),
        ({"owner": "  "}, "exceptions[0] (public-assets): owner: empty"),
        (
            {"expires": "2027-13-01"},
            "exceptions[0] (public-assets): expires: '2027-13-01' is not a date YYYY-MM-DD",
        ),
        (
            {"expires": "tomorrow"},
            "exceptions[0] (public-assets): expires: 'tomorrow' is not a date YYYY-MM-DD",
        ),
        (
            {"expires": "2027-3-31"},
            "exceptions[0] (public-assets): expires: '2027-3-31' is not a date YYYY-MM-DD",
        ),
        (
            {"expires": "2027-12-07"},
            "exceptions[0] (public-assets): expires: 2027-12-07 is more than maxExceptionDays (365) days "
            "after today (2026-12-06)",
        ),
        (
            {"check": "encrypton"},
            "exceptions[0] (public-assets): check: unknown check 'encrypton' (checks: encryption, backup)",
        ),
        (
            {"check": "backup", "resourceType": "AWS::S3::Bucket"},
            "exceptions[0] (public-assets): resourceType: check 'backup' does not evaluate 'AWS::S3::Bucket' "
            "(it evaluates AWS::EC2::Volume, AWS::DynamoDB::Table)",
        ),
        (
            {"resource": "*"},
            "exceptions[0] (public-assets): resource: '*' would match every resource; name the resources "
            "it excepts",
        ),
        (
            {"resource": "**"},
            "exceptions[0] (public-assets): resource: '**' would match every resource; name the resources "
            "it excepts",
        ),
        (
            # A pattern of wildcards alone matches every resource however they are arranged.
            {"resource": "?*"},
            "exceptions[0] (public-assets): resource: '?*' would match every resource; name the resources "
            "it excepts",
        ),
        ({"resource": ""}, "exceptions[0] (public-assets): resource: empty"),
        (
            {"expiry": "2027-01-01"},
            "exceptions[0] (public-assets): expiry: unknown field (fields: id, check, resource, "
            "resourceType, regions, accounts, reason, owner, ticket, expires)",
        ),
        (
            {"regions": ["eu-west-2"]},
            "exceptions[0] (public-assets): regions: eu-west-2 not in the stack's regions "
            "(eu-west-1, us-east-1)",
        ),
        (
            {"regions": []},
            "exceptions[0] (public-assets): regions: expected a non-empty list (leave the field "
            "out to mean every one)",
        ),
        (
            {"accounts": ["12345678901"]},
            "exceptions[0] (public-assets): accounts: 12345678901 not a 12-digit account id (set ids with "
            "a leading zero as text: pulumi config set --path --type string 'exceptions[i].accounts[j]' "
            "0123...)",
        ),
        (
            # Fullwidth digits are digits to Python's \d, never in an account id (AWS Account Management
            # Reference, "View AWS account identifiers": a 12-digit number).
            {"accounts": [FULLWIDTH_ACCOUNT]},
            f"exceptions[0] (public-assets): accounts: {FULLWIDTH_ACCOUNT} not a 12-digit account id (set "
            "ids with a leading zero as text: pulumi config set --path --type string "
            "'exceptions[i].accounts[j]' 0123...)",
        ),
        (
            {"accounts": ["*", ACCOUNT]},
            'exceptions[0] (public-assets): accounts: "*" means every account and stands alone',
        ),
        (
            {"accounts": [ACCOUNT, ACCOUNT]},
            f"exceptions[0] (public-assets): accounts: lists {ACCOUNT} more than once",
        ),
        (
            {"id": "Public_Assets"},
            "exceptions[0] (Public_Assets): id: 'Public_Assets' must be lowercase "
            "letters, digits and single hyphens",
        ),
        (
            {"owner": "web; ops"},
            "exceptions[0] (public-assets): owner: must not contain ';' (it separates "
            "the annotation's parts)",
        ),
        ({"owner": "x" * 49}, "exceptions[0] (public-assets): owner: 49 characters, at most 48 allowed"),
        (
            {"ticket": "SEC 123"},
            "exceptions[0] (public-assets): ticket: 'SEC 123' must be one word without ';', such as SEC-123",
        ),
        ({"reason": ["a"]}, "exceptions[0] (public-assets): reason: expected text, got list"),
    ],
)
def test_each_bad_field_is_one_line_naming_the_exception_and_the_field(
    fields: dict[str, Any], problem: str
) -> None:
    parsed = parse(entry(**fields))
    assert parsed.problems == [problem]
    assert parsed.exceptions == ()


def test_an_exception_without_an_id_is_named_by_position() -> None:
    parsed = parse(entry(), entry(id=None, resource="scratch-*"))
    assert parsed.problems == ["exceptions[1]: id: missing (required)"]


def test_duplicate_ids_are_refused() -> None:
    parsed = parse(entry(), entry(resource="other-*"))
    assert parsed.problems == [
        "exceptions[1] (public-assets): id: 'public-assets' is already the id of exceptions[0]"
    ]


def test_organization_scope_requires_accounts_or_every_account_written_out() -> None:
    assert parse(entry(), organization=True).problems == [
        "exceptions[0] (public-assets): accounts: missing: in organization scope name the account ids, "
        'or ["*"] for every account'
    ]
    assert parse(entry(accounts=["*"]), organization=True).exceptions[0].accounts == (EVERY_ACCOUNT,)
    assert parse(entry(accounts=[ACCOUNT]), organization=True).problems == []


def test_every_problem_of_every_exception_is_listed() -> None:
    parsed = parse(entry(reason=None, expires="tomorrow"), "not an object", raw=None)
    assert parsed.problems == [
        "exceptions[0] (public-assets): reason: missing (required)",
        "exceptions[0] (public-assets): expires: 'tomorrow' is not a date YYYY-MM-DD",
        "exceptions[1]: expected an object, got str",
    ]


def test_a_setting_that_is_not_a_list_is_refused() -> None:
    assert parse(raw={"id": "x"}).problems == ["exceptions: expected a list of objects, got dict"]


def test_an_expired_exception_is_a_warning_not_a_problem() -> None:
    parsed = parse(entry(expires="2026-12-05"))
    assert parsed.problems == []
    assert parsed.warnings == [
        "exceptions[0] (public-assets): expired on 2026-12-05 and no longer applies: remove it, "
        "or extend expires"
    ]
    assert parsed.exceptions[0].expires == date(2026, 12, 5)


def test_the_expiry_limit_counts_whole_days_from_today() -> None:
    assert parse(entry(expires="2027-12-06")).problems == []
    assert len(parse(entry(expires="2027-12-07")).problems) == 1
    assert parse(entry(expires="2027-01-05"), max_days=30).problems == []
    assert len(parse(entry(expires="2027-01-06"), max_days=30).problems) == 1


def test_expiry_is_inclusive() -> None:
    found = exception(expires="2026-12-06")
    assert found.is_active(date(2026, 12, 6))
    assert not found.is_active(date(2026, 12, 7))


def test_the_document_round_trips_with_the_setting_field_names() -> None:
    original = parse(
        entry(resourceType="AWS::S3::Bucket", regions=["eu-west-1"], accounts=[ACCOUNT], ticket="SEC-1"),
        entry(id="scratch", resource="vol-0abc*", check="backup", expires="2026-12-01"),
    ).exceptions
    document = to_document(original)
    assert document[0] == {
        "id": "public-assets",
        "check": "encryption",
        "resource": "public-assets-*",
        "resourceType": "AWS::S3::Bucket",
        "regions": ["eu-west-1"],
        "accounts": [ACCOUNT],
        "reason": "Served publicly through CloudFront; nothing secret.",
        "owner": "web team",
        "ticket": "SEC-1",
        "expires": "2027-03-31",
    }
    assert document[1]["resourceType"] is None and document[1]["ticket"] is None
    assert from_document(json.loads(json.dumps(document))) == original


def test_a_damaged_document_is_refused_with_its_problems() -> None:
    with pytest.raises(InvalidExceptionsDocument, match=r"exceptions\[0\] \(x\): owner: missing"):
        from_document(
            [{"id": "x", "check": "encryption", "resource": "a*", "reason": "r", "expires": "2027-01-01"}]
        )
    with pytest.raises(InvalidExceptionsDocument, match="expected a list"):
        from_document({"exceptions": []})


# --- matching ------------------------------------------------------------------------------------

BUCKET = "AWS::S3::Bucket"
VOLUME = "AWS::EC2::Volume"


def bucket(name: str) -> ResourceIdentity:
    return ResourceIdentity(name, name, f"arn:aws:s3:::{name}")


def matcher(*exceptions: ResourceException, check: str = "encryption") -> ExceptionMatcher:
    return ExceptionMatcher(exceptions, check)


def test_the_glob_is_anchored_and_matched_against_id_name_and_arn() -> None:
    by_name = matcher(exception(resource="public-*"))
    assert by_name.match(BUCKET, bucket("public-assets"), "eu-west-1", ACCOUNT, today=TODAY) is not None
    assert by_name.match(BUCKET, bucket("not-public-assets"), "eu-west-1", ACCOUNT, today=TODAY) is None
    by_arn = matcher(exception(resource="arn:aws:s3:::public-*"))
    assert by_arn.match(BUCKET, bucket("public-x"), "eu-west-1", ACCOUNT, today=TODAY) is not None
    by_id = matcher(exception(resource="vol-0abc*"))
    volume = ResourceIdentity("vol-0abc123", None, "arn:aws:ec2:eu-west-1:123456789012:volume/vol-0abc123")
    assert by_id.match(VOLUME, volume, "eu-west-1", ACCOUNT, today=TODAY) is not None
    # Anchored at both ends: a prefix is not enough.
    assert (
        matcher(exception(resource="vol-0abc")).match(VOLUME, volume, "eu-west-1", ACCOUNT, today=TODAY)
        is None
    )
    # By name: a resource whose id differs from its name (an RDS instance's id is its DbiResourceId).
    database = ResourceIdentity("db-ABCDEF", "orders", "arn:aws:rds:eu-west-1:123456789012:db:orders")
    assert (
        matcher(exception(resource="orders")).match(
            "AWS::RDS::DBInstance", database, "eu-west-1", ACCOUNT, today=TODAY
        )
        is not None
    )


def test_the_glob_is_case_sensitive_and_single_character_wildcards_work() -> None:
    found = matcher(exception(resource="Logs-?"))
    assert found.match(BUCKET, bucket("Logs-1"), "eu-west-1", ACCOUNT, today=TODAY) is not None
    assert found.match(BUCKET, bucket("logs-1"), "eu-west-1", ACCOUNT, today=TODAY) is None
    assert found.match(BUCKET, bucket("Logs-12"), "eu-west-1", ACCOUNT, today=TODAY) is None


def test_check_type_region_and_account_limit_an_exception() -> None:
    scoped = matcher(
        exception(resource="public-*", resourceType=BUCKET, regions=["eu-west-1"], accounts=[ACCOUNT])
    )
    assert scoped.match(BUCKET, bucket("public-a"), "eu-west-1", ACCOUNT, today=TODAY) is not None
    assert scoped.match(VOLUME, bucket("public-a"), "eu-west-1", ACCOUNT, today=TODAY) is None
    assert scoped.match(BUCKET, bucket("public-a"), "us-east-1", ACCOUNT, today=TODAY) is None
    assert scoped.match(BUCKET, bucket("public-a"), "eu-west-1", OTHER_ACCOUNT, today=TODAY) is None
    # Another check's exceptions are not this check's.
    other_check = matcher(exception(resource="public-*"), check="backup")
    assert other_check.match(BUCKET, bucket("public-a"), "eu-west-1", ACCOUNT, today=TODAY) is None


def test_every_account_means_every_account() -> None:
    everywhere = matcher(exception(resource="public-*", accounts=["*"]))
    assert everywhere.match(BUCKET, bucket("public-a"), "eu-west-1", OTHER_ACCOUNT, today=TODAY) is not None


def test_the_first_active_exception_wins_over_an_expired_one() -> None:
    expired = exception(id="old", resource="public-*", expires="2026-12-01")
    active = exception(id="new", resource="public-assets", expires="2027-01-31")
    found = matcher(expired, active).match(BUCKET, bucket("public-assets"), "eu-west-1", ACCOUNT, today=TODAY)
    assert found is active
    found = matcher(expired).match(BUCKET, bucket("public-assets"), "eu-west-1", ACCOUNT, today=TODAY)
    assert found is expired


def test_exceptions_sharing_a_literal_prefix_are_each_tried() -> None:
    near_miss = exception(id="near-miss", resource="public-assets-?")
    wider = exception(id="wider", resource="public-assets-*")
    found = matcher(near_miss, wider).match(
        BUCKET, bucket("public-assets-12"), "eu-west-1", ACCOUNT, today=TODAY
    )
    assert found is wider


def test_characters_special_to_regular_expressions_are_literal_in_a_glob() -> None:
    special = matcher(exception(resource="team+data(1).$^{2}|x*"))
    assert special.match(BUCKET, bucket("team+data(1).$^{2}|x-logs"), "eu-west-1", ACCOUNT, today=TODAY)
    assert special.match(BUCKET, bucket("teamdata(1).$^{2}|x"), "eu-west-1", ACCOUNT, today=TODAY) is None
    assert special.match(BUCKET, bucket("team+data(1)X$^{2}|x"), "eu-west-1", ACCOUNT, today=TODAY) is None


def test_a_matcher_without_exceptions_matches_nothing() -> None:
    assert matcher().match(BUCKET, bucket("public-a"), "eu-west-1", ACCOUNT, today=TODAY) is None


# --- applying an exception and reading it back ---------------------------------------------------

FINDING = "S3 bucket default encryption is AES256, not SSE-KMS."


def test_an_active_exception_turns_non_compliant_into_compliant_naming_the_exception() -> None:
    found = exception(ticket="SEC-123")
    verdict = apply_exception(Verdict.non_compliant(FINDING), found, TODAY)
    assert verdict == Verdict(
        Compliance.COMPLIANT,
        f"EXCEPTION public-assets until 2027-03-31; owner: web team; ticket: SEC-123; finding: {FINDING}",
    )
    assert read_exception_annotation(verdict.annotation) == AnnotatedException(
        id="public-assets", expires=date(2027, 3, 31), owner="web team", ticket="SEC-123", expired=False
    )


def test_an_expired_exception_stays_non_compliant_and_says_it_expired() -> None:
    found = exception(expires="2026-12-05")
    verdict = apply_exception(Verdict.non_compliant(FINDING), found, TODAY)
    assert verdict == Verdict(
        Compliance.NON_COMPLIANT,
        f"EXCEPTION public-assets EXPIRED after 2026-12-05; owner: web team; finding: {FINDING}",
    )
    assert read_exception_annotation(verdict.annotation) == AnnotatedException(
        id="public-assets", expires=date(2026, 12, 5), owner="web team", ticket=None, expired=True
    )


@pytest.mark.parametrize("verdict", [Verdict.compliant("Encrypted."), Verdict.not_applicable("Gone.")])
def test_compliant_and_not_applicable_verdicts_are_unchanged(verdict: Verdict) -> None:
    assert apply_exception(verdict, exception(), TODAY) is verdict


def test_no_exception_leaves_the_verdict_as_it_is() -> None:
    verdict = Verdict.non_compliant(FINDING)
    assert apply_exception(verdict, None, TODAY) is verdict


def test_the_longest_head_keeps_id_expiry_owner_and_ticket_whole_and_cuts_only_the_finding() -> None:
    longest = exception(id="a" * 40, owner="o" * 48, ticket="T" * 32, expires="2026-01-01")
    verdict = apply_exception(Verdict.non_compliant("x" * 300), longest, TODAY)
    assert len(verdict.annotation) == MAX_ANNOTATION
    assert verdict.annotation.endswith("x...")
    assert read_exception_annotation(verdict.annotation) == AnnotatedException(
        id="a" * 40, expires=date(2026, 1, 1), owner="o" * 48, ticket="T" * 32, expired=True
    )


def test_an_owner_with_inner_whitespace_reads_back_as_written() -> None:
    found = exception(owner="data  platform\tteam")
    assert found.owner == "data platform team"
    verdict = apply_exception(Verdict.non_compliant(FINDING), found, TODAY)
    annotated = read_exception_annotation(verdict.annotation)
    assert annotated is not None and annotated.owner == "data platform team"


@pytest.mark.parametrize(
    "annotation",
    ["", FINDING, "EXCEPTION", "EXCEPTION x until 2027-02-30; owner: o; finding: f", "exception x until"],
)
def test_other_annotations_name_no_exception(annotation: str) -> None:
    assert read_exception_annotation(annotation) is None
