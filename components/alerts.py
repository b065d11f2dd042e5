"""The events that reach the alert topic, from every region: what they match and the message they make.

Two kinds: a resource found NON_COMPLIANT by one of the stack's rules, and an evaluator that fails
(its Lambda errors alarm goes off), since a failing evaluator leaves compliance results stale.
Both travel the same way: an EventBridge rule in each non-primary region forwards them to the primary
region's default bus, where one rule per kind sends them to SNS with a message a person can act on.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from components import naming
from components.catalog import CHECKS

# Name matchers in an event pattern: exact names, or {"prefix": ...} objects.
NameMatchers = list[Any]


# Compared by identity: the kinds are the module's constants, usable as mapping keys.
@dataclass(frozen=True, eq=False)
class AlertKind:
    name: str
    description: str
    # The name of the rule or alarm whose events this kind carries, for one check in one region.
    source_name: Callable[[str, str, str], str]
    pattern: Callable[[NameMatchers], dict[str, Any]]
    input_paths: dict[str, str]
    template: str

    def event_pattern(self, names: NameMatchers) -> str:
        return json.dumps(self.pattern(names))

    # Sources whose name Config derives in organization scope (each account's copy of an org rule).
    renamed_in_organization: bool = False
    # Also matches the stack's AWS managed rules, by their shared name prefix (components/naming.py).
    includes_managed_rules: bool = False
    # Also matches the managed-rule summary's errors alarm (components/managed_rule_summary.py).
    includes_managed_summary: bool = False

    def names_in_region(self, suffix: str, region: str, organization: bool = False) -> NameMatchers:
        if organization and self.renamed_in_organization:
            return _organization_prefixes(suffix, region) + self._managed(suffix, region, organization)
        names: NameMatchers = [self.source_name(check.name, suffix, region) for check in CHECKS]
        return names + self._managed(suffix, region, organization)

    def prefixes(self, suffix: str, organization: bool = False) -> NameMatchers:
        """Matches this stack's sources in every region (their names end with the region)."""
        if organization and self.renamed_in_organization:
            return _organization_prefixes(suffix, "") + self._managed(suffix, "", organization)
        names: NameMatchers = [{"prefix": self.source_name(check.name, suffix, "")} for check in CHECKS]
        return names + self._managed(suffix, "", organization)

    def names_in_hub(self, suffix: str, organization: bool, managed_summary: bool) -> NameMatchers:
        """What the primary region's rule matches: the stack's sources in every region, and the managed-rule
        summary's alarm (it exists only in the primary region, and only with managed rules)."""
        names = self.prefixes(suffix, organization)
        if managed_summary and self.includes_managed_summary:
            names.append(naming.managed_summary_errors_alarm(suffix))
        return names

    def _managed(self, suffix: str, region: str, organization: bool) -> NameMatchers:
        """One prefix for every managed rule, however many there are, so the pattern stays within what
        EventBridge allows (Amazon EventBridge quotas, "Event pattern size": 2,048 characters by default,
        adjustable; the provider's EventRule docs: up to 4,096)."""
        if not self.includes_managed_rules:
            return []
        own = {"prefix": naming.managed_rule_prefix(suffix, region)}
        if organization:
            # Each account's copy of an organization managed rule is OrgConfigRule-<name>-<id>; the rules
            # an organization conformance pack creates in each account are named by Config in no
            # documented form (docs/conformance-packs.md): they are matched by the prefix the program
            # gives every rule name of the template (components/conformance_packs.py), as in account scope.
            return [{"prefix": naming.member_managed_rule_prefix(suffix, region)}, own]
        return [own]


def _organization_prefixes(suffix: str, region: str) -> NameMatchers:
    return [{"prefix": naming.member_config_rule_prefix(check.name, suffix, region)} for check in CHECKS]


NON_COMPLIANT = AlertKind(
    name=naming.NON_COMPLIANT_ALERT,
    description="NON_COMPLIANT evaluations of the compliance rules",
    source_name=naming.config_rule,
    pattern=lambda names: {
        "source": ["aws.config"],
        "detail-type": ["Config Rules Compliance Change"],
        "detail": {"configRuleName": names, "newEvaluationResult": {"complianceType": ["NON_COMPLIANT"]}},
    },
    input_paths={
        "rule": "$.detail.configRuleName",
        "resourceType": "$.detail.resourceType",
        "resourceId": "$.detail.resourceId",
        "region": "$.detail.awsRegion",
        "account": "$.detail.awsAccountId",
        "annotation": "$.detail.newEvaluationResult.annotation",
        "time": "$.time",
    },
    renamed_in_organization=True,
    includes_managed_rules=True,
    template=json.dumps(
        "NON_COMPLIANT: <resourceType> <resourceId> in account <account>, region <region>, "
        "fails Config rule <rule> (<time>). <annotation>"
    ),
)

EVALUATOR_ERRORS = AlertKind(
    name=naming.EVALUATOR_ERRORS_ALERT,
    description="Failing compliance evaluators (their Lambda errors alarm)",
    source_name=naming.errors_alarm,
    pattern=lambda names: {
        "source": ["aws.cloudwatch"],
        "detail-type": ["CloudWatch Alarm State Change"],
        "detail": {"alarmName": names, "state": {"value": ["ALARM"]}},
    },
    input_paths={
        "alarm": "$.detail.alarmName",
        "reason": "$.detail.state.reason",
        "region": "$.region",
        "account": "$.account",
        "time": "$.time",
    },
    includes_managed_summary=True,
    template=json.dumps(
        "EVALUATOR FAILING: <alarm> in account <account>, region <region> (<time>): <reason> "
        "Compliance results of its rule may be stale until it succeeds; its log group tells why."
    ),
)

ALERT_KINDS = (NON_COMPLIANT, EVALUATOR_ERRORS)
