"""Runs the Pulumi program under mocks and records every resource registration and invoke it makes.

The stock mock monitor keeps only the resulting state; this one also keeps what the engine would use
to order the deployment (``depends_on`` and the provider of each resource), the stack outputs, and
every provider function the program calls (with its arguments).
"""

from __future__ import annotations

import json
import runpy
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pulumi.runtime import mocks, rpc, settings
from pulumi.runtime import stack as stack_module
from pulumi.runtime.sync_await import _sync_await

from components.settings import NAMESPACE

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ACCOUNT_ID = "123456789012"
ORGANIZATION_ID = "o-a1b2c3d4e5"
# Differs from ACCOUNT_ID: a delegated-administrator hub is not the management account.
MANAGEMENT_ACCOUNT_ID = "999988887777"
ROOT_ID = "r-ab12"


@dataclass(frozen=True)
class Organization:
    """The organization the Organizations invokes describe: each OU's parent, the accounts directly in
    each OU or the root."""

    parents: Mapping[str, str]
    accounts_in: Mapping[str, tuple[str, ...]]

    def accounts(self) -> list[str]:
        return [account for accounts in self.accounts_in.values() for account in accounts]

    def descendant_accounts(self, parent: str) -> list[str]:
        """The accounts in ``parent`` and every OU below it (ListAccountsForParent, ListChildren)."""
        below = [unit for unit, unit_parent in self.parents.items() if unit_parent == parent]
        return [
            *self.accounts_in.get(parent, ()),
            *(a for unit in below for a in self.descendant_accounts(unit)),
        ]


# The hub sits in a security OU outside the member OUs the tests name; ou-ab12-99991111 is inside
# ou-ab12-99990000; 111122223333 and the management account are in the root itself.
ORGANIZATION = Organization(
    parents={
        "ou-ab12-cdef3456": ROOT_ID,
        "ou-ab12-99990000": ROOT_ID,
        "ou-ab12-99991111": "ou-ab12-99990000",
        "ou-ab12-5ec00000": ROOT_ID,
    },
    accounts_in={
        ROOT_ID: (MANAGEMENT_ACCOUNT_ID, "111122223333"),
        "ou-ab12-cdef3456": ("210987654321", "333344445555"),
        "ou-ab12-99990000": ("444455556666",),
        "ou-ab12-99991111": ("555566667777",),
        "ou-ab12-5ec00000": (ACCOUNT_ID, "666677778888"),
    },
)


@dataclass
class Registration:
    urn: str
    type: str
    name: str
    parent: str
    provider_urn: str
    dependencies: list[str]
    protect: bool
    retain_on_delete: bool
    ignore_changes: list[str]
    inputs: dict[str, Any]
    state: dict[str, Any] = field(default_factory=dict)
    # Input name -> URNs of the resources that input's value came from.
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Invocation:
    token: str
    args: dict[str, Any]


# ARN formats by resource type, as AWS returns them; others are arn:aws:<service>:<region>:<account>:<name>.
ARN_FORMATS = {
    "aws:s3/bucket:Bucket": "arn:aws:s3:::{name}",
    "aws:iam/role:Role": "arn:aws:iam::{account}:role/{name}",
    "aws:kms/key:Key": "arn:aws:kms:{region}:{account}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    "aws:lambda/function:Function": "arn:aws:lambda:{region}:{account}:function:{name}",
    "aws:cloudwatch/eventRule:EventRule": "arn:aws:events:{region}:{account}:rule/{name}",
    "aws:cfg/configurationAggregator:ConfigurationAggregator": (
        "arn:aws:config:{region}:{account}:config-aggregator/config-aggregator-0a1b2c3d"
    ),
    "aws:cfg/rule:Rule": "arn:aws:config:{region}:{account}:config-rule/config-rule-0a1b2c",
}


def _arn(resource_type: str, region: str, name: str) -> str:
    service = resource_type.split(":")[1].split("/")[0]
    default = f"arn:aws:{service}:{{region}}:{{account}}:{{name}}"
    return ARN_FORMATS.get(resource_type, default).format(region=region, account=ACCOUNT_ID, name=name)


class ProgramMocks(pulumi.runtime.Mocks):
    """Gives each resource the identifiers AWS would compute: ids, ARNs in its provider's region."""

    def __init__(self, organization: Organization = ORGANIZATION) -> None:
        self.provider_regions: dict[str, str] = {}
        self.organization = organization
        self.invocations: list[Invocation] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        state = dict(args.inputs)
        physical = state.get("name") or state.get("bucket") or args.name
        resource_id = f"{physical}-id"
        if args.typ == "pulumi:providers:aws":
            self.provider_regions[resource_id] = state["region"]
            return resource_id, state
        # A provider reference is "<urn>::<id>".
        region = self.provider_regions[args.provider.rsplit("::", 1)[1]] if args.provider else ""
        state.setdefault("arn", _arn(args.typ, region, physical))
        if args.typ == "aws:kms/key:Key":
            state["keyId"] = state["arn"].rsplit("/", 1)[-1]
        if args.typ == "aws:sqs/queue:Queue":
            state["url"] = f"https://sqs.{region}.amazonaws.com/{ACCOUNT_ID}/{physical}"
        return resource_id, state

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        self.invocations.append(Invocation(args.token, dict(args.args)))
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {
                "accountId": ACCOUNT_ID,
                "arn": f"arn:aws:iam::{ACCOUNT_ID}:user/test",
                "userId": "AIDTEST",
            }
        if args.token == "aws:organizations/getOrganization:getOrganization":
            return {
                "id": ORGANIZATION_ID,
                "masterAccountId": MANAGEMENT_ACCOUNT_ID,
                "arn": f"arn:aws:organizations::{MANAGEMENT_ACCOUNT_ID}:organization/{ORGANIZATION_ID}",
                "accounts": [_account(account) for account in self.organization.accounts()],
                "roots": [{"id": ROOT_ID, "name": "Root", "arn": f"arn:aws:organizations::root/{ROOT_ID}"}],
            }
        if args.token == (
            "aws:organizations/getOrganizationalUnitDescendantAccounts:getOrganizationalUnitDescendantAccounts"
        ):
            parent = args.args["parentId"]
            accounts = self.organization.descendant_accounts(parent)
            return {"id": parent, "parentId": parent, "accounts": [_account(a) for a in accounts]}
        raise NotImplementedError(f"the program made an unexpected call: {args.token}")


