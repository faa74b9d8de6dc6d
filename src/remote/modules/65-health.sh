# Health checks: the FastCGI check of a new release, the HTTP check of the live site.
# shellcheck shell=bash

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

# sample_web <dir> <tag>: six GETs of the health URL at once, in the background, each answer to a file
# of <dir>; their pids in SAMPLE_PIDS (wait for exactly these: a renewer may run next to us).
SAMPLE_PIDS=()
sample_web() {
  local dir=$1 tag=$2 i
  SAMPLE_PIDS=()
  for ((i = 0; i < 6; i++)); do
    http_get "$HEALTH_URL" >"$dir/$tag$i" 2>/dev/null &
    SAMPLE_PIDS+=($!)
  done
}

# retry_check <label> <command...>: runs the command until it prints status 200 or the window closes
# (RETRY_TRIES: how many tries it took).
RETRY_TRIES=0
retry_check() {
  local label=$1 out status body deadline=$(($(now_epoch) + HEALTH_TIMEOUT)) tries=0
  shift
  while :; do
    tries=$((tries + 1))
    out=$("$@" 2>&1) || true
    status=${out%%$'\n'*}
    body=${out#*$'\n'}
    body=${body%"${body##*[![:space:]]}"}
    RETRY_TRIES=$tries
    if [[ $status == 200 ]]; then
      say "$label: 200 OK (try $tries)"
      LAST_BODY=$body
      return 0
    fi
    if (($(now_epoch) >= deadline)); then
      LAST_FAILURE="$label answered ${status:-nothing} after $tries tries in ${HEALTH_TIMEOUT}s: ${body:0:200}"
      return 1
    fi
    sleep 0.25
  done
}

check_release_through_fpm() {
  local rel=$1 docroot script
  docroot=$rel/$DOCUMENT_ROOT
  script=$docroot/index.php
  [[ -f $script ]] || { LAST_FAILURE="$script does not exist (document-root '$DOCUMENT_ROOT')"; return 1; }
  command -v php >/dev/null 2>&1 || { LAST_FAILURE="php (the CLI) is not installed on the server; it runs the FastCGI check"; return 1; }
  retry_check "pre-switch check via php-fpm $FPM_SOCKET ($FPM_URI)" \
    php -d display_errors=stderr -r "$FCGI_CLIENT" -- "$FPM_SOCKET" "$script" "$docroot" "$FPM_URI" "$FPM_HOST" 5
}

# check_live_through_web [release [strict]]: the live site through the web server must answer 200 and
# (strict) name the release; default: the release being deployed and health-expect-release.
check_live_through_web() {
  local want=${1:-$DEPLOY_ID} strict=${2:-$EXPECT_RELEASE}
  # "One release late": an answer names another release than the one just switched to. Only some
  # php-fpm workers may hold the old paths, so a few more answers are sampled — at the same time as
  # the check itself (one request's time, not six; concurrent requests also reach more workers).
  local sdir out d id stale='' tries
  sdir=$(mktemp -d "${TMPDIR:-/tmp}/php-deploy-samples.XXXXXX")
  sample_web "$sdir" a
  if ! retry_check "post-switch check $HEALTH_URL" http_get "$HEALTH_URL"; then
    wait "${SAMPLE_PIDS[@]}" 2>/dev/null || true
    rm -rf "$sdir"
    return 1
  fi
  tries=$RETRY_TRIES
  wait "${SAMPLE_PIDS[@]}" 2>/dev/null || true
  # Samples taken while the check still failed say nothing: take them again now that it answers.
  if ((tries > 1)); then
    rm -f "$sdir"/a*
    sample_web "$sdir" b
    wait "${SAMPLE_PIDS[@]}" 2>/dev/null || true
  fi
  local bodies=("$LAST_BODY")
  for out in "$sdir"/*; do
    [[ -f $out ]] || continue
    out=$(cat "$out")
    [[ ${out%%$'\n'*} == 200 ]] && bodies+=("${out#*$'\n'}")
  done
  rm -rf "$sdir"
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
