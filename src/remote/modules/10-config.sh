# Arguments and configuration: key=value pairs parsed and validated once, then read-only.
# shellcheck shell=bash

# Defaults. parse_args sets them from the command line (src/remote/contract.ts declares which keys each
# command takes) and then makes every one of them, and the paths derived from them, read-only.
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
HAVE_MANIFEST=''
MIGRATION_RE=''
GUARD_MODE=off
BACKUP_COMMAND=''
BACKUP_KEEP=5
TARGET_ID=''
LOCK_TTL=300
LOCK_WAIT=0
KEEP_RELEASES=5
HEALTH_URL=''
HEALTH_TIMEOUT=20
FPM_SOCKET=''
FPM_URI='/'
FPM_HOST='localhost'
DOCUMENT_ROOT='public'
FRONT_CONTROLLER='index.php'
RELOAD_COMMAND=''
OPCACHE_RESET=0
SHARED=()
WRITABLE=()
WRITABLE_MODE=group
WRITABLE_BY=''
BEFORE_SWITCH=()
ONCE=()
AFTER_SWITCH=()
OWNER_PID=''

# A release switched away from less than this long ago is never pruned (requests may still run in it).
readonly GRACE_SECONDS=60

parse_args() {
  local arg key val
  for arg in "$@"; do
    [[ $arg == *=* ]] || die "bad argument '$arg' (expected key=value)"
    key=${arg%%=*}
    val=${arg#*=}
    case $key in
      path) DEPLOY_PATH=$val ;;
      nonce) ;; # read first, by set_nonce
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
      have_manifest) HAVE_MANIFEST=$val ;;
      migration_re) MIGRATION_RE=$val ;;
      guard) GUARD_MODE=$val ;;
      backup) BACKUP_COMMAND=$val ;;
      backup_keep) BACKUP_KEEP=$val ;;
      target) TARGET_ID=$val ;;
      ttl) LOCK_TTL=$val ;;
      wait) LOCK_WAIT=$val ;;
      keep) KEEP_RELEASES=$val ;;
      health_url) HEALTH_URL=$val ;;
      health_timeout) HEALTH_TIMEOUT=$val ;;
      fpm_socket) FPM_SOCKET=$val ;;
      fpm_uri) FPM_URI=$val ;;
      fpm_host) FPM_HOST=$val ;;
      document_root) DOCUMENT_ROOT=$val ;;
      front_controller) FRONT_CONTROLLER=$val ;;
      reload) RELOAD_COMMAND=$val ;;
      opcache_reset) OPCACHE_RESET=$val ;;
      shared) SHARED+=("$val") ;;
      writable) WRITABLE+=("$val") ;;
      writable_mode) WRITABLE_MODE=$val ;;
      writable_by) WRITABLE_BY=$val ;;
      before) BEFORE_SWITCH+=("$val") ;;
      once) ONCE+=("$val") ;;
      after) AFTER_SWITCH+=("$val") ;;
      owner) OWNER_PID=$val ;;
      *) die "unknown argument '$key'" ;;
    esac
  done

  [[ $DEPLOY_PATH == /* ]] || die "deploy-path must be absolute (got '$DEPLOY_PATH')"
  [[ $DEPLOY_PATH != / ]] || die "deploy-path must not be /"
  [[ $DEPLOY_PATH != *'/../'* && $DEPLOY_PATH != *'/..' ]] || die "deploy-path must not contain .."
  DEPLOY_PATH=${DEPLOY_PATH%/}
  local n
  for n in LOCK_TTL LOCK_WAIT KEEP_RELEASES HEALTH_TIMEOUT MANIFEST_BYTES NEED_BYTES BACKUP_KEEP; do
    [[ ${!n} =~ ^[0-9]+$ ]] || die "$n must be a whole number"
  done
  [[ -z $OWNER_PID || $OWNER_PID =~ ^[0-9]+$ ]] || die "owner must be a process id"
  check_id "$DEPLOY_ID"
  check_id "$BASE_ID"
  check_id "$TARGET_ID"
  local p
  for p in "${SHARED[@]}" "${WRITABLE[@]}" "$DOCUMENT_ROOT" "$FRONT_CONTROLLER"; do check_rel_path "$p"; done
  [[ $WRITABLE_MODE == group || $WRITABLE_MODE == acl ]] || die "writable-mode must be group or acl"
  [[ -z $WRITABLE_BY || $WRITABLE_BY =~ ^[A-Za-z_][A-Za-z0-9_.-]{0,31}$ ]] || die "bad writable-by '$WRITABLE_BY'"
  check_shared_overlap

  RELEASES=$DEPLOY_PATH/releases
  SHARED_DIR=$DEPLOY_PATH/shared
  CURRENT=$DEPLOY_PATH/current
  STATE=$DEPLOY_PATH/.php-deploy
  readonly DEPLOY_PATH DEPLOY_ID TOKEN HOLDER VERSION GIT_SHA LOG_CONTEXT BASE_ID MANIFEST_BYTES NEED_BYTES \
    NEED_PHP_CLI EXPECT_RELEASE NOTE_EVENT WANT_MANIFEST HAVE_MANIFEST MIGRATION_RE GUARD_MODE BACKUP_COMMAND BACKUP_KEEP \
    TARGET_ID LOCK_TTL LOCK_WAIT KEEP_RELEASES HEALTH_URL HEALTH_TIMEOUT FPM_SOCKET FPM_URI FPM_HOST \
    DOCUMENT_ROOT FRONT_CONTROLLER RELOAD_COMMAND OPCACHE_RESET SHARED WRITABLE WRITABLE_MODE WRITABLE_BY \
    BEFORE_SWITCH ONCE AFTER_SWITCH OWNER_PID RELEASES SHARED_DIR CURRENT STATE
}

check_id() {
  [[ -z $1 ]] && return 0
  [[ $1 =~ $ID_RE && $1 != *..* && $1 != *.partial ]] || die "bad deploy id '$1'"
}

# One shared path inside another is refused before anything changes: linking the inner one would go
# through the outer link into shared/ (the engine refuses it as bad input too).
check_shared_overlap() {
  local a b
  for a in "${SHARED[@]}"; do
    for b in "${SHARED[@]}"; do
      [[ ${b%/} == "${a%/}"/* ]] && die "shared path '${b%/}' is inside '${a%/}', which is shared already; remove '${b%/}' from shared"
    done
  done
  return 0
}

check_rel_path() {
  [[ -n $1 && $1 != /* && $1 != *'..'* && $1 != *$'\n'* ]] || die "bad relative path '$1'"
}
