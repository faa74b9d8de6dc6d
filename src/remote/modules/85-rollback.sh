# Rollback: make an earlier completed release live again, warning about newer migrations.
# shellcheck shell=bash

# Migration files listed in a release's manifest (paths matching migration_re), sorted, from the list
# its upload kept (.php-deploy/releases/<id>/migrations: the regex, then the paths) when it was made
# with the same regex; else from the manifest (10k lines to read, in the middle of a rollback).
# Read into the array MIGRATIONS, by bash alone when the list is kept (no process in the middle of a
# rollback).
MIGRATIONS=()
release_migrations() {
  local meta=$1 first=''
  MIGRATIONS=()
  [[ -n $MIGRATION_RE ]] || return 0
  if [[ -f $meta/migrations ]] && IFS= read -r first <"$meta/migrations" && [[ $first == "$MIGRATION_RE" ]]; then
    mapfile -t -s 1 MIGRATIONS <"$meta/migrations"
    return 0
  fi
  [[ -f $meta/manifest ]] || return 0
  mapfile -t MIGRATIONS < <(migrations_in "$meta/manifest")
}

# Rolling back to a release older than migrations that ran since: say which, and whether that is safe.
warn_schema_on_rollback() {
  local target=$1 live=$2 m count=0 names=''
  [[ -n $MIGRATION_RE && -n $live ]] || return 0
  local -A had=()
  release_migrations "$STATE/releases/$target"
  for m in "${MIGRATIONS[@]}"; do [[ -n $m ]] && had[$m]=1; done
  release_migrations "$STATE/releases/$live"
  # The live release's migrations that the target does not have, in the live list's (sorted) order.
  for m in "${MIGRATIONS[@]}"; do
    [[ -n $m && -z ${had[$m]:-} ]] || continue
    count=$((count + 1))
    names+=${names:+, }$m
  done
  ((count > 0)) || return 0
  if [[ $GUARD_MODE == forbid ]]; then
    result warning "release $target predates $count migration(s) applied since: ${names:0:400}. The migration guard refused destructive migrations (but lets through what it cannot vouch for), so $target should work against the current schema; the schema itself is not rolled back."
  else
    result warning "release $target predates $count migration(s) applied since: ${names:0:400}. The schema is not rolled back: check that $target works against it (the migration guard was $GUARD_MODE)."
  fi
}

# A rollback in the SSH session (main runs it there, not detached). What a session's end brings (HUP,
# PIPE when the client is gone) and a cancel (INT, TERM) is ignored, and nothing it runs writes to the
# session but say (which never fails): the switch and its checks always finish. It leaves through the
# exit path (95-exit.sh) like every command that changes state.
rollback_in_session() {
  exit_path
  trap '' HUP PIPE INT TERM
  cmd_rollback
}

cmd_rollback() {
  phase lock
  ensure_layout
  take_lock
  remember_live
  # The lease outlives the worst case (both checks time out, a slow reload) unless it is short: only
  # then is a renewer needed next to the rollback.
  ((HEALTH_TIMEOUT * 2 + 10 < LOCK_TTL)) || start_renewer
  phase rollback
  local live target
  live=$(live_id)
  target=$TARGET_ID
  if [[ -z $target ]]; then
    target=$(previous_ok_release "$live")
    [[ -n $target ]] || { release_lock; die "there is no completed release before ${live:-the live one} to roll back to"; }
  fi
  if [[ ! -d $RELEASES/$target ]]; then
    release_lock
    result missing "$target"
    die "release $target does not exist on this server (see 'php-deploy list')"
  fi
  if ! is_ok_release "$target"; then
    release_lock
    die "release $target never completed a deploy; refusing to make it live"
  fi
  [[ $target != "$live" ]] || { release_lock; die "release $target is already live"; }
  LOG_ID=$target
  result previous "$live"
  result target "$target"
  warn_schema_on_rollback "$target" "$live"
  # From the switch on, a failure is logged (by the exit path, if it comes unexpectedly).
  LOG_EVENT=rollback
  if ! switch_and_check "$target" "$live"; then
    local why=$LAST_FAILURE
    why+=$(switched_back_note)
    append_log rollback failed "$why"
    LOGGED=1
    release_lock
    die "$why"
  fi
  append_log rollback ok
  LOGGED=1
  stop_renewer
  release_lock
}
