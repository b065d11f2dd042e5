"""Physical names of every named resource, and the suffix rules that keep each within its AWS limit.

Names are explicit (not auto-named) so that people reading the console, alerts and the verify command
see the suffix and region in them.
"""

from __future__ import annotations

import re

from components.catalog import CHECKS

# The kinds of alert routed to the topic (see components/alerts.py), as they appear in rule names.
NON_COMPLIANT_ALERT = "noncompliant"
EVALUATOR_ERRORS_ALERT = "eval-errors"
ALERT_KIND_NAMES = (NON_COMPLIANT_ALERT, EVALUATOR_ERRORS_ALERT)

SUFFIX_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
# Account ids are always 12 digits, so any one measures the names that contain it.
SAMPLE_ACCOUNT = "123456789012"


def bucket(suffix: str, account_id: str) -> str:
    return f"config-archive-{suffix}-{account_id}"


def key_alias(suffix: str) -> str:
    return f"alias/config-compliance-{suffix}"


def config_role(suffix: str) -> str:
    return f"config-recorder-{suffix}"


def evaluator_role(check: str, suffix: str) -> str:
    return f"compliance-{check}-{suffix}"


def alert_forwarder_role(suffix: str) -> str:
    return f"config-alert-forwarder-{suffix}"


def topic(suffix: str) -> str:
    return f"config-compliance-alerts-{suffix}"


def aggregator(suffix: str) -> str:
    return f"config-compliance-{suffix}"


def alert_rule(kind: str, suffix: str) -> str:
    return f"config-{kind}-notify-{suffix}"


def recorder(suffix: str, region: str) -> str:
    return f"config-recorder-{suffix}-{region}"


def delivery_channel(suffix: str, region: str) -> str:
    return f"config-delivery-{suffix}-{region}"


def function(check: str, suffix: str, region: str) -> str:
    return f"compliance-{check}-{suffix}-{region}"


def config_rule(check: str, suffix: str, region: str) -> str:
    return f"compliance-{check}-{suffix}-{region}"


def errors_alarm(check: str, suffix: str, region: str) -> str:
    return f"compliance-errors-{check}-{suffix}-{region}"


# AWS Config creates an organization rule in each account as a service-linked rule named
# "OrgConfigRule-<organization rule name>-<random suffix>": the AWS Audit Manager API Reference
# (SourceKeyword.keywordValue, also in botocore's auditmanager model) gives the service-linked rule name
# "OrgConfigRule-s3-bucket-versioning-enabled-dbgzf8ba" and says to drop "the suffix ID that appears at
# the end of the rule name". The compliance-change events of each account's copy carry that name.
ORGANIZATION_RULE_PREFIX = "OrgConfigRule-"


def member_config_rule_prefix(check: str, suffix: str, region: str) -> str:
    """The start of the name each account's copy of this stack's organization rule has (``region`` empty:
    in any region). The organization rule itself is named ``config_rule``; the hyphen that follows the
    region keeps another stack whose suffix starts with this one's from matching."""
    return f"{ORGANIZATION_RULE_PREFIX}{config_rule(check, suffix, region)}" + ("-" if region else "")


# AWS managed rules share one name prefix per stack, so the alert rules match them all with one prefix (an
# EventBridge pattern is at most 2,048 characters by default: a list of every rule would outgrow it). The
# double hyphen after the suffix cannot occur inside a suffix (SUFFIX_PATTERN), so one stack's prefix never
# matches another stack's rules; the hyphen after the region likewise keeps regions apart.
MANAGED_RULE_WORD = "managed"


def managed_rule_prefix(suffix: str, region: str) -> str:
    """The start of the name of every managed rule of this stack (``region`` empty: in any region)."""
    return f"{MANAGED_RULE_WORD}-{suffix}--" + (f"{region}-" if region else "")


def managed_rule(name: str, suffix: str, region: str) -> str:
    """An AWS managed rule's Config rule (or organization rule) name; ``name`` is the user's short name."""
    return f"{managed_rule_prefix(suffix, region)}{name}"


def member_managed_rule_prefix(suffix: str, region: str) -> str:
    """The start of the name each account's copy of this stack's organization managed rules has."""
    return f"{ORGANIZATION_RULE_PREFIX}{managed_rule_prefix(suffix, region)}"


