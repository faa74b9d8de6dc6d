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
# Output protocol: lines starting with "@@php-deploy:<nonce> " are for the engine, where <nonce> is
# the nonce=… argument of this command (new for every command; without one, "@@php-deploy "):
#   @@php-deploy:<nonce> phase <name>          a phase starts
#   @@php-deploy:<nonce> result <key> <value>  a fact for the engine (live release, timings, ...)
#   @@php-deploy:<nonce> fail <phase> <text>   why the command failed
# Every other line is log text for the user: what a hook, the reload command or the app prints can
# never pass for a protocol line, since none of them is given the nonce.
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

# The marker of protocol lines, set from the nonce before anything is printed (see set_nonce).
MARK='@@php-deploy '
set_nonce() {
  local a
  for a in "$@"; do
    if [[ $a == nonce=* ]]; then
      [[ ${a#nonce=} =~ ^[0-9a-f]{16,64}$ ]] && MARK="@@php-deploy:${a#nonce=} "
    fi
  done
}
emit() { say "${MARK}$*"; }
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

# Clocks from bash's own printf and EPOCHREALTIME (bash 5), not a `date` process each (a rollback
# reads the clock a dozen times); `date` where this bash lacks them.
if printf '%(%s)T' -1 >/dev/null 2>&1; then
  now_epoch() { printf '%(%s)T' -1; }
  now_iso() { TZ=UTC printf '%(%Y-%m-%dT%H:%M:%SZ)T' -1; }
else
  now_epoch() { date +%s; }
  now_iso() { date -u +%Y-%m-%dT%H:%M:%SZ; }
fi
if [[ ${EPOCHREALTIME:-} =~ ^[0-9]+[.,][0-9]{6}$ ]]; then
  now_ms() { local us=${EPOCHREALTIME//[.,]/}; printf '%s' "$((us / 1000))"; }
else
  now_ms() { local ns; ns=$(date +%s%N); printf '%s' "$((ns / 1000000))"; }
fi
iso_of() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ 2>/dev/null || printf '@%s' "$1"; }

# A JSON string of any text: every control character escaped, invalid UTF-8 dropped (a health
# page's body excerpt, a command line with escape sequences), so every log line parses.
# json_str_to <var> <text> sets var (no subshell; var must not be s, i or c); json_str <text> prints it.
json_str_to() {
  local _js_var=$1 s=$2 i c
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  s=${s//$'\n'/\\n}
  s=${s//$'\r'/\\r}
  s=${s//$'\t'/\\t}
  if [[ $s == *[[:cntrl:]]* ]]; then
    for ((i = 1; i < 32; i++)); do
      printf -v c %b "\\x$(printf %02x "$i")"
      [[ $s == *"$c"* ]] && s=${s//"$c"/$(printf '\\u%04x' "$i")}
    done
    s=${s//$'\x7f'/\\u007f}
  fi
  if [[ $s == *[$'\x80'-$'\xff']* ]] && command -v iconv >/dev/null 2>&1; then
    s=$(printf '%s' "$s" | iconv -f UTF-8 -t UTF-8 -c 2>/dev/null) || true
  fi
  printf -v "$_js_var" '"%s"' "$s"
}
json_str() {
  local out
  json_str_to out "$1"
  printf '%s' "$out"
}
