# Layout and state: the directories under the deploy path, release ids, the deploy log (and note).
# shellcheck shell=bash

# Why `current` cannot be taken over, or nothing: a plain directory, or a symlink anywhere but to
# releases/<id> (a site deployed by other means). php-deploy never removes or replaces such a
# `current`; the message says how to make it a release that is then adopted.
foreign_current() {
  [[ -e $CURRENT || -L $CURRENT ]] || return 0
  local how target make
  if [[ ! -L $CURRENT ]]; then
    how="is a plain directory, not a symlink"
    make="mkdir -p $RELEASES && mv $CURRENT $RELEASES/initial && ln -s releases/initial $CURRENT"
  else
    target=$(readlink "$CURRENT")
    local rel=${target%/}
    rel=${rel#"$RELEASES"/}
    rel=${rel#releases/}
    [[ $rel != "${target%/}" && -n $rel && $rel != */* && $rel != .* ]] && return 0
    how="points to $target, outside releases/"
    target=$(readlink -f "$CURRENT" 2>/dev/null || printf '%s' "$target")
    make="mkdir -p $RELEASES && cp -a $target $RELEASES/initial && ln -sfn releases/initial $CURRENT"
  fi
  printf '%s %s: php-deploy will not replace or remove it. Make it a release first (%s; the next deploy adopts it as a completed release), or deploy to a new deploy-path' \
    "$CURRENT" "$how" "$make"
}

ensure_layout() {
  local foreign
  foreign=$(foreign_current)
  [[ -z $foreign ]] || die "$foreign"
  if [[ ! -d $RELEASES || ! -d $SHARED_DIR || ! -d $STATE/releases || ! -d $STATE/runs || ! -f $STATE/log.jsonl ]]; then
    mkdir -p "$RELEASES" "$SHARED_DIR" || die "cannot create the layout under $DEPLOY_PATH (is it writable by $(id -un)?)"
    # The state (lock, log, hook output) is the deploy user's alone.
    (umask 077 && mkdir -p "$STATE/releases" "$STATE/runs" && : >>"$STATE/log.jsonl") \
      || die "cannot create the layout under $DEPLOY_PATH (is it writable by $(id -un)?)"
  fi
  # Directories 700, the log 600 (X: x for directories only), also when made by hand or an older version.
  chmod u=rwX,go= "$STATE" "$STATE/releases" "$STATE/runs" "$STATE/log.jsonl" 2>/dev/null || true
}

# The release id `current` points to, or nothing. Read by readlink; or from what remember_live read
# (in this shell) if nothing that could change `current` ran since: this program's switches and
# every command of the user (hooks, backup, reload) call forget_live.
LIVE_KNOWN=0
LIVE_REMEMBERED=''
live_id() {
  if ((LIVE_KNOWN)); then
    printf '%s' "$LIVE_REMEMBERED"
    return 0
  fi
  local target
  target=$(readlink "$CURRENT" 2>/dev/null) || return 0
  target=${target%/}
  printf '%s' "${target##*/}"
}
remember_live() {
  LIVE_KNOWN=0
  LIVE_REMEMBERED=$(live_id)
  LIVE_KNOWN=1
}
forget_live() { LIVE_KNOWN=0; }

is_ok_release() { [[ -n $1 && -d $RELEASES/$1 && -f $STATE/releases/$1/ok && ! -f $STATE/releases/$1/failed ]]; }

# Completed releases, oldest first (ids sort by time).
ok_releases() {
  local d id
  for d in "$RELEASES"/*/; do
    [[ -d $d ]] || continue
    id=${d%/}
    id=${id##*/}
    [[ $id == *.partial ]] && continue
    is_ok_release "$id" && printf '%s\n' "$id"
  done | sort
}

# The completed release before the live one (the default rollback target).
previous_ok_release() {
  local live=$1 id prev=''
  while IFS= read -r id; do
    [[ -n $live && ! $id < $live ]] && break
    [[ $id == "$live" ]] && continue
    prev=$id
  done < <(ok_releases)
  printf '%s' "$prev"
}

# Removes a directory without ever leaving a half-deleted one under its name.
remove_tree() {
  local dir=$1 trash
  [[ -e $dir || -L $dir ]] || return 0
  trash="$RELEASES/.trash-${dir##*/}-$$-$RANDOM"
  mv -T "$dir" "$trash"
  rm -rf "$trash"
}

# The release the deploy log names: the deploy's own, or the target of a rollback.
LOG_ID=''
append_log() {
  # append_log <event> <result> [reason] — one JSON line per event, appended atomically.
  # Each value through json_str_to (no subshell per field).
  local event=$1 res=$2 reason=${3:-} line ctx j_time j_event j_id j_res j_reason j_phase j_live
  ctx=$LOG_CONTEXT
  [[ $ctx == '{'*'}' ]] || ctx='{}'
  ctx=${ctx#\{}
  ctx=${ctx%\}}
  json_str_to j_time "$(now_iso)"
  json_str_to j_event "$event"
  json_str_to j_id "${LOG_ID:-$DEPLOY_ID}"
  json_str_to j_res "$res"
  json_str_to j_live "$(live_id)"
  line="{\"time\":$j_time,\"event\":$j_event,\"id\":$j_id,\"result\":$j_res"
  if [[ -n $reason ]]; then json_str_to j_reason "$reason"; line+=",\"reason\":$j_reason"; fi
  if [[ -n $CURRENT_PHASE ]]; then json_str_to j_phase "$CURRENT_PHASE"; line+=",\"phase\":$j_phase"; fi
  line+=",\"live\":$j_live"
  [[ -n $ctx ]] && line+=",$ctx"
  line+="}"
  printf '%s\n' "$line" >>"$STATE/log.jsonl" 2>/dev/null || say "warning: could not append to $STATE/log.jsonl"
}

# Appends an event to the deploy log (e.g. where the release's archive is kept).
cmd_note() {
  [[ -d $STATE && $NOTE_EVENT =~ ^[a-z-]+$ ]] || return 0
  CURRENT_PHASE=''
  append_log "$NOTE_EVENT" ok
}
