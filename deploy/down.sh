#!/usr/bin/env bash
# Stops what deploy/up.sh started.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
stop_stack "$(repo_root)/.run"
echo "stopped"
