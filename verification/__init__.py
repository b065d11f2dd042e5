"""Verification of a deployed compliance stack: is it recording, delivering, evaluating and alerting?

Run ``python -m verification --stack dev`` (reads ``pulumi stack output --json``) or
``python -m verification --outputs outputs.json``.
"""
