"""AWS Config compliance monitoring across the regions chosen in stack config."""

import pulumi
from evaluators.exceptions import to_document

from components import naming
from components.hub import ComplianceHub
from components.managed_rule_summary import schedule_expression
from components.members import MemberAccounts, call_as, member_templates
from components.own_keys import OwnKey, warn_unlisted_own_keys
from components.package import lambda_archive
from components.region import RegionalCompliance, RegionalComplianceArgs
from components.settings import load_settings

settings = load_settings()
templates = member_templates(settings) if settings.is_organization else None
hub = ComplianceHub("hub", settings)
members = MemberAccounts("members", settings, hub, templates) if templates is not None else None
code = lambda_archive(settings.exceptions)
regions = {
    region: RegionalCompliance(
        f"region-{region}",
        RegionalComplianceArgs(region=region, settings=settings, hub=hub, code=code, members=members),
    )
    for region in settings.regions
}

warn_unlisted_own_keys(
    settings,
    [
        OwnKey(f"the archive key of {settings.primary_region}", settings.primary_region, hub.key.arn),
        *(
            OwnKey(f"the dead-letter queue key of {region}", region, component.alert_path.dead_letter_key_arn)
            for region, component in regions.items()
            if region != settings.primary_region and component.alert_path.dead_letter_key_arn is not None
        ),
    ],
)

pulumi.export("scope", settings.scope)
pulumi.export("primaryRegion", settings.primary_region)
pulumi.export("regions", list(settings.regions))
pulumi.export("evaluationFrequency", settings.evaluation_frequency)
pulumi.export("bucketName", hub.bucket.bucket)
pulumi.export("kmsKeyArn", hub.key.arn)
pulumi.export("topicArn", hub.topic.arn)
pulumi.export("aggregatorName", hub.aggregator.name)
pulumi.export("aggregatorArn", hub.aggregator.arn)
pulumi.export("dashboardName", hub.dashboard.dashboard_name)
# The exceptions as the functions apply them (the report and verify read them from here).
pulumi.export("exceptions", to_document(settings.exceptions))
pulumi.export(
    "recording",
    {
        region: {
            "managed": settings.manages_recorder(region),
            "recorderName": component.recorder_name,
            "deliveryChannelName": component.delivery_channel_name,
        }
        for region, component in regions.items()
    },
)
pulumi.export("alertPath", {region: component.alert_path.output() for region, component in regions.items()})
pulumi.export(
    "rules",
    {
        region: {
            check: {"ruleName": deployed.rule_name, "functionArn": deployed.function_arn}
            for check, deployed in component.checks.items()
        }
        for region, component in regions.items()
    },
)
pulumi.export(
    "conformancePacks", {region: component.conformance_packs for region, component in regions.items()}
)
pulumi.export(
    "managedRules",
    {
        region: {rule: deployed.output() for rule, deployed in component.managed_rules.items()}
        for region, component in regions.items()
    },
)
if hub.managed_rule_summary is not None:
    # What verify checks of the summary: the function, and the rule that runs it (named like the function).
    pulumi.export(
        "managedRuleSummary",
        {
            "functionArn": hub.managed_rule_summary.arn,
            "scheduleRuleName": naming.managed_summary(settings.environment_suffix),
            "scheduleExpression": schedule_expression(settings.evaluation_frequency),
        },
    )
if members is not None:
    pulumi.export(
        "organization",
        {
            "memberOrganizationalUnits": list(settings.member_organizational_units),
            "excludedAccounts": hub.rule_excluded_accounts,
            "manageMemberRecorders": settings.manage_member_recorders,
            "memberRoleName": naming.member_evaluation_role(settings.environment_suffix),
            "stackSets": members.stack_set_names,
            "managementRole": call_as(settings),
        },
    )
