#!/usr/bin/env bash
# Runs every test on a fresh Debian machine: installs what is missing, builds, then runs
#   1. swift test: unit tests, FastCGI transport tests, and integration tests that start the real
#      responder behind real nginx on loopback;
#   2. the browser tests: the settings page in headless Chromium against the real stack;
#   3. the contract tests: openapi.yaml is a valid OpenAPI 3.1 document.
# CI runs this same script (.ci/run).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
root=$(repo_root); cd "$root"

ensure_packages libfcgi-dev libsqlite3-dev libssl-dev pkg-config curl chromium chromium-driver
ensure_nginx
ensure_swift
python3 -c 'import selenium, pytest, yaml, openapi_spec_validator' 2>/dev/null \
    || python3 -m pip install -q --disable-pip-version-check selenium pytest pyyaml openapi-spec-validator

echo "==> swift build (debug, with tests)"
swift build --build-tests 2>&1 | grep -E "error|warning:|Compiling|Build complete" | grep -v "^\[" || true
swift build --build-tests >/dev/null   # fail here, loudly, if the build is broken

echo "==> swift test (unit, transport, integration through nginx)"
swift test --skip-build

echo "==> browser and contract tests (pytest)"
export SWITCHBOARD_BIN="$(swift build --show-bin-path)/switchboard"
python3 -m pytest -q -p no:cacheprovider Tests/browser Tests/contract
