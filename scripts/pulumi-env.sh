# Source this file (`source scripts/pulumi-env.sh`) so that every `pulumi` command in the shell, and
# `python -m verification --stack ...`, use the state backend and passphrase that scripts/deploy.sh uses.
# The backend defaults to ./.pulumi-state (no Pulumi Cloud account needed); set PULUMI_BACKEND_URL
# beforehand to use another (e.g. s3://bucket/prefix or https://api.pulumi.com).
_project_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PULUMI_BACKEND_URL="${PULUMI_BACKEND_URL:-file://${_project_root}/.pulumi-state}"
# A file backend encrypts stack secrets with this passphrase; this project stores no secret in config,
# so it defaults to empty. Set it beforehand if your stacks hold secrets.
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE-}"
if [[ "${PULUMI_BACKEND_URL}" == file://* ]]; then
  mkdir -p "${PULUMI_BACKEND_URL#file://}"
fi
unset _project_root
