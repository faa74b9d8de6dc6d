#!/usr/bin/env bash
# A real local deploy target on this machine, started without systemd (run as root).
#
#   stack.sh install   install the Debian packages the stack needs (skips apt when all are there)
#   stack.sh start     create/start everything that is missing (idempotent; fast when all runs)
#   stack.sh stop      stop everything it started (by pid files)
#   stack.sh status    one line per service; exit 1 if any is down
#   stack.sh env       print `export` lines for tests and demos
#
# Services: sshd 127.0.0.1:2222 (user deploy, key auth only), php-fpm 8.2 master running as deploy
# (socket /home/deploy/run/php-fpm.sock, reload with /home/deploy/bin/reload-php-fpm), nginx
# 127.0.0.1:8080 (<site>.localhost -> /home/deploy/sites/<site>/current/public, $realpath_root) and
# 127.0.0.1:8081 (same, deliberately with $document_root), <site>.root.localhost:8080 for a web root
# at the release root (/home/deploy/sites/<site>/current), MariaDB 127.0.0.1:3306 (user app/app),
# memcached 127.0.0.1:11211, and a jump host (bastion): a second sshd on 127.0.0.1:2223 with a host key
# of its own that only forwards to 127.0.0.1:2222 (PermitOpen) and runs no commands.
# State lives in $STACK_DIR (default /opt/php-deploy-stack).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly HERE
# shellcheck source=test/stack/lib.sh
source "$HERE/lib.sh"
# shellcheck source=test/stack/daemon-configs.sh
source "$HERE/daemon-configs.sh"

STACK_DIR=${STACK_DIR:-/opt/php-deploy-stack}
readonly STACK_DIR

readonly DEPLOY_USER=deploy
readonly DEPLOY_HOME=/home/deploy
readonly SITES_DIR=$DEPLOY_HOME/sites
readonly RUN_DIR=$DEPLOY_HOME/run
readonly BIN_DIR=$DEPLOY_HOME/bin

readonly LISTEN_ADDR=127.0.0.1
readonly SSH_HOST=$LISTEN_ADDR
readonly SSH_PORT=2222
readonly SSH_DIR=$STACK_DIR/ssh
readonly HOST_KEY=$SSH_DIR/ssh_host_ed25519_key
readonly CLIENT_KEY=$SSH_DIR/id_ed25519
readonly CLIENT_KEY_PASS=$SSH_DIR/id_ed25519_pass
readonly CLIENT_KEY_PASSPHRASE='correct horse battery'
readonly KNOWN_HOSTS=$SSH_DIR/known_hosts
readonly SSHD_CONFIG=$STACK_DIR/sshd_config
readonly SSHD_PID=$STACK_DIR/sshd.pid
readonly SSHD_LOG=$STACK_DIR/sshd.log

readonly JUMP_PORT=2223
readonly JUMP_HOST_KEY=$SSH_DIR/ssh_host_jump_ed25519_key
readonly JUMP_KNOWN_HOSTS=$SSH_DIR/known_hosts_jump
readonly JUMP_SSHD_CONFIG=$STACK_DIR/sshd_jump_config
readonly JUMP_SSHD_PID=$STACK_DIR/sshd_jump.pid
readonly JUMP_SSHD_LOG=$STACK_DIR/sshd_jump.log

readonly FPM_BIN=/usr/sbin/php-fpm8.2
readonly FPM_CONFIG=$STACK_DIR/php-fpm.conf
readonly FPM_PID=$RUN_DIR/php-fpm.pid
readonly FPM_LOG=$RUN_DIR/php-fpm.log
readonly FPM_SOCKET=$RUN_DIR/php-fpm.sock
readonly RELOAD_COMMAND=$BIN_DIR/reload-php-fpm

readonly NGINX_DIR=$STACK_DIR/nginx
readonly NGINX_CONFIG=$NGINX_DIR/nginx.conf
readonly NGINX_PID=$NGINX_DIR/nginx.pid
readonly NGINX_LOG=$NGINX_DIR/error.log
readonly HTTP_PORT=8080
readonly HTTP_PORT_DOCROOT=8081

