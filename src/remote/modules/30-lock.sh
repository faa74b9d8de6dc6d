# Locks: the lease lock (take, assert, renew, release, unlock), its renewers (hold, __renewer) and the activation flock.
# shellcheck shell=bash

# ---------------------------------------------------------------------------------------------
# Lease lock: one file, inspected and changed only under flock on lock.mutex.
# ---------------------------------------------------------------------------------------------

LOCK_FILE=''
lock_mutex() {
  LOCK_FILE=$STATE/lock
  [[ -e $STATE/lock.mutex ]] || (umask 077 && : >>"$STATE/lock.mutex")
  exec 9>>"$STATE/lock.mutex"
  flock -w 30 9 || die "could not get the lock mutex $STATE/lock.mutex within 30 s"
}
lock_mutex_release() { flock -u 9; exec 9>&-; }

LOCK_TOKEN='' LOCK_HOLDER='' LOCK_ID='' LOCK_ACQUIRED=0 LOCK_EXPIRES=0
read_lock() {
  LOCK_TOKEN='' LOCK_HOLDER='' LOCK_ID='' LOCK_ACQUIRED=0 LOCK_EXPIRES=0
  [[ -f $LOCK_FILE ]] || return 1
  local k v
  while IFS='=' read -r k v; do
    case $k in
      token) LOCK_TOKEN=$v ;;
      holder) LOCK_HOLDER=$v ;;
      id) LOCK_ID=$v ;;
      acquired) [[ $v =~ ^[0-9]+$ ]] && LOCK_ACQUIRED=$v ;;
      expires) [[ $v =~ ^[0-9]+$ ]] && LOCK_EXPIRES=$v ;;
    esac
  done <"$LOCK_FILE"
  return 0
}

# This command holds (took or asserted) the lock / released it itself: the exit path reports
# released, held or lost from these.
HAVE_LOCK=0
LOCK_RELEASED=0

# Replaces the lock file atomically; on a failure (disk full) the old one stays and LOCK_WRITE_ERROR
# says why. Never a half-written lock.
LOCK_WRITE_ERROR=''
write_lock() {
  local acquired=$1 tmp="$STATE/.lock.$$" err=''
  if ! err=$({ umask 077 && printf 'token=%s\nholder=%s\nid=%s\nacquired=%s\nexpires=%s\n' \
    "$TOKEN" "${HOLDER//$'\n'/ }" "$DEPLOY_ID" "$acquired" "$(($(now_epoch) + LOCK_TTL))" >"$tmp"; } 2>&1) ||
    ! err=$(mv -f "$tmp" "$LOCK_FILE" 2>&1); then
    rm -f "$tmp"
    LOCK_WRITE_ERROR="cannot write ${LOCK_FILE#"$DEPLOY_PATH"/}: ${err##*: }"
    return 1
  fi
}

# write_lock under the mutex, or release the mutex and stop with the reason.
write_lock_or_die() {
  write_lock "$1" && return 0
  lock_mutex_release
  die "$LOCK_WRITE_ERROR"
}

describe_lock() {
  local age=$(($(now_epoch) - LOCK_ACQUIRED)) left=$((LOCK_EXPIRES - $(now_epoch)))
  printf 'held by %s (deploy %s) for %ss, lease expires in %ss' "${LOCK_HOLDER:-unknown}" "${LOCK_ID:-?}" "$age" "$left"
}

