"""A scheduled summary of the stack's AWS managed rules, read from the aggregator, as compliance metrics.

Managed rules run no code of the stack's, so nothing else writes their metrics: ``summary`` (the handler)
counts each rule's NON_COMPLIANT resources per region and writes them in the evaluators' metric format
(``evaluators.metrics``).
"""

# The summary's rules, shipped in its archive beside this package (components/package.py).
DOCUMENT_NAME = "rules.json"
