#!/usr/bin/env bash
# The benchmark: builds onboard in release mode, makes sure moto is installed, and runs
# examples/bench.rs (moto behind a latency layer, 50 ms a request by default). Extra arguments go
# to it: --runs N, --delay-ms MS, --only apply|audit.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
MOTO_SERVER="$(tests/setup-moto.sh)"
export MOTO_SERVER
cargo build --release --quiet --bin onboard
cargo run --release --quiet --example bench -- "$@"
