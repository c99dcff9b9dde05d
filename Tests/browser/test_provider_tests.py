"""Connection tests and model discovery in the Providers & Auth card, in a real browser against a stack of its
own that talks to a fake OpenAI-compatible provider over real HTTPS (Tests/fakes/provider.py): the
Test button on a good and a bad key, the test of a typed key when its field is left, and the default-model
list from the provider with Refresh, its failure, Retry and a typed model id. Every test uses account ids of
its own and deletes what it created; the custom provider `fakeai` lives for the module."""

import re
import secrets
import time

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select

from conftest import csp_violations
from test_providers import (accounts, announced, call, editor_status, open_editor, open_providers, raw_accounts,
                            replace_text, shot, text_of, tile, unexpected_console_errors, unique, wait)

PROVIDER = "fakeai"


def good_key():
    return f"sk-good-CANARYSECRETtest-{secrets.token_hex(12)}"


def bad_key():
    # The fake refuses any key with "bad" in it, the way OpenAI refuses a wrong key.
    return f"sk-bad-CANARYSECRETtest-{secrets.token_hex(12)}"


@pytest.fixture(scope="module")
def fakeai(provider_stack, fake_provider):
    """The fake provider in the catalog as the custom OpenAI-compatible provider `fakeai`."""
    status, _, body = call(provider_stack, "PUT", f"/api/catalog/custom/{PROVIDER}", {
        "id": PROVIDER, "name": "Fake AI", "type": "openai", "api_endpoint": fake_provider.url,
        "models": [{"id": "fake-large", "name": "Fake Large", "default_max_tokens": 4096}],
    })
    assert status == 200, body
    yield PROVIDER
    call(provider_stack, "DELETE", f"/api/catalog/custom/{PROVIDER}")


@pytest.fixture
def created(provider_stack):
    """Account ids the test creates (through the page or the API); deleted afterwards."""
    ids = []
    yield ids
    for account_id in ids:
        call(provider_stack, "DELETE", f"/api/accounts/{account_id}")


@pytest.fixture
def fake(fake_provider):
    """The fake provider, answering without delay again after the test."""
    yield fake_provider
    fake_provider.delay = 0.0


def given_account(stack, created, prefix, display_name, key):
    account_id = f"{PROVIDER}:{unique(prefix)}"
    status, _, body = call(stack, "POST", "/api/accounts", {
        "id": account_id, "provider": PROVIDER, "displayName": display_name, "authMethod": "api_key",
        "credential": {"kind": "api_key", "apiKey": key},
    })
    assert status == 201, body
    created.append(account_id)
    return account_id


def account(stack, account_id):
    status, _, body = call(stack, "GET", f"/api/accounts/{account_id}")
    assert status == 200, body
    return body


def the_key_went_only_in_the_authorization_header(fake, key):
    """Every request the fake got with `key` sent it as the bearer token to /v1/models, and no request carried
    it in its path, query or another header."""
    with_key = fake.requests_with_key(key)
    assert with_key, "the fake provider saw no request with the key"
    for request in with_key:
        assert request.headers["authorization"] == f"Bearer {key}"
        assert request.path == "/v1/models"
    for request in fake.requests():
        assert key not in request.path
        assert not [name for name, value in request.headers.items() if name != "authorization" and key in value]
    return with_key


def the_test_button(driver):
    return driver.find_element(By.CSS_SELECTOR, 'account-editor [data-op="test"]')


def the_test_result(driver, ok):
    """The Test button's outcome once it shows, with `data-ok` as expected."""
    wanted = "true" if ok else "false"
    return wait(driver).until(lambda d: next(iter(d.find_elements(
        By.CSS_SELECTOR, f'account-editor [data-test-result] .test-result[data-ok="{wanted}"]')), None))


def key_test(driver, field="apiKey"):
    """The box under a credential field where the test of the typed value shows."""
    return driver.find_element(By.CSS_SELECTOR, f'account-editor [data-test-for="{field}"]')


def option_sources(driver):
    """The default-model select's options: {value: (data-source, label of its optgroup or None)}."""
    return driver.execute_script("""
        return Object.fromEntries([...document.querySelectorAll('#acct-default-model option')].map(
            (o) => [o.value, [o.dataset.source ?? null, o.parentElement.tagName === 'OPTGROUP' ? o.parentElement.label : null]]));
    """)


# MARK: The Test button


