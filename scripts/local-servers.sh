# shellcheck shell=bash
# The components of `./minishop up`, sourced by ./minishop (not run on its own). Each
# component NAME has:
#   NAME_pid        prints its pid and succeeds if it runs (pid file + kill -0 + command line)
#   start_NAME      starts it on its port from ports.env and waits until it answers
#   stop_NAME PID   stops it gracefully, then by force after a timeout
# plus log_of NAME and port_of NAME. Uses the helpers and variables of ./minishop (STATE,
# the *_PORT variables, say/die/warn, as_user, give_to, live_pid, wait_for, wait_exit). The
# `minishop` component here is the all-in-one topology; scripts/local-split.sh has the split
# one, and TOPOLOGY (all-in-one or split) says which of them nginx and Prometheus point at.

COMPONENTS=(redis postgres rabbitmq minishop nginx prometheus)

log_of() {
  case "$1" in
    redis) echo "$STATE/redis/redis.log" ;;
    postgres) echo "$STATE/postgres/postgres.log" ;;
    rabbitmq) echo "$STATE/rabbitmq/log/$RABBIT_NODE.log" ;;
    minishop) echo "$STATE/minishop/minishop.log" ;;
    nginx) echo "$STATE/nginx/logs/error.log" ;;
    prometheus) echo "$STATE/prometheus/prometheus.log" ;;
    *)
      is_split_instance "$1" ||
        die "unknown component '$1' (${COMPONENTS[*]}, or a split instance such as gateway-1)"
      echo "$STATE/minishop/$1.log"
      ;;
  esac
}

port_of() {
  case "$1" in
    redis) echo "$REDIS_PORT" ;;
    postgres) echo "$PG_PORT" ;;
    rabbitmq) echo "$AMQP_PORT" ;;
    minishop) echo "$HTTP_PORT" ;;
    nginx) echo "$NGINX_PORT" ;;
    prometheus) echo "$PROMETHEUS_PORT" ;;
  esac
}

# --- Redis ---
# Redis rewrites its command line ("redis-server 127.0.0.1:PORT"); ours runs in our --dir.
redis_pid() { live_pid "$STATE/redis/redis.pid" redis-server redis_runs_here; }

redis_runs_here() { [ "$(readlink "/proc/$1/cwd")" = "$(realpath "$STATE/redis")" ]; }

start_redis() {
  mkdir -p "$STATE/redis"
  # The AOF is the durable copy; RDB snapshots on top would fork Redis every minute of a sale.
  # The AOF is compacted once it passes 1 GB (not Redis's 64 MB): each rewrite forks Redis
  # and costs a core for 1-2 s, and at 64 MB a sale's purchases triggered one every few seconds.
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$STATE/redis" \
    --appendonly yes --appendfsync everysec --save '' --auto-aof-rewrite-min-size 1gb \
    --daemonize yes \
    --pidfile "$STATE/redis/redis.pid" --logfile "$STATE/redis/redis.log"
  wait_for 30 redis_answers || die "Redis did not answer PING; see $(log_of redis)"
}

