"""IAM resource scoping, checked against the Service Authorization Reference (SAR) as parliament ships it.

The SAR ("Actions, resources, and condition keys for AWS services", reference_policies_actions-resources-
contextkeys.html) says, per action: an empty Resource types column means the action must be granted on
"*"; otherwise an ARN in the policy must be of one of the listed types. The pages behind the actions
used here: https://docs.aws.amazon.com/service-authorization/latest/reference/list_<service>.html with
<service> amazonec2, amazons3, amazonrds, amazondynamodb, amazonelasticfilesystem, amazonsns, amazonsqs,
amazonresourcegrouptaggingapi, awsbackup, awsconfig (evaluators) and amazoncloudwatchlogs,
awskeymanagementservice, amazoneventbridge, awssecuritytokenservice (the stack's other policies); the
managed-rule summary's calls (functions/managed_summary) are read the same way and checked against its
role's policy.

What the SAR cannot say is how the code calls an action. A call that names no resource (a list or a
describe-all, such as elasticfilesystem:DescribeFileSystems without FileSystemId) is authorized against
"*" whatever types the SAR lists, so a scoped grant is denied in production while every mock accepts it.
The evaluators' calls are read from their source (every boto3 operation of the services they create
clients for), so a new call is checked without anyone declaring it. A call names a resource when it
passes one of the operation's required parameters (botocore's model); an optional filter such as
DescribeDBInstances' DBInstanceIdentifier is not counted, which can only ask for more "*", never less.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import botocore.session
import parliament
import pytest
from botocore import xform_name

from components.catalog import ANY_RESOURCE, CHECKS, EVALUATOR_PERMISSIONS, Permission
from components.policies import MANAGED_SUMMARY_ACTIONS
from tests.infra.conftest import DEV_CONFIG
from tests.infra.program import ACCOUNT_ID, PROJECT_ROOT, Deployment, run_program

EVALUATOR_SOURCES = PROJECT_ROOT / "functions" / "evaluators"

# botocore service names whose IAM prefix differs (SAR: "service prefix: elasticfilesystem", "tag").
IAM_PREFIX = {"efs": "elasticfilesystem", "resourcegroupstaggingapi": "tag"}
# API operations authorized by an action of another name (SAR, Amazon S3: ListBuckets needs
# s3:ListAllMyBuckets; GetBucketEncryption needs s3:GetEncryptionConfiguration).
IAM_ACTION = {
    ("s3", "ListBuckets"): "ListAllMyBuckets",
    ("s3", "GetBucketEncryption"): "GetEncryptionConfiguration",
}

# Actions the evaluators call that the catalogue does not grant, and why (checked: each is still called).
GRANTED_ELSEWHERE = {
    "sts:AssumeRole": "organization scope only: the hub grants it on the member evaluation role",
}

SAR: dict[str, dict[str, Any]] = {service["prefix"]: service for service in parliament.iam_definition}


def privilege(action: str) -> dict[str, Any] | None:
    prefix, _, name = action.partition(":")
    service = SAR.get(prefix, {"privileges": []})
    return next((p for p in service["privileges"] if p["privilege"].lower() == name.lower()), None)


def resource_types(action: str) -> list[str]:
    """The SAR's resource types of an action, without the "required" asterisk; [] means "*" only."""
    found = privilege(action)
    assert found is not None, f"{action} is not an action in the Service Authorization Reference"
    return [t["resource_type"].rstrip("*") for t in found["resource_types"] if t["resource_type"]]


def arn_format(action: str, resource_type: str) -> str:
    """The type's ARN with every ${Variable} as a wildcard, as parliament matches them."""
    (resource,) = [r for r in SAR[action.split(":")[0]]["resources"] if r["resource"] == resource_type]
    return re.sub(r"\$\{.*?\}", "*", resource["arn"])


# --- the evaluators' calls ------------------------------------------------------------------------


