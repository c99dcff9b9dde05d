#!/usr/bin/env bash
# Issue 15's routing benchmark. Measures, in one run on this machine:
#   1. POST /api/route through Switchboard behind nginx (nginx.conf.example, as bench/run.sh), with a runtime
#      token and three `anthropic` accounts created through the API (fake keys: routing calls no provider);
#   2. the same POST through the trivial C libfcgi responder (bench/trivial.c) behind its own nginx: the ceiling;
#   3. the peer: LiteLLM's proxy answering POST /chat/completions for one model_name with three deployments,
#      each with `mock_response`: its key check, router and proxy path, with no upstream call.
# Prints rps and p99 for each and the ratios Switchboard/trivial (target: rps >= 0.85) and Switchboard/LiteLLM.
#
#   bench/route.sh [--duration 10] [--connections 32] [--rounds 3] [--log-level info]
#                  [--model anthropic/claude-sonnet-4-5] [--peers-only] [--cli]
# The three are measured alternately, --rounds times each, and the means are compared, as in bench/run.sh.
# Every answer is counted (bench/post-json.lua): one that is not 2xx, or a request left without an answer,
# in the checks before measuring or in any round, stops the run with exit 1, so a broken endpoint can never
# pass for a fast one.
# --cli: the three accounts are Codex CLI accounts (the fake CLIs of Tests/fakes/cli on --cli-path, signed in as
#   the CLI's own sign-in leaves them) and the model codex/gpt-5.1-codex: each decision carries the command to run
#   (argv and environment) instead of a credential.
# --peers-only: sets Switchboard up as usual but neither requires nor measures POST /api/route (for a build
#   without it); the trivial responder and LiteLLM are measured as usual.
#
# LiteLLM is installed, pinned, into a venv kept across runs under ${XDG_CACHE_HOME:-~/.cache}/switchboard-bench.
# It listens on loopback directly (its usual deployment: its own HTTP server, no nginx in front) with one worker
# per core.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../deploy/lib.sh"
root=$(repo_root); cd "$root"

duration=10; connections=32; rounds=3; loglevel=info; threads=4; peers_only=false; cli=false
model=anthropic/claude-sonnet-4-5
while [ $# -gt 0 ]; do
    case $1 in
        --duration) duration=$2; shift 2 ;;
        --connections) connections=$2; shift 2 ;;
        --rounds) rounds=$2; shift 2 ;;
        --log-level) loglevel=$2; shift 2 ;;
        --model) model=$2; shift 2 ;;
        --peers-only) peers_only=true; shift ;;
        --cli) cli=true; model=codex/gpt-5.1-codex; shift ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done

fail() { echo "error: $*" >&2; exit 1; }

# 1.108.7: the newest release whose `proxy` extra resolves from PyPI as reachable here (1.108.8 and later pin
# litellm-proxy-extras / litellm-proxy releases that the index does not have).
litellm_version=1.108.7
venv=${XDG_CACHE_HOME:-$HOME/.cache}/switchboard-bench/litellm-venv

ensure_packages libfcgi-dev libsqlite3-dev libssl-dev libcurl4-openssl-dev pkg-config curl wrk gcc python3
ensure_nginx
ensure_swift
python3 -c 'import ensurepip, venv' 2>/dev/null || ensure_packages python3-venv