def test_the_test_button_on_a_good_key_says_connected_and_the_tile_follows(browser, provider_stack, fakeai, fake, created):
    # Given a Fake AI account with a working key, not tested yet, open in the editor
    key = good_key()
    account_id = given_account(provider_stack, created, "good", "Good key", key)
    open_providers(browser, provider_stack)
    open_editor(browser, PROVIDER, account_id)
    assert editor_status(browser) == "Untested"
    assert "Untested" in tile(browser, PROVIDER).text

    # When Test connection is pressed (the provider takes a moment to answer)
    fake.delay = 1.0
    button = the_test_button(browser)
    assert button.text == "Test connection"
    button.click()

    # Then the button says it is testing and cannot be pressed again meanwhile
    wait(browser).until(lambda d: the_test_button(d).text == "Testing…")
    assert not the_test_button(browser).is_enabled()
    assert the_test_button(browser).get_attribute("aria-busy") == "true"

    # And then it says Connected with the provider's summary, the models, the time it took and the allowance left
    result = the_test_result(browser, ok=True)
    stored = account(provider_stack, account_id)
    assert stored["status"] == "connected"
    assert stored["lastTest"]["ok"] is True and stored["lastTest"]["at"]
    summary = result.find_element(By.CSS_SELECTOR, "[data-test-summary]").text
    assert summary == f"Connected — {stored['lastTest']['summary']}"
    facts = result.find_element(By.CSS_SELECTOR, ".test-result__facts").text
    assert "2 models" in facts and re.search(r"\d ms", facts)
    assert re.search(r"Requests left: 4\D?999 of 5\D?000", result.find_element(By.CSS_SELECTOR, "[data-quota]").text)
    assert browser.find_element(By.CSS_SELECTOR, "account-editor [data-test-result]").get_attribute("role") == "status"

    # And the editor and the tile show the account as Connected, tested just now
    wait(browser).until(lambda d: editor_status(d) == "Connected")
    assert "Last tested just now" in text_of(browser, "account-editor [data-last-test]")
    wait(browser).until(lambda d: "Connected" in tile(d, PROVIDER).text)
    assert the_test_button(browser).text == "Test connection" and the_test_button(browser).is_enabled()
    assert browser.switch_to.active_element == the_test_button(browser)
    shot(browser, "switchboard-provider-test-connected.png", "account-editor")

    # And the provider got the key as the bearer token of GET /v1/models, and nowhere else
    the_key_went_only_in_the_authorization_header(fake, key)
    assert key not in browser.page_source
    assert csp_violations(browser) == []
    assert unexpected_console_errors(browser) == []


def test_the_test_button_on_a_refused_key_says_why_and_keeps_what_was_typed(browser, provider_stack, fakeai, fake, created):
    # Given a Fake AI account whose key the provider refuses, open in the editor with unsaved changes
    key = bad_key()
    account_id = given_account(provider_stack, created, "bad", "Bad key", key)
    open_providers(browser, provider_stack)
    open_editor(browser, PROVIDER, account_id)
    replace_text(browser.find_element(By.ID, "acct-display-name"), "Renamed draft")
    browser.find_element(By.CSS_SELECTOR, "account-editor [data-advanced] summary").click()
    browser.find_element(By.ID, "acct-timeout").send_keys("45")

    # When Test connection is pressed
    the_test_button(browser).click()

    # Then the provider's summary leads, followed by the reason in words and the HTTP status; the key is not in it
    result = the_test_result(browser, ok=False)
    stored = account(provider_stack, account_id)
    assert stored["status"] == "error"
    assert stored["lastTest"]["ok"] is False and stored["lastTest"]["category"] == "auth"
    summary = result.find_element(By.CSS_SELECTOR, "[data-test-summary]").text
    assert summary == stored["lastTest"]["summary"] and summary
    assert key not in summary and key[-12:] not in summary
    category = result.find_element(By.CSS_SELECTOR, "[data-test-category]").text
    assert "The key was rejected" in category and "HTTP 401" in category
    assert result.get_attribute("data-category") == "auth"
    wait(browser).until(lambda d: editor_status(d) == "Error")
    wait(browser).until(lambda d: "Error" in tile(d, PROVIDER).text)
    assert key not in browser.page_source
    shot(browser, "switchboard-provider-test-refused.png", "account-editor")

    # And what was typed is still there, not saved
    assert browser.find_element(By.ID, "acct-display-name").get_attribute("value") == "Renamed draft"
    assert browser.find_element(By.ID, "acct-timeout").get_attribute("value") == "45"
    assert stored["displayName"] == "Bad key" and stored.get("timeoutSeconds") is None

    # When it is saved now, Then it is saved as typed (the test did not make the editor's version stale)
    browser.find_element(By.CSS_SELECTOR, 'account-editor [data-op="save"]').click()
    announced(browser, "Saved Renamed draft")
    stored = account(provider_stack, account_id)
    assert stored["displayName"] == "Renamed draft" and stored["timeoutSeconds"] == 45
    the_key_went_only_in_the_authorization_header(fake, key)
    assert csp_violations(browser) == []
    assert unexpected_console_errors(browser) == []


