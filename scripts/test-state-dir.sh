#!/usr/bin/env bash
# Checks where ./minishop keeps its state: in the clone (.minishop) when other users can reach
# it, and, as root in a clone under a private directory (as /root is), in a directory that
# the postgres and rabbitmq users can enter — the same one at every run. Run by
# `./minishop test`; needs no server.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
fail() { printf 'test-state-dir: FAIL: %s\n' "$*" >&2; exit 1; }

work="$(mktemp -d)"  # 0700: private to its owner
trap 'rm -rf "$work"' EXIT
chmod 0755 "$work"
mkdir -m 0755 "$work/open" "$work/private"
chmod 0700 "$work/private"
for d in open private; do
  mkdir -p "$work/$d/clone/scripts"
  cp "$ROOT/minishop" "$work/$d/clone/"
  cp "$ROOT"/scripts/local-*.sh "$work/$d/clone/scripts/"
done

open_state="$(env -u MINISHOP_STATE_DIR "$work/open/clone/minishop" state-dir)"
[ "$open_state" = "$work/open/clone/.minishop" ] || fail "open clone: state in $open_state"

private_state="$(env -u MINISHOP_STATE_DIR "$work/private/clone/minishop" state-dir)"
if [ "$(id -u)" = 0 ]; then
  case "$private_state" in
    /var/tmp/minishop-*) ;;
    *) fail "private clone as root: state in $private_state, which postgres cannot reach" ;;
  esac
  again="$(env -u MINISHOP_STATE_DIR "$work/private/clone/minishop" state-dir)"
  [ "$again" = "$private_state" ] || fail "private clone: $private_state, then $again"
  for u in postgres rabbitmq; do
    if id "$u" >/dev/null 2>&1; then
      runuser -u "$u" -- test -x "$(dirname "$private_state")" ||
        fail "user $u cannot reach $(dirname "$private_state")"
    fi
  done
else
  [ "$private_state" = "$work/private/clone/.minishop" ] ||
    fail "private clone, not root: state in $private_state"
fi

# Another local user making the predictable directory first must not get its files read
# (ports.env was once sourced as root) nor receive the secrets.
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
  trap 'rm -rf "$work" "$private_state"' EXIT
  rm -rf "$private_state"
  runuser -u nobody -- mkdir -m 0777 "$private_state"
  runuser -u nobody -- sh -c "printf 'touch $work/pwned\\nHTTP_PORT=1\\n' > '$private_state/ports.env'"
  if env -u MINISHOP_STATE_DIR "$work/private/clone/minishop" status >"$work/out" 2>&1; then
    fail "status used a state directory owned by another user: $(cat "$work/out")"
  fi
  [ ! -e "$work/pwned" ] || fail "status ran a command from another user's ports.env"
  grep -q "refusing it" "$work/out" || fail "no clear refusal: $(cat "$work/out")"
  rm -rf "$private_state"
fi

override="$(MINISHOP_STATE_DIR=/srv/elsewhere/ "$work/private/clone/minishop" state-dir)"
[ "$override" = /srv/elsewhere ] || fail "MINISHOP_STATE_DIR ignored: $override"
echo "test-state-dir: ok (open: .minishop; private: $private_state)"
