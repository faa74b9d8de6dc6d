#!/usr/bin/env bash
# php-deploy remote side. Runs on the target server as the SSH user, started by the engine as
#   bash -c '<this file>' php-deploy <command> key=value ...
# so nothing is installed on the server and every value arrives as one quoted argument.
#
# Layout under the deploy path:
#   releases/<id>/            complete, verified releases
#   releases/<id>.partial/    an upload in progress (never live; removed on failure or by the next deploy)
#   shared/                   persistent paths linked into every release
#   current -> releases/<id>  switched by renaming a new symlink over the old one
#   .php-deploy/              state: lock, log.jsonl, releases/<id>/{meta,manifest,tree,ok,failed,retired}, runs/
#
# Output protocol: lines starting with "@@php-deploy " are for the engine
#   @@php-deploy phase <name>          a phase starts
#   @@php-deploy result <key> <value>  a fact for the engine (live release, timings, ...)
#   @@php-deploy fail <phase> <text>   why the command failed
# Every other line is log text for the user.
set -euo pipefail
umask 022
export LC_ALL=C

readonly PROTOCOL_VERSION=1
readonly ID_RE='^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$'

DEPLOY_PATH=''
DEPLOY_ID=''
TOKEN=''
HOLDER=''
VERSION=''
GIT_SHA=''
LOG_CONTEXT='{}'
BASE_ID=''
MANIFEST_BYTES=0
NEED_BYTES=0
NEED_PHP_CLI=0
EXPECT_RELEASE=0
NOTE_EVENT=''
WANT_MANIFEST=0
MIGRATION_RE=''
GUARD_MODE=off
BACKUP_COMMAND=''
BACKUP_KEEP=5
TARGET_ID=''
LOCK_TTL=300
LOCK_WAIT=0
KEEP_RELEASES=5
GRACE_SECONDS=60
HEALTH_URL=''
HEALTH_TIMEOUT=20
FPM_SOCKET=''
FPM_SCRIPT=''
FPM_URI='/'
FPM_HOST='localhost'
DOCUMENT_ROOT='public'
RELOAD_COMMAND=''
SHARED=()
BEFORE_SWITCH=()
ONCE=()
AFTER_SWITCH=()
SEEDS=()
CURRENT_PHASE='start'
LAST_FAILURE=''
LAST_BODY=''

# ---------------------------------------------------------------------------------------------
# Output and errors
# ---------------------------------------------------------------------------------------------

# Writes never fail the script: the engine may have gone away while we finish a switch.
say() { printf '%s\n' "$*" 2>/dev/null || true; }
emit() { say "@@php-deploy $*"; }
phase() { CURRENT_PHASE=$1; emit phase "$1"; }
result() { emit result "$1" "$2"; }

FAIL_REASON=''
die() {
  # One protocol line, whatever the message holds (a multi-line reload-command, tar's output).
  FAIL_REASON=$*
  FAIL_REASON=${FAIL_REASON//$'\n'/ }
  emit fail "$CURRENT_PHASE" "$FAIL_REASON"
  exit 1
}

now_epoch() { date +%s; }
now_iso() { date -u +%Y-%m-%dT%H:%M:%SZ; }
now_ms() { local ns; ns=$(date +%s%N); printf '%s' "$((ns / 1000000))"; }

json_str() {
  local s=$1
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  s=${s//$'\n'/\\n}
  s=${s//$'\r'/\\r}
  s=${s//$'\t'/\\t}
  printf '"%s"' "$s"
}

# ---------------------------------------------------------------------------------------------
# Arguments: key=value pairs; repeated keys build lists. Values are re-validated here.
# ---------------------------------------------------------------------------------------------

parse_args() {
  local arg key val
  for arg in "$@"; do
    [[ $arg == *=* ]] || die "bad argument '$arg' (expected key=value)"
    key=${arg%%=*}
    val=${arg#*=}
    case $key in
      path) DEPLOY_PATH=$val ;;
      id) DEPLOY_ID=$val ;;
      token) TOKEN=$val ;;
      holder) HOLDER=$val ;;
      version) VERSION=$val ;;
      sha) GIT_SHA=$val ;;
      context) LOG_CONTEXT=$val ;;
      base) BASE_ID=$val ;;
      manifest_bytes) MANIFEST_BYTES=$val ;;
      need_bytes) NEED_BYTES=$val ;;
      php_cli) NEED_PHP_CLI=$val ;;
      expect_release) EXPECT_RELEASE=$val ;;
      event) NOTE_EVENT=$val ;;
      want_manifest) WANT_MANIFEST=$val ;;
      migration_re) MIGRATION_RE=$val ;;
      guard) GUARD_MODE=$val ;;
      backup) BACKUP_COMMAND=$val ;;
      backup_keep) BACKUP_KEEP=$val ;;
      target) TARGET_ID=$val ;;
      ttl) LOCK_TTL=$val ;;
      wait) LOCK_WAIT=$val ;;
      keep) KEEP_RELEASES=$val ;;
      grace) GRACE_SECONDS=$val ;;
      health_url) HEALTH_URL=$val ;;
      health_timeout) HEALTH_TIMEOUT=$val ;;
      fpm_socket) FPM_SOCKET=$val ;;
      fpm_script) FPM_SCRIPT=$val ;;
      fpm_uri) FPM_URI=$val ;;
      fpm_host) FPM_HOST=$val ;;
      document_root) DOCUMENT_ROOT=$val ;;
      reload) RELOAD_COMMAND=$val ;;
      shared) SHARED+=("$val") ;;
      seed) SEEDS+=("$val") ;;
      before) BEFORE_SWITCH+=("$val") ;;
      once) ONCE+=("$val") ;;
      after) AFTER_SWITCH+=("$val") ;;
      *) die "unknown argument '$key'" ;;
    esac
  done

  [[ $DEPLOY_PATH == /* ]] || die "deploy-path must be absolute (got '$DEPLOY_PATH')"
  [[ $DEPLOY_PATH != / ]] || die "deploy-path must not be /"
  [[ $DEPLOY_PATH != *'/../'* && $DEPLOY_PATH != *'/..' ]] || die "deploy-path must not contain .."
  DEPLOY_PATH=${DEPLOY_PATH%/}
  local n
  for n in LOCK_TTL LOCK_WAIT KEEP_RELEASES GRACE_SECONDS HEALTH_TIMEOUT MANIFEST_BYTES NEED_BYTES BACKUP_KEEP; do
    [[ ${!n} =~ ^[0-9]+$ ]] || die "$n must be a whole number"
  done
  check_id "$DEPLOY_ID"
  check_id "$BASE_ID"
  check_id "$TARGET_ID"
  local p
  for p in "${SHARED[@]}" "$DOCUMENT_ROOT"; do check_rel_path "$p"; done

  RELEASES=$DEPLOY_PATH/releases
  SHARED_DIR=$DEPLOY_PATH/shared
  CURRENT=$DEPLOY_PATH/current
  STATE=$DEPLOY_PATH/.php-deploy
}

check_id() {
  [[ -z $1 ]] && return 0
  [[ $1 =~ $ID_RE && $1 != *..* && $1 != *.partial ]] || die "bad deploy id '$1'"
}

check_rel_path() {
  [[ -n $1 && $1 != /* && $1 != *'..'* && $1 != *$'\n'* ]] || die "bad relative path '$1'"
}

# ---------------------------------------------------------------------------------------------
# Layout and state
# ---------------------------------------------------------------------------------------------

ensure_layout() {
  if [[ -e $CURRENT || -L $CURRENT ]] && [[ ! -L $CURRENT ]]; then
    die "$CURRENT is a plain directory, not a symlink: php-deploy will not overwrite it. Move it into releases/ yourself (e.g. mkdir -p $RELEASES && mv $CURRENT $RELEASES/initial && ln -s releases/initial $CURRENT) or deploy to a new deploy-path"
  fi
  mkdir -p "$RELEASES" "$SHARED_DIR" "$STATE/releases" "$STATE/runs" \
    || die "cannot create the layout under $DEPLOY_PATH (is it writable by $(id -un)?)"
}

# The release id `current` points to, or nothing.
live_id() {
  local target
  target=$(readlink "$CURRENT" 2>/dev/null) || return 0
  target=${target%/}
  printf '%s' "${target##*/}"
}

