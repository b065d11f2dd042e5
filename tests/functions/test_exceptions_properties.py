"""Property: for any resource and any list of exceptions, the posted result is NON_COMPLIANT if and only if
the check finds the resource non-compliant and no active exception matches it.

The expected answer is computed independently of the matcher (``fnmatch.fnmatchcase`` on each identity
text, the limits read field by field), so the precompiled and combined expressions are checked too.
"""

from __future__ import annotations

import fnmatch
from datetime import date, timedelta

from evaluators.excepting import excepting, identity
from evaluators.exceptions import (
    EVERY_ACCOUNT,
    ExceptionMatcher,
    ResourceException,
    read_exception_annotation,
)
from evaluators.items import ConfigurationItem
from evaluators.verdicts import MAX_ANNOTATION, Compliance, Verdict
from hypothesis import given, settings
from hypothesis import strategies as st

CHECK = "encryption"
TODAY = date(2026, 12, 6)
TYPES = ("AWS::S3::Bucket", "AWS::SQS::Queue", "AWS::EC2::Volume")
REGIONS = ("eu-west-1", "us-east-1")
ACCOUNTS = ("111111111111", "222222222222")

# A small alphabet makes matches (and near misses) frequent.
texts = st.text(alphabet="ab-1", min_size=1, max_size=5)
globs = st.text(alphabet="ab-1*?", min_size=1, max_size=6).filter(lambda g: set(g) != {"*"})


@st.composite
def resources(draw: st.DrawFn) -> ConfigurationItem:
    resource_type = draw(st.sampled_from(TYPES))
    resource_id = draw(texts)
    name = draw(texts)
    arn = draw(st.none() | st.just(f"arn:aws:test:::{name}"))
    return ConfigurationItem(resource_type, resource_id, arn=arn)


def near(text: str) -> st.SearchStrategy[str]:
    """Globs built from one of the resource's own texts, so that matches (and near misses) are common."""
    return st.sampled_from(
        [text, f"{text[:1]}*", f"{text[:-1]}?", f"*{text[-1:]}", f"?{text[1:]}", f"{text}?", f"{text}*x"]
    ).filter(lambda g: set(g) != {"*"})


@st.composite
def exceptions(draw: st.DrawFn, position: int, item: ConfigurationItem) -> ResourceException:
    own = draw(st.sampled_from(identity(item).texts()))
    return ResourceException(
        id=f"exception-{position}",
        check=draw(st.sampled_from((CHECK, "backup"))),
        resource=draw(globs | st.builds(lambda g: f"arn:aws:test:::{g}", globs) | near(own)),
        resource_type=draw(st.none() | st.sampled_from(TYPES)),
        regions=tuple(draw(st.lists(st.sampled_from(REGIONS), unique=True, max_size=2))),
        accounts=draw(
            st.just(())
            | st.just((EVERY_ACCOUNT,))
            | st.lists(st.sampled_from(ACCOUNTS), unique=True, min_size=1).map(tuple)
        ),
        reason="reason",
        owner=draw(st.sampled_from(("web team", "o" * 48))),
        ticket=draw(st.none() | st.just("SEC-1")),
        expires=TODAY + timedelta(days=draw(st.integers(-3, 3))),
    )


def exception_lists(item: ConfigurationItem) -> st.SearchStrategy[tuple[ResourceException, ...]]:
    return st.integers(0, 6).flatmap(
        lambda n: st.tuples(*(exceptions(position, item) for position in range(n))).map(tuple)
    )


def matches(exception: ResourceException, item: ConfigurationItem, region: str, account: str) -> bool:
    if exception.check != CHECK:
        return False
    if exception.resource_type not in (None, item.resource_type):
        return False
    if exception.regions and region not in exception.regions:
        return False
    if exception.accounts and exception.accounts != (EVERY_ACCOUNT,) and account not in exception.accounts:
        return False
    return any(fnmatch.fnmatchcase(text, exception.resource) for text in identity(item).texts())


@settings(max_examples=400, deadline=None)
@given(
    data=st.data(),
    item=resources(),
    finding=st.sampled_from(list(Compliance)),
    annotation=st.text(max_size=300),
    region=st.sampled_from(REGIONS),
    account=st.sampled_from(ACCOUNTS),
)
def test_posted_non_compliant_iff_the_check_says_so_and_no_active_exception_matches(
    data: st.DataObject,
    item: ConfigurationItem,
    finding: Compliance,
    annotation: str,
    region: str,
    account: str,
) -> None:
    listed = data.draw(exception_lists(item))
    checked = Verdict(finding, annotation)
    evaluate = excepting(lambda _: checked, ExceptionMatcher(listed, CHECK), region, account, TODAY)
    posted = evaluate(item)

    matching = [e for e in listed if matches(e, item, region, account)]
    active = [e for e in matching if e.is_active(TODAY)]
    assert (posted.compliance is Compliance.NON_COMPLIANT) == (
        finding is Compliance.NON_COMPLIANT and not active
    )
    if finding is not Compliance.NON_COMPLIANT or not matching:
        assert posted == checked
        return
    named = read_exception_annotation(posted.annotation)
    assert named is not None and len(posted.annotation) <= MAX_ANNOTATION
    expected = active[0] if active else matching[0]
    assert (named.id, named.expires, named.owner, named.ticket) == (
        expected.id,
        expected.expires,
        expected.owner,
        expected.ticket,
    )
    assert named.expired == (not active)
