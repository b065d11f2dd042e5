"""Verification of a deployed compliance stack: is it recording, delivering, evaluating and alerting?
And a report of its compliance across regions.

Run ``python -m verification --stack dev`` (reads ``pulumi stack output --json``) or
``python -m verification --outputs outputs.json``; ``python -m verification report --stack dev`` for
the compliance report (docs/verify.md, docs/report.md).
"""

# The components package puts the evaluators' package (functions/) on the import path: the commands read
# the exceptions and annotations with the evaluators' own code. Imported first, so it holds however
# verification is entered (python -m verification, tests, the program).
import components  # noqa: F401