release_dir() { printf '%s/%s' "$RELEASES" "$1"; }
meta_dir() { printf '%s/releases/%s' "$STATE" "$1"; }
is_ok_release() { [[ -n $1 && -d $(release_dir "$1") && -f $(meta_dir "$1")/ok && ! -f $(meta_dir "$1")/failed ]]; }

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

append_log() {
  # append_log <event> <result> [reason] — one JSON line per event, appended atomically.
  local event=$1 res=$2 reason=${3:-} line ctx
  ctx=$LOG_CONTEXT
  [[ $ctx == '{'*'}' ]] || ctx='{}'
  ctx=${ctx#\{}
  ctx=${ctx%\}}
  line="{\"time\":$(json_str "$(now_iso)"),\"event\":$(json_str "$event"),\"id\":$(json_str "$DEPLOY_ID"),\"result\":$(json_str "$res")"
  [[ -n $reason ]] && line+=",\"reason\":$(json_str "$reason")"
  [[ -n $CURRENT_PHASE ]] && line+=",\"phase\":$(json_str "$CURRENT_PHASE")"
  line+=",\"live\":$(json_str "$(live_id)")"
  [[ -n $ctx ]] && line+=",$ctx"
  line+="}"
  printf '%s\n' "$line" >>"$STATE/log.jsonl" 2>/dev/null || say "warning: could not append to $STATE/log.jsonl"
}

# ---------------------------------------------------------------------------------------------
# Lease lock: one file, inspected and changed only under flock on lock.mutex.
# ---------------------------------------------------------------------------------------------

LOCK_FILE=''
lock_mutex() {
  LOCK_FILE=$STATE/lock
  exec 9>>"$STATE/lock.mutex"
  flock -w 30 9 || die "could not get the lock mutex $STATE/lock.mutex within 30 s"
}
lock_mutex_release() { flock -u 9; exec 9>&-; }

LOCK_TOKEN='' LOCK_HOLDER='' LOCK_ID='' LOCK_ACQUIRED=0 LOCK_EXPIRES=0
read_lock() {
  LOCK_TOKEN='' LOCK_HOLDER='' LOCK_ID='' LOCK_ACQUIRED=0 LOCK_EXPIRES=0
  [[ -f $LOCK_FILE ]] || return 1
  local k v
  while IFS='=' read -r k v; do
    case $k in
      token) LOCK_TOKEN=$v ;;
      holder) LOCK_HOLDER=$v ;;
      id) LOCK_ID=$v ;;
      acquired) [[ $v =~ ^[0-9]+$ ]] && LOCK_ACQUIRED=$v ;;
      expires) [[ $v =~ ^[0-9]+$ ]] && LOCK_EXPIRES=$v ;;
    esac
  done <"$LOCK_FILE"
  return 0
}

write_lock() {
  local acquired=$1 tmp="$STATE/.lock.$$"
  printf 'token=%s\nholder=%s\nid=%s\nacquired=%s\nexpires=%s\n' \
    "$TOKEN" "${HOLDER//$'\n'/ }" "$DEPLOY_ID" "$acquired" "$(($(now_epoch) + LOCK_TTL))" >"$tmp"
  mv -f "$tmp" "$LOCK_FILE"
}

describe_lock() {
  local age=$(($(now_epoch) - LOCK_ACQUIRED)) left=$((LOCK_EXPIRES - $(now_epoch)))
  printf 'held by %s (deploy %s) for %ss, lease expires in %ss' "${LOCK_HOLDER:-unknown}" "${LOCK_ID:-?}" "$age" "$left"
}

take_lock() {
  [[ -n $TOKEN ]] || die "no lock token"
  local deadline=$(($(now_epoch) + LOCK_WAIT)) waiting=0
  while :; do
    lock_mutex
    if ! read_lock; then
      write_lock "$(now_epoch)"
      lock_mutex_release
      return 0
    fi
    if [[ $LOCK_TOKEN == "$TOKEN" ]]; then
      write_lock "$LOCK_ACQUIRED"
      lock_mutex_release
      return 0
    fi
    if ((LOCK_EXPIRES < $(now_epoch))); then
      say "taking over an expired lock: $(describe_lock)"
      append_log lock takeover "expired lock $(describe_lock)"
      write_lock "$(now_epoch)"
      lock_mutex_release
      return 0
    fi
    lock_mutex_release
    if (($(now_epoch) >= deadline)); then
      read_lock || true
      die "deploy-path $DEPLOY_PATH is locked: $(describe_lock). Wait for it (lock-timeout), or if that deploy is dead run 'php-deploy unlock'"
    fi
    ((waiting++)) || say "waiting up to ${LOCK_WAIT}s for the lock, $(describe_lock)"
    sleep 1
  done
}

# Succeeds when we hold the lock (refreshing the lease) or nobody does.
assert_lock() {
  lock_mutex
  if read_lock && [[ $LOCK_TOKEN != "$TOKEN" ]]; then
    lock_mutex_release
    die "the lock is not ours any more: $(describe_lock)"
  fi
  write_lock "${LOCK_ACQUIRED:-$(now_epoch)}"
  lock_mutex_release
}

