#!/usr/bin/env bash
# Speed and peak memory of imports and exports, as an official runs them
# with curl, for ROWS enterprises (default 100000): a CSV import (atomic),
# the list exported as CSV and as a workbook, and both files imported
# again (every row unchanged). The server is the release binary on a fresh
# SQLite database, or on PostgreSQL with DATABASE_URL (an empty database);
# its peak RSS is read from /proc after each step (a fresh process each).
#
#   tests/excel_bench.sh BIN [ROWS]
set -euo pipefail
bin=$1
rows=${2:-100000}
port=18097
dir=$(mktemp -d)
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
export SHUZHUAN_ADMIN_PASSWORD=bench-admin-password
base="http://127.0.0.1:$port"
pid=
login() {
  token=$(curl -sf -X POST "$base/api/v1/auth/token" -H 'Content-Type: application/json' \
    -d "{\"username\":\"admin\",\"password\":\"$SHUZHUAN_ADMIN_PASSWORD\"}" |
    python3 -c 'import sys,json;print(json.load(sys.stdin)["access_token"])')
}
# A fresh process per step, so each step's peak RSS is its own.
restart_server() {
  if [ -n "$pid" ]; then kill "$pid"; wait "$pid" 2>/dev/null || true; fi
  SHUZHUAN_DATA_DIR="$dir" SHUZHUAN_BIND="127.0.0.1:$port" RUST_LOG=warn \
    "$bin" serve >>"$dir/serve.log" 2>&1 &
  pid=$!
  for _ in $(seq 300); do curl -sf "$base/readyz" >/dev/null && { login; return 0; }; sleep 0.2; done
  cat "$dir/serve.log" >&2
  exit 1
}

python3 - "$rows" >"$dir/in.csv" <<'EOF'
import sys
rows = int(sys.argv[1])
# GB 32100 check character, so every code is valid.
chars = "0123456789ABCDEFGHJKLMNPQRTUWXY"
weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
def uscc(n):
    body = "91640100" + format(n, "09d")
    s = sum(chars.index(c) * w for c, w in zip(body, weights))
    return body + chars[(31 - s % 31) % 31]
regions = ["兴庆区", "金凤区", "西夏区", "永宁县", "贺兰县", "灵武市"]
print("统一社会信用代码,企业名称,所属区县,所属行业,是否规上,企业规模,专精特新,从业人数,营业收入(万元),联系人,联系电话,是否上云,入库类型")
for n in range(rows):
    print(f"{uscc(n)},银川基准企业{n}有限公司,{regions[n % 6]},new_materials,{'是' if n % 3 == 0 else '否'},小型,否,{20 + n % 300},{100 + n % 9000}.5,王经理,1380013{n % 10000:04d},是,储备库")
EOF

peak() { awk '/VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$pid/status"; }
step() { # label, the answer's file, then curl arguments
  local label=$1 out=$2
  shift 2
  restart_server
  local start end
  start=$(date +%s.%N)
  curl -sS --max-time 3600 -H "Authorization: Bearer $token" -o "$out" "$@"
  end=$(date +%s.%N)
  python3 - "$label" "$start" "$end" "$rows" "$(peak)" "$out" <<'EOF'
import sys, os, json
label, start, end, rows, peak, out = sys.argv[1:]
secs = float(end) - float(start)
note = ""
try:
    report = json.load(open(out))
    note = " ".join(f"{k}={report[k]}" for k in ("created", "updated", "unchanged", "failed") if k in report)
except Exception:
    note = f"{os.path.getsize(out) / 1048576:.1f} MiB file"
print(f"{label:<28} {int(rows):>9} rows {secs:8.1f} s {int(rows) / secs:9.0f} rows/s  peak RSS {peak:>5} MiB  {note}")
EOF
}

ct_xlsx="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
step "import CSV (atomic)" "$dir/report" -X POST "$base/api/v1/enterprises/import?program_id=yinchuan" \
  -H "Content-Type: text/csv" --data-binary @"$dir/in.csv"
step "export CSV" "$dir/out.csv" "$base/api/v1/enterprises?program_id=yinchuan&format=csv"
step "export xlsx" "$dir/out.xlsx" "$base/api/v1/enterprises?program_id=yinchuan&format=xlsx"
step "import CSV export again" "$dir/report" -X POST "$base/api/v1/enterprises/import?program_id=yinchuan" \
  -H "Content-Type: text/csv" --data-binary @"$dir/out.csv"
step "import xlsx export again" "$dir/report" -X POST "$base/api/v1/enterprises/import?program_id=yinchuan" \
  -H "Content-Type: $ct_xlsx" --data-binary @"$dir/out.xlsx"
