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
#   - Compose and Kubernetes run gateway, seckill, order and inventory each on its own, wired
#     to one another as the services contract says (scripts/check-deploy-wiring); with
#     kubectl present, `kubectl kustomize deploy/` builds
#   - config/minishop.example.toml parses and lists exactly the settings in
#     src/common/config.cc
#   - the CMake image (deploy/docker/Dockerfile) copies every directory CMakeLists.txt reads,
#     and cmake configures from those copies alone; the images are not built here
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
  # /internal/ is answered by nginx itself (404), never proxied: a proxied request would
  # meet the refusing upstream and answer 503.
  for path in /internal /internal/ /internal/v1/seckill/purchase /api/../internal/v1/order/x \
    /api/v1/%2e%2e/%2e%2e/internal/v1/inventory/x /api/v1/..%2F..%2Finternal/v1/x; do
    for method in GET POST; do
      out="$(curl -s --path-as-is -X "$method" -w '\n%{http_code}' "http://127.0.0.1:$port$path")"
      status="$(tail -n1 <<<"$out")"
      if [ "$status" != 404 ] || ! head -n1 <<<"$out" | grep -q '"code":"not_found"'; then
        echo "expected 404 not_found for $method $path, got $status: $(head -n1 <<<"$out")"
        ok=1
      fi
    done
  done
  kill "$(cat "$d/nginx.pid")"
  return "$ok"
}
check "nginx answers its own refusals with the gateway's statuses and JSON, /internal/ 404" \
  nginx_refusals_check

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

# --- How Compose and Kubernetes wire the four services (see scripts/check-deploy-wiring) ---
check "Compose: the four services wired (roles, probes, replicas, token, addresses, scrapes)" \
  python3 "$ROOT/scripts/check-deploy-wiring" compose "$ROOT"
check "Kubernetes: the four services wired (roles, probes, replicas, token, addresses, scrapes)" \
  python3 "$ROOT/scripts/check-deploy-wiring" k8s "$ROOT"

# kustomize builds deploy/ as `kubectl apply -k` would (generators, images, namespace), with
# secrets.env made from its example. kubectl is not a MiniShop dependency: skipped without it.
kustomize_check() {
  local d="$TMP/kustomize"
  cp -r "$ROOT/deploy" "$d"
  sed -n 's/^\([A-Z_]*\)=$/\1=placeholder-value-of-at-least-32-bytes/p' \
    "$d/k8s/secrets.env.example" >"$d/k8s/secrets.env"
  kubectl kustomize "$d" >"$d/out.yaml" || return 1
  python3 - "$d/out.yaml" <<'EOF'
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
outside = [d["metadata"]["name"] for d in docs
           if d["kind"] != "Namespace" and d["metadata"].get("namespace") != "minishop"]
print(f"{len(docs)} objects: {', '.join(sorted({d['kind'] for d in docs}))}")
if outside:
    print("outside the minishop namespace:", ", ".join(outside))
sys.exit(1 if outside or not docs else 0)
EOF
}
if command -v kubectl >/dev/null; then
  check "kubectl kustomize deploy/ builds" kustomize_check
else
  printf 'skip  kubectl kustomize deploy/ (no kubectl here)\n'
fi