release_lock() {
  [[ -n ${STATE:-} && -d $STATE ]] || return 0
  lock_mutex
  if read_lock && [[ $LOCK_TOKEN == "$TOKEN" ]]; then rm -f "$LOCK_FILE"; fi
  lock_mutex_release
}

RENEWER_PID=''
start_renewer() {
  local every=$((LOCK_TTL / 3))
  ((every >= 1)) || every=1
  (
    trap - EXIT
    exec 8>&-
    while sleep "$every"; do
      lock_mutex
      if read_lock && [[ $LOCK_TOKEN == "$TOKEN" ]]; then write_lock "$LOCK_ACQUIRED"; else exit 0; fi
      lock_mutex_release
    done
  ) >/dev/null 2>&1 &
  RENEWER_PID=$!
}
stop_renewer() {
  [[ -n $RENEWER_PID ]] || return 0
  # The renewer waits in a `sleep`: stop that too, or it lingers for up to a third of the lease.
  local children
  children=$(pgrep -P "$RENEWER_PID" 2>/dev/null || true)
  kill "$RENEWER_PID" 2>/dev/null || true
  wait "$RENEWER_PID" 2>/dev/null || true
  if [[ -n $children ]]; then
    # shellcheck disable=SC2086 # a list of pids
    kill $children 2>/dev/null || true
  fi
  RENEWER_PID=''
}

# ---------------------------------------------------------------------------------------------
# Manifest: "# php-deploy manifest v1", then TAB-separated: type mode size sha256 path [linktarget]
# ---------------------------------------------------------------------------------------------

# Normalised listing of what the manifest describes: d<TAB>mode<TAB>path, f<TAB>mode<TAB>size<TAB>path,
# l<TAB>path<TAB>target — the same shape tree_listing produces from disk.
manifest_listing() {
  awk -F '\t' 'NR > 1 && $1 != "" {
    mode = $2; sub(/^0+/, "", mode)
    if ($1 == "d") print "d\t" mode "\t" $5
    else if ($1 == "f") print "f\t" mode "\t" $3 "\t" $5
    else if ($1 == "l") print "l\t" $5 "\t" $6
  }' "$1" | sort
}

tree_listing() {
  (cd "$1" && find . -mindepth 1 -printf '%y\t%m\t%s\t%P\t%l\n') | awk -F '\t' '{
    if ($1 == "d") print "d\t" $2 "\t" $4
    else if ($1 == "f") print "f\t" $2 "\t" $3 "\t" $4
    else if ($1 == "l") print "l\t" $4 "\t" $5
    else print "?\t" $4
  }' | sort
}

# Stat snapshot of the manifest paths (type, mode, size, mtime): proves cheaply later that a release
# still is what was verified, so it can serve as the base of a delta.
tree_snapshot() {
  local dir=$1 manifest=$2
  (cd "$dir" && find . -mindepth 1 -printf '%y\t%m\t%s\t%T@\t%P\n') |
    awk -F '\t' 'NR == FNR { if (FNR > 1) want[$5] = 1; next } ($5 in want)' "$manifest" - | sort
}

verify_tree() {
  local dir=$1 manifest=$2 diffs
  head -n 1 "$manifest" | grep -qx '# php-deploy manifest v1' || die "the upload has no valid manifest"
  diffs=$(diff <(manifest_listing "$manifest") <(tree_listing "$dir") | grep '^[<>]' | head -n 5 || true)
  if [[ -n $diffs ]]; then
    die "release tree does not match its manifest (< expected, > found): ${diffs//$'\n'/; }"
  fi
  # Content: every file that arrived in the upload is hashed. A file that is a hard link to the same
  # path of the base release (optional third argument) is the very file verified when the base was
  # made, so it is not read again.
  local bad linked=''
  if [[ -n ${3:-} ]]; then
    linked=$(join -t $'\t' <(cd "$dir" && find . -type f -printf '%P\t%i\n' | sort) \
      <(cd "$3" && find . -type f -printf '%P\t%i\n' | sort) | awk -F '\t' '$2 == $3 { print $1 }')
  fi
  local sums
  sums=$(awk -F '\t' 'NR == FNR { linked[$0] = 1; next } FNR > 1 && $1 == "f" && !($5 in linked) { print $4 "  " $5 }' \
    <(printf '%s\n' "$linked") "$manifest")
  # Nothing to read when every file is a hard link (the same tree deployed again).
  [[ -n $sums ]] || return 0
  bad=$(cd "$dir" && sha256sum --check --quiet --strict <<<"$sums" 2>&1 | head -n 5) || true
  [[ -z $bad ]] || die "checksum mismatch after upload: ${bad//$'\n'/; }"
}

# ---------------------------------------------------------------------------------------------
# Health checks
# ---------------------------------------------------------------------------------------------

