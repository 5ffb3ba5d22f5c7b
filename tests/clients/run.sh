#!/usr/bin/env bash
# The contract as integrators use it: validates the served document
# (openapi-spec-validator), generates a TypeScript client (openapi-typescript,
# compiled under `tsc --strict`) and a Python client (openapi-python-client,
# which must parse every schema without a warning), and runs each client's
# smoke test against a live server on a throwaway database. Node and Python
# packages come from the registries (pinned: package-lock.json, below).
set -euo pipefail
bin=${1:?usage: run.sh path/to/shuzhuan}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../throwaway.sh"
work=$(mktemp -d)
serve_throwaway "$bin" "${CLIENTS_PORT:-18098}"
trap 'kill $throwaway_pid 2>/dev/null; wait $throwaway_pid 2>/dev/null; rm -rf "$throwaway_dir" "$work"' EXIT

python3 -m pip install -q --disable-pip-version-check \
  'openapi-spec-validator>=0.7' 'openapi-python-client==0.29.*' 2>&1 | grep -v 'as the .root. user' || true
curl -sf "$SHUZHUAN_URL/openapi.json" -o "$work/openapi.json"
echo "== openapi-spec-validator"
openapi-spec-validator "$work/openapi.json"

echo "== openapi-python-client"
openapi-python-client generate --path "$work/openapi.json" --config "$here/python/config.yaml" \
  --output-path "$work/python" >"$work/python.log" 2>&1 || { cat "$work/python.log"; exit 1; }
if grep -qi 'warning' "$work/python.log"; then
  cat "$work/python.log"; echo "openapi-python-client warned" >&2; exit 1
fi
echo "$(ls "$work/python/shuzhuan_client/models" | grep -c '\.py$') model files, $(find "$work/python/shuzhuan_client/api" -name '*.py' ! -name '__init__.py' | wc -l) operations, no warnings"
python3 -m pip install -q --disable-pip-version-check "$work/python" 2>&1 | grep -v 'as the .root. user' || true
python3 "$here/python/smoke.py"

echo "== openapi-typescript"
cd "$here/typescript"
npm ci --silent --no-audit --no-fund
npx openapi-typescript "$work/openapi.json" -o schema.d.ts
npx tsc -p tsconfig.json
echo "$(python3 -c 'import json,sys;print(len(json.load(open(sys.argv[1]))["components"]["schemas"]))' "$work/openapi.json") schemas typed, tsc --strict clean"
node build/smoke.js
