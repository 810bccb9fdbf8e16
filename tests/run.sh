#!/usr/bin/env bash
# The test command: makes sure moto is installed (tests/setup-moto.sh), then runs every unit and
# integration test. The integration tests start their own moto servers on free loopback ports.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MOTO_SERVER="$("$root/tests/setup-moto.sh")"
export MOTO_SERVER
cd "$root"
exec cargo test --all-targets "$@"
