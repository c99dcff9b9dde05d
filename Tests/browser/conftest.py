"""Browser tests against the real stack: the responder and nginx started with deploy/lib.sh, driven by
headless Chromium through Selenium.

Environment: SWITCHBOARD_BIN (default <repo>/.build/debug/switchboard), CHROMIUM (/usr/bin/chromium),
CHROMEDRIVER (/usr/bin/chromedriver), SWITCHBOARD_SCREENSHOT_DIR (when set, tests save screenshots there).
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
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from fake_provider import FakeProvider

REPO = Path(__file__).resolve().parents[2]
TOKEN_PATTERN = re.compile(r"sbk_[A-Za-z0-9_-]+")

# Records Content-Security-Policy violations from the first script on every page (DevTools-injected
# scripts are not subject to the page's CSP).
CSP_WATCH = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
    window.__cspViolations.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline'));
}, true);
"""


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
def running_stack(*serve_args):
    """The responder (with `serve_args` after the binary: `switchboard serve` flags) and nginx, started with
    deploy/lib.sh on a free port in a temp dir of their own, stopped and removed afterwards: yields a Stack."""
    binary = Path(os.environ.get("SWITCHBOARD_BIN") or REPO / ".build/debug/switchboard")
    if not os.access(binary, os.X_OK):
        pytest.fail(f"no switchboard binary at {binary} (build it, or set SWITCHBOARD_BIN)")
    # Under SWITCHBOARD_TEST_ARTIFACTS (deploy/test.sh) the stack's state and logs stay for the canary scan.
    artifacts = os.environ.get("SWITCHBOARD_TEST_ARTIFACTS") or None
    root = Path(tempfile.mkdtemp(prefix="switchboard-browser-", dir=artifacts))
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


@pytest.fixture(scope="session")
def stack():
    with running_stack() as running:
        yield running


@pytest.fixture(scope="session")
def fake_provider():
    """An OpenAI-compatible provider over HTTPS on localhost (Tests/browser/fake_provider.py), for the session."""
    fake = FakeProvider().start()
    yield fake
    fake.close()


@pytest.fixture(scope="session")
def provider_stack(fake_provider):
    """A stack of its own that trusts the fake provider's CA and may reach localhost, so connection tests and
    model discovery run against the fake for real (TLS, the key in the Authorization header)."""
    with running_stack("--outbound-ca-file", fake_provider.ca_file, "--allow-private-host", "localhost") as running:
        yield running


def chromium(*extra_arguments):
    """Headless Chromium with the CSP watch on every page; `extra_arguments` go on its command line."""
    options = Options()
    options.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1280,900", "--force-prefers-reduced-motion", *extra_arguments):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")),
                              options=options)
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": CSP_WATCH})
    return driver


@pytest.fixture
def browser(stack):
    driver = chromium()
    yield driver
    driver.quit()


# MARK: Helpers for the tests


def wait(driver, timeout=10):
    return WebDriverWait(driver, timeout)


def visible(driver, css, timeout=10):
    return wait(driver, timeout).until(EC.visibility_of_element_located((By.CSS_SELECTOR, css)))


def sign_in(driver, stack, token=None):
    """Signs in through the form with the mouse and returns once the settings page shows."""
    driver.get(stack.url("/settings"))
    field = visible(driver, "sign-in-form input[type=password]")
    field.send_keys(token or stack.token)
    driver.find_element(By.CSS_SELECTOR, "sign-in-form button[type=submit]").click()
    visible(driver, "model-provider-section")


def console_errors(driver):
    """SEVERE browser log entries, except the 401s the app expects: probing GET /api/session when signed
    out, and a refused sign-in. Chrome logs every non-2xx fetch as a network error; those two are answers
    the page handles, not faults."""
    expected = re.compile(r"/api/session - Failed to load resource: the server responded with a status of 401")
    return [entry for entry in driver.get_log("browser")
            if entry["level"] == "SEVERE" and not (entry.get("source") == "network" and expected.search(entry["message"]))]


def csp_violations(driver):
    return driver.execute_script("return window.__cspViolations || []")


def screenshot(driver, name):
    directory = os.environ.get("SWITCHBOARD_SCREENSHOT_DIR")
    if directory:
        driver.save_screenshot(str(Path(directory) / name))
