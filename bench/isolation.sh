#!/usr/bin/env bash
# Isolation: slow or hanging providers must not starve the responder. Measures GET /api/config through nginx
# (release build) unloaded, then with 50 connection tests kept in flight against an upstream that answers
# after 5 s, alternating --rounds times, and prints the loaded/unloaded ratios of rps and p99.
#   bench/isolation.sh [--duration 8] [--connections 32] [--rounds 3] [--in-flight 50] [--delay 5]
# Targets (issue 5): rps within 20 % (ratio >= 0.8) and p99 within 20 % (ratio <= 1.2) of the unloaded figure.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../deploy/lib.sh"
root=$(repo_root); cd "$root"

duration=8; connections=32; rounds=3; inflight=50; delay=5
while [ $# -gt 0 ]; do
    case $1 in
        --duration) duration=$2; shift 2 ;;
        --connections) connections=$2; shift 2 ;;
        --rounds) rounds=$2; shift 2 ;;
        --in-flight) inflight=$2; shift 2 ;;
        --delay) delay=$2; shift 2 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done

ensure_packages libfcgi-dev libsqlite3-dev libssl-dev pkg-config curl wrk
ensure_nginx
ensure_swift

echo "==> building Switchboard (release)" >&2
swift build -c release --product switchboard >/dev/null
bin=$(swift build -c release --show-bin-path)/switchboard
work=$(mktemp -d /tmp/switchboard-isolation.XXXXXX); chmod 755 "$work"
loops=()
cleanup() {
    for pid in "${loops[@]}"; do kill "$pid" 2>/dev/null || true; done
    [ -n "${upstream_pid:-}" ] && kill "$upstream_pid" 2>/dev/null || true
    stop_stack "$work/sb" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# The slow upstream: an OpenAI-compatible model list that answers after $delay seconds, one thread per request.
up_port=18491
python3 - "$up_port" "$delay" <<'PY' &
import http.server, sys, time
port, delay = int(sys.argv[1]), float(sys.argv[2])
class Slow(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"   # keeps connections open, as provider APIs do
    def do_GET(self):
        time.sleep(delay)
        body = b'{"object":"list","data":[{"id":"slow-1","object":"model"}]}'
        self.send_response(200); self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
    def log_message(self, *args): pass
class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256   # the default backlog of 5 would refuse most of 50 concurrent connections
Server(("127.0.0.1", port), Slow).serve_forever()
PY
upstream_pid=$!

sb_port=18490
start_stack "$work/sb" "$work/sb-state" "127.0.0.1:$sb_port" "$bin" --allow-insecure-host 127.0.0.1 --allow-private-host 127.0.0.1 --log-level warning
wait_http "http://127.0.0.1:$sb_port/api/health"
token=$(grep -o 'sbk_[A-Za-z0-9_-]*' "$work/sb/serve.stdout" | head -1)
auth=(-H "Authorization: Bearer $token")
json=(-H "Content-Type: application/json")
curl -fsS -X PUT "${auth[@]}" "${json[@]}" "http://127.0.0.1:$sb_port/api/catalog/custom/slowai" \
    -d "{\"id\":\"slowai\",\"name\":\"Slow AI\",\"type\":\"openai\",\"api_endpoint\":\"http://127.0.0.1:$up_port/v1\",\"models\":[{\"id\":\"slow-1\"}]}" >/dev/null
curl -fsS -X POST "${auth[@]}" "${json[@]}" "http://127.0.0.1:$sb_port/api/accounts" \
    -d '{"provider":"slowai","credential":{"kind":"api_key","apiKey":"sk-bench-isolation-0000000000"}}' >/dev/null

measure() {   # prints "rps p99_ms non2xx"
    wrk -t2 -c"$connections" -d2s "${auth[@]}" "$1" >/dev/null 2>&1
    wrk -t2 -c"$connections" -d"${duration}s" --latency "${auth[@]}" "$1" 2>/dev/null | awk '
        /Requests\/sec/ { rps = $2 }
        /^ +99%/ { v = $2; if (v ~ /us$/) { sub(/us/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms/, "", v) } else if (v ~ /s$/) { sub(/s/, "", v); v *= 1000 }; p99 = v }
        /Non-2xx/ { bad = $NF }
        END { printf "%.0f %.2f %s\n", rps, p99, (bad == "" ? 0 : bad) }'
}

start_load() {   # $inflight connections, each always with one connection test waiting on the slow upstream
    # A second wrk keeps them in flight: a lighter load generator than one process per test (or Python
    # threads), whose own CPU would land in the measurement on this 2-core machine.
    printf 'wrk.method = "POST"\nwrk.headers["Authorization"] = "Bearer %s"\n' "$token" > "$work/test.lua"
    wrk -t1 -c"$inflight" -d600s --timeout 60s -s "$work/test.lua" "http://127.0.0.1:$sb_port/api/accounts/slowai:default/test" >/dev/null 2>&1 &
    loops=($!)
    sleep 1.5
}
stop_load() { for pid in "${loops[@]}"; do kill "$pid" 2>/dev/null || true; done; loops=(); sleep "$delay"; }

url="http://127.0.0.1:$sb_port/api/config"
echo "==> GET /api/config, wrk -t2 -c$connections -d${duration}s, $rounds rounds; loaded = $inflight tests in flight on a ${delay}s upstream" >&2
un=(); lo=()
for round in $(seq "$rounds"); do
    un+=("$(measure "$url")")
    start_load
    lo+=("$(measure "$url")")
    waiting=$(curl -fsS "${auth[@]}" "http://127.0.0.1:$sb_port/api/accounts/slowai:default" | grep -o '"status":"[a-z_]*"\|"summary":"[^"]*"' | tr '\n' ' ' || true)
    stop_load
    echo "   round $round: unloaded ${un[-1]% *} | loaded ${lo[-1]% *}   (rps p99ms); account $waiting" >&2
done
mean() { printf '%s\n' "$@" | awk '{ r += $1; p += $2; b += $3 } END { printf "%.0f %.2f %d\n", r / NR, p / NR, b }'; }
read -r un_rps un_p99 un_bad < <(mean "${un[@]}")
read -r lo_rps lo_p99 lo_bad < <(mean "${lo[@]}")
printf '\n%-40s %10s %10s %8s\n' "GET /api/config" "rps" "p99 ms" "non-2xx"
printf '%-40s %10s %10s %8s\n' "unloaded" "$un_rps" "$un_p99" "$un_bad"
printf '%-40s %10s %10s %8s\n' "$inflight tests waiting on the upstream" "$lo_rps" "$lo_p99" "$lo_bad"
awk -v a="$lo_rps" -v b="$un_rps" -v pa="$lo_p99" -v pb="$un_p99" 'BEGIN {
    printf "\nloaded/unloaded rps: %.2f   (target >= 0.80)\n", a / b
    printf "loaded/unloaded p99: %.2f   (target <= 1.20)\n", pa / pb
}'
