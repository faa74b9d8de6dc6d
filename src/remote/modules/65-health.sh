# Health checks: the FastCGI check of a new release, the HTTP check of the live site.
# shellcheck shell=bash

# Both checks print five lines: status, the script that answered (if known), Location, a reason the
# answer is final (empty if waiting may help), a body excerpt. read_answer splits them into ANSWER_*.
ANSWER_STATUS=''
ANSWER_SCRIPT=''
ANSWER_LOCATION=''
ANSWER_FINAL=''
ANSWER_BODY=''
read_answer() {
  local out=$1
  ANSWER_STATUS='' ANSWER_SCRIPT='' ANSWER_LOCATION='' ANSWER_FINAL='' ANSWER_BODY=''
  {
    IFS= read -r ANSWER_STATUS
    IFS= read -r ANSWER_SCRIPT
    IFS= read -r ANSWER_LOCATION
    IFS= read -r ANSWER_FINAL
    IFS= read -r ANSWER_BODY
  } <<<"$out" || true
  ANSWER_BODY=${ANSWER_BODY%"${ANSWER_BODY##*[![:space:]]}"}
  if [[ ! $ANSWER_STATUS =~ ^[0-9]{3}$ || $ANSWER_STATUS == 000 ]]; then
    # No HTTP answer at all (php-fpm or the web server unreachable, a timeout): the output says why.
    ANSWER_STATUS='' ANSWER_SCRIPT='' ANSWER_LOCATION='' ANSWER_FINAL=''
    ANSWER_BODY=${out//$'\n'/ }
  fi
}

# A plain HTTP GET for the post-switch check through the web server (redirects not followed).
http_get() {
  local url=$1 tmp meta status location
  if command -v curl >/dev/null 2>&1; then
    tmp=$(mktemp)
    meta=$(curl -s -o "$tmp" -w '%{http_code} %{redirect_url}' --max-time 5 -H 'User-Agent: php-deploy' "$url" 2>/dev/null) || true
    status=${meta%% *}
    location=${meta#* }
    [[ $meta == *' '* ]] || location=''
    printf '%s\n\n%s\n\n%s\n' "${status:0:3}" "$location" "$(head -c 300 "$tmp" | tr -s '\n\t\r' '   ')"
    rm -f "$tmp"
  else
    # shellcheck disable=SC2016 # PHP code, not shell
    php -r '$c = stream_context_create(["http" => ["ignore_errors" => true, "follow_location" => 0, "timeout" => 5, "header" => "User-Agent: php-deploy"]]);
      $b = @file_get_contents($argv[1], false, $c); $h = $http_response_header ?? []; $s = isset($h[0]) ? (int) explode(" ", $h[0])[1] : 0; $l = "";
      foreach ($h as $line) { if (stripos($line, "Location:") === 0) { $l = trim(substr($line, 9)); } }
      echo $s, "\n\n", $l, "\n\n", substr(preg_replace("/\s+/", " ", (string) $b), 0, 300), "\n";' "$url"
  fi
}

# web_batch <dir> <tag> <n>: n GETs of the health URL at the same time by one curl (--parallel: one
# process, not n), answer i as http_get prints it in <dir>/<tag><i>. Returns 1, having fetched
# nothing, when there is no curl or it is older than 7.66 (no --parallel: it exits 2).
web_batch() {
  local dir=$1 tag=$2 n=$3 i args=() meta rc=0 name status location body
  command -v curl >/dev/null 2>&1 || return 1
  for ((i = 0; i < n; i++)); do args+=(-o "$dir/.body$i" "$HEALTH_URL"); done
  meta=$(curl -s --parallel --parallel-immediate --parallel-max "$n" --max-time 5 -H 'User-Agent: php-deploy' \
    -w '%{filename_effective} %{http_code} %{redirect_url}\n' "${args[@]}" 2>/dev/null) || rc=$?
  ((rc != 2)) || return 1
  while read -r name status location; do
    [[ $name == "$dir/.body"* ]] || continue
    i=${name#"$dir/.body"}
    body=''
    [[ -f $name ]] && { IFS= read -r -d '' -N 300 body <"$name" || true; }
    body=${body//[$'\n\t\r']/ }
    while [[ $body == *'  '* ]]; do body=${body//'  '/ }; done
    printf '%s\n\n%s\n\n%s\n' "${status:0:3}" "$location" "$body" >"$dir/$tag$i"
  done <<<"$meta"
}

# sample_web <dir> <tag>: six GETs of the health URL at once, each answer to a file of <dir>: by one
# curl, else in the background (their pids in SAMPLE_PIDS: wait for exactly these, a renewer may run
# next to us).
SAMPLE_PIDS=()
# Waits for the samples in the background, if any (a bare `wait` would wait for the renewer too).
wait_samples() {
  ((${#SAMPLE_PIDS[@]} == 0)) || wait "${SAMPLE_PIDS[@]}" 2>/dev/null || true
}
sample_web() {
  local dir=$1 tag=$2 i
  SAMPLE_PIDS=()
  web_batch "$dir" "$tag" 6 && return 0
  for ((i = 0; i < 6; i++)); do
    http_get "$HEALTH_URL" >"$dir/$tag$i" 2>/dev/null &
    SAMPLE_PIDS+=($!)
  done
}

# The post-switch check's GET (its output as http_get's). The first try also takes the six samples of
# check_live_through_web in <dir>, by the same curl at the same moment; later tries GET once.
CHECK_SAMPLES_DIR=''
web_check_and_sample() {
  local dir=$CHECK_SAMPLES_DIR
  if [[ -n $dir && ! -e $dir/.tried ]]; then
    : >"$dir/.tried"
    if web_batch "$dir" a 7; then
      local text='000



no answer'
      [[ -f $dir/a0 ]] && { IFS= read -r -d '' text <"$dir/a0" || true; }
      printf '%s\n' "${text%$'\n'}"
      mv -f "$dir/a0" "$dir/.check" 2>/dev/null || true
      return 0
    fi
  fi
  http_get "$HEALTH_URL"
}

# How many tries the last retry_check took.
RETRY_TRIES=0

# retry_check <label> <command...>: runs the check until it answers 200, or until the answer says the
# release is broken. Only what a warming app answers is retried for the whole health-timeout: nothing,
# 502, 503, 504. A redirect fails at once (naming its Location), so does a final answer (a PHP fatal
# error, a script that does not exist); any other status fails once it came back 3 times in a row.
readonly SAME_ANSWER_LIMIT=3
retry_check() {
  local label=$1 out deadline=$(($(now_epoch) + HEALTH_TIMEOUT)) tries=0 same=0 previous='' what
  shift
  while :; do
    tries=$((tries + 1))
    out=$("$@" 2>&1) || true
    read_answer "$out"
    what="$label${ANSWER_SCRIPT:+ → $ANSWER_SCRIPT}"
    RETRY_TRIES=$tries
    case $ANSWER_STATUS in
      200)
        say "$what: 200 OK (try $tries)"
        LAST_BODY=$ANSWER_BODY
        return 0
        ;;
      3[0-9][0-9])
        LAST_FAILURE="$what answered $ANSWER_STATUS (Location: ${ANSWER_LOCATION:-none}): a redirect is not a healthy answer; point health-url at a page that answers 200"
        return 1
        ;;
      '' | 502 | 503 | 504) same=0 ;;
      *) if [[ $ANSWER_STATUS == "$previous" ]]; then same=$((same + 1)); else same=1; fi ;;
    esac
    if [[ -n $ANSWER_FINAL ]]; then
      LAST_FAILURE="$what answered $ANSWER_STATUS: $ANSWER_FINAL${ANSWER_BODY:+ (${ANSWER_BODY:0:200})}"
      return 1
    fi
    if ((same >= SAME_ANSWER_LIMIT)); then
      LAST_FAILURE="$what answered $ANSWER_STATUS $same times in a row: ${ANSWER_BODY:0:200}"
      return 1
    fi
    previous=$ANSWER_STATUS
    if (($(now_epoch) >= deadline)); then
      LAST_FAILURE="$what answered ${ANSWER_STATUS:-nothing} after $tries tries in ${HEALTH_TIMEOUT}s: ${ANSWER_BODY:0:200}"
      return 1
    fi
    sleep 0.25
  done
}

# The pre-switch check: the health URL sent to php-fpm inside the new release, from the script nginx
# would run for it (src/remote/php/fcgi-request.php resolves it under the document root).
check_release_through_fpm() {
  local rel=$1 docroot=$1 url=$HEALTH_URL
  [[ $DOCUMENT_ROOT == . ]] || docroot=$rel/$DOCUMENT_ROOT
  [[ -d $docroot ]] || { LAST_FAILURE="document-root '$DOCUMENT_ROOT' is not a directory in the release"; return 1; }
  command -v php >/dev/null 2>&1 || { LAST_FAILURE="php (the CLI) is not installed on the server; it runs the FastCGI check"; return 1; }
  [[ -n $url ]] || url="http://$FPM_HOST$FPM_URI"
  retry_check "pre-switch check via php-fpm $FPM_SOCKET: GET $FPM_URI" \
    php -d display_errors=stderr -r "$FCGI_CLIENT" -- "$FPM_SOCKET" "$docroot" "$url" "$FRONT_CONTROLLER" 5
}

# check_live_through_web [release [strict]]: the live site through the web server must answer 200 and
# (strict) name the release; default: the release being deployed and health-expect-release.
check_live_through_web() {
  local want=${1:-$DEPLOY_ID} strict=${2:-$EXPECT_RELEASE}
  # "One release late": an answer names another release than the one just switched to. Only some
  # php-fpm workers may hold the old paths, so a few more answers are sampled — at the same time as
  # the check itself (one request's time, not six; concurrent requests also reach more workers).
  local sdir out d id stale='' tries text
  sdir=$(mktemp -d "${TMPDIR:-/tmp}/php-deploy-samples.XXXXXX")
  CHECK_SAMPLES_DIR=$sdir
  SAMPLE_PIDS=()
  # Without a curl that fetches them with the check, the samples run next to it in the background.
  command -v curl >/dev/null 2>&1 || sample_web "$sdir" a
  if ! retry_check "post-switch check $HEALTH_URL" web_check_and_sample; then
    wait_samples
    CHECK_SAMPLES_DIR=''
    rm -rf "$sdir"
    return 1
  fi
  CHECK_SAMPLES_DIR=''
  tries=$RETRY_TRIES
  wait_samples
  # Samples taken while the check still failed say nothing: take them again now that it answers (and
  # take them now if a curl without --parallel could not take them with the check).
  if ((tries > 1)) || [[ ! -e $sdir/a1 ]]; then
    rm -f "$sdir"/a*
    sample_web "$sdir" b
    wait_samples
  fi
  local bodies=("$LAST_BODY")
  for out in "$sdir"/[ab]*; do
    [[ -f $out ]] || continue
    text=''
    IFS= read -r -d '' text <"$out" || true
    read_answer "$text"
    [[ $ANSWER_STATUS == 200 ]] && bodies+=("$ANSWER_BODY")
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
