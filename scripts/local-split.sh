# shellcheck shell=bash
# MiniShop's two local topologies, sourced by ./minishop after scripts/local-servers.sh (not
# run on its own):
#
#   all-in-one  `./minishop up`: one `minishop serve` running every role on HTTP_PORT (plus
#               MINISHOP_PROCESSES-1 more such processes on the same port; local-servers.sh)
#   split       `./minishop up --split`: one `minishop serve --roles ROLE` process per
#               instance, nginx balancing /api over the gateways, the gateways calling the
#               other roles' instances over the internal API (MINISHOP_SERVICES_*)
#
# Split instances and their ports (SPLIT_PORT: MINISHOP_SPLIT_PORT, default HTTP_PORT + 20,
# kept in ports.env like every other port):
#   gateway-1, gateway-2      SPLIT_PORT + 1, + 2     (8101, 8102 by default)
#   seckill-1, seckill-2      SPLIT_PORT + 11, + 12   (8111, 8112)
#   order-1, order-2          SPLIT_PORT + 21, + 22   (8121, 8122)
#   inventory-1               SPLIT_PORT + 31         (8131)
# Each has its pid file and log at $STATE/minishop/<instance>.{pid,log} and the instance id
# <hostname>-<instance>, stable across restarts (a restarted relay finds its own pending
# outbox entries under that consumer name). Every process gets the same database, broker,
# JWT secret and service token (MINISHOP_SERVICES_TOKEN, kept in $STATE/services_token).
# Uses the helpers and variables of ./minishop and local-servers.sh.

# Start order: the services before the gateways that call them. Stop order: the reverse
# tiers (gateways first, so that nothing calls a service that is already gone).
SPLIT_ROLES=(inventory order seckill gateway)

split_count() {
  case "$1" in
    gateway | seckill | order) echo 2 ;;
    inventory) echo 1 ;;
  esac
}

split_offset() {
  case "$1" in
    gateway) echo 0 ;;
    seckill) echo 10 ;;
    order) echo 20 ;;
    inventory) echo 30 ;;
  esac
}

