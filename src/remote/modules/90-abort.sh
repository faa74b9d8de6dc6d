# Abort and cancel: undo a deploy that stopped half-way; ask a running activation to stop.
# shellcheck shell=bash

# Asks a running activation to stop before its switch (the client got SIGINT/SIGTERM).
cmd_cancel() {
  [[ -d $STATE ]] || return 0
  # After the switch a cancel changes nothing (the server finishes its checks): leave no file behind.
  if [[ $(live_id) == "$DEPLOY_ID" ]]; then
    say "the activation of $DEPLOY_ID is past its switch: it finishes its checks"
    return 0
  fi
  if activation_running; then
    printf '%s\n' "${HOLDER:-cancelled}" >"$(cancel_file)"
    say "asked the activation of $DEPLOY_ID to stop before the switch"
  fi
}

# Undo for a deploy that stopped half-way (error, cancellation, or the post step after a crash).
cmd_abort() {
  [[ -d $STATE ]] || return 0
  if activation_running; then
    # Ask the activation to stop before its switch, and wait for it: after the switch it finishes
    # its checks (or switches back) by itself.
    say "the server is still activating deploy $DEPLOY_ID: asking it to stop before the switch"
    printf '%s\n' "${HOLDER:-aborted}" >"$(cancel_file)"
    exec 8>>"$STATE/activation.lock"
    flock -w 600 8 || say "the activation did not end within 600 s"
    flock -u 8
    exec 8>&-
    rm -f "$(cancel_file)"
  fi
  lock_mutex
  if read_lock && [[ $LOCK_TOKEN != "$TOKEN" ]] && ((LOCK_EXPIRES >= $(now_epoch))); then
    lock_mutex_release
    say "not aborting: the lock belongs to another deploy now ($(describe_lock))"
    return 0
  fi
  lock_mutex_release
  phase abort
  local md did=''
  md=$STATE/releases/$DEPLOY_ID
  if [[ $(live_id) == "$DEPLOY_ID" && ! -f $md/ok ]]; then
    local back
    back=$(prepared_prev)
    [[ -n $back ]] || back=$(previous_ok_release "$DEPLOY_ID")
    switch_back "$back" "the deploy was aborted before it completed: ${HOLDER:-aborted}"
    did+="switched back to ${back:-nothing}; "
  fi
  if [[ -e $RELEASES/$DEPLOY_ID.partial ]]; then
    rm -rf "$RELEASES/$DEPLOY_ID.partial"
    did+="removed the partial upload; "
  fi
  drop_seed
  if [[ -d $RELEASES/$DEPLOY_ID && ! -f $md/ok && $(live_id) != "$DEPLOY_ID" ]]; then
    if [[ -f $md/retired ]]; then
      printf 'aborted\n' >"$md/failed"
      did+="marked the release failed; "
    else
      remove_tree "$RELEASES/$DEPLOY_ID"
      rm -rf "$md"
      did+="removed the release; "
    fi
  fi
  if read_lock_quiet && [[ $LOCK_TOKEN == "$TOKEN" ]]; then did+="released the lock; "; fi
  if [[ -n $did ]]; then append_log deploy aborted "${HOLDER:-aborted}: ${did%; }"; fi
  release_lock
  did=${did%; }
  say "abort of $DEPLOY_ID: ${did:-nothing left to undo}; live: $(live_id)"
}
