"""OAuth sign-in, device codes and pairing in the Providers & Auth card, in a real browser against the real stack,
with a fake authorization server (Tests/fakes/oauth.py) registered as OpenAI's OAuth client and the
accounts' base URL on the fake provider (Tests/fakes/provider.py), so nothing leaves loopback.

The browser follows real redirects: the page opens the fake's /authorize in a new window, the fake sends it to
the server's callback, the server exchanges the code (PKCE) at the fake's /token over HTTPS, and the browser
lands on /settings with ?connected= or ?error=. Chromium runs with --ignore-certificate-errors because the fake
serves the test CA's localhost certificate; the server trusts that CA through --outbound-ca-file.
Every test uses account ids of its own and deletes what it created."""

import http.client
import re
import secrets
import ssl
import urllib.parse
from contextlib import contextmanager

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from conftest import chromium, console_errors, csp_violations, remember_secret, sign_in, visible
from fakes.oauth import FakeOAuth
from test_provider_tests import account, created  # noqa: F401 (created: a fixture, the account ids a test made)
from test_providers import call, editor_status, open_editor, replace_text, shot, text_of, tile, unique, wait

PROVIDER = "openai"
FLOW_TIMEOUT = 25  # the page polls a flow every 2 s; a device flow waits out a slow_down of 5 s more


@pytest.fixture(scope="module")
def oauth_stack(provider_stack):
    """The stack that trusts the test CA and may reach localhost: the fake provider and the fake OAuth server."""
    return provider_stack


@pytest.fixture(scope="module")
def fake_oauth_server(fake_provider):
    fake = FakeOAuth(fake_provider.cert_file, fake_provider.key_file).start()
    yield fake
    fake.close()


@pytest.fixture
def fake(fake_oauth_server):
    """The fake authorization server, well-behaved at the start and the end of each test. The authorization codes
    it issued go to the canary scan: no log or database may hold one."""
    fake_oauth_server.reset()
    yield fake_oauth_server
    for code in list(fake_oauth_server.codes):
        remember_secret(code)
    fake_oauth_server.reset()


@pytest.fixture
def client(oauth_stack, fake):
    """Registers the fake as OpenAI's OAuth client (server callback); call it again for another mode. Back to the
    built-in client afterwards."""
    def register(mode="server_callback", **extra):
        status, _, body = call(oauth_stack, "PUT", f"/api/oauth/clients/{PROVIDER}", fake.client(mode, **extra))
        assert status == 200, body
        return body

    registered = register()
    register.current = registered
    yield register
    call(oauth_stack, "DELETE", f"/api/oauth/clients/{PROVIDER}")


