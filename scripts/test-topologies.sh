#!/usr/bin/env bash
# Checks the orchestration of both local topologies with the real servers: `up --split`
# refuses a port another process listens on, then starts 7 MiniShop processes behind nginx
# and prints their map, `status` lists them, a purchase goes through nginx, Prometheus
# scrapes every process; `up` then switches to the all-in-one process (stopping the split
# ones first) and back; `down` leaves nothing running of ours and does not touch a process
# of another deployment whose pid is in our pid file. A stack of its own (a temporary state directory, free ports, the binary in
# MINISHOP_BIN), stopped by `down` whatever happens. Run by `./minishop test`.
#
#   MINISHOP_BIN=build/debug/apps/minishop scripts/test-topologies.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
: "${MINISHOP_BIN:?set MINISHOP_BIN to the minishop binary to test}"
[ -x "$MINISHOP_BIN" ] || { echo "test-topologies: $MINISHOP_BIN is not an executable" >&2; exit 1; }
MINISHOP_BIN="$(realpath "$MINISHOP_BIN")"
export MINISHOP_BIN
fail() { printf 'test-topologies: FAIL: %s\n' "$*" >&2; exit 1; }

STATE="$(mktemp -d "${TMPDIR:-/tmp}/minishop-topologies-XXXXXX")"
chmod 0755 "$STATE"
export MINISHOP_STATE_DIR="$STATE"
# Nine free ports, all held open until every one is chosen; the split instances take
# the 40 ports above MINISHOP_SPLIT_PORT, checked free by `up`.
read -r MINISHOP_HTTP_PORT MINISHOP_REDIS_PORT MINISHOP_PG_PORT MINISHOP_AMQP_PORT \
  MINISHOP_AMQP_DIST_PORT MINISHOP_EPMD_PORT MINISHOP_NGINX_PORT MINISHOP_PROMETHEUS_PORT \
  MINISHOP_SPLIT_PORT < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(8)]
for s in socks: s.bind(("127.0.0.1", 0))
ports = [s.getsockname()[1] for s in socks]
base = 0
for candidate in range(20000, 30000, 50):  # 40 ports in a row that nothing listens on
    free = []
    for p in range(candidate, candidate + 40):
        t = socket.socket()
        try:
            t.bind(("127.0.0.1", p))
            free.append(t)
        except OSError:
            break
    for t in free: t.close()
    if len(free) == 40:
        base = candidate
        break
print(" ".join(map(str, ports + [base])))
for s in socks: s.close()')
export MINISHOP_HTTP_PORT MINISHOP_REDIS_PORT MINISHOP_PG_PORT MINISHOP_AMQP_PORT \
  MINISHOP_AMQP_DIST_PORT MINISHOP_EPMD_PORT MINISHOP_NGINX_PORT MINISHOP_PROMETHEUS_PORT \
  MINISHOP_SPLIT_PORT
[ "$MINISHOP_SPLIT_PORT" != 0 ] || fail "no 40 free ports in a row for the split instances"

