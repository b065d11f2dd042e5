"""The explicit AWS provider each component deploys through: one region, the stack's tags on everything."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from components.settings import Settings


def regional_provider(name: str, region: str, settings: Settings, parent: pulumi.Resource) -> aws.Provider:
    return aws.Provider(
        f"{name}-provider",
        region=region,
        default_tags=aws.ProviderDefaultTagsArgs(tags=dict(settings.resource_tags)),
        opts=pulumi.ResourceOptions(parent=parent),
    )
