"""The CrossGuard policy pack (``__main__.py``) and the command that configures it (``configure``).

Importing ``components`` first puts the evaluators' package (``functions/``) on ``sys.path``: both the pack,
which Pulumi starts with only the pack's directory on the path, and ``python -m policy.configure`` import
``evaluators`` before anything else would.
"""

import components  # noqa: F401
