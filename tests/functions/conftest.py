"""Fixtures for the evaluator tests live in ``evaluator_support`` (importable by other suites too)."""

from evaluator_support import api, aws_environment, moto_aws, shipped_exceptions

__all__ = ["api", "aws_environment", "moto_aws", "shipped_exceptions"]