@pytest.fixture
def browser():
    """Chromium that accepts the fake's certificate (the test CA is not in its store)."""
    driver = chromium("--ignore-certificate-errors")
    driver.execute_cdp_cmd("Browser.grantPermissions", {"permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]})
    yield driver
    driver.quit()


def given_account(stack, created, fake_provider, prefix, auth_method="oauth_browser"):
    """An OpenAI account without a credential whose base URL is the fake provider."""
    account_id = f"{PROVIDER}:{unique(prefix)}"
    status, _, body = call(stack, "POST", "/api/accounts", {
        "id": account_id, "provider": PROVIDER, "displayName": f"Sign-in {prefix}", "authMethod": auth_method,
        "baseUrl": fake_provider.url,
    })
    assert status == 201, body
    created.append(account_id)
    return account_id


def canary_key():
    return f"sk-pair-CANARYSECRETpair-{secrets.token_hex(12)}"


# MARK: Page helpers


def open_account(driver, stack, account_id):
    sign_in(driver, stack)
    visible(driver, "providers-card .provider-tile")
    open_editor(driver, PROVIDER, account_id)


def panel(driver, css=""):
    return driver.find_element(By.CSS_SELECTOR, f"account-editor oauth-sign-in {css}".strip())


def start_button(driver):
    return visible(driver, 'account-editor oauth-sign-in [data-op="oauth-start"]')


def signed_in(driver):
    """The panel's "Connected …" line once the flow completed."""
    return wait(driver, FLOW_TIMEOUT).until(
        lambda d: next(iter(d.find_elements(By.CSS_SELECTOR, "account-editor [data-sign-in-done]")), None))


def failure(driver, timeout=FLOW_TIMEOUT):
    return wait(driver, timeout).until(
        lambda d: next(iter(d.find_elements(By.CSS_SELECTOR, "account-editor oauth-sign-in [data-sign-in-failure]")), None))


def sign_in_status(driver):
    return text_of(driver, "account-editor [data-sign-in-status]") or ""


@contextmanager
def new_window(driver, before):
    """Switches to the window that opened since `before` (a set of handles); closes it and comes back after."""
    main = driver.current_window_handle
    handle = wait(driver, 15).until(lambda d: next(iter(set(d.window_handles) - before), None))
    driver.switch_to.window(handle)
    try:
        yield handle
    finally:
        driver.close()
        driver.switch_to.window(main)


def landing(driver, timeout=FLOW_TIMEOUT):
    """The Providers & Auth card's message about the sign-in the browser came back from."""
    return wait(driver, timeout).until(lambda d: next(iter(d.find_elements(By.CSS_SELECTOR, "providers-card [data-landing]")), None))


def through_the_fake(driver, button):
    """Presses `button`, which opens the fake's sign-in page in a new window, and answers what the settings page
    that window lands on says: its `data-landing` ("connected" or "error") and `data-category`."""
    before = set(driver.window_handles)
    button.click()
    with new_window(driver, before):
        message = landing(driver)
        return message.get_attribute("data-landing"), message.get_attribute("data-category")


def unexpected_console_errors(driver, *allowed):
    """Console errors, except Chrome's network lines for refusals the test provokes (`allowed`: regexes)."""
    patterns = [re.compile(p) for p in allowed]
    return [e for e in console_errors(driver)
            if not (e.get("source") == "network" and any(p.search(e["message"]) for p in patterns))]


def a_sign_in_that_never_comes_back(driver, patience_ms):
    """Starts a sign-in whose window opens but never reaches the callback, on a page that waits `patience_ms`
    instead of 3 minutes; answers the page's message that the provider never sent the browser back."""
    button = start_button(driver)
    driver.execute_script("""
        window.open = () => ({ location: {}, close() {} });
        document.querySelector('account-editor oauth-sign-in').callbackPatience = arguments[0];""", patience_ms)
    button.click()
    return visible(driver, "account-editor [data-sign-in-late]", timeout=FLOW_TIMEOUT)


def location_without_following(url, ca_file):
    """The Location a URL on the fake answers with (its redirect is not followed)."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPSConnection(parts.hostname, parts.port, context=ssl.create_default_context(cafile=str(ca_file)), timeout=10)
    try:
        connection.request("GET", f"{parts.path}?{parts.query}")
        response = connection.getresponse()
        response.read()
        assert response.status == 302, response.status
        return response.getheader("Location")
    finally:
        connection.close()


def the_page_never_shows(driver, *secrets_):
    source = driver.execute_script("return document.documentElement.outerHTML + document.body.innerText")
    for secret in secrets_:
        assert secret not in source


# MARK: Browser sign-in


def test_signing_in_in_the_browser_connects_the_account_and_the_callback_lands_on_the_settings_page(
        browser, oauth_stack, fake_provider, fake, client, created):
    # Given an OpenAI account whose sign-in goes to the fake authorization server
    account_id = given_account(oauth_stack, created, fake_provider, "browser")
    redirect_uri = f"{oauth_stack.base_url}/api/oauth/{PROVIDER}/callback"
    assert client.current["redirectUri"] == redirect_uri
    open_account(browser, oauth_stack, account_id)

    # Then the editor offers "Sign in with OpenAI" and names the exact redirect URI to register, ready to copy
    assert browser.find_element(By.ID, "acct-auth-oauth_browser").is_selected()
    button = start_button(browser)
    assert button.text == "Sign in with OpenAI"
    hint = wait(browser).until(lambda d: d.find_element(By.CSS_SELECTOR, "account-editor [data-redirect-hint]"))
    assert "If the provider says the redirect URI does not match, register exactly this URI in your OAuth app" in hint.text
    assert hint.find_element(By.CSS_SELECTOR, "[data-copy-value]").text == redirect_uri
    hint.find_element(By.CSS_SELECTOR, '[data-op="copy-value"]').click()
    wait(browser).until(lambda d: hint.find_element(By.CSS_SELECTOR, "[data-copy-note]").text == "Copied.")
    clipboard = browser.execute_async_script(
        "const done = arguments[0]; navigator.clipboard.readText().then(done, (e) => done(String(e)));")
    assert clipboard == redirect_uri

    # When it is pressed, the sign-in page opens in a new window and the fake approves at once
    before = set(browser.window_handles)
    button.click()
    with new_window(browser, before):
        # Then that window ends on the settings page, which says the account is connected and cleans its address
        message = landing(browser)
        assert message.get_attribute("data-landing") == "connected"
        assert "Connected" in message.text and account_id in message.text
        assert browser.execute_script("return location.pathname + location.search") == "/settings?section=model-provider"
        assert csp_violations(browser) == []

    # And the page that started it says so too, and the account has an OAuth credential now
    done = signed_in(browser)
    assert "Connected" in done.text and account_id in done.text
    # And the editor tests the new sign-in at once (against the fake provider, with the new token)
    wait(browser, FLOW_TIMEOUT).until(lambda d: editor_status(d) == "Connected")
    stored = account(oauth_stack, account_id)
    assert stored["credential"]["kind"] == "oauth"
    assert stored["oauth"] is not None
    assert "Sign-in browser" in tile(browser, PROVIDER).text

    # And the fake saw PKCE with S256 and one code exchange that matched it, with the server's redirect URI
    authorize = fake.requests("/authorize")
    assert len(authorize) == 1
    assert authorize[0].query["code_challenge_method"] == "S256"
    assert authorize[0].query["redirect_uri"] == redirect_uri
    exchanges = [r for r in fake.requests("/token") if r.form.get("grant_type") == "authorization_code"]
    assert [r.answer for r in exchanges] == ["tokens"], fake.problems
    assert exchanges[0].form["code_verifier"]

    # And no token ever reaches the page
    tokens = fake.issued[0]
    the_page_never_shows(browser, tokens["access_token"], tokens["refresh_token"])
    shot(browser, "switchboard-oauth-connected.png", "account-editor [data-account-status]")
    assert unexpected_console_errors(browser) == []
    assert csp_violations(browser) == []


def test_a_new_account_is_created_when_its_sign_in_starts(browser, oauth_stack, fake_provider, fake, client, created):
    # Given OpenAI's editor for a new account with OAuth sign-in chosen
    name = unique("new-oauth")
    account_id = f"{PROVIDER}:{name}"
    created.append(account_id)
    sign_in(browser, oauth_stack)
    visible(browser, "providers-card .provider-tile")
    open_editor(browser, PROVIDER)
    browser.find_element(By.ID, "acct-auth-oauth_browser").click()

    # Then the sign-in replaces the credential fields and the form's Connect button
    assert not browser.find_elements(By.ID, "acct-cred-apiKey")
    assert not browser.find_element(By.CSS_SELECTOR, 'account-editor [data-op="save"]').is_displayed()

    # When Sign in is pressed without an account name, Then the name is asked for and nothing starts
    replace_text(browser.find_element(By.ID, "acct-name"), "")
    start_button(browser).click()
    assert "Give the account a name" in visible(browser, "#acct-name-messages .field__error").text
    assert not fake.requests("/authorize")

    # When a name and the base URL are given and Sign in is pressed
    replace_text(browser.find_element(By.ID, "acct-name"), name)
    browser.find_element(By.CSS_SELECTOR, "account-editor [data-advanced] > summary").click()
    browser.find_element(By.ID, "acct-base-url").send_keys(fake_provider.url)
    outcome = through_the_fake(browser, start_button(browser))

    # Then the account is created with them and signed in
    assert outcome[0] == "connected"
    assert account_id in signed_in(browser).text
    stored = account(oauth_stack, account_id)
    assert stored["baseUrl"] == fake_provider.url
    assert stored["credential"]["kind"] == "oauth"
    wait(browser, FLOW_TIMEOUT).until(lambda d: editor_status(d) == "Connected")
    assert unexpected_console_errors(browser) == []
    assert csp_violations(browser) == []


def test_a_blocked_pop_up_offers_a_link_and_a_device_code_and_the_link_finishes_the_sign_in(
        browser, oauth_stack, fake_provider, fake, client, created):
    # Given a browser that blocks the sign-in window
    account_id = given_account(oauth_stack, created, fake_provider, "blocked")
    open_account(browser, oauth_stack, account_id)
    button = start_button(browser)
    browser.execute_script("window.open = () => null;")

    # When Sign in is pressed
    button.click()

    # Then the page says so, offers the sign-in page as a link (and to copy) and a device code instead
    blocked = visible(browser, "account-editor [data-popup-blocked]")
    assert "The browser blocked the sign-in window." in blocked.text
    link = blocked.find_element(By.CSS_SELECTOR, "[data-authorize-link]")
    assert link.text == "Open the sign-in page in a new tab"
    assert link.get_attribute("href").startswith(f"{fake.base_url}/authorize?")
    assert link.get_attribute("target") == "_blank"
    assert blocked.find_element(By.CSS_SELECTOR, "[data-copy-value]").get_attribute("textContent") == link.get_attribute("href")
    assert blocked.find_element(By.CSS_SELECTOR, '[data-op="copy-value"]').get_attribute("aria-label") == "Copy the sign-in address"
    assert blocked.find_element(By.CSS_SELECTOR, '[data-op="device-start"]').is_displayed()
    assert browser.switch_to.active_element == link
    assert not fake.requests("/authorize")
    shot(browser, "switchboard-oauth-popup-blocked.png", "account-editor [data-flow-panel]")

    # When the link is followed, Then the sign-in finishes in that tab and the page says Connected
    assert through_the_fake(browser, link)[0] == "connected"
    assert account_id in signed_in(browser).text
    assert unexpected_console_errors(browser) == []
    assert csp_violations(browser) == []


def test_a_declined_sign_in_is_explained_where_it_started_and_where_the_browser_lands(
        browser, oauth_stack, fake_provider, fake, client, created):
    # Given an authorization server where the user declines
    account_id = given_account(oauth_stack, created, fake_provider, "denied")
    fake.deny = True
    open_account(browser, oauth_stack, account_id)

    # When the sign-in runs
    before = set(browser.window_handles)
    start_button(browser).click()
    with new_window(browser, before):
        # Then the page the browser lands on explains it
        message = landing(browser)
        assert message.get_attribute("data-category") == "access_denied"
        assert "The sign-in was declined at the provider" in message.text
        assert "error=" not in browser.current_url

    # And so does the page that started it, with Start again; nothing was stored
    box = failure(browser)
    assert box.get_attribute("data-category") == "access_denied"
    assert "The sign-in was declined at the provider" in box.text
    assert panel(browser, '[data-op="oauth-start"]').text == "Start again"
    assert account(oauth_stack, account_id)["credential"] is None
    assert not fake.requests("/token")
    assert unexpected_console_errors(browser) == []
    assert csp_violations(browser) == []


def test_an_answer_from_another_issuer_is_refused_and_said_so(browser, oauth_stack, fake_provider, fake, client, created):
    # Given an authorization server whose answer names another issuer (a mix-up attack)
    account_id = given_account(oauth_stack, created, fake_provider, "iss")
    fake.wrong_iss = True
    open_account(browser, oauth_stack, account_id)

    # When the sign-in runs
    assert through_the_fake(browser, start_button(browser)) == ("error", "issuer_mismatch")

    # Then the code was never exchanged, and the page says why
    box = failure(browser)
    assert box.get_attribute("data-category") == "issuer_mismatch"
    assert "did not come from the provider this sign-in started with" in box.text
    assert not fake.requests("/token")
    assert account(oauth_stack, account_id)["credential"] is None


def test_a_missing_scope_is_named_and_sign_in_again_is_offered(browser, oauth_stack, fake_provider, fake, client, created):
    # Given an authorization server that grants less than the client asks for
    account_id = given_account(oauth_stack, created, fake_provider, "scope")
    fake.granted_scope = "openid"
    open_account(browser, oauth_stack, account_id)

    # When the sign-in runs
    before = set(browser.window_handles)
    start_button(browser).click()
    with new_window(browser, before):
        # Then the landing page names the missing scope and offers to sign in again
        message = landing(browser)
        assert message.get_attribute("data-category") == "insufficient_scope"
        wait(browser).until(lambda d: "did not grant models.read; sign in again and allow it" in landing(d).text)
        again = landing(browser).find_element(By.CSS_SELECTOR, '[data-op="landing-sign-in-again"]')
        assert again.text == "Sign in again"
        assert browser.execute_script("return location.search") == "?section=model-provider"

        # When Sign in again is pressed there with the full grant, Then the account's editor opens and signs it in
        fake.granted_scope = None
        assert through_the_fake(browser, again)[0] == "connected"
        assert account_id in signed_in(browser).text
        assert account_id in text_of(browser, "account-editor .account-status__id")
        assert unexpected_console_errors(browser) == []
        fake.granted_scope = "openid"

    # And so does the editor
    box = failure(browser)
    assert box.get_attribute("data-category") == "insufficient_scope"
    assert "Signed in, but the provider did not grant models.read; sign in again and allow it" in box.text
    assert panel(browser, '[data-op="oauth-start"]').text == "Sign in again"

    # When it is pressed with the full grant, Then the account is connected
    fake.granted_scope = None
    assert through_the_fake(browser, panel(browser, '[data-op="oauth-start"]'))[0] == "connected"
    assert account_id in signed_in(browser).text
    assert csp_violations(browser) == []


def test_paste_code_mode_takes_the_code_the_provider_shows(browser, oauth_stack, fake_provider, fake, client, created):
    # Given a client whose provider shows the code on a page of its own
    client("paste_code")
    account_id = given_account(oauth_stack, created, fake_provider, "paste")
    open_account(browser, oauth_stack, account_id)

    # When Sign in is pressed, Then the provider's page shows the code, and the editor asks for it
    before = set(browser.window_handles)
    start_button(browser).click()
    with new_window(browser, before):
        shown = wait(browser, FLOW_TIMEOUT).until(lambda d: d.find_element(By.ID, "code")).text
    code, _, state = shown.partition("#")
    assert code and state
    field = visible(browser, "account-editor oauth-sign-in [data-paste]")
    label = browser.find_element(By.CSS_SELECTOR, f'label[for="{field.get_attribute("id")}"]')
    assert label.text == "Paste the code the provider showed you"

    # When nothing is pasted, Then the field says what it needs
    panel(browser, '[data-op="paste"]').click()
    assert "Paste the code" in visible(browser, "account-editor [data-paste-messages] .field__error").text
    assert field.get_attribute("aria-invalid") == "true"

    # When a code of another sign-in is pasted, Then it is refused in words and the input stays
    field.send_keys(f"{code}#not-{state}")
    field.send_keys(Keys.ENTER)
    problem = visible(browser, "account-editor [data-paste-error]")
    assert problem.get_attribute("data-category") == "state_mismatch"
    assert "could not be matched to this page" in problem.text
    assert field.get_attribute("value") == f"{code}#not-{state}"
    assert account(oauth_stack, account_id)["credential"] is None

    # When the code as shown is pasted, Then the account is connected
    replace_text(field, shown)
    panel(browser, '[data-op="paste"]').click()
    assert account_id in signed_in(browser).text
    assert account(oauth_stack, account_id)["credential"]["kind"] == "oauth"
    assert unexpected_console_errors(browser, r"/api/oauth/openai/paste - .* status of 400") == []
    assert csp_violations(browser) == []


def test_when_the_provider_never_sends_the_browser_back_pairing_and_paste_are_offered(
        browser, oauth_stack, fake_provider, fake, client, created):
    # Given a sign-in window that never comes back (it opened, but nothing reaches the callback), and a page
    # that waits 3 s instead of 3 minutes
    account_id = given_account(oauth_stack, created, fake_provider, "late")
    open_account(browser, oauth_stack, account_id)

    # When the sign-in starts and the time passes
    late = a_sign_in_that_never_comes_back(browser, 3000)

    # Then the page says the callback never came, offers pairing and a field for the address the browser ended on
    assert "The provider never sent you back here: this server may not be reachable from your browser" in late.text
    assert late.find_element(By.CSS_SELECTOR, '[data-op="pairing-request"]').text == "Pair from another machine"
    field = browser.find_element(By.CSS_SELECTOR, "account-editor oauth-sign-in [data-paste]")
    label = browser.find_element(By.CSS_SELECTOR, f'label[for="{field.get_attribute("id")}"]')
    assert label.text == "Paste the address your browser ended on"
    shot(browser, "switchboard-oauth-never-came-back.png", "account-editor [data-flow-panel]")

    # When the address the provider sent the browser to is pasted, Then the sign-in finishes
    authorize = browser.find_element(By.CSS_SELECTOR, "account-editor [data-authorize-link]").get_attribute("href")
    callback = location_without_following(authorize, fake_provider.ca_file)
    assert callback.startswith(f"{oauth_stack.base_url}/api/oauth/{PROVIDER}/callback?")
    field.send_keys(callback)
    panel(browser, '[data-op="paste"]').click()
    assert account_id in signed_in(browser).text
    assert account(oauth_stack, account_id)["credential"]["kind"] == "oauth"
    assert csp_violations(browser) == []


def test_pair_from_another_machine_is_offered_when_the_callback_never_comes(browser, oauth_stack, fake_provider, fake, client, created):
    # Given a sign-in whose window never comes back
    account_id = given_account(oauth_stack, created, fake_provider, "late-pair")
    open_account(browser, oauth_stack, account_id)
    late = a_sign_in_that_never_comes_back(browser, 1000)

    # When Pair from another machine is pressed
    late.find_element(By.CSS_SELECTOR, '[data-op="pairing-request"]').click()

    # Then the pairing method is chosen and a code and the command show
    assert browser.find_element(By.ID, "acct-auth-pairing").is_selected()
    code = visible(browser, "account-editor pairing-panel [data-pairing-code]")
    remember_secret(code.text)
    assert re.fullmatch(r"[A-Z2-9]{3}-[A-Z2-9]{3}-[A-Z2-9]{3}", code.text)
    assert "switchboard auth pair" in text_of(browser, "account-editor pairing-panel [data-copy-value]")


# MARK: Device code


def test_device_code_waits_through_slow_down_and_connects(browser, oauth_stack, fake_provider, fake, client, created):
    # Given an authorization server that first says authorization_pending, then slow_down, then approves
    account_id = given_account(oauth_stack, created, fake_provider, "device")
    fake.device_script = ["authorization_pending", "slow_down"]
    open_account(browser, oauth_stack, account_id)

    # When "Use a device code instead" is pressed
    visible(browser, 'account-editor oauth-sign-in [data-op="device-start"]').click()

    # Then the user code shows large with the provider's verification links (the device method is offered too)
    assert browser.find_element(By.ID, "acct-auth-oauth_device_code").is_enabled()
    box = visible(browser, "account-editor [data-device-code]")
    assert box.find_element(By.CSS_SELECTOR, "[data-copy-value]").text == "WDJB-MJHT"
    verify = box.find_element(By.CSS_SELECTOR, "[data-verification-uri]")
    assert verify.get_attribute("href") == f"{fake.base_url}/device"
    assert verify.get_attribute("target") == "_blank"
    complete = box.find_element(By.CSS_SELECTOR, "[data-verification-complete]")
    assert complete.get_attribute("href") == f"{fake.base_url}/device?user_code=WDJB-MJHT"
    shot(browser, "switchboard-oauth-device-code.png", "account-editor [data-flow-panel]")

    # And while the provider asks to slow down, the page says it checks less often
    wait(browser, FLOW_TIMEOUT).until(lambda d: "asked to be asked less often: checking every 6 seconds" in sign_in_status(d))

    # And then the account is connected
    assert account_id in signed_in(browser).text
    assert account(oauth_stack, account_id)["credential"]["kind"] == "oauth"

    # And the provider was asked no faster than it allowed: after slow_down, 5 s more between polls
    polls = [r for r in fake.requests("/token") if r.form.get("grant_type") == "urn:ietf:params:oauth:grant-type:device_code"]
    assert [p.answer for p in polls] == ["authorization_pending", "slow_down", "tokens"]
    assert polls[2].at - polls[1].at >= 5.5
    assert unexpected_console_errors(browser) == []
    assert csp_violations(browser) == []


def test_an_expired_device_code_asks_for_a_new_one(browser, oauth_stack, fake_provider, fake, client, created):
    # Given an account that signs in with a device code, and a code that has expired at the provider
    account_id = given_account(oauth_stack, created, fake_provider, "device-expired", auth_method="oauth_device_code")
    fake.device_expired = True
    open_account(browser, oauth_stack, account_id)

    # When the editor shows it, Then "Get a device code" comes first
    assert browser.find_element(By.ID, "acct-auth-oauth_device_code").is_selected()
    button = visible(browser, 'account-editor oauth-sign-in [data-op="device-start"]')
    assert button.text == "Get a device code"
    assert "button--primary" in button.get_attribute("class")

    # When it is pressed
    button.click()

    # Then the page says "expired — request a new code" with a button for it
    box = failure(browser)
    assert box.get_attribute("data-category") == "expired_token"
    assert "expired — request a new code" in box.text
    again = panel(browser, '[data-op="device-start"]')
    assert again.text == "Get a new code"

    # When it is pressed, Then a new code is requested and shown
    fake.device_expired = False
    again.click()
    visible(browser, "account-editor [data-device-code]")
    assert len(fake.requests("/device/code")) == 2
    assert account_id in signed_in(browser).text


# MARK: Pairing


def test_pairing_a_new_account_shows_the_code_and_command_and_connects_when_the_other_machine_completes(
        browser, oauth_stack, fake_provider, created):
    # Given OpenAI's editor for a new account with the pairing method
    name = unique("paired")
    account_id = f"{PROVIDER}:{name}"
    created.append(account_id)
    sign_in(browser, oauth_stack)
    visible(browser, "providers-card .provider-tile")
    open_editor(browser, PROVIDER)
    replace_text(browser.find_element(By.ID, "acct-name"), name)
    browser.find_element(By.CSS_SELECTOR, "account-editor [data-advanced] > summary").click()
    browser.find_element(By.ID, "acct-base-url").send_keys(fake_provider.url)
    browser.find_element(By.ID, "acct-auth-pairing").click()
    assert not browser.find_element(By.CSS_SELECTOR, 'account-editor [data-op="save"]').is_displayed()

    # When Pair from another machine is pressed
    visible(browser, 'account-editor pairing-panel [data-op="pairing-start"]').click()

    # Then the account exists, and the page shows the code grouped and large, the exact command, a countdown
    code = visible(browser, "account-editor pairing-panel [data-pairing-code]").text
    remember_secret(code)
    assert re.fullmatch(r"[A-Z2-9]{3}-[A-Z2-9]{3}-[A-Z2-9]{3}", code)
    command = text_of(browser, "account-editor pairing-panel [data-copy-value]")
    assert command == f"switchboard auth pair --server {oauth_stack.base_url} --provider {PROVIDER} --account {name}"
    assert re.fullmatch(r"Expires in (10:00|9:[0-5]\d)", text_of(browser, "account-editor [data-pairing-expiry]"))
    assert account(oauth_stack, account_id)["credential"] is None
    shot(browser, "switchboard-pairing.png", "account-editor [data-flow-panel]")

    # When the other machine checks the code and completes with a key (plain HTTP, no session)
    key = canary_key()
    status, _, body = call(oauth_stack, "POST", "/api/pairing/check", {"code": code.lower(), "provider": PROVIDER}, token=False)
    assert status == 200, body
    assert body["account"] == account_id
    status, _, body = call(oauth_stack, "POST", "/api/pairing/complete", {
        "code": code, "provider": PROVIDER, "credential": {"kind": "api_key", "apiKey": key}}, token=False)
    assert status == 200, body

    # Then the page says Connected, and the account is tested against the fake provider and connected
    done = wait(browser, FLOW_TIMEOUT).until(lambda d: d.find_element(By.CSS_SELECTOR, "account-editor [data-pairing-done]"))
    assert "Connected" in done.text and account_id in done.text
    wait(browser).until(lambda d: editor_status(d) == "Connected")
    assert "Connected" in tile(browser, PROVIDER).text
    assert key not in browser.page_source
    assert fake_provider.requests_with_key(key)
    assert unexpected_console_errors(browser) == []
    assert csp_violations(browser) == []


def test_get_a_new_code_replaces_the_pairing_code(browser, oauth_stack, fake_provider, created):
    # Given a pairing code on the page for an existing account
    account_id = given_account(oauth_stack, created, fake_provider, "refresh", auth_method="api_key")
    open_account(browser, oauth_stack, account_id)
    browser.find_element(By.ID, "acct-auth-pairing").click()
    visible(browser, 'account-editor pairing-panel [data-op="pairing-start"]').click()
    first = visible(browser, "account-editor pairing-panel [data-pairing-code]").text
    remember_secret(first)

    # When "Get a new code" is pressed
    browser.find_element(By.CSS_SELECTOR, 'account-editor pairing-panel [data-op="pairing-refresh"]').click()

    # Then another code shows, the old one no longer works and the new one does
    wait(browser).until(lambda d: text_of(d, "account-editor pairing-panel [data-pairing-code]") not in (None, first))
    second = text_of(browser, "account-editor pairing-panel [data-pairing-code]")
    remember_secret(second)
    status, _, body = call(oauth_stack, "POST", "/api/pairing/check", {"code": first, "provider": PROVIDER}, token=False)
    assert status in (400, 404, 410), body
    status, _, body = call(oauth_stack, "POST", "/api/pairing/check", {"code": second, "provider": PROVIDER}, token=False)
    assert status == 200, body
    assert body["account"] == account_id


def test_an_expired_pairing_code_asks_for_a_new_one(browser, oauth_stack, fake_provider, created):
    # Given a pairing code on the page, and a clock that has passed its expiry
    account_id = given_account(oauth_stack, created, fake_provider, "pair-expired", auth_method="api_key")
    open_account(browser, oauth_stack, account_id)
    browser.find_element(By.ID, "acct-auth-pairing").click()
    visible(browser, 'account-editor pairing-panel [data-op="pairing-start"]').click()
    first = visible(browser, "account-editor pairing-panel [data-pairing-code]").text
    remember_secret(first)
    browser.execute_script("window.__now = Date.now; Date.now = () => window.__now() + 11 * 60 * 1000;")

    # Then the page says "expired — request a new code"
    expired = visible(browser, "account-editor [data-pairing-expired]")
    assert "expired — request a new code" in expired.text

    # When "Get a new code" is pressed, Then a new code shows
    browser.execute_script("Date.now = window.__now;")
    browser.find_element(By.CSS_SELECTOR, 'account-editor pairing-panel [data-op="pairing-refresh"]').click()
    wait(browser).until(lambda d: text_of(d, "account-editor pairing-panel [data-pairing-code]") not in (None, first))
    remember_secret(text_of(browser, "account-editor pairing-panel [data-pairing-code]"))


# MARK: Landing and the direct-API switch


def test_a_state_mismatch_from_the_callback_is_explained_once(browser, oauth_stack, client):
    # Given a signed-in page
    sign_in(browser, oauth_stack)
    visible(browser, "providers-card .provider-tile")

    # When the callback is opened with a state no sign-in of this browser started (an old or foreign link)
    browser.get(oauth_stack.url(f"/api/oauth/{PROVIDER}/callback?code=x&state={secrets.token_urlsafe(32)}"))

    # Then the server refuses it with a page that leads back to the settings
    assert "The sign-in was not finished" in browser.find_element(By.TAG_NAME, "h1").text
    browser.find_element(By.LINK_TEXT, "Back to the settings page").click()

    # And the settings page explains the likely causes, and cleans the address
    message = landing(browser)
    assert message.get_attribute("data-category") == "state_mismatch"
    assert ("The sign-in could not be matched to this page: it was probably started in another tab, from an old page, "
            "or before you signed in again. Start again.") in message.text
    assert browser.execute_script("return location.search") == "?section=model-provider"

    # When the page is reloaded, Then the message does not come back
    browser.refresh()
    visible(browser, "providers-card .provider-tile")
    assert not browser.find_elements(By.CSS_SELECTOR, "providers-card [data-landing]")

    # When the address names an error directly, Then it is explained the same way, and Dismiss removes it
    browser.get(oauth_stack.url("/settings?section=model-provider&error=state_mismatch"))
    message = landing(browser)
    assert "could not be matched to this page" in message.text
    message.find_element(By.CSS_SELECTOR, '[data-op="landing-dismiss"]').click()
    assert not browser.find_elements(By.CSS_SELECTOR, "providers-card [data-landing]")
    # (The refusal page is the server's own HTML without an icon link, so Chrome asks for /favicon.ico too.)
    assert unexpected_console_errors(browser, r"/api/oauth/openai/callback\S* - .* status of 400",
                                     r"/favicon\.ico - .* status of 404") == []
    assert csp_violations(browser) == []


def test_the_direct_api_switch_of_an_oauth_account_round_trips(browser, oauth_stack, fake_provider, fake, client, created):
    # Given an account signed in through the page
    account_id = given_account(oauth_stack, created, fake_provider, "direct")
    open_account(browser, oauth_stack, account_id)
    through_the_fake(browser, start_button(browser))
    signed_in(browser)

    # Then the editor explains the direct-API switch, off, and who may use the sign-in
    switch = visible(browser, "#acct-allow-direct")
    assert not switch.is_selected()
    label = browser.find_element(By.CSS_SELECTOR, 'label[for="acct-allow-direct"]')
    assert label.text == "Allow direct API calls with this sign-in"
    help_text = browser.find_element(By.ID, "acct-oauth-help").text
    assert "may break its terms when used for direct API calls" in help_text
    assert "offered only to runtimes that go through OpenAI’s own CLI" in help_text
    usable = browser.find_element(By.CSS_SELECTOR, "[data-usable-by]")
    assert usable.get_attribute("data-usable-by") == account(oauth_stack, account_id)["oauth"]["usableBy"]

    # When it is switched on, Then it is saved at once
    switch.click()
    wait(browser).until(lambda d: "Saved: direct API calls are allowed" in text_of(d, "[data-oauth-use-status]"))
    assert account(oauth_stack, account_id)["oauth"]["directApiAllowed"] is True
    assert browser.find_element(By.CSS_SELECTOR, "[data-usable-by]").get_attribute("data-usable-by") == "direct_api"

    # And the other fields still save (the editor holds the account's new version)
    name = browser.find_element(By.ID, "acct-display-name")
    replace_text(name, "Signed in, direct")
    browser.find_element(By.CSS_SELECTOR, 'account-editor [data-op="save"]').click()
    wait(browser).until(lambda d: account(oauth_stack, account_id)["displayName"] == "Signed in, direct")
    assert not browser.find_elements(By.CSS_SELECTOR, "account-editor .account-editor__banner .error__title")

    # When the page is loaded again, Then the switch is on; switched off, it is saved off
    browser.refresh()
    visible(browser, "providers-card .provider-tile")
    open_editor(browser, PROVIDER, account_id)
    switch = visible(browser, "#acct-allow-direct")
    assert switch.is_selected()
    switch.click()
    wait(browser).until(lambda d: "Saved: only runtimes that go through the CLI" in text_of(d, "[data-oauth-use-status]"))
    assert account(oauth_stack, account_id)["oauth"]["directApiAllowed"] is False
    assert unexpected_console_errors(browser) == []
    assert csp_violations(browser) == []


def test_a_sign_in_the_provider_no_longer_accepts_offers_sign_in_again(browser, oauth_stack, fake_provider, fake, client, created):
    # Given an authorization server whose tokens the provider refuses and whose refresh tokens do not work
    account_id = given_account(oauth_stack, created, fake_provider, "again")
    fake.access_marker = "bad-"
    fake.refuse_refresh = True
    open_account(browser, oauth_stack, account_id)

    # When the account is signed in (the page tests the new sign-in at once)
    through_the_fake(browser, start_button(browser))
    signed_in(browser)
    wait(browser, FLOW_TIMEOUT).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, 'account-editor [data-test-result] .test-result[data-ok="false"]'))

    # Then the token was refused, the refresh failed, and the status offers Sign in again
    assert account(oauth_stack, account_id)["lastTest"]["category"] == "auth"
    assert any(r.form.get("grant_type") == "refresh_token" for r in fake.requests("/token"))
    box = visible(browser, "account-editor [data-sign-in-again]")
    assert "OpenAI no longer accepts this sign-in." in box.text

    # When Sign in again is pressed with the provider accepting tokens again, Then the account is connected
    fake.access_marker = ""
    assert through_the_fake(browser, browser.find_element(By.CSS_SELECTOR, 'account-editor [data-op="sign-in-again"]'))[0] == "connected"
    wait(browser, FLOW_TIMEOUT).until(lambda d: editor_status(d) == "Connected")
    assert not browser.find_elements(By.CSS_SELECTOR, 'account-editor [data-op="sign-in-again"]')
    assert unexpected_console_errors(browser) == []
    assert csp_violations(browser) == []
