"""Browser tests against the real stack: the responder and nginx started with deploy/lib.sh, driven by
headless Chromium through Selenium.

Environment: SWITCHBOARD_BIN (default <repo>/.build/debug/switchboard), CHROMIUM (/usr/bin/chromium),
CHROMEDRIVER (/usr/bin/chromedriver), SWITCHBOARD_SCREENSHOT_DIR (when set, tests save screenshots there).
"""

import os
import re
import sys
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

# The stack helpers are shared with the contract tests (Tests/live_stack.py), the fakes with the Swift suites
# (Tests/fakes); tests import them from here.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from fakes.provider import FakeProvider  # noqa: E402
from live_stack import http_get, remember_secret, running_stack  # noqa: E402,F401

# Records Content-Security-Policy violations from the first script on every page (DevTools-injected
# scripts are not subject to the page's CSP).
CSP_WATCH = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
    window.__cspViolations.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline'));
}, true);
"""


@pytest.fixture(scope="session")
def stack():
    with running_stack(prefix="switchboard-browser-") as running:
        yield running


@pytest.fixture(scope="session")
def fake_provider():
    """An OpenAI-compatible provider over HTTPS on localhost (Tests/fakes/provider.py), for the session."""
    fake = FakeProvider().start()
    yield fake
    fake.close()


@pytest.fixture(scope="session")
def provider_stack(fake_provider):
    """A stack of its own that trusts the fake provider's CA and may reach localhost, so connection tests and
    model discovery run against the fake for real (TLS, the key in the Authorization header)."""
    with running_stack("--outbound-ca-file", fake_provider.ca_file, "--allow-private-host", "localhost",
                       prefix="switchboard-browser-") as running:
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
    """A wait whose condition is looked at again when the page replaced an element it had found (a view that
    re-renders mid-poll): a stale element is not an answer, only a reason to look again."""
    return WebDriverWait(driver, timeout, ignored_exceptions=(NoSuchElementException, StaleElementReferenceException))


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


def full_screenshot(driver, name):
    """A screenshot of the whole page, when SWITCHBOARD_SCREENSHOT_DIR is set: the viewport is made as tall as the
    page for the shot (DevTools' captureBeyondViewport laid scrolled tables out differently), then put back."""
    directory = os.environ.get("SWITCHBOARD_SCREENSHOT_DIR")
    if not directory:
        return
    width, height = driver.execute_script("return [window.innerWidth, window.innerHeight]")
    content = driver.execute_script("return document.documentElement.scrollHeight")
    mobile = width < 500
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": min(content, 16000), "deviceScaleFactor": 1, "mobile": mobile})
    try:
        driver.save_screenshot(str(Path(directory) / name))
    finally:
        if mobile:
            driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                   {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": True})
        else:
            driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def phone(driver, on=True, width=390, height=844):
    """Emulates a phone's viewport (a window cannot be made narrower than 500 px in headless Chromium)."""
    if on:
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                               {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": True})
    else:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def color_scheme(driver, scheme):
    """Emulates prefers-color-scheme (`light` or `dark`) for the page."""
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": scheme}]})


def api_call(stack, method, path, body=None, token=None, content_type="application/json", headers=None):
    """(status, parsed body or None) from the API with the admin token (or `token`); errors are answers too."""
    import json
    import urllib.error
    import urllib.request
    data = None if body is None else json.dumps(body).encode()
    sent = {"Accept": "application/json, application/problem+json", "Authorization": f"Bearer {token or stack.token}"}
    if data is not None:
        sent["Content-Type"] = content_type
    sent.update(headers or {})
    request = urllib.request.Request(stack.url(path), data=data, method=method, headers=sent)
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as error:
        raw = error.read()
        return error.code, json.loads(raw) if raw else None


def patch_settings(stack, patch):
    """Changes the settings document through the API (If-Match the current revision); returns the new view."""
    status, view = api_call(stack, "GET", "/api/config")
    assert status == 200
    status, body = api_call(stack, "PATCH", "/api/config", patch, content_type="application/merge-patch+json",
                            headers={"If-Match": f'"{view["revision"]}"'})
    assert status == 200, body
    return body


def settings(stack):
    status, view = api_call(stack, "GET", "/api/config")
    assert status == 200
    return view


def picker(driver, css):
    """The <model-picker> at `css` once its providers have loaded from the catalog."""
    element = driver.find_element(By.CSS_SELECTOR, css)
    wait(driver).until(lambda d: len(element.find_elements(By.CSS_SELECTOR, '[data-picker="provider"] option')) > 2)
    return element


def pick(driver, css, reference):
    """Chooses `reference` (provider/model) in the picker at `css`: the provider first, then its model."""
    from selenium.webdriver.support.ui import Select
    element = picker(driver, css)
    Select(element.find_element(By.CSS_SELECTOR, '[data-picker="provider"]')).select_by_value(reference.split("/")[0])
    Select(element.find_element(By.CSS_SELECTOR, '[data-picker="model"]')).select_by_value(reference)
    return element


def picked(element):
    """The model a picker shows as chosen ('' for none)."""
    from selenium.webdriver.support.ui import Select
    return Select(element.find_element(By.CSS_SELECTOR, '[data-picker="model"]')).first_selected_option.get_attribute("value")


def open_section(driver, stack, section):
    """Signs in when needed and opens /settings?section=<section>."""
    driver.get(stack.url(f"/settings?section={section}"))
    if driver.find_elements(By.CSS_SELECTOR, "sign-in-form") or not driver.find_elements(By.CSS_SELECTOR, "settings-page"):
        try:
            field = visible(driver, "sign-in-form input[type=password]", timeout=3)
        except Exception:
            field = None
        if field is not None:
            field.send_keys(stack.token)
            driver.find_element(By.CSS_SELECTOR, "sign-in-form button[type=submit]").click()
    visible(driver, "settings-page .section-title")
