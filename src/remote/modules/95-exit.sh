# Exit path: the one way out of every command that changes state — undo what is unfinished, say what was done.
# shellcheck shell=bash

# What the command holds and changes, kept up to date as it goes, for on_exit.
EXIT_RELEASE=''       # the release this command uploads or activates (undone if the command fails)
EXIT_LOCK_KEEP=0      # on success the lock stays held for the deploy's next step (begin, upload, prepare, switch)
SWITCHED_TO=''        # a switch this command made ...
SWITCHED_FROM=''      # ... from this release ...
SWITCH_CHECKED=1      # ... and whether its checks passed
LOGGED=0              # the command wrote its own log line for its outcome
LOG_EVENT=''          # the log event a failure of this command is recorded as (deploy, rollback)
LOG_FAIL_PREFIX=''
INTERRUPTED=''
ERR_CMD=''
ERR_LINE=''

# Runs on every exit of a state-changing command — success, die, a failing command under set -e, a
# signal — and says what it did in exit_* results (src/remote/protocol.ts, ExitFacts):
#   the renewer stops; a switch this command made that was not checked is switched back; the release
#   this command was making, if unfinished, is removed (kept marked failed if it was live for a moment;
#   left as it is if it is live and checked, for the abort to decide); the log records a failure; the
#   lock is released unless the deploy's next step needs it; a failure's one line comes last.
on_exit() {
  local rc=$?
  trap - EXIT ERR HUP INT TERM
  set +e
  stop_renewer
  stop_linker
  local release=none lock=none reason='' keep=$EXIT_LOCK_KEEP
  if ((rc != 0)); then
    keep=0
    reason=${FAIL_REASON:-"stopped unexpectedly: '${ERR_CMD:-?}' (line ${ERR_LINE:-?}) failed with exit $rc"}
    FAIL_PHASE=${FAIL_PHASE:-$CURRENT_PHASE}
    CURRENT_PHASE=$FAIL_PHASE
    # Something that failed in the release (a hook) may have changed a file of it first: put it back,
    # and say so first.
    if [[ -n $GUARD_FILE && -n $EXIT_RELEASE ]] && ! guard_check "$RELEASES/$EXIT_RELEASE"; then reason="$GUARD_FAILURE; $reason"; fi
    exit_switch_back "$reason"
    local note
    note=$(switched_back_note)
    [[ -z $note || $reason == *"$note" ]] || reason+=$note
    [[ -n $EXIT_RELEASE ]] && release=$(exit_undo_release "$EXIT_RELEASE" "$reason") && [[ $release == ready ]] && keep=1
    release=${release:-none}
    if ((HAVE_LOCK && !LOCK_RELEASED)); then
      lock_mutex
      if ! read_lock || [[ $LOCK_TOKEN != "$TOKEN" ]]; then
        [[ $reason == 'lost the lock'* ]] || reason="lost the lock: $(lost_lock_reason); $reason"
      fi
      lock_mutex_release
    fi
    if ((!LOGGED)) && [[ -n $LOG_EVENT ]]; then append_log "$LOG_EVENT" failed "$LOG_FAIL_PREFIX$reason"; fi
  elif [[ -n $EXIT_RELEASE ]]; then
    release=ready
    [[ -f $STATE/releases/$EXIT_RELEASE/ok ]] && release=ok
  fi
  lock=$(exit_lock_state "$keep")
  if ((RENEWER_STOPPED)); then result exit_renewer stopped; else result exit_renewer none; fi
  [[ -n $SWITCHED_BACK ]] && result exit_switched_back "$SWITCHED_BACK_TO"
  result exit_release "$release"
  result exit_lock "$lock"
  # Last, so that it reaches the engine even when the disk was full until the undo freed it.
  ((rc == 0)) || emit fail "$FAIL_PHASE" "${reason//$'\n'/ }"
  exit "$rc"
}

# After a failure: a switch this command made, or a live release of this deploy, that was not checked
# goes back to the release live before.
exit_switch_back() {
  local live back
  live=$(live_id)
  [[ -n $live ]] || return 0
  if [[ -n $SWITCHED_TO && $SWITCH_CHECKED != 1 && $live == "$SWITCHED_TO" ]]; then
    back=$SWITCHED_FROM
  elif [[ -n $EXIT_RELEASE && $live == "$EXIT_RELEASE" && ! -f $STATE/releases/$live/checked && ! -f $STATE/releases/$live/ok ]]; then
    back=$(prepared_prev)
    [[ -n $back ]] || back=$(previous_ok_release "$live")
  else
    return 0
  fi
  switch_back "$back" "$1"
}

# After a failure: the release this command was making. Prints what became of it.
exit_undo_release() {
  local id=$1 reason=$2 md
  md=$STATE/releases/$id
  rm -f "$(cancel_file)"
  drop_seed
  if [[ -f $md/ok ]]; then printf ok; return 0; fi
  if [[ $(live_id) == "$id" ]]; then printf ready; return 0; fi
  local removed=''
  [[ -e $RELEASES/$id.partial ]] && rm -rf "$RELEASES/$id.partial" && removed=1
  if [[ -d $RELEASES/$id && -f $md/retired ]]; then
    # Live for a moment: requests may still run in it. Kept, marked failed (an empty mark when the
    # disk is full), until the next deploy removes it.
    : >"$md/failed" 2>/dev/null
    printf '%s\n' "$reason" >"$md/failed" 2>/dev/null
    printf kept-failed
    return 0
  fi
  if [[ -d $RELEASES/$id ]]; then remove_tree "$RELEASES/$id" && removed=1; fi
  [[ -d $md ]] && rm -rf "$md" && removed=1
  if [[ -n $removed ]]; then printf removed; else printf none; fi
}

# Releases the lock this command holds unless keep=1; prints held, released, lost, or none (this
# command never got as far as the lock: whatever holds it, this command leaves it alone).
exit_lock_state() {
  local keep=$1
  ((LOCK_RELEASED)) && { printf released; return 0; }
  if ((!HAVE_LOCK)) || [[ -z ${STATE:-} || ! -d $STATE ]]; then
    printf none
    return 0
  fi
  lock_mutex 2>/dev/null || { printf held; return 0; }
  if read_lock && [[ $LOCK_TOKEN == "$TOKEN" ]]; then
    if ((keep)); then
      lock_mutex_release
      printf held
      return 0
    fi
    rm -f "$LOCK_FILE"
    LOCK_RELEASED=1
  fi
  lock_mutex_release
  if ((LOCK_RELEASED)); then printf released; else printf lost; fi
}

# Installs the exit path (for the commands that change state).
exit_path() {
  EXIT_PATH=1
  trap on_exit EXIT
  trap 'ERR_CMD=$BASH_COMMAND ERR_LINE=$LINENO' ERR
  trap 'FAIL_REASON=${INTERRUPTED:-interrupted by SIGHUP}; exit 129' HUP
  trap 'FAIL_REASON=${INTERRUPTED:-interrupted by SIGINT}; exit 130' INT
  trap 'FAIL_REASON=${INTERRUPTED:-interrupted by SIGTERM}; exit 143' TERM
}
