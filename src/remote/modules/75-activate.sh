# Activate: prepare, switch and finish a release (one round trip or step by step), cancellation.
# shellcheck shell=bash

# Activation, in three steps that a single host runs in one round trip (activate) and several hosts
# run one step at a time on all of them (prepare everywhere, then switch everywhere, then finish):
#   prepare  link shared paths, once-commands, before-switch, check the new release through php-fpm
#   switch   rename current, reload, check through the web server (switch back on failure)
#   finish   mark completed, log, after-switch, prune, unlock
# They run detached from the SSH session, so a client that disappears never leaves `current`
# unverified.

step_prepare() {
  local rel prev
  rel=$RELEASES/$DEPLOY_ID
  [[ -d $rel && -f $STATE/releases/$DEPLOY_ID/meta ]] || die "release $DEPLOY_ID was not uploaded"
  prev=$(live_id)
  [[ -n $prev && ! -d $RELEASES/$prev ]] && prev=''
  write_state "$STATE/releases/$DEPLOY_ID/prev" "$prev"
  result previous "$prev"
  hook_env "$rel" "$prev"

  phase link-shared
  link_shared "$rel" || fail_release "$LAST_FAILURE"
  apply_writable || fail_release "$LAST_FAILURE"
  stop_if_cancelled
  guard_begin "$rel"

  if [[ -n $BACKUP_COMMAND ]]; then
    phase backup
    run_backup "$rel" || fail_release "$LAST_FAILURE"
    stop_if_cancelled
  fi

  if ((${#ONCE[@]})); then
    phase once
    run_hooks once "$rel" "${ONCE[@]}" || fail_release "$LAST_FAILURE"
    stop_if_cancelled
  fi

  phase before-switch
  run_hooks before-switch "$rel" "${BEFORE_SWITCH[@]}" || fail_release "$LAST_FAILURE"
  stop_if_cancelled

  phase pre-switch-check
  if [[ -n $FPM_SOCKET ]]; then
    check_release_through_fpm "$rel" || fail_release "$LAST_FAILURE"
  else
    say "no fpm-socket: the new release is not checked before it goes live"
  fi
  guard_check "$rel" || fail_release "$GUARD_FAILURE"
}

prepared_prev() { cat "$STATE/releases/$DEPLOY_ID/prev" 2>/dev/null || true; }

# Cancellation: the client (on SIGINT/SIGTERM) or an abort writes this file; the activation checks
# it between its steps up to the switch and stops there, removing the new release. Once `current`
# has been switched, a cancel no longer stops anything: the checks finish or switch back.
cancel_file() { printf '%s/cancel-%s' "$STATE" "$DEPLOY_ID"; }
stop_if_cancelled() {
  local f why
  f=$(cancel_file)
  [[ -f $f ]] || return 0
  why=$(head -c 200 "$f")
  rm -f "$f"
  fail_release "cancelled before the switch (${why:-cancelled})"
}

step_switch() {
  local prev
  prev=$(prepared_prev)
  hook_env "$RELEASES/$DEPLOY_ID" "$prev"
  stop_if_cancelled
  switch_and_check "$DEPLOY_ID" "$prev" check_before_switch || fail_release "$LAST_FAILURE"
  write_state "$STATE/releases/$DEPLOY_ID/checked" "$(now_iso)"
}

# Just before the switch: the lock must still be this deploy's and the release complete, or nothing is
# switched. The release is listed first (outside the mutex: it reads the whole tree); on success the
# lock mutex stays held (fd 9) until the caller has switched, so nobody can take the lock over in
# between.
check_before_switch() {
  local id=$1 rel md problem=''
  rel=$RELEASES/$id
  md=$STATE/releases/$id
  if [[ ! -d $rel || ! -f $md/meta || ! -f $md/manifest ]]; then
    problem='its directory or its state is gone'
  else
    problem=$(comm -23 <(awk -F '\t' 'NR > 1 && $1 != "" { print $5 }' <(stored_text "$md/manifest") | sort) \
      <(cd "$rel" && find . -mindepth 1 -printf '%P\n' | sort) | head -n 3)
    [[ -z $problem ]] || problem="missing: ${problem//$'\n'/, }"
  fi
  lock_mutex
  if ! read_lock || [[ $LOCK_TOKEN != "$TOKEN" ]]; then
    local why
    why=$(lost_lock_reason)
    lock_mutex_release
    die "lost the lock before the switch: $why; nothing was switched"
  fi
  if [[ -n $problem ]]; then
    lock_mutex_release
    die "release $id is incomplete ($problem); nothing was switched"
  fi
  if ! write_lock "$LOCK_ACQUIRED"; then
    lock_mutex_release
    die "$LOCK_WRITE_ERROR; nothing was switched"
  fi
}

step_finish() {
  local rel prev
  rel=$RELEASES/$DEPLOY_ID
  prev=$(prepared_prev)
  hook_env "$rel" "$prev"
  [[ $(live_id) == "$DEPLOY_ID" && -f $STATE/releases/$DEPLOY_ID/checked ]] || die "release $DEPLOY_ID is not live and checked"
  write_state "$STATE/releases/$DEPLOY_ID/ok" "$(now_iso)"
  rm -f "$(cancel_file)"
  append_log deploy ok
  LOGGED=1

  phase after-switch
  local after_failed=''
  ((${#AFTER_SWITCH[@]})) && guard_begin "$rel"
  run_hooks after-switch "$rel" "${AFTER_SWITCH[@]}" || after_failed=$LAST_FAILURE
  if ! guard_check "$rel"; then after_failed="${GUARD_FAILURE/before the switch/after the switch}${after_failed:+; $after_failed}"; fi

  phase prune
  prune_releases "$prev"
  stop_renewer
  release_lock
  if [[ -n $after_failed ]]; then
    CURRENT_PHASE=after-switch
    append_log after-switch failed "$after_failed"
    die "$after_failed (release $DEPLOY_ID is live and healthy; roll back with 'php-deploy rollback' if needed)"
  fi
}

# Every activation step checks the lock first; from then on the exit path (99-main.sh) undoes a failure.
activation_start() {
  assert_lock
  remember_live
  EXIT_RELEASE=$DEPLOY_ID
  LOG_EVENT=deploy
  start_renewer
}

cmd_activate() {
  activation_start
  step_prepare
  step_switch
  step_finish
}

# prepare and switch leave the lock held for the deploy's next step.
cmd_prepare() {
  activation_start
  EXIT_LOCK_KEEP=1
  step_prepare
}

cmd_switch() {
  activation_start
  EXIT_LOCK_KEEP=1
  step_switch
}

cmd_finish() {
  activation_start
  step_finish
}

# A release that failed before or at its switch. The exit path switches back if it is live and
# unchecked, removes it (keeps it marked failed if it was live for a moment), logs and unlocks.
fail_release() {
  rm -f "$(cancel_file)"
  die "$1"
}
