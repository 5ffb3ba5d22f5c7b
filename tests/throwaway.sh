# Sourced by the scripts that test a live server (fuzz.sh, clients/run.sh):
# `serve_throwaway BIN PORT` starts `BIN serve` on a fresh SQLite database
# on loopback with the seed programmes and a few demo enterprises, waits
# until /readyz answers, and stops it and removes its data on exit. Sets
# SHUZHUAN_URL and SHUZHUAN_ADMIN_PASSWORD.

serve_throwaway() {
  local bin=$1 port=$2
  throwaway_dir=$(mktemp -d)
  export SHUZHUAN_URL="http://127.0.0.1:$port"
  export SHUZHUAN_ADMIN_PASSWORD=throwaway-admin-password
  SHUZHUAN_DATA_DIR="$throwaway_dir" RUST_LOG=warn \
    "$bin" demo-data --program yinchuan --enterprises 5 >"$throwaway_dir/demo.log" 2>&1
  SHUZHUAN_DATA_DIR="$throwaway_dir" SHUZHUAN_BIND="127.0.0.1:$port" RUST_LOG=warn \
    "$bin" serve >"$throwaway_dir/serve.log" 2>&1 &
  throwaway_pid=$!
  trap 'kill $throwaway_pid 2>/dev/null; wait $throwaway_pid 2>/dev/null; rm -rf "$throwaway_dir"' EXIT
  # /healthz answers while migrating; /readyz once it serves.
  for _ in $(seq 300); do
    curl -sf "$SHUZHUAN_URL/readyz" >/dev/null && return 0
    sleep 0.2
  done
  echo "the server did not become ready:" >&2
  cat "$throwaway_dir/serve.log" >&2
  return 1
}

# An access token of the bootstrap admin.
admin_token() {
  curl -sf -X POST "$SHUZHUAN_URL/api/v1/auth/token" -H 'Content-Type: application/json' \
    -d "{\"username\":\"admin\",\"password\":\"$SHUZHUAN_ADMIN_PASSWORD\"}" |
    python3 -c 'import sys,json;print(json.load(sys.stdin)["access_token"])'
}
