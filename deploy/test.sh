#!/usr/bin/env bash
# Runs every test on a fresh Debian machine: installs what is missing, builds, then runs
#   1. swift test: unit tests, FastCGI transport tests, and integration tests that start the real
#      responder behind real nginx on loopback;
#   2. the browser tests: the settings page in headless Chromium against the real stack;
#   3. the contract tests: openapi.yaml is a valid OpenAPI 3.1 document, and Schemathesis's requests made from it
#      get through nginx from the real responder only answers the document promises;
#   4. the canary scan: the fake secrets the tests used (marked CANARYSECRET) appear in no log, database,
#      WAL or other file any test left behind (Tests/canary/scan.py);
#   5. the fake provider CLIs' self-test (Tests/fakes/cli): they print what the real CLIs print.
# CI runs this same script (.ci/run).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
root=$(repo_root); cd "$root"

ensure_packages libfcgi-dev libsqlite3-dev libssl-dev libcurl4-openssl-dev pkg-config curl openssl chromium chromium-driver python3 python3-venv
ensure_nginx
ensure_swift
# The Python test tools: in the python3 on PATH when it has them or may install them, else (Debian's own Python
# refuses system-wide installs, PEP 668) in a virtual environment of their own under .build/.
# Schemathesis and the Hypothesis under it are pinned: what they generate from openapi.yaml changes with their
# versions (Hypothesis 6.170 makes other POST /api/accounts bodies than 6.155, old and new code alike).
# axe-selenium-python is pinned too: it bundles the axe-core the accessibility tests run (3.1 in 2.1.6).
tools=(selenium pytest pyyaml openapi-spec-validator schemathesis==4.32.5 hypothesis==6.155.2 axe-selenium-python==2.1.6)
have='import selenium, pytest, yaml, openapi_spec_validator, axe_selenium_python
from importlib.metadata import version
assert version("schemathesis") == "4.32.5" and version("hypothesis") == "6.155.2"
assert version("axe-selenium-python") == "2.1.6"'
python=python3
if ! "$python" -c "$have" 2>/dev/null \
    && ! "$python" -m pip install -q --disable-pip-version-check "${tools[@]}" 2>/dev/null; then
    venv="$root/.build/test-venv"
    [ -x "$venv/bin/python3" ] || python3 -m venv "$venv"
    "$venv/bin/python3" -c "$have" 2>/dev/null \
        || "$venv/bin/python3" -m pip install -q --disable-pip-version-check "${tools[@]}"
    python="$venv/bin/python3"
fi

echo "==> swift build (debug, with tests)"
swift build --build-tests 2>&1 | grep -E "error|warning:|Compiling|Build complete" | grep -v "^\[" || true
swift build --build-tests >/dev/null   # fail here, loudly, if the build is broken

# Every test's state directory, logs and databases are kept here for the canary scan at the end.
artifacts=$(mktemp -d /tmp/switchboard-test-artifacts.XXXXXX)
chmod 755 "$artifacts"; mkdir -m 700 "$artifacts/tmp"
export SWITCHBOARD_TEST_ARTIFACTS=$artifacts
# Full-page screenshots of every settings section (light and dark, desktop and phone width) stay here afterwards.
export SWITCHBOARD_SCREENSHOT_DIR="${SWITCHBOARD_SCREENSHOT_DIR:-$root/.build/screenshots}"
mkdir -p "$SWITCHBOARD_SCREENSHOT_DIR"

echo "==> swift test (unit, transport, integration through nginx)"
TMPDIR="$artifacts/tmp" swift test --skip-build

echo "==> browser and contract tests (pytest)"
export SWITCHBOARD_BIN="$(swift build --show-bin-path)/switchboard"
"$python" -m pytest -q -p no:cacheprovider Tests/browser Tests/contract Tests/fakes/cli/test_fakes.py

echo "==> canary scan (no fake secret left in plaintext anywhere the suite wrote)"
"$python" Tests/canary/scan.py "$artifacts"
rm -rf "$artifacts"