# A FastCGI client for the pre-switch check: one request straight to the php-fpm pool, with
# SCRIPT_FILENAME and DOCUMENT_ROOT inside the new release. Prints "<status>\n<body excerpt>".
read -r -d '' FCGI_CLIENT <<'PHP' || true
[$sock, $script, $docroot, $uri, $host, $timeout, $limit] = array_pad(array_slice($argv, 1), 7, '300');
$addr = $sock[0] === '/' ? "unix://$sock" : "tcp://$sock";
$fp = @stream_socket_client($addr, $errno, $errstr, (float) $timeout);
if (!$fp) { fwrite(STDERR, "cannot connect to php-fpm at $sock: $errstr\n"); exit(2); }
stream_set_timeout($fp, (int) ceil((float) $timeout));
$path = parse_url($uri, PHP_URL_PATH) ?: '/';
$query = (string) parse_url($uri, PHP_URL_QUERY);
$params = [
  'GATEWAY_INTERFACE' => 'CGI/1.1', 'SERVER_SOFTWARE' => 'php-deploy', 'REQUEST_METHOD' => 'GET',
  'SCRIPT_FILENAME' => $script, 'SCRIPT_NAME' => substr($script, strlen($docroot)) ?: '/',
  'DOCUMENT_ROOT' => $docroot, 'REQUEST_URI' => $path . ($query === '' ? '' : "?$query"),
  'DOCUMENT_URI' => $path, 'QUERY_STRING' => $query, 'SERVER_NAME' => $host, 'HTTP_HOST' => $host,
  'SERVER_PORT' => '80', 'SERVER_ADDR' => '127.0.0.1', 'SERVER_PROTOCOL' => 'HTTP/1.1',
  'REMOTE_ADDR' => '127.0.0.1', 'REMOTE_PORT' => '0', 'CONTENT_LENGTH' => '0',
  'HTTP_USER_AGENT' => 'php-deploy', 'PHP_DEPLOY_CHECK' => 'pre-switch',
];
$rec = function (int $type, string $body): string {
  $pad = (8 - strlen($body) % 8) % 8;
  return pack('CCnnCC', 1, $type, 1, strlen($body), $pad, 0) . $body . str_repeat("\0", $pad);
};
$len = fn (int $n): string => $n < 128 ? chr($n) : pack('N', $n | 0x80000000);
$body = '';
foreach ($params as $k => $v) { $body .= $len(strlen($k)) . $len(strlen($v)) . $k . $v; }
$req = $rec(1, pack('nCx5', 1, 0));
foreach (str_split($body, 65528) as $chunk) { $req .= $rec(4, $chunk); }
fwrite($fp, $req . $rec(4, '') . $rec(5, ''));
$read = function (int $n) use ($fp) {
  $buf = '';
  while (strlen($buf) < $n) {
    $part = fread($fp, $n - strlen($buf));
    if ($part === false || $part === '') {
      if (stream_get_meta_data($fp)['timed_out']) { fwrite(STDERR, "php-fpm did not answer in time\n"); exit(3); }
      return null;
    }
    $buf .= $part;
  }
  return $buf;
};
$out = ''; $err = '';
while (($h = $read(8)) !== null) {
  $r = unpack('Cv/Ct/nid/nlen/Cpad/Cres', $h);
  $c = $r['len'] ? (string) $read($r['len']) : '';
  if ($r['pad']) { $read($r['pad']); }
  if ($r['t'] === 6) { $out .= $c; } elseif ($r['t'] === 7) { $err .= $c; } elseif ($r['t'] === 3) { break; }
}
[$head, $content] = array_pad(explode("\r\n\r\n", $out, 2), 2, '');
$status = 200;
foreach (explode("\r\n", $head) as $line) {
  if (stripos($line, 'Status:') === 0) { $status = (int) trim(substr($line, 7)); }
}
if ($out === '') { $status = 502; $content = $err !== '' ? $err : 'empty response from php-fpm'; }
echo $status, "\n", substr(preg_replace('/\s+/', ' ', $content . ($err !== '' ? " [stderr: $err]" : '')), 0, (int) $limit), "\n";
PHP

# Probe of the PHP platform (version and extensions), for the php-fpm pool and for the CLI.
readonly PLATFORM_PROBE_CODE='echo json_encode(["php" => PHP_VERSION, "sapi" => PHP_SAPI, "extensions" => array_map("strtolower", get_loaded_extensions())]);'
readonly PLATFORM_PROBE="<?php $PLATFORM_PROBE_CODE"

# A plain HTTP GET for the post-switch check through the web server. Prints "<status>\n<body excerpt>".
http_get() {
  local url=$1 tmp status
  if command -v curl >/dev/null 2>&1; then
    tmp=$(mktemp)
    status=$(curl -s -o "$tmp" -w '%{http_code}' --max-time 5 -H 'User-Agent: php-deploy' "$url" 2>/dev/null) || true
    printf '%s\n%s\n' "${status:0:3}" "$(head -c 300 "$tmp" | tr -s '\n\t' '  ')"
    rm -f "$tmp"
  else
    # shellcheck disable=SC2016 # PHP code, not shell
    php -r '$c = stream_context_create(["http" => ["ignore_errors" => true, "timeout" => 5, "header" => "User-Agent: php-deploy"]]);
      $b = @file_get_contents($argv[1], false, $c); $s = isset($http_response_header[0]) ? (int) explode(" ", $http_response_header[0])[1] : 0;
      echo $s, "\n", substr(preg_replace("/\s+/", " ", (string) $b), 0, 300), "\n";' "$url"
  fi
}

# retry_check <label> <command...>: runs the command until it prints status 200 or the window closes.
retry_check() {
  local label=$1 out status body deadline=$(($(now_epoch) + HEALTH_TIMEOUT)) tries=0
  shift
  while :; do
    tries=$((tries + 1))
    out=$("$@" 2>&1) || true
    status=${out%%$'\n'*}
    body=${out#*$'\n'}
    body=${body%"${body##*[![:space:]]}"}
    if [[ $status == 200 ]]; then
      say "$label: 200 OK (try $tries)"
      LAST_BODY=$body
      return 0
    fi
    if (($(now_epoch) >= deadline)); then
      LAST_FAILURE="$label answered ${status:-nothing} after $tries tries in ${HEALTH_TIMEOUT}s: ${body:0:200}"
      return 1
    fi
    sleep 0.5
  done
}

check_release_through_fpm() {
  local rel=$1 docroot script
  docroot=$rel/$DOCUMENT_ROOT
  script=$docroot/${FPM_SCRIPT:-index.php}
  [[ -f $script ]] || { LAST_FAILURE="$script does not exist (document-root '$DOCUMENT_ROOT')"; return 1; }
  command -v php >/dev/null 2>&1 || { LAST_FAILURE="php (the CLI) is not installed on the server; it runs the FastCGI check"; return 1; }
  retry_check "pre-switch check via php-fpm $FPM_SOCKET ($FPM_URI)" \
    php -d display_errors=stderr -r "$FCGI_CLIENT" -- "$FPM_SOCKET" "$script" "$docroot" "$FPM_URI" "$FPM_HOST" 5
}

# check_live_through_web [release [strict]]: the live site through the web server must answer 200 and
# (strict) name the release; default: the release being deployed and health-expect-release.
check_live_through_web() {
  local want=${1:-$DEPLOY_ID} strict=${2:-$EXPECT_RELEASE}
  retry_check "post-switch check $HEALTH_URL" http_get "$HEALTH_URL" || return 1
  result live_body "$LAST_BODY"
  # "One release late": an answer names another release than the one just switched to. Only some
  # php-fpm workers may hold the old paths, so a few more answers are sampled.
  local bodies=("$LAST_BODY") i out d id stale=''
  for ((i = 0; i < 6; i++)); do
    out=$(http_get "$HEALTH_URL" 2>/dev/null) || true
    [[ ${out%%$'\n'*} == 200 ]] && bodies+=("${out#*$'\n'}")
  done
  for out in "${bodies[@]}"; do
    [[ $out == *"$want"* ]] && continue
    for d in "$RELEASES"/*/; do
      id=${d%/}
      id=${id##*/}
      if [[ -n $id && $id != *.partial && $out == *"$id"* ]]; then stale=$id; fi
    done
    [[ -n $stale ]] && break
    LAST_BODY=$out
  done
  [[ -z $stale && $LAST_BODY == *"$want"* ]] && return 0
  if [[ -n $stale ]]; then
    LAST_FAILURE="the web server still serves release $stale after the switch to $want (one release late): nginx must pass \$realpath_root as SCRIPT_FILENAME and DOCUMENT_ROOT instead of \$document_root, or reload-command must reload php-fpm (realpath cache, OPcache)"
    if [[ $strict == 1 ]]; then return 1; fi
    result warning "$LAST_FAILURE"
  elif [[ $strict == 1 ]]; then
    LAST_FAILURE="the post-switch response does not name release $want (health-expect-release): ${LAST_BODY:0:120}"
    return 1
  fi
}

