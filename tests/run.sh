#!/usr/bin/env bash
# The test command: makes sure moto is installed (tests/setup-moto.sh), then runs every unit and
# integration test. The integration tests start their own moto servers on free loopback ports.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MOTO_SERVER="$("$root/tests/setup-moto.sh")"
export MOTO_SERVER
cd "$root"
# The library's unit tests, then the integration tests (tests/tests.rs); the examples are
# compiled by clippy in .ci/run and run by examples/*.sh.
exec cargo test --lib --tests "$@"
