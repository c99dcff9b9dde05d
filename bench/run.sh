#!/usr/bin/env bash
# Measures, in one run on this machine, through the same nginx configuration (nginx.conf.example):
#   1. GET /api/health through Switchboard (release build);
#   2. GET /api/config through Switchboard (bearer token: authentication, the cached document);
#   3. a 95 % GET / 5 % PATCH /api/config mix (bench/config-mix.lua; each PATCH a durable commit);
#   4. the same path through a trivial C libfcgi responder (bench/trivial.c): the protocol ceiling;
#   5. the trivial responder answering the very bytes of GET /api/config (the ceiling for that body size);
#   6. a static file served by nginx.
# Prints rps and p99 for each and the ratios Switchboard/trivial and Switchboard/static.
#
#   bench/run.sh [--duration 10] [--connections 32] [--rounds 3] [--log-level info] [--keep-conn]
# Switchboard and the trivial responder are measured alternately, --rounds times each, and the means are
# compared, so a burst of noise on this shared machine does not land on one side only.
# --log-level: the responder's level (info, the default, writes one line per request to its log file).
# --keep-conn measures with `fastcgi_keep_conn on` and an upstream keepalive pool (the pinning hazard).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../deploy/lib.sh"
root=$(repo_root); cd "$root"

duration=10; connections=32; keepconn=false; threads=4; rounds=3; loglevel=info
while [ $# -gt 0 ]; do
    case $1 in
        --duration) duration=$2; shift 2 ;;
        --connections) connections=$2; shift 2 ;;
        --keep-conn) keepconn=true; shift ;;
        --rounds) rounds=$2; shift 2 ;;
        --log-level) loglevel=$2; shift 2 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done

ensure_packages libfcgi-dev libsqlite3-dev libssl-dev libcurl4-openssl-dev pkg-config curl wrk gcc
ensure_nginx
ensure_swift

echo "==> building Switchboard (release) and the trivial responder" >&2
swift build -c release --product switchboard >/dev/null
bin=$(swift build -c release --show-bin-path)/switchboard
work=$(mktemp -d /tmp/switchboard-bench.XXXXXX); chmod 755 "$work"
gcc -O2 -o "$work/trivial" bench/trivial.c -lfcgi -lpthread

cleanup() {
    stop_stack "$work/sb" 2>/dev/null || true
    "$(nginx_bin)" -c "$work/tr/nginx/nginx.conf" -e "$work/tr/nginx/logs/error.log" -s quit 2>/dev/null || true
    # libfcgi turns SIGTERM into a flag nobody reads in this trivial program: kill it outright.
    "$(nginx_bin)" -c "$work/tb/nginx/nginx.conf" -e "$work/tb/nginx/logs/error.log" -s quit 2>/dev/null || true
    [ -n "${trivial_pid:-}" ] && kill -KILL "$trivial_pid" 2>/dev/null || true
    [ -n "${trivial_body_pid:-}" ] && kill -KILL "$trivial_body_pid" 2>/dev/null || true
    sleep 0.3; rm -rf "$work"
}
trap cleanup EXIT

keep_conn() {   # rewrites a rendered site config for keep-conn on
    $keepconn || return 0
    sed -i -e 's/fastcgi_keep_conn off;/fastcgi_keep_conn on;/' \
           -e "s|^\(    server unix:.*\)$|\1\n    keepalive $connections;|" "$1"
}

sb_port=18480; tr_port=18481
start_stack "$work/sb" "$work/sb-state" "127.0.0.1:$sb_port" "$bin" --accept-threads "$threads" --log-level "$loglevel"
if $keepconn; then
    keep_conn "$work/sb/nginx/switchboard.conf"
    "$(nginx_bin)" -c "$work/sb/nginx/nginx.conf" -e "$work/sb/nginx/logs/error.log" -s reload; sleep 0.5
fi
mkdir -p "$work/tr"
"$work/trivial" "$work/tr/trivial.sock" "$threads" </dev/null >/dev/null 2>&1 & trivial_pid=$!
sleep 0.2
deploy/nginx-render.sh "$work/tr/nginx" "127.0.0.1:$tr_port" "$work/tr/trivial.sock" "$root/web" >/dev/null
keep_conn "$work/tr/nginx/switchboard.conf"
"$(nginx_bin)" -c "$work/tr/nginx/nginx.conf" -e "$work/tr/nginx/logs/error.log"
wait_http "http://127.0.0.1:$sb_port/api/health"; wait_http "http://127.0.0.1:$tr_port/api/health"

token=$(grep -o 'sbk_[A-Za-z0-9_-]*' "$work/sb/serve.stdout" | head -1)
export SB_TOKEN=$token
auth=(-H "Authorization: Bearer $token")

# The trivial responder again, answering exactly the bytes GET /api/config answers.
tb_port=18482
mkdir -p "$work/tb"
curl -fsS "${auth[@]}" "http://127.0.0.1:$sb_port/api/config" > "$work/config-body.json"
"$work/trivial" "$work/tb/trivial.sock" "$threads" "$work/config-body.json" </dev/null >/dev/null 2>&1 & trivial_body_pid=$!
sleep 0.2
deploy/nginx-render.sh "$work/tb/nginx" "127.0.0.1:$tb_port" "$work/tb/trivial.sock" "$root/web" >/dev/null
keep_conn "$work/tb/nginx/switchboard.conf"
"$(nginx_bin)" -c "$work/tb/nginx/nginx.conf" -e "$work/tb/nginx/logs/error.log"
wait_http "http://127.0.0.1:$tb_port/api/health"

