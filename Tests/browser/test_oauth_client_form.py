"""The operator's own OAuth app, registered in the page ("Use your own OAuth app" under the sign-in), in a real
browser against the real stack, with the fake authorization server of test_oauth_pairing.py as the app.

Each test starts and ends on OpenAI's built-in client (DELETE /api/oauth/clients/openai), the state the other
OAuth tests expect before their `client` fixture registers the fake."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from conftest import csp_violations, sign_in, visible
from test_oauth_pairing import (  # noqa: F401 (fixtures: the stack, the fake authorization server, the browser)
    PROVIDER, browser, fake, fake_oauth_server, given_account, oauth_stack, open_account, signed_in, start_button,
    through_the_fake, unexpected_console_errors)
from test_provider_tests import account, created  # noqa: F401 (created: a fixture, the account ids a test made)
from test_providers import call, open_editor, replace_text, shot, text_of, wait

CLIENTS = f"/api/oauth/clients/{PROVIDER}"
REFUSED = rf"/api/oauth/clients/{PROVIDER} - Failed to load resource: the server responded with a status of 422"


@pytest.fixture
def built_in_client(oauth_stack):
    """OpenAI on its built-in client before and after the test, whatever the test saved in between."""
    call(oauth_stack, "DELETE", CLIENTS)
    yield
    call(oauth_stack, "DELETE", CLIENTS)


def stored_client(stack):
    status, _, body = call(stack, "GET", "/api/oauth/clients")
    assert status == 200, body
    return next(c for c in body["clients"] if c["provider"] == PROVIDER)


def client_form(driver):
    return driver.find_element(By.CSS_SELECTOR, "account-editor oauth-sign-in oauth-client-form")


def field(driver, name):
    return client_form(driver).find_element(By.CSS_SELECTOR, f'[data-client-field="{name}"]')


def messages(driver, name):
    return client_form(driver).find_element(By.CSS_SELECTOR, f'[data-client-messages="/{name}"]')


def source(driver):
    return wait(driver).until(lambda d: d.execute_script(
        "return document.querySelector('account-editor oauth-client-form [data-client-source]')?.dataset.clientSource ?? null"))


def open_client_form(driver):
    """Opens the disclosure once the client list has been read."""
    disclosure = visible(driver, "account-editor oauth-client-form [data-oauth-client]")
    summary = disclosure.find_element(By.CSS_SELECTOR, "summary")
    assert summary.text == "Use your own OAuth app"
    summary.click()
    wait(driver).until(lambda d: source(d) is not None)
    return disclosure


def test_the_operator_registers_an_oauth_app_in_the_page_and_goes_back_to_the_built_in_client(
        browser, oauth_stack, fake, built_in_client):
    # Given OpenAI's editor for a new account with OAuth sign-in chosen, on the built-in client
    sign_in(browser, oauth_stack)
    visible(browser, "providers-card .provider-tile")
    open_editor(browser, PROVIDER)
    browser.find_element(By.ID, "acct-auth-oauth_browser").click()
    start_button(browser)

    # When "Use your own OAuth app" is opened
    open_client_form(browser)

    # Then it shows the built-in client: its source, client id, redirect mode and redirect URI, ready to copy
    built_in = stored_client(oauth_stack)
    assert built_in["source"] == "default"
    assert source(browser) == "default"
    current = client_form(browser).find_element(By.CSS_SELECTOR, "[data-client-current]")
    assert current.find_element(By.CSS_SELECTOR, "[data-client-id]").text == built_in["clientId"]
    assert current.find_element(By.CSS_SELECTOR, "[data-client-mode]").get_attribute("data-client-mode") == built_in["redirectMode"]
    assert current.find_element(By.CSS_SELECTOR, "[data-client-redirect] [data-copy-value]").text == built_in["redirectUri"]
    assert not client_form(browser).find_element(By.CSS_SELECTOR, '[data-op="client-revert"]').is_displayed()
    # And the form starts from the built-in endpoints, for an app of the operator's own (a server callback)
    assert field(browser, "authorizeUrl").get_attribute("value") == built_in["authorizeUrl"]
    assert field(browser, "clientId").get_attribute("value") == ""
    assert Select(field(browser, "redirectMode")).first_selected_option.get_attribute("value") == "server_callback"
    assert not field(browser, "redirectUri").is_displayed()

    # When paste code is chosen, Then the redirect URI is asked for
    Select(field(browser, "redirectMode")).select_by_value("paste_code")
    assert field(browser, "redirectUri").is_displayed()

    # When it is saved with an authorize URL that is not one and no redirect URI
    replace_text(field(browser, "authorizeUrl"), "not a url")
    replace_text(field(browser, "tokenUrl"), f"{fake.base_url}/token")
    field(browser, "clientId").send_keys(fake.client_id)
    client_form(browser).find_element(By.CSS_SELECTOR, '[data-op="client-save"]').click()

    # Then each error is said at its field, the field is marked, and focus goes to the first
    error = wait(browser).until(lambda d: messages(d, "authorizeUrl").find_elements(By.CSS_SELECTOR, ".field__error"))[0]
    assert error.text
    assert field(browser, "authorizeUrl").get_attribute("aria-invalid") == "true"
    assert messages(browser, "redirectUri").find_element(By.CSS_SELECTOR, ".field__error").get_attribute("data-code") == "required"
    assert field(browser, "redirectUri").get_attribute("aria-invalid") == "true"
    assert messages(browser, "tokenUrl").text == ""
    assert browser.switch_to.active_element == field(browser, "authorizeUrl")
    assert "The OAuth app was not saved" in text_of(browser, "account-editor oauth-client-form [data-client-problem]")
    # And nothing was stored, and what was typed stays
    assert stored_client(oauth_stack)["source"] == "default"
    assert field(browser, "clientId").get_attribute("value") == fake.client_id
    shot(browser, "switchboard-oauth-client-invalid.png", "account-editor [data-flow-panel]")

    # When the fake is entered as a server-callback app with a secret and saved
    body = fake.client()
    Select(field(browser, "redirectMode")).select_by_value("server_callback")
    replace_text(field(browser, "authorizeUrl"), body["authorizeUrl"])
    replace_text(field(browser, "deviceAuthorizationUrl"), body["deviceAuthorizationUrl"])
    replace_text(field(browser, "scopes"), " ".join(body["scopes"]))
    replace_text(field(browser, "issuer"), body["issuer"])
    field(browser, "clientSecret").send_keys("fake-client-secret-CANARYSECRET-form")
    client_form(browser).find_element(By.CSS_SELECTOR, '[data-op="client-save"]').click()

    # Then the page shows the operator's client and the exact redirect URI to register, and the errors are gone
    redirect_uri = f"{oauth_stack.base_url}/api/oauth/{PROVIDER}/callback"
    wait(browser).until(lambda d: source(d) == "operator")
    current = client_form(browser).find_element(By.CSS_SELECTOR, "[data-client-current]")
    assert current.find_element(By.CSS_SELECTOR, "[data-client-redirect] [data-copy-value]").text == redirect_uri
    assert current.find_element(By.CSS_SELECTOR, "[data-client-id]").text == fake.client_id
    assert messages(browser, "authorizeUrl").text == ""
    assert field(browser, "authorizeUrl").get_attribute("aria-invalid") is None
    assert "Saved" in text_of(browser, "account-editor oauth-client-form [data-client-status]")
    # And the server has it as sent, the secret stored and never shown again
    stored = stored_client(oauth_stack)
    assert stored["source"] == "operator"
    assert {k: stored[k] for k in ("authorizeUrl", "tokenUrl", "deviceAuthorizationUrl", "clientId", "scopes", "redirectMode", "issuer")} == \
        {k: body[k] for k in ("authorizeUrl", "tokenUrl", "deviceAuthorizationUrl", "clientId", "scopes", "redirectMode", "issuer")}
    assert stored["hasClientSecret"] is True
    assert stored["redirectUri"] == redirect_uri
    assert field(browser, "clientSecret").get_attribute("value") == ""
    assert "secret is stored" in field(browser, "clientSecret").get_attribute("placeholder")
    assert client_form(browser).find_element(By.CSS_SELECTOR, '[data-client-field="removeSecret"]').is_displayed()
    # And the sign-in above reads the client again: it now names the redirect URI of the server callback
    hint = wait(browser).until(lambda d: d.find_element(By.CSS_SELECTOR, "account-editor oauth-sign-in [data-redirect-hint]"))
    assert hint.find_element(By.CSS_SELECTOR, "[data-copy-value]").text == redirect_uri
    # And the copy button copies the redirect URI
    current.find_element(By.CSS_SELECTOR, '[data-op="copy-value"]').click()
    wait(browser).until(lambda d: current.find_element(By.CSS_SELECTOR, "[data-copy-note]").text == "Copied.")
    assert browser.execute_async_script(
        "const done = arguments[0]; navigator.clipboard.readText().then(done, (e) => done(String(e)));") == redirect_uri
    shot(browser, "switchboard-oauth-client-saved.png", "account-editor [data-flow-panel]")

    # When "Remove stored secret" is ticked and the form saved again, Then the secret is gone and the rest stays
    client_form(browser).find_element(By.CSS_SELECTOR, '[data-client-field="removeSecret"]').click()
    client_form(browser).find_element(By.CSS_SELECTOR, '[data-op="client-save"]').click()
    wait(browser).until(lambda d: stored_client(oauth_stack)["hasClientSecret"] is False)
    assert stored_client(oauth_stack)["clientId"] == fake.client_id
    wait(browser).until(lambda d: not d.find_element(By.CSS_SELECTOR, 'account-editor oauth-client-form [data-client-field="removeSecret"]').is_displayed())

    # When "Back to the built-in client" is pressed
    client_form(browser).find_element(By.CSS_SELECTOR, '[data-op="client-revert"]').click()

    # Then the built-in client is back, on the server and in the page, and the button goes away
    wait(browser).until(lambda d: source(d) == "default")
    assert stored_client(oauth_stack)["source"] == "default"
    assert client_form(browser).find_element(By.CSS_SELECTOR, "[data-client-id]").text == built_in["clientId"]
    assert not client_form(browser).find_element(By.CSS_SELECTOR, '[data-op="client-revert"]').is_displayed()
    wait(browser).until(lambda d: not d.find_elements(By.CSS_SELECTOR, "account-editor oauth-sign-in [data-redirect-hint]"))
    assert unexpected_console_errors(browser, REFUSED) == []
    assert csp_violations(browser) == []


def test_a_sign_in_after_saving_an_oauth_app_in_the_page_goes_through_that_app(
        browser, oauth_stack, fake_provider, fake, built_in_client, created):
    # Given an OpenAI account on the built-in client
    account_id = given_account(oauth_stack, created, fake_provider, "own-app")
    open_account(browser, oauth_stack, account_id)
    start_button(browser)

    # When the fake is saved as the OAuth app through the page
    body = fake.client()
    open_client_form(browser)
    for name in ("authorizeUrl", "tokenUrl", "deviceAuthorizationUrl", "issuer"):
        replace_text(field(browser, name), body[name])
    replace_text(field(browser, "scopes"), " ".join(body["scopes"]))
    field(browser, "clientId").send_keys(body["clientId"])
    client_form(browser).find_element(By.CSS_SELECTOR, '[data-op="client-save"]').click()
    wait(browser).until(lambda d: source(d) == "operator")

    # Then "Sign in with OpenAI" goes to the fake, which sends the browser back to the server's callback
    outcome = through_the_fake(browser, start_button(browser))
    assert outcome[0] == "connected"
    assert account_id in signed_in(browser).text
    assert account(oauth_stack, account_id)["credential"]["kind"] == "oauth"
    authorize = fake.requests("/authorize")
    assert len(authorize) == 1
    assert authorize[0].query["client_id"] == fake.client_id
    assert authorize[0].query["redirect_uri"] == f"{oauth_stack.base_url}/api/oauth/{PROVIDER}/callback"
    assert unexpected_console_errors(browser) == []
    assert csp_violations(browser) == []
