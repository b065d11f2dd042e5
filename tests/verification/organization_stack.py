"""An organization-scope stack in moto server, and the organization rule APIs moto does not implement.

moto 5 implements AWS Organizations and service-managed StackSets (CreateStackSet, CreateStackInstances
targeting OUs, ListStackInstances: every instance SUCCEEDED, no drift status, no paging, CallAs ignored).
It has no organization Config rule API (PutOrganizationConfigRule and the status APIs) and no aggregator
source status: ``organization_answers`` answers those at the client layer, from a table of member
accounts, checked against botocore's service model by ``StatusAnswers``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from moto_stack import ACCOUNT, PRIMARY, REGIONS, SUFFIX, Answer, aws, build_stack, rule_name

from components import naming

# The random suffix Config gives the hub account's copy of each organization rule.
HUB_COPY_SUFFIX = "a1b2c3d4"
# A template moto can create in every member account: one resource with no properties.
MEMBER_TEMPLATE = json.dumps({"Resources": {"Handle": {"Type": "AWS::CloudFormation::WaitConditionHandle"}}})


def hub_copy_name(check: str, region: str) -> str:
    return f"{naming.ORGANIZATION_RULE_PREFIX}{rule_name(check, region)}-{HUB_COPY_SUFFIX}"


def stack_set_names() -> list[str]:
    return [naming.member_stack_set(part, SUFFIX) for part in ("roles", "regional")]


@dataclass(frozen=True)
class Organization:
    """What moto made: the organization, the member OU and its accounts (ids moto chose)."""

    organization_id: str
    root_id: str
    member_ou: str
    members: tuple[str, ...]


def build_organization(member_count: int = 2) -> Organization:
    organizations = aws("organizations", PRIMARY)
    organization_id = organizations.create_organization(FeatureSet="ALL")["Organization"]["Id"]
    root_id = organizations.list_roots()["Roots"][0]["Id"]
    member_ou = organizations.create_organizational_unit(ParentId=root_id, Name="workloads")[
        "OrganizationalUnit"
    ]["Id"]
    members = []
    for number in range(member_count):
        status = organizations.create_account(Email=f"member{number}@example.com", AccountName=f"m{number}")
        account = status["CreateAccountStatus"]["AccountId"]
        organizations.move_account(AccountId=account, SourceParentId=root_id, DestinationParentId=member_ou)
        members.append(account)
    return Organization(organization_id, root_id, member_ou, tuple(members))


def build_organization_stack(
    organization: Organization, management_role: str = "SELF", excluded: Sequence[str] = ()
) -> dict[str, Any]:
    """The organization-scope outputs of a stack built in moto: the hub's resources (its rules are the
    copies Config would make of the organization rules), an organization aggregator, and both StackSets
    with an instance per member account (roles: primary region; regional: every region)."""
    outputs = build_stack(deployed_rule_name=hub_copy_name)
    aggregator_role = aws("iam", PRIMARY).create_role(
        RoleName=naming.organization_aggregator_role(SUFFIX),
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
    )["Role"]["Arn"]
    outputs["aggregatorArn"] = aws("config", PRIMARY).put_configuration_aggregator(
        ConfigurationAggregatorName=outputs["aggregatorName"],
        OrganizationAggregationSource={"RoleArn": aggregator_role, "AwsRegions": list(REGIONS)},
    )["ConfigurationAggregator"]["ConfigurationAggregatorArn"]

    cloudformation = aws("cloudformation", PRIMARY)
    for name, regions in zip(stack_set_names(), ([PRIMARY], list(REGIONS)), strict=True):
        cloudformation.create_stack_set(
            StackSetName=name,
            TemplateBody=MEMBER_TEMPLATE,
            PermissionModel="SERVICE_MANAGED",
            AutoDeployment={"Enabled": True, "RetainStacksOnAccountRemoval": False},
            CallAs=management_role,
        )
        cloudformation.create_stack_instances(
            StackSetName=name,
            DeploymentTargets={"OrganizationalUnitIds": [organization.member_ou]},
            Regions=regions,
            CallAs=management_role,
        )
    return {
        **outputs,
        "scope": "organization",
        "organization": {
            "memberOrganizationalUnits": [organization.member_ou],
            "excludedAccounts": list(excluded),
            "manageMemberRecorders": True,
            "memberRoleName": naming.member_evaluation_role(SUFFIX),
            "stackSets": stack_set_names(),
            "managementRole": management_role,
        },
    }


@dataclass(frozen=True)
class MemberStatus:
    """An account's deployment status of an organization rule (GetOrganizationConfigRuleDetailedStatus)."""

    status: str = "CREATE_SUCCESSFUL"
    error_code: str = ""
    error_message: str = ""


def _page(items: Sequence[Any], params: Mapping[str, Any], size: int) -> tuple[list[Any], dict[str, Any]]:
    start = int(params.get("NextToken", "0"))
    more = {"NextToken": str(start + size)} if start + size < len(items) else {}
    return list(items[start : start + size]), more


