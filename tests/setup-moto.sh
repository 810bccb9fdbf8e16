#!/usr/bin/env bash
# Installs moto's server (the AWS emulator the tests and the demo run against) and cfn-lint (which
# the export tests run on the CloudFormation templates) into .venv, pinned, unless they are
# already there. Prints the path of moto_server; cfn-lint is next to it.
set -euo pipefail
MOTO_VERSION="5.2.1"
CFN_LINT_VERSION="1.58.0"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv"
if ! "$venv/bin/python" -c "
import moto, sys
from cfnlint.version import __version__ as cfn_lint
sys.exit(moto.__version__ != '$MOTO_VERSION' or cfn_lint != '$CFN_LINT_VERSION')" 2>/dev/null; then
  echo "installing moto[server]==$MOTO_VERSION and cfn-lint==$CFN_LINT_VERSION into $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check \
    "moto[server]==$MOTO_VERSION" "cfn-lint==$CFN_LINT_VERSION" >&2
fi
echo "$venv/bin/moto_server"
