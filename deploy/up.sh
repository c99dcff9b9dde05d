#!/usr/bin/env bash
# Brings up Switchboard locally: installs what is missing, builds a release, starts the responder and nginx
# on 127.0.0.1:8080 with the state in ./.state, prints the URL (and, on first run, the admin token).
#
#   deploy/up.sh            run in the foreground; Ctrl-C stops both
#   deploy/up.sh --detach   return once it is up; stop with deploy/down.sh
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
root=$(repo_root); cd "$root"

detach=false
listen=127.0.0.1:8080
for arg in "$@"; do
    case $arg in
        --detach|-d) detach=true ;;
        --listen=*) listen=${arg#--listen=} ;;
        -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
        *) echo "unknown option $arg" >&2; exit 2 ;;
    esac
done

ensure_packages libfcgi-dev libsqlite3-dev libssl-dev libcurl4-openssl-dev curl pkg-config
ensure_nginx
ensure_swift

run="$root/.run"
[ -f "$run/switchboard.pid" ] && { echo "==> stopping the previous run"; stop_stack "$run"; }

echo "==> building (release)"
swift build -c release --product switchboard 2>&1 | tail -3
bin=$(swift build -c release --show-bin-path)/switchboard

echo "==> starting the responder and nginx"
start_stack "$run" "$root/.state" "$listen" "$bin"
wait_http "http://$listen/api/health"

echo
echo "Switchboard is up: http://$listen/settings"
if grep -q 'sbk_' "$run/serve.stdout" 2>/dev/null; then
    echo
    echo "First run: the admin token (shown once, sign in with it):"
    grep -o 'sbk_[A-Za-z0-9_-]*' "$run/serve.stdout" | sed 's/^/    /'
fi
rm -f "$run/serve.stdout"
echo "Logs: $run/switchboard.log, $run/nginx/logs/"

if $detach; then
    echo "Stop with: deploy/down.sh"
    exit 0
fi
echo "Ctrl-C stops it."
trap 'echo; echo "==> stopping"; stop_stack "$run"; exit 0' INT TERM
while kill -0 "$(cat "$run/switchboard.pid" 2>/dev/null)" 2>/dev/null; do sleep 1; done
echo "the responder exited; see $run/switchboard.log" >&2
stop_stack "$run"
exit 1
