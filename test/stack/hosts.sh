#!/usr/bin/env bash
# N real test hosts on this machine, each in its own network, mount and UTS namespace (run as root).
#
#   hosts.sh up [N]            create/start hosts 1..N (default 3, at most 12) and stop any above N;
#                              idempotent (restarts what died, clears block and fill-disk faults);
#                              starts the local stack (stack.sh start) when it is down
#   hosts.sh down [--purge]    stop and remove everything `up` made (namespaces, bridge, mounts,
#                              processes); --purge also deletes the hosts' files and host keys
#   hosts.sh status            one line per host (and the relays); exit 1 if something is down
#   hosts.sh verify            ssh, php-fpm and nginx checks on every host; exit 1 on a failure
#   hosts.sh env               `export` lines for tests (HOSTS_*, HOST<i>_*)
#   hosts.sh new-site [db]     write /srv/app/shared/.env on every host (DB and memcached through the
#                              relays on 10.237.0.1) and create the database (default hosts_app)
#   hosts.sh clean [i...]      empty /srv/app on the given hosts (default: all)
#   hosts.sh block <i>         make host i unreachable (its veth on the bridge goes down)
#   hosts.sh unblock <i>
#   hosts.sh fill-disk <i> [free-KiB]   put host i's /srv on a small tmpfs holding a copy of its files
#                              and a ballast file, leaving free-KiB (default 64) free
#   hosts.sh unfill-disk <i>   copy the files back, remove the tmpfs
#   hosts.sh exec <i> [cmd...] run a command (default: bash) as root inside host i's namespaces
#
# Layout: bridge pdbr0 10.237.0.1/24 on the machine; host i is network namespace pd-host<i> with
# 10.237.0.(10+i)/24 on eth0 (veth pdv<i> on the bridge) and no route beyond that /24. Its daemons
# and every SSH session run in a persistent mount namespace where
#   /srv              is a bind mount of $STACK_DIR/hosts/host<i>/srv (deploy path /srv/app)
#   /run/php-deploy   is a bind mount of $STACK_DIR/hosts/host<i>/run (php-fpm socket, pid, log)
# and hostname is host<i>. sshd 10.237.0.(10+i):22 (user deploy, the stack's client key), php-fpm 8.2
# master as deploy (pm static, 2 children), nginx on 10.237.0.(10+i):80 and 127.0.0.1:80 serving
# /srv/app/current/public with $realpath_root. MariaDB and memcached are the stack's, reached through
# socat relays on 10.237.0.1:3306 and 10.237.0.1:11211.
set -euo pipefail

STACK_DIR=${STACK_DIR:-/opt/php-deploy-stack}
readonly STACK_DIR
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly SCRIPT_DIR
# shellcheck source=test/stack/lib.sh
source "$SCRIPT_DIR/lib.sh"
# shellcheck source=test/stack/daemon-configs.sh
source "$SCRIPT_DIR/daemon-configs.sh"

readonly HOSTS_DIR=$STACK_DIR/hosts          # per-host state; a shared bind mount of itself
readonly KNOWN_HOSTS=$HOSTS_DIR/known_hosts
readonly COUNT_FILE=$HOSTS_DIR/count
readonly LOCK_FILE=$STACK_DIR/hosts.lock
readonly RUN_DIR=/run/php-deploy-hosts       # a private bind mount of itself
readonly NS_DIR=$RUN_DIR/ns                  # persistent mount/UTS namespace files
readonly FILL_DIR=$RUN_DIR/fill              # fill-disk staging
readonly NETNS_DIR=/run/netns

readonly DEPLOY_USER=deploy
readonly DEPLOY_HOME=/home/deploy
readonly CLIENT_KEY=$STACK_DIR/ssh/id_ed25519
readonly MY_CNF=$STACK_DIR/my.cnf

readonly BRIDGE=pdbr0
readonly NET_PREFIX=10.237.0
readonly BRIDGE_ADDR=$NET_PREFIX.1
readonly BRIDGE_MAC=02:70:64:00:00:01 # locally administered
readonly MAX_HOSTS=12
readonly DEFAULT_HOSTS=3

# Paths as seen inside every host (the same strings on every host).
readonly DEPLOY_PATH=/srv/app
readonly IN_RUN=/run/php-deploy
readonly FPM_SOCKET=$IN_RUN/php-fpm.sock
readonly FPM_PID_IN=$IN_RUN/php-fpm.pid
readonly FPM_CONFIG_IN=$IN_RUN/php-fpm.conf
readonly RELOAD_COMMAND=/srv/bin/reload-php-fpm
readonly HEALTH_URL=http://127.0.0.1/health
readonly FPM_BIN=/usr/sbin/php-fpm8.2
readonly FPM_CHILDREN=${HOSTS_FPM_CHILDREN:-2}

readonly DB_PORT=3306
readonly MEMCACHED_PORT=11211
readonly RELAY_MAX_CHILDREN=256

readonly DAEMON_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

take_lock() {
  install -d -m 755 "$STACK_DIR"
  exec 9>"$LOCK_FILE"
  flock -w 300 9 || die "another hosts.sh holds $LOCK_FILE"
}

# --- naming --------------------------------------------------------------------------------------