# MARK: Testing a typed key


def test_leaving_a_typed_key_tests_it_once_and_keeps_it_and_stores_nothing(browser, provider_stack, fakeai, fake, created):
    # Given the editor for a new Fake AI account
    name = unique("draft")
    account_id = f"{PROVIDER}:{name}"
    created.append(account_id)
    open_providers(browser, provider_stack)
    open_editor(browser, PROVIDER)
    replace_text(browser.find_element(By.ID, "acct-name"), name)
    field = browser.find_element(By.ID, "acct-cred-apiKey")
    assert "acct-cred-apiKey-test" in field.get_attribute("aria-describedby").split()
    assert key_test(browser).get_attribute("role") == "status"

    # When a key the provider refuses is typed and the field is left
    key = bad_key()
    field.send_keys(key)
    field.send_keys(Keys.TAB)

    # Then the refusal shows under the field, with the reason, and the field still holds the key
    failed = wait(browser).until(lambda d: next(iter(key_test(d).find_elements(By.CSS_SELECTOR, '.test-result[data-ok="false"]')), None))
    summary = failed.find_element(By.CSS_SELECTOR, "[data-test-summary]").text
    assert summary and key not in summary
    assert "The key was rejected" in failed.find_element(By.CSS_SELECTOR, "[data-test-category]").text
    assert field.get_attribute("value") == key
    assert key not in browser.execute_script("return document.body.innerText")
    shot(browser, "switchboard-provider-key-refused-inline.png", "#acct-cred-apiKey")

    # And one request reached the provider, with the key as its bearer token; leaving the field again, unchanged,
    # sends no other
    assert len(the_key_went_only_in_the_authorization_header(fake, key)) == 1
    field.click()
    field.send_keys(Keys.TAB)
    time.sleep(1)
    assert len(fake.requests_with_key(key)) == 1

    # And nothing was stored
    assert account_id not in accounts(provider_stack)
    assert key not in raw_accounts(provider_stack)

    # When a working key is typed instead, the field left, and typed into again before the slow answer comes
    good = good_key()
    fake.delay = 1.5
    replace_text(field, good)
    field.send_keys(Keys.TAB)
    wait(browser).until(lambda d: "Testing the key" in key_test(d).text)
    field.click()
    field.send_keys(Keys.END, "x")

    # Then the late answer, for the key as it was, is not shown
    wait(browser, 10).until(lambda d: fake.requests_with_key(good))
    time.sleep(fake.delay + 1)
    assert key_test(browser).text == ""

    # When the field is left again, Then the key as it is now is tested and works
    fake.delay = 0.0
    field.send_keys(Keys.TAB)
    works = wait(browser).until(lambda d: next(iter(key_test(d).find_elements(By.CSS_SELECTOR, '.test-result[data-ok="true"]')), None))
    assert works.find_element(By.CSS_SELECTOR, "[data-test-summary]").text == "Key works — 2 models"
    assert field.get_attribute("value") == good + "x"
    assert account_id not in accounts(provider_stack)
    assert csp_violations(browser) == []
    assert unexpected_console_errors(browser) == []


