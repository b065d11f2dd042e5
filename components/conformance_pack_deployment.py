"""Conformance packs in one region: ``aws.cfg.ConformancePack`` (account scope) or
``aws.cfg.OrganizationConformancePack`` (organization scope), and the region's template bucket when a
template is too large for ``TemplateBody``.

Config reads a ``TemplateS3Uri`` from a bucket in the pack's own Region (Config API Reference,
PutConformancePack), as the conformance-pack service-linked role ``AWSServiceRoleForConfigConforms``
of each account the pack reaches (PutOrganizationConformancePack: "This API uses the
AWSServiceRoleForConfigConforms service-linked role in each member account"). So each region with an
oversized pack has one bucket, named ``awsconfigconforms...`` because that role's managed policy
(ConfigConformsServiceRolePolicy) allows s3:GetObject only on such buckets, readable by that role only,
over TLS only, encrypted with SSE-S3: the template is no secret, and a KMS key would be one more key per
region whose policy had to admit every member account's service-linked role.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from components import naming
from components.buckets import keep_private
from components.conformance_packs import ConformancePack, object_key, pack_name, template_bucket
from components.hub import ComplianceHub
from components.settings import Settings

Document = dict[str, Any]
CONFORMS_ROLE_PATH = naming.service_linked_role_path(naming.CONFORMS_SERVICE)


def conforms_role_arn(account_id: str) -> str:
    return f"arn:aws:iam::{account_id}:{CONFORMS_ROLE_PATH}"


def template_bucket_policy(
    bucket: pulumi.Input[str], account_id: pulumi.Input[str], organization_id: pulumi.Input[str] | None
) -> Document:
    """The conformance-pack role reads the templates; nothing travels without TLS.

    The role is named in a condition, not as the Principal: PutBucketPolicy rejects a principal that does
    not exist yet (IAM User Guide, "AWS JSON policy elements: Principal"), and Config creates the role
    with the account's first pack, after this policy. Fixed values of aws:PrincipalArn and
    aws:PrincipalOrgID keep the policy non-public, so Block Public Access allows it (S3 User Guide,
    "The meaning of 'public'"). In an organization every account's role reads (the Developer Guide's
    organization bucket policy for conformance packs: aws:PrincipalOrgID with aws:PrincipalArn).
    """
    bucket_arn = pulumi.Output.concat("arn:aws:s3:::", bucket)
    readers: dict[str, Any]
    if organization_id is None:
        readers = {
            "ArnEquals": {"aws:PrincipalArn": pulumi.Output.from_input(account_id).apply(conforms_role_arn)}
        }
    else:
        readers = {
            "StringEquals": {"aws:PrincipalOrgID": organization_id},
            "ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::*:{CONFORMS_ROLE_PATH}"},
        }
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ConformancePackTemplateRead",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": pulumi.Output.concat(bucket_arn, "/conformance-packs/*"),
                "Condition": readers,
            },
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [bucket_arn, pulumi.Output.concat(bucket_arn, "/*")],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
        ],
    }


def deploy_conformance_packs(
    name: str,
    region: str,
    settings: Settings,
    hub: ComplianceHub,
    after: Sequence[pulumi.Resource],
    child: pulumi.ResourceOptions,
) -> list[pulumi.Output[str]]:
    """Every pack of the settings in this region, once ``after`` (the recorder started; in organization
    scope the member baseline) is in place: the Config guide's conformance pack "Prerequisites" ask for
    recording to be on before a pack is deployed."""
    packs = settings.conformance_packs
    if not packs:
        return []
    suffix = settings.environment_suffix
    uploaded: dict[str, aws.s3.BucketObjectv2] = {}
    locations: dict[str, pulumi.Output[str]] = {}
    ready: list[pulumi.Resource] = list(after)
    bodies = {pack.name: pack.body(suffix, region) for pack in packs}
    if any(pack.oversized(suffix, region) for pack in packs):
        bucket, policy = _template_bucket(name, region, suffix, hub, child)
        ready.append(policy)
        for pack in packs:
            if pack.oversized(suffix, region):
                key = object_key(pack, bodies[pack.name])
                uploaded[pack.name] = aws.s3.BucketObjectv2(
                    f"{name}-pack-{pack.name}-template",
                    bucket=bucket.id,
                    key=key,
                    content=bodies[pack.name],
                    content_type="application/json",
                    server_side_encryption="AES256",
                    opts=child,
                )
                locations[pack.name] = pulumi.Output.concat("s3://", bucket.bucket, "/", key)
    names = []
    for pack in packs:
        source = uploaded.get(pack.name)
        after_source = [*ready, *([source] if source else [])]
        template: dict[str, pulumi.Input[str]] = (
            {"template_body": bodies[pack.name]}
            if pack.name not in locations
            else {"template_s3_uri": locations[pack.name]}
        )
        names.append(_pack(name, pack, template, settings, hub, after_source, child))
    return names


def _pack(
    name: str,
    pack: ConformancePack,
    template: dict[str, pulumi.Input[str]],
    settings: Settings,
    hub: ComplianceHub,
    after: list[pulumi.Resource],
    child: pulumi.ResourceOptions,
) -> pulumi.Output[str]:
    """``template``: the template_body or template_s3_uri argument."""
    opts = pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=after))
    if settings.is_organization:
        deployed: aws.cfg.OrganizationConformancePack | aws.cfg.ConformancePack = (
            aws.cfg.OrganizationConformancePack(
                f"{name}-pack-{pack.name}",
                name=pack_name(pack.name, settings.environment_suffix),
                input_parameters=[
                    aws.cfg.OrganizationConformancePackInputParameterArgs(parameter_name=k, parameter_value=v)
                    for k, v in pack.parameters.items()
                ],
                # The accounts the organization rules skip (components/hub.py), so the packs reach the same.
                excluded_accounts=hub.rule_excluded_accounts.apply(lambda accounts: accounts or None),
                opts=opts,
                **template,
            )
        )
    else:
        deployed = aws.cfg.ConformancePack(
            f"{name}-pack-{pack.name}",
            name=pack_name(pack.name, settings.environment_suffix),
            input_parameters=[
                aws.cfg.ConformancePackInputParameterArgs(parameter_name=k, parameter_value=v)
                for k, v in pack.parameters.items()
            ],
            opts=opts,
            **template,
        )
    return deployed.name


def _template_bucket(
    name: str, region: str, suffix: str, hub: ComplianceHub, child: pulumi.ResourceOptions
) -> tuple[aws.s3.Bucket, aws.s3.BucketPolicy]:
    bucket = aws.s3.Bucket(
        f"{name}-pack-templates",
        bucket=hub.account_id.apply(lambda account: template_bucket(suffix, account, region)),
        # Every object is a copy of a template in the project: nothing is lost with the bucket.
        force_destroy=True,
        opts=child,
    )
    public_access = keep_private(f"{name}-pack-templates", bucket.id, child)
    aws.s3.BucketServerSideEncryptionConfiguration(
        f"{name}-pack-templates-encryption",
        bucket=bucket.id,
        rules=[
            aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                    sse_algorithm="AES256"
                )
            )
        ],
        opts=child,
    )
    policy = aws.s3.BucketPolicy(
        f"{name}-pack-templates-policy",
        bucket=bucket.id,
        policy=pulumi.Output.json_dumps(
            template_bucket_policy(bucket.bucket, hub.account_id, hub.organization_id)
        ),
        # Block Public Access first: it judges the policy when it is put.
        opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[public_access])),
    )
    return bucket, policy