host_dir() { printf '%s/host%s' "$HOSTS_DIR" "$1"; }
host_addr() { printf '%s.%s' "$NET_PREFIX" "$((10 + $1))"; }
netns_name() { printf 'pd-host%s' "$1"; }
veth_name() { printf 'pdv%s' "$1"; }
mnt_file() { printf '%s/host%s.mnt' "$NS_DIR" "$1"; }
uts_file() { printf '%s/host%s.uts' "$NS_DIR" "$1"; }

check_index() {
  if [[ ! $1 =~ ^[0-9]+$ ]] || (($1 < 1 || $1 > MAX_HOSTS)); then
    die "host index must be 1..$MAX_HOSTS: '$1'"
  fi
}

current_count() {
  local n
  n=$(cat "$COUNT_FILE" 2>/dev/null) || n=
  [[ $n =~ ^[0-9]+$ ]] && printf '%s' "$n"
}

require_up() { # require_up <i>: host i is part of the running set
  local n
  n=$(current_count) || die "hosts are not up: run '$0 up' first"
  (($1 <= n)) || die "host $1 is not up (hosts 1..$n are)"
  host_ns_ready "$1" || die "host $1 has no namespaces: run '$0 up $n'"
}

# --- helpers (the shared ones are in lib.sh) -------------------------------------------------------

