#!/usr/bin/env bash
# Syntax checks for what deploy/ and config/ ship. Docker and Kubernetes cannot run here, so
# this checks what can be checked without them:
#   - nginx -t on the nginx configuration rendered exactly as `./minishop up` renders it,
#     and a real nginx answering its own refusals (431, 414, 413, 501) and an unreachable
#     gateway (503) with the gateway's JSON
#   - promtool check config / check rules on every Prometheus configuration and rule file
#   - every YAML file under deploy/ parses (all documents of a multi-document file);
#     Compose services and Kubernetes objects have the fields their tools require; every
#     file deploy/kustomization.yaml names exists
#   - config/minishop.example.toml parses and lists exactly the settings in
#     src/common/config.cc
# The Dockerfile is not built or linted here.
# Prints one line per check and exits non-zero if any check failed.
# shellcheck disable=SC2317  # the check functions are called through check()
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TMP="$(mktemp -d "${TMPDIR:-/tmp}/minishop-check-deploy-XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
FAILED=0

# check NAME COMMAND...: runs COMMAND, prints ok/FAIL and, on failure, its output.
check() {
  local name=$1; shift
  if "$@" >"$TMP/out" 2>&1; then
    printf 'ok    %s\n' "$name"
  else
    printf 'FAIL  %s\n' "$name"
    sed 's/^/      /' "$TMP/out"
    FAILED=1
  fi
}

need() {
  command -v "$1" >/dev/null || { echo "check-deploy: $1 not found (./minishop deps)" >&2; exit 1; }
}
need nginx
need promtool
need python3

# --- nginx: the local top-level config including the shipped minishop.conf template ---
nginx_check() {
  local d="$TMP/nginx"
  mkdir -p "$d/logs" "$d/temp" "$d/www"
  NGINX_PREFIX="$d" NGINX_WORKERS=2 NGINX_WORKER_FILES=20000 NGINX_WORKER_CONNECTIONS=18000 \
    "$ROOT/scripts/render-template" "$ROOT/deploy/nginx/nginx.local.conf.template" \
    --require NGINX_PREFIX NGINX_WORKERS NGINX_WORKER_FILES NGINX_WORKER_CONNECTIONS \
    >"$d/nginx.conf"
  NGINX_LISTEN=127.0.0.1:8088 MINISHOP_UPSTREAM=127.0.0.1:8080 MINISHOP_WEB_ROOT="$d/www" \
    PROMETHEUS_UPSTREAM=127.0.0.1:9095 \
    "$ROOT/scripts/render-template" "$ROOT/deploy/nginx/minishop.conf.template" \
    --require NGINX_LISTEN MINISHOP_UPSTREAM MINISHOP_WEB_ROOT PROMETHEUS_UPSTREAM >"$d/minishop.conf"
  if grep -nF "\${" "$d/nginx.conf" "$d/minishop.conf"; then
    echo "unrendered placeholders above"
    return 1
  fi
  nginx -t -q -p "$d" -c "$d/nginx.conf" -e "$d/logs/error.log"
}
check "nginx -t deploy/nginx (rendered as ./minishop up does)" nginx_check

# The split topology's nginx and Prometheus configurations, rendered by the functions
# `./minishop up --split` runs: /api balanced over both gateways, every process scraped.
split_configs_check() {
  local d="$TMP/split" STATE="$TMP/split" TOPOLOGY=split HTTP_PORT=8080 SPLIT_PORT=8100
  local NGINX_PORT=8088 PROMETHEUS_PORT=9095
  mkdir -p "$d/logs" "$d/temp"
  # shellcheck source=scripts/local-servers.sh
  . "$ROOT/scripts/local-servers.sh"
  # shellcheck source=scripts/local-split.sh
  . "$ROOT/scripts/local-split.sh"
  render_nginx_config "$d"
  nginx -t -q -p "$d" -c "$d/nginx.conf" -e "$d/logs/error.log" || return 1
  grep -A3 '^upstream minishop_gateway' "$d/minishop.conf" >"$d/upstream"
  if ! grep -q 'server 127.0.0.1:8101 max_fails' "$d/upstream" ||
    ! grep -q 'server 127.0.0.1:8102 max_fails' "$d/upstream"; then
    echo "the upstream does not list both gateways:"
    cat "$d/upstream"
    return 1
  fi
  mkdir -p "$d/prometheus"
  render_prometheus_config "$d/prometheus"
  promtool check config "$d/prometheus/prometheus.yml" || return 1
  [ "$(grep -c "127.0.0.1:81[0-3][0-9]" "$d/prometheus/prometheus.yml")" = 7 ] ||
    { echo "prometheus.yml does not scrape the 7 processes:"; cat "$d/prometheus/prometheus.yml"; return 1; }
}
check "nginx -t and promtool on the configurations of ./minishop up --split" split_configs_check

