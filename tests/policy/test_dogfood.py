"""The stack passes its own policy pack: every resource of the shipped dev and prod stacks that a check
covers is compliant with that stack's own settings, so its own Config rules find it compliant too.

The program runs under the infra tests' mocks; each registered resource is handed to the pack as the
policy analyzer would, with ``tagsAll`` computed as the AWS provider computes it (the provider's
``defaultTags`` merged under the resource's own ``tags``: pulumi-aws, Provider defaultTags).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from pulumi_policy import PolicyResource

from policy.configure import PROJECT_ROOT, pack_config, stack_settings
from tests.infra.program import Deployment, run_program, stack_file_config
from tests.policy.policy_support import CHECK_NAMES, Spec, resources, run_policy


def _analyzed(deployment: Deployment) -> list[PolicyResource]:
    urns = {r.urn: r.name for r in deployment.registrations}
    specs = []
    for registration in deployment.registrations:
        props: dict[str, Any] = dict(registration.inputs)
        if registration.provider_urn in urns:
            provider = deployment.by_urn(registration.provider_urn)
            # Provider inputs travel JSON-encoded (pulumi SDK, providers' non-string inputs).
            default_tags = json.loads(provider.inputs.get("defaultTags") or "{}").get("tags") or {}
            props["tagsAll"] = {**default_tags, **(props.get("tags") or {})}
        refers = {
            name: [urns[urn] for urn in dependencies if urn in urns]
            for name, dependencies in registration.property_dependencies.items()
        }
        specs.append(Spec(registration.type, registration.name, props, refers))
    return resources(specs)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_shipped_stacks_pass_their_own_pack(stack: str) -> None:
    deployment = run_program(stack_file_config(stack), stack=stack)
    config = pack_config(stack_settings(PROJECT_ROOT / f"Pulumi.{stack}.yaml"))
    analyzed = _analyzed(deployment)
    covered = {r.resource_type for r in analyzed} & {
        "aws:s3/bucket:Bucket",
        "aws:sns/topic:Topic",
        "aws:sqs/queue:Queue",
    }
    assert covered == {"aws:s3/bucket:Bucket", "aws:sns/topic:Topic", "aws:sqs/queue:Queue"}
    for check in CHECK_NAMES:
        outcome = run_policy(check, analyzed, config[check])
        assert outcome.messages == [], f"{stack}: {check}"
        assert outcome.undecided is None, f"{stack}: {check}"
