#!/usr/bin/env bash
# Fuzz the running API against its own OpenAPI document with schemathesis
# (`pip install schemathesis`): starts a server on a throwaway SQLite
# database on loopback, logs in as the bootstrap admin, runs every check,
# and stops the server. Extra arguments go to `st run`.
set -euo pipefail
bin=${1:?usage: fuzz.sh path/to/shuzhuan [st args...]}; shift
dir=$(mktemp -d)
port=${FUZZ_PORT:-18099}
SHUZHUAN_DATA_DIR="$dir" SHUZHUAN_BIND="127.0.0.1:$port" SHUZHUAN_ADMIN_PASSWORD=fuzz-admin-password \
  RUST_LOG=warn "$bin" serve >"$dir/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$dir"' EXIT
# /healthz answers while migrating; /readyz once it serves.
for _ in $(seq 300); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.2; done
token=$(curl -sf -X POST "http://127.0.0.1:$port/api/v1/auth/token" -H 'Content-Type: application/json' \
  -d '{"username":"admin","password":"fuzz-admin-password"}' | python3 -c 'import sys,json;print(json.load(sys.stdin)["access_token"])')
cd "$(dirname "$0")"
st run "http://127.0.0.1:$port/openapi.json" -H "Authorization: Bearer $token" \
  --checks all --max-examples "${FUZZ_EXAMPLES:-50}" --workers 2 "$@"
