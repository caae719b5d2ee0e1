#!/usr/bin/env bash
# Prints the performance ratio table (README, "Performance"): the serde_json IgnoredAny floor, callfold's
# decode + validate, `callfold history` on one thread and on all cores with where its time goes stage by
# stage, fold memory per leg, and the official Python SDK, all on the same generated log of about a
# million callbacks, in one run.
#
#   bash benches/ratios.sh              # the full table (about 8 minutes)
#   bash benches/ratios.sh --quick      # a smoke test on 100k lines
#   bash benches/ratios.sh --log FILE   # on your own log
set -euo pipefail
cd "$(dirname "$0")/.."

# The Python SDK's virtualenv, as tests/sdk/run.sh makes it; the table says so if it cannot be made.
venv=target/sdk-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv" && "$venv/bin/pip" install --quiet --disable-pip-version-check "bandwidth-sdk==23.3.1" \
    || echo "ratios.sh: could not install the Python SDK; its row will say so" >&2
fi

# DuckDB, the SQL engine a user might query the log with instead, in a virtualenv of its own.
duckdb_venv=target/duckdb-venv
if [ ! -x "$duckdb_venv/bin/python" ]; then
  python3 -m venv "$duckdb_venv" && "$duckdb_venv/bin/pip" install --quiet --disable-pip-version-check "duckdb==1.4.2" \
    || echo "ratios.sh: could not install DuckDB; its row will say so" >&2
fi

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(date -u +%Y-%m-%d)"
cargo bench --quiet --bench ratios -- "$@"