# Prints "ROLE K INSTANCE PORT" for every split instance (of ROLE only, if given), in
# start order.
split_instances() {
  local role k n
  for role in "${SPLIT_ROLES[@]}"; do
    [ $# -gt 0 ] && [ "$1" != "$role" ] && continue
    n="$(split_count "$role")"
    for ((k = 1; k <= n; k++)); do
      echo "$role $k $role-$k $((SPLIT_PORT + $(split_offset "$role") + k))"
    done
  done
}

# True if NAME is a split instance name (gateway-1, …).
is_split_instance() {
  local role k name port
  while read -r role k name port; do
    [ "$name" = "$1" ] && return 0
  done < <(split_instances)
  return 1
}

split_pid() { minishop_live_pid "$STATE/minishop/$1.pid"; }

# The "127.0.0.1:PORT,…" list of ROLE's instances (MINISHOP_SERVICES_<ROLE>).
split_addresses() {
  local role k name port list=""
  while read -r role k name port; do
    list="${list:+$list,}127.0.0.1:$port"
  done < <(split_instances "$1")
  echo "$list"
}

# True if a split instance runs. Reads the pid files, not the layout: needs no ports.
split_running() {
  local f
  for f in "$STATE"/minishop/{gateway,seckill,order,inventory}-*.pid; do
    [ -e "$f" ] && minishop_live_pid "$f" >/dev/null && return 0
  done
  return 1
}

# True if a process of the all-in-one topology runs (process 1 or an extra one).
all_in_one_running() {
  minishop_pid >/dev/null && return 0
  local f
  for f in "$STATE"/minishop/minishop-*.pid; do
    [ -e "$f" ] && minishop_live_pid "$f" >/dev/null && return 0
  done
  return 1
}

# The topology whose processes run: split, all-in-one or none.
running_topology() {
  if split_running; then
    echo split
  elif all_in_one_running; then
    echo all-in-one
  else
    echo none
  fi
}

# Fails, naming the variable to change, when a port a missing split instance needs is taken.
check_split_ports() {
  local role k name port
  while read -r role k name port; do
    split_pid "$name" >/dev/null || require_free_split_port "$name" "$port"
  done < <(split_instances)
  return 0
}

require_free_split_port() {
  require_free_port "$1" "$2" "MINISHOP_SPLIT_PORT (instances use it + 1..39)"
}

# Starts ROLE's missing instances and waits until each answers GET /readyz.
start_split_role() {
  local want=$1 bin d="$STATE/minishop" role k name port pid services=() started=()
  bin="$(minishop_bin)"
  if [ "$want" = gateway ]; then
    services=(MINISHOP_SERVICES_SECKILL="$(split_addresses seckill)"
      MINISHOP_SERVICES_ORDER="$(split_addresses order)"
      MINISHOP_SERVICES_INVENTORY="$(split_addresses inventory)")
  fi
  while read -r role k name port; do
    if pid="$(split_pid "$name")"; then
      say "minishop: $name already running (pid $pid)"
      continue
    fi
    say "minishop: $name (--roles $role) on port $port"
    # Checked again just before: `up` checked it first, but the servers started since then
    # took some time. The server itself refuses a taken port as well (server.share_port).
    require_free_split_port "$name" "$port"
    # As in start_minishop: $! is the server itself (env and setsid exec it); the subshell
    # only raises the descriptor limit first.
    (
      ulimit -n "$(ulimit -Hn)"
      exec env "${MINISHOP_ENV[@]}" "${services[@]}" MINISHOP_SERVER_PORT="$port" \
        MINISHOP_INSTANCE_ID="$(hostname)-$name" \
        setsid "$bin" serve --roles "$role" </dev/null >>"$d/$name.log" 2>&1
    ) &
    echo $! >"$d/$name.pid"
    started+=("$name:$port:$!")
  done < <(split_instances "$want")
  # By the pid just started, not the pid file: until it has exec'd the server, the child
  # does not look like one.
  local deadline=$((SECONDS + 60)) entry
  for entry in "${started[@]}"; do
    IFS=: read -r name port pid <<<"$entry"
    until curl -fs -o /dev/null --max-time 2 "http://127.0.0.1:$port/readyz"; do
      kill -0 "$pid" 2>/dev/null || die "$name exited during start-up; see $d/$name.log"
      [ "$SECONDS" -lt "$deadline" ] ||
        die "$name not ready after 60 s (GET /readyz on $port); see $d/$name.log"
      sleep 0.3
    done
  done
}

start_split() {
  local bin d="$STATE/minishop" role
  bin="$(minishop_bin)"
  [ -x "$bin" ] || die "$bin not found: ./minishop build release"
  mkdir -p "$d"
  minishop_env
  # Once, before any instance starts (each would otherwise run it at start-up, one after
  # the other behind the migration lock).
  say "minishop: migrate"
  env "${MINISHOP_ENV[@]}" "$bin" migrate >>"$d/migrate.log" 2>&1 ||
    die "minishop migrate failed; see $d/migrate.log"
  for role in "${SPLIT_ROLES[@]}"; do start_split_role "$role"; done
}

# SIGTERM to every pid given, then waits for all of them together (30 s), then SIGKILL.
# Each drains in-flight requests and unacked messages and exits 0 on SIGTERM.
stop_pids() {
  local pid deadline=$((SECONDS + 30))
  for pid in "$@"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "$@"; do
    wait_exit "$pid" $((deadline > SECONDS ? deadline - SECONDS : 0)) || {
      warn "minishop $pid did not drain in 30 s, killing"
      kill -KILL "$pid" 2>/dev/null || true
    }
  done
}

# Stops the split instances by pid: the gateways first, then seckill, order and inventory.
stop_split() {
  local tier wanted role k name port pid pids
  for tier in gateway "seckill order inventory"; do
    pids=()
    for wanted in $tier; do
      while read -r role k name port; do
        if pid="$(split_pid "$name")"; then
          say "minishop: stopping $name (pid $pid)"
          pids+=("$pid")
        fi
      done < <(split_instances "$wanted")
    done
    [ "${#pids[@]}" -eq 0 ] || stop_pids "${pids[@]}"
  done
  rm -f "$STATE"/minishop/{gateway,seckill,order,inventory}-*.pid
}

# Stops the all-in-one processes, the extra ones first (also when process 1 is gone).
stop_all_in_one() {
  local pid
  if pid="$(minishop_pid)"; then
    say "minishop: stopping (pid $pid)"
    stop_minishop "$pid"
  else
    stop_minishop_extras
  fi
}

# Makes room for TOPOLOGY (split or all-in-one): stops the other topology's MiniShop
# processes, saying so. The servers they use (Redis, PostgreSQL, RabbitMQ) keep running;
# nginx and Prometheus are reconfigured by `up` afterwards.
switch_topology() {
  local want=$1
  if [ "$want" = split ] && all_in_one_running; then
    say "minishop: switching to the split topology: stopping the all-in-one MiniShop first"
    stop_all_in_one
  elif [ "$want" = all-in-one ] && split_running; then
    say "minishop: switching to the all-in-one topology: stopping the split MiniShop processes first"
    stop_split
  fi
  return 0
}

# The base URL of the public API: the all-in-one process itself, or nginx in front of the
# split gateways.
api_url() {
  if [ "$TOPOLOGY" = split ]; then
    echo "http://127.0.0.1:$NGINX_PORT"
  else
    echo "http://127.0.0.1:$HTTP_PORT"
  fi
}

# The map of the split deployment: role, instance, pid, port, URL.
print_split_map() {
  local wanted role k name port pid
  printf '  %-10s %-12s %-8s %-6s %s\n' ROLE INSTANCE PID PORT URL
  for wanted in gateway seckill order inventory; do
    while read -r role k name port; do
      pid="$(split_pid "$name")" || pid=-
      printf '  %-10s %-12s %-8s %-6s %s\n' "$role" "$name" "$pid" "$port" "http://127.0.0.1:$port"
    done < <(split_instances "$wanted")
  done
}
