# Locks: the lease lock (take, assert, renew, release, unlock) and the activation flock.
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

write_lock() {
  local acquired=$1 tmp="$STATE/.lock.$$"
  (umask 077 && printf 'token=%s\nholder=%s\nid=%s\nacquired=%s\nexpires=%s\n' \
    "$TOKEN" "${HOLDER//$'\n'/ }" "$DEPLOY_ID" "$acquired" "$(($(now_epoch) + LOCK_TTL))" >"$tmp")
  mv -f "$tmp" "$LOCK_FILE"
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
      write_lock "$(now_epoch)"
      lock_mutex_release
      return 0
    fi
    if [[ $LOCK_TOKEN == "$TOKEN" ]]; then
      write_lock "$LOCK_ACQUIRED"
      lock_mutex_release
      return 0
    fi
    if ((LOCK_EXPIRES < $(now_epoch))); then
      say "taking over an expired lock: $(describe_lock)"
      append_log lock takeover "expired lock $(describe_lock)"
      write_lock "$(now_epoch)"
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

# Succeeds when we hold the lock (refreshing the lease) or nobody does.
assert_lock() {
  lock_mutex
  if read_lock && [[ $LOCK_TOKEN != "$TOKEN" ]]; then
    lock_mutex_release
    die "the lock is not ours any more: $(describe_lock)"
  fi
  write_lock "${LOCK_ACQUIRED:-$(now_epoch)}"
  lock_mutex_release
}

release_lock() {
  [[ -n ${STATE:-} && -d $STATE ]] || return 0
  lock_mutex
  if read_lock && [[ $LOCK_TOKEN == "$TOKEN" ]]; then rm -f "$LOCK_FILE"; fi
  lock_mutex_release
}

RENEWER_PID=''
start_renewer() {
  local every=$((LOCK_TTL / 3))
  ((every >= 1)) || every=1
  (
    trap - EXIT
    exec 8>&-
    while sleep "$every"; do
      lock_mutex
      if read_lock && [[ $LOCK_TOKEN == "$TOKEN" ]]; then write_lock "$LOCK_ACQUIRED"; else exit 0; fi
      lock_mutex_release
    done
  ) >/dev/null 2>&1 &
  RENEWER_PID=$!
}
stop_renewer() {
  [[ -n $RENEWER_PID ]] || return 0
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

cmd_unlock() {
  [[ -d $STATE ]] || { say "no lock: $DEPLOY_PATH has no php-deploy state"; return 0; }
  lock_mutex
  if read_lock; then
    local who
    who=$(describe_lock)
    rm -f "$LOCK_FILE"
    lock_mutex_release
    result unlocked "$who"
    append_log unlock ok "removed lock $who"
    say "removed the lock $who"
  else
    lock_mutex_release
    say "no lock on $DEPLOY_PATH"
  fi
}

# A worker that activates a release (activate, prepare, switch, finish) holds this flock for as long as
# it runs. The server finishes and checks what it started even when the client is gone, so an abort
# (e.g. the action's post step after the main step was killed) leaves a running activation alone.
# Hooks, reloads and the renewer run with fd 8 closed, so nothing they leave behind keeps it held.
hold_activation() {
  exec 8>>"$STATE/activation.lock"
  flock -w 60 8 || die "another activation on $DEPLOY_PATH did not finish within 60 s"
}
activation_running() {
  exec 8>>"$STATE/activation.lock"
  if flock -n 8; then
    flock -u 8
    exec 8>&-
    return 1
  fi
  exec 8>&-
  return 0
}
