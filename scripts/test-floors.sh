#!/usr/bin/env bash
# Installs the lowest version of every runtime requirement that requirements.txt admits (its `>=`
# floors, as pip constraints) into .venv-floor, with the development tools requirements-dev.txt admits,
# and runs the infra tests there: a floor the code has outgrown fails here, not in a user's deployment.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m venv .venv-floor
python3 scripts/floor_constraints.py requirements.txt > .venv-floor/constraints.txt
echo "Testing the lowest versions requirements.txt admits: $(tr '\n' ' ' < .venv-floor/constraints.txt)"
# pip itself is one of the SDK's requirements: the resolver picks the version pulumi admits.
.venv-floor/bin/python -m pip install --quiet -r requirements-dev.txt -c .venv-floor/constraints.txt
.venv-floor/bin/python -m pytest tests/infra -q -p no:cacheprovider
