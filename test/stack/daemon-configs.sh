# shellcheck shell=bash
# One template per daemon config, used by test/stack/stack.sh (the local stack) and
# test/stack/hosts.sh (the namespace hosts): each prints the config on stdout. Sourced, never run.
# What differs between the two (addresses, paths, pool size, extra lines) is an argument; the rest
# is written once here.

# sshd_config <header> <listen lines> <host key> <pid file> [<extra lines>]: key-only logins for the
# deploy user, forwarding allowed (the tool forwards to php-fpm's socket), sftp. <extra lines> go
# before LogLevel.
sshd_config() {
  local header=$1 listen=$2 host_key=$3 pid_file=$4 extra=${5:-}
  printf '%s\n%s\n' "$header" "$listen"
  cat <<EOF
HostKey $host_key
PidFile $pid_file
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PubkeyAuthentication yes
AuthorizedKeysFile .ssh/authorized_keys
PermitRootLogin no
AllowUsers ${DEPLOY_USER:?}
MaxStartups 100:30:200
MaxSessions 50
AllowTcpForwarding yes
AllowStreamLocalForwarding yes
X11Forwarding no
PrintMotd no
EOF
  if [[ -n $extra ]]; then printf '%s\n' "$extra"; fi
  cat <<'EOF'
LogLevel INFO
Subsystem sftp /usr/lib/openssh/sftp-server
EOF
}

# fpm_config <header lines> <pid file> <error log> <socket> <pm lines>: a php-fpm master and its one
# pool [app]. The master runs as the deploy user (so that user can reload it with USR2): no
# user/group lines. <pm lines> size the pool (pm = dynamic/static and its numbers).
fpm_config() {
  local header=$1 pid_file=$2 error_log=$3 socket=$4 pm=$5
  printf '%s\n' "$header"
  cat <<EOF
[global]
pid = $pid_file
error_log = $error_log
daemonize = yes
process_control_timeout = 10s

[app]
listen = $socket
listen.mode = 0660
$pm
pm.status_path = /fpm-status
ping.path = /fpm-ping
catch_workers_output = yes
clear_env = no
EOF
}

# nginx_config <header> <worker processes> <pid file> <error log> <worker connections> <temp dir>
# <servers>: the main config, nginx running its workers as the deploy user, temp files under
# <temp dir>; <servers> is the text of the server blocks (nginx_php_server), comments included,
# after a blank line.
nginx_config() {
  local header=$1 workers=$2 pid_file=$3 error_log=$4 connections=$5 temp=$6 servers=$7
  cat <<EOF
$header
user ${DEPLOY_USER:?};
worker_processes $workers;
pid $pid_file;
error_log $error_log warn;

events {
    worker_connections $connections;
}

http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    keepalive_timeout 65;
    server_tokens off;
    access_log off;

    client_body_temp_path $temp/client_body;
    proxy_temp_path $temp/proxy;
    fastcgi_temp_path $temp/fastcgi;
    uwsgi_temp_path $temp/uwsgi;
    scgi_temp_path $temp/scgi;

$servers
}
EOF
}

# nginx_php_server <php-fpm socket> <root var> <root> <server_name> <extra line> <listen>...: a server
# for a front controller in <root> (try_files … /index.php), PHP through php-fpm with
# SCRIPT_FILENAME and DOCUMENT_ROOT taken from <root var> ($realpath_root resolves the `current`
# symlink once per request; $document_root does not). <extra line> (or '') follows `index`.
nginx_php_server() {
  local socket=$1 root_var=$2 root=$3 server_name=$4 extra=$5 listen
  shift 5
  echo '    server {'
  for listen in "$@"; do printf '        listen %s;\n' "$listen"; done
  printf '        server_name %s;\n        root %s;\n        index index.php;\n' "$server_name" "$root"
  if [[ -n $extra ]]; then printf '        %s\n' "$extra"; fi
  cat <<EOF

        location / {
            try_files \$uri /index.php\$is_args\$args;
        }

        location ~ \\.php\$ {
            try_files \$uri =404;
            fastcgi_pass unix:$socket;
            include /etc/nginx/fastcgi_params;
            fastcgi_param SCRIPT_FILENAME $root_var\$fastcgi_script_name;
            fastcgi_param DOCUMENT_ROOT $root_var;
        }
    }
EOF
}

# nginx_release_root_server <php-fpm socket> <sites dir> <listen>: an app whose web root is the
# release root (document-root: .), as <site>.root.localhost: the usual nginx PHP config (try_files,
# fastcgi_split_path_info for PATH_INFO), plus what must never be served from a release root:
# dotfiles (.env, .git, .htaccess) and the private directories real apps keep next to their scripts
# (DokuWiki's data, conf, bin, inc).
nginx_release_root_server() {
  local socket=$1 sites=$2 listen=$3
  cat <<EOF
    server {
        listen $listen;
        server_name ~^(?<site>[a-z0-9-]+)\\.root\\.localhost\$;
        root $sites/\$site/current;
        index index.php;

        location ~ /\\.(?!well-known/) {
            deny all;
        }
        location ~ ^/(data|conf|bin|inc|vendor)/ {
            deny all;
        }
        location / {
            try_files \$uri \$uri/ /index.php?\$query_string;
        }
        location ~ [^/]\\.php(/|\$) {
            fastcgi_split_path_info ^(.+?\\.php)(/.*)\$;
            try_files \$fastcgi_script_name =404;
            set \$path_info \$fastcgi_path_info;
            fastcgi_pass unix:$socket;
            include /etc/nginx/fastcgi_params;
            fastcgi_param SCRIPT_FILENAME \$realpath_root\$fastcgi_script_name;
            fastcgi_param DOCUMENT_ROOT \$realpath_root;
            fastcgi_param PATH_INFO \$path_info;
            # Debian's fastcgi_params pass \$host (no port) and a regex server_name: apps that build
            # URLs from HTTP_HOST (WordPress) need the port of this test server.
            fastcgi_param HTTP_HOST \$host:\$server_port;
            fastcgi_param SERVER_NAME \$host;
        }
    }
EOF
}

# reload_script <pid file> <log file> <lock file>: test/stack/reload-php-fpm.sh with its paths.
reload_script() {
  sed -e "s|@PIDFILE@|$1|" -e "s|@LOGFILE@|$2|" -e "s|@LOCKFILE@|$3|" \
    "$(dirname "${BASH_SOURCE[0]}")/reload-php-fpm.sh"
}