def organization_answers(
    outputs: Mapping[str, Any],
    accounts: Sequence[str],
    now: datetime,
    failed: Mapping[tuple[str, str, str], MemberStatus] | None = None,
    failed_sources: Mapping[tuple[str, str], str] | None = None,
) -> dict[str, Answer]:
    """The organization rule APIs for the stack's rules, deployed in ``accounts`` (the hub included),
    and the aggregator's source status per account and region.

    ``failed`` gives the status of (organization rule, account, region)'s copy where it is not
    CREATE_SUCCESSFUL; ``failed_sources`` the error code of an (account, region) source that FAILED.
    """
    failed = failed or {}
    failed_sources = failed_sources or {}
    # Organization rules are regional: the region comes from the rule name's end, as the program names them.
    functions = {
        rule["ruleName"]: (region, rule["functionArn"])
        for region, rules in outputs["rules"].items()
        for rule in rules.values()
    }
    excluded = outputs["organization"]["excludedAccounts"]

    def member_statuses(name: str) -> list[dict[str, Any]]:
        region = functions[name][0]
        statuses = []
        for account in accounts:
            member = failed.get((name, account, region), MemberStatus())
            status: dict[str, Any] = {
                "AccountId": account,
                "ConfigRuleName": name,
                "MemberAccountRuleStatus": member.status,
                "LastUpdateTime": now - timedelta(hours=2),
            }
            if member.error_code:
                status["ErrorCode"] = member.error_code
                status["ErrorMessage"] = member.error_message
            statuses.append(status)
        return statuses

    def known(names: Sequence[str], operation: str) -> None:
        from botocore.exceptions import ClientError

        for name in names:
            if name not in functions:
                error = {"Code": "NoSuchOrganizationConfigRuleException", "Message": f"{name} not found"}
                raise ClientError({"Error": error}, operation)

    def describe(params: dict[str, Any]) -> dict[str, Any]:
        names = params["OrganizationConfigRuleNames"]
        known(names, "DescribeOrganizationConfigRules")
        return {
            "OrganizationConfigRules": [
                {
                    "OrganizationConfigRuleName": name,
                    "OrganizationConfigRuleArn": f"arn:aws:config:{functions[name][0]}:{ACCOUNT}:"
                    f"organization-config-rule/{name}-abcdef",
                    "OrganizationCustomRuleMetadata": {
                        "LambdaFunctionArn": functions[name][1],
                        "OrganizationConfigRuleTriggerTypes": [
                            "ConfigurationItemChangeNotification",
                            "OversizedConfigurationItemChangeNotification",
                            "ScheduledNotification",
                        ],
                        "MaximumExecutionFrequency": "Six_Hours",
                        "ResourceTypesScope": ["AWS::EC2::Volume"],
                    },
                    **({"ExcludedAccounts": list(excluded)} if excluded else {}),
                    "LastUpdateTime": now - timedelta(days=1),
                }
                for name in names
            ]
        }

    def statuses(params: dict[str, Any]) -> dict[str, Any]:
        names = params["OrganizationConfigRuleNames"]
        known(names, "DescribeOrganizationConfigRuleStatuses")
        result = []
        for name in names:
            failures = [s for s in member_statuses(name) if s["MemberAccountRuleStatus"].endswith("_FAILED")]
            status: dict[str, Any] = {
                "OrganizationConfigRuleName": name,
                "OrganizationRuleStatus": "CREATE_FAILED" if failures else "CREATE_SUCCESSFUL",
                "LastUpdateTime": now - timedelta(hours=2),
            }
            if failures:
                status["ErrorCode"] = "ResourceNotDiscoveredException"
                status["ErrorMessage"] = "Config rule creation failed in one or more member accounts"
            result.append(status)
        return {"OrganizationConfigRuleStatuses": result}

    def detailed(params: dict[str, Any]) -> dict[str, Any]:
        name = params["OrganizationConfigRuleName"]
        known([name], "GetOrganizationConfigRuleDetailedStatus")
        assert params["Limit"] == 100, "the largest page the API allows"
        page, more = _page(member_statuses(name), params, params["Limit"])
        return {"OrganizationConfigRuleDetailedStatus": page, **more}

    def sources(params: dict[str, Any]) -> dict[str, Any]:
        result = []
        for account in accounts:
            for region in outputs["regions"]:
                status: dict[str, Any] = {
                    "SourceId": account,
                    "SourceType": "ACCOUNT",
                    "AwsRegion": region,
                    "LastUpdateStatus": "SUCCEEDED",
                    "LastUpdateTime": now - timedelta(hours=1),
                }
                code = failed_sources.get((account, region))
                if code:
                    status.update(LastUpdateStatus="FAILED", LastErrorCode=code, LastErrorMessage="denied")
                result.append(status)
        return {"AggregatedSourceStatusList": result}

    return {
        "DescribeOrganizationConfigRules": describe,
        "DescribeOrganizationConfigRuleStatuses": statuses,
        "GetOrganizationConfigRuleDetailedStatus": detailed,
        "DescribeConfigurationAggregatorSourcesStatus": sources,
    }