def test_a_typed_replacement_key_is_tested_without_touching_the_stored_one(browser, provider_stack, fakeai, fake, created):
    # Given a Fake AI account with a working key
    stored_key = good_key()
    account_id = given_account(provider_stack, created, "keep", "Keep key", stored_key)
    before = account(provider_stack, account_id)
    open_providers(browser, provider_stack)
    open_editor(browser, PROVIDER, account_id)

    # When a refused key is typed into its replacement field and the field is left
    key = bad_key()
    field = browser.find_element(By.ID, "acct-cred-apiKey")
    field.send_keys(key)
    field.send_keys(Keys.TAB)

    # Then the refusal shows under the field, which keeps the key
    wait(browser).until(lambda d: key_test(d).find_elements(By.CSS_SELECTOR, '.test-result[data-ok="false"]'))
    assert field.get_attribute("value") == key
    assert len(the_key_went_only_in_the_authorization_header(fake, key)) == 1

    # And the stored credential and the account's status are as they were
    after = account(provider_stack, account_id)
    assert after["credential"] == before["credential"]
    assert after["status"] == before["status"] == "untested"
    assert after.get("lastTest") == before.get("lastTest")
    assert editor_status(browser) == "Untested"
    assert csp_violations(browser) == []
    assert unexpected_console_errors(browser) == []


# MARK: Models from the provider


def saved(driver, display_name):
    """Waits for the save to be announced; a refusal fails at once, with the field's message."""
    wait(driver).until(lambda d: d.find_element(By.ID, "announcer").text == f"Saved {display_name}"
                       or text_of(d, "account-editor .account-editor__banner"))
    refused = text_of(driver, "account-editor .account-editor__banner")
    assert not refused, f"{refused} / defaultModel: {text_of(driver, '#acct-default-model-messages')}"


def refresh_button(driver):
    return driver.find_element(By.CSS_SELECTOR, '.account-models__row [data-op="models-refresh"]')


def models_problem(driver):
    return wait(driver).until(lambda d: next(iter(d.find_elements(
        By.CSS_SELECTOR, "account-editor [data-models-problem] .account-models__problem")), None))


def retry_has_the_focus_again(driver, pressed):
    """The pressed Retry was replaced (the answer is shown) and the new, enabled Retry of the models problem has the
    focus (checked in one script, so that a re-render between two WebDriver calls cannot make the answer stale)."""
    wait(driver).until(EC.staleness_of(pressed))
    return wait(driver).until(lambda d: d.execute_script("""
        const active = document.activeElement;
        return active.textContent === 'Retry' && !active.disabled
            && active.closest('account-editor [data-models-problem]') !== null;"""))


def refreshed(driver, provider_stack, fake, created, prefix):
    """A Fake AI account with a working key open in the editor, its models refreshed from the provider once."""
    account_id = given_account(provider_stack, created, prefix, "Models test", good_key())
    open_providers(driver, provider_stack)
    open_editor(driver, PROVIDER, account_id)
    wait(driver).until(lambda d: "fake-large" in option_sources(d))
    refresh_button(driver).click()
    wait(driver).until(lambda d: "fake-small" in option_sources(d))
    return account_id


def test_refresh_models_offers_what_the_provider_lists_and_a_discovered_model_can_be_the_default(browser, provider_stack, fakeai, fake, created):
    # Given a Fake AI account with a working key, open in the editor
    account_id = given_account(provider_stack, created, "models", "Models test", good_key())
    open_providers(browser, provider_stack)
    open_editor(browser, PROVIDER, account_id)

    # Then the default-model list is the catalog's until the provider is asked
    wait(browser).until(lambda d: "fake-large" in option_sources(d))
    assert "fake-small" not in option_sources(browser)
    assert refresh_button(browser).text == "Refresh models"

    # When Refresh models is pressed
    refresh_button(browser).click()

    # Then the models the provider lists are offered, marked as discovered, and the list says when it was fetched
    wait(browser).until(lambda d: "fake-small" in option_sources(d))
    sources = option_sources(browser)
    assert sources["fake-small"] == ["discovered", "Discovered from the provider"]
    assert sources["fake-large"][0] == "both"
    wait(browser).until(lambda d: "Updated just now" in (text_of(d, "account-editor [data-models-updated]") or ""))
    assert text_of(browser, "account-editor [data-models-problem]") == ""
    assert not browser.find_element(By.ID, "acct-manual-model").is_displayed()
    announced(browser, "Fake AI offers 2 models; the list is updated")
    listed = call(provider_stack, "GET", f"/api/accounts/{account_id}/models")[2]
    assert {m["id"]: m["source"] for m in listed["models"]} == {"fake-large": "both", "fake-small": "discovered"}
    assert listed["fetchedAt"]
    # (A refresh is a connection test: the account is Connected now.)
    wait(browser).until(lambda d: editor_status(d) == "Connected")

    # When the discovered model is chosen and saved, Then it is the account's default model
    Select(browser.find_element(By.ID, "acct-default-model")).select_by_value("fake-small")
    browser.find_element(By.CSS_SELECTOR, 'account-editor [data-op="save"]').click()
    saved(browser, "Models test")
    assert account(provider_stack, account_id)["defaultModel"] == "fake-small"
    wait(browser).until(lambda d: d.find_element(By.ID, "acct-default-model").get_attribute("value") == "fake-small")
    assert csp_violations(browser) == []
    assert unexpected_console_errors(browser) == []


