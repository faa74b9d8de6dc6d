# Switch: point current at a release atomically, reload, check, and switch back on failure.
# shellcheck shell=bash

# Points `current` at a release by renaming a new symlink over it: atomic, never rm + ln.
# An empty id removes `current` (only when a first deploy fails after its switch). The state is
# written first: a full disk or a read-only state directory stops it before the switch.
switch_to() {
  local id=$1 tmp="$DEPLOY_PATH/.current.$$.$RANDOM" old
  old=$(live_id)
  forget_live
  if [[ -n $old && $old != "$id" && -d $STATE/releases/$old ]]; then
    write_state "$STATE/releases/$old/retired" "$(now_epoch)"
  fi
  if [[ -z $id ]]; then
    rm -f "$CURRENT"
  else
    ln -s "releases/$id" "$tmp"
    mv -T "$tmp" "$CURRENT" || { rm -f "$tmp"; die "could not rename a symlink over $CURRENT"; }
  fi
}

# The switch alone, no state written: the undo's last resort when even the state cannot be written.
switch_to_bare() {
  local tmp="$DEPLOY_PATH/.current.$$.$RANDOM"
  forget_live
  if [[ -z $1 ]]; then
    rm -f "$CURRENT"
  elif ! { ln -s "releases/$1" "$tmp" && mv -T "$tmp" "$CURRENT"; }; then
    rm -f "$tmp"
    say "warning: could not switch current back to $1"
  fi
}

# After a switch: reload-command, then (opcache-reset) the pool's OPcache cleared. Returns 1 with
# LAST_FAILURE saying which failed.
run_reload() {
  if [[ -n $RELOAD_COMMAND ]] && ! run_reload_command; then
    LAST_FAILURE="reload-command failed: $RELOAD_COMMAND"
    return 1
  fi
  [[ $OPCACHE_RESET == 1 ]] || return 0
  reset_opcache
}

# The command's output goes to a file and is passed on through say once it is done: written straight
# to the session, a client that went away would make the reload command itself fail (EPIPE) in the
# middle of a switch (a file, not a pipe: a daemon it starts may keep its stdout open).
run_reload_command() {
  say "reload: $RELOAD_COMMAND"
  forget_live
  # Read by bash itself (this command's own file: its pid), then removed.
  local log=$STATE/.reload.$$ rc=0 text=''
  (cd "$DEPLOY_PATH" && bash -c "$RELOAD_COMMAND") >"$log" 2>&1 </dev/null 8>&- || rc=$?
  [[ ! -s $log ]] || { IFS= read -r -d '' text <"$log" || true; }
  rm -f "$log"
  [[ -z $text ]] || say "${text%$'\n'}"
  return "$rc"
}

# opcache_reset() in the php-fpm pool, for a deploy user that cannot reload php-fpm (one request,
# run_in_pool). A pool without OPcache has nothing stale: a warning, not a failure.
reset_opcache() {
  local out status body
  out=$(run_in_pool opcache "$OPCACHE_RESET_SCRIPT" 2000)
  read_answer "$out"
  status=$ANSWER_STATUS
  body=$ANSWER_BODY
  if [[ $status != 200 ]]; then
    LAST_FAILURE="opcache-reset: php-fpm at $FPM_SOCKET did not run the reset (${out//$'\n'/ }); check fpm-socket and that the pool can read $DEPLOY_PATH"
    return 1
  fi
  case $body in
  *'"loaded":false'*) result warning "opcache-reset: the pool at $FPM_SOCKET has no OPcache; nothing to clear" ;;
  *'"enabled":false'*) result warning "opcache-reset: OPcache is disabled in the pool at $FPM_SOCKET; nothing to clear" ;;
  *'"reset":true'*) say "opcache-reset: OPcache of the pool at $FPM_SOCKET cleared" ;;
  *)
    LAST_FAILURE="opcache-reset: the pool at $FPM_SOCKET refused opcache_reset() (${body:0:200}); allow it for $DEPLOY_PATH (opcache.restrict_api) or use reload-command"
    return 1
    ;;
  esac
}

# The failure message's tail after a switch back, so the one line says what is live now.
SWITCHED_BACK=''
SWITCHED_BACK_TO=''
switched_back_note() {
  [[ -n $SWITCHED_BACK ]] || return 0
  if [[ -n $SWITCHED_BACK_TO ]]; then
    printf '; switched back to %s' "$SWITCHED_BACK_TO"
  else
    printf '; switched back: no release is live (it was the first deploy)'
  fi
}

# Switch back after a failed post-switch step; never fails the caller's error report.
switch_back() {
  local prev=$1 reason=$2
  say "switching back to ${prev:-nothing (first deploy)}: $reason"
  forget_live
  (switch_to "$prev") || say "warning: could not record that the release was switched away from"
  [[ $(live_id) == "$prev" ]] || switch_to_bare "$prev"
  SWITCHED_BACK=1
  SWITCHED_BACK_TO=$prev
  run_reload || say "warning: reload after switching back failed"
  result rolled_back true
  if [[ -n $HEALTH_URL && -n $prev ]]; then
    check_live_through_web "$prev" 0 || say "warning: the previous release does not answer 200 either: $LAST_FAILURE"
  fi
}

# switch_and_check <id> <prev> [guard]: the switch of a deploy and of a rollback. Points current at
# <id>, reloads, checks the live site through the web server; on a failure switches back to <prev> and
# returns 1 with LAST_FAILURE saying why (the caller logs, cleans up and fails). With a guard command
# (a deploy's check_before_switch), it runs just before the switch and keeps the lock mutex held
# through it. SWITCHED_TO/SWITCHED_FROM/SWITCH_CHECKED tell the exit path what to switch back if the
# command ends before its checks passed.
switch_and_check() {
  local id=$1 prev=$2 guard=${3:-} t0 why
  phase switch
  [[ -z $guard ]] || "$guard" "$id"
  t0=$(now_ms)
  SWITCHED_TO=$id SWITCHED_FROM=$prev SWITCH_CHECKED=0
  switch_to "$id"
  [[ -z $guard ]] || lock_mutex_release
  result switch_at_ms "$t0"
  result switch_ms "$(($(now_ms) - t0))"
  say "current -> releases/$id (was ${prev:-nothing})"

  phase reload
  if ! run_reload; then
    why=$LAST_FAILURE
    switch_back "$prev" "$why"
    LAST_FAILURE=$why
    return 1
  fi

  phase post-switch-check
  if [[ -z $HEALTH_URL ]]; then
    say "no health-url: the live site is not checked after the switch"
    SWITCH_CHECKED=1
    return 0
  fi
  if ! check_live_through_web "$id"; then
    why=$LAST_FAILURE
    switch_back "$prev" "$why"
    LAST_FAILURE=$why
    return 1
  fi
  SWITCH_CHECKED=1
}