installed_litellm() { "$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("litellm"))' 2>/dev/null; }
if [ "$(installed_litellm)" != "$litellm_version" ]; then
    echo "==> installing litellm[proxy]==$litellm_version into $venv (a few minutes, once)" >&2
    mkdir -p "$(dirname "$venv")"
    [ -x "$venv/bin/pip" ] || python3 -m venv "$venv"
    "$venv/bin/pip" install -q "litellm[proxy]==$litellm_version" >&2
fi
[ "$(installed_litellm)" = "$litellm_version" ] || fail "litellm $litellm_version did not install into $venv"

echo "==> building Switchboard (release) and the trivial responder" >&2
swift build -c release --product switchboard >/dev/null
bin=$(swift build -c release --show-bin-path)/switchboard
work=$(mktemp -d /tmp/switchboard-route.XXXXXX); chmod 755 "$work"
gcc -O2 -o "$work/trivial" bench/trivial.c -lfcgi -lpthread

cleanup() {
    stop_stack "$work/sb" 2>/dev/null || true
    "$(nginx_bin)" -c "$work/tr/nginx/nginx.conf" -e "$work/tr/nginx/logs/error.log" -s quit 2>/dev/null || true
    # libfcgi turns SIGTERM into a flag nobody reads in this trivial program: kill it outright.
    [ -n "${trivial_pid:-}" ] && { kill -KILL "$trivial_pid"; wait "$trivial_pid"; } 2>/dev/null || true
    # LiteLLM runs in a session of its own (setsid): its process group is its pid, gunicorn's workers included.
    # SIGINT is gunicorn's quick shutdown (SIGTERM waits for a graceful one).
    if [ -n "${litellm_pid:-}" ]; then
        kill -INT -- "-$litellm_pid" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 -- "-$litellm_pid" 2>/dev/null || break; sleep 0.1; done
        { kill -KILL -- "-$litellm_pid"; wait "$litellm_pid"; } 2>/dev/null || true
    fi
    sleep 0.3; rm -rf "$work"
}
trap cleanup EXIT

sb_port=18495; tr_port=18496; ll_port=18497

# --- Switchboard, and the state a decision needs ------------------------------------------------------------
cli_args=()
if $cli; then
    mkdir -p "$work/cli-bin"
    for f in codex _fakecli.py; do ln -s "$root/Tests/fakes/cli/$f" "$work/cli-bin/$f"; done
    cli_args=(--cli-path "$work/cli-bin" --cli-scan-interval 0)
fi
start_stack "$work/sb" "$work/sb-state" "127.0.0.1:$sb_port" "$bin" --accept-threads "$threads" --log-level "$loglevel" "${cli_args[@]}"
sb=http://127.0.0.1:$sb_port
wait_http "$sb/api/health"
admin=$(grep -o 'sbk_[A-Za-z0-9_-]*' "$work/sb/serve.stdout" | head -1)
[ -n "$admin" ] || fail "the first start printed no admin token (see $work/sb/serve.stdout)"

# call EXPECTED_STATUS METHOD URL TOKEN [BODY]: the answer's body on stdout; any other status is fatal.
call() {
    local expected=$1 method=$2 url=$3 token=$4 body=${5:-} status
    local args=(-sS -o "$work/answer" -w '%{http_code}' -X "$method")
    [ -n "$token" ] && args+=(-H "Authorization: Bearer $token")
    [ -n "$body" ] && args+=(-H 'Content-Type: application/json' --data-binary "$body")
    status=$(curl "${args[@]}" "$url") || fail "$method $url: no answer"
    [ "$status" = "$expected" ] || fail "$method $url answered $status, not $expected: $(head -c 400 "$work/answer")"
    cat "$work/answer"
}

accounts=()
if $cli; then
    call 200 POST "$sb/api/cli/scan" "$admin" >/dev/null
    for n in 1 2 3; do
        id=codex:bench-$n
        home=$(call 201 POST "$sb/api/cli/codex/accounts" "$admin" "{\"id\":\"$id\"}" |
            python3 -c 'import json, sys; print(json.load(sys.stdin)["home"])')
        echo '{"email": "bench@example.com", "plan": "pro"}' > "$home/.fake-session"
        status=$(call 200 POST "$sb/api/cli/codex/accounts/$id/check" "$admin" | grep -o '"status":"[a-z_]*"' | head -1)
        echo "==> CLI account $id ($status)" >&2
        accounts+=("$id")
    done
fi
for n in 1 2 3; do
    $cli && break
    id=anthropic:bench-$n
    key=sk-ant-api03-bench-fake-key-$n-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
    call 201 POST "$sb/api/accounts" "$admin" \
        "{\"id\":\"$id\",\"provider\":\"anthropic\",\"displayName\":\"bench $n\"}" >/dev/null
    status=$(call 200 PUT "$sb/api/accounts/$id/credential" "$admin" "{\"kind\":\"api_key\",\"apiKey\":\"$key\"}" |
        grep -o '"status":"[a-z_]*"' | head -1)
    echo "==> account $id with a fake API key ($status)" >&2
    accounts+=("$id")
done

runtime=""
if runtime=$("$bin" token create --state-dir "$work/sb-state" --name bench --scope runtime 2>"$work/token.err"); then
    runtime=${runtime%%$'\n'*}   # the token is the first line
    echo "==> runtime token created (token create --scope runtime)" >&2
elif $peers_only; then
    echo "    (token create --scope runtime failed: $(head -1 "$work/token.err"); not needed with --peers-only)" >&2
else
    fail "switchboard token create --scope runtime failed: $(cat "$work/token.err")"
fi

route_body="{\"model\":\"$model\"}"
if ! $peers_only; then
    # The decision must name one of the three accounts, or nothing below means anything.
    decision=$(call 200 POST "$sb/api/route" "$runtime" "$route_body")
    chosen=$(printf '%s' "$decision" | python3 -c 'import json, sys
a = json.load(sys.stdin).get("account")
print(a.get("id") if isinstance(a, dict) else a)' 2>/dev/null || true)
    printf '%s\n' "${accounts[@]}" | grep -qxF "$chosen" ||
        fail "POST /api/route chose \"$chosen\", not one of ${accounts[*]}: $decision"
    echo "==> POST /api/route $route_body -> $chosen: $(printf '%s' "$decision" | head -c 300)" >&2
fi

# --- the trivial responder ------------------------------------------------------------------------------------
mkdir -p "$work/tr"
"$work/trivial" "$work/tr/trivial.sock" "$threads" </dev/null >/dev/null 2>&1 & trivial_pid=$!
sleep 0.2
deploy/nginx-render.sh "$work/tr/nginx" "127.0.0.1:$tr_port" "$work/tr/trivial.sock" "$root/web" >/dev/null
"$(nginx_bin)" -c "$work/tr/nginx/nginx.conf" -e "$work/tr/nginx/logs/error.log"
wait_http "http://127.0.0.1:$tr_port/api/health"
call 200 POST "http://127.0.0.1:$tr_port/api/route" "" "$route_body" >/dev/null

# --- LiteLLM's proxy ------------------------------------------------------------------------------------------
# The peer routes an API model even with --cli (LiteLLM has no provider CLI accounts to compare with).
peer_model=$model
$cli && peer_model=anthropic/claude-sonnet-4-5
ll_model=${peer_model#*/}
ll_key=sk-bench-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
{
    echo "model_list:"
    for n in 1 2 3; do
        echo "  - model_name: $ll_model"
        echo "    litellm_params:"
        echo "      model: $peer_model"
        echo "      api_key: sk-ant-api03-bench-fake-key-$n"
        echo "      mock_response: \"hi from deployment $n\""
    done
    echo "general_settings:"
    echo "  master_key: $ll_key"
} > "$work/litellm.yaml"
# The model cost map is otherwise fetched from the internet at start-up (and retried for seconds). Gunicorn, not
# uvicorn's own workers: uvicorn's supervisor kills and restarts a worker that misses its health check, and a
# worker still importing the proxy (about 20 s here) always does, so with 2 workers none ever came up.
LITELLM_LOCAL_MODEL_COST_MAP=True setsid "$venv/bin/litellm" --config "$work/litellm.yaml" \
    --host 127.0.0.1 --port "$ll_port" --num_workers "$(nproc)" --run_gunicorn </dev/null >"$work/litellm.log" 2>&1 &
litellm_pid=$!
ll=http://127.0.0.1:$ll_port
wait_http "$ll/health/liveliness" 600 || { tail -20 "$work/litellm.log" >&2; exit 1; }
ll_body="{\"model\":\"$ll_model\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"
answer=$(call 200 POST "$ll/chat/completions" "$ll_key" "$ll_body")
printf '%s' "$answer" | grep -q '"content":"hi from deployment [123]"' ||
    fail "LiteLLM's answer is not a mock response: $(printf '%s' "$answer" | head -c 400)"
echo "==> LiteLLM $(installed_litellm), $(nproc) workers: POST /chat/completions ->" \
    "$(printf '%s' "$answer" | grep -o '"content":"[^"]*"')" >&2

# --- measuring ------------------------------------------------------------------------------------------------
# load NAME URL BODY TOKEN SECONDS [wrk args...]: one wrk run into $work/wrk.out; exits the script when any answer
# was not 2xx or a request went unanswered (wrk's socket errors, timeouts included).
load() {
    local name=$1 url=$2 body=$3 token=$4 seconds=$5; shift 5
    BENCH_BODY=$body BENCH_TOKEN=$token wrk -t2 -c"$connections" -d"${seconds}s" --timeout 10s "$@" \
        -s "$root/bench/post-json.lua" "$url" >"$work/wrk.out" 2>"$work/wrk.err" ||
        { cat "$work/wrk.err" >&2; fail "wrk failed on $name"; }
    local ok bad errors
    ok=$(sed -n 's/^answers: \([0-9]*\) ok.*/\1/p' "$work/wrk.out")
    bad=$(sed -n 's/^answers: [0-9]* ok, \([0-9]*\) not 2xx/\1/p' "$work/wrk.out")
    errors=$(grep '^ *Socket errors' "$work/wrk.out" || true)
    if [ -z "$ok" ] || [ "$ok" = 0 ] || [ "$bad" != 0 ] || [ -n "$errors" ]; then
        cat "$work/wrk.out" >&2
        fail "$name: ${bad:-?} answers not 2xx, ${ok:-0} ok${errors:+; $errors}"
    fi
}

# measure NAME URL BODY TOKEN: a 2 s warm-up, then the measured run; prints "rps p99_ms".
measure() {
    load "$1 (warm-up)" "$2" "$3" "$4" 2
    load "$1" "$2" "$3" "$4" "$duration" --latency
    awk '
        /Requests\/sec/ { rps = $2 }
        /^ +99%/ { v = $2; if (v ~ /us$/) { sub(/us/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms/, "", v) } else if (v ~ /s$/) { sub(/s/, "", v); v *= 1000 }; p99 = v }
        END { printf "%.0f %.2f\n", rps, p99 }' "$work/wrk.out"
}

# LiteLLM's workers import lazily on their first requests (the very first answer took 1.2 s, and a first round
# after only the 2 s warm-up measured a third of the later ones): give it 10 s of load once before the rounds.
load "LiteLLM (first warm-up)" "$ll/chat/completions" "$ll_body" "$ll_key" 10

echo "==> wrk -t2 -c$connections -d${duration}s x $rounds rounds, $threads responder threads, log level $loglevel; load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
sb_all=(); tr_all=(); ll_all=()
for round in $(seq "$rounds"); do
    line="   round $round:"
    if ! $peers_only; then
        sb_all+=("$(measure "Switchboard POST /api/route" "$sb/api/route" "$route_body" "$runtime")")
        line+=" route ${sb_all[-1]} |"
    fi
    tr_all+=("$(measure "trivial POST /api/route" "http://127.0.0.1:$tr_port/api/route" "$route_body" "")")
    ll_all+=("$(measure "LiteLLM POST /chat/completions" "$ll/chat/completions" "$ll_body" "$ll_key")")
    echo "$line trivial ${tr_all[-1]} | LiteLLM ${ll_all[-1]}   (rps p99ms)" >&2
done
mean() { printf '%s\n' "$@" | awk '{ r += $1; p += $2 } END { printf "%.0f %.2f\n", r / NR, p / NR }'; }
read -r tr_rps tr_p99 < <(mean "${tr_all[@]}")
read -r ll_rps ll_p99 < <(mean "${ll_all[@]}")

printf '\n%-48s %10s %10s\n' "target (all answers 2xx)" "rps" "p99 ms"
if ! $peers_only; then
    read -r sb_rps sb_p99 < <(mean "${sb_all[@]}")
    printf '%-48s %10s %10s\n' "Switchboard POST /api/route" "$sb_rps" "$sb_p99"
fi
printf '%-48s %10s %10s\n' "trivial C libfcgi, the same POST" "$tr_rps" "$tr_p99"
printf '%-48s %10s %10s\n' "LiteLLM $litellm_version POST /chat/completions (mock)" "$ll_rps" "$ll_p99"
echo
if $peers_only; then
    awk -v l="$ll_rps" -v t="$tr_rps" -v pl="$ll_p99" -v pt="$tr_p99" 'BEGIN {
        printf "LiteLLM/trivial rps:      %.3f\n", l / t
        printf "LiteLLM/trivial p99:      %.1f\n", pl / pt
    }'
    echo "(--peers-only: Switchboard's POST /api/route was not measured)"
else
    awk -v s="$sb_rps" -v t="$tr_rps" -v l="$ll_rps" -v ps="$sb_p99" -v pt="$tr_p99" -v pl="$ll_p99" 'BEGIN {
        printf "route/trivial rps:        %.2f   (target >= 0.85)\n", s / t
        printf "route/trivial p99:        %.2f\n", ps / pt
        printf "route/LiteLLM rps:        %.1f\n", s / l
        printf "route/LiteLLM p99:        %.3f\n", ps / pl
    }'
fi
