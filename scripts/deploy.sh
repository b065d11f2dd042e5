#!/usr/bin/env bash
# Deploys a stack (default: dev) with `pulumi up`, keeping state in ./.pulumi-state unless you are
# already logged in to a backend (set PULUMI_BACKEND_URL to choose one). Needs the Pulumi CLI and AWS
# credentials for the target account; the Python dependencies are installed into ./venv by Pulumi.
set -euo pipefail
cd "$(dirname "$0")/.."
stack="${1:-dev}"
shift || true

if ! command -v pulumi >/dev/null; then
  echo "The Pulumi CLI is required: https://www.pulumi.com/docs/install/" >&2
  exit 1
fi
echo "Deploying stack '${stack}' (AWS credentials from the usual AWS_PROFILE / AWS_* variables)"

export PULUMI_BACKEND_URL="${PULUMI_BACKEND_URL:-file://$PWD/.pulumi-state}"
mkdir -p .pulumi-state
# The file backend encrypts stack secrets with this passphrase; this project stores none.
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE-}"

pulumi install
pulumi stack select --create "$stack"
pulumi up --stack "$stack" "$@"