redis_answers() { [ "$(redis-cli -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ]; }

stop_redis() {
  local pid=$1
  # SHUTDOWN flushes the AOF; if the CLI cannot reach it, SIGTERM does the same.
  redis-cli -p "$REDIS_PORT" shutdown >/dev/null 2>&1 || kill -TERM "$pid" 2>/dev/null || true
  wait_exit "$pid" 30 || { warn "redis did not stop in 30 s, killing"; kill -KILL "$pid"; }
}

# --- PostgreSQL ---
postgres_pid() { live_pid "$STATE/postgres/data/postmaster.pid" "-D $STATE/postgres/data"; }

pg_psql() { "$(pg_bin)/psql" -X -q -h 127.0.0.1 -p "$PG_PORT" -U postgres "$@"; }

start_postgres() {
  local bin data="$STATE/postgres/data"
  bin="$(pg_bin)"
  mkdir -p "$STATE/postgres"
  give_to postgres "$STATE/postgres"
  if [ ! -s "$data/PG_VERSION" ]; then
    say "postgres: initdb $data"
    as_user postgres "$bin/initdb" -D "$data" -A trust -U postgres -E UTF8 --locale=C \
      >"$STATE/postgres/initdb.log" 2>&1 || die "initdb failed; see $STATE/postgres/initdb.log"
  fi
  # TCP only: a unix socket path under a deep checkout can exceed the 107-byte limit.
  as_user postgres "$bin/pg_ctl" -D "$data" -l "$STATE/postgres/postgres.log" -w -t 60 \
    -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c fsync=on" \
    start >/dev/null || die "PostgreSQL did not start; see $(log_of postgres)"
  if [ "$(pg_psql -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'minishop'")" != 1 ]; then
    pg_psql -d postgres -c "CREATE DATABASE minishop" >/dev/null
  fi
}

stop_postgres() {
  as_user postgres "$(pg_bin)/pg_ctl" -D "$STATE/postgres/data" -m fast -w -t 60 stop >/dev/null ||
    warn "pg_ctl stop failed; see $(log_of postgres)"
}

# --- RabbitMQ ---
# The Debian wrappers in /usr/sbin switch user with `su`, which resets HOME and so shares
# /var/lib/rabbitmq's Erlang cookie with the system node. We call the real scripts with our
# own HOME (holding our own cookie) and the same environment for the server and the CLI.
rabbit_env() {
  local d="$STATE/rabbitmq"
  RABBIT_ENV=(
    HOME="$d"
    RABBITMQ_NODENAME="$RABBIT_NODE"
    RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
    RABBITMQ_NODE_PORT="$AMQP_PORT"
    RABBITMQ_DIST_PORT="$AMQP_DIST_PORT"
    RABBITMQ_MNESIA_BASE="$d/mnesia"
    RABBITMQ_LOG_BASE="$d/log"
    RABBITMQ_PID_FILE="$d/rabbitmq.pid"
    RABBITMQ_CONFIG_FILE="$d/rabbitmq"
    RABBITMQ_ADVANCED_CONFIG_FILE="$d/advanced.config"
    RABBITMQ_CONF_ENV_FILE="$d/rabbitmq-env.conf"
    RABBITMQ_ENABLED_PLUGINS_FILE="$d/enabled_plugins"
    ERL_EPMD_PORT="$EPMD_PORT"
    ERL_EPMD_ADDRESS=127.0.0.1
  )
}

# Runs a RabbitMQ script (server or CLI) as the rabbitmq user in our environment.
rabbit_run() {
  rabbit_env
  as_user rabbitmq env -C "$STATE/rabbitmq" "${RABBIT_ENV[@]}" "$@"
}

rabbitmqctl_() { rabbit_run "$RABBIT_SCRIPTS/rabbitmqctl" -n "$RABBIT_NODE" "$@"; }

# The Erlang VM's command line names our HOME (rabbit_env).
rabbitmq_pid() { live_pid "$STATE/rabbitmq/rabbitmq.pid" "-home $STATE/rabbitmq "; }

start_rabbitmq() {
  local d="$STATE/rabbitmq"
  [ -x "$RABBIT_SCRIPTS/rabbitmq-server" ] || die "RabbitMQ not found: run ./minishop deps"
  mkdir -p "$d/mnesia" "$d/log"
  [ -s "$d/enabled_plugins" ] || echo '[].' >"$d/enabled_plugins"
  if [ ! -s "$d/.erlang.cookie" ]; then
    (umask 077 && random_hex 20 >"$d/.erlang.cookie")
    chmod 0400 "$d/.erlang.cookie"
  fi
  give_to rabbitmq "$d"
  rabbit_run "$RABBIT_SCRIPTS/rabbitmq-server" -detached >>"$d/log/startup.log" 2>&1 ||
    die "rabbitmq-server did not start; see $d/log/startup.log"
  # await_startup fails at once until the node has registered with epmd: retry it.
  local deadline=$((SECONDS + 120))
  until rabbitmqctl_ await_startup --timeout 60 >>"$d/log/startup.log" 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || die "RabbitMQ not ready after 120 s; see $(log_of rabbitmq)"
    sleep 1
  done
}

stop_rabbitmq() {
  local pid=$1
  rabbitmqctl_ stop >>"$STATE/rabbitmq/log/startup.log" 2>&1 || kill -TERM "$pid" 2>/dev/null || true
  wait_exit "$pid" 60 || { warn "rabbitmq did not stop in 60 s, killing"; kill -KILL "$pid"; }
}

# Our own epmd (on EPMD_PORT), started by our Erlang VM, whose environment it inherited;
# one on that port started by another deployment's node is left alone.
stop_epmd() {
  local pid
  pid="$(ss -Hltnp "sport = :$EPMD_PORT" 2>/dev/null | grep -o '"epmd",pid=[0-9]*' | head -n1 |
    cut -d= -f2 || true)"
  [ -n "$pid" ] || return 0
  if tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qxF "HOME=$STATE/rabbitmq"; then
    epmd -port "$EPMD_PORT" -kill >/dev/null 2>&1 || true
  else
    warn "epmd on port $EPMD_PORT (pid $pid) was not started by this deployment: left running"
  fi
}

# --- MiniShop ---
minishop_bin() { echo "${MINISHOP_BIN:-$ROOT/build/release/apps/minishop}"; }

# The pid in FILE if it names a live `minishop serve` of this state directory (see
# minishop_env): one of another checkout or of a test's stack is not ours to stop. The
# binary may have any name (MINISHOP_BIN): the state directory is the proof.
minishop_live_pid() { live_pid "$1" " serve" started_for_state; }

minishop_pid() { minishop_live_pid "$STATE/minishop/minishop.pid"; }

# The local deployment's configuration of the MiniShop process. MINISHOP_STATE_DIR is no
# setting of the server: it marks the process as this state directory's.
minishop_env() {
  MINISHOP_ENV=(
    MINISHOP_STATE_DIR="$STATE"
    MINISHOP_SERVER_PORT="$HTTP_PORT"
    MINISHOP_REDIS_HOST=127.0.0.1
    MINISHOP_REDIS_PORT="$REDIS_PORT"
    MINISHOP_POSTGRES_CONNINFO="host=127.0.0.1 port=$PG_PORT user=postgres dbname=minishop"
    MINISHOP_AMQP_HOST=127.0.0.1
    MINISHOP_AMQP_PORT="$AMQP_PORT"
    MINISHOP_AUTH_JWT_SECRET="$JWT_SECRET"
    MINISHOP_SERVICES_TOKEN="$SERVICES_TOKEN"
    MINISHOP_AUTH_ADMIN_EMAIL="$ADMIN_EMAIL"
    MINISHOP_AUTH_ADMIN_PASSWORD="$ADMIN_PASSWORD"
  )
}

minishop_ready() { curl -fs -o /dev/null --max-time 2 "http://127.0.0.1:$HTTP_PORT/readyz"; }

# MINISHOP_PROCESSES (default 1) minishop processes share the HTTP port (SO_REUSEPORT: the
# kernel spreads new connections over every listening socket; with N > 1 every process,
# the first included, gets MINISHOP_SERVER_SHARE_PORT=true, without which a server refuses
# a port that something already listens on). One process may open only
# 20,000 descriptors here, so holding 50,000 connections takes several. Every process runs
# every role: a gateway without a role must call that service's instances on ports of their
# own (the split topology), and the port these share reaches any of them. Process 1 has the
# pid file minishop.pid, processes 2..N minishop-<k>.pid and logs minishop-<k>.log; their
# relays, order workers and reconciliations share the work as in the split topology (consumer
# groups, competing consumers, a lock). With N > 1 each has its own MINISHOP_INSTANCE_ID and
# MINISHOP_PROCESS_THREADS (default 1) event loops, hence an equal share of connections.
minishop_processes() { echo "${MINISHOP_PROCESSES:-1}"; }

minishop_extra_pid() { minishop_live_pid "$STATE/minishop/minishop-$1.pid"; }

# Starts the missing extra processes 2..MINISHOP_PROCESSES (idempotent), waits until each
# listens on the port, then checks that only this deployment's processes listen there.
start_minishop_extras() {
  local bin d="$STATE/minishop" n k pid
  bin="$(minishop_bin)"
  n="$(minishop_processes)"
  [ "$n" -gt 1 ] || return 0
  minishop_env
  local started=()
  for ((k = 2; k <= n; k++)); do
    minishop_extra_pid "$k" >/dev/null && continue
    say "minishop: extra process $k of $n on port $HTTP_PORT"
    (
      ulimit -n "$(ulimit -Hn)"
      exec env "${MINISHOP_ENV[@]}" MINISHOP_INSTANCE_ID="$(hostname)-$k" \
        MINISHOP_SERVER_THREADS="${MINISHOP_PROCESS_THREADS:-1}" MINISHOP_SERVER_SHARE_PORT=true \
        setsid "$bin" serve </dev/null >>"$d/minishop-$k.log" 2>&1
    ) &
    echo $! >"$d/minishop-$k.pid"
    started+=("$k:$!")
  done
  local deadline=$((SECONDS + 60)) entry
  # By the pid just started, not the pid file: until it has exec'd the server, the child
  # does not look like one.
  for entry in "${started[@]}"; do
    k=${entry%%:*}
    pid=${entry#*:}
    until ss -Hltnp "sport = :$HTTP_PORT" 2>/dev/null | grep -q "pid=$pid,"; do
      kill -0 "$pid" 2>/dev/null || die "minishop process $k exited during start-up; see $d/minishop-$k.log"
      [ "$SECONDS" -lt "$deadline" ] || die "minishop process $k not ready after 60 s; see $d/minishop-$k.log"
      sleep 0.3
    done
  done
  local ours=()
  pid="$(minishop_pid)" && ours+=("$pid")
  for ((k = 2; k <= n; k++)); do pid="$(minishop_extra_pid "$k")" && ours+=("$pid"); done
  listens_alone "$HTTP_PORT" "${ours[@]}" ||
    die "port $HTTP_PORT is shared with a process that is not this deployment's ($(port_holders "$HTTP_PORT")): stop it, or ./minishop down and set MINISHOP_HTTP_PORT"
}

start_minishop() {
  local bin d="$STATE/minishop"
  bin="$(minishop_bin)"
  [ -x "$bin" ] || die "$bin not found: ./minishop build release"
  mkdir -p "$d"
  minishop_env
  say "minishop: migrate"
  env "${MINISHOP_ENV[@]}" "$bin" migrate >>"$d/migrate.log" 2>&1 ||
    die "minishop migrate failed; see $d/migrate.log"
  say "minishop: serve on port $HTTP_PORT"
  local instance=() pid
  # Several processes: each gets the same number of listening sockets (one per event loop),
  # so SO_REUSEPORT gives each the same share of the connections.
  [ "$(minishop_processes)" -gt 1 ] && instance=(MINISHOP_INSTANCE_ID="$(hostname)-1"
    MINISHOP_SERVER_THREADS="${MINISHOP_PROCESS_THREADS:-1}" MINISHOP_SERVER_SHARE_PORT=true)
  # A simple command (no function) in the background: $! is the server itself, since env
  # and setsid exec it (setsid forks only for a process-group leader, which this is not).
  # The subshell only raises the descriptor limit to the hard limit before exec.
  (
    ulimit -n "$(ulimit -Hn)"
    exec env "${MINISHOP_ENV[@]}" "${instance[@]}" setsid "$bin" serve </dev/null >>"$d/minishop.log" 2>&1
  ) &
  pid=$!
  echo "$pid" >"$d/minishop.pid"
  local deadline=$((SECONDS + 60))
  until minishop_ready; do
    kill -0 "$pid" 2>/dev/null || die "minishop exited during start-up; see $(log_of minishop)"
    [ "$SECONDS" -lt "$deadline" ] || die "minishop not ready after 60 s (GET /readyz); see $(log_of minishop)"
    sleep 0.3
  done
  start_minishop_extras
}

# SIGTERM: stop accepting, drain in-flight requests and unacked messages, exit 0.
stop_minishop_extras() {
  local f extra
  for f in "$STATE"/minishop/minishop-*.pid; do
    [ -e "$f" ] || continue
    extra="$(minishop_live_pid "$f")" || continue
    kill -TERM "$extra" 2>/dev/null || true
    wait_exit "$extra" 30 || { warn "minishop $extra did not drain in 30 s, killing"; kill -KILL "$extra"; }
    rm -f "$f"
  done
}

# The extra processes first, then process 1.
stop_minishop() {
  local pid=$1
  stop_minishop_extras
  kill -TERM "$pid" 2>/dev/null || true
  wait_exit "$pid" 30 || { warn "minishop did not drain in 30 s, killing"; kill -KILL "$pid"; }
  rm -f "$STATE/minishop/minishop.pid"
}

# --- nginx ---
nginx_pid() { live_pid "$STATE/nginx/nginx.pid" "nginx -p $STATE/nginx"; }

# The gateways nginx balances /api over, as "host:port" words: the all-in-one process, or
# the split gateways.
nginx_gateways() {
  if [ "$TOPOLOGY" = split ]; then
    split_addresses gateway | tr ',' ' '
  else
    echo "127.0.0.1:$HTTP_PORT"
  fi
}

# MINISHOP_UPSTREAM for deploy/nginx/minishop.conf.template. Its upstream block holds one
# `server ${MINISHOP_UPSTREAM} <parameters>;` line; for several fixed gateways the value
# ends that line after each gateway but the last and opens the next, with the same
# parameters (read from the template), so every gateway is balanced alike.
nginx_upstream_value() {
  local template=$1 params value="" gw
  # shellcheck disable=SC2016  # the template's placeholder itself, not a shell expansion
  params="$(sed -n 's/^ *server \${MINISHOP_UPSTREAM}\(.*\);$/\1/p' "$template")"
  for gw in $(nginx_gateways); do
    value="${value:+$value$params;
    server }$gw"
  done
  echo "$value"
}

# Descriptors an nginx worker may open (client and upstream connections): the hard limit,
# which no process can exceed here (MEASURED.md), at most 65,536.
nginx_max_files() {
  local hard
  hard="$(ulimit -Hn)"
  if [ "$hard" = unlimited ] || [ "$hard" -gt 65536 ]; then hard=65536; fi
  echo "$hard"
}

# Writes nginx.conf and minishop.conf for TOPOLOGY into DIR, nginx's prefix there.
render_nginx_config() {
  local d=$1 files shared="$ROOT/deploy/nginx/minishop.conf.template"
  files="$(nginx_max_files)"
  NGINX_PREFIX="$d" NGINX_WORKERS=2 NGINX_WORKER_FILES="$files" \
    NGINX_WORKER_CONNECTIONS=$((files - files / 10)) "$ROOT/scripts/render-template" \
    "$ROOT/deploy/nginx/nginx.local.conf.template" >"$d/nginx.conf"
  NGINX_LISTEN="127.0.0.1:$NGINX_PORT" MINISHOP_UPSTREAM="$(nginx_upstream_value "$shared")" \
    MINISHOP_WEB_ROOT="$STATE/nginx/www" PROMETHEUS_UPSTREAM="127.0.0.1:$PROMETHEUS_PORT" \
    "$ROOT/scripts/render-template" "$shared" >"$d/minishop.conf"
}

start_nginx() {
  local d="$STATE/nginx" web="$STATE/nginx/www"
  mkdir -p "$d/logs" "$d/temp"
  # The app is copied there by publish_web (./minishop), readable by nginx's workers; until
  # it is built, a page saying so (replaced by the next `up` that builds the app).
  if [ ! -f "$web/index.html" ]; then
    mkdir -p "$web"
    cat >"$web/index.html" <<EOF
<!doctype html>
<html lang="en"><meta charset="utf-8"><title>MiniShop</title>
<body style="font-family: sans-serif; max-width: 40em; margin: 3em auto">
<h1>MiniShop</h1>
<p>The API runs behind this server at <a href="/api/v1/sales">/api/v1/sales</a>.</p>
<p>The web app is not built yet (it needs Node.js 20.19 or newer): see the warnings of
<code>./minishop up</code>, fix them, run <code>./minishop up</code> again and reload this page.</p>
</body></html>
EOF
  fi
  render_nginx_config "$d"
  nginx -p "$d" -c "$d/nginx.conf" -e "$d/logs/error.log" ||
    die "nginx did not start; see $(log_of nginx)"
  wait_for 10 curl -fsS -o /dev/null "http://127.0.0.1:$NGINX_PORT/" ||
    die "nginx not answering on $NGINX_PORT; see $(log_of nginx)"
  # `listen … reuseport` (a socket per worker, no accept lock) also lets an nginx of another
  # deployment bind the port beside ours, had it taken it since `up` checked: each would
  # get part of the connections.
  local pid holders
  pid="$(nginx_pid)" || die "nginx wrote no pid file; see $(log_of nginx)"
  if ! listens_alone "$NGINX_PORT" "$pid"; then
    holders="$(port_holders "$NGINX_PORT")"
    stop_nginx "$pid"
    die "port $NGINX_PORT for nginx is shared with a process that is not this deployment's ($holders): stop it, or set MINISHOP_NGINX_PORT to a free port"
  fi
}

# A running nginx when `up` may have switched the topology: renders the configuration
# again and, if it changed, checks it (nginx -t) and reloads (SIGHUP: new workers use the
# new gateways, the old ones finish their requests). A configuration nginx refuses is put
# back and `up` fails.
reconfigure_nginx() {
  local pid=$1 d="$STATE/nginx" f
  rm -rf "$d/next"
  mkdir -p "$d/next"
  render_nginx_config "$d/next"
  # nginx.conf names its prefix: compare it as if rendered in place.
  sed -i "s#$d/next#$d#g" "$d/next/nginx.conf"
  if cmp -s "$d/next/nginx.conf" "$d/nginx.conf" && cmp -s "$d/next/minishop.conf" "$d/minishop.conf"; then
    rm -rf "$d/next"
    return 0
  fi
  for f in nginx.conf minishop.conf; do
    cp "$d/$f" "$d/$f.old"
    mv "$d/next/$f" "$d/$f"
  done
  rm -rf "$d/next"
  if ! nginx -t -q -p "$d" -c "$d/nginx.conf" -e "$d/logs/error.log" 2>>"$(log_of nginx)"; then
    for f in nginx.conf minishop.conf; do mv "$d/$f.old" "$d/$f"; done
    die "nginx refused the new configuration (the old one is back); see $(log_of nginx)"
  fi
  rm -f "$d/nginx.conf.old" "$d/minishop.conf.old"
  say "nginx: reloading (/api over $(nginx_gateways))"
  kill -HUP "$pid"
}

stop_nginx() {
  local pid=$1
  kill -QUIT "$pid" 2>/dev/null || true  # graceful: finish open requests
  wait_exit "$pid" 15 || { warn "nginx did not stop in 15 s, killing"; kill -TERM "$pid"; }
}

# --- Prometheus ---
prometheus_pid() {
  live_pid "$STATE/prometheus/prometheus.pid" "prometheus --config.file=$STATE/prometheus/"
}

# Writes prometheus.yml and alerts.yml into DIR: the shipped local template, whose
# `minishop` job scrapes the all-in-one process; in the split topology that job lists every
# instance instead, each labelled with its role and instance name.
render_prometheus_config() {
  local d=$1 role k name port targets=()
  cp "$ROOT/deploy/prometheus/alerts.yml" "$d/alerts.yml"
  MINISHOP_METRICS_TARGET="127.0.0.1:$HTTP_PORT" PROMETHEUS_RULES="$STATE/prometheus/alerts.yml" \
    "$ROOT/scripts/render-template" "$ROOT/deploy/prometheus/prometheus.yml.template" \
    >"$d/prometheus.yml"
  [ "$TOPOLOGY" = split ] || return 0
  while read -r role k name port; do
    targets+=("$role" "$name" "127.0.0.1:$port")
  done < <(split_instances)
  python3 - "$d/prometheus.yml" "${targets[@]}" <<'EOF'
import sys, yaml
path, rest = sys.argv[1], sys.argv[2:]
with open(path) as f:
    config = yaml.safe_load(f)
jobs = [j for j in config["scrape_configs"] if j.get("job_name") == "minishop"]
if len(jobs) != 1:
    sys.exit(f"{path}: expected one scrape job named minishop")
jobs[0]["static_configs"] = [
    {"targets": [rest[i + 2]], "labels": {"roles": rest[i], "minishop_instance": rest[i + 1]}}
    for i in range(0, len(rest), 3)
]
with open(path, "w") as f:
    f.write("# Rendered by ./minishop up --split: scrapes every MiniShop process.\n")
    yaml.safe_dump(config, f, sort_keys=False)
EOF
}

start_prometheus() {
  local d="$STATE/prometheus"
  mkdir -p "$d/data"
  render_prometheus_config "$d"
  setsid prometheus --config.file="$d/prometheus.yml" --storage.tsdb.path="$d/data" \
    --web.listen-address="127.0.0.1:$PROMETHEUS_PORT" --storage.tsdb.retention.time=7d \
    </dev/null >>"$d/prometheus.log" 2>&1 &
  echo $! >"$d/prometheus.pid"
  wait_for 60 curl -fsS -o /dev/null "http://127.0.0.1:$PROMETHEUS_PORT/-/ready" ||
    die "Prometheus not ready; see $(log_of prometheus)"
}

# A running Prometheus when `up` may have switched the topology: renders its configuration
# again and, if the targets changed, reloads it (SIGHUP).
reconfigure_prometheus() {
  local pid=$1 d="$STATE/prometheus"
  rm -rf "$d/next"
  mkdir -p "$d/next"
  render_prometheus_config "$d/next"
  if cmp -s "$d/next/prometheus.yml" "$d/prometheus.yml"; then
    rm -rf "$d/next"
    return 0
  fi
  mv "$d/next/prometheus.yml" "$d/prometheus.yml"
  mv "$d/next/alerts.yml" "$d/alerts.yml"
  rm -rf "$d/next"
  say "prometheus: reloading (scrape targets changed)"
  kill -HUP "$pid"
}

stop_prometheus() {
  local pid=$1
  kill -TERM "$pid" 2>/dev/null || true
  wait_exit "$pid" 30 || { warn "prometheus did not stop in 30 s, killing"; kill -KILL "$pid"; }
  rm -f "$STATE/prometheus/prometheus.pid"
}