@dataclass(frozen=True)
class ApiCall:
    where: str
    service: str
    operation: str
    # Keyword arguments passed; None when the source does not show them (a ** of something unreadable).
    arguments: frozenset[str] | None

    @property
    def action(self) -> str:
        name = IAM_ACTION.get((self.service, self.operation), self.operation)
        return f"{IAM_PREFIX.get(self.service, self.service)}:{name}"

    def names_a_resource(self) -> bool:
        assert self.arguments is not None, (
            f"{self.where}: cannot read the arguments of {self.operation}; pass them as keywords or "
            "as a dict literal assigned in the same function"
        )
        model = botocore.session.get_session().get_service_model(self.service)
        shape = model.operation_model(self.operation).input_shape
        required = set(shape.required_members) if shape is not None else set()
        return bool(required & self.arguments)


def _literal_keys(function: ast.AST, name: str) -> frozenset[str] | None:
    """Keys of ``name = {...}`` (and ``name["key"] = ...``) in a function, if all are literal."""
    keys: set[str] = set()
    assigned = False
    for node in ast.walk(function):
        targets: list[ast.expr] = []
        value: ast.expr | None = None
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign):
            targets, value = [node.target], node.value
        for target in targets:
            if isinstance(target, ast.Name) and target.id == name:
                if not isinstance(value, ast.Dict) or not all(
                    isinstance(k, ast.Constant) and isinstance(k.value, str) for k in value.keys
                ):
                    return None
                keys |= {k.value for k in value.keys if isinstance(k, ast.Constant)}
                assigned = True
            elif (
                isinstance(target, ast.Subscript)
                and isinstance(target.value, ast.Name)
                and target.value.id == name
            ):
                if not (isinstance(target.slice, ast.Constant) and isinstance(target.slice.value, str)):
                    return None
                keys.add(target.slice.value)
    return frozenset(keys) if assigned else None


def _arguments(call: ast.Call, function: ast.AST) -> frozenset[str] | None:
    names: set[str] = set()
    for keyword in call.keywords:
        if keyword.arg is not None:
            names.add(keyword.arg)
            continue
        spread = _literal_keys(function, keyword.value.id) if isinstance(keyword.value, ast.Name) else None
        if spread is None:
            return None
        names |= spread
    return frozenset(names)


def _client_service(node: ast.AST) -> str | None:
    """The service of ``client("s3")``, ``ctx.client("s3")``, ``clients("s3")`` and the like."""
    if not isinstance(node, ast.Call) or not node.args or not isinstance(node.args[0], ast.Constant):
        return None
    func = node.func
    name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
    return str(node.args[0].value) if "client" in name.lower() else None


def api_calls(root: Path = EVALUATOR_SOURCES) -> list[ApiCall]:
    """Every boto3 operation the code calls: ``x.operation(...)`` and ``pages(x, "operation", ...)``."""
    sources = {path: ast.parse(path.read_text(), str(path)) for path in sorted(root.glob("*.py"))}
    services = {
        service for tree in sources.values() for node in ast.walk(tree) if (service := _client_service(node))
    }
    session = botocore.session.get_session()
    operations: dict[str, list[tuple[str, str]]] = {}
    for service in sorted(services):
        for operation in session.get_service_model(service).operation_names:
            operations.setdefault(xform_name(operation), []).append((service, operation))

    calls: dict[tuple[str, int, int], ApiCall] = {}
    for path, tree in sources.items():
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(function):
                if not isinstance(node, ast.Call):
                    continue
                if isinstance(node.func, ast.Name) and node.func.id == "pages":
                    assert isinstance(node.args[1], ast.Constant), f"{path}:{node.lineno}: not a literal"
                    method = str(node.args[1].value)
                elif isinstance(node.func, ast.Attribute) and node.func.attr in operations:
                    method = node.func.attr
                else:
                    continue
                candidates = operations.get(method, [])
                assert len(candidates) == 1, f"{path}:{node.lineno}: {method} in {candidates or 'no service'}"
                ((service, operation),) = candidates
                where = f"{path.relative_to(root.parent)}:{node.lineno}"
                # The innermost function is visited last and so has the final word on ** arguments.
                calls[(where, node.lineno, node.col_offset)] = ApiCall(
                    where, service, operation, _arguments(node, function)
                )
    return list(calls.values())