take_lock() {
  [[ -n $TOKEN ]] || die "no lock token"
  local deadline=$(($(now_epoch) + LOCK_WAIT)) waiting=0
  while :; do
    lock_mutex
    if ! read_lock; then
      write_lock_or_die "$(now_epoch)"
      HAVE_LOCK=1
      lock_mutex_release
      return 0
    fi
    if [[ $LOCK_TOKEN == "$TOKEN" ]]; then
      write_lock_or_die "$LOCK_ACQUIRED"
      HAVE_LOCK=1
      lock_mutex_release
      return 0
    fi
    if ((LOCK_EXPIRES < $(now_epoch))); then
      say "taking over an expired lock: $(describe_lock)"
      append_log lock takeover "expired lock $(describe_lock)"
      write_lock_or_die "$(now_epoch)"
      HAVE_LOCK=1
      lock_mutex_release
      return 0
    fi
    lock_mutex_release
    if (($(now_epoch) >= deadline)); then
      read_lock || true
      die "deploy-path $DEPLOY_PATH is locked: $(describe_lock). Wait for it (lock-timeout), or if that deploy is dead run 'php-deploy unlock'"
    fi
    ((waiting++)) || say "waiting up to ${LOCK_WAIT}s for the lock, $(describe_lock)"
    sleep 1
  done
}

# Every step after `begin` must still hold the lock (its lease is refreshed); otherwise it stops
# before changing anything, saying who took the lock and when.
assert_lock() {
  HAVE_LOCK=1
  lock_mutex
  if ! read_lock || [[ $LOCK_TOKEN != "$TOKEN" ]]; then
    local why
    why=$(lost_lock_reason)
    lock_mutex_release
    die "lost the lock: $why"
  fi
  write_lock_or_die "$LOCK_ACQUIRED"
  lock_mutex_release
}

# Renews the lease if the lock is still ours (0); 1 if it is not (nothing changed); 2 if it is ours
# but could not be rewritten (disk full: LOCK_WRITE_ERROR) — try again later.
renew_lease() {
  local rc=0
  lock_mutex
  if read_lock && [[ $LOCK_TOKEN == "$TOKEN" ]]; then
    write_lock "$LOCK_ACQUIRED" || rc=2
  else
    rc=1
  fi
  lock_mutex_release
  return "$rc"
}

# Who has the lock instead of us — who took it and when — or who removed it. Call with the lock read.
lost_lock_reason() {
  if [[ -f $LOCK_FILE && -n $LOCK_TOKEN && $LOCK_TOKEN != "$TOKEN" ]]; then
    printf 'taken over by %s (deploy %s) at %s' "${LOCK_HOLDER:-unknown}" "${LOCK_ID:-?}" "$(iso_of "$LOCK_ACQUIRED")"
    return 0
  fi
  local line at by
  line=$(grep -F '"event":"unlock"' "$STATE/log.jsonl" 2>/dev/null | tail -n 1) || true
  at=$(sed -n 's/^{"time":"\([^"]*\)".*/\1/p' <<<"$line")
  by=$(sed -n 's/.*"by":"\([^"]*\)".*/\1/p' <<<"$line")
  if [[ -n $at ]]; then
    printf "removed by 'php-deploy unlock' (%s) at %s" "${by:-unknown}" "$at"
  else
    printf 'the lock file was removed'
  fi
}

release_lock() {
  [[ -n ${STATE:-} && -d $STATE ]] || return 0
  lock_mutex
  if read_lock && [[ $LOCK_TOKEN == "$TOKEN" ]]; then
    rm -f "$LOCK_FILE"
    LOCK_RELEASED=1
  fi
  lock_mutex_release
}

# `hold`: renews this deploy's lease every ttl/3 for as long as the engine keeps the channel open
# (src/engine/lease.ts). It ends at EOF (the engine is done with the host, died, or lost the
# connection: sshd closes the channel) and, saying who took the lock and when, once the lock is not
# this deploy's any more. It never takes a lock nobody holds and never releases one.
cmd_hold() {
  [[ -n $TOKEN ]] || die "no lock token"
  [[ -d $STATE ]] || die "$DEPLOY_PATH has no php-deploy state"
  local every=$((LOCK_TTL / 3)) rc
  ((every >= 1)) || every=1
  CURRENT_PHASE=lock
  LOCK_FILE=$STATE/lock
  while :; do
    rc=0
    IFS= read -r -t "$every" _ || rc=$?
    ((rc == 0)) && continue
    ((rc > 128)) || return 0
    rc=0
    renew_lease || rc=$?
    if ((rc == 1)); then
      read_lock || true
      die "lost the lock: $(lost_lock_reason)"
    fi
  done
}

