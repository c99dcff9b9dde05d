#!/usr/bin/env bash
# Runs the browser tests (headless Chromium against the real stack). Extra arguments go to pytest.
#   Tests/browser/run.sh [-k name] [-x]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
python3 -c 'import selenium, pytest' 2>/dev/null || python3 -m pip install -q selenium pytest
python3 -m pytest -q Tests/browser "$@"
