"""Verification of a deployed compliance stack: is it recording, delivering, evaluating and alerting?
And a report of its compliance across regions.

Run ``python -m verification --stack dev`` (reads ``pulumi stack output --json``) or
``python -m verification --outputs outputs.json``; ``python -m verification report --stack dev`` for
the compliance report (docs/verify.md, docs/report.md).
"""
