#!/usr/bin/env bash
# Fuzz the running API against its own OpenAPI document with schemathesis
# (`pip install schemathesis`): starts a server on a throwaway SQLite
# database on loopback, logs in as the bootstrap admin, runs every check,
# and stops the server. Extra arguments go to `st run`.
set -euo pipefail
bin=${1:?usage: fuzz.sh path/to/shuzhuan [st args...]}; shift
here=$(cd "$(dirname "$0")" && pwd)
. "$here/throwaway.sh"
serve_throwaway "$bin" "${FUZZ_PORT:-18099}"
token=$(admin_token)
cd "$here"
st run "$SHUZHUAN_URL/openapi.json" -H "Authorization: Bearer $token" \
  --checks all --max-examples "${FUZZ_EXAMPLES:-50}" --workers 2 "$@"
