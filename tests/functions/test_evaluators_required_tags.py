"""The required-tags check as a pure function."""

from __future__ import annotations

import pytest
from evaluators.errors import InvalidParameterError
from evaluators.items import ConfigurationItem
from evaluators.required_tags import RequiredTag, evaluate, parse_parameters
from evaluators.verdicts import Compliance

REQUIRED = parse_parameters({"requiredTags": "Owner, Environment=prod|dev"})


def tagged(tags: dict[str, str], resource_type: str = "AWS::Lambda::Function") -> ConfigurationItem:
    return ConfigurationItem(resource_type, "r-1", tags=tags)


def test_parameters() -> None:
    assert (RequiredTag("Owner"), RequiredTag("Environment", ("prod", "dev"))) == REQUIRED


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (None, "missing or empty"),
        ("", "missing or empty"),
        ("=x", "tag key must be 1-128 characters"),
        ("k" * 129, "tag key must be 1-128 characters"),
        ("a,a=x", "tag key 'a' listed twice"),
        ("a=", "blank or over-long allowed value"),
        ("a=x||y", "blank or over-long allowed value"),
        ("a,,b", "empty item"),
    ],
)
def test_malformed_parameters(raw: str | None, message: str) -> None:
    with pytest.raises(InvalidParameterError, match=f"rule parameter 'requiredTags': .*{message}"):
        parse_parameters({} if raw is None else {"requiredTags": raw})


def test_compliant_with_any_resource_type() -> None:
    result = evaluate(tagged({"Owner": "x", "Environment": "dev", "extra": ""}), REQUIRED)
    assert result.compliance is Compliance.COMPLIANT
    assert result.annotation == "All required tags are present: Owner, Environment."


def test_annotation_names_each_offending_tag() -> None:
    result = evaluate(tagged({"Owner": "  ", "Environment": "qa"}), REQUIRED)
    assert result.compliance is Compliance.NON_COMPLIANT
    assert result.annotation == "tag 'Owner' is blank; tag 'Environment' is 'qa', allowed: prod|dev."
    missing = evaluate(tagged({}), REQUIRED)
    assert missing.annotation == "missing tag 'Owner'; missing tag 'Environment'."


def test_tag_keys_are_case_sensitive() -> None:
    assert (
        evaluate(tagged({"owner": "x", "Environment": "prod"}), REQUIRED).compliance
        is Compliance.NON_COMPLIANT
    )


def test_item_with_null_tags_has_no_tags() -> None:
    # An item whose tags are null or absent (item_from_record reads both as {}) is an untagged resource.
    result = evaluate(tagged({}), REQUIRED)
    assert result.compliance is Compliance.NON_COMPLIANT
    assert result.annotation == "missing tag 'Owner'; missing tag 'Environment'."
