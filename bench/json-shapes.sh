#!/usr/bin/env bash
# The responder's CPU per request for the worst JSON body shapes it can be sent (deep, wide, many deep
# subtrees, up to the 1 MiB cap) against a flat body of the same size, on a public route and two admin routes.
# Target: every shape costs at most 3x the flat body (issue 12: parsing is one pass, nesting is limited).
#
#   bench/json-shapes.sh [--size BYTES] [--requests N] [--bin PATH]
# --bin measures another build of `switchboard` (an older commit's, for a before/after).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../deploy/lib.sh"
root=$(repo_root); cd "$root"

args=(); bin=""
while [ $# -gt 0 ]; do
    case $1 in
        --size|--requests) args+=("$1" "$2"); shift 2 ;;
        --bin) bin=$2; shift 2 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done

ensure_packages libfcgi-dev libsqlite3-dev libssl-dev libcurl4-openssl-dev pkg-config curl
ensure_nginx
ensure_swift
if [ -z "$bin" ]; then
    echo "==> building Switchboard (release)" >&2
    swift build -c release --product switchboard >/dev/null
    bin=$(swift build -c release --show-bin-path)/switchboard
fi
work=$(mktemp -d /tmp/switchboard-json.XXXXXX); chmod 755 "$work"
trap 'stop_stack "$work/sb" 2>/dev/null || true; rm -rf "$work"' EXIT
start_stack "$work/sb" "$work/state" 127.0.0.1:18490 "$bin" --log-level warning
token=$(grep -o 'sbk_[A-Za-z0-9_-]*' "$work/sb/serve.stdout" | head -1)
python3 bench/json_shapes.py "$work/sb/fcgi.sock" "$(cat "$work/sb/switchboard.pid")" "$token" "${args[@]}"