@cache
def evaluator_calls() -> tuple[ApiCall, ...]:
    return tuple(api_calls())


# --- scoping rules --------------------------------------------------------------------------------


def scoping_problems(permission: Permission, calls: tuple[ApiCall, ...]) -> list[str]:
    action, resource = permission.action, permission.resource
    if privilege(action) is None:
        return [f"{action} is not an action in the Service Authorization Reference"]
    if resource == ANY_RESOURCE:
        return []
    unnamed = [call.where for call in calls if call.action == action and not call.names_a_resource()]
    if unnamed:
        return [f"{action} is called without a resource id ({', '.join(unnamed)}): grant it on *"]
    return arn_problems(action, resource.format(account=ACCOUNT_ID))


def arn_problems(action: str, resource: str) -> list[str]:
    """An ARN or ARN pattern granted for an action must be of one of the action's resource types."""
    if resource == ANY_RESOURCE:
        return []
    types = resource_types(action)
    if not types:
        return [f"{action} has no resource-level permissions in the SAR: grant it on *, not {resource}"]
    if any(parliament.is_arn_strictly_valid(t, arn_format(action, t), resource) for t in types):
        return []
    formats = ", ".join(arn_format(action, t) for t in types)
    return [f"{action} on {resource} matches none of its resource types ({formats})"]


ALL_PERMISSIONS = sorted(
    {*EVALUATOR_PERMISSIONS, *(p for check in CHECKS for p in check.read_permissions)},
    key=lambda p: (p.action, p.resource),
)


@pytest.mark.parametrize("permission", ALL_PERMISSIONS, ids=lambda p: f"{p.action} on {p.resource}")
def test_each_evaluator_permission_is_scoped_as_its_calls_and_the_sar_require(permission: Permission) -> None:
    assert scoping_problems(permission, evaluator_calls()) == []


def test_every_call_the_evaluators_make_is_a_granted_action() -> None:
    granted = {permission.action for permission in ALL_PERMISSIONS}
    called = {call.action for call in evaluator_calls()}
    assert called - granted - set(GRANTED_ELSEWHERE) == set()
    assert set(GRANTED_ELSEWHERE) <= called
    # And nothing is granted that no evaluator calls.
    assert granted - called == set()


def test_the_scan_sees_list_calls_and_calls_naming_a_resource() -> None:
    calls = evaluator_calls()
    by_action: dict[str, set[bool]] = {}
    for call in calls:
        by_action.setdefault(call.action, set()).add(call.names_a_resource())
    assert by_action["elasticfilesystem:DescribeFileSystems"] == {False}
    assert by_action["rds:DescribeDBInstances"] == {False}
    assert by_action["elasticfilesystem:DescribeBackupPolicy"] == {True}
    assert by_action["backup:ListBackupSelections"] == {True}
    # Read through a dict literal passed with **.
    assert by_action["config:GetComplianceDetailsByConfigRule"] == {True}
    assert by_action["s3:GetEncryptionConfiguration"] == {True}


def test_the_scan_reads_keywords_spreads_and_refuses_to_guess(tmp_path: Path) -> None:
    (tmp_path / "sample.py").write_text(
        "def listing():\n"
        "    return pages(client('efs'), 'describe_file_systems', 100)\n"
        "def one(efs, file_system_id):\n"
        "    return efs.describe_backup_policy(FileSystemId=file_system_id)\n"
        "def config_client():\n"
        "    return client('config')\n"
        "def spread(config, name):\n"
        "    request = {'ConfigRuleName': name}\n"
        "    return pages(config, 'get_compliance_details_by_config_rule', 100, **request)\n"
        "def unreadable(config, request):\n"
        "    return config.get_resource_config_history(**request)\n"
    )
    calls = {call.operation: call for call in api_calls(tmp_path)}
    assert not calls["DescribeFileSystems"].names_a_resource()
    assert calls["DescribeBackupPolicy"].names_a_resource()
    assert calls["GetComplianceDetailsByConfigRule"].names_a_resource()
    assert calls["GetResourceConfigHistory"].arguments is None
    with pytest.raises(AssertionError, match="cannot read the arguments"):
        calls["GetResourceConfigHistory"].names_a_resource()


