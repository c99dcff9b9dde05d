"""The real stack for the Python test suites (browser, contract): the responder and nginx started with
deploy/lib.sh on a free loopback port, the admin token read from its first start.

Environment: SWITCHBOARD_BIN (default <repo>/.build/debug/switchboard); under SWITCHBOARD_TEST_ARTIFACTS
(deploy/test.sh) each stack's state and logs stay there for the canary scan.
"""

import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
TOKEN_PATTERN = re.compile(r"sbk_[A-Za-z0-9_-]+")


@dataclass
class Stack:
    base_url: str
    token: str
    run_dir: Path

    def url(self, path):
        return self.base_url + path


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _lib(command, *args, log):
    """Runs a deploy/lib.sh function in bash; output goes to `log` (nginx and the responder outlive bash)."""
    script = f'source "$1/deploy/lib.sh" && shift && {command} "$@"'
    with open(log, "ab") as out:
        return subprocess.run(["bash", "-c", script, "bash", str(REPO), *map(str, args)],
                              stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, timeout=60)


def _wait_until(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise RuntimeError(f"timed out waiting for {what}")


def http_get(url, headers=None):
    """(status, headers, body) without following the browser's cookies; errors are answers too."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def remember_secret(secret):
    """A secret the server or a fake made (a pairing code, an OAuth authorization code) cannot carry the CANARYSECRET
    marker: under SWITCHBOARD_TEST_ARTIFACTS it is written to canary-needles.txt there, and the whole-suite canary
    scan (Tests/canary/scan.py) searches every artifact for it too."""
    root = os.environ.get("SWITCHBOARD_TEST_ARTIFACTS")
    if not root or not secret:
        return
    descriptor = os.open(Path(root) / "canary-needles.txt", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.write(descriptor, f"{secret}\n".encode())
    finally:
        os.close(descriptor)


@contextmanager
def running_stack(*serve_args, prefix="switchboard-stack-"):
    """The responder (with `serve_args` after the binary: `switchboard serve` flags) and nginx, started with
    deploy/lib.sh on a free port in a temp dir of their own (named `prefix`…), stopped and removed afterwards:
    yields a Stack."""
    binary = Path(os.environ.get("SWITCHBOARD_BIN") or REPO / ".build/debug/switchboard")
    if not os.access(binary, os.X_OK):
        pytest.fail(f"no switchboard binary at {binary} (build it, or set SWITCHBOARD_BIN)")
    # Under SWITCHBOARD_TEST_ARTIFACTS (deploy/test.sh) the stack's state and logs stay for the canary scan.
    artifacts = os.environ.get("SWITCHBOARD_TEST_ARTIFACTS") or None
    root = Path(tempfile.mkdtemp(prefix=prefix, dir=artifacts))
    # nginx workers run as www-data when we are root: they must traverse the temp root to reach the run dir.
    os.chmod(root, 0o755)
    run_dir, state_dir, log = root / "run", root / "state", root / "stack.log"
    listen = f"127.0.0.1:{_free_port()}"
    base_url = f"http://{listen}"
    try:
        started = _lib("start_stack", run_dir, state_dir, listen, binary, *serve_args, log=log)
        if started.returncode != 0:
            raise RuntimeError("start_stack failed")

        def health_ok():
            try:
                return http_get(base_url + "/api/health")[0] == 200
            except OSError:
                return False

        _wait_until(health_ok, 15, f"{base_url}/api/health")

        def admin_token():
            match = TOKEN_PATTERN.search((run_dir / "serve.stdout").read_text(errors="replace"))
            return match and match.group(0)

        token = _wait_until(admin_token, 10, "the admin token in serve.stdout")
    except Exception:
        for path in (log, run_dir / "switchboard.log", run_dir / "nginx/logs/error.log"):
            if path.exists():
                print(f"--- {path}\n{path.read_text(errors='replace')[-3000:]}")
        _lib("stop_stack", run_dir, log=log)
        if not artifacts:
            shutil.rmtree(root, ignore_errors=True)
        raise
    try:
        yield Stack(base_url=base_url, token=token, run_dir=run_dir)
    finally:
        _lib("stop_stack", run_dir, log=log)
        if not artifacts:
            shutil.rmtree(root, ignore_errors=True)
