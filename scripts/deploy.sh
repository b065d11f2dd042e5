#!/usr/bin/env bash
# Deploys a stack (default: dev) with `pulumi up`. State goes to ./.pulumi-state unless
# PULUMI_BACKEND_URL names another backend (scripts/pulumi-env.sh; source it in your shell so that
# `pulumi preview`, `pulumi stack output`, `pulumi destroy` and the verify command find the same stack).
# Needs the Pulumi CLI and AWS credentials for the target account; Pulumi installs the Python
# dependencies into ./venv.
set -euo pipefail
cd "$(dirname "$0")/.."
stack="${1:-dev}"
shift || true

if ! command -v pulumi >/dev/null; then
  echo "The Pulumi CLI is required: https://www.pulumi.com/docs/install/" >&2
  exit 1
fi
# shellcheck source=scripts/pulumi-env.sh
source scripts/pulumi-env.sh
echo "Deploying stack '${stack}' to ${PULUMI_BACKEND_URL} (AWS credentials from AWS_PROFILE / AWS_* variables)"

pulumi install
pulumi stack select --create "$stack"
pulumi up --stack "$stack" "$@"
echo
echo "Next: 'source scripts/pulumi-env.sh' in your shell, then 'venv/bin/python -m verification --stack ${stack}'."