readonly DB_HOST=127.0.0.1
readonly DB_PORT=3306
readonly DB_USER=app
readonly DB_PASSWORD=app
readonly MY_CNF=$STACK_DIR/my.cnf
readonly DB_DATADIR=$STACK_DIR/mariadb
readonly DB_INIT_MARKER=$STACK_DIR/mariadb.initialised
readonly DB_SOCKET=$STACK_DIR/mysqld.sock
readonly DB_PID=$STACK_DIR/mysqld.pid
readonly DB_LOG=$STACK_DIR/mariadb.log

readonly MEMCACHED_HOST=127.0.0.1
readonly MEMCACHED_PORT=11211
# memcached writes its pid file after dropping privileges: keep it in a directory it owns.
readonly MEMCACHED_USER=memcache
readonly MEMCACHED_DIR=$STACK_DIR/memcached
readonly MEMCACHED_PID=$MEMCACHED_DIR/memcached.pid
readonly MEMCACHED_LOG=$STACK_DIR/memcached.log

readonly PACKAGES=(openssh-server openssh-client php-fpm php-cli php-mysql php-memcached nginx
  mariadb-server memcached libfcgi-bin rsync zip unzip wrk iproute2 time socat shellcheck curl procps jq
  ca-certificates util-linux libfaketime acl)

# Real PHP apps nobody here wrote, deployed by test/e2e/real-apps.test.ts as CI would ship them (see
# test/e2e/real-apps.ts), and the PHP extensions such apps need. Files only: with policy-rc.d and no
# web server among their dependencies, nothing they pull in starts a service or touches nginx.
readonly APP_PACKAGES=(dokuwiki wordpress wordpress-theme-twentytwentythree php-laravel-framework
  php8.2-gd php8.2-xml php8.2-sqlite3 php8.2-intl php8.2-zip php8.2-curl php8.2-mbstring)

# A clean environment for the daemons (php-fpm has clear_env = no, so its workers see this).
readonly DAEMON_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# --- helpers (the shared ones are in lib.sh) -------------------------------------------------------

# stop_pid <name> <pidfile> <comm> [signal] [timeout seconds]
stop_pid() {
  local name=$1 file=$2 comm=$3 sig=${4:-TERM} timeout=${5:-15} pid new_pid i
  if ! pid_alive "$file" "$comm"; then
    rm -f "$file"
    printf '%-10s already stopped\n' "$name"
    return 0
  fi
  pid=$(pid_of "$file")
  kill -s "$sig" "$pid" 2>/dev/null || true
  for ((i = 0; i < timeout * 20; i++)); do
    if ! pid_alive "$file" "$comm" && ! proc_running "$pid"; then
      rm -f "$file"
      printf '%-10s stopped\n' "$name"
      return 0
    fi
    # php-fpm and nginx masters may have been replaced (reload): follow the pid file.
    new_pid=$(pid_of "$file")
    if [[ -n $new_pid && $new_pid != "$pid" ]] && pid_alive "$file" "$comm"; then
      pid=$new_pid
      kill -s "$sig" "$pid" 2>/dev/null || true
    fi
    sleep 0.05
  done
  log "$name (pid $pid) did not stop after ${timeout}s, sending KILL"
  kill -KILL "$pid" 2>/dev/null || true
  sleep 0.2
  rm -f "$file"
  printf '%-10s killed\n' "$name"
}

# --- install -------------------------------------------------------------------------------------

missing_packages() {
  local pkg status
  for pkg in "${PACKAGES[@]}" "${APP_PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$pkg" 2>/dev/null || true)
    [[ $status == ii* ]] || printf '%s\n' "$pkg"
  done
}

apt_lists_fresh() {
  # Fresh = some package list exists and one of the list files was updated within a day.
  compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null || return 1
  [[ -n $(find /var/lib/apt/lists /var/cache/apt/pkgcache.bin -maxdepth 1 -type f -mmin -1440 \
    -print -quit 2>/dev/null) ]]
}

