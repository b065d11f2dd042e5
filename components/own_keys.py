"""The stack's own KMS keys against its own encryption rule's ``allowedKmsKeyArns``.

With ``allowedKmsKeyArns`` set, the encryption rule (and the policy pack) accepts a KMS-encrypted resource
only with a listed key, the stack's own resources included: the archive key encrypts the alert topic and
the archive bucket (and, with ``requireKms``, the primary region's dead-letter queue), and with
``requireKms`` every other region's dead-letter queue has a key of its own. Those keys' ARNs exist only
after the first deployment, so the list cannot hold them beforehand: this says so, naming the keys,
rather than shipping a stack its own rule flags without a word (docs/configuration.md, "The stack's own
keys"). Whether a key is listed is decided by the rule's own code (``evaluators.encryption.key_allowed``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
from evaluators.encryption import key_allowed

from components import naming
from components.settings import Settings

HOW_TO_FIX = (
    "add their ARNs (stack outputs kmsKeyArn and alertPath.<region>.deadLetterKeyArn) to allowedKmsKeyArns, "
    'or except what they encrypt with the exceptions setting (docs/configuration.md, "The stack\'s own keys")'
)


@dataclass(frozen=True)
class OwnKey:
    what: str  # what the key encrypts, as the warning names it
    region: str
    arn: pulumi.Output[str]


def static_warnings(settings: Settings, keys: Sequence[OwnKey]) -> list[str]:
    """What is certain before any key exists: a key in a region where the list names no key at all (the
    first deployment, or a list that forgot the stack), and the member accounts' dead-letter keys, which
    the hub never knows."""
    if not settings.allowed_kms_key_arns:
        return []
    listed_regions = {arn.split(":")[3] for arn in settings.allowed_kms_key_arns}
    unlisted = [key.what for key in keys if key.region not in listed_regions]
    warnings = []
    if unlisted:
        warnings.append(
            f"allowedKmsKeyArns names no key in the region of {'; '.join(unlisted)}: this stack creates "
            f"that key, and its own encryption rule will find what it encrypts NON_COMPLIANT; once it "
            f"exists, {HOW_TO_FIX}"
        )
    if settings.is_organization and settings.require_kms:
        queues = naming.dead_letter_queue(settings.environment_suffix, "*")
        warnings.append(
            "allowedKmsKeyArns is set, and requireKms gives each member account's dead-letter queue a key "
            f"of its own there: list those keys too, or except the queues {queues!r} (exceptions setting)"
        )
    return warnings


def warn_unlisted_own_keys(settings: Settings, keys: Sequence[OwnKey]) -> None:
    """Warns (shown by ``pulumi preview`` and ``up``) about each of the stack's keys that
    ``allowedKmsKeyArns`` does not allow; a key whose ARN is not known yet, once it is."""
    for warning in static_warnings(settings, keys):
        pulumi.log.warn(warning)
    if not settings.allowed_kms_key_arns:
        return
    allowed = frozenset(settings.allowed_kms_key_arns)
    listed_regions = {arn.split(":")[3] for arn in settings.allowed_kms_key_arns}
    # Keys in a region the static warning named are not named twice.
    checked = [key for key in keys if key.region in listed_regions]

    def warn(arns: list[str]) -> None:
        unlisted = [
            f"{key.what} ({arn})"
            for key, arn in zip(checked, arns, strict=True)
            if not key_allowed(arn, allowed)
        ]
        if unlisted:
            pulumi.log.warn(
                f"allowedKmsKeyArns does not list this stack's own key(s) {'; '.join(unlisted)}: its own "
                f"encryption rule finds what they encrypt NON_COMPLIANT; {HOW_TO_FIX}"
            )

    # Runs once the keys' ARNs are known (not in the preview of the deployment that creates them).
    if checked:
        pulumi.Output.all(*(key.arn for key in checked)).apply(warn)
