"""AWS tag rules that the stack's own tags (``resourceTags`` and the tags the stack adds) must respect.

The stack tags every resource, IAM roles included, through the providers' default tags, so its tags
must pass the strictest of the services it uses: IAM.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

# Tagging AWS Resources User Guide, "Tag naming limits and requirements": at most 50 user tags per
# resource, keys of 1 to 128 and values of 0 to 256 characters, and the `aws:` prefix (in any case) is
# reserved for tags AWS itself creates.
MAX_TAGS_PER_RESOURCE = 50
MAX_TAG_KEY = 128
MAX_TAG_VALUE = 256
RESERVED_PREFIX = "aws:"

# IAM API Reference, Tag: Key and Value match [\p{L}\p{Z}\p{N}_.:/=+\-@] (letters, separators and
# numbers of any script, and these eight characters). Python's `re` has no \p{..}: the Unicode general
# category (unicodedata.category, "Lu", "Zs", "Nd", ...) gives the same classes.
TAG_CATEGORIES = ("L", "Z", "N")
TAG_MARKS = frozenset("_.:/=+-@")


def refused_characters(text: str) -> list[str]:
    """The characters of ``text`` that IAM refuses in a tag key or value, each once, in order."""
    refused = (
        char
        for char in text
        if char not in TAG_MARKS and not unicodedata.category(char).startswith(TAG_CATEGORIES)
    )
    return list(dict.fromkeys(refused))


def is_reserved(key: str) -> bool:
    return key.lower().startswith(RESERVED_PREFIX)


def tag_problem(key: str, value: str) -> str | None:
    """Why AWS would refuse the tag ``key=value``, or None."""
    if is_reserved(key):
        return f"tag keys starting with {RESERVED_PREFIX!r} are reserved for AWS"
    if len(key) > MAX_TAG_KEY:
        return f"tag key is {len(key)} characters, more than {MAX_TAG_KEY}"
    if len(value) > MAX_TAG_VALUE:
        return f"tag value is {len(value)} characters, more than {MAX_TAG_VALUE}"
    refused = refused_characters(key + value)
    if refused:
        return (
            f"IAM refuses the character(s) {' '.join(map(repr, refused))} in tags (letters, digits, "
            "spaces and _ . : / = + - @ only)"
        )
    return None


def keys_equal_but_for_case(keys: Iterable[str]) -> list[list[str]]:
    """Groups of distinct keys that differ only in case.

    IAM User Guide, "Tagging IAM resources", Case sensitivity: the tag keys of IAM users and roles are
    not case sensitive (Department and department are one key), while most services (EC2, S3, SNS) keep
    them apart. A role created or tagged with both fails with "InvalidInput: Duplicate tag keys found.
    Please note that Tag keys are case insensitive." (quoted in aws/aws-cdk#26253 and
    github-aws-runners/terraform-aws-github-runner#1346). The stack tags its IAM roles.
    """
    by_folded: dict[str, list[str]] = {}
    for key in dict.fromkeys(keys):
        by_folded.setdefault(key.casefold(), []).append(key)
    return [group for group in by_folded.values() if len(group) > 1]