# ---------------------------------------------------------------------------------------------
# Switching
# ---------------------------------------------------------------------------------------------

# Points `current` at a release by renaming a new symlink over it: atomic, never rm + ln.
# An empty id removes `current` (only when a first deploy fails after its switch).
switch_to() {
  local id=$1 tmp="$DEPLOY_PATH/.current.$$.$RANDOM" old
  old=$(live_id)
  if [[ -z $id ]]; then
    rm -f "$CURRENT"
  else
    ln -s "releases/$id" "$tmp"
    mv -T "$tmp" "$CURRENT"
  fi
  if [[ -n $old && $old != "$id" && -d $(meta_dir "$old") ]]; then
    now_epoch >"$(meta_dir "$old")/retired"
  fi
}

run_reload() {
  [[ -n $RELOAD_COMMAND ]] || return 0
  say "reload: $RELOAD_COMMAND"
  (cd "$DEPLOY_PATH" && bash -c "$RELOAD_COMMAND") 2>&1 8>&-
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
  switch_to "$prev"
  SWITCHED_BACK=1
  SWITCHED_BACK_TO=$prev
  run_reload || say "warning: reload after switching back failed"
  result rolled_back true
  if [[ -n $HEALTH_URL && -n $prev ]]; then
    check_live_through_web "$prev" 0 || say "warning: the previous release does not answer 200 either: $LAST_FAILURE"
  fi
}

# ---------------------------------------------------------------------------------------------
# Hooks
# ---------------------------------------------------------------------------------------------

hook_env() {
  local rel=$1 prev=$2
  export PHP_DEPLOY_ID=$DEPLOY_ID PHP_DEPLOY_PATH=$DEPLOY_PATH PHP_DEPLOY_RELEASE_PATH=$rel
  export PHP_DEPLOY_SHARED=$SHARED_DIR PHP_DEPLOY_VERSION=$VERSION PHP_DEPLOY_SHA=$GIT_SHA
  export PHP_DEPLOY_PREVIOUS_ID=$prev PHP_DEPLOY_PREVIOUS_PATH=${prev:+$(release_dir "$prev")}
}

run_hooks() {
  local name=$1 rel=$2 n=0 cmd
  shift 2
  for cmd in "$@"; do
    n=$((n + 1))
    say "${name}[$n]: $cmd"
    if ! (cd "$rel" && bash -c "$cmd") 2>&1 </dev/null 8>&-; then
      LAST_FAILURE="$name command $n failed: $cmd"
      return 1
    fi
  done
}

# ---------------------------------------------------------------------------------------------
# Shared paths: kept under shared/, linked into every release with relative symlinks.
# ---------------------------------------------------------------------------------------------