status=1
# Processes the test itself starts (a port squatter, a stranger): stopped by pid on exit.
own_pids=()
cleanup() {
  local pid
  for pid in "${own_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  if [ "$status" != 0 ]; then
    local logs="$ROOT/build/test-topologies-logs"
    rm -rf "$logs"
    mkdir -p "$logs"
    find "$STATE" -name '*.log' -size -20M -exec cp {} "$logs/" \; 2>/dev/null || true
    echo "test-topologies: the stack's logs are in $logs" >&2
  fi
  "$ROOT/minishop" down >"$STATE/down.log" 2>&1 || echo "test-topologies: down failed; state kept in $STATE" >&2
  rm -rf "$STATE"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

API="http://127.0.0.1:$MINISHOP_NGINX_PORT/api/v1"
running_minishops() { pgrep -f "^$MINISHOP_BIN serve" | while read -r pid; do
  tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qx "MINISHOP_STATE_DIR=$STATE" && echo "$pid"
done | wc -l; }

# A sale open now, a shopper, one purchase through nginx answered 202 and its order.
purchase_through_nginx() {
  local who=$1 admin sale token now
  admin="$(curl -fsS -H 'Content-Type: application/json' \
    -d "{\"email\":\"admin@minishop.local\",\"password\":\"$(cat "$STATE/admin_password")\"}" \
    "$API/auth/login" | jq -r .token)"
  now=$(($(date +%s%N) / 1000000))
  sale="$(curl -fsS -H 'Content-Type: application/json' -H "Authorization: Bearer $admin" \
    -d "{\"product_name\":\"Topology $who\",\"price_cents\":100,\"stock\":5,\"limit_per_user\":1,\"starts_at_ms\":$((now - 1000)),\"ends_at_ms\":$((now + 600000))}" \
    "$API/admin/sales" | jq -r .id)"
  token="$(curl -fsS -H 'Content-Type: application/json' \
    -d "{\"email\":\"$who@example.com\",\"password\":\"a-long-password\"}" \
    "$API/auth/register" | jq -r .token)"
  [ "$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $token" \
    "$API/sales/$sale/purchase")" = 202 ] || fail "$who: the purchase through nginx was not accepted"
  local deadline=$((SECONDS + 30))
  until curl -fsS -H "Authorization: Bearer $token" "$API/sales/$sale/order" |
    grep -q awaiting_payment; do
    [ "$SECONDS" -lt "$deadline" ] || fail "$who: the order did not reach awaiting_payment"
    sleep 0.2
  done
}

echo "test-topologies: up --split refuses a port that another process listens on"
squatted=$((MINISHOP_SPLIT_PORT + 12))  # seckill-2
python3 -m http.server "$squatted" --bind 127.0.0.1 >/dev/null 2>&1 &
own_pids+=($!)
squatter=$!
deadline=$((SECONDS + 10))
until (exec 3<>"/dev/tcp/127.0.0.1/$squatted") 2>/dev/null; do
  [ "$SECONDS" -lt "$deadline" ] || fail "the port squatter did not listen"
  sleep 0.1
done
if "$ROOT/minishop" up --split >"$STATE/up-squatted.log" 2>&1; then
  fail "up --split started beside a process listening on $squatted"
fi
grep -q "port $squatted for seckill-2 is in use by another process" "$STATE/up-squatted.log" ||
  fail "up --split did not name the taken port: $(tail -n 3 "$STATE/up-squatted.log")"
[ "$(running_minishops)" = 0 ] || fail "up --split refused, yet started minishop processes"
kill "$squatter"
wait "$squatter" 2>/dev/null || true

echo "test-topologies: up --split in $STATE (nginx on $MINISHOP_NGINX_PORT, instances above $MINISHOP_SPLIT_PORT)"
"$ROOT/minishop" up --split >"$STATE/up-split.log" 2>&1 || { cat "$STATE/up-split.log" >&2; fail "up --split"; }
for instance in gateway-1 gateway-2 seckill-1 seckill-2 order-1 order-2 inventory-1; do
  grep -Eq "^  [a-z]+ +$instance +[0-9]+ +[0-9]+ +http://127.0.0.1:[0-9]+$" "$STATE/up-split.log" ||
    fail "the map printed by up --split has no line for $instance"
done
"$ROOT/minishop" status >"$STATE/status" || fail "status"
grep -q '^MiniShop topology: split' "$STATE/status" || fail "status does not say split: $(cat "$STATE/status")"
[ "$(grep -Ec '^(gateway|seckill|order|inventory)-[12] +[0-9]+ +[0-9]+ +running$' "$STATE/status")" = 7 ] ||
  fail "status does not list 7 running instances: $(cat "$STATE/status")"
[ "$(running_minishops)" = 7 ] || fail "$(running_minishops) minishop processes run, not 7"
[ "$(stat -c %a "$STATE/services_token")" = 600 ] || fail "services_token is not mode 600"
purchase_through_nginx split
deadline=$((SECONDS + 30))
until [ "$(curl -fsS "http://127.0.0.1:$MINISHOP_PROMETHEUS_PORT/api/v1/targets" |
  jq '[.data.activeTargets[] | select(.labels.job == "minishop" and .health == "up")] | length')" = 7 ]; do
  [ "$SECONDS" -lt "$deadline" ] || fail "Prometheus does not scrape the 7 processes"
  sleep 1
done

echo "test-topologies: up (switch to all-in-one)"
"$ROOT/minishop" up >"$STATE/up.log" 2>&1 || { cat "$STATE/up.log" >&2; fail "up after up --split"; }
grep -q 'switching to the all-in-one topology' "$STATE/up.log" || fail "up did not say it switched"
[ "$(running_minishops)" = 1 ] || fail "$(running_minishops) minishop processes run after the switch, not 1"
purchase_through_nginx allinone

echo "test-topologies: up --split again, then down"
"$ROOT/minishop" up --split >"$STATE/up-split-2.log" 2>&1 || { cat "$STATE/up-split-2.log" >&2; fail "up --split after up"; }
grep -q 'switching to the split topology' "$STATE/up-split-2.log" || fail "up --split did not say it switched"
[ "$(running_minishops)" = 7 ] || fail "$(running_minishops) minishop processes run after switching back, not 7"
# A `minishop serve` of another state directory whose pid ended up in our pid file.
(
  export MINISHOP_STATE_DIR="$STATE-elsewhere"
  exec -a "minishop serve" sleep 600
) &
own_pids+=($!)
stranger=$!
echo "$stranger" >"$STATE/minishop/minishop.pid"
"$ROOT/minishop" down >"$STATE/down.log" 2>&1 || fail "down"
kill -0 "$stranger" 2>/dev/null || fail "down stopped a process of another deployment"
grep -q "removed the stale pid file $STATE/minishop/minishop.pid: pid $stranger is not this deployment's" \
  "$STATE/down.log" || fail "down did not report the stale pid file: $(cat "$STATE/down.log")"
[ ! -e "$STATE/minishop/minishop.pid" ] || fail "down left the stale pid file"
gateway_line="$(grep -n 'stopping gateway-2' "$STATE/down.log" | cut -d: -f1)"
service_line="$(grep -n 'stopping seckill-1' "$STATE/down.log" | cut -d: -f1)"
if [ -z "$gateway_line" ] || [ -z "$service_line" ] || [ "$gateway_line" -gt "$service_line" ]; then
  fail "down did not stop the gateways before the services: $(cat "$STATE/down.log")"
fi
[ "$(running_minishops)" = 0 ] || fail "minishop processes still run after down"
status=0
echo "test-topologies: ok"
