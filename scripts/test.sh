#!/usr/bin/env bash
# Runs every offline check on a fresh machine: creates .venv, installs the development requirements,
# then lint, type checks, and the test suite (unit, mocks, moto, moto_server over HTTP) with coverage.
# Live tests against a deployed stack run only when CONFIG_COMPLIANCE_OUTPUTS and AWS credentials are set.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -r requirements-dev.txt

.venv/bin/ruff check .
.venv/bin/mypy components functions verification
.venv/bin/coverage run -m pytest "$@"
.venv/bin/coverage report