cmd_install() {
  require_root
  local missing updated=0
  mapfile -t missing < <(missing_packages)
  if [[ ${#missing[@]} -eq 0 ]]; then
    echo "all $((${#PACKAGES[@]} + ${#APP_PACKAGES[@]})) packages already installed"
    return 0
  fi
  log "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt_lists_fresh; then
    apt-get update
    updated=1
  fi
  # policy-rc.d: no systemd here; keep maintainer scripts from trying to start the services.
  local policy=/usr/sbin/policy-rc.d created_policy=0
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    created_policy=1
  fi
  local rc=0
  apt-get install -y --no-install-recommends "${missing[@]}" || rc=$?
  if [[ $rc -ne 0 && $updated -eq 0 ]]; then
    log "apt-get install failed; retrying after apt-get update"
    apt-get update
    rc=0
    apt-get install -y --no-install-recommends "${missing[@]}" || rc=$?
  fi
  if [[ $created_policy -eq 1 ]]; then rm -f "$policy"; fi
  [[ $rc -eq 0 ]] || die "apt-get install failed"
  mapfile -t missing < <(missing_packages)
  [[ ${#missing[@]} -eq 0 ]] || die "still missing after install: ${missing[*]}"
  # New extensions load in php-fpm only after a reload (the CLI sees them at once).
  if pid_alive "$FPM_PID" php-fpm8.2; then
    runuser -u "$DEPLOY_USER" -- "$RELOAD_COMMAND" >/dev/null || log "php-fpm reload after install failed"
  fi
  echo "installed; all $((${#PACKAGES[@]} + ${#APP_PACKAGES[@]})) packages present"
}

# --- start: pieces -------------------------------------------------------------------------------

setup_user() {
  if ! id -u "$DEPLOY_USER" >/dev/null 2>&1; then
    useradd -m -d "$DEPLOY_HOME" -s /bin/bash "$DEPLOY_USER"
  fi
  # A locked account ('!') is refused by sshd when PAM is off; '*' means "no password, key only".
  if [[ $(getent shadow "$DEPLOY_USER" | cut -d: -f2) != '*' ]]; then
    usermod -p '*' "$DEPLOY_USER"
  fi
  if [[ $(getent passwd "$DEPLOY_USER" | cut -d: -f7) != /bin/bash ]]; then
    usermod -s /bin/bash "$DEPLOY_USER"
  fi
  # The writable-mode group tests: the SSH user is in the web server's group (www-data), as on a
  # server where nginx/php-fpm run as www-data.
  if getent group www-data >/dev/null && ! id -nG "$DEPLOY_USER" | tr ' ' '\n' | grep -qx www-data; then
    usermod -aG www-data "$DEPLOY_USER"
  fi
  mkdir -p "$DEPLOY_HOME"
  chown "$DEPLOY_USER:$DEPLOY_USER" "$DEPLOY_HOME"
  chmod 755 "$DEPLOY_HOME"
  install -d -o "$DEPLOY_USER" -g "$DEPLOY_USER" -m 755 "$SITES_DIR" "$RUN_DIR" "$BIN_DIR"
  install -d -o "$DEPLOY_USER" -g "$DEPLOY_USER" -m 700 "$DEPLOY_HOME/.ssh"
}

setup_keys() {
  install -d -m 755 "$STACK_DIR"
  install -d -m 700 "$SSH_DIR"
  if [[ ! -s $HOST_KEY || ! -s $HOST_KEY.pub ]]; then
    rm -f "$HOST_KEY" "$HOST_KEY.pub"
    ssh-keygen -q -t ed25519 -N '' -C php-deploy-stack-host -f "$HOST_KEY"
  fi
  if [[ ! -s $CLIENT_KEY || ! -s $CLIENT_KEY.pub ]]; then
    rm -f "$CLIENT_KEY" "$CLIENT_KEY.pub"
    ssh-keygen -q -t ed25519 -N '' -C php-deploy-stack-client -f "$CLIENT_KEY"
  fi
  if [[ ! -s $CLIENT_KEY_PASS || ! -s $CLIENT_KEY_PASS.pub ]]; then
    rm -f "$CLIENT_KEY_PASS" "$CLIENT_KEY_PASS.pub"
    ssh-keygen -q -t ed25519 -N "$CLIENT_KEY_PASSPHRASE" -C php-deploy-stack-client-pass \
      -f "$CLIENT_KEY_PASS"
  fi
  if [[ ! -s $JUMP_HOST_KEY || ! -s $JUMP_HOST_KEY.pub ]]; then
    rm -f "$JUMP_HOST_KEY" "$JUMP_HOST_KEY.pub"
    ssh-keygen -q -t ed25519 -N '' -C php-deploy-stack-jump -f "$JUMP_HOST_KEY"
  fi
  chmod 600 "$HOST_KEY" "$CLIENT_KEY" "$CLIENT_KEY_PASS" "$JUMP_HOST_KEY"

  local type key _
  read -r type key _ <"$HOST_KEY.pub"
  printf '[%s]:%s %s %s\n' "$SSH_HOST" "$SSH_PORT" "$type" "$key" |
    write_if_changed "$KNOWN_HOSTS" 644 root:root || true

  read -r type key _ <"$JUMP_HOST_KEY.pub"
  printf '[%s]:%s %s %s\n' "$SSH_HOST" "$JUMP_PORT" "$type" "$key" |
    write_if_changed "$JUMP_KNOWN_HOSTS" 644 root:root || true

  cat "$CLIENT_KEY.pub" "$CLIENT_KEY_PASS.pub" |
    write_if_changed "$DEPLOY_HOME/.ssh/authorized_keys" 600 "$DEPLOY_USER:$DEPLOY_USER" || true
}

write_sshd_config() {
  sshd_config '# php-deploy test stack: generated by test/stack/stack.sh' \
    "ListenAddress $SSH_HOST"$'\n'"Port $SSH_PORT" "$HOST_KEY" "$SSHD_PID" |
    write_if_changed "$SSHD_CONFIG" 644 root:root
}

start_sshd() {
  local changed=0
  write_sshd_config && changed=1
  mkdir -p /run/sshd
  chmod 755 /run/sshd
  run_sshd sshd "$SSHD_CONFIG" "$SSHD_PID" "$SSHD_LOG" "$changed"
}

# run_sshd <name> <config> <pid file> <log> <changed>: starts an sshd on <config>, or reloads the
# running one (HUP) when its config just changed; the config is tested first either way.
run_sshd() {
  local name=$1 config=$2 pid=$3 logf=$4 changed=$5
  if pid_alive "$pid" sshd; then
    if [[ $changed -eq 1 ]]; then
      /usr/sbin/sshd -t -f "$config" || die "$name config test failed"
      kill -HUP "$(pid_of "$pid")"
      log "$name: config changed, reloaded"
    fi
    return 0
  fi
  rm -f "$pid"
  /usr/sbin/sshd -t -f "$config" || die "$name config test failed"
  /usr/sbin/sshd -f "$config" -E "$logf" </dev/null >/dev/null 2>&1 ||
    { show_log "$logf"; die "$name failed to start"; }
  wait_for 5 pid_alive "$pid" sshd || { show_log "$logf"; die "$name did not start"; }
}

# The jump host: forwards to the stack's sshd only, runs nothing itself. Its own text, not
# sshd_config's template: sshd keeps the first value of a keyword, and the template allows what this
# one must not (any forwarding, sessions).
write_jump_sshd_config() {
  write_if_changed "$JUMP_SSHD_CONFIG" 644 root:root <<EOF
# php-deploy test stack jump host: generated by test/stack/stack.sh
ListenAddress $SSH_HOST
Port $JUMP_PORT
HostKey $JUMP_HOST_KEY
PidFile $JUMP_SSHD_PID
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PubkeyAuthentication yes
AuthorizedKeysFile .ssh/authorized_keys
PermitRootLogin no
AllowUsers $DEPLOY_USER
MaxStartups 100:30:200
AllowTcpForwarding local
PermitOpen $SSH_HOST:$SSH_PORT
AllowStreamLocalForwarding no
PermitTTY no
ForceCommand /bin/false
X11Forwarding no
PrintMotd no
LogLevel VERBOSE
EOF
}

start_jump_sshd() {
  local changed=0
  write_jump_sshd_config && changed=1
  mkdir -p /run/sshd
  run_sshd "jump sshd" "$JUMP_SSHD_CONFIG" "$JUMP_SSHD_PID" "$JUMP_SSHD_LOG" "$changed"
}

write_fpm_config() {
  fpm_config "; php-deploy test stack: generated by test/stack/stack.sh
; The master runs as $DEPLOY_USER (so $DEPLOY_USER can reload it with USR2); no user/group lines." \
    "$FPM_PID" "$FPM_LOG" "$FPM_SOCKET" 'pm = dynamic
pm.max_children = 16
pm.start_servers = 4
pm.min_spare_servers = 2
pm.max_spare_servers = 8' | write_if_changed "$FPM_CONFIG" 644 root:root
}

write_reload_script() {
  reload_script "$FPM_PID" "$FPM_LOG" "$RUN_DIR/reload-php-fpm.lock" |
    write_if_changed "$RELOAD_COMMAND" 755 "$DEPLOY_USER:$DEPLOY_USER"
}

start_fpm() {
  local changed=0
  write_fpm_config && changed=1
  write_reload_script || true
  if pid_alive "$FPM_PID" php-fpm8.2; then
    if [[ $changed -eq 1 ]]; then
      runuser -u "$DEPLOY_USER" -- "$RELOAD_COMMAND" >/dev/null || die "php-fpm reload failed"
      log "php-fpm: config changed, reloaded"
    fi
    return 0
  fi
  rm -f "$FPM_PID"
  env -i PATH="$DAEMON_PATH" HOME="$DEPLOY_HOME" USER="$DEPLOY_USER" LOGNAME="$DEPLOY_USER" \
    LANG=C.UTF-8 runuser -u "$DEPLOY_USER" -- "$FPM_BIN" --fpm-config "$FPM_CONFIG" -t \
    >/dev/null 2>&1 || {
    "$FPM_BIN" --fpm-config "$FPM_CONFIG" -t || true
    die "php-fpm config test failed"
  }
  env -i PATH="$DAEMON_PATH" HOME="$DEPLOY_HOME" USER="$DEPLOY_USER" LOGNAME="$DEPLOY_USER" \
    LANG=C.UTF-8 runuser -u "$DEPLOY_USER" -- "$FPM_BIN" --fpm-config "$FPM_CONFIG" \
    </dev/null >/dev/null 2>&1 || { show_log "$FPM_LOG"; die "php-fpm failed to start"; }
  wait_for 5 pid_alive "$FPM_PID" php-fpm8.2 || { show_log "$FPM_LOG"; die "php-fpm did not start"; }
  wait_for 5 test -S "$FPM_SOCKET" || { show_log "$FPM_LOG"; die "php-fpm socket missing"; }
}

# Two servers for every site: the right way ($realpath_root) and a deliberately wrong one.
write_nginx_config() {
  local site_name="~^(?<site>[a-z0-9-]+)\\.localhost\$" root="$SITES_DIR/\$site/current/public"
  install -d -m 755 "$NGINX_DIR" "$NGINX_DIR/tmp"
  nginx_config '# php-deploy test stack: generated by test/stack/stack.sh' 2 "$NGINX_PID" "$NGINX_LOG" \
    1024 "$NGINX_DIR/tmp" "$(
      echo '    # Correct: each request resolves the "current" symlink once.'
      nginx_php_server "$FPM_SOCKET" "\$realpath_root" "$root" "$site_name" '' "$LISTEN_ADDR:$HTTP_PORT"
      printf '\n    # Deliberately WRONG: %s keeps the symlinked path, so OPcache keeps\n' "\$document_root"
      printf '    # serving the release it compiled first ("one release late").\n'
      nginx_php_server "$FPM_SOCKET" "\$document_root" "$root" "$site_name" '' "$LISTEN_ADDR:$HTTP_PORT_DOCROOT"
      echo
      nginx_release_root_server "$FPM_SOCKET" "$SITES_DIR" "$LISTEN_ADDR:$HTTP_PORT"
    )" | write_if_changed "$NGINX_CONFIG" 644 root:root
}

nginx_cmd() { nginx -p "$NGINX_DIR" -c "$NGINX_CONFIG" -e "$NGINX_LOG" "$@"; }

start_nginx() {
  local changed=0
  write_nginx_config && changed=1
  if pid_alive "$NGINX_PID" nginx; then
    if [[ $changed -eq 1 ]]; then
      nginx_cmd -t -q || die "nginx config test failed"
      kill -HUP "$(pid_of "$NGINX_PID")"
      log "nginx: config changed, reloaded"
    fi
    return 0
  fi
  rm -f "$NGINX_PID"
  nginx_cmd -t -q || die "nginx config test failed"
  nginx_cmd </dev/null >/dev/null 2>&1 || { show_log "$NGINX_LOG"; die "nginx failed to start"; }
  wait_for 5 pid_alive "$NGINX_PID" nginx || { show_log "$NGINX_LOG"; die "nginx did not start"; }
}

write_my_cnf() {
  write_if_changed "$MY_CNF" 644 root:root <<EOF
# php-deploy test stack: generated by test/stack/stack.sh
[mysqld]
user = root
datadir = $DB_DATADIR
socket = $DB_SOCKET
pid-file = $DB_PID
log-error = $DB_LOG
bind-address = $DB_HOST
port = $DB_PORT
character-set-server = utf8mb4
collation-server = utf8mb4_unicode_ci
innodb_buffer_pool_size = 128M
innodb_log_file_size = 48M
max_connections = 300
skip-log-bin

[client]
socket = $DB_SOCKET
user = root
EOF
}

db_admin() { mariadb-admin --defaults-file="$MY_CNF" "$@"; }
db_sql() { mariadb --defaults-file="$MY_CNF"; }

start_mariadb() {
  local changed=0 pid
  write_my_cnf && changed=1
  if pid_alive "$DB_PID" mariadbd; then
    if [[ $changed -eq 0 ]]; then
      wait_for 30 db_admin ping || { show_log "$DB_LOG"; die "mariadb does not answer"; }
      return 0
    fi
    log "mariadb: config changed, restarting"
    stop_pid mariadb "$DB_PID" mariadbd TERM 60 >/dev/null
  fi
  # Not running according to its pid file. A server on the same datadir without a pid file would
  # make a new one wait on the InnoDB lock instead of failing: refuse that case loudly.
  if pid=$(pgrep -f -- "^/usr/sbin/mariadbd --defaults-file=$MY_CNF" 2>/dev/null | head -n1) && [[ -n $pid ]]; then
    die "a mariadbd (pid $pid) runs on $DB_DATADIR without a valid pid file; stop it first"
  fi
  rm -f "$DB_PID" "$DB_SOCKET"

  if [[ ! -f $DB_INIT_MARKER ]]; then
    log "mariadb: initialising $DB_DATADIR"
    rm -rf "$DB_DATADIR"
    install -d -m 750 "$DB_DATADIR"
    mariadb-install-db --defaults-file="$MY_CNF" --user=root --datadir="$DB_DATADIR" \
      --auth-root-authentication-method=socket --skip-test-db >"$STACK_DIR/mariadb-install.log" 2>&1 ||
      { show_log "$STACK_DIR/mariadb-install.log"; die "mariadb-install-db failed"; }
    touch "$DB_INIT_MARKER"
  fi

  # mariadbd does not daemonize: run it detached, in its own session, with no inherited stdio.
  setsid nohup /usr/sbin/mariadbd --defaults-file="$MY_CNF" --user=root \
    </dev/null >>"$DB_LOG" 2>&1 &
  local i
  for ((i = 0; i < 600; i++)); do
    if db_admin ping >/dev/null 2>&1; then break; fi
    if ((i > 20)) && ! pid_alive "$DB_PID" mariadbd && ! pgrep -f -- "^/usr/sbin/mariadbd --defaults-file=$MY_CNF" >/dev/null; then
      show_log "$DB_LOG"
      die "mariadbd exited during startup"
    fi
    sleep 0.1
  done
  db_admin ping >/dev/null 2>&1 || { show_log "$DB_LOG"; die "mariadb did not answer within 60s"; }
  wait_for 5 pid_alive "$DB_PID" mariadbd || die "mariadb runs but wrote no pid file"
}

setup_database() {
  db_sql <<EOF
CREATE USER IF NOT EXISTS '$DB_USER'@'localhost' IDENTIFIED BY '$DB_PASSWORD';
CREATE USER IF NOT EXISTS '$DB_USER'@'127.0.0.1' IDENTIFIED BY '$DB_PASSWORD';
GRANT ALL PRIVILEGES ON *.* TO '$DB_USER'@'localhost';
GRANT ALL PRIVILEGES ON *.* TO '$DB_USER'@'127.0.0.1';
CREATE DATABASE IF NOT EXISTS \`app\`;
EOF
}

start_memcached() {
  if pid_alive "$MEMCACHED_PID" memcached; then
    return 0
  fi
  rm -f "$MEMCACHED_PID"
  install -d -m 755 -o "$MEMCACHED_USER" "$MEMCACHED_DIR"
  memcached -d -u "$MEMCACHED_USER" -l "$MEMCACHED_HOST" -p "$MEMCACHED_PORT" -U 0 -m 64 -c 1024 \
    -P "$MEMCACHED_PID" </dev/null >>"$MEMCACHED_LOG" 2>&1 ||
    { show_log "$MEMCACHED_LOG"; die "memcached failed to start"; }
  wait_for 5 pid_alive "$MEMCACHED_PID" memcached ||
    { show_log "$MEMCACHED_LOG"; die "memcached did not start"; }
}

# --- checks --------------------------------------------------------------------------------------

check_ssh() {
  ssh -F /dev/null -i "$CLIENT_KEY" -p "$SSH_PORT" -o UserKnownHostsFile="$KNOWN_HOSTS" \
    -o StrictHostKeyChecking=yes -o BatchMode=yes -o IdentitiesOnly=yes -o ConnectTimeout=5 \
    "$DEPLOY_USER@$SSH_HOST" true </dev/null
}

check_jump() { # through the jump host to the stack's sshd, both host keys checked
  local opts=(-F /dev/null -i "$CLIENT_KEY" -o StrictHostKeyChecking=yes -o BatchMode=yes
    -o IdentitiesOnly=yes -o ConnectTimeout=5)
  # -J would start the inner ssh with the user's config: spell the ProxyCommand out instead.
  ssh "${opts[@]}" -p "$SSH_PORT" -o UserKnownHostsFile="$KNOWN_HOSTS" \
    -o ProxyCommand="ssh ${opts[*]} -o UserKnownHostsFile=$JUMP_KNOWN_HOSTS -p $JUMP_PORT -W %h:%p $DEPLOY_USER@$SSH_HOST" \
    "$DEPLOY_USER@$SSH_HOST" true </dev/null
}

check_fpm() {
  [[ -S $FPM_SOCKET ]] || return 1
  # The pool's ping.path answers "pong" straight from php-fpm.
  [[ $(SCRIPT_NAME=/fpm-ping SCRIPT_FILENAME=/fpm-ping REQUEST_METHOD=GET \
    timeout 5 cgi-fcgi -bind -connect "$FPM_SOCKET" 2>/dev/null | tail -n1) == pong ]]
}

check_nginx() { # any HTTP answer from both servers (no site needed: 404 is fine)
  local port code
  for port in "$HTTP_PORT" "$HTTP_PORT_DOCROOT"; do
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://stack-check.localhost:$port/") ||
      return 1
    [[ $code =~ ^[2-5][0-9][0-9]$ ]] || return 1
  done
}

check_mariadb() {
  db_admin ping >/dev/null 2>&1 &&
    [[ $(mariadb -h "$DB_HOST" -P "$DB_PORT" -u "$DB_USER" -p"$DB_PASSWORD" -N -B -e 'SELECT 1' 2>/dev/null) == 1 ]]
}

check_memcached() {
  local line
  exec 3<>"/dev/tcp/$MEMCACHED_HOST/$MEMCACHED_PORT" || return 1
  printf 'version\r\n' >&3
  IFS= read -r -t 3 line <&3 || line=
  exec 3>&-
  [[ $line == VERSION* ]]
}

verify() {
  local failed=0
  report() { # report <name> <detail> <check...>
    local name=$1 detail=$2
    shift 2
    if "$@" >/dev/null 2>&1; then
      printf '%-10s ok       %s\n' "$name" "$detail"
    else
      printf '%-10s FAILED   %s\n' "$name" "$detail"
      failed=1
    fi
  }
  report sshd "deploy@$SSH_HOST:$SSH_PORT (key $CLIENT_KEY)" check_ssh
  report jump "deploy@$SSH_HOST:$JUMP_PORT (jump host to :$SSH_PORT only)" check_jump
  report php-fpm "$FPM_SOCKET (pid $(pid_of "$FPM_PID"))" check_fpm
  report nginx "http://<site>.localhost:$HTTP_PORT/ (realpath_root), :$HTTP_PORT_DOCROOT (document_root)" check_nginx
  report mariadb "$DB_USER:$DB_PASSWORD@$DB_HOST:$DB_PORT, socket $DB_SOCKET" check_mariadb
  report memcached "$MEMCACHED_HOST:$MEMCACHED_PORT" check_memcached
  return "$failed"
}

# --- commands ------------------------------------------------------------------------------------

cmd_start() {
  require_root
  [[ -x $FPM_BIN && -x /usr/sbin/sshd && -x /usr/sbin/nginx && -x /usr/sbin/mariadbd ]] ||
    die "packages missing: run '$0 install' first"
  install -d -m 755 "$STACK_DIR"
  setup_user
  setup_keys
  start_mariadb
  setup_database
  start_memcached
  start_fpm
  start_nginx
  start_sshd
  start_jump_sshd
  verify || die "some services do not answer (logs: $STACK_DIR/*.log, $FPM_LOG, $NGINX_LOG)"
}

cmd_stop() {
  require_root
  stop_pid nginx "$NGINX_PID" nginx QUIT 15
  stop_pid php-fpm "$FPM_PID" php-fpm8.2 QUIT 15
  stop_pid sshd "$SSHD_PID" sshd TERM 10
  stop_pid jump "$JUMP_SSHD_PID" sshd TERM 10
  stop_pid memcached "$MEMCACHED_PID" memcached TERM 10
  stop_pid mariadb "$DB_PID" mariadbd TERM 60
  rm -f "$FPM_SOCKET"
}

cmd_status() {
  local down=0 entry name file comm
  for entry in "sshd:$SSHD_PID:sshd" "jump:$JUMP_SSHD_PID:sshd" "php-fpm:$FPM_PID:php-fpm8.2" "nginx:$NGINX_PID:nginx" \
    "mariadb:$DB_PID:mariadbd" "memcached:$MEMCACHED_PID:memcached"; do
    IFS=: read -r name file comm <<<"$entry"
    if pid_alive "$file" "$comm"; then
      printf '%-10s running  (pid %s)\n' "$name" "$(pid_of "$file")"
    else
      printf '%-10s stopped\n' "$name"
      down=1
    fi
  done
  return "$down"
}

cmd_env() {
  env_line STACK_DIR "$STACK_DIR"
  env_line STACK_SSH_HOST "$SSH_HOST"
  env_line STACK_SSH_PORT "$SSH_PORT"
  env_line STACK_SSH_USER "$DEPLOY_USER"
  env_line STACK_SSH_KEY "$CLIENT_KEY"
  env_line STACK_SSH_KEY_PASS "$CLIENT_KEY_PASS"
  env_line STACK_SSH_KEY_PASSPHRASE "$CLIENT_KEY_PASSPHRASE"
  env_line STACK_KNOWN_HOSTS "$KNOWN_HOSTS"
  env_line STACK_JUMP_HOST "$SSH_HOST"
  env_line STACK_JUMP_PORT "$JUMP_PORT"
  env_line STACK_JUMP_KNOWN_HOSTS "$JUMP_KNOWN_HOSTS"
  env_line STACK_SITES "$SITES_DIR"
  env_line STACK_FPM_SOCKET "$FPM_SOCKET"
  env_line STACK_RELOAD_COMMAND "$RELOAD_COMMAND"
  env_line STACK_HTTP_PORT "$HTTP_PORT"
  env_line STACK_HTTP_PORT_DOCROOT "$HTTP_PORT_DOCROOT"
  env_line STACK_DB_HOST "$DB_HOST"
  env_line STACK_DB_PORT "$DB_PORT"
  env_line STACK_DB_USER "$DB_USER"
  env_line STACK_DB_PASSWORD "$DB_PASSWORD"
  env_line STACK_MEMCACHED "$MEMCACHED_HOST:$MEMCACHED_PORT"
}

usage() {
  echo "usage: $0 {install|start|stop|status|env}" >&2
  exit 2
}

main() {
  [[ $# -eq 1 ]] || usage
  case $1 in
  install) cmd_install ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  env) cmd_env ;;
  *) usage ;;
  esac
}

main "$@"
