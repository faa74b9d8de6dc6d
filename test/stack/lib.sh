# shellcheck shell=bash
# What test/stack/stack.sh and test/stack/hosts.sh share: messages, pid files, writing a file only
# when it changes, waiting, and `export` lines. Sourced, never run.

LOG_NAME=$(basename "$0" .sh) # "stack" or "hosts": the prefix of every message
readonly LOG_NAME

log() { printf '%s: %s\n' "$LOG_NAME" "$*" >&2; }
die() { printf '%s: error: %s\n' "$LOG_NAME" "$*" >&2; exit 1; }

require_root() { [[ $(id -u) -eq 0 ]] || die "must run as root"; }

# pid_of <pidfile>: the pid it names, or nothing (never fails: pid files vanish at shutdown).
pid_of() {
  local pid
  pid=$(head -n1 "$1" 2>/dev/null | tr -d '[:space:]') || pid=
  [[ $pid =~ ^[0-9]+$ ]] && printf '%s' "$pid"
  return 0
}

# proc_running <pid>: a live process that is not a zombie (pid 1 here may reap late).
proc_running() {
  local state
  state=$(awk '/^State:/ {print $2}' "/proc/$1/status" 2>/dev/null) || return 1
  [[ -n $state && $state != Z ]]
}

# pid_alive <pidfile> <comm>: true when the pid file names a live (non-zombie) process whose
# command name is <comm> (guards against stale pid files naming a reused pid after a restart).
pid_alive() {
  local pid
  pid=$(pid_of "$1")
  [[ -n $pid && $(cat "/proc/$pid/comm" 2>/dev/null) == "$2" ]] && proc_running "$pid"
}

# write_if_changed <path> <mode> <owner>: write stdin to <path> unless identical. Returns 0 when the
# file changed (or was created), 1 when it was already up to date.
write_if_changed() {
  local path=$1 mode=$2 owner=$3 tmp
  tmp=$(mktemp "$path.XXXXXX")
  cat >"$tmp"
  chmod "$mode" "$tmp"
  chown "$owner" "$tmp"
  if [[ -f $path ]] && cmp -s "$tmp" "$path" &&
    [[ $(stat -c '%a %U:%G' "$path") == "$(stat -c '%a %U:%G' "$tmp")" ]]; then
    rm -f "$tmp"
    return 1
  fi
  mv -f "$tmp" "$path"
  return 0
}

wait_for() { # wait_for <seconds> <command...>
  local timeout=$1 i
  shift
  for ((i = 0; i < timeout * 20; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.05
  done
  return 1
}

show_log() { # show_log <file>: last lines of a log to stderr
  if [[ -f $1 ]]; then
    log "last lines of $1:"
    tail -n 20 "$1" >&2 || true
  fi
}

# env_line <NAME> <value>: an export line, single-quoted only when the value needs it (read back by
# test/stack/env.mjs, or by `eval` in a shell).
env_line() {
  if [[ $2 =~ ^[A-Za-z0-9_./:@+=,-]*$ ]]; then
    printf 'export %s=%s\n' "$1" "$2"
  else
    printf "export %s='%s'\n" "$1" "${2//\'/\'\\\'\'}"
  fi
}

# write_site_env <dir> <header> <db host> <db port> <db name> <memcached host> <memcached port>:
# <dir>/.env for the example app (the stack's app/app database user), owned by the deploy user,
# mode 640, replaced atomically.
write_site_env() {
  local dir=$1 tmp
  tmp=$(mktemp "$dir/.env.XXXXXX")
  cat >"$tmp" <<EOF2
$2
APP_ENV=production
DB_HOST=$3
DB_PORT=$4
DB_NAME=$5
DB_USER=app
DB_PASSWORD=app
MEMCACHED_HOST=$6
MEMCACHED_PORT=$7
EOF2
  chown "${DEPLOY_USER:?}:$DEPLOY_USER" "$tmp"
  chmod 640 "$tmp"
  mv -f "$tmp" "$dir/.env"
}
