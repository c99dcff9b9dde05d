#!/usr/bin/env bash
# Runs the browser tests (headless Chromium against the real stack). Extra arguments go to pytest.
#   Tests/browser/run.sh [-k name] [-x]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
python3 -c 'import selenium, pytest, axe_selenium_python' 2>/dev/null || python3 -m pip install -q selenium pytest axe-selenium-python==2.1.6
python3 -m pytest -q Tests/browser "$@"
