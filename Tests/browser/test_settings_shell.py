"""The settings shell in a real browser against the real stack: sign-in, session, sign-out, navigation."""

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from conftest import console_errors, csp_violations, http_get, screenshot, sign_in, visible, wait


def test_root_redirects_to_the_sign_in_form_without_console_errors(browser, stack):
    # Given a fresh browser, When it visits /
    browser.get(stack.url("/"))

    # Then it ends at /settings with the sign-in form, and nothing went wrong on the way
    field = visible(browser, "sign-in-form input[type=password]")
    assert browser.current_url.split("?")[0] == stack.url("/settings")
    label = browser.find_element(By.CSS_SELECTOR, f"label[for='{field.get_attribute('id')}']")
    assert label.text == "Admin token"
    assert browser.find_element(By.CSS_SELECTOR, "sign-in-form button[type=submit]").text == "Sign in"
    assert not browser.find_element(By.CSS_SELECTOR, "app-header").is_displayed()
    screenshot(browser, "switchboard-sign-in.png")
    assert csp_violations(browser) == []
    assert console_errors(browser) == []


def test_a_wrong_token_shows_the_problem_inline_and_keeps_the_input(browser, stack):
    # Given the sign-in form
    browser.get(stack.url("/settings"))
    field = visible(browser, "sign-in-form input[type=password]")
    browser.execute_script("window.__notReloaded = true")

    # When a wrong token is submitted
    field.send_keys("sbk_not-the-right-token")
    browser.find_element(By.CSS_SELECTOR, "sign-in-form button[type=submit]").click()

    # Then the problem's title and detail show in the alert region, the input keeps the token,
    # and the page was not reloaded
    alert = visible(browser, "sign-in-form [role=alert] .error__title")
    assert alert.text == "Sign-in failed"
    region = browser.find_element(By.CSS_SELECTOR, "sign-in-form [role=alert]")
    assert "not valid" in region.text
    assert field.get_attribute("value") == "sbk_not-the-right-token"
    assert field.get_attribute("aria-invalid") == "true"
    assert browser.switch_to.active_element == field
    assert browser.find_element(By.CSS_SELECTOR, "sign-in-form button[type=submit]").is_enabled()
    assert browser.execute_script("return window.__notReloaded === true")
    assert csp_violations(browser) == []


def test_the_right_token_signs_in_with_an_http_only_cookie(browser, stack):
    # Given the sign-in form, When the admin token is submitted
    sign_in(browser, stack)

    # Then the header names the token, the Model & Provider section shows, the URL stays on /settings
    assert visible(browser, "app-header .app-header__name").text == "initial admin"
    assert browser.find_element(By.CSS_SELECTOR, "app-header button").text == "Sign out"
    heading = visible(browser, "model-provider-section h2")
    assert heading.text == "Model & Provider"
    assert "providers, the default models" in browser.find_element(By.CSS_SELECTOR, "model-provider-section").text
    current = browser.find_element(By.CSS_SELECTOR, ".settings__nav a[aria-current=page]")
    assert current.text == "Model & Provider"
    assert browser.current_url in (stack.url("/settings"), stack.url("/settings?section=model-provider"))
    assert browser.find_element(By.ID, "announcer").get_attribute("role") == "status"
    wait(browser).until(lambda d: d.find_element(By.ID, "announcer").text == "Signed in as initial admin")

    # And the session cookie is HttpOnly, invisible to scripts
    cookies = {c["name"]: c for c in browser.get_cookies()}
    assert cookies["sb_session"]["httpOnly"] is True
    assert cookies["sb_session"]["sameSite"] == "Strict"
    assert "sb_session" not in browser.execute_script("return document.cookie")
    screenshot(browser, "switchboard-signed-in.png")
    assert csp_violations(browser) == []
    assert console_errors(browser) == []


def test_a_reload_keeps_the_session_and_sign_out_ends_it(browser, stack):
    # Given a signed-in browser
    sign_in(browser, stack)
    session_cookie = browser.get_cookie("sb_session")["value"]

    # When the page is reloaded, Then it is still signed in
    browser.refresh()
    assert visible(browser, "app-header .app-header__name").text == "initial admin"
    visible(browser, "model-provider-section")

    # When "Sign out" is clicked
    browser.find_element(By.CSS_SELECTOR, "app-header button").click()

    # Then the sign-in form is back, it is announced, and the session is gone on the server
    field = visible(browser, "sign-in-form input[type=password]")
    assert not browser.find_element(By.CSS_SELECTOR, "app-header").is_displayed()
    assert browser.switch_to.active_element == field
    wait(browser).until(lambda d: d.find_element(By.ID, "announcer").text == "Signed out")
    assert browser.get_cookie("sb_session") is None
    status = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch('/api/session', {credentials: 'same-origin'}).then(r => done(r.status), e => done(String(e)));")
    assert status == 401
    assert http_get(stack.url("/api/session"), {"Cookie": f"sb_session={session_cookie}"})[0] == 401
    assert csp_violations(browser) == []
    assert console_errors(browser) == []