def test_assuming_the_member_role_is_scoped_to_roles() -> None:
    (call,) = [call for call in evaluator_calls() if call.action == "sts:AssumeRole"]
    assert call.names_a_resource()
    member_role = Permission("sts:AssumeRole", "arn:aws:iam::*:role/config-compliance-member-dev")
    assert scoping_problems(member_role, evaluator_calls()) == []


@pytest.mark.parametrize(
    ("permission", "problem"),
    [
        (
            Permission(
                "elasticfilesystem:DescribeFileSystems", "arn:aws:elasticfilesystem:*:{account}:file-system/*"
            ),
            "called without a resource id",
        ),
        (Permission("rds:DescribeDBClusters", "arn:aws:rds:*:{account}:cluster:*"), "without a resource id"),
        (Permission("dynamodb:DescribeTable", "arn:aws:sqs:*:{account}:*"), "matches none of its resource"),
        (Permission("sns:GetTopicAttributes", "arn:aws:sns:*:{account}:*:sub"), "matches none"),
        (Permission("config:PutEvaluations", "arn:aws:config:*:{account}:config-rule/*"), "resource-level"),
        (Permission("config:PutEvaluation"), "not an action"),
        (Permission("sts:AssumeRole", "arn:aws:sts::*:assumed-role/member/*"), "matches none"),
    ],
)
def test_the_rules_reject_a_wrong_grant(permission: Permission, problem: str) -> None:
    (found,) = scoping_problems(permission, evaluator_calls())
    assert problem in found


# --- every policy the program creates -------------------------------------------------------------


def statements(document: str) -> Iterator[dict[str, Any]]:
    parsed = json.loads(document)
    yield from ([parsed["Statement"]] if isinstance(parsed["Statement"], dict) else parsed["Statement"])


