# Core: strict mode, output protocol (say/emit/phase/result/die), clocks, JSON strings.
# shellcheck shell=bash
# php-deploy remote side. Runs on the target server as the SSH user, started by the engine as
#   bash -c '<this file>' php-deploy <command> key=value ...
# where <this file> is sent inline or — once it has kept a copy of itself (cache_program) — read from
# ~/.cache/php-deploy/<sha256>.sh by the engine's bootstrap after checking its sha256
# (src/remote/delivery.ts). Every value arrives as one quoted argument.
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
set -euo pipefail
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
die() {
  # One protocol line, whatever the message holds (a multi-line reload-command, tar's output).
  FAIL_REASON=$*
  FAIL_REASON=${FAIL_REASON//$'\n'/ }
  emit fail "$CURRENT_PHASE" "$FAIL_REASON"
  exit 1
}

now_epoch() { date +%s; }
now_iso() { date -u +%Y-%m-%dT%H:%M:%SZ; }
now_ms() { local ns; ns=$(date +%s%N); printf '%s' "$((ns / 1000000))"; }

json_str() {
  local s=$1
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  s=${s//$'\n'/\\n}
  s=${s//$'\r'/\\r}
  s=${s//$'\t'/\\t}
  printf '"%s"' "$s"
}
