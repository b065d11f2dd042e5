"""The config-compliance CrossGuard policy pack: `pulumi preview --policy-pack ./policy`.

Pulumi runs this file in the pack's own virtualenv (policy/venv, from requirements.txt). The decision code
is the project's own (components/ and functions/evaluators/), one directory up.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi_policy import EnforcementLevel, PolicyPack

from policy.preventive.policies import policies

PolicyPack(name="config-compliance", enforcement_level=EnforcementLevel.ADVISORY, policies=policies())