# nginx's own refusals (oversize header block, request line, body) answer as the gateway
# does, with the status the README promises and a JSON error: a real nginx on a free port.
nginx_refusals_check() {
  local d="$TMP/nginx-refusals" port out status
  mkdir -p "$d/logs" "$d/temp" "$d/www"
  port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  NGINX_PREFIX="$d" NGINX_WORKERS=1 NGINX_WORKER_FILES=1024 NGINX_WORKER_CONNECTIONS=512 \
    "$ROOT/scripts/render-template" "$ROOT/deploy/nginx/nginx.local.conf.template" >"$d/nginx.conf"
  NGINX_LISTEN="127.0.0.1:$port" MINISHOP_UPSTREAM=127.0.0.1:9 MINISHOP_WEB_ROOT="$d/www" \
    PROMETHEUS_UPSTREAM=127.0.0.1:9 \
    "$ROOT/scripts/render-template" "$ROOT/deploy/nginx/minishop.conf.template" >"$d/minishop.conf"
  nginx -p "$d" -c "$d/nginx.conf" -e "$d/logs/error.log" || return 1
  local ok=0 big
  big="$(head -c 20000 /dev/zero | tr '\0' a)"
  head -c 70000 /dev/zero | tr '\0' a >"$d/body"
  for want in "431 headers_too_large" "414 uri_too_long" "413 payload_too_large" \
    "501 not_implemented" "503 unavailable"; do
    case "$want" in
      431*) out="$(curl -s -w '\n%{http_code}' -H "X-Big: $big" "http://127.0.0.1:$port/api/v1/sales")" ;;
      414*) out="$(curl -s -w '\n%{http_code}' "http://127.0.0.1:$port/api/v1/sales?q=$big")" ;;
      413*) out="$(curl -s -w '\n%{http_code}' --data-binary @"$d/body" "http://127.0.0.1:$port/api/v1/auth/register")" ;;
      501*) out="$(curl -s -w '\n%{http_code}' -H 'Transfer-Encoding: gzip' --data-binary x "http://127.0.0.1:$port/api/v1/auth/register")" ;;
      503*) out="$(curl -s -w '\n%{http_code}' "http://127.0.0.1:$port/api/v1/sales")" ;;  # upstream :9 refuses
    esac
    status="$(tail -n1 <<<"$out")"
    if [ "$status" != "${want%% *}" ] || ! head -n1 <<<"$out" | grep -q "\"code\":\"${want#* }\""; then
      echo "expected $want, got $status: $(head -n1 <<<"$out")"
      ok=1
    fi
  done
  kill "$(cat "$d/nginx.pid")"
  return "$ok"
}
check "nginx answers its own refusals with the gateway's statuses and JSON" nginx_refusals_check

# --- Prometheus ---
check "promtool check rules deploy/prometheus/alerts.yml" \
  promtool check rules "$ROOT/deploy/prometheus/alerts.yml"

prometheus_local_check() {
  local d="$TMP/prometheus-local"
  mkdir -p "$d"
  MINISHOP_METRICS_TARGET=127.0.0.1:8080 PROMETHEUS_RULES="$ROOT/deploy/prometheus/alerts.yml" \
    "$ROOT/scripts/render-template" "$ROOT/deploy/prometheus/prometheus.yml.template" \
    --require MINISHOP_METRICS_TARGET PROMETHEUS_RULES >"$d/prometheus.yml"
  promtool check config "$d/prometheus.yml"
}
check "promtool check config deploy/prometheus/prometheus.yml.template" prometheus_local_check

