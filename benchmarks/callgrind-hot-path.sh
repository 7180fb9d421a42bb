#!/usr/bin/env bash
# Instructions per request of the purchase hot path, counted by callgrind: repeatable on a
# shared, noisy machine where wall-clock figures are not (docs/performance.md).
#
#   benchmarks/callgrind-hot-path.sh MINISHOP_BINARY STAMPEDE_BINARY [LABEL]
#
# Needs a running `./minishop up` (same MINISHOP_STATE_DIR). Starts one extra
# all-in-one `minishop serve` (1 event loop) under callgrind on a free port, creates two
# sales through it (in stock: 100,000,000 units, 1,000 per user; sold out: 1 unit), and for
# each runs a closed loop of purchases (stampede custom, 32 connections, 6 s) with
# instrumentation switched on only during the load. Prints instructions and malloc calls per
# request for: 202 (in stock), 410 (sold out, local flag). Stops what it started.
#
# CALLGRIND_TOPOLOGY=split measures the services split instead: a `serve --roles seckill`
# on PORT+1 and a `serve --roles gateway,order,inventory` on PORT that calls it over the
# internal API, both under callgrind; the instructions and malloc calls of both processes
# are added up per request, so the difference to the default is what the hop costs.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="${MINISHOP_STATE_DIR:-$ROOT/.minishop}"
BIN=$(readlink -f "$1") STAMPEDE=$(readlink -f "$2") LABEL=${3:-run}
PORT=${CALLGRIND_PORT:-8197}
TOPOLOGY=${CALLGRIND_TOPOLOGY:-all-in-one}
OUT="$ROOT/bench/results/callgrind/$LABEL"  # git-ignored
mkdir -p "$OUT"
# shellcheck source=/dev/null
. "$STATE/ports.env"
ADMIN_PASSWORD=$(cat "$STATE/admin_password")
export MINISHOP_SERVER_PORT=$PORT MINISHOP_SERVER_THREADS=1 MINISHOP_INSTANCE_ID=callgrind-$LABEL
export MINISHOP_REDIS_HOST=127.0.0.1 MINISHOP_REDIS_PORT=$REDIS_PORT
export MINISHOP_POSTGRES_CONNINFO="host=127.0.0.1 port=$PG_PORT user=postgres dbname=minishop"
export MINISHOP_AUTH_JWT_SECRET=$(cat "$STATE/jwt_secret") MINISHOP_LOG_LEVEL=warn

tokens="$OUT/tokens.txt"
[ -s "$tokens" ] || "$BIN" users provision --count 1000 --prefix "cg-$LABEL" --out "$tokens" >/dev/null

VGS=()
trap 'for p in "${VGS[@]}"; do kill -TERM "$p" 2>/dev/null; done; wait || true' EXIT
under_callgrind() {  # NAME ARGS...: one more process under callgrind; its pid joins VGS
  local name=$1; shift
  valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$OUT/callgrind.out.%p" \
    "$BIN" serve "$@" >"$OUT/$name.log" 2>&1 &
  VGS+=("$!")
}
case $TOPOLOGY in
  all-in-one) under_callgrind server ;;
  split)
    export MINISHOP_SERVICES_TOKEN=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
    MINISHOP_SERVER_PORT=$((PORT + 1)) MINISHOP_INSTANCE_ID=callgrind-$LABEL-seckill \
      under_callgrind seckill --roles seckill
    for _ in $(seq 1 300); do
      curl -fs -o /dev/null "http://127.0.0.1:$((PORT + 1))/readyz" && break
      sleep 0.2
    done
    MINISHOP_SERVICES_SECKILL=127.0.0.1:$((PORT + 1)) under_callgrind server --roles gateway,order,inventory
    ;;
  *) echo "CALLGRIND_TOPOLOGY must be all-in-one or split" >&2; exit 2 ;;
esac
for _ in $(seq 1 300); do
  curl -fs -o /dev/null "http://127.0.0.1:$PORT/healthz" && break
  sleep 0.2
done
api="http://127.0.0.1:$PORT/api/v1"
admin=$(curl -fsS -H 'Content-Type: application/json' \
  -d "{\"email\":\"admin@minishop.local\",\"password\":\"$ADMIN_PASSWORD\"}" "$api/auth/login" | jq -r .token)
now=$(($(date +%s%N) / 1000000))
sale() {
  curl -fsS -H 'Content-Type: application/json' -H "Authorization: Bearer $admin" \
    -d "{\"product_name\":\"callgrind $LABEL\",\"price_cents\":100,\"stock\":$1,\"limit_per_user\":$2,\"starts_at_ms\":$((now - 1000)),\"ends_at_ms\":$((now + 3600000))}" \
    "$api/admin/sales" | jq -r .id
}
instock=$(sale 100000000 1000)
soldout=$(sale 1 1)
requests() {  # total answered requests so far, from the server's own counter
  curl -fsS "http://127.0.0.1:$PORT/metrics" |
    awk '/^minishop_http_requests_total/ && /route="sales"/ {n += $2} END {print n + 0}'
}
# Calls of malloc recorded in a callgrind output file (callee lines named malloc).
malloc_calls() {
  python3 - "$1" <<'PY'
import re, sys
names, total, current = {}, 0, None
for line in open(sys.argv[1], errors="replace"):
    m = re.match(r"(c?)fn=\((\d+)\)(?: (.*))?", line)
    if m:
        if m.group(3):
            names[m.group(2)] = m.group(3).strip()
        current = names.get(m.group(2), "") if m.group(1) else None
        continue
    if line.startswith("calls=") and current == "malloc":
        total += int(line.split("=")[1].split()[0])
    if not line.startswith("calls="):
        current = None if not line.startswith("cfn") else current
print(total)
PY
}

measure() {
  local name=$1 sale_id=$2 before after
  # Warm-up outside the window (connections, catalog, sold-out flag).
  "$STAMPEDE" custom --quiet --url "$api/sales/$sale_id/purchase" --header 'Authorization: Bearer {token}' \
    --tokens "$tokens" --connections 32 --duration 2 --out "$OUT" --label warm >/dev/null
  before=$(requests)
  for p in "${VGS[@]}"; do
    callgrind_control -z "$p" >/dev/null
    callgrind_control -i on "$p" >/dev/null
  done
  "$STAMPEDE" custom --quiet --url "$api/sales/$sale_id/purchase" --header 'Authorization: Bearer {token}' \
    --tokens "$tokens" --connections 32 --duration 6 --out "$OUT" --label "$name" >"$OUT/$name.txt"
  for p in "${VGS[@]}"; do callgrind_control -i off "$p" >/dev/null; done
  after=$(requests)
  local file files=() ir=0 mallocs=0 n=$((after - before))
  for p in "${VGS[@]}"; do
    callgrind_control -d "$name" "$p" >/dev/null
    sleep 1
    file=$(ls -t "$OUT"/callgrind.out."$p".* | head -1)
    files+=("$file")
    ir=$((ir + $(callgrind_annotate "$file" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')))
    mallocs=$((mallocs + $(malloc_calls "$file")))
  done
  printf '%-8s %-10s requests %8d  instructions/request %8d  malloc calls/request %6.1f  (%s)\n' \
    "$name" "$TOPOLOGY" "$n" "$((ir / (n > 0 ? n : 1)))" "$(echo "$mallocs / ($n + 0.0001)" | bc -l)" \
    "${files[*]}"
}
measure instock "$instock"
measure soldout "$soldout"