# Config's service-linked roles, by service principal; a service-linked role's path is
# aws-service-role/<service principal>/ (IAM User Guide, "Using service-linked roles"). Config API
# Reference: PutConformancePack "creates a service-linked role AWSServiceRoleForConfigConforms in your
# account", which reads a pack's TemplateS3Uri (PutOrganizationConformancePack: "uses the
# AWSServiceRoleForConfigConforms service-linked role in each member account"); PutOrganizationConfigRule
# and PutOrganizationConformancePack create AWSServiceRoleForConfigMultiAccountSetup in the caller's
# account. The principal config-conforms.amazonaws.com: the role's managed policy,
# ConfigConformsServiceRolePolicy (AWS Managed Policy Reference), scopes its resources by it.
CONFORMS_SERVICE = "config-conforms.amazonaws.com"
MULTI_ACCOUNT_SETUP_SERVICE = "config-multiaccountsetup.amazonaws.com"
SERVICE_LINKED_ROLES = {
    CONFORMS_SERVICE: "AWSServiceRoleForConfigConforms",
    MULTI_ACCOUNT_SETUP_SERVICE: "AWSServiceRoleForConfigMultiAccountSetup",
}


def service_linked_role_path(service: str) -> str:
    """The role's ARN after ``arn:aws:iam::<account>:``."""
    return f"role/aws-service-role/{service}/{SERVICE_LINKED_ROLES[service]}"


def managed_summary(suffix: str) -> str:
    """The managed-rule summary's function, its role and its schedule (primary region; IAM is global)."""
    return f"config-managed-summary-{suffix}"


def managed_summary_errors_alarm(suffix: str) -> str:
    return f"config-managed-summary-errors-{suffix}"


def forward_rule(kind: str, suffix: str, region: str) -> str:
    return f"config-{kind}-fwd-{suffix}-{region}"


def dead_letter_queue(suffix: str, region: str) -> str:
    return f"config-alert-dlq-{suffix}-{region}"


def dead_letter_key_alias(suffix: str, region: str) -> str:
    """The alias of the key that encrypts a region's dead-letter queue (requireKms, outside the primary
    region, where the archive key does it)."""
    return f"alias/config-alert-dlq-{suffix}-{region}"


def alert_delivery_alarm(suffix: str, region: str) -> str:
    """Goes off when an alert-path rule of the region fails to deliver (EventBridge FailedInvocations)."""
    return f"config-alert-delivery-failed-{suffix}-{region}"


def dead_letters_alarm(suffix: str, region: str) -> str:
    """Goes off when an undeliverable alert lands in the region's dead-letter queue."""
    return f"config-alert-dead-letters-{suffix}-{region}"


def dashboard(suffix: str) -> str:
    return f"config-compliance-{suffix}"


def member_evaluation_role(suffix: str) -> str:
    """The role the evaluators assume in each member account (organization scope)."""
    return f"config-compliance-member-{suffix}"


def organization_aggregator_role(suffix: str) -> str:
    return f"config-org-aggregator-{suffix}"


def member_stack_set(part: str, suffix: str) -> str:
    """A StackSet of the member baseline: ``part`` is ``roles`` (IAM, one region) or ``regional``."""
    return f"config-compliance-{part}-{suffix}"


def suffix_problems(suffix: str, regions: tuple[str, ...]) -> list[str]:
    if not suffix:
        return ["environmentSuffix is required (e.g. dev, prod)"]
    if not SUFFIX_PATTERN.match(suffix):
        return [
            f"environmentSuffix {suffix!r} may hold only lowercase letters, digits and single hyphens "
            "between them (it is part of S3 bucket, IAM and Lambda names)"
        ]
    longest_check = max((check.name for check in CHECKS), key=len)
    limits = [
        ("S3 bucket name", bucket(suffix, SAMPLE_ACCOUNT), 63),
        ("IAM role name", evaluator_role(longest_check, suffix), 64),
        ("IAM role name", alert_forwarder_role(suffix), 64),
        *(("EventBridge rule name", alert_rule(kind, suffix), 64) for kind in ALERT_KIND_NAMES),
    ]
    region = max(regions, key=len, default="")
    if region:
        limits += [
            ("Lambda function name", function(longest_check, suffix, region), 64),
            *(("EventBridge rule name", forward_rule(kind, suffix, region), 64) for kind in ALERT_KIND_NAMES),
            ("Config rule name", config_rule(longest_check, suffix, region), 128),
            # Config API Reference, PutOrganizationConfigRule: OrganizationConfigRuleName is at most 64.
            ("organization Config rule name", config_rule(longest_check, suffix, region), 64),
        ]
    too_long = [
        f"{what} {name!r} ({len(name)} > {limit})" for what, name, limit in limits if len(name) > limit
    ]
    if too_long:
        return [f"environmentSuffix {suffix!r} is too long; it would make: {'; '.join(too_long)}"]
    return []