measure() {   # measure URL [wrk args...]: prints "rps p99_ms non2xx"
    local url=$1; shift
    wrk -t2 -c"$connections" -d2s "$@" "$url" >/dev/null 2>&1   # warm-up
    wrk -t2 -c"$connections" -d"${duration}s" --latency "$@" "$url" 2>"$work/wrk.err" | tee "$work/wrk.out" | awk '
        /Requests\/sec/ { rps = $2 }
        /^ +99%/ { v = $2; if (v ~ /us$/) { sub(/us/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms/, "", v) } else if (v ~ /s$/) { sub(/s/, "", v); v *= 1000 }; p99 = v }
        /Non-2xx/ { bad = $NF }
        END { printf "%.0f %.2f %s\n", rps, p99, (bad == "" ? 0 : bad) }'
}

echo "==> wrk -t2 -c$connections -d${duration}s x $rounds rounds, keep-conn $($keepconn && echo on || echo off), $threads responder threads, log level $loglevel" >&2
sb_all=(); cf_all=(); mx_all=(); tr_all=(); tb_all=(); mix_patches=()
for round in $(seq "$rounds"); do
    sb_all+=("$(measure "http://127.0.0.1:$sb_port/api/health")")
    tr_all+=("$(measure "http://127.0.0.1:$tr_port/api/health")")
    cf_all+=("$(measure "http://127.0.0.1:$sb_port/api/config" "${auth[@]}")")
    tb_all+=("$(measure "http://127.0.0.1:$tb_port/api/config")")
    mx_all+=("$(measure "http://127.0.0.1:$sb_port/api/config" -s "$root/bench/config-mix.lua")")
    mix_patches+=("$(grep -o 'patches: .*' "$work/wrk.out" || echo 'patches: ?')")
    echo "   round $round: health ${sb_all[-1]% *} | trivial ${tr_all[-1]% *} | config ${cf_all[-1]% *} | trivial-same-body ${tb_all[-1]% *} | mix ${mx_all[-1]% *}   (rps p99ms); mix ${mix_patches[-1]}" >&2
done
mean() { printf '%s\n' "$@" | awk '{ r += $1; p += $2; b += $3 } END { printf "%.0f %.2f %d\n", r / NR, p / NR, b }'; }
read -r sb_rps sb_p99 sb_bad < <(mean "${sb_all[@]}")
read -r cf_rps cf_p99 cf_bad < <(mean "${cf_all[@]}")
read -r mx_rps mx_p99 mx_bad < <(mean "${mx_all[@]}")
read -r tr_rps tr_p99 tr_bad < <(mean "${tr_all[@]}")
read -r tb_rps tb_p99 tb_bad < <(mean "${tb_all[@]}")
read -r st_rps st_p99 st_bad < <(measure "http://127.0.0.1:$sb_port/app.css")

printf '\n%-44s %10s %10s %8s\n' "target" "rps" "p99 ms" "non-2xx"
printf '%-44s %10s %10s %8s\n' "Switchboard GET /api/health" "$sb_rps" "$sb_p99" "$sb_bad"
printf '%-44s %10s %10s %8s\n' "Switchboard GET /api/config (bearer)" "$cf_rps" "$cf_p99" "$cf_bad"
printf '%-44s %10s %10s %8s\n' "Switchboard 95% GET / 5% PATCH /api/config" "$mx_rps" "$mx_p99" "$mx_bad"
printf '%-44s %10s %10s %8s\n' "trivial C libfcgi GET /api/health" "$tr_rps" "$tr_p99" "$tr_bad"
printf '%-44s %10s %10s %8s\n' "trivial C answering /api/config's bytes" "$tb_rps" "$tb_p99" "$tb_bad"
printf '%-44s %10s %10s %8s\n' "nginx static /app.css" "$st_rps" "$st_p99" "$st_bad"
echo "mix PATCH outcomes per round (200 = committed, 412 = lost the race to another writer): ${mix_patches[*]}"
echo
awk -v a="$sb_rps" -v b="$tr_rps" -v c="$st_rps" -v pa="$sb_p99" -v pb="$tr_p99" -v cf="$cf_rps" -v pcf="$cf_p99" -v mx="$mx_rps" -v pmx="$mx_p99" -v tb="$tb_rps" -v ptb="$tb_p99" 'BEGIN {
    printf "health/trivial rps:      %.2f   (target >= 0.85)\n", a / b
    printf "health/trivial p99:      %.2f   (target <= 1.5)\n", pa / pb
    printf "config/trivial rps:      %.2f   (target >= 0.85)\n", cf / b
    printf "config/trivial p99:      %.2f\n", pcf / pb
    printf "config/trivial-same-body rps: %.2f   (the same bytes through the protocol ceiling)\n", cf / tb
    printf "config/trivial-same-body p99: %.2f\n", pcf / ptb
    printf "mix/trivial rps:         %.2f\n", mx / b
    printf "mix/trivial p99:         %.2f\n", pmx / pb
    printf "health/static rps:       %.2f\n", a / c
}'
