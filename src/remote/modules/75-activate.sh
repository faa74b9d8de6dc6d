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
  rel=$(release_dir "$DEPLOY_ID")
  [[ -d $rel && -f $(meta_dir "$DEPLOY_ID")/meta ]] || die "release $DEPLOY_ID was not uploaded"
  prev=$(live_id)
  [[ -n $prev && ! -d $(release_dir "$prev") ]] && prev=''
  printf '%s\n' "$prev" >"$(meta_dir "$DEPLOY_ID")/prev"
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

prepared_prev() { cat "$(meta_dir "$DEPLOY_ID")/prev" 2>/dev/null || true; }

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
  hook_env "$(release_dir "$DEPLOY_ID")" "$prev"
  stop_if_cancelled
  switch_and_check "$DEPLOY_ID" "$prev" || fail_release "$LAST_FAILURE"
  now_iso >"$(meta_dir "$DEPLOY_ID")/checked"
}

step_finish() {
  local rel prev
  rel=$(release_dir "$DEPLOY_ID")
  prev=$(prepared_prev)
  hook_env "$rel" "$prev"
  [[ $(live_id) == "$DEPLOY_ID" && -f $(meta_dir "$DEPLOY_ID")/checked ]] || die "release $DEPLOY_ID is not live and checked"
  now_iso >"$(meta_dir "$DEPLOY_ID")/ok"
  rm -f "$(cancel_file)"
  append_log deploy ok

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

cmd_activate() {
  assert_lock
  start_renewer
  step_prepare
  step_switch
  step_finish
}

cmd_prepare() {
  assert_lock
  start_renewer
  step_prepare
  stop_renewer
}

cmd_switch() {
  assert_lock
  start_renewer
  step_switch
  stop_renewer
}

cmd_finish() {
  assert_lock
  start_renewer
  step_finish
}

# A release that failed before or at its switch: make sure it is not live, remove it, log, unlock.
fail_release() {
  local reason=$1 failed_phase=$CURRENT_PHASE
  # A hook that failed may have changed a shared file first: put it back, and say so first.
  if [[ -n $GUARD_FILE ]] && ! guard_check "$(release_dir "$DEPLOY_ID")"; then reason="$GUARD_FAILURE; $reason"; fi
  stop_renewer
  rm -f "$(cancel_file)"
  if [[ $(live_id) == "$DEPLOY_ID" ]]; then switch_back "$(previous_ok_release "$DEPLOY_ID")" "$reason"; fi
  reason+=$(switched_back_note)
  local md
  md=$(meta_dir "$DEPLOY_ID")
  if [[ -d $md ]]; then printf '%s\n' "$reason" >"$md/failed"; fi
  # A release that was live for a moment may still serve requests: keep it (marked failed, not a
  # release) until the next deploy removes it. One that never went live goes now.
  if [[ ! -f $md/retired ]]; then
    remove_tree "$(release_dir "$DEPLOY_ID")"
    rm -rf "$md"
  fi
  CURRENT_PHASE=$failed_phase
  append_log deploy failed "$reason"
  release_lock
  die "$reason"
}
