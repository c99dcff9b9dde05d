# Shared by deploy/up.sh, deploy/test.sh and bench/run.sh. Source it; it defines functions only.

repo_root() { cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd; }

# Installs the Debian packages that are missing (apt-get update only when something is).
ensure_packages() {
    local missing=()
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "==> installing ${missing[*]}" >&2
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

# nginx: any of Debian's nginx packages will do.
ensure_nginx() {
    command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || ensure_packages nginx
}

ensure_swift() {
    if ! command -v swift >/dev/null 2>&1; then
        if [ -x /opt/swift/usr/bin/swift ]; then export PATH=/opt/swift/usr/bin:$PATH
        else echo "error: Swift 6 is not installed (expected /opt/swift/usr/bin/swift)" >&2; return 1; fi
    fi
}

nginx_bin() { command -v nginx 2>/dev/null || echo /usr/sbin/nginx; }

# Waits until URL answers 200, up to N tenths of a second.
wait_http() {
    local url=$1 tries=${2:-100}
    for _ in $(seq "$tries"); do
        curl -fsS -o /dev/null "$url" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "error: $url did not answer" >&2
    return 1
}

# Starts the responder and nginx for a local run.
#   start_stack RUN_DIR STATE_DIR LISTEN BINARY [extra serve args...]
# RUN_DIR receives the socket, the rendered nginx config, logs and pid files.
start_stack() {
    local run=$1 state=$2 listen=$3 bin=$4; shift 4
    local root; root=$(repo_root)
    mkdir -p "$run"
    run=$(cd "$run" && pwd)
    ( umask 077; : > "$run/serve.stdout" )
    start_responder "$run" "$state" "$bin" "$@" || return 1
    "$root/deploy/nginx-render.sh" "$run/nginx" "$listen" "$run/fcgi.sock" "$root/web" >/dev/null
    "$(nginx_bin)" -c "$run/nginx/nginx.conf" -e "$run/nginx/logs/error.log" </dev/null
}

#   start_responder RUN_DIR STATE_DIR BINARY [extra serve args...]
# Starts (or restarts, after a crash) only the responder on RUN_DIR/fcgi.sock; its stdout is appended to
# RUN_DIR/serve.stdout, its log to RUN_DIR/switchboard.log.
start_responder() {
    local run=$1 state=$2 bin=$3; shift 3
    local group_args=()
    if [ "$(id -u)" = 0 ]; then
        # nginx workers run as www-data: let them reach the socket (0660, group www-data) and nothing else.
        chgrp www-data "$run"; chmod 0750 "$run"
        group_args=(--socket-group www-data)
    fi
    # A socket left by a responder that was killed: remove it so the wait below sees the new one.
    [ -S "$run/fcgi.sock" ] && rm -f "$run/fcgi.sock"
    "$bin" serve --state-dir "$state" --socket "$run/fcgi.sock" "${group_args[@]}" "$@" \
        </dev/null >>"$run/serve.stdout" 2>>"$run/switchboard.log" &
    echo $! > "$run/switchboard.pid"
    for _ in $(seq 100); do [ -S "$run/fcgi.sock" ] && break; sleep 0.1; done
    [ -S "$run/fcgi.sock" ] || { echo "error: the responder did not start; see $run/switchboard.log" >&2; tail -5 "$run/switchboard.log" >&2; return 1; }
}

stop_stack() {
    local run=$1
    if [ -f "$run/nginx/nginx.pid" ]; then
        "$(nginx_bin)" -c "$run/nginx/nginx.conf" -e "$run/nginx/logs/error.log" -s quit 2>/dev/null || true
    fi
    if [ -f "$run/switchboard.pid" ]; then
        local pid; pid=$(cat "$run/switchboard.pid")
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        rm -f "$run/switchboard.pid"
    fi
    for _ in $(seq 50); do [ -f "$run/nginx/nginx.pid" ] || break; sleep 0.1; done
}