def test_a_failed_model_fetch_says_why_next_to_retry_and_offers_a_typed_model_id(browser, provider_stack, fakeai, fake, created):
    # Given a Fake AI account whose models were fetched once
    refreshed(browser, provider_stack, fake, created, "down")

    # When the provider cannot be reached and Refresh models is pressed
    with fake.down():
        refresh_button(browser).click()

        # Then the failure shows next to Retry, the models known so far stay, and a model id can be typed instead
        problem = models_problem(browser)
        assert "The models could not be fetched from Fake AI:" in problem.text
        assert problem.get_attribute("data-category") == "network"
        retry = problem.find_element(By.CSS_SELECTOR, '[data-op="models-refresh"]')
        assert retry.text == "Retry"
        assert "acct-models-problem-text" in retry.get_attribute("aria-describedby")
        assert {"fake-large", "fake-small"} <= set(option_sources(browser))
        manual = browser.find_element(By.ID, "acct-manual-model")
        assert manual.is_displayed()
        assert browser.find_element(By.CSS_SELECTOR, 'label[for="acct-manual-model"]').text == "Model id (manual)"
        wait(browser).until(lambda d: editor_status(d) == "Error")
        shot(browser, "switchboard-provider-models-failed.png", "#acct-default-model")

        # When Retry is pressed while the provider is still down, Then the failure stays, with the focus on Retry
        retry.click()
        # (the block is rendered anew when the answer is shown: the pressed button goes, an enabled Retry has the focus)
        retry_has_the_focus_again(browser, retry)
        assert models_problem(browser).is_displayed()

    # When the provider is back and Retry is pressed
    browser.find_element(By.CSS_SELECTOR, 'account-editor [data-models-problem] [data-op="models-refresh"]').click()

    # Then the failure and the typed-id field are gone and the list is there
    wait(browser).until(lambda d: text_of(d, "account-editor [data-models-problem]") == "")
    assert not browser.find_element(By.ID, "acct-manual-model").is_displayed()
    assert {"fake-large", "fake-small"} <= set(option_sources(browser))
    wait(browser).until(lambda d: editor_status(d) == "Connected")
    assert csp_violations(browser) == []
    assert unexpected_console_errors(browser) == []


def test_a_typed_model_id_is_saved_as_the_default_model(browser, provider_stack, fakeai, fake, created):
    # Given a Fake AI account whose model fetch failed, so the model id can be typed
    account_id = refreshed(browser, provider_stack, fake, created, "manual")
    with fake.down():
        refresh_button(browser).click()
        models_problem(browser)

    # When a model id is typed and saved
    browser.find_element(By.ID, "acct-manual-model").send_keys("fake-preview")
    browser.find_element(By.CSS_SELECTOR, 'account-editor [data-op="save"]').click()

    # Then that id is the account's default model, and the list shows it chosen
    saved(browser, "Models test")
    assert account(provider_stack, account_id)["defaultModel"] == "fake-preview"
    wait(browser).until(lambda d: d.find_element(By.ID, "acct-default-model").get_attribute("value") == "fake-preview")
    assert csp_violations(browser) == []
    assert unexpected_console_errors(browser) == []


def test_a_new_account_offers_the_catalog_models_without_refresh(browser, provider_stack, fakeai):
    # Given the editor for a new Fake AI account
    open_providers(browser, provider_stack)
    open_editor(browser, PROVIDER)

    # Then the default-model list is the catalog's, and there is nothing to refresh or test yet
    wait(browser).until(lambda d: "fake-large" in option_sources(d))
    assert option_sources(browser)["fake-large"] == ["catalog", None]
    assert not browser.find_elements(By.CSS_SELECTOR, 'account-editor [data-op="models-refresh"]')
    assert not browser.find_elements(By.CSS_SELECTOR, 'account-editor [data-op="test"]')
    assert csp_violations(browser) == []
    assert unexpected_console_errors(browser) == []