link_shared() {
  local rel=$1 p up i depth link
  for p in "${SHARED[@]}"; do
    p=${p%/}
    link=$rel/$p
    if [[ ! -e $SHARED_DIR/$p && ! -L $SHARED_DIR/$p ]]; then
      mkdir -p "$(dirname "$SHARED_DIR/$p")"
      if [[ -e $STATE/seed/$DEPLOY_ID/$p ]]; then
        mv -T "$STATE/seed/$DEPLOY_ID/$p" "$SHARED_DIR/$p"
        say "shared: seeded shared/$p from the release"
      elif [[ ${p##*/} == *.* ]]; then
        : >"$SHARED_DIR/$p"
        say "shared: created empty file shared/$p"
      else
        mkdir -p "$SHARED_DIR/$p"
        say "shared: created directory shared/$p"
      fi
    fi
    rm -rf "$link"
    mkdir -p "$(dirname "$link")"
    depth=$(awk -F/ '{ print NF }' <<<"$p")
    up=''
    for ((i = 0; i <= depth; i++)); do up+='../'; done
    ln -s "${up}shared/$p" "$link"
  done
  drop_seed
}

# Removes this deploy's seed of new shared paths (and the seed directory once it is empty).
drop_seed() {
  rm -rf "${STATE:?}/seed/$DEPLOY_ID"
  rmdir "$STATE/seed" 2>/dev/null || true
}

# ---------------------------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------------------------

# Removes leftovers of dead deploys: partial uploads, releases marked failed, trash.
recover_leftovers() {
  local d id live
  live=$(live_id)
  rm -f "$STATE"/cancel-*
  for d in "$RELEASES"/*.partial "$RELEASES"/.trash-*; do
    [[ -e $d ]] || continue
    say "removing leftover ${d#"$DEPLOY_PATH"/}"
    rm -rf "$d"
  done
  for d in "$RELEASES"/*/; do
    [[ -d $d ]] || continue
    id=${d%/}
    id=${id##*/}
    [[ $id == "$live" ]] && continue
    if [[ ! -f $(meta_dir "$id")/ok ]] || [[ -f $(meta_dir "$id")/failed ]]; then
      say "removing release $id (it never went live)"
      remove_tree "$(release_dir "$id")"
      rm -rf "$(meta_dir "$id")"
    fi
  done
  rm -rf "${STATE:?}/seed"
}

cmd_begin() {
  phase lock
  ensure_layout
  take_lock
  result locked "$TOKEN"
  phase inspect
  recover_leftovers
  if [[ -n $(live_id) && ! -d $(meta_dir "$(live_id)") && -d $(release_dir "$(live_id)") ]]; then
    # A release put there by hand or another tool: adopt it as completed so it stays a rollback target.
    mkdir -p "$(meta_dir "$(live_id)")"
    printf '{"id":%s,"version":"adopted"}\n' "$(json_str "$(live_id)")" >"$(meta_dir "$(live_id)")/meta"
    now_iso >"$(meta_dir "$(live_id)")/ok"
    say "adopted the live release $(live_id)"
  fi
  report_live_and_base
}

# Reports the live release, the previous one, shared paths still missing, and — when the live
# release is still exactly what was verified — its manifest, the base of a delta.
report_live_and_base() {
  local live prev p md
  live=$(live_id)
  if [[ -n $live && ! -d $(release_dir "$live") ]]; then
    say "warning: current points to missing release $live"
    live=''
  fi
  prev=$(previous_ok_release "$live")
  result live "$live"
  result previous "$prev"
  result protocol "$PROTOCOL_VERSION"
  for p in "${SHARED[@]}"; do
    [[ -e $SHARED_DIR/${p%/} || -L $SHARED_DIR/${p%/} ]] || result missing_shared "${p%/}"
  done
  md=$(meta_dir "$live")
  if [[ -n $live && -f $md/manifest && -f $md/tree ]]; then
    if cmp -s "$md/tree" <(tree_snapshot "$(release_dir "$live")" "$md/manifest"); then
      result base "$live"
      say "@@php-deploy manifest-begin"
      cat "$md/manifest"
      say "@@php-deploy manifest-end"
    else
      say "the live release $live was changed on the server since it was verified; sending everything"
    fi
  fi
}

# stdin: the manifest (manifest_bytes long), then a tar.gz of the files to send. With a base release
# the new one starts as hard links to it, minus everything the manifest does not list with the same
# type (so tar never writes through an old symlink), and tar replaces changed files (unlinking first:
# the base's files are never written to).
cmd_upload() {
  phase upload
  assert_lock
  local part final dest
  final=$(release_dir "$DEPLOY_ID")
  part=$final.partial
  dest=$(meta_dir "$DEPLOY_ID")
  [[ ! -e $final ]] || die "release $DEPLOY_ID already exists"
  [[ $MANIFEST_BYTES =~ ^[0-9]+$ && $MANIFEST_BYTES -gt 0 ]] || die "no manifest length"
  trap 'rm -rf "$part" "$dest"; drop_seed; append_log deploy failed "upload did not complete${FAIL_REASON:+: $FAIL_REASON}"; release_lock' EXIT
  trap 'FAIL_REASON="interrupted (the client cancelled or the connection was lost)"; exit 1' HUP INT TERM
  rm -rf "$part" "$dest"
  mkdir -p "$dest"
  head -c "$MANIFEST_BYTES" >"$dest/manifest"
  [[ $(wc -c <"$dest/manifest") -eq $MANIFEST_BYTES ]] || die "the upload was cut off (in the manifest)"
  head -n 1 "$dest/manifest" | grep -qx '# php-deploy manifest v1' || die "the upload has no valid manifest"
  if [[ -n $BASE_ID ]]; then
    [[ -d $(release_dir "$BASE_ID") ]] || die "base release $BASE_ID is gone"
    cp -al "$(release_dir "$BASE_ID")" "$part"
    comm -23 <(cd "$part" && find . -mindepth 1 -printf '%y\t%P\n' | sort) \
      <(awk -F '\t' 'NR > 1 { print $1 "\t" $5 }' "$dest/manifest" | sort) |
      cut -f 2- | sort -r | (cd "$part" && xargs -r -d '\n' rm -rf --)
    awk -F '\t' 'NR > 1 && $1 == "d" { print $5 }' "$dest/manifest" | (cd "$part" && xargs -r -d '\n' mkdir -p --)
  else
    mkdir "$part"
  fi
  # tar's messages are kept in memory: a file next to the release cannot be written on a full disk.
  local err
  if ! err=$(tar -xzf - -U --no-same-owner -p -C "$part" 2>&1); then
    die "the upload was cut off or corrupted (tar: ${err:0:300})"
  fi
  rm -f "$part/.php-deploy-manifest"
  if [[ -d $part/.php-deploy-seed ]]; then
    mkdir -p "$STATE/seed"
    rm -rf "${STATE:?}/seed/$DEPLOY_ID"
    mv -T "$part/.php-deploy-seed" "$STATE/seed/$DEPLOY_ID"
  fi
  phase verify
  verify_tree "$part" "$dest/manifest" "${BASE_ID:+$(release_dir "$BASE_ID")}"
  tree_snapshot "$part" "$dest/manifest" >"$dest/tree"
  printf '{"id":%s,"version":%s,"sha":%s,"created":%s,"base":%s}\n' "$(json_str "$DEPLOY_ID")" \
    "$(json_str "$VERSION")" "$(json_str "$GIT_SHA")" "$(json_str "$(now_iso)")" "$(json_str "$BASE_ID")" >"$dest/meta"
  mv -T "$part" "$final"
  trap - EXIT HUP INT TERM
  result release_path "$final"
  say "release $DEPLOY_ID verified: $(awk -F '\t' 'NR > 1 && $1 == "f"' "$dest/manifest" | wc -l) files"
}

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
  link_shared "$rel"
  stop_if_cancelled

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
}

# The backup before migrating: the user's command writes into $PHP_DEPLOY_BACKUP_DIR (shared/backups);
# the newest backup_keep files there are kept.
run_backup() {
  local rel=$1 dir=$SHARED_DIR/backups
  mkdir -p "$dir"
  export PHP_DEPLOY_BACKUP_DIR=$dir
  run_hooks backup "$rel" "$BACKUP_COMMAND" || return 1
  find "$dir" -maxdepth 1 -type f -printf '%T@ %p\n' | sort -rn | tail -n +"$((BACKUP_KEEP + 1))" |
    cut -d ' ' -f 2- | xargs -r -d '\n' rm -f --
  say "backup: $(find "$dir" -maxdepth 1 -type f | wc -l) backups kept in $dir"
}

# Migration files listed in a release's manifest (paths matching migration_re), sorted.
release_migrations() {
  local manifest=$1
  [[ -n $MIGRATION_RE && -f $manifest ]] || return 0
  awk -F '\t' -v re="$MIGRATION_RE" 'NR > 1 && $1 == "f" && $5 ~ re { print $5 }' "$manifest" | sort
}

# Rolling back to a release older than migrations that ran since: say which, and whether that is safe.
warn_schema_on_rollback() {
  local target=$1 live=$2 newer count
  [[ -n $MIGRATION_RE && -n $live ]] || return 0
  newer=$(comm -13 <(release_migrations "$(meta_dir "$target")/manifest") <(release_migrations "$(meta_dir "$live")/manifest"))
  [[ -n $newer ]] || return 0
  count=$(wc -l <<<"$newer")
  local names=${newer//$'\n'/, }
  if [[ $GUARD_MODE == forbid ]]; then
    result warning "release $target predates $count migration(s) applied since: ${names:0:400}. The migration guard let only additive (expand) migrations through, so $target works against the current schema; the schema itself is not rolled back."
  else
    result warning "release $target predates $count migration(s) applied since: ${names:0:400}. The schema is not rolled back: check that $target works against it (the migration guard was $GUARD_MODE)."
  fi
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
  local prev t0
  prev=$(prepared_prev)
  hook_env "$(release_dir "$DEPLOY_ID")" "$prev"
  stop_if_cancelled
  phase switch
  t0=$(now_ms)
  switch_to "$DEPLOY_ID"
  result switch_at_ms "$t0"
  result switch_ms "$(($(now_ms) - t0))"
  say "current -> releases/$DEPLOY_ID (was ${prev:-nothing})"

  phase reload
  if ! run_reload; then
    switch_back "$prev" "reload-command failed"
    fail_release "reload-command failed: $RELOAD_COMMAND"
  fi

  phase post-switch-check
  if [[ -n $HEALTH_URL ]]; then
    if ! check_live_through_web; then
      local why=$LAST_FAILURE
      switch_back "$prev" "$why"
      fail_release "$why"
    fi
  else
    say "no health-url: the live site is not checked after the switch"
  fi
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
  result deployed "$DEPLOY_ID"

  phase after-switch
  local after_failed=''
  run_hooks after-switch "$rel" "${AFTER_SWITCH[@]}" || after_failed=$LAST_FAILURE

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
  result prepared "$DEPLOY_ID"
}

cmd_switch() {
  assert_lock
  start_renewer
  step_switch
  stop_renewer
  result switched "$DEPLOY_ID"
}

cmd_finish() {
  assert_lock
  start_renewer
  step_finish
}

# A release that failed before or at its switch: make sure it is not live, remove it, log, unlock.
fail_release() {
  local reason=$1 failed_phase=$CURRENT_PHASE
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

# Prints the completed releases a prune would remove: beyond keep-releases (counting `extra` releases
# about to be added), never the live one, the previous one, the rollback target, or one switched away
# from less than the grace period ago.
prune_plan() {
  local prev=$1 extra=$2 live id n retired
  live=$(live_id)
  n=$extra
  while IFS= read -r id; do
    [[ -n $id ]] || continue
    n=$((n + 1))
    ((n > KEEP_RELEASES)) || continue
    [[ $id == "$live" || $id == "$prev" || $id == "$TARGET_ID" ]] && continue
    retired=$(cat "$(meta_dir "$id")/retired" 2>/dev/null || echo 0)
    if (($(now_epoch) - retired < GRACE_SECONDS)); then
      printf 'keep %s switched away from less than %ss ago\n' "$id" "$GRACE_SECONDS"
      continue
    fi
    printf 'remove %s\n' "$id"
  done < <(ok_releases | sort -r)
}

prune_releases() {
  local prev=$1 action id why removed=0
  while read -r action id why; do
    if [[ $action == keep ]]; then
      say "prune: keeping $id for now ($why)"
      continue
    fi
    remove_tree "$(release_dir "$id")"
    rm -rf "$(meta_dir "$id")"
    removed=$((removed + 1))
    say "prune: removed $id"
  done < <(prune_plan "$prev" 0)
  say "prune: removed $removed, keeping up to $KEEP_RELEASES completed releases"
  result pruned "$removed"
}

cmd_rollback() {
  phase lock
  ensure_layout
  take_lock
  start_renewer
  phase rollback
  local live target t0
  live=$(live_id)
  target=$TARGET_ID
  if [[ -z $target ]]; then
    target=$(previous_ok_release "$live")
    [[ -n $target ]] || { release_lock; die "there is no completed release before ${live:-the live one} to roll back to"; }
  fi
  if [[ ! -d $(release_dir "$target") ]]; then
    release_lock
    result missing "$target"
    die "release $target does not exist on this server (see 'php-deploy list')"
  fi
  if ! is_ok_release "$target"; then
    release_lock
    die "release $target never completed a deploy; refusing to make it live"
  fi
  [[ $target != "$live" ]] || { release_lock; die "release $target is already live"; }
  DEPLOY_ID=$target
  result previous "$live"
  result target "$target"
  warn_schema_on_rollback "$target" "$live"
  phase switch
  t0=$(now_ms)
  switch_to "$target"
  result switch_ms "$(($(now_ms) - t0))"
  say "current -> releases/$target (was ${live:-nothing})"
  phase reload
  if ! run_reload; then
    switch_back "$live" "reload-command failed"
    append_log rollback failed "reload-command failed$(switched_back_note)"
    release_lock
    die "reload-command failed: $RELOAD_COMMAND$(switched_back_note)"
  fi
  phase post-switch-check
  if [[ -n $HEALTH_URL ]] && ! check_live_through_web; then
    local why=$LAST_FAILURE
    switch_back "$live" "$why"
    why+=$(switched_back_note)
    append_log rollback failed "$why"
    release_lock
    die "$why"
  fi
  append_log rollback ok
  result deployed "$target"
  stop_renewer
  release_lock
}

# A worker that activates a release (activate, prepare, switch, finish) holds this flock for as long as
# it runs. The server finishes and checks what it started even when the client is gone, so an abort
# (e.g. the action's post step after the main step was killed) leaves a running activation alone.
# Hooks, reloads and the renewer run with fd 8 closed, so nothing they leave behind keeps it held.
hold_activation() {
  exec 8>>"$STATE/activation.lock"
  flock -w 60 8 || die "another activation on $DEPLOY_PATH did not finish within 60 s"
}
activation_running() {
  exec 8>>"$STATE/activation.lock"
  if flock -n 8; then
    flock -u 8
    exec 8>&-
    return 1
  fi
  exec 8>&-
  return 0
}

# Appends an event to the deploy log (e.g. where the release's archive is kept).
cmd_note() {
  [[ -d $STATE && $NOTE_EVENT =~ ^[a-z-]+$ ]] || return 0
  CURRENT_PHASE=''
  append_log "$NOTE_EVENT" ok
}

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
  md=$(meta_dir "$DEPLOY_ID")
  if [[ $(live_id) == "$DEPLOY_ID" && ! -f $md/ok ]]; then
    local back
    back=$(prepared_prev)
    [[ -n $back ]] || back=$(previous_ok_release "$DEPLOY_ID")
    switch_back "$back" "the deploy was aborted before it completed: ${HOLDER:-aborted}"
    did+="switched back to ${back:-nothing}; "
  fi
  if [[ -e $(release_dir "$DEPLOY_ID").partial ]]; then
    rm -rf "$(release_dir "$DEPLOY_ID").partial"
    did+="removed the partial upload; "
  fi
  drop_seed
  if [[ -d $(release_dir "$DEPLOY_ID") && ! -f $md/ok && $(live_id) != "$DEPLOY_ID" ]]; then
    if [[ -f $md/retired ]]; then
      printf 'aborted\n' >"$md/failed"
      did+="marked the release failed; "
    else
      remove_tree "$(release_dir "$DEPLOY_ID")"
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

cmd_list() {
  local live id md status
  live=$(live_id)
  result live "$live"
  for d in "$RELEASES"/*/; do
    [[ -d $d ]] || continue
    id=${d%/}
    id=${id##*/}
    md=$(meta_dir "$id")
    status=incomplete
    [[ -f $md/ok ]] && status=ok
    [[ -f $md/failed ]] && status=failed
    [[ $id == *.partial ]] && status=partial
    [[ $id == "$live" ]] && status=live
    printf '@@php-deploy release %s %s ' "$id" "$status"
    if [[ -f $md/meta ]]; then head -n 1 "$md/meta"; else printf '{}\n'; fi
  done
  if read_lock_quiet; then emit lock "$(describe_lock)"; fi
}

read_lock_quiet() {
  LOCK_FILE=$STATE/lock
  [[ -f $LOCK_FILE ]] && read_lock && ((LOCK_EXPIRES >= $(now_epoch)))
}

cmd_unlock() {
  [[ -d $STATE ]] || { say "no lock: $DEPLOY_PATH has no php-deploy state"; return 0; }
  lock_mutex
  if read_lock; then
    local who
    who=$(describe_lock)
    rm -f "$LOCK_FILE"
    lock_mutex_release
    result unlocked "$who"
    append_log unlock ok "removed lock $who"
    say "removed the lock $who"
  else
    lock_mutex_release
    say "no lock on $DEPLOY_PATH"
  fi
}

# ---------------------------------------------------------------------------------------------
# Read-only commands: preflight (can this server take a deploy?) and inspect (what would a deploy do?).
# Neither takes the lock nor leaves anything behind.
# ---------------------------------------------------------------------------------------------

check() { emit check "$1" "$2" "$3"; }

cmd_preflight() {
  phase preflight
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

  # Where the release will be written, and whether we may.
  local dir=$DEPLOY_PATH
  while [[ ! -e $dir && $dir != / ]]; do dir=$(dirname "$dir"); done
  if [[ -e $CURRENT && ! -L $CURRENT ]]; then
    check layout error "$CURRENT is a plain directory, not a symlink: php-deploy will not overwrite it. Move it into releases/ (mkdir -p $RELEASES && mv $CURRENT $RELEASES/initial && ln -s releases/initial $CURRENT) or deploy to a new deploy-path"
  fi
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

  # The PHP that will run the release: the php-fpm pool itself, probed with a request.
  if [[ -n $FPM_SOCKET ]]; then
    if [[ $FPM_SOCKET == /* && ! -S $FPM_SOCKET ]]; then
      check fpm error "php-fpm socket $FPM_SOCKET does not exist; check fpm-socket (listen = in the pool config)"
    elif ! command -v php >/dev/null 2>&1; then
      check fpm error "php (the CLI) is not installed on the server; it runs the FastCGI checks (install php-cli)"
    elif [[ ! -d $DEPLOY_PATH || ! -w $DEPLOY_PATH ]]; then
      check fpm info "the php-fpm platform is probed once $DEPLOY_PATH exists"
    else
      # The probe script must be a file the pool can read: it lives in the deploy path for the
      # duration of one request, and the directory's mtime is put back so nothing shows a change.
      local probe out status stamp
      stamp=$(mktemp)
      touch -r "$DEPLOY_PATH" "$stamp"
      probe="$DEPLOY_PATH/.php-deploy-probe-$$-$RANDOM.php"
      (umask 022 && printf '%s' "$PLATFORM_PROBE" >"$probe")
      out=$(php -d display_errors=stderr -r "$FCGI_CLIENT" -- "$FPM_SOCKET" "$probe" "$DEPLOY_PATH" /php-deploy-probe localhost 5 20000 2>&1) || true
      rm -f "$probe"
      touch -m -r "$stamp" "$DEPLOY_PATH"
      rm -f "$stamp"
      status=${out%%$'\n'*}
      if [[ $status == 200 ]]; then
        result fpm_platform "${out#*$'\n'}"
        check fpm ok "php-fpm at $FPM_SOCKET answers"
      else
        check fpm error "php-fpm at $FPM_SOCKET did not run a probe script (${out//$'\n'/ }); check fpm-socket and that the pool can read $DEPLOY_PATH"
      fi
    fi
  fi
  if [[ $NEED_PHP_CLI == 1 ]]; then
    if command -v php >/dev/null 2>&1; then
      result cli_platform "$(php -r "$PLATFORM_PROBE_CODE" 2>/dev/null | tr -d '\n')"
    else
      check php-cli error "before-switch runs php but php (the CLI) is not installed on the server; install php-cli"
    fi
  fi
  if [[ $WANT_MANIFEST == 1 ]]; then
    # The live release's file list: the engine finds the migrations this release adds.
    local live
    live=$(live_id)
    result live "$live"
    if [[ -n $live && -f $(meta_dir "$live")/manifest ]]; then
      say "@@php-deploy manifest-begin"
      cat "$(meta_dir "$live")/manifest"
      say "@@php-deploy manifest-end"
    fi
  fi
  if [[ -n $RELOAD_COMMAND ]]; then
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
  fi
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

# Runs a command detached from the SSH session (setsid, output to a file) and follows its output;
# the worker finishes even if the connection drops.
run_detached() {
  local name=$1 log status pid rc
  shift
  mkdir -p "$STATE/runs"
  log="$STATE/runs/$name.log"
  status="$STATE/runs/$name.status"
  rm -f "$status"
  : >"$log"
  setsid -w bash -c "$BASH_EXECUTION_STRING" php-deploy __worker "$status" "$@" >"$log" 2>&1 </dev/null &
  pid=$!
  tail -n +1 -s 0.05 --pid="$pid" -f "$log" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rc=$(cat "$status" 2>/dev/null || echo 1)
  find "$STATE/runs" -type f -mtime +7 -delete 2>/dev/null || true
  return "$rc"
}

main() {
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
      printf '%s\n' "$rc" >"$status"
      return "$rc"
      ;;
    __run)
      local sub=$1
      shift
      parse_args "$@"
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
    begin | upload | list | unlock | renew | release-lock | preflight | inspect | cancel | note)
      parse_args "$@"
      case $cmd in
        begin) cmd_begin ;;
        upload) cmd_upload ;;
        list) cmd_list ;;
        unlock) cmd_unlock ;;
        renew) assert_lock ;;
        release-lock) release_lock ;;
        preflight) cmd_preflight ;;
        inspect) cmd_inspect ;;
        cancel) cmd_cancel ;;
        note) cmd_note ;;
      esac
      ;;
    *) die "unknown command '$cmd'" ;;
  esac
}

main "$@"
