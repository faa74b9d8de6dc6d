# Main: run commands that change what is live detached from the session, and dispatch by name.
# shellcheck shell=bash

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
  setsid -w bash -c "$BASH_EXECUTION_STRING" php-deploy __worker "$status" "$@" >"$log" 2>&1 </dev/null &
  pid=$!
  tail -n +1 -s 0.05 --pid="$pid" -f "$log" 2>/dev/null || true
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
  case $cmd in
    # Commands that change what is live run detached (see run_detached).
    activate | prepare | switch | finish | rollback | abort)
      parse_args "$@"
      ensure_layout
      run_detached "$(date +%Y%m%dT%H%M%S)-$cmd-${DEPLOY_ID:-${TARGET_ID:-previous}}" "$cmd" "$@"
      ;;
    __worker)
      # A separate bash, so that `set -e` holds inside it; this one only records the exit code.
      local status=$1 rc=0
      shift
      bash -c "$BASH_EXECUTION_STRING" php-deploy __run "$@" || rc=$?
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
