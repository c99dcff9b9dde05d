#!/usr/bin/env bash
# Renders a runnable nginx configuration from nginx.conf.example for a local run (bring-up, tests, bench).
#
#   deploy/nginx-render.sh OUT_DIR LISTEN SOCKET WEB_ROOT
#
# Writes OUT_DIR/nginx.conf (the main file: pid, error log, temp paths) and OUT_DIR/switchboard.conf
# (nginx.conf.example with the four local values). Start with: nginx -c OUT_DIR/nginx.conf
# NGINX_WORKERS (default 1) sets worker_processes.
set -euo pipefail
out=${1:?out dir}; listen=${2:?listen address}; socket=${3:?socket path}; web=${4:?web root}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mkdir -p "$out/logs" "$out/tmp"
out=$(cd "$out" && pwd)

sed -e "s|unix:/run/switchboard/fcgi.sock|unix:$socket|" \
    -e "s|root /usr/share/switchboard/web;|root $web;|" \
    -e "s|listen 127.0.0.1:8080;|listen $listen;|" \
    -e "s|/var/log/nginx/switchboard\.|$out/logs/|g" \
    "$here/nginx.conf.example" > "$out/switchboard.conf"

# As root, workers run as www-data: the responder's socket is 0660 with group www-data, as in production.
user_line=""
if [ "$(id -u)" = 0 ]; then user_line="user www-data www-data;"; fi

cat > "$out/nginx.conf" <<CONF
$user_line
worker_processes ${NGINX_WORKERS:-1};
pid $out/nginx.pid;
error_log $out/logs/error.log warn;
events { worker_connections 4096; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    keepalive_timeout 65;
    client_body_temp_path $out/tmp/body;
    fastcgi_temp_path $out/tmp/fastcgi;
    proxy_temp_path $out/tmp/proxy;
    uwsgi_temp_path $out/tmp/uwsgi;
    scgi_temp_path $out/tmp/scgi;
    access_log off;
    include $out/switchboard.conf;
}
CONF
echo "$out/nginx.conf"
