"""The Providers & Auth card in a real browser against the real stack: provider tiles from the catalog and the
accounts API, connecting with a key that is never shown again, Reveal and Copy behind a confirmation and in
the audit log, field errors from a 422 that keep the input, a stale account, a base URL that needs the key
confirmed, and Disconnect after showing what depends on the account. The stack is shared: every test uses
account ids of its own and deletes what it created."""

import json
import re
import secrets
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

from conftest import console_errors, csp_violations, screenshot, sign_in, visible

SONNET = "anthropic/claude-sonnet-4-5-20250929"
MVP = ["anthropic", "openai", "google", "openrouter", "zai", "azureOpenai", "bedrock", "vertex"]


def call(stack, method, path, body=None, content_type="application/json", headers=None, token=True):
    """(status, headers, parsed body or None) from the API with the admin token (without it when `token` is False);
    errors are answers too."""
    data = None if body is None else json.dumps(body).encode()
    sent = {"Accept": "application/json, application/problem+json"}
    if token:
        sent["Authorization"] = f"Bearer {stack.token}"
    if data is not None:
        sent["Content-Type"] = content_type
    sent.update(headers or {})
    request = urllib.request.Request(stack.url(path), data=data, method=method, headers=sent)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            raw = response.read()
            return response.status, response.headers, json.loads(raw) if raw else None
    except urllib.error.HTTPError as error:
        raw = error.read()
        return error.code, error.headers, json.loads(raw) if raw else None


