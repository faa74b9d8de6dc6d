#!/usr/bin/env bash
# Graceful php-fpm reload for the php-deploy test servers. A template: test/stack/stack.sh and
# test/stack/hosts.sh install it with their paths in place of the @...@ words.
# Sends USR2 to the master named in the pid file and waits until the pid file names a different,
# live master: the master pid changes on every USR2 reload, and a signal to the old pid is lost.
set -euo pipefail

pidfile=@PIDFILE@
logfile=@LOGFILE@
# The new master writes the pid file ~55 ms after the USR2: poll often, so the wait ends about when
# it does (a 50 ms poll added up to 50 ms to every reload).
tick=0.01
timeout_ticks=500 # x 0.01 s = 5 s

# Sites sharing this php-fpm may deploy at the same moment: one reload at a time (a USR2 sent while
# the master re-executes itself finds no live master, and that reload would fail).
exec {lockfd}>>@LOCKFILE@
flock -w 30 "$lockfd" || { echo "reload-php-fpm: another reload did not finish within 30 s" >&2; exit 1; }

read_pid() {
  local pid
  pid=$(head -n1 "$pidfile" 2>/dev/null | tr -d '[:space:]') || true
  [[ $pid =~ ^[0-9]+$ ]] && printf '%s' "$pid"
}

is_master() { # a live php-fpm process (not a zombie)
  local pid=$1 comm state
  comm=$(cat "/proc/$pid/comm" 2>/dev/null) || return 1
  [[ $comm == php-fpm* ]] || return 1
  state=$(awk '/^State:/ {print $2}' "/proc/$pid/status" 2>/dev/null) || return 1
  [[ $state != Z ]]
}

old=$(read_pid) || true
if [[ -z $old ]] || ! is_master "$old"; then
  echo "reload-php-fpm: php-fpm is not running (no live master in $pidfile)" >&2
  exit 1
fi

kill -USR2 "$old"

gone_ticks=0
for ((i = 0; i < timeout_ticks; i++)); do
  sleep "$tick"
  new=$(read_pid) || new=
  if [[ -n $new && $new != "$old" ]] && is_master "$new"; then
    echo "php-fpm reloaded (master $old -> $new)"
    exit 0
  fi
  # The old master re-executes itself and hands over to a new pid; if it is gone and no new
  # master shows up soon after, the reload failed (e.g. a broken config) and php-fpm is down.
  if ! is_master "$old"; then
    if ((++gone_ticks >= 50)); then
      echo "reload-php-fpm: php-fpm exited during the reload and did not come back; see $logfile" >&2
      exit 1
    fi
  fi
done

echo "reload-php-fpm: php-fpm did not reload within 5 s (pid file: '$(read_pid || true)'," \
  "old master $old); see $logfile" >&2
exit 1
