#!/usr/bin/env bash
# Runs onboard end to end against a local AWS emulator (moto), no AWS account needed:
# installs moto into .venv if it is missing, starts it on a free loopback port, builds onboard,
# then runs apply, verify and teardown for Streamkap BYOC, and stops moto again.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

moto_server="$(tests/setup-moto.sh)"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"$moto_server" -H 127.0.0.1 -p "$port" >/dev/null 2>&1 &
moto_pid=$!
trap 'kill "$moto_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$port/moto-api/" >/dev/null 2>&1 && break
  sleep 0.1
done

cargo build --quiet --bin onboard
onboard="$root/target/debug/onboard"

# The emulator accepts any credentials; nothing here reaches AWS.
export AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo AWS_REGION=us-east-1
export AWS_ENDPOINT_URL="http://127.0.0.1:$port" AWS_EC2_METADATA_DISABLED=true

step() { printf '\n\033[1m$ %s\033[0m\n' "$*" >&2; }

step onboard apply --vendor streamkap
out="$("$onboard" apply --vendor streamkap)"
echo "$out"
role_arn="$(tail -n 1 <<<"$out")"

step onboard apply --vendor streamkap "   # again: nothing to do"
"$onboard" apply --vendor streamkap

step onboard verify --role-arn "$role_arn"
"$onboard" verify --role-arn "$role_arn"

step onboard teardown --yes
"$onboard" teardown --yes

step onboard teardown --yes "   # again: nothing left"
"$onboard" teardown --yes
