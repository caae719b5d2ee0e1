#!/usr/bin/env bash
# Cross-check against a real client: the official Python SDK (bandwidth-sdk on PyPI) must read every
# generated transferAnswer and transferDisconnect line, and agree with callfold on every field.
set -euo pipefail
cd "$(dirname "$0")/../.."

venv=target/sdk-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check "bandwidth-sdk==23.3.1"

cargo build --quiet --bin callfold
bin=target/debug/callfold
log=target/sdk-check.jsonl
# Perturbed deliveries: null and "" fields, offsets, 6 fraction digits, redeliveries, reordering.
"$bin" generate --calls 1000 --seed 1 > "$log"
"$bin" decode "$log" > "$log.decoded"
"$venv/bin/python" tests/sdk/cross_check.py "$log" "$log.decoded"

# The SDK as a client of `callfold serve`: bodies it builds, posted with urllib, served as folded.
cargo build --quiet --bin callfold --features server
data=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$data"' EXIT
export CALLFOLD_USERNAME=sdk CALLFOLD_PASSWORD=sdk-secret CALLFOLD_API_TOKEN=sdk-token
"$bin" serve --listen 127.0.0.1:0 --data "$data/log" 2> "$data/stderr" &
server=$!
for _ in $(seq 100); do
  url=$(sed -n 's/.*listening on \(http:[^,]*\),.*/\1/p' "$data/stderr")
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || { cat "$data/stderr" >&2; echo "sdk: callfold serve did not start" >&2; exit 1; }
"$venv/bin/python" tests/sdk/post.py "$url" "$log" "$data/posted.jsonl"
"$bin" legs "$data/posted.jsonl" > "$data/legs.jsonl" || [ $? -eq 1 ]
"$venv/bin/python" tests/sdk/post.py "$url" "$log" "$data/posted.jsonl" "$data/legs.jsonl"
"$bin" legs "$data/log" | cmp - "$data/legs.jsonl" && echo "sdk: callfold legs on the data directory agrees"