# The renewer of a detached command (activation, rollback): a process of its own (php-deploy
# __renewer) that renews the lease every ttl/3 while the lock is this deploy's and its owner (the
# command that started it) is alive; it notices a dead owner within a second.
RENEWER_PID=''
RENEWER_STOPPED=0
start_renewer() {
  bash -c "$BASH_EXECUTION_STRING" php-deploy __renewer "path=$DEPLOY_PATH" "token=$TOKEN" "ttl=$LOCK_TTL" "owner=$$" \
    </dev/null >/dev/null 2>&1 7>&- 8>&- 9>&- &
  RENEWER_PID=$!
}
cmd_renewer() {
  local every=$((LOCK_TTL / 3)) i
  ((every >= 1)) || every=1
  [[ -n $OWNER_PID ]] || return 0
  LOCK_FILE=$STATE/lock
  while :; do
    for ((i = 0; i < every; i++)); do
      sleep 1
      kill -0 "$OWNER_PID" 2>/dev/null || return 0
    done
    renew_lease || [[ $? == 2 ]] || return 0
  done
}

stop_renewer() {
  [[ -n $RENEWER_PID ]] || return 0
  RENEWER_STOPPED=1
  # The renewer waits in a `sleep`: stop that too, or it lingers for up to a third of the lease.
  local children
  children=$(pgrep -P "$RENEWER_PID" 2>/dev/null || true)
  kill "$RENEWER_PID" 2>/dev/null || true
  wait "$RENEWER_PID" 2>/dev/null || true
  if [[ -n $children ]]; then
    # shellcheck disable=SC2086 # a list of pids
    kill $children 2>/dev/null || true
  fi
  RENEWER_PID=''
}

read_lock_quiet() {
  LOCK_FILE=$STATE/lock
  [[ -f $LOCK_FILE ]] && read_lock && ((LOCK_EXPIRES >= $(now_epoch)))
}

# Removes the lock, and nothing else: a running activation notices before its switch and stops.
cmd_unlock() {
  [[ -d $STATE ]] || { say "no lock: $DEPLOY_PATH has no php-deploy state"; return 0; }
  lock_mutex
  if read_lock; then
    local who
    who=$(describe_lock)
    rm -f "$LOCK_FILE"
    # Logged before the mutex is released: whoever finds the lock gone can read who removed it.
    append_log unlock ok "removed lock $who"
    lock_mutex_release
    result unlocked "$who"
    say "removed the lock $who"
    if activation_running; then
      say "deploy ${ACTIVE_ID:-?} is still activating on this server: it stops before its switch, or, if it already switched, finishes its checks"
    fi
  else
    lock_mutex_release
    say "no lock on $DEPLOY_PATH"
  fi
}

# A worker that activates a release (activate, prepare, switch, finish) holds this flock for as long as
# it runs. The server finishes and checks what it started even when the client is gone, so an abort
# (e.g. the action's post step after the main step was killed) leaves a running activation alone.
# Hooks, reloads and the renewer run with fd 8 closed, so nothing they leave behind keeps it held.
# The file names the release being activated, so that `begin` leaves exactly that one alone.
hold_activation() {
  exec 8>>"$STATE/activation.lock"
  flock -w 60 8 || die "another activation on $DEPLOY_PATH did not finish within 60 s"
  printf '%s\n' "$DEPLOY_ID" >"$STATE/activation.lock" 2>/dev/null || true
}

ACTIVE_ID=''
activation_running() {
  exec 8>>"$STATE/activation.lock"
  if flock -n 8; then
    flock -u 8
    exec 8>&-
    return 1
  fi
  exec 8>&-
  ACTIVE_ID=$(head -n 1 "$STATE/activation.lock" 2>/dev/null) || true
  return 0
}