# --- Docker: every image that builds with CMake copies every directory the build reads ---
# The list comes from CMakeLists.txt itself: the top-level entries named by add_subdirectory,
# include and ${PROJECT_SOURCE_DIR}/... in every CMake file reached from it (all branches:
# options are not evaluated, so a directory read only with MINISHOP_BUILD_TESTS=ON counts).
# A COPY must put each one at its own path under the directory cmake configures (`COPY a b
# ./` would copy the contents of a and b, not the directories), and .dockerignore must not
# drop it. Then cmake configures, with the Dockerfile's own command, from those copies alone.
dockerfile_copy_check() {
  python3 - "$ROOT" "$TMP/docker-context" <<'EOF'
import fnmatch, json, pathlib, posixpath, re, shlex, shutil, subprocess, sys

root, sim = pathlib.Path(sys.argv[1]).resolve(), pathlib.Path(sys.argv[2])
problems = []

def code_lines(path):
    for n, line in enumerate(path.read_text().splitlines(), 1):
        yield n, re.sub(r"(^|\s)#.*$", "", line)

def resolve(kind, arg, here):
    """The repository path a CMake argument names, or None (a module, a variable path)."""
    arg = arg.strip('"')
    for var in ("PROJECT_SOURCE_DIR", "CMAKE_SOURCE_DIR"):
        arg = arg.replace("${%s}" % var, str(root))
    for var in ("CMAKE_CURRENT_SOURCE_DIR", "CMAKE_CURRENT_LIST_DIR"):
        arg = arg.replace("${%s}" % var, str(here))
    if "${" in arg or (kind == "include" and "/" not in arg and "." not in arg):
        return None  # include(CTest) names a CMake module
    p = pathlib.Path(posixpath.normpath(str(here / arg)))
    return p if root in p.parents else None

required = {}  # top-level entry -> the first CMake line that reads it
queue, seen = [root / "CMakeLists.txt"], set()
required["CMakeLists.txt"] = "cmake itself"
while queue:
    path = queue.pop(0)
    if path in seen or not path.is_file():
        continue
    seen.add(path)
    rel = path.relative_to(root)
    for n, line in code_lines(path):
        for kind, arg in re.findall(r"\b(add_subdirectory|include)\s*\(\s*([^\s)]+)", line):
            target = resolve(kind, arg, path.parent)
            if target is None:
                continue
            required.setdefault(target.relative_to(root).parts[0], f"{rel}:{n} {kind}({arg})")
            queue.append(target / "CMakeLists.txt" if kind == "add_subdirectory" else target)
        for name in re.findall(r"\$\{(?:PROJECT|CMAKE)_SOURCE_DIR\}/([A-Za-z0-9_.-]+)", line):
            required.setdefault(name, f"{rel}:{n} ${{PROJECT_SOURCE_DIR}}/{name}")
missing_in_repo = [name for name in required if not (root / name).exists()]
for name in missing_in_repo:
    problems.append(f"{required[name]} names {name}, which is not in the repository")

def instructions(text):
    """(line, INSTRUCTION, arguments): continuation lines joined, comments dropped."""
    out, buf, start = [], "", 0
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        start = start if buf else n
        if line.rstrip().endswith("\\"):
            buf += line.rstrip()[:-1] + " "
            continue
        word, _, args = (buf + line).strip().partition(" ")
        out.append((start, word.upper(), args.strip()))
        buf = ""
    return out

ignored = []
if (root / ".dockerignore").exists():
    ignored = [l.strip().strip("/") for l in (root / ".dockerignore").read_text().splitlines()
               if l.strip() and not l.strip().startswith("#")]
def dockerignored(rel):
    return any(rel == p or rel.startswith(p + "/") or fnmatch.fnmatch(rel, p) for p in ignored)

entries = sorted(p.name for p in root.iterdir() if p.name != ".git")
checked = []
for dockerfile in sorted((root / "deploy/docker").glob("*Dockerfile*")):
    df = dockerfile.relative_to(root)
    workdir, copies = "/", []  # copies: (line, context entry, absolute destination)
    for n, word, args in instructions(dockerfile.read_text()):
        if word == "FROM":
            workdir, copies = "/", []
        elif word == "WORKDIR":
            workdir = posixpath.normpath(posixpath.join(workdir, args))
        elif word in ("COPY", "ADD"):
            words = json.loads(args) if args.startswith("[") else shlex.split(args)
            if any(w.startswith("--from") for w in words):
                continue
            *sources, dest = [w for w in words if not w.startswith("--")]
            dest_abs = posixpath.normpath(posixpath.join(workdir, dest))
            into = dest.endswith("/") or dest in (".", "./") or len(sources) > 1
            for src in sources:
                src = posixpath.normpath(src)
                glob = any(c in src for c in "*?[")
                for name in fnmatch.filter(entries, src) if glob else [src]:
                    if name == "." or (root / name).is_dir():
                        copies.append((n, name, dest_abs))  # the contents go into dest_abs
                    else:
                        copies.append((n, name, posixpath.join(dest_abs, posixpath.basename(name))
                                       if into else dest_abs))
        elif word == "RUN" and re.search(r"(^|[;&|(]\s*)cmake\s+(?!--build|--install|-E|-P)", args):
            configure = next(s.strip() for s in re.split(r"&&|;", args)
                             if re.match(r"\s*cmake\s+(?!--build|--install|-E|-P)", s))
            need = dict(required)
            if "--preset" in configure:
                need.setdefault("CMakePresets.json", f"{df}:{n} cmake --preset")
            source_dir = workdir
            for name in sorted(need):
                want = posixpath.join(source_dir, name)
                ok = [c for c in copies if (c[1], c[2]) in ((".", source_dir), (name, want))]
                if not ok:
                    elsewhere = [c for c in copies if c[1] == name]
                    hint = (f" (line {elsewhere[0][0]} puts it at {elsewhere[0][2]})"
                            if elsewhere else "")
                    slash = "/" if (root / name).is_dir() else ""
                    problems.append(f"{df}: MISSING {name}{slash}: not copied to {want} before "
                                    f"cmake runs (line {n}){hint}; CMake reads it: {need[name]}")
                elif dockerignored(name):
                    problems.append(f"{df}: MISSING {name}: .dockerignore drops it from the "
                                    f"build context; CMake reads it: {need[name]}")
            checked.append((df, source_dir, copies, configure))
            break
    else:
        print(f"{df}: runs no cmake, not checked")
if not checked:
    problems.append("no Dockerfile under deploy/docker runs cmake: nothing was checked")
print(f"the CMake build reads: {', '.join(sorted(required))}")
if problems:
    print("\n".join(problems))
    sys.exit(1)

# Configure from exactly what the build stage copied, with the Dockerfile's command.
for df, source_dir, copies, configure in checked:
    shutil.rmtree(sim, ignore_errors=True)
    sim.mkdir(parents=True)
    for _, name, dest in copies:
        if dest != source_dir and not dest.startswith(source_dir + "/"):
            continue
        target = sim / posixpath.relpath(dest, source_dir)
        if (root / name).is_dir():
            shutil.copytree(root / name, target, dirs_exist_ok=True, ignore=lambda d, names: [
                x for x in names if x == ".git" or dockerignored(
                    str((pathlib.Path(d) / x).relative_to(root)))])
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(root / name, target)
    run = subprocess.run(["bash", "-c", configure], cwd=sim, capture_output=True, text=True)
    if run.returncode != 0:
        print(run.stderr[-3000:] or run.stdout[-3000:])
        print(f"{df}: `{configure}` fails on the copied files alone")
        sys.exit(1)
    print(f"{df}: `{configure}` configures from the copied files alone")
EOF
}
check "deploy/docker: the CMake image copies every directory the build reads" dockerfile_copy_check

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