# Compose and Kubernetes configs name their rule file relative to themselves: check each
# with the shipped alerts.yml beside it, as it is mounted there.
prometheus_file_check() {
  local config=$1 d="$TMP/prometheus-$RANDOM"
  mkdir -p "$d"
  cp "$config" "$d/prometheus.yml"
  cp "$ROOT/deploy/prometheus/alerts.yml" "$d/alerts.yml"
  promtool check config "$d/prometheus.yml"
}
for config in "$ROOT"/deploy/prometheus/prometheus.*.yml; do
  [ -e "$config" ] || continue
  check "promtool check config ${config#"$ROOT"/}" prometheus_file_check "$config"
done

# --- YAML: every file parses; Compose and Kubernetes files have their required fields ---
yaml_check() {
  python3 - "$ROOT" <<'EOF'
import pathlib, sys, yaml
root = pathlib.Path(sys.argv[1])
problems, count = [], 0
for path in sorted(root.glob("deploy/**/*")):
    if not path.is_file() or not any(s in (".yml", ".yaml") for s in path.suffixes):
        continue
    rel = path.relative_to(root)
    try:
        docs = [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
    except yaml.YAMLError as e:
        problems.append(f"{rel}: {e}")
        continue
    count += 1
    if rel.parts[1] == "k8s":
        for i, doc in enumerate(docs):
            for field in ("apiVersion", "kind", "metadata"):
                if field not in doc:
                    problems.append(f"{rel}: document {i + 1} has no {field}")
            if "name" not in (doc.get("metadata") or {}):
                problems.append(f"{rel}: document {i + 1} has no metadata.name")
    if rel.parts[1] == "compose" and path.name.startswith(("docker-compose", "compose")):
        services = docs[0].get("services") or {}
        if not services:
            problems.append(f"{rel}: no services")
        for name, svc in services.items():
            if "image" not in svc and "build" not in svc:
                problems.append(f"{rel}: service {name} has neither image nor build")
            deps = svc.get("depends_on") or []
            for dep in deps if isinstance(deps, list) else deps.keys():
                if dep not in services:
                    problems.append(f"{rel}: service {name} depends on unknown service {dep}")
kustomization = root / "deploy/kustomization.yaml"
if kustomization.exists():
    k = yaml.safe_load(kustomization.read_text())
    names = list(k.get("resources", []))
    for gen in k.get("configMapGenerator", []) + k.get("secretGenerator", []):
        names += [f.split("=", 1)[-1] for f in gen.get("files", [])]
        # env files hold secrets and are not shipped: their .example must be
        names += [f + ".example" for f in gen.get("envs", [])]
    for name in names:
        if not (kustomization.parent / name).exists():
            problems.append(f"deploy/kustomization.yaml: {name} does not exist")
print(f"{count} YAML files parsed")
if problems:
    print("\n".join(problems))
    sys.exit(1)
EOF
}
check "YAML files under deploy/ parse (Compose and Kubernetes fields present)" yaml_check

# --- config/minishop.example.toml lists every setting, and only real ones ---
config_example_check() {
  python3 - "$ROOT" <<'EOF'
import pathlib, re, sys, tomllib
root = pathlib.Path(sys.argv[1])
source = (root / "src/common/config.cc").read_text()
known = {(s, k) for s, k in re.findall(r'f\("([a-z_]*)",\s*"([a-z_]+)",', source)}
with open(root / "config/minishop.example.toml", "rb") as f:
    example = tomllib.load(f)
listed = set()
for key, value in example.items():
    if isinstance(value, dict):
        listed |= {(key, k) for k in value}
    else:
        listed.add(("", key))
name = lambda sk: f"{sk[0]}.{sk[1]}" if sk[0] else sk[1]
missing = sorted(map(name, known - listed))
unknown = sorted(map(name, listed - known))
if missing:
    print("settings missing from the example:", ", ".join(missing))
if unknown:
    print("example keys that are not settings:", ", ".join(unknown))
print(f"{len(known)} settings in config.cc, {len(listed)} in the example")
sys.exit(1 if missing or unknown else 0)
EOF
}
if [ -f "$ROOT/config/minishop.example.toml" ]; then
  check "config/minishop.example.toml matches src/common/config.cc" config_example_check
fi

if [ "$FAILED" = 0 ]; then
  echo "check-deploy: all checks passed"
else
  echo "check-deploy: some checks failed"
fi
exit "$FAILED"