def test_keyboard_only_sign_in(browser, stack):
    # Given the sign-in form and only a keyboard
    browser.get(stack.url("/settings"))
    field = visible(browser, "sign-in-form input[type=password]")
    keys = ActionChains(browser)

    # When Tab reaches the token field, the token is typed and Enter pressed
    for _ in range(5):
        keys.send_keys(Keys.TAB).perform()
        if browser.switch_to.active_element == field:
            break
    assert browser.switch_to.active_element == field
    ActionChains(browser).send_keys(stack.token).send_keys(Keys.ENTER).perform()

    # Then the settings page shows, with focus on the section heading
    assert visible(browser, "app-header .app-header__name").text == "initial admin"
    heading = visible(browser, "model-provider-section h2")
    wait(browser).until(lambda d: d.switch_to.active_element == heading)


def test_an_unknown_section_says_so_and_links_back(browser, stack):
    # Given a signed-in browser, When it opens a section that does not exist
    sign_in(browser, stack)
    browser.get(stack.url("/settings?section=nope%3Cb%3E"))

    # Then a friendly message names it (as text, not markup) and links back to Model & Provider
    heading = visible(browser, ".settings__content h2")
    assert heading.text == "No such section"
    assert "“nope<b>”" in browser.find_element(By.CSS_SELECTOR, ".settings__content").text
    browser.find_element(By.LINK_TEXT, "Go to Model & Provider").click()
    visible(browser, "model-provider-section")
    assert browser.current_url == stack.url("/settings?section=model-provider")

    # And Back returns to the unknown section without a reload
    browser.execute_script("window.__notReloaded = true")
    browser.back()
    wait(browser).until(lambda d: d.find_element(By.CSS_SELECTOR, ".settings__content h2").text == "No such section")
    assert browser.execute_script("return window.__notReloaded === true")
    assert csp_violations(browser) == []


def test_the_settings_page_carries_the_content_security_policy(stack):
    # When /settings is fetched
    status, headers, body = http_get(stack.url("/settings"))

    # Then it is the app shell, served with a CSP that allows only this origin's scripts and no framing
    assert status == 200
    assert b'<script type="module" src="/app.js">' in body
    csp = headers["Content-Security-Policy"]
    directives = {d.strip().split(" ", 1)[0]: d.strip() for d in csp.split(";") if d.strip()}
    assert directives["script-src"] == "script-src 'self'"
    assert directives["frame-ancestors"] == "frame-ancestors 'none'"
    assert directives["style-src"] == "style-src 'self'"
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_a_session_that_ends_while_the_page_is_open_shows_the_sign_in_form_once(browser, stack):
    # Given a signed-in page that counts the `signed-out` events
    sign_in(browser, stack)
    visible(browser, "global-behaviour-card h3")
    browser.execute_script("window.__signedOut = 0; document.addEventListener('signed-out', () => { window.__signedOut += 1; });")

    for round_ in (1, 2):
        # When the session ends behind the page's back and an edit is saved, then another request is made
        browser.delete_cookie("sb_session")
        field = browser.find_element(By.CSS_SELECTOR, 'model-provider-section input[data-pointer="/agents/defaults/heartbeat/activeHours/timezone"]')
        field.send_keys("x")

        # Then the sign-in form shows with the focus, it is announced, and it was said once
        token = visible(browser, "sign-in-form input[type=password]")
        assert not browser.find_element(By.CSS_SELECTOR, "app-header").is_displayed()
        wait(browser).until(lambda d: d.switch_to.active_element == token)
        wait(browser).until(lambda d: d.find_element(By.ID, "announcer").text == "Signed out")
        assert browser.execute_script("return window.__signedOut") == round_
        assert browser.find_elements(By.CSS_SELECTOR, "model-provider-section") == []

        # And signing in again shows the settings, and the next ended session is said again
        token.send_keys(stack.token)
        browser.find_element(By.CSS_SELECTOR, "sign-in-form button[type=submit]").click()
        visible(browser, "global-behaviour-card h3")
    assert csp_violations(browser) == []