def _account(account: str) -> dict[str, str]:
    return {
        "id": account,
        "arn": f"arn:aws:organizations::{MANAGEMENT_ACCOUNT_ID}:account/{ORGANIZATION_ID}/{account}",
        "email": f"{account}@example.com",
        "name": account,
        "status": "ACTIVE",
    }


class RecordingMonitor(mocks.MockMonitor):
    def __init__(self, program_mocks: pulumi.runtime.Mocks, stack: str = "test") -> None:
        super().__init__(program_mocks)
        self.stack = stack
        self.registrations: list[Registration] = []
        self.stack_outputs: dict[str, Any] = {}

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        """The URN under this monitor's project and stack. The SDK builds it from its settings, which
        are context variables that pulumi 3.200 does not carry into the monitor's calls (its URNs read
        ``stack::project``); the lowest SDK the requirements admit must record the same graph."""
        if parent:
            type_ = parent.split("::")[2].split("$")[-1] + "$" + type_
        return "urn:pulumi:" + "::".join([self.stack, NAMESPACE, type_, name])

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            inputs = rpc.deserialize_properties(request.object)
            self.registrations.append(
                Registration(
                    urn=response.urn,
                    type=request.type,
                    name=request.name,
                    parent=request.parent,
                    # A provider reference is "<urn>::<id>"; the URN itself contains "::".
                    provider_urn=request.provider.rsplit("::", 1)[0],
                    dependencies=list(request.dependencies),
                    protect=request.protect,
                    retain_on_delete=request.retainOnDelete,
                    ignore_changes=list(request.ignoreChanges),
                    inputs=inputs,
                    state=self.resources[response.urn].state if response.urn in self.resources else {},
                    property_dependencies={
                        name: list(dependencies.urns)
                        for name, dependencies in request.propertyDependencies.items()
                    },
                )
            )
        return response

    def RegisterResourceOutputs(self, request: Any) -> Any:
        if "::pulumi:pulumi:Stack::" in request.urn:
            self.stack_outputs = rpc.deserialize_properties(request.outputs)
        return super().RegisterResourceOutputs(request)


@dataclass
class Deployment:
    registrations: list[Registration]
    outputs: dict[str, Any]
    invocations: list[Invocation] = field(default_factory=list)

    def of_type(self, resource_type: str) -> list[Registration]:
        return [r for r in self.registrations if r.type == resource_type]

    def by_urn(self, urn: str) -> Registration:
        return next(r for r in self.registrations if r.urn == urn)

    def region_of(self, registration: Registration) -> str:
        """The region of the explicit provider a resource was registered with."""
        provider = self.by_urn(registration.provider_urn)
        return str(provider.inputs["region"])

    def children_of(self, parent: Registration) -> Iterator[Registration]:
        return (r for r in self.registrations if r.parent == parent.urn)


def _as_config_string(value: Any) -> str:
    """A config value as the engine hands it to the program: lists as JSON, booleans lowercase."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return str(value).lower()
    return json.dumps(value)


def run_program(
    config: Mapping[str, Any], stack: str = "test", organization: Organization = ORGANIZATION
) -> Deployment:
    """Runs ``__main__.py`` with the given project config (values as the stack file would give them), in
    ``organization`` as far as the program reads AWS Organizations."""
    raw = {
        f"{NAMESPACE}:{key}": value if isinstance(value, str) else json.dumps(value)
        for key, value in config.items()
    }
    program_mocks = ProgramMocks(organization)
    monitor = RecordingMonitor(program_mocks, stack)
    pulumi.runtime.set_all_config(raw)
    pulumi.runtime.set_mocks(program_mocks, project=NAMESPACE, stack=stack, preview=False, monitor=monitor)
    # set_mocks starts a bare root stack; run the program in its own, as `pulumi up` does, so that its
    # exports become the stack's outputs.
    settings.set_root_resource(None)  # type: ignore[arg-type]
    try:
        _sync_await(stack_module.run_in_stack(lambda: runpy.run_path(str(PROJECT_ROOT / "__main__.py"))))
    finally:
        _forget_unfinished_work()
    return Deployment(
        registrations=monitor.registrations,
        outputs=monitor.stack_outputs,
        invocations=program_mocks.invocations,
    )


def _forget_unfinished_work() -> None:
    """A program that failed leaves outputs and calls pending; the next run must not wait for them."""
    with settings.SETTINGS.lock:
        for task in settings.SETTINGS.outputs:
            task.cancel()
        settings.SETTINGS.outputs.clear()
    settings._get_rpc_manager().clear()


def stack_file_config(stack: str) -> dict[str, Any]:
    """The project settings of ``Pulumi.<stack>.yaml``, keys without the namespace."""
    config = yaml.safe_load((PROJECT_ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
    prefix = f"{NAMESPACE}:"
    return {key[len(prefix) :]: value for key, value in config.items() if key.startswith(prefix)}