def as_list(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def policy_documents(dev: Deployment) -> Iterator[tuple[str, str]]:
    """(what, JSON document) of every IAM, trust, key, bucket, topic and queue policy of the dev stack."""
    fields = {
        "aws:iam/rolePolicy:RolePolicy": "policy",
        "aws:iam/role:Role": "assumeRolePolicy",
        "aws:kms/key:Key": "policy",
        "aws:s3/bucketPolicy:BucketPolicy": "policy",
        "aws:sns/topicPolicy:TopicPolicy": "policy",
        "aws:sqs/queuePolicy:QueuePolicy": "policy",
    }
    for resource_type, field in fields.items():
        for registration in dev.of_type(resource_type):
            yield f"{registration.name} ({resource_type})", str(registration.inputs[field])


def statement_problems(statement: dict[str, Any]) -> list[str]:
    """Each action must exist; each named one must find a resource of its type among the statement's.

    A statement's resources apply to all its actions; one that does not fit an action's types grants or
    denies that action nothing (parliament's RESOURCE_MISMATCH, for every type rather than only the
    required ones). Wildcard actions (a blanket Deny of s3:*) are checked only for matching something.
    Trust policies (sts:AssumeRole) name no resource: their actions are checked alone.
    """
    problems = []
    resources = as_list(statement.get("Resource", []))
    for pattern in as_list(statement["Action"]):
        expanded = parliament.expand_action(pattern, raise_exceptions=False)
        if not expanded:
            problems.append(f"{pattern} matches no action in the SAR")
        if "*" in pattern or not resources:
            continue
        fits = [resource for resource in resources if not arn_problems(pattern, resource)]
        if not fits:
            problems.append(f"{pattern}: {arn_problems(pattern, resources[0])[0]}")
    return problems


def test_every_action_in_every_policy_exists_and_fits_its_resources(dev: Deployment) -> None:
    organization = run_program(
        {**DEV_CONFIG, "scope": "organization", "memberOrganizationalUnits": ["r-ab12"]}
    )
    problems = [
        f"{what}: {problem}"
        for deployment in (dev, organization)
        for what, document in policy_documents(deployment)
        for statement in statements(document)
        for problem in statement_problems(statement)
    ]
    assert problems == []


def test_a_statement_whose_resources_fit_none_of_an_action_is_found() -> None:
    assert statement_problems({"Action": "events:PutEvents", "Resource": "arn:aws:sns:us-east-1:1:x"})
    assert statement_problems({"Action": "sts:AssumeRoles"})
    assert not statement_problems(
        {"Action": ["s3:PutObject"], "Resource": ["arn:aws:s3:::bucket", "arn:aws:s3:::bucket/*"]}
    )


def test_role_policies_have_no_parliament_findings_but_the_list_calls_on_star(dev: Deployment) -> None:
    """parliament flags "*" where an action could be scoped (RESOURCE_STAR); a call naming no resource
    is authorized against "*" whatever the SAR lists, so those findings are expected, and only those."""
    listed = {call.action for call in evaluator_calls() if not call.names_a_resource()}
    for registration in dev.of_type("aws:iam/rolePolicy:RolePolicy"):
        analysed = parliament.analyze_policy_string(registration.inputs["policy"])
        unexpected = [
            (f.issue, f.detail)
            for f in analysed.findings
            if not (f.issue == "RESOURCE_STAR" and set(f.detail) <= listed)
        ]
        assert unexpected == [], registration.name


# --- the managed-rule summary ---------------------------------------------------------------------

SUMMARY_SOURCES = PROJECT_ROOT / "functions" / "managed_summary"


def summary_role_policy() -> dict[str, Any]:
    deployment = run_program({**DEV_CONFIG, "managedRules": [{"identifier": "ENCRYPTED_VOLUMES"}]})
    (policy,) = [
        r
        for r in deployment.of_type("aws:iam/rolePolicy:RolePolicy")
        if r.name == "hub-managed-summary-role-policy"
    ]
    return dict(json.loads(policy.inputs["policy"]))


def test_the_summary_is_granted_exactly_the_aggregator_reads_it_calls_on_the_aggregator() -> None:
    """Both calls name the aggregator (ConfigurationAggregatorName is required), and the SAR scopes both
    actions to the ConfigurationAggregator resource type: the grant is the stack's aggregator ARN."""
    calls = api_calls(SUMMARY_SOURCES)
    assert {call.action for call in calls} == set(MANAGED_SUMMARY_ACTIONS)
    assert all(call.names_a_resource() for call in calls)
    for action in MANAGED_SUMMARY_ACTIONS:
        assert resource_types(action) == ["ConfigurationAggregator"]
    (reads, logs) = statements(json.dumps(summary_role_policy()))
    assert sorted(reads["Action"]) == sorted(MANAGED_SUMMARY_ACTIONS)
    for action in reads["Action"]:
        assert arn_problems(action, reads["Resource"]) == []
    assert reads["Resource"].startswith("arn:aws:config:us-east-1:123456789012:config-aggregator/")
    assert statement_problems(reads) == [] and statement_problems(logs) == []
    assert logs["Resource"] == (
        "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/config-managed-summary-dev:*"
    )


def test_the_summary_policy_has_no_parliament_findings() -> None:
    analysed = parliament.analyze_policy_string(json.dumps(summary_role_policy()))
    assert [(f.issue, f.detail) for f in analysed.findings] == []


def test_a_grant_of_the_summary_reads_on_anything_but_an_aggregator_is_refused() -> None:
    assert arn_problems(MANAGED_SUMMARY_ACTIONS[0], "arn:aws:config:us-east-1:123456789012:config-rule/*")
    assert arn_problems(MANAGED_SUMMARY_ACTIONS[1], "arn:aws:logs:us-east-1:123456789012:log-group:x")
