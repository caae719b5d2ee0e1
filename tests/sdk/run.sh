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
