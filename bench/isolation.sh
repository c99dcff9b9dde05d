#!/usr/bin/env bash
# Isolation: slow or hanging providers must not starve the responder. Measures GET /api/config through nginx
# (release build) unloaded, then with 50 connection tests kept in flight against an upstream that answers
# after 5 s, alternating --rounds times, and prints the loaded/unloaded ratios of rps and p99.
#   bench/isolation.sh [--duration 8] [--connections 32] [--rounds 4] [--in-flight 50] [--delay 5] [--idle] [--burst]
# --idle measures the noise floor: the same schedule with no load started, so "loaded" is a second unloaded run.
# Rounds alternate their order (unloaded first, then loaded first) so drift over the run cancels in the ratio.
# Targets (issue 5): rps within 20 % (ratio >= 0.8) and p99 within 20 % (ratio <= 1.2) of the unloaded figure.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../deploy/lib.sh"
root=$(repo_root); cd "$root"

duration=8; connections=32; rounds=4; inflight=50; delay=5; idle=0; burst=0
while [ $# -gt 0 ]; do
    case $1 in
        --duration) duration=$2; shift 2 ;;
        --connections) connections=$2; shift 2 ;;
        --rounds) rounds=$2; shift 2 ;;
        --in-flight) inflight=$2; shift 2 ;;
        --delay) delay=$2; shift 2 ;;
        --idle) idle=1; shift ;;
        --burst) burst=1; shift ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done

ensure_packages libfcgi-dev libsqlite3-dev libssl-dev libcurl4-openssl-dev pkg-config curl wrk
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

# The slow upstream: an OpenAI-compatible model list that answers after $delay seconds. One asyncio loop in one
# thread (keep-alive, a minimal HTTP/1.1 reader): the load generator's own CPU lands on the same 2 cores as the
# responder, so it is kept as light as possible. (A ThreadingHTTPServer with a thread per request and its
# header parser cost more than the 10 completions a second it serves.)
up_port=18491
python3 - "$up_port" "$delay" "$work/inflight" <<'PY' &
import asyncio, os, sys
port, delay, report = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
waiting = 0
BODY = b'{"object":"list","data":[{"id":"slow-1","object":"model"}]}'
ANSWER = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(BODY), BODY)
async def serve(reader, writer):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            if length:
                await reader.readexactly(length)
            global waiting
            waiting += 1
            try:
                await asyncio.sleep(delay)
            finally:
                waiting -= 1
            writer.write(ANSWER)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()
async def report_waiting():   # how many requests are waiting right now, for the script to sample
    while True:
        with open(report + ".tmp", "w") as f:
            f.write(str(waiting))
        os.replace(report + ".tmp", report)
        await asyncio.sleep(0.2)
async def main():
    asyncio.get_running_loop().create_task(report_waiting())
    server = await asyncio.start_server(serve, "127.0.0.1", port, backlog=256)
    async with server:
        await server.serve_forever()
asyncio.run(main())
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
    if [ "$idle" = 1 ]; then sleep 1.5; return; fi
    # A second wrk keeps them in flight: a lighter load generator than one process per test (or Python
    # threads), whose own CPU would land in the measurement on this 2-core machine.
    printf 'wrk.method = "POST"\nwrk.headers["Authorization"] = "Bearer %s"\n' "$token" > "$work/test.lua"
    if [ "$burst" = 0 ]; then
        # The connections' tests are spread evenly over one upstream delay, so 50 stay in flight with
        # completions spread out (10 a second), as tests from many users would be. With --burst all 50 start
        # at once and complete together every $delay seconds: a burst of 50 completions and 50 new tests.
        printf 'local n = 0\nfunction delay()\n  n = n + 1\n  if n <= %d then return (n - 1) * %d end\n  return 0\nend\n' \
            "$inflight" "$(awk -v d="$delay" -v n="$inflight" 'BEGIN { printf "%d", d * 1000 / n }')" >> "$work/test.lua"
    fi
    wrk -t1 -c"$inflight" -d600s --timeout 60s -s "$work/test.lua" "http://127.0.0.1:$sb_port/api/accounts/slowai:default/test" >/dev/null 2>&1 &
    loops=($!)
    # wrk asks delay() only after a response, so the first round of tests starts together; the staggered
    # second round has all $inflight in flight again after two upstream delays.
    sleep "$([ "$burst" = 0 ] && awk -v d="$delay" 'BEGIN { print 2 * d + 0.5 }' || echo 1.5)"
}
stop_load() {
    for pid in "${loops[@]}"; do kill "$pid" 2>/dev/null || true; done; loops=()
    [ "$idle" = 1 ] || sleep "$delay"
}

url="http://127.0.0.1:$sb_port/api/config"
measure_loaded() {   # measure, and the fewest/most tests the upstream held while it ran ("min-max")
    ( while :; do cat "$work/inflight" 2>/dev/null; echo; sleep 0.5; done ) > "$work/samples" &
    local sampler=$!
    local result; result=$(measure "$url")
    kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null || true
    echo "$result"
}
echo "==> GET /api/config, wrk -t2 -c$connections -d${duration}s, $rounds rounds; loaded = $inflight tests in flight on a ${delay}s upstream" >&2
account() { curl -fsS "${auth[@]}" "http://127.0.0.1:$sb_port/api/accounts/slowai:default" | grep -o '"status":"[a-z_]*"\|"summary":"[^"]*"' | tr '\n' ' ' || true; }
un=(); lo=()
for round in $(seq "$rounds"); do
    if [ $((round % 2)) = 1 ]; then
        un+=("$(measure "$url")")
        start_load; lo+=("$(measure_loaded)"); held=$(grep -E '^[0-9]+$' "$work/samples" | sort -n | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%s-%s", lo, hi }'); waiting=$(account); stop_load
    else
        start_load; lo+=("$(measure_loaded)"); held=$(grep -E '^[0-9]+$' "$work/samples" | sort -n | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%s-%s", lo, hi }'); waiting=$(account); stop_load
        un+=("$(measure "$url")")
    fi
    echo "   round $round: unloaded ${un[-1]% *} | loaded ${lo[-1]% *}   (rps p99ms); tests held by the upstream ${held:-?}; account $waiting" >&2
done
mean() { printf '%s\n' "$@" | awk '{ r += $1; p += $2; b += $3 } END { printf "%.0f %.2f %d\n", r / NR, p / NR, b }'; }
read -r un_rps un_p99 un_bad < <(mean "${un[@]}")
read -r lo_rps lo_p99 lo_bad < <(mean "${lo[@]}")
printf '\n%-40s %10s %10s %8s\n' "GET /api/config" "rps" "p99 ms" "non-2xx"
printf '%-40s %10s %10s %8s\n' "unloaded" "$un_rps" "$un_p99" "$un_bad"
label="$inflight tests waiting on the upstream"; [ "$idle" = 1 ] && label="idle (noise floor, no load)"
printf '%-40s %10s %10s %8s\n' "$label" "$lo_rps" "$lo_p99" "$lo_bad"
awk -v a="$lo_rps" -v b="$un_rps" -v pa="$lo_p99" -v pb="$un_p99" 'BEGIN {
    printf "\nloaded/unloaded rps: %.2f   (target >= 0.80)\n", a / b
    printf "loaded/unloaded p99: %.2f   (target <= 1.20)\n", pa / pb
}'
