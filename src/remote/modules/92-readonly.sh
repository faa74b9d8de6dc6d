# Read-only commands: preflight, inspect, list and records; none takes the lock or leaves anything behind.
# shellcheck shell=bash

check() { emit check "$1" "$2" "$3"; }

cmd_preflight() {
  phase preflight
  # The php CLI's probe runs next to the other checks (each probe is a PHP start: one after the other
  # they add up); its answer is read after them, in the same order of checks as ever.
  local cli_probe='' cli_pid=''
  if [[ $NEED_PHP_CLI == 1 ]] && command -v php >/dev/null 2>&1 && cli_probe=$(mktemp 2>/dev/null); then
    php -r "$PLATFORM_PROBE_CODE" >"$cli_probe" 2>/dev/null </dev/null &
    cli_pid=$!
  fi
  preflight_tools
  preflight_space
  if [[ -n $FPM_SOCKET ]]; then preflight_fpm; fi
  if [[ $NEED_PHP_CLI == 1 ]]; then preflight_php_cli "$cli_probe" "$cli_pid"; fi
  if [[ $WANT_MANIFEST == 1 ]]; then report_live_manifest; fi
  preflight_shared
  if [[ -n $RELOAD_COMMAND ]]; then preflight_reload; fi
}

# The tools the other commands use, in their GNU versions, and bash 4.
preflight_tools() {
  local t missing=()
  for t in tar gzip sha256sum mv ln find awk comm xargs flock setsid cp df mktemp; do
    command -v "$t" >/dev/null 2>&1 || missing+=("$t")
  done
  if ((${#missing[@]})); then
    check tools error "the server lacks ${missing[*]}; install GNU coreutils, findutils, tar, gzip and util-linux"
  elif ! mv --version 2>/dev/null | grep -q 'GNU coreutils' || ! tar --version 2>/dev/null | grep -q 'GNU tar' ||
    ! find . -maxdepth 0 -version 2>/dev/null | grep -q 'GNU findutils'; then
    check tools error "mv, tar or find are not the GNU versions (mv -T, tar -U, find -printf are needed); install coreutils, tar and findutils"
  elif ((BASH_VERSINFO[0] < 4)); then
    check tools error "bash ${BASH_VERSION} is too old; bash 4 or newer is needed"
  else
    check tools ok "bash ${BASH_VERSION%%(*}, GNU coreutils, tar, findutils, util-linux"
  fi
}

# Where the release will be written, and whether we may: layout, permissions, free space.
preflight_space() {
  local dir=$DEPLOY_PATH
  while [[ ! -e $dir && $dir != / ]]; do dir=$(dirname "$dir"); done
  local foreign
  foreign=$(foreign_current)
  [[ -z $foreign ]] || check layout error "$foreign"
  if [[ ! -w $dir ]]; then
    check writable error "$dir is not writable by $(id -un); chown the deploy-path to $(id -un) or choose a path it owns"
  else
    check writable ok "$DEPLOY_PATH is writable by $(id -un)"
  fi
  local free_kb need_kb
  free_kb=$(df -Pk "$dir" 2>/dev/null | awk 'NR == 2 { print $4 }')
  need_kb=$((NEED_BYTES * 11 / 10 / 1024 + 10240))
  if [[ -n $free_kb ]] && ((free_kb < need_kb)); then
    check disk error "the filesystem of $DEPLOY_PATH has $((free_kb / 1024)) MB free; the release needs $((need_kb / 1024)) MB (its size + 10 % + 10 MB); free space or lower keep-releases"
  else
    check disk ok "$((${free_kb:-0} / 1024)) MB free, $((need_kb / 1024)) MB needed"
  fi
}

# Shared paths: what each one is in shared/ (the engine compares it with the source), and whether the
# writable paths can be given to writable-by.
preflight_shared() {
  local why p
  why=$(writable_problem)
  if [[ -n $why ]]; then check writable-by error "$why"; fi
  for p in "${SHARED[@]}"; do
    p=${p%/}
    if [[ -d $SHARED_DIR/$p ]]; then result shared_type "d $p"
    elif [[ -f $SHARED_DIR/$p ]]; then result shared_type "f $p"
    elif [[ -e $SHARED_DIR/$p || -L $SHARED_DIR/$p ]]; then result shared_type "o $p"; fi
  done
  return 0
}

# The PHP that will run the release: the php-fpm pool itself, probed with a request.
preflight_fpm() {
  if [[ $FPM_SOCKET == /* && ! -S $FPM_SOCKET ]]; then
    check fpm error "php-fpm socket $FPM_SOCKET does not exist; check fpm-socket (listen = in the pool config)"
  elif ! command -v php >/dev/null 2>&1; then
    check fpm error "php (the CLI) is not installed on the server; it runs the FastCGI checks (install php-cli)"
  elif [[ ! -d $DEPLOY_PATH || ! -w $DEPLOY_PATH ]]; then
    check fpm info "the php-fpm platform is probed once $DEPLOY_PATH exists"
  else
    local out
    out=$(run_in_pool probe "$PLATFORM_PROBE" 20000)
    read_answer "$out"
    if [[ $ANSWER_STATUS == 200 ]]; then
      result fpm_platform "$ANSWER_BODY"
      check fpm ok "php-fpm at $FPM_SOCKET answers"
    else
      check fpm error "php-fpm at $FPM_SOCKET did not run a probe script (${out//$'\n'/ }); check fpm-socket and that the pool can read $DEPLOY_PATH"
    fi
  fi
}

# The PHP CLI that hooks running php will use.
# preflight_php_cli [<file> <pid>]: the CLI probe's answer, from the probe started in the background.
preflight_php_cli() {
  local file=${1:-} pid=${2:-} out=''
  if [[ -n $file && -n $pid ]]; then
    wait "$pid" 2>/dev/null || true
    IFS= read -r -d '' out <"$file" || true
    rm -f "$file"
    result cli_platform "${out//$'\n'/}"
  elif command -v php >/dev/null 2>&1; then
    result cli_platform "$(php -r "$PLATFORM_PROBE_CODE" 2>/dev/null | tr -d '\n')"
  else
    check php-cli error "before-switch runs php but php (the CLI) is not installed on the server; install php-cli"
  fi
}

# The live release's file list: the engine finds the migrations this release adds.
report_live_manifest() {
  local live
  live=$(live_id)
  result live "$live"
  if [[ -n $live && -f $STATE/releases/$live/manifest ]]; then
    emit manifest-gz-begin
    manifest_gz "$STATE/releases/$live/manifest" | base64 -w 76
    emit manifest-end
  fi
}

# The reload command's program exists (sudo, options and VAR=value words skipped).
preflight_reload() {
  local word
  for word in $RELOAD_COMMAND; do
    [[ $word == sudo || $word == -* || $word == *=* ]] && continue
    if ! command -v "$word" >/dev/null 2>&1; then
      check reload error "reload-command: '$word' is not found on the server; use the full path of an existing command"
    else
      check reload ok "reload-command $word exists"
    fi
    break
  done
}

# What a deploy would find: live release, its manifest if it can be a delta base, shared paths that
# do not exist yet, the lock, and the releases a prune would remove.
cmd_inspect() {
  phase inspect
  [[ -d $DEPLOY_PATH ]] || { result live ''; return 0; }
  report_live_and_base
  if read_lock_quiet; then emit lock "$(describe_lock)"; fi
  local action id why
  while read -r action id why; do
    [[ $action == remove ]] && result would_prune "$id"
  done < <(prune_plan "$(live_id)" 1)
  return 0
}


cmd_list() {
  local live id md status
  live=$(live_id)
  result live "$live"
  for d in "$RELEASES"/*/; do
    [[ -d $d ]] || continue
    id=${d%/}
    id=${id##*/}
    md=$STATE/releases/$id
    status=incomplete
    [[ -f $md/ok ]] && status=ok
    [[ -f $md/failed ]] && status=failed
    [[ $id == *.partial ]] && status=partial
    [[ $id == "$live" ]] && status=live
    printf '%srelease %s %s ' "$MARK" "$id" "$status"
    if [[ -f $md/meta ]]; then head -n 1 "$md/meta"; else printf '{}\n'; fi
  done
  if read_lock_quiet; then emit lock "$(describe_lock)"; fi
}

# The deploy log's lines of one event for one release (e.g. where its archive is kept: `note` wrote
# them), each as `result record <line>`. append_log writes time, event, id and result first, in that
# order, and neither the id (checked against ID_RE) nor the event needs JSON escaping, so a fixed
# string finds exactly those lines (a value inside another line has its quotes escaped).
cmd_records() {
  [[ -n $DEPLOY_ID ]] || die "records needs id="
  [[ $NOTE_EVENT =~ ^[a-z-]+$ ]] || die "bad event '$NOTE_EVENT'"
  [[ -f $STATE/log.jsonl ]] || return 0
  local line needle=",\"event\":\"$NOTE_EVENT\",\"id\":\"$DEPLOY_ID\",\"result\":\"ok\""
  while IFS= read -r line; do
    result record "$line"
  done < <(grep -F -- "$needle" "$STATE/log.jsonl" || true)
}