def raw_accounts(stack):
    request = urllib.request.Request(stack.url("/api/accounts"), headers={"Authorization": f"Bearer {stack.token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.read().decode()


def accounts(stack):
    return {a["id"]: a for a in json.loads(raw_accounts(stack))["accounts"]}


def create_account(stack, account_id, display_name, key):
    provider = account_id.split(":")[0]
    status, _, body = call(stack, "POST", "/api/accounts", {
        "id": account_id, "provider": provider, "displayName": display_name, "authMethod": "api_key",
        "credential": {"kind": "api_key", "apiKey": key},
    })
    assert status == 201, body
    return body


def given_account(stack, created, provider, prefix, display_name):
    """An account with a stored API key, created through the API and deleted after the test: (id, key)."""
    account_id, key = f"{provider}:{unique(prefix)}", canary_key()
    create_account(stack, account_id, display_name, key)
    created.append(account_id)
    return account_id, key


def audit_events(stack, event_type, account_id):
    status, _, body = call(stack, "GET", f"/api/audit?type={event_type}&limit=200")
    assert status == 200, body
    return [e for e in body["events"] if e["type"] == event_type and e.get("target") == account_id]


def patch_config(stack, patch):
    status, headers, _ = call(stack, "GET", "/api/config")
    assert status == 200
    status, _, body = call(stack, "PATCH", "/api/config", patch, content_type="application/merge-patch+json",
                           headers={"If-Match": headers["ETag"]})
    assert status == 200, body


def unique(prefix):
    return f"{prefix}-{secrets.token_hex(4)}"


def canary_key():
    return f"sk-ant-api03-CANARYSECRETuiKEY-{secrets.token_hex(12)}"


@pytest.fixture
def created(stack):
    """Account ids the test creates (through the page or the API); deleted afterwards."""
    ids = []
    yield ids
    for account_id in ids:
        call(stack, "DELETE", f"/api/accounts/{account_id}")


def unexpected_console_errors(driver, statuses="422"):
    """Console errors, except Chrome's network lines for the refusals a test provokes on purpose."""
    expected = re.compile(rf"/api/accounts\S* - Failed to load resource: the server responded with a status of ({statuses})")
    return [e for e in console_errors(driver) if not (e.get("source") == "network" and expected.search(e["message"]))]


# MARK: Page helpers


def wait(driver, timeout=10):
    """A wait that looks again when the element it read was re-rendered meanwhile."""
    return WebDriverWait(driver, timeout, ignored_exceptions=(NoSuchElementException, StaleElementReferenceException))


def open_providers(driver, stack):
    sign_in(driver, stack)
    visible(driver, "providers-card .provider-tile")


def tile(driver, provider):
    return driver.find_element(By.CSS_SELECTOR, f'providers-card .provider-tile[data-provider="{provider}"]')


def tile_button(driver, provider):
    return tile(driver, provider).find_element(By.CSS_SELECTOR, ".provider-tile__open")


def open_editor(driver, provider, account_id=None):
    """Opens the provider's editor; with `account_id` shows that account, with None a new account's form."""
    tile_button(driver, provider).click()
    visible(driver, "account-editor form")
    wait(driver).until(lambda d: d.switch_to.active_element.get_attribute("id") == "account-editor-title")
    if account_id is None:
        if not driver.find_elements(By.ID, "acct-name"):
            driver.find_element(By.CSS_SELECTOR, 'account-editor [data-op="add-account"]').click()
        visible(driver, "#acct-name")
    else:
        pickers = driver.find_elements(By.ID, "acct-picker")
        if pickers:
            Select(pickers[0]).select_by_value(account_id)
        wait(driver).until(lambda d: account_id in (text_of(d, ".account-status__id") or ""))
    return driver.find_element(By.CSS_SELECTOR, "account-editor")


def replace_text(element, text):
    element.send_keys(Keys.CONTROL, "a")
    element.send_keys(Keys.DELETE)
    element.send_keys(text)


def text_of(driver, css):
    """The text of the first element `css` matches, read in one step (the editor re-renders after a save)."""
    return driver.execute_script("return document.querySelector(arguments[0])?.textContent.trim() ?? null", css)


def editor_status(driver):
    return text_of(driver, "account-editor [data-status-text]")


def dialog(driver):
    return visible(driver, "dialog.account-dialog[open]")


def shot(driver, name, css="providers-card"):
    """A screenshot with `css` scrolled to the top of the window."""
    driver.execute_script("arguments[0].scrollIntoView({block: 'start'})", driver.find_element(By.CSS_SELECTOR, css))
    screenshot(driver, name)


def announced(driver, text):
    wait(driver).until(lambda d: d.find_element(By.ID, "announcer").text == text)


# MARK: Tests


def test_the_tiles_follow_the_catalog_with_the_mvp_providers_first_and_open_with_the_keyboard(browser, stack):
    # Given a custom provider in the catalog
    custom = unique("acme").replace("-", "")
    status, _, body = call(stack, "PUT", f"/api/catalog/custom/{custom}", {
        "id": custom, "name": "Acme LLM", "type": "openai", "api_endpoint": "https://llm.acme.example/v1",
        "models": [{"id": "acme-1", "name": "Acme One"}],
    })
    assert status == 200, body
    try:
        # When the page shows
        open_providers(browser, stack)

        # Then the MVP providers lead in the design's order, the others follow, the custom one is marked
        order = [e.get_attribute("data-provider") for e in browser.find_elements(By.CSS_SELECTOR, ".provider-tile")]
        assert order[:8] == MVP
        assert custom in order[8:]
        assert "Custom" in tile(browser, custom).text
        assert "Custom" not in tile(browser, "anthropic").text
        ours = accounts(stack)
        for provider in order:
            if not any(a["provider"] == provider for a in ours.values()):
                assert "Not configured" in tile(browser, provider).text
                assert tile_button(browser, provider).text == "Connect"
        shot(browser, "switchboard-providers.png")

        # When the custom tile's Connect is pressed with the keyboard
        button = tile_button(browser, custom)
        button.send_keys(Keys.ENTER)

        # Then its editor opens with the focus on its heading, and the tile says it is expanded
        visible(browser, "account-editor form")
        wait(browser).until(lambda d: d.switch_to.active_element.text == "Acme LLM")
        assert tile_button(browser, custom).get_attribute("aria-expanded") == "true"
        api_key = browser.find_element(By.ID, "acct-auth-api_key")
        assert api_key.is_selected() and api_key.is_enabled()
        pairing = browser.find_element(By.ID, "acct-auth-pairing")
        assert pairing.is_enabled() and not pairing.is_selected()
        assert "Run a command on a machine that has a browser" in browser.find_element(By.ID, "acct-auth-pairing-description").text
        assert browser.find_element(By.ID, "acct-name").get_attribute("value") == "default"
        models = [o.text for o in Select(browser.find_element(By.ID, "acct-default-model")).options]
        wait(browser).until(lambda d: "Acme One" in [o.text for o in Select(d.find_element(By.ID, "acct-default-model")).options])
        assert models[0] == "(none)"

        # When the editor is closed, Then the focus is back on the tile's button
        browser.find_element(By.CSS_SELECTOR, 'account-editor [data-op="close"]').send_keys(Keys.ENTER)
        wait(browser).until(lambda d: not d.find_elements(By.CSS_SELECTOR, "account-editor"))
        active = browser.switch_to.active_element
        assert active.get_attribute("data-provider") == custom
        assert active.get_attribute("aria-expanded") == "false"

        # And on a narrow screen the tiles stack in one column
        browser.set_window_size(420, 900)
        columns = browser.execute_script(
            "return getComputedStyle(document.querySelector('.provider-grid')).gridTemplateColumns.split(' ').length")
        assert columns == 1
        shot(browser, "switchboard-providers-narrow.png")
        assert csp_violations(browser) == []
        assert console_errors(browser) == []
    finally:
        call(stack, "DELETE", f"/api/catalog/custom/{custom}")


def test_connecting_anthropic_with_an_api_key_stores_it_and_never_shows_it_again(browser, stack, created):
    # Given the page and a key
    key = canary_key()
    name = unique("ui")
    account_id = f"anthropic:{name}"
    display = f"Canary {name}"
    created.append(account_id)
    open_providers(browser, stack)

    # When Anthropic's editor is opened for a new account
    open_editor(browser, "anthropic")

    # Then the API key method is chosen, OAuth sign-in is offered beside it, and the key field is a masked field
    assert browser.find_element(By.ID, "acct-auth-api_key").is_selected()
    oauth = browser.find_element(By.ID, "acct-auth-oauth_browser")
    assert oauth.is_enabled() and not oauth.is_selected()
    assert "Sign in at the provider in a new tab" in browser.find_element(By.ID, "acct-auth-oauth_browser-description").text
    field = browser.find_element(By.ID, "acct-cred-apiKey")
    assert field.get_attribute("type") == "password"
    assert field.get_attribute("autocomplete") == "off"
    assert field.get_attribute("spellcheck") == "false"

    # When a display name, an account name and the key are typed and saved
    browser.find_element(By.ID, "acct-display-name").send_keys(display)
    replace_text(browser.find_element(By.ID, "acct-name"), name)
    assert browser.find_element(By.CSS_SELECTOR, "[data-id-preview]").text == account_id
    field.send_keys(key)
    browser.find_element(By.CSS_SELECTOR, 'account-editor [data-op="save"]').click()

    # Then the editor shows the stored key's hint, never the key, and the tile shows the account as Untested
    hint = visible(browser, "account-editor [data-hint]")
    assert hint.text.startswith("••••") and hint.text.endswith(key[-4:])
    assert editor_status(browser) == "Untested"
    announced(browser, f"Connected {display}")
    wait(browser).until(lambda d: display in tile(d, "anthropic").text)
    assert "Untested" in tile(browser, "anthropic").text
    assert tile_button(browser, "anthropic").text == "Edit"
    assert browser.find_element(By.ID, "acct-cred-apiKey").get_attribute("value") == ""
    assert key not in browser.page_source
    assert key not in browser.execute_script("return document.documentElement.outerHTML + document.body.innerText")

    # And the server has it, with the hint only
    account = accounts(stack)[account_id]
    assert account["displayName"] == display
    assert account["status"] == "untested"
    assert account["credential"]["hint"].endswith(key[-4:])
    assert key not in raw_accounts(stack)

    # When a new key is typed into the empty field and saved (no disconnect first)
    second = canary_key()
    browser.find_element(By.ID, "acct-cred-apiKey").send_keys(second)
    browser.find_element(By.CSS_SELECTOR, 'account-editor [data-op="save"]').click()

    # Then the hint follows the new key, which is not shown either, and the replacement is audited
    wait(browser).until(lambda d: (text_of(d, "account-editor [data-hint]") or "").endswith(second[-4:]))
    assert accounts(stack)[account_id]["credential"]["hint"].endswith(second[-4:])
    assert second not in browser.page_source
    assert len(audit_events(stack, "credential.replaced", account_id)) == 1
    shot(browser, "switchboard-provider-connected.png", "account-editor")
    assert csp_violations(browser) == []
    assert console_errors(browser) == []


def test_reveal_and_copy_ask_first_and_are_recorded_in_the_audit_log(browser, stack, created):
    # Given an Anthropic account with a stored key, and a browser that may use the clipboard
    account_id, key = given_account(stack, created, "anthropic", "rv", "Reveal test")
    browser.execute_cdp_cmd("Browser.grantPermissions", {
        "origin": stack.base_url, "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]})
    open_providers(browser, stack)
    open_editor(browser, "anthropic", account_id)

    # When Reveal is pressed, Then a dialog states the risk, with the focus on Cancel
    browser.find_element(By.CSS_SELECTOR, 'account-editor [data-op="reveal"]').click()
    box = dialog(browser)
    assert "will be shown on screen and this is recorded in the audit log" in box.text
    assert browser.switch_to.active_element.text == "Cancel"
    screenshot(browser, "switchboard-provider-reveal-dialog.png")

    # When it is cancelled, Then nothing is shown and nothing is audited
    browser.switch_to.active_element.send_keys(Keys.ENTER)
    wait(browser).until(lambda d: not d.find_elements(By.CSS_SELECTOR, "dialog.account-dialog"))
    assert browser.switch_to.active_element.get_attribute("data-op") == "reveal"
    assert audit_events(stack, "credential.revealed", account_id) == []
    assert key not in browser.page_source

    # When it is confirmed
    browser.find_element(By.CSS_SELECTOR, 'account-editor [data-op="reveal"]').click()
    dialog(browser).find_element(By.CSS_SELECTOR, "[data-confirm]").click()

    # Then the key shows, and the audit log has one reveal of this account
    value = visible(browser, "account-editor [data-revealed]")
    wait(browser).until(lambda d: value.text == key)
    assert len(audit_events(stack, "credential.revealed", account_id)) == 1

    # When Hide is pressed, Then the key is gone from the page
    browser.find_element(By.CSS_SELECTOR, 'account-editor [data-op="hide"]').click()
    assert not value.is_displayed()
    assert key not in browser.page_source

    # When Copy is pressed, Then a dialog warns about clipboard history
    browser.find_element(By.CSS_SELECTOR, 'account-editor [data-op="copy"]').click()
    box = dialog(browser)
    assert "Copied secrets can end up in clipboard history. This is recorded in the audit log." in box.text

    # When it is confirmed, Then the key is on the clipboard, the page says so without showing it, and the
    # copy is audited
    box.find_element(By.CSS_SELECTOR, "[data-confirm]").click()
    done = visible(browser, "account-editor [data-copy-done]")
    assert done.text == "The key is on the clipboard."
    clipboard = browser.execute_async_script(
        "const done = arguments[0]; navigator.clipboard.readText().then(done, (e) => done(String(e)));")
    assert clipboard == key
    assert key not in browser.page_source
    assert len(audit_events(stack, "credential.copied", account_id)) == 1
    assert csp_violations(browser) == []
    assert console_errors(browser) == []


def test_a_refused_clipboard_is_said_inline_and_the_key_is_not_shown(browser, stack, created):
    # Given an Anthropic account with a stored key, and a browser that refuses clipboard writes (as it does
    # without permission or focus; headless Chromium grants them, so the refusal is injected)
    account_id, key = given_account(stack, created, "anthropic", "cp", "Clipboard test")
    browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": """
        navigator.clipboard.writeText = () => Promise.reject(new DOMException('Write permission denied.', 'NotAllowedError'));
    """})
    open_providers(browser, stack)
    open_editor(browser, "anthropic", account_id)

    # When Copy is confirmed
    browser.find_element(By.CSS_SELECTOR, 'account-editor [data-op="copy"]').click()
    dialog(browser).find_element(By.CSS_SELECTOR, "[data-confirm]").click()

    # Then the page says nothing was copied, does not show the key, and the server audited the copy it answered
    problem = visible(browser, "account-editor [data-copy-problem]")
    assert "was not copied" in problem.text
    assert not browser.find_element(By.CSS_SELECTOR, "account-editor [data-copy-done]").is_displayed()
    assert not browser.find_element(By.CSS_SELECTOR, "account-editor [data-revealed-box]").is_displayed()
    assert key not in browser.page_source
    assert len(audit_events(stack, "credential.copied", account_id)) == 1
    assert csp_violations(browser) == []
    assert console_errors(browser) == []


def test_a_bad_service_account_key_is_refused_at_its_field_and_stays_as_typed(browser, stack, created):
    # Given Vertex AI's editor for a new account
    name = unique("bad")
    account_id = f"vertex:{name}"
    created.append(account_id)
    open_providers(browser, stack)
    open_editor(browser, "vertex")
    assert browser.find_element(By.ID, "acct-auth-service_account").is_selected()

    # When a key file that is not a service account's is typed and saved
    replace_text(browser.find_element(By.ID, "acct-name"), name)
    area = browser.find_element(By.ID, "acct-cred-json")
    typed = '{"type":"user"}'
    area.send_keys(typed)
    browser.find_element(By.CSS_SELECTOR, 'account-editor [data-op="save"]').click()

    # Then the server's refusal shows at the key field, which keeps what was typed; a banner says it failed
    messages = browser.find_element(By.ID, "acct-cred-json-messages")
    wait(browser).until(lambda d: messages.find_elements(By.CSS_SELECTOR, ".field__error"))
    assert area.get_attribute("aria-invalid") == "true"
    assert "acct-cred-json-messages" in area.get_attribute("aria-describedby").split()
    assert area.get_attribute("value") == typed
    assert browser.find_element(By.ID, "acct-name").get_attribute("value") == name
    banner = browser.find_element(By.CSS_SELECTOR, "account-editor .account-editor__banner")
    assert banner.find_element(By.CSS_SELECTOR, ".error__title").text
    shot(browser, "switchboard-provider-invalid-key.png", "#acct-auth-service_account")

    # And nothing was created
    assert account_id not in accounts(stack)
    assert csp_violations(browser) == []
    assert unexpected_console_errors(browser) == []


def test_a_key_file_loads_into_the_key_field(browser, stack):
    # Given Vertex AI's editor for a new account and a key file on disk
    content = json.dumps({"type": "service_account", "project_id": "demo", "client_email": "x@demo.iam.gserviceaccount.com"})
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "key.json"
        path.write_text(content)
        open_providers(browser, stack)
        open_editor(browser, "vertex")

        # When the file is chosen, Then its text is in the key field and the file picker is empty again
        browser.find_element(By.ID, "acct-cred-file").send_keys(str(path))
        wait(browser).until(lambda d: d.find_element(By.ID, "acct-cred-json").get_attribute("value") == content)
        announced(browser, "key.json loaded into the key field")
    assert csp_violations(browser) == []
    assert console_errors(browser) == []


def test_disconnect_shows_what_depends_on_the_account_and_who_takes_over(browser, stack, created):
    # Given the default model at Anthropic and two Anthropic accounts
    patch_config(stack, {"agents": {"defaults": {"model": {"primary": SONNET}}}})
    first_name, second_name = unique("First"), unique("Second")
    first, _ = given_account(stack, created, "anthropic", "one", first_name)
    second, _ = given_account(stack, created, "anthropic", "two", second_name)
    try:
        open_providers(browser, stack)
        assert first_name in tile(browser, "anthropic").text and second_name in tile(browser, "anthropic").text
        open_editor(browser, "anthropic", first)

        # When Disconnect is pressed on the first
        browser.find_element(By.CSS_SELECTOR, 'account-editor [data-op="disconnect"]').click()

        # Then the dialog lists the default model and names the other account as taking over
        box = dialog(browser)
        assert f"Disconnect {first_name}?" in box.text
        items = [li.text for li in box.find_elements(By.CSS_SELECTOR, "li")]
        assert f"Default model: {SONNET}" in items
        assert second_name in box.find_element(By.CSS_SELECTOR, "[data-takeover]").text
        assert "takes over" in box.find_element(By.CSS_SELECTOR, "[data-takeover]").text
        screenshot(browser, "switchboard-provider-disconnect.png")

        # When it is confirmed
        box.find_element(By.CSS_SELECTOR, "[data-confirm]").click()

        # Then the tile keeps only the other account, the editor shows it, and it is announced
        wait(browser).until(lambda d: first_name not in tile(d, "anthropic").text)
        assert second_name in tile(browser, "anthropic").text
        announced(browser, f"Disconnected {first_name}")
        wait(browser).until(lambda d: second in (text_of(d, ".account-status__id") or ""))

        # And the server no longer has it, and the audit log records the disconnect
        now = accounts(stack)
        assert first not in now and second in now
        assert len(audit_events(stack, "connection.disconnected", first)) == 1
        assert csp_violations(browser) == []
        assert console_errors(browser) == []
    finally:
        patch_config(stack, {"agents": {"defaults": {"model": {"primary": None}}}})


def test_a_new_base_url_needs_the_key_confirmed_before_it_is_used_again(browser, stack, created):
    # Given an Anthropic account with a stored key
    account_id, key = given_account(stack, created, "anthropic", "url", "Proxy test")
    open_providers(browser, stack)
    open_editor(browser, "anthropic", account_id)

    # When its base URL is changed to another address under Advanced and saved
    browser.find_element(By.CSS_SELECTOR, "account-editor [data-advanced] summary").click()
    browser.find_element(By.ID, "acct-base-url").send_keys("https://llm-proxy.example.test/v1")
    browser.find_element(By.CSS_SELECTOR, 'account-editor [data-op="save"]').click()

    # Then the key waits for confirmation and says why
    confirm = visible(browser, 'account-editor [data-op="confirm-key"]')
    assert "The base URL changed; confirm the key for the new address" in browser.find_element(By.ID, "acct-confirm-note").text
    assert editor_status(browser) == "Missing credential"
    account = accounts(stack)[account_id]
    assert account["baseUrl"] == "https://llm-proxy.example.test/v1"
    assert account["credential"]["needsConfirmation"] is True

    # When Confirm key is pressed, Then the stored key is kept and may be used at the new address
    confirm.click()
    wait(browser).until(lambda d: not d.find_elements(By.CSS_SELECTOR, 'account-editor [data-op="confirm-key"]'))
    assert editor_status(browser) == "Untested"
    account = accounts(stack)[account_id]
    assert account["credential"]["needsConfirmation"] is False
    assert account["credential"]["hint"].endswith(key[-4:])
    assert key not in browser.page_source
    assert csp_violations(browser) == []
    assert console_errors(browser) == []


def test_an_account_changed_elsewhere_is_reloaded_and_the_edit_is_kept(browser, stack, created):
    # Given an account open in the editor
    account_id, _ = given_account(stack, created, "anthropic", "stale", "Stale test")
    open_providers(browser, stack)
    open_editor(browser, "anthropic", account_id)

    # When another client renames it behind the page's back, and the page then changes the timeout
    status, _, body = call(stack, "PATCH", f"/api/accounts/{account_id}", {"displayName": "Renamed elsewhere"},
                           content_type="application/merge-patch+json")
    assert status == 200, body
    browser.find_element(By.CSS_SELECTOR, "account-editor [data-advanced] summary").click()
    browser.find_element(By.ID, "acct-timeout").send_keys("45")
    browser.find_element(By.CSS_SELECTOR, 'account-editor [data-op="save"]').click()

    # Then the page says so, shows the new name, and keeps the timeout as typed
    banner = browser.find_element(By.CSS_SELECTOR, "account-editor .account-editor__banner")
    wait(browser).until(lambda d: "changed elsewhere" in banner.text)
    assert browser.find_element(By.ID, "acct-display-name").get_attribute("value") == "Renamed elsewhere"
    assert browser.find_element(By.ID, "acct-timeout").get_attribute("value") == "45"
    assert accounts(stack)[account_id].get("timeoutSeconds") is None

    # When it is saved again, Then both changes are kept
    browser.find_element(By.CSS_SELECTOR, 'account-editor [data-op="save"]').click()
    announced(browser, "Saved Renamed elsewhere")
    account = accounts(stack)[account_id]
    assert account["timeoutSeconds"] == 45
    assert account["displayName"] == "Renamed elsewhere"
    assert banner.text == ""
    assert csp_violations(browser) == []
    assert unexpected_console_errors(browser, statuses="412") == []


def test_an_auth_header_is_refused_at_its_row_and_the_rows_stay(browser, stack, created):
    # Given an account open in the editor
    account_id, _ = given_account(stack, created, "anthropic", "hdr", "Header test")
    open_providers(browser, stack)
    open_editor(browser, "anthropic", account_id)

    # When two custom headers are added under Advanced, one of them an Authorization header, and saved
    browser.find_element(By.CSS_SELECTOR, "account-editor [data-advanced] summary").click()
    add = browser.find_element(By.CSS_SELECTOR, 'account-editor [data-op="add-header"]')
    for name, value in (("X-Team", "blue"), ("Authorization", "Bearer nope")):
        add.click()
        row = browser.find_elements(By.CSS_SELECTOR, "account-editor [data-header-row]")[-1]
        assert browser.switch_to.active_element == row.find_element(By.CSS_SELECTOR, '[data-header="name"]')
        row.find_element(By.CSS_SELECTOR, '[data-header="name"]').send_keys(name)
        row.find_element(By.CSS_SELECTOR, '[data-header="value"]').send_keys(value)
    browser.find_element(By.CSS_SELECTOR, 'account-editor [data-op="save"]').click()

    # Then the refusal shows at the Authorization row only, and both rows keep what was typed
    rows = browser.find_elements(By.CSS_SELECTOR, "account-editor [data-header-row]")
    wait(browser).until(lambda d: rows[1].find_elements(By.CSS_SELECTOR, ".field__error"))
    assert rows[0].find_elements(By.CSS_SELECTOR, ".field__error") == []
    assert rows[1].find_element(By.CSS_SELECTOR, '[data-header="name"]').get_attribute("aria-invalid") == "true"
    assert [r.find_element(By.CSS_SELECTOR, '[data-header="value"]').get_attribute("value") for r in rows] == ["blue", "Bearer nope"]
    assert accounts(stack)[account_id]["headers"] == {}

    # When the Authorization row is removed and the form saved again, Then the other header is stored
    rows[1].find_element(By.CSS_SELECTOR, '[data-op="remove-header"]').click()
    browser.find_element(By.CSS_SELECTOR, 'account-editor [data-op="save"]').click()
    announced(browser, "Saved Header test")
    assert accounts(stack)[account_id]["headers"] == {"X-Team": "blue"}
    assert csp_violations(browser) == []
    assert unexpected_console_errors(browser) == []


@pytest.mark.parametrize("provider, fields, secret, hinted", [
    ("azureOpenai", {"endpoint": "https://canary-resource.openai.azure.com", "apiKey": None, "deployment": "gpt-4o"},
     "apiKey", "apiKey"),
    # AWS: the hint is the access key id's end, which names the key without giving the secret away.
    ("bedrock", {"accessKeyId": "AKIACANARYUIKEY00001", "secretAccessKey": None, "region": "eu-central-1"},
     "secretAccessKey", "accessKeyId"),
])
def test_azure_and_bedrock_ask_for_their_own_credential_fields(browser, stack, created, provider, fields, secret, hinted):
    # Given the provider's editor for a new account
    name = unique("cloud")
    account_id = f"{provider}:{name}"
    created.append(account_id)
    open_providers(browser, stack)
    open_editor(browser, provider)
    replace_text(browser.find_element(By.ID, "acct-name"), name)

    # Then its credential has its own fields, the secrets masked (Azure's API version filled in)
    masked = [e.get_attribute("data-cred") for e in browser.find_elements(By.CSS_SELECTOR, "account-credential input[type=password]")]
    assert secret in masked and not set(masked) & {"endpoint", "accessKeyId", "region", "deployment", "apiVersion"}
    if provider == "azureOpenai":
        assert browser.find_element(By.ID, "acct-cred-apiVersion").get_attribute("value") == "2024-10-21"

    # When they are filled in and saved
    value = canary_key()
    for field, text in fields.items():
        browser.find_element(By.ID, f"acct-cred-{field}").send_keys(text or value)
    browser.find_element(By.CSS_SELECTOR, 'account-editor [data-op="save"]').click()

    # Then the account is stored with that kind of credential, and only its hint is shown
    end = (fields[hinted] or value)[-4:]
    wait(browser).until(lambda d: (text_of(d, "account-editor [data-hint]") or "").endswith(end))
    account = accounts(stack)[account_id]
    assert account["credential"]["kind"] == {"azureOpenai": "azure", "bedrock": "aws"}[provider]
    assert value not in browser.page_source and value not in raw_accounts(stack)
    assert csp_violations(browser) == []
    assert console_errors(browser) == []
