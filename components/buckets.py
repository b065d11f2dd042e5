"""Keeping a bucket of the stack private: objects owned by the bucket's account (ACLs disabled) and every
public access blocked. Shared by the archive bucket (components/hub.py) and the conformance pack template
buckets (components/conformance_pack_deployment.py)."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws


def keep_private(
    prefix: str, bucket: pulumi.Input[str], opts: pulumi.ResourceOptions
) -> aws.s3.BucketPublicAccessBlock:
    """The bucket's ownership controls and public access block, named ``<prefix>-ownership`` and
    ``<prefix>-public-access``; a bucket policy should depend on the returned block."""
    aws.s3.BucketOwnershipControls(
        f"{prefix}-ownership",
        bucket=bucket,
        rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
        opts=opts,
    )
    return aws.s3.BucketPublicAccessBlock(
        f"{prefix}-public-access",
        bucket=bucket,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        opts=opts,
    )
