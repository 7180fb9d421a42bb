#!/usr/bin/env bash
# The web app end to end: starts a MiniShop stack of its own (the binary in MINISHOP_BIN,
# a temporary state directory, free ports, so it never meets a developer's `./minishop up`),
# runs the Playwright suite in Debian's Chromium against it through nginx, prints the budget
# report, and stops everything it started, by pid, whatever happened (trap).
#
#   MINISHOP_BIN=build/debug/apps/minishop web/e2e/run.sh [playwright test args]
#
# Screenshots land in web/test-results/screens/; on failure the stack's logs are copied to
# web/test-results/stack-logs/.
set -euo pipefail

WEB="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROOT="$(cd "$WEB/.." && pwd)"
: "${MINISHOP_BIN:?set MINISHOP_BIN to the minishop binary to test}"
[ -x "$MINISHOP_BIN" ] || { echo "e2e: $MINISHOP_BIN is not an executable" >&2; exit 1; }
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || { echo "e2e: $CHROMIUM not found: ./minishop deps installs Debian's chromium" >&2; exit 1; }

STATE="$(mktemp -d "${TMPDIR:-/tmp}/minishop-e2e-XXXXXX")"
export MINISHOP_STATE_DIR="$STATE"
# Eight distinct free ports, all held open until every one is chosen.
read -r MINISHOP_HTTP_PORT MINISHOP_REDIS_PORT MINISHOP_PG_PORT MINISHOP_AMQP_PORT \
  MINISHOP_AMQP_DIST_PORT MINISHOP_EPMD_PORT MINISHOP_NGINX_PORT MINISHOP_PROMETHEUS_PORT \
  < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(8)]
for s in socks: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
for s in socks: s.close()')
export MINISHOP_HTTP_PORT MINISHOP_REDIS_PORT MINISHOP_PG_PORT MINISHOP_AMQP_PORT \
  MINISHOP_AMQP_DIST_PORT MINISHOP_EPMD_PORT MINISHOP_NGINX_PORT MINISHOP_PROMETHEUS_PORT
export MINISHOP_BIN

status=1
cleanup() {
  if [ "$status" != 0 ] && [ -d "$STATE" ]; then
    mkdir -p "$WEB/test-results/stack-logs"
    find "$STATE" -name '*.log' -size -20M -exec cp {} "$WEB/test-results/stack-logs/" \; 2>/dev/null || true
  fi
  "$ROOT/minishop" down >/dev/null 2>&1 || echo "e2e: ./minishop down failed; state kept in $STATE" >&2
  rm -rf "$STATE"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "e2e: starting a stack in $STATE (nginx on $MINISHOP_NGINX_PORT, API on $MINISHOP_HTTP_PORT)"
"$ROOT/minishop" up >"$STATE/up.log" 2>&1 || { cat "$STATE/up.log" >&2; exit 1; }
grep -q 'serving web/dist' "$STATE/up.log" || { echo "e2e: up did not publish the web app" >&2; cat "$STATE/up.log" >&2; exit 1; }

export E2E_BASE_URL="http://127.0.0.1:$MINISHOP_NGINX_PORT"
export E2E_ADMIN_EMAIL="${MINISHOP_ADMIN_EMAIL:-admin@minishop.local}"
E2E_ADMIN_PASSWORD="$(head -n1 "$STATE/admin_password")"
export E2E_ADMIN_PASSWORD CHROMIUM

cd "$WEB"
rm -rf test-results/screens
npx playwright test "$@"
node scripts/budgets.mjs || echo "e2e: the budget report failed (not a test failure)" >&2
status=0
