# Main: run commands that change what is live detached from the session, and dispatch by name.
# shellcheck shell=bash

# How this program starts itself again (a detached worker): from the -c string it runs from, whether
# the engine sent it inline or the bootstrap read it from the cache (src/remote/delivery.ts).
SELF=(bash -c "$BASH_EXECUTION_STRING" php-deploy)

# Sent inline: keep a copy of this program in the content-addressed cache for the next commands
# (~/.cache/php-deploy/<sha256>.sh, written aside, checked and renamed into place; copies not
# written for 30 days are removed). Best effort: never fails the command.
cache_program() {
  [[ -n ${HOME:-} ]] || return 0
  local dir=$HOME/.cache/php-deploy sum tmp
  sum=$(printf '%s' "$BASH_EXECUTION_STRING" | sha256sum 2>/dev/null) || return 0
  sum=${sum%% *}
  [[ -f $dir/$sum.sh && $(sha256sum <"$dir/$sum.sh" 2>/dev/null) == "$sum  -" ]] && return 0
  mkdir -p "$dir" 2>/dev/null || return 0
  tmp=$(mktemp "$dir/.$sum.XXXXXX" 2>/dev/null) || return 0
  if printf '%s' "$BASH_EXECUTION_STRING" >"$tmp" 2>/dev/null && [[ $(sha256sum <"$tmp") == "$sum  -" ]] &&
    chmod 0644 "$tmp" && mv -f "$tmp" "$dir/$sum.sh"; then
    find "$dir" -maxdepth 1 -name '*.sh' -mtime +30 -delete 2>/dev/null || true
  else
    rm -f "$tmp"
  fi
  return 0
}

# Runs a command detached from the SSH session (setsid, output to a file) and follows its output;
# the worker finishes even if the connection drops.
run_detached() {
  local name=$1 log status pid rc
  shift
  mkdir -p "$STATE/runs"
  log="$STATE/runs/$name.log"
  status="$STATE/runs/$name.status"
  rm -f "$status"
  (umask 077 && : >"$log" && : >"$status.tmp") && rm -f "$status.tmp"
  setsid -w "${SELF[@]}" __worker "$status" "$@" >"$log" 2>&1 </dev/null &
  pid=$!
  # -s: how soon the end of the worker is noticed (its output arrives through inotify).
  tail -n +1 -s 0.01 --pid="$pid" -f "$log" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  # An empty status: the disk was full when the worker ended.
  rc=$(cat "$status" 2>/dev/null) || true
  [[ $rc =~ ^[0-9]+$ ]] || rc=1
  find "$STATE/runs" -type f -mtime +7 -delete 2>/dev/null || true
  return "$rc"
}

main() {
  set_nonce "$@"
  local cmd=${1:-}
  [[ $# -gt 0 ]] && shift
  # Started by the bootstrap from the cache (PHP_DEPLOY_CACHED): nothing to keep, and nothing that
  # hooks should inherit.
  local cached=${PHP_DEPLOY_CACHED:-}
  unset PHP_DEPLOY_CACHED
  [[ $cmd == __* || -n $cached ]] || cache_program
  case $cmd in
    # A rollback runs in the session (no detached worker to start and follow: it is one switch and
    # its checks), deaf to what the session's end sends: a client that goes away mid-way never
    # leaves it unfinished, since nothing it runs writes to the session (see rollback_in_session).
    rollback)
      parse_args "$@"
      rollback_in_session
      ;;
    # Commands that change what is live run detached (see run_detached).
    activate | prepare | switch | finish | abort)
      parse_args "$@"
      ensure_layout
      run_detached "$(date +%Y%m%dT%H%M%S)-$cmd-${DEPLOY_ID:-${TARGET_ID:-previous}}" "$cmd" "$@"
      ;;
    __worker)
      # A separate bash, so that `set -e` holds inside it; this one only records the exit code.
      local status=$1 rc=0
      shift
      "${SELF[@]}" __run "$@" || rc=$?
      (umask 077 && printf '%s\n' "$rc" >"$status")
      return "$rc"
      ;;
    __run)
      local sub=$1
      shift
      parse_args "$@"
      exit_path
      case $sub in
        activate | prepare | switch | finish) hold_activation ;;
      esac
      case $sub in
        activate) cmd_activate ;;
        prepare) cmd_prepare ;;
        switch) cmd_switch ;;
        finish) cmd_finish ;;
        rollback) cmd_rollback ;;
        abort) cmd_abort ;;
        *) die "unknown detached command '$sub'" ;;
      esac
      ;;
    __renewer)
      parse_args "$@"
      cmd_renewer
      ;;
    begin | upload | hold | list | unlock | renew | release-lock | preflight | inspect | cancel | note | records)
      parse_args "$@"
      case $cmd in
        begin | upload) exit_path ;;
      esac
      case $cmd in
        begin) cmd_begin ;;
        upload) cmd_upload ;;
        hold) cmd_hold ;;
        list) cmd_list ;;
        unlock) cmd_unlock ;;
        renew) assert_lock ;;
        release-lock) release_lock ;;
        preflight) cmd_preflight ;;
        inspect) cmd_inspect ;;
        cancel) cmd_cancel ;;
        note) cmd_note ;;
        records) cmd_records ;;
      esac
      ;;
    *) die "unknown command '$cmd'" ;;
  esac
}

main "$@"
