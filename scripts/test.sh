#!/usr/bin/env bash
# Runs every offline check on a fresh machine: creates .venv, installs the development requirements,
# then lint, type checks, and the test suite (unit, mocks, moto, moto_server over HTTP, the HTML report
# in headless Chromium) with coverage; then the infra tests again on the lowest versions of the runtime
# requirements (scripts/test-floors.sh, in .venv-floor).
# Chromium comes from Debian's `chromium` package: installed here when running as root with apt-get
# (CI), otherwise the browser test is skipped with the reason. Live tests against a deployed stack run
# only when CONFIG_COMPLIANCE_OUTPUTS and AWS credentials are set.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing Chromium for the HTML report's browser test"
  if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }; then
    echo "Chromium could not be installed; the browser test will be skipped" >&2
  fi
fi

python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -r requirements-dev.txt

.venv/bin/ruff check .
.venv/bin/mypy components functions verification policy
.venv/bin/coverage run -m pytest "$@"
.venv/bin/coverage report

bash ./scripts/test-floors.sh
