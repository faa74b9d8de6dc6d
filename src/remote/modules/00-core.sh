# Core: strict mode, output protocol (say/emit/phase/result/die), clocks, JSON strings.
# shellcheck shell=bash
# php-deploy remote side. Runs on the target server as the SSH user, started by the engine as
#   bash -c '<this file>' php-deploy <command> key=value ...
# so nothing is installed on the server and every value arrives as one quoted argument.
#
# Layout under the deploy path:
#   releases/<id>/            complete, verified releases
#   releases/<id>.partial/    an upload in progress (never live; removed on failure or by the next deploy)
#   shared/                   persistent paths linked into every release
#   current -> releases/<id>  switched by renaming a new symlink over the old one
#   .php-deploy/              state: lock, log.jsonl, releases/<id>/{meta,manifest,tree,ok,failed,retired}, runs/
#
# Output protocol: lines starting with "@@php-deploy " are for the engine
#   @@php-deploy phase <name>          a phase starts
#   @@php-deploy result <key> <value>  a fact for the engine (live release, timings, ...)
#   @@php-deploy fail <phase> <text>   why the command failed
# Every other line is log text for the user.
# -E: the ERR trap of the exit path (99-main.sh) sees failures inside functions too.
set -Eeuo pipefail
umask 022
export LC_ALL=C

readonly ID_RE='^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$'

CURRENT_PHASE='start'
LAST_FAILURE=''
LAST_BODY=''

# Writes never fail the script: the engine may have gone away while we finish a switch.
say() { printf '%s\n' "$*" 2>/dev/null || true; }
emit() { say "@@php-deploy $*"; }
phase() { CURRENT_PHASE=$1; emit phase "$1"; }
result() { emit result "$1" "$2"; }

FAIL_REASON=''
FAIL_PHASE=''
EXIT_PATH=0
die() {
  # One protocol line, whatever the message holds (a multi-line reload-command, tar's output).
  FAIL_REASON=$*
  FAIL_REASON=${FAIL_REASON//$'\n'/ }
  FAIL_PHASE=$CURRENT_PHASE
  # Under the exit path (99-main.sh) the line comes last, once it has undone what it could.
  ((EXIT_PATH)) || emit fail "$CURRENT_PHASE" "$FAIL_REASON"
  exit 1
}

# Writes a small state file; when that fails (disk full, not writable) the command stops saying why.
write_state() {
  local file=$1 err
  shift
  if ! err=$({ printf '%s\n' "$*" >"$file"; } 2>&1); then
    die "cannot write ${file#"$DEPLOY_PATH"/}: ${err##*: }"
  fi
}

now_epoch() { date +%s; }
now_iso() { date -u +%Y-%m-%dT%H:%M:%SZ; }
now_ms() { local ns; ns=$(date +%s%N); printf '%s' "$((ns / 1000000))"; }
iso_of() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ 2>/dev/null || printf '@%s' "$1"; }

json_str() {
  local s=$1
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  s=${s//$'\n'/\\n}
  s=${s//$'\r'/\\r}
  s=${s//$'\t'/\\t}
  printf '"%s"' "$s"
}