join_by() { # join_by <separator> <item...>
  local sep=$1 out=
  shift
  while (($# > 0)); do
    out+=${out:+$sep}$1
    shift
  done
  printf '%s' "$out"
}

is_mounted() { mountpoint -q -- "$1" 2>/dev/null; }

ns_inode() { stat -L -c %i -- "$1" 2>/dev/null; }

# pids_in_mnt_ns <ns file>: every process whose mount namespace is the one bound at <ns file>.
pids_in_mnt_ns() {
  local ino
  ino=$(ns_inode "$1") || return 0
  find /proc/[0-9]*/ns/mnt -maxdepth 0 -lname "mnt:?$ino?" 2>/dev/null | cut -d/ -f3
  return 0
}

# --- namespaces ----------------------------------------------------------------------------------

in_host() { # in_host <i> <command...>: run inside host i's network, mount and UTS namespaces
  local i=$1
  shift
  nsenter --net="$NETNS_DIR/$(netns_name "$i")" --mount="$(mnt_file "$i")" --uts="$(uts_file "$i")" \
    -- "$@"
}

host_ns_ready() {
  [[ -e $NETNS_DIR/$(netns_name "$1") ]] && is_mounted "$(mnt_file "$1")" && is_mounted "$(uts_file "$1")"
}

daemon_ok() { # daemon_ok <i> <pidfile> <comm>: alive and inside host i's mount namespace
  local pid ino
  pid_alive "$2" "$3" || return 1
  pid=$(pid_of "$2")
  ino=$(ns_inode "$(mnt_file "$1")") || return 1
  [[ $(readlink "/proc/$pid/ns/mnt" 2>/dev/null) == "mnt:[$ino]" ]]
}

setup_mounts() {
  install -d -m 755 "$HOSTS_DIR" "$RUN_DIR"
  # Namespace files must live on a mount that is not shared: a private bind of RUN_DIR.
  if ! is_mounted "$RUN_DIR"; then
    mount --bind "$RUN_DIR" "$RUN_DIR"
  fi
  mount --make-private "$RUN_DIR"
  install -d -m 700 "$NS_DIR" "$FILL_DIR"
  # HOSTS_DIR is shared so that a mount made there from the machine (fill-disk) propagates into the
  # hosts, whose /srv binds are slaves of it.
  if ! is_mounted "$HOSTS_DIR"; then
    mount --bind "$HOSTS_DIR" "$HOSTS_DIR"
  fi
  mount --make-shared "$HOSTS_DIR"
  # The mount points of /srv and /run/php-deploy inside the hosts (empty directories on the machine;
  # Debian ships /srv).
  [[ -d /srv ]] || install -d -m 755 /srv
  install -d -m 755 "$IN_RUN"
}

setup_bridge() {
  if ! ip link show dev "$BRIDGE" >/dev/null 2>&1; then
    ip link add name "$BRIDGE" type bridge
  fi
  # A fixed address: otherwise the bridge takes the lowest port MAC and changes it when a host's
  # veth goes away, and the other hosts' ARP entries for the bridge address go stale for minutes.
  if [[ $(cat "/sys/class/net/$BRIDGE/address") != "$BRIDGE_MAC" ]]; then
    ip link set dev "$BRIDGE" address "$BRIDGE_MAC"
  fi
  ip addr replace "$BRIDGE_ADDR/24" dev "$BRIDGE"
  ip link set dev "$BRIDGE" up
}

setup_netns() { # setup_netns <i>: namespace, veth pair, address; unblocks a blocked host
  local i=$1 ns veth addr
  ns=$(netns_name "$i")
  veth=$(veth_name "$i")
  addr=$(host_addr "$i")
  if [[ ! -e $NETNS_DIR/$ns ]]; then
    ip netns add "$ns"
  fi
  if ! ip link show dev "$veth" >/dev/null 2>&1; then
    ip -n "$ns" link del dev eth0 2>/dev/null || true
    ip link add name "$veth" type veth peer name eth0 netns "$ns"
    ip link set dev "$veth" master "$BRIDGE"
  fi
  ip link set dev "$veth" up
  ip -n "$ns" link set dev lo up
  ip -n "$ns" addr replace "$addr/24" dev eth0
  ip -n "$ns" link set dev eth0 up
}

# create_mnt_ns <i>: the persistent mount + UTS namespace of host i (its netns must exist).
create_mnt_ns() {
  local i=$1 h mnt uts
  h=$(host_dir "$i")
  mnt=$(mnt_file "$i")
  uts=$(uts_file "$i")
  umount "$mnt" 2>/dev/null || true
  umount "$uts" 2>/dev/null || true
  touch "$mnt" "$uts"
  # --propagation unchanged + make-rslave: nothing made inside leaks out, and mounts made on the
  # machine under HOSTS_DIR (fill-disk) still propagate in. RUN_DIR's copy is dropped inside so the
  # host holds no references to other hosts' namespace files.
  # shellcheck disable=SC2016 # the inner script's "$1".."$4" are expanded by /bin/sh
  if ! nsenter --net="$NETNS_DIR/$(netns_name "$i")" -- \
    unshare --mount="$mnt" --uts="$uts" --propagation unchanged -- /bin/sh -ec '
      mount --make-rslave /
      hostname "$1"
      mount --bind "$2/srv" /srv
      mount --bind "$2/run" "$3"
      umount -l "$4"
    ' sh "host$i" "$h" "$IN_RUN" "$RUN_DIR"; then
    umount "$mnt" 2>/dev/null || true
    umount "$uts" 2>/dev/null || true
    rm -f "$mnt" "$uts"
    die "host $i: could not create its mount namespace"
  fi
}

# --- per-host files ------------------------------------------------------------------------------

setup_host_files() {
  local i=$1 h
  h=$(host_dir "$i")
  install -d -m 700 "$h"
  install -d -m 755 "$h/nginx"
  install -d -m 755 -o "$DEPLOY_USER" -g "$DEPLOY_USER" "$h/run"
  # /srv: root-owned with the sticky bit, writable by deploy (it may create other paths under /srv
  # but cannot remove /srv/bin); /srv/app is the deploy path.
  if ! is_mounted "$h/srv"; then
    install -d -m 1775 -o root -g "$DEPLOY_USER" "$h/srv"
    install -d -m 755 "$h/srv/bin"
    install -d -m 755 -o "$DEPLOY_USER" -g "$DEPLOY_USER" "$h/srv/app"
  fi
  if [[ ! -s $h/ssh_host_ed25519_key || ! -s $h/ssh_host_ed25519_key.pub ]]; then
    rm -f "$h/ssh_host_ed25519_key" "$h/ssh_host_ed25519_key.pub"
    ssh-keygen -q -t ed25519 -N '' -C "php-deploy-host$i" -f "$h/ssh_host_ed25519_key"
  fi
  chmod 600 "$h/ssh_host_ed25519_key"
}

write_sshd_config() {
  local i=$1 h
  h=$(host_dir "$i")
  sshd_config "# php-deploy test host $i: generated by test/stack/hosts.sh" \
    "ListenAddress $(host_addr "$i"):22" "$h/ssh_host_ed25519_key" "$h/sshd.pid" 'UseDNS no' |
    write_if_changed "$h/sshd_config" 644 root:root
}

write_fpm_config() {
  local i=$1 h
  h=$(host_dir "$i")
  fpm_config "; php-deploy test host $i: generated by test/stack/hosts.sh (paths as seen inside the host)" \
    "$FPM_PID_IN" "$IN_RUN/php-fpm.log" "$FPM_SOCKET" "pm = static"$'\n'"pm.max_children = $FPM_CHILDREN" |
    write_if_changed "$h/run/php-fpm.conf" 644 root:root
}

write_reload_script() {
  local i=$1 h
  h=$(host_dir "$i")
  reload_script "$FPM_PID_IN" "$IN_RUN/php-fpm.log" "$IN_RUN/reload-php-fpm.lock" |
    write_if_changed "$h/srv/bin/reload-php-fpm" 755 root:root
}

# One server for whatever name, on the host's address and on 127.0.0.1 inside it (the health check).
write_nginx_config() {
  local i=$1 h
  h=$(host_dir "$i")
  nginx_config "# php-deploy test host $i: generated by test/stack/hosts.sh" 1 "$h/nginx/nginx.pid" \
    "$h/nginx/error.log" 512 "$IN_RUN/nginx-tmp" "$(
      nginx_php_server "$FPM_SOCKET" "\$realpath_root" "$DEPLOY_PATH/current/public" _ \
        "add_header X-Test-Host host$i always;" "$(host_addr "$i"):80 default_server" \
        '127.0.0.1:80 default_server'
    )" | write_if_changed "$h/nginx/nginx.conf" 644 root:root
}

# --- per-host daemons ----------------------------------------------------------------------------

start_sshd() {
  local i=$1 h changed=0
  h=$(host_dir "$i")
  write_sshd_config "$i" && changed=1
  if daemon_ok "$i" "$h/sshd.pid" sshd; then
    if ((changed)); then
      /usr/sbin/sshd -t -f "$h/sshd_config" || die "host $i: sshd config test failed"
      kill -HUP "$(pid_of "$h/sshd.pid")"
    fi
    return 0
  fi
  rm -f "$h/sshd.pid"
  mkdir -p /run/sshd
  chmod 755 /run/sshd
  /usr/sbin/sshd -t -f "$h/sshd_config" || die "host $i: sshd config test failed"
  in_host "$i" /usr/sbin/sshd -f "$h/sshd_config" -E "$h/sshd.log" </dev/null >/dev/null 2>&1 9>&- ||
    { show_log "$h/sshd.log"; die "host $i: sshd failed to start"; }
  wait_for 5 pid_alive "$h/sshd.pid" sshd || { show_log "$h/sshd.log"; die "host $i: sshd did not start"; }
}

start_fpm() {
  local i=$1 h changed=0
  h=$(host_dir "$i")
  write_fpm_config "$i" && changed=1
  write_reload_script "$i" || true
  if daemon_ok "$i" "$h/run/php-fpm.pid" php-fpm8.2; then
    if ((changed)); then
      in_host "$i" runuser -u "$DEPLOY_USER" -- "$RELOAD_COMMAND" >/dev/null ||
        die "host $i: php-fpm reload failed"
    fi
    return 0
  fi
  rm -f "$h/run/php-fpm.pid" "$h/run/php-fpm.sock"
  in_host "$i" env -i PATH="$DAEMON_PATH" HOME="$DEPLOY_HOME" USER="$DEPLOY_USER" \
    LOGNAME="$DEPLOY_USER" LANG=C.UTF-8 runuser -u "$DEPLOY_USER" -- \
    "$FPM_BIN" --fpm-config "$FPM_CONFIG_IN" </dev/null >"$h/run/php-fpm.start.log" 2>&1 9>&- ||
    { cat "$h/run/php-fpm.start.log" >&2; show_log "$h/run/php-fpm.log"; die "host $i: php-fpm failed to start"; }
  wait_for 5 pid_alive "$h/run/php-fpm.pid" php-fpm8.2 ||
    { show_log "$h/run/php-fpm.log"; die "host $i: php-fpm did not start"; }
  wait_for 5 test -S "$h/run/php-fpm.sock" || die "host $i: php-fpm socket missing"
}

start_nginx() {
  local i=$1 h changed=0
  h=$(host_dir "$i")
  write_nginx_config "$i" && changed=1
  local -a ngx=(nginx -p "$h/nginx" -c "$h/nginx/nginx.conf" -e "$h/nginx/error.log")
  if daemon_ok "$i" "$h/nginx/nginx.pid" nginx; then
    if ((changed)); then
      in_host "$i" "${ngx[@]}" -t -q || die "host $i: nginx config test failed"
      kill -HUP "$(pid_of "$h/nginx/nginx.pid")"
    fi
    return 0
  fi
  rm -f "$h/nginx/nginx.pid"
  install -d -m 755 -o "$DEPLOY_USER" -g "$DEPLOY_USER" "$h/run/nginx-tmp"
  in_host "$i" "${ngx[@]}" -t -q || die "host $i: nginx config test failed"
  in_host "$i" "${ngx[@]}" </dev/null >/dev/null 2>&1 9>&- ||
    { show_log "$h/nginx/error.log"; die "host $i: nginx failed to start"; }
  wait_for 5 pid_alive "$h/nginx/nginx.pid" nginx ||
    { show_log "$h/nginx/error.log"; die "host $i: nginx did not start"; }
}

# kill_pids <signal> <pid...>
kill_pids() {
  local sig=$1
  shift
  (($# == 0)) || kill -s "$sig" "$@" 2>/dev/null || true
}

# host_pids <i>: every process in host i's network or mount namespace.
host_pids() {
  local i=$1
  {
    if [[ -e $NETNS_DIR/$(netns_name "$i") ]]; then
      ip netns pids "$(netns_name "$i")" 2>/dev/null || true
    fi
    if is_mounted "$(mnt_file "$i")"; then
      pids_in_mnt_ns "$(mnt_file "$i")"
    fi
  } | sort -u
}

# stop_host_processes <i>: the daemons (by pid file), then anything left in its namespaces.
stop_host_processes() {
  local i=$1 h f pid t
  local -a pids=()
  h=$(host_dir "$i")
  for f in "$h/nginx/nginx.pid:nginx" "$h/run/php-fpm.pid:php-fpm8.2" "$h/sshd.pid:sshd"; do
    if pid_alive "${f%:*}" "${f##*:}"; then pids+=("$(pid_of "${f%:*}")"); fi
  done
  kill_pids TERM "${pids[@]}"
  for ((t = 0; t < 100; t++)); do
    mapfile -t pids < <(
      for pid in "${pids[@]}"; do proc_running "$pid" && echo "$pid"; done
      host_pids "$i"
    )
    ((${#pids[@]} == 0)) && break
    ((t % 20 == 0)) && kill_pids TERM "${pids[@]}"
    sleep 0.05
  done
  if ((${#pids[@]} > 0)); then
    log "host $i: killing leftover processes ${pids[*]}"
    kill_pids KILL "${pids[@]}"
    sleep 0.2
  fi
  rm -f "$h/nginx/nginx.pid" "$h/run/php-fpm.pid" "$h/run/php-fpm.sock" "$h/sshd.pid"
}

# --- fill-disk -----------------------------------------------------------------------------------

host_filled() { is_mounted "$(host_dir "$1")/srv"; }

fill_disk() { # fill_disk <i> <free KiB>
  local i=$1 free_kb=$2 h stage used_kb size_kb avail_kb ballast_kb
  h=$(host_dir "$i")
  stage=$FILL_DIR/host$i
  if host_filled "$i"; then
    echo "host $i: disk already filled ($(df -k --output=avail "$h/srv" | tail -n1 | tr -d ' ') KiB free)"
    return 0
  fi
  install -d -m 700 "$stage" "$stage/disk" "$stage/under"
  used_kb=$(du -sk "$h/srv" | cut -f1)
  size_kb=$((used_kb + free_kb + 4096))
  # The files under the tmpfs stay reachable through a private bind (for unfill-disk).
  mount --bind "$h/srv" "$stage/under"
  mount --make-private "$stage/under"
  mount -t tmpfs -o "size=${size_kb}k,mode=1775,uid=0,gid=$(id -g "$DEPLOY_USER")" pd-fill "$stage/disk"
  if ! cp -a "$h/srv/." "$stage/disk/"; then
    umount "$stage/disk"
    umount "$stage/under"
    die "host $i: could not copy /srv to the small disk"
  fi
  avail_kb=$(df -k --output=avail "$stage/disk" | tail -n1 | tr -d ' ')
  ballast_kb=$((avail_kb - free_kb))
  if ((ballast_kb > 0)); then
    fallocate -l "${ballast_kb}KiB" "$stage/disk/.fill-disk-ballast"
    chmod 600 "$stage/disk/.fill-disk-ballast"
  fi
  # Moving it onto HOSTS_DIR (shared) propagates it into the host's /srv.
  mount --move "$stage/disk" "$h/srv"
  echo "host $i: /srv is now a ${size_kb} KiB tmpfs with $(df -k --output=avail "$h/srv" | tail -n1 | tr -d ' ') KiB free"
}

unfill_disk() { # unfill_disk <i>: copy the files back, drop the tmpfs
  local i=$1 h stage
  h=$(host_dir "$i")
  stage=$FILL_DIR/host$i
  if ! host_filled "$i"; then
    echo "host $i: disk not filled"
    return 0
  fi
  rm -f "$h/srv/.fill-disk-ballast"
  if is_mounted "$stage/under"; then
    rsync -aHAX --delete "$h/srv/" "$stage/under/" || log "host $i: copying /srv back failed"
    umount "$stage/under" || umount -l "$stage/under"
  else
    log "host $i: files under the tmpfs are not reachable; its contents are dropped"
  fi
  umount "$h/srv" 2>/dev/null || umount -l "$h/srv"
  rmdir "$stage/disk" "$stage/under" "$stage" 2>/dev/null || true
  echo "host $i: /srv is back on the machine's disk"
}

# --- relays --------------------------------------------------------------------------------------

start_relay() { # start_relay <name> <port>: socat on BRIDGE_ADDR:<port> -> 127.0.0.1:<port>
  local name=$1 port=$2 pidfile=$HOSTS_DIR/relay-$1.pid logf=$HOSTS_DIR/relay-$1.log
  if pid_alive "$pidfile" socat; then return 0; fi
  setsid socat "TCP-LISTEN:$port,bind=$BRIDGE_ADDR,reuseaddr,fork,max-children=$RELAY_MAX_CHILDREN" \
    "TCP:127.0.0.1:$port" </dev/null >>"$logf" 2>&1 9>&- &
  echo "$!" >"$pidfile"
  wait_for 5 bash -c "exec 3<>/dev/tcp/$BRIDGE_ADDR/$port" ||
    { show_log "$logf"; die "relay $name on $BRIDGE_ADDR:$port did not start"; }
}

stop_relay() {
  local pidfile=$HOSTS_DIR/relay-$1.pid pid t
  if pid_alive "$pidfile" socat; then
    pid=$(pid_of "$pidfile")
    kill "$pid" 2>/dev/null || true
    for ((t = 0; t < 100; t++)); do proc_running "$pid" || break; sleep 0.05; done
    proc_running "$pid" && kill -KILL "$pid" 2>/dev/null
  fi
  rm -f "$pidfile"
}

# --- host lifecycle ------------------------------------------------------------------------------

setup_host() { # setup_host <i> (netns already made)
  local i=$1 h
  if host_filled "$i"; then unfill_disk "$i" >/dev/null; fi
  setup_host_files "$i"
  h=$(host_dir "$i")
  if ! is_mounted "$(mnt_file "$i")" || ! is_mounted "$(uts_file "$i")"; then
    stop_host_processes "$i" # any daemon left from an earlier namespace
    create_mnt_ns "$i"
  elif ! daemon_ok "$i" "$h/sshd.pid" sshd || ! daemon_ok "$i" "$h/run/php-fpm.pid" php-fpm8.2 ||
    ! daemon_ok "$i" "$h/nginx/nginx.pid" nginx; then
    # A daemon died (an orphaned worker may still hold its port): restart the host's processes.
    log "host $i: restarting its daemons"
    stop_host_processes "$i"
  fi
  start_fpm "$i"
  start_nginx "$i"
  start_sshd "$i"
}

host_exists() {
  local i=$1 h
  h=$(host_dir "$i")
  [[ -e $NETNS_DIR/$(netns_name "$i") || -e $(mnt_file "$i") || -e $(uts_file "$i") ]] && return 0
  ip link show dev "$(veth_name "$i")" >/dev/null 2>&1 && return 0
  pid_alive "$h/sshd.pid" sshd || pid_alive "$h/nginx/nginx.pid" nginx ||
    pid_alive "$h/run/php-fpm.pid" php-fpm8.2 || host_filled "$i" || is_mounted "$FILL_DIR/host$i/under"
}

destroy_host() { # destroy_host <i>: processes, mounts, namespaces, veth (files stay)
  local i=$1 f
  stop_host_processes "$i"
  if host_filled "$i"; then unfill_disk "$i" >/dev/null; fi
  for f in "$FILL_DIR/host$i/disk" "$FILL_DIR/host$i/under"; do
    if is_mounted "$f"; then umount "$f" 2>/dev/null || umount -l "$f"; fi
  done
  rm -rf "${FILL_DIR:?}/host$i" 2>/dev/null || true
  for f in "$(mnt_file "$i")" "$(uts_file "$i")"; do
    if is_mounted "$f"; then umount "$f" 2>/dev/null || umount -l "$f"; fi
    rm -f "$f"
  done
  ip link del dev "$(veth_name "$i")" 2>/dev/null || true
  if [[ -e $NETNS_DIR/$(netns_name "$i") ]]; then ip netns del "$(netns_name "$i")"; fi
}

write_known_hosts() { # write_known_hosts <n>
  local n=$1 i type key _
  for ((i = 1; i <= n; i++)); do
    read -r type key _ <"$(host_dir "$i")/ssh_host_ed25519_key.pub"
    printf '%s %s %s\n' "$(host_addr "$i")" "$type" "$key"
  done | write_if_changed "$KNOWN_HOSTS" 644 root:root || true
}

ssh_host() { # ssh_host <i> <command...>
  local i=$1
  shift
  ssh -F /dev/null -i "$CLIENT_KEY" -o UserKnownHostsFile="$KNOWN_HOSTS" -o StrictHostKeyChecking=yes \
    -o BatchMode=yes -o IdentitiesOnly=yes -o ConnectTimeout=10 "$DEPLOY_USER@$(host_addr "$i")" "$@"
}

# verify_host <i>: prints one line; exit 1 on a failure.
verify_host() {
  local i=$1 out code attempt
  local -a fail=()
  # A few attempts: on a loaded machine (parallel test runs) a fresh sshd can be slow to answer.
  for attempt in 1 2 3; do
    fail=()
    out=$(ssh_host "$i" hostname </dev/null 2>&1) || out="ssh failed: $out"
    [[ $out == "host$i" ]] || fail+=("ssh: $out")
    out=$(in_host "$i" env SCRIPT_NAME=/fpm-ping SCRIPT_FILENAME=/fpm-ping REQUEST_METHOD=GET \
      timeout 10 cgi-fcgi -bind -connect "$FPM_SOCKET" 2>/dev/null | tail -n1) || true
    [[ $out == pong ]] || fail+=("php-fpm ping: '$out'")
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "http://$(host_addr "$i")/") || code=none
    [[ $code =~ ^[2-5][0-9][0-9]$ ]] || fail+=("nginx on $(host_addr "$i"):80: $code")
    code=$(in_host "$i" curl -s -o /dev/null -w '%{http_code}' --max-time 10 http://127.0.0.1/) || code=none
    [[ $code =~ ^[2-5][0-9][0-9]$ ]] || fail+=("nginx on 127.0.0.1:80 inside: $code")
    ((${#fail[@]} == 0)) && break
    ((attempt < 3)) && sleep 1
  done
  if ((${#fail[@]} == 0)); then
    printf 'host%-3s ok      deploy@%s (ssh, php-fpm, nginx)\n' "$i" "$(host_addr "$i")"
  else
    printf 'host%-3s FAILED  %s\n' "$i" "$(join_by '; ' "${fail[@]}")"
    return 1
  fi
}

verify_all() { # verify_all <n>: checks run in parallel
  local n=$1 i rc=0 tmp
  local -a pids=()
  tmp=$(mktemp -d)
  for ((i = 1; i <= n; i++)); do
    verify_host "$i" >"$tmp/$i" 2>&1 &
    pids[i]=$!
  done
  for ((i = 1; i <= n; i++)); do
    wait "${pids[i]}" || rc=1
    cat "$tmp/$i"
  done
  rm -rf "$tmp"
  return "$rc"
}

# --- commands ------------------------------------------------------------------------------------

ensure_stack() {
  if ! bash "$SCRIPT_DIR/stack.sh" status >/dev/null 2>&1 || [[ ! -s $CLIENT_KEY ]]; then
    log "starting the local stack (stack.sh start)"
    bash "$SCRIPT_DIR/stack.sh" start >&2 || die "stack.sh start failed"
  fi
  id -u "$DEPLOY_USER" >/dev/null 2>&1 || die "user $DEPLOY_USER missing"
  [[ -s $CLIENT_KEY ]] || die "client key $CLIENT_KEY missing"
}

cmd_up() {
  local n=${1:-$DEFAULT_HOSTS} i rc=0 tmp tool
  if [[ ! $n =~ ^[0-9]+$ ]] || ((n < 1 || n > MAX_HOSTS)); then
    die "host count must be 1..$MAX_HOSTS: '$n'"
  fi
  require_root
  for tool in nsenter unshare socat ip "$FPM_BIN" nginx /usr/sbin/sshd cgi-fcgi rsync; do
    command -v "$tool" >/dev/null || die "$tool missing (stack.sh install; apt-get install socat)"
  done
  take_lock
  ensure_stack
  setup_mounts
  setup_bridge
  start_relay mysql "$DB_PORT"
  start_relay memcached "$MEMCACHED_PORT"
  for ((i = MAX_HOSTS; i > n; i--)); do
    if host_exists "$i"; then
      log "removing host $i"
      destroy_host "$i"
    fi
  done
  # Network namespaces one at a time (the first `ip netns add` sets up /run/netns), then the rest
  # of each host in parallel.
  for ((i = 1; i <= n; i++)); do setup_netns "$i"; done
  tmp=$(mktemp -d)
  local -a pids=()
  for ((i = 1; i <= n; i++)); do
    (setup_host "$i") >"$tmp/$i" 2>&1 &
    pids[i]=$!
  done
  for ((i = 1; i <= n; i++)); do
    if ! wait "${pids[i]}"; then
      rc=1
      log "host $i failed:"
      cat "$tmp/$i" >&2
    fi
  done
  rm -rf "$tmp"
  ((rc == 0)) || die "some hosts failed to start"
  write_known_hosts "$n"
  echo "$n" >"$COUNT_FILE"
  verify_all "$n" || die "some hosts do not answer"
}

cmd_down() {
  local purge=0 i
  [[ ${1:-} == --purge ]] && purge=1
  require_root
  take_lock
  for ((i = 1; i <= MAX_HOSTS; i++)); do
    if host_exists "$i"; then destroy_host "$i"; fi
  done
  stop_relay mysql
  stop_relay memcached
  if ip link show dev "$BRIDGE" >/dev/null 2>&1; then ip link del dev "$BRIDGE"; fi
  if is_mounted "$RUN_DIR"; then umount "$RUN_DIR" 2>/dev/null || umount -l "$RUN_DIR"; fi
  rm -rf "$RUN_DIR"
  if is_mounted "$HOSTS_DIR"; then umount "$HOSTS_DIR" 2>/dev/null || umount -l "$HOSTS_DIR"; fi
  rmdir "$IN_RUN" 2>/dev/null || true
  # /run/netns is made (a shared bind of itself) by `ip netns add`: drop it when nothing is left.
  if [[ -d $NETNS_DIR ]] && [[ -z $(ls -A "$NETNS_DIR") ]]; then
    if is_mounted "$NETNS_DIR"; then umount "$NETNS_DIR" 2>/dev/null || true; fi
    if ! is_mounted "$NETNS_DIR"; then rmdir "$NETNS_DIR" 2>/dev/null || true; fi
  fi
  rm -f "$COUNT_FILE"
  if ((purge)); then
    rm -rf "$HOSTS_DIR"
    echo "hosts down; $HOSTS_DIR removed"
  else
    echo "hosts down (files kept in $HOSTS_DIR; 'down --purge' removes them)"
  fi
}

cmd_status() {
  local n i h down=0 state parts name file comm f
  n=$(current_count) || { echo "hosts are down"; return 1; }
  for name in mysql memcached; do
    if pid_alive "$HOSTS_DIR/relay-$name.pid" socat; then
      printf '%-8s running  (socat pid %s)\n' "relay-$name" "$(pid_of "$HOSTS_DIR/relay-$name.pid")"
    else
      printf '%-8s stopped\n' "relay-$name"
      down=1
    fi
  done
  for ((i = 1; i <= n; i++)); do
    h=$(host_dir "$i")
    parts=()
    if ! host_ns_ready "$i"; then
      printf 'host%-3s down     (no namespaces)\n' "$i"
      down=1
      continue
    fi
    for f in "sshd:$h/sshd.pid:sshd" "php-fpm:$h/run/php-fpm.pid:php-fpm8.2" "nginx:$h/nginx/nginx.pid:nginx"; do
      IFS=: read -r name file comm <<<"$f"
      if daemon_ok "$i" "$file" "$comm"; then
        parts+=("$name $(pid_of "$file")")
      else
        parts+=("$name STOPPED")
        down=1
      fi
    done
    state=running
    if [[ $(cat "/sys/class/net/$(veth_name "$i")/operstate" 2>/dev/null) != up ]]; then state=blocked; fi
    if host_filled "$i"; then
      parts+=("disk filled: $(df -k --output=avail "$h/srv" | tail -n1 | tr -d ' ') KiB free")
    fi
    printf 'host%-3s %-8s %s  (%s)\n' "$i" "$state" "deploy@$(host_addr "$i")" "$(join_by ', ' "${parts[@]}")"
  done
  return "$down"
}

cmd_env() {
  local n i list=() addrs=() roots=()
  n=$(current_count) || die "hosts are not up: run '$0 up' first"
  for ((i = 1; i <= n; i++)); do
    list+=("$DEPLOY_USER@$(host_addr "$i")")
    addrs+=("$(host_addr "$i")")
    roots+=("$(host_dir "$i")/srv/app")
  done
  env_line HOSTS_COUNT "$n"
  env_line HOSTS_LIST "$(IFS=,; echo "${list[*]}")"
  env_line HOSTS_ADDRS "$(IFS=,; echo "${addrs[*]}")"
  env_line HOSTS_SSH_USER "$DEPLOY_USER"
  env_line HOSTS_SSH_PORT 22
  env_line HOSTS_SSH_KEY "$CLIENT_KEY"
  env_line HOSTS_KNOWN_HOSTS "$KNOWN_HOSTS"
  env_line HOSTS_DEPLOY_PATH "$DEPLOY_PATH"
  env_line HOSTS_FPM_SOCKET "$FPM_SOCKET"
  env_line HOSTS_RELOAD_COMMAND "$RELOAD_COMMAND"
  env_line HOSTS_HEALTH_URL "$HEALTH_URL"
  env_line HOSTS_DB_HOST "$BRIDGE_ADDR"
  env_line HOSTS_DB_PORT "$DB_PORT"
  env_line HOSTS_DB_USER app
  env_line HOSTS_DB_PASSWORD app
  env_line HOSTS_MEMCACHED "$BRIDGE_ADDR:$MEMCACHED_PORT"
  env_line HOSTS_ROOTS "$(IFS=,; echo "${roots[*]}")"
  env_line HOSTS_SCRIPT "$SCRIPT_DIR/hosts.sh"
  for ((i = 1; i <= n; i++)); do
    env_line "HOST${i}_ADDR" "$(host_addr "$i")"
    env_line "HOST${i}_ROOT" "$(host_dir "$i")/srv/app"
  done
}

cmd_new_site() {
  local db=${1:-hosts_app} n i dir
  [[ $db =~ ^[A-Za-z0-9_]{1,64}$ ]] || die "database name must match ^[A-Za-z0-9_]{1,64}\$: '$db'"
  require_root
  take_lock
  n=$(current_count) || die "hosts are not up: run '$0 up' first"
  for ((i = 1; i <= n; i++)); do
    dir=$(host_dir "$i")/srv/app/shared
    install -d -o "$DEPLOY_USER" -g "$DEPLOY_USER" -m 755 "$dir"
    write_site_env "$dir" "# host$i: written by test/stack/hosts.sh new-site" "$BRIDGE_ADDR" "$DB_PORT" "$db" \
      "$BRIDGE_ADDR" "$MEMCACHED_PORT"
  done
  mariadb --defaults-file="$MY_CNF" -e "CREATE DATABASE IF NOT EXISTS \`$db\`" ||
    die "could not create database $db (is the stack started?)"
  echo "$DEPLOY_PATH/shared/.env written on hosts 1..$n; database $db"
}

cmd_clean() {
  local n i
  require_root
  take_lock
  n=$(current_count) || die "hosts are not up: run '$0 up' first"
  local -a which=("$@")
  if ((${#which[@]} == 0)); then mapfile -t which < <(seq 1 "$n"); fi
  for i in "${which[@]}"; do
    check_index "$i"
    (( i <= n )) || die "host $i is not up"
    find "$(host_dir "$i")/srv/app" -mindepth 1 -maxdepth 1 -exec rm -rf {} +
  done
  echo "emptied $DEPLOY_PATH on hosts ${which[*]}"
}

cmd_block() { # cmd_block <i> <down|up>
  check_index "$1"
  require_root
  take_lock
  require_up "$1"
  ip link set dev "$(veth_name "$1")" "$2"
  if [[ $2 == down ]]; then echo "host $1 blocked"; else echo "host $1 unblocked"; fi
}

cmd_fill() { # cmd_fill <fill|unfill> <i> [free KiB]
  local what=$1 i=$2 free=${3:-64}
  check_index "$i"
  [[ $free =~ ^[0-9]+$ ]] || die "free KiB must be a number: '$free'"
  require_root
  take_lock
  require_up "$i"
  if [[ $what == fill ]]; then fill_disk "$i" "$free"; else unfill_disk "$i"; fi
}

cmd_exec() {
  local i=$1
  shift
  check_index "$i"
  require_root
  require_up "$i"
  if (($# == 0)); then set -- bash; fi
  exec nsenter --net="$NETNS_DIR/$(netns_name "$i")" --mount="$(mnt_file "$i")" \
    --uts="$(uts_file "$i")" --wd=/ -- "$@"
}

usage() {
  sed -n '2,/^# Layout/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//' >&2
  exit 2
}

main() {
  (($# >= 1)) || usage
  local cmd=$1
  shift
  case $cmd in
  up) (($# <= 1)) || usage; cmd_up "$@" ;;
  down) (($# <= 1)) || usage; cmd_down "$@" ;;
  status) cmd_status ;;
  verify)
    local n
    n=$(current_count) || die "hosts are not up"
    require_root
    verify_all "$n"
    ;;
  env) cmd_env ;;
  new-site) (($# <= 1)) || usage; cmd_new_site "$@" ;;
  clean) cmd_clean "$@" ;;
  block) (($# == 1)) || usage; cmd_block "$1" down ;;
  unblock) (($# == 1)) || usage; cmd_block "$1" up ;;
  fill-disk) (($# >= 1 && $# <= 2)) || usage; cmd_fill fill "$@" ;;
  unfill-disk) (($# == 1)) || usage; cmd_fill unfill "$1" ;;
  exec) (($# >= 1)) || usage; cmd_exec "$@" ;;
  -h | --help | help) usage ;;
  *) usage ;;
  esac
}

main "$@"
