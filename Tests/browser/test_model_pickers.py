"""Issue 17, parts 1-3, in a real browser against the real stack: the model pickers (provider first, connected
ones first, facts and sources on every option, Connect for the rest, images only for the image model, a manual id
in Expert Mode), fallbacks reordered by dragging and by keys, and the settings per model (alias and parameters,
checked as typed, refused by the server at the field with the draft kept). Every control is read back after a
reload. The stack is shared: each test sets up the keys it needs and puts them back."""

import secrets

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from conftest import (api_call, console_errors, csp_violations, patch_settings, pick, picked, picker,
                      settings, sign_in, visible, wait)

SONNET = "anthropic/claude-sonnet-4-5-20250929"
HAIKU = "anthropic/claude-haiku-4-5-20251001"
GPT5 = "openai/gpt-5"
GEMINI = "google/gemini-2.5-pro"
PRIMARY = 'model-picker[data-for="/agents/defaults/model/primary"]'
IMAGE = 'model-picker[data-for="/agents/defaults/imageModel/primary"]'
BRAIN = 'model-picker[data-for="/agents/main/model"]'
HEARTBEAT = 'model-picker[data-for="/agents/defaults/heartbeat/model"]'
LIST = 'model-list[data-for="/agents/defaults/model/fallbacks"]'


def defaults(view):
    return view["config"]["agents"]["defaults"]


def open_settings(driver, stack):
    sign_in(driver, stack)
    visible(driver, "global-behaviour-card h3")
    picker(driver, PRIMARY)


def page_revision(driver):
    return int(driver.find_element(By.CSS_SELECTOR, "model-provider-section").get_attribute("data-revision"))


def wait_saved(driver, after):
    wait(driver).until(lambda d: page_revision(d) > after
                       and d.find_element(By.CSS_SELECTOR, ".save-status").get_attribute("data-state") == "saved")
    return page_revision(driver)


def fallback_names(driver):
    return [e.text for e in driver.find_elements(By.CSS_SELECTOR, f"{LIST} .model-list__name")]


def announced(driver, text):
    wait(driver).until(lambda d: d.find_element(By.ID, "announcer").text == text)


def open_advanced(driver):
    summary = driver.find_element(By.CSS_SELECTOR, "default-models-card details.disclosure > summary")
    if summary.find_element(By.XPATH, "..").get_attribute("open") is None:
        summary.click()


def catalog_models(stack, provider):
    status, body = api_call(stack, "GET", f"/api/catalog/{provider}")
    assert status == 200
    return body["models"]


# MARK: Part 1, the pickers


def test_pickers_put_connected_providers_first_show_each_models_facts_and_offer_connect_for_the_rest(browser, stack):
    # Given an Anthropic account and no OpenAI one
    account = f"anthropic:pick{secrets.token_hex(3)}"
    key = f"sk-ant-api03-CANARYSECRET-{secrets.token_hex(12)}"
    status, body = api_call(stack, "POST", "/api/accounts", {"id": account, "provider": "anthropic",
                                                              "credential": {"kind": "api_key", "apiKey": key}})
    assert status == 201, body
    try:
        open_settings(browser, stack)
        primary = picker(browser, PRIMARY)
        provider = primary.find_element(By.CSS_SELECTOR, '[data-picker="provider"]')

        # Then the connected provider is in the first group and the others are marked not connected
        groups = provider.find_elements(By.CSS_SELECTOR, "optgroup")
        assert groups[0].get_attribute("label") == "Connected"
        assert "Anthropic" in [o.text for o in groups[0].find_elements(By.TAG_NAME, "option")]
        assert groups[1].get_attribute("label") == "Not connected"
        assert "OpenAI (not connected)" in [o.text for o in groups[1].find_elements(By.TAG_NAME, "option")]

        # When Anthropic is chosen, Then every model option says its context, max output, price and source
        Select(provider).select_by_value("anthropic")
        options = primary.find_elements(By.CSS_SELECTOR, '[data-picker="model"] option:not([value=""])')
        expected = {m["reference"]: m for m in catalog_models(stack, "anthropic")}
        assert {o.get_attribute("value") for o in options} == set(expected)
        sonnet = next(o for o in options if o.get_attribute("value") == SONNET)
        assert "200K context" in sonnet.text and "64K out" in sonnet.text
        assert f"${expected[SONNET]['costPer1MIn']:g} in / ${expected[SONNET]['costPer1MOut']:g} out per 1M" in sonnet.text
        assert sonnet.text.endswith("catalog")
        assert not primary.find_element(By.CSS_SELECTOR, "[data-connect]").is_displayed()

        # When a provider without an account is chosen, Then it offers Connect, which opens its account editor
        Select(provider).select_by_value("openai")
        connect = primary.find_element(By.CSS_SELECTOR, "[data-connect] a")
        assert connect.text == "Connect OpenAI"
        assert "Not connected" in primary.find_element(By.CSS_SELECTOR, "[data-connect]").text
        connect.click()
        editor = visible(browser, "providers-card account-editor")
        assert "OpenAI" in editor.text
        assert browser.find_element(By.CSS_SELECTOR, '.provider-tile[data-provider="openai"]').get_attribute("data-open") is not None
        assert csp_violations(browser) == []
        assert console_errors(browser) == []
    finally:
        api_call(stack, "DELETE", f"/api/accounts/{account}")


def test_every_model_picker_saves_its_choice_and_shows_it_after_a_reload(browser, stack):
    # Given the page
    open_settings(browser, stack)
    revision = page_revision(browser)

    # When the System Brain, heartbeat, default text and default image models are picked
    pick(browser, BRAIN, HAIKU)
    pick(browser, HEARTBEAT, HAIKU)
    pick(browser, PRIMARY, SONNET)
    pick(browser, IMAGE, GEMINI)

    # Then they are saved
    wait_saved(browser, revision)
    wait(browser).until(lambda d: defaults(settings(stack)).get("imageModel", {}).get("primary") == GEMINI)
    view = settings(stack)
    assert view["config"]["agents"]["main"]["model"] == HAIKU
    assert defaults(view)["heartbeat"]["model"] == HAIKU
    assert defaults(view)["model"]["primary"] == SONNET

    # And after a reload every picker shows its model with its facts
    browser.refresh()
    visible(browser, "global-behaviour-card h3")
    for css, reference in ((BRAIN, HAIKU), (HEARTBEAT, HAIKU), (PRIMARY, SONNET), (IMAGE, GEMINI)):
        element = picker(browser, css)
        wait(browser).until(lambda d: picked(element) == reference)
        assert reference in element.find_element(By.CSS_SELECTOR, ".model-picker__facts").text

    # When the System Brain's provider is set back to "Not set", Then the key is removed and the default applies
    revision = page_revision(browser)
    Select(picker(browser, BRAIN).find_element(By.CSS_SELECTOR, '[data-picker="provider"]')).select_by_value("")
    wait_saved(browser, revision)
    assert "model" not in settings(stack)["config"]["agents"].get("main", {})
    assert "Not set: The default text model" in browser.find_element(By.CSS_SELECTOR, BRAIN).text
    patch_settings(stack, {"agents": {"defaults": {"heartbeat": {"model": None}, "imageModel": {"primary": None}}}})
    assert csp_violations(browser) == []
    assert console_errors(browser) == []


def test_the_image_picker_offers_only_models_that_take_images(browser, stack):
    # Given the catalog's models, some of which take images and some not
    providers = [p["id"] for p in api_call(stack, "GET", "/api/catalog")[1]["providers"]]
    models = {p: catalog_models(stack, p) for p in providers}
    takes = {m["reference"] for ms in models.values() for m in ms if m["capabilities"]["attachments"]}
    text_only = {m["reference"] for ms in models.values() for m in ms if not m["capabilities"]["attachments"]}
    assert takes and text_only, "the catalog should have both kinds for this test to mean something"

    # When every provider the image picker offers is chosen in turn
    open_settings(browser, stack)
    image = picker(browser, IMAGE)
    provider = image.find_element(By.CSS_SELECTOR, '[data-picker="provider"]')
    offered_providers = [o.get_attribute("value") for o in provider.find_elements(By.TAG_NAME, "option") if o.get_attribute("value")]
    offered = set()
    for p in offered_providers:
        Select(provider).select_by_value(p)
        offered |= {o.get_attribute("value") for o in image.find_elements(By.CSS_SELECTOR, '[data-picker="model"] option:not([value=""])')}

    # Then exactly the models that take images were offered, and no provider without one
    assert offered == takes
    assert not offered & text_only
    for p, ms in models.items():
        if not any(m["capabilities"]["attachments"] for m in ms):
            assert p not in offered_providers
    # While the text picker offers the others too
    text = picker(browser, PRIMARY)
    some_text_only = next(iter(text_only))
    Select(text.find_element(By.CSS_SELECTOR, '[data-picker="provider"]')).select_by_value(some_text_only.split("/")[0])
    assert some_text_only in {o.get_attribute("value") for o in text.find_elements(By.CSS_SELECTOR, '[data-picker="model"] option')}


def test_expert_mode_takes_a_manual_id_saves_it_as_manual_and_both_survive_a_reload(browser, stack):
    # Given the page with Expert Mode off: there is no manual field
    open_settings(browser, stack)
    primary = picker(browser, PRIMARY)
    assert not primary.find_element(By.CSS_SELECTOR, "[data-manual]").is_displayed()
    revision = page_revision(browser)
    manual_id = f"anthropic/claude-finetune-{secrets.token_hex(3)}"

    # When Expert Mode is switched on and an id with a space is typed, Then it is refused before any request
    browser.find_element(By.ID, "expert-mode").click()
    field = primary.find_element(By.CSS_SELECTOR, "[data-manual-input]")
    assert field.is_displayed()
    field.send_keys("anthropic/has space", Keys.ENTER)
    problem = primary.find_element(By.CSS_SELECTOR, "[data-manual-problem]")
    assert "without spaces" in problem.text
    assert field.get_attribute("aria-invalid") == "true"
    assert page_revision(browser) == revision

    # When a well-formed id is used
    field.clear()
    field.send_keys(manual_id)
    primary.find_element(By.CSS_SELECTOR, '[data-action="use-manual"]').click()

    # Then it is the default text model, with manual: true in its model entry
    wait_saved(browser, revision)
    view = settings(stack)
    assert defaults(view)["model"]["primary"] == manual_id
    assert defaults(view)["models"][manual_id]["manual"] is True

    # And after a reload Expert Mode is still on and the picker shows the manual id
    browser.refresh()
    visible(browser, "global-behaviour-card h3")
    assert browser.find_element(By.ID, "expert-mode").is_selected()
    primary = picker(browser, PRIMARY)
    wait(browser).until(lambda d: picked(primary) == manual_id)
    assert "manual id" in primary.find_element(By.CSS_SELECTOR, ".model-picker__facts").text
    browser.find_element(By.ID, "expert-mode").click()
    assert not primary.find_element(By.CSS_SELECTOR, "[data-manual]").is_displayed()
    patch_settings(stack, {"agents": {"defaults": {"model": {"primary": SONNET}, "models": {manual_id: None}}}})
    assert csp_violations(browser) == []
    assert console_errors(browser) == []


# MARK: Part 2, fallbacks by drag and by keys


def drag(driver, handle, target, above=True):
    """Drags `handle` with the mouse to just above (or below) the middle of `target`."""
    offset = -target.size["height"] // 2 + 3 if above else target.size["height"] // 2 - 3
    ActionChains(driver).click_and_hold(handle).pause(0.1).move_to_element_with_offset(target, 0, offset // 2) \
        .pause(0.1).move_to_element_with_offset(target, 0, offset).pause(0.1).release().perform()


def test_fallbacks_reorder_by_dragging_and_by_keys_each_announced_saved_and_kept_after_a_reload(browser, stack):
    # Given three fallbacks
    patch_settings(stack, {"agents": {"defaults": {"model": {"primary": SONNET, "fallbacks": [GPT5, GEMINI, HAIKU]}}}})
    open_settings(browser, stack)
    wait(browser).until(lambda d: fallback_names(d) == [GPT5, GEMINI, HAIKU])
    revision = page_revision(browser)

    # When the last one is dragged by its handle above the first
    items = browser.find_elements(By.CSS_SELECTOR, f"{LIST} .model-list__item")
    drag(browser, items[2].find_element(By.CSS_SELECTOR, "[data-drag]"), items[0])

    # Then it is first, the move is announced and saved
    wait(browser).until(lambda d: fallback_names(d) == [HAIKU, GPT5, GEMINI])
    announced(browser, f"{HAIKU} moved to position 1 of 3")
    revision = wait_saved(browser, revision)
    assert defaults(settings(stack))["model"]["fallbacks"] == [HAIKU, GPT5, GEMINI]

    # When the first is dragged below the last
    items = browser.find_elements(By.CSS_SELECTOR, f"{LIST} .model-list__item")
    drag(browser, items[0].find_element(By.CSS_SELECTOR, "[data-drag]"), items[2], above=False)
    wait(browser).until(lambda d: fallback_names(d) == [GPT5, GEMINI, HAIKU])
    announced(browser, f"{HAIKU} moved to position 3 of 3")
    revision = wait_saved(browser, revision)

    # When the second is moved up with Alt+Up from the keyboard
    browser.find_elements(By.CSS_SELECTOR, f"{LIST} .model-list__name")[1].send_keys(Keys.ALT, Keys.ARROW_UP)
    assert fallback_names(browser) == [GEMINI, GPT5, HAIKU]
    announced(browser, f"{GEMINI} moved to position 1 of 3")
    wait_saved(browser, revision)

    # Then after a reload the order is the last one saved
    browser.refresh()
    visible(browser, "global-behaviour-card h3")
    wait(browser).until(lambda d: fallback_names(d) == [GEMINI, GPT5, HAIKU])
    assert defaults(settings(stack))["model"]["fallbacks"] == [GEMINI, GPT5, HAIKU]

    # And a drag let go where it started changes nothing
    revision = page_revision(browser)
    items = browser.find_elements(By.CSS_SELECTOR, f"{LIST} .model-list__item")
    ActionChains(browser).click_and_hold(items[1].find_element(By.CSS_SELECTOR, "[data-drag]")).release().perform()
    assert fallback_names(browser) == [GEMINI, GPT5, HAIKU]
    assert page_revision(browser) == revision
    assert csp_violations(browser) == []
    assert console_errors(browser) == []


def test_a_fallback_is_added_from_the_catalog_picker(browser, stack):
    patch_settings(stack, {"agents": {"defaults": {"model": {"primary": SONNET, "fallbacks": [GPT5]}}}})
    open_settings(browser, stack)
    wait(browser).until(lambda d: fallback_names(d) == [GPT5])
    revision = page_revision(browser)

    # When Add is pressed with nothing chosen, Then it says what to do
    browser.find_element(By.CSS_SELECTOR, f"{LIST} [data-action=add]").click()
    assert "Choose a provider and a model" in browser.find_element(By.CSS_SELECTOR, f"{LIST} .model-list__add + .field__error").text

    # When a model is picked and added
    pick(browser, f"{LIST} .model-list__add model-picker", HAIKU)
    browser.find_element(By.CSS_SELECTOR, f"{LIST} [data-action=add]").click()

    # Then it is the last fallback, announced and saved, and the picker is ready for the next
    assert fallback_names(browser) == [GPT5, HAIKU]
    announced(browser, f"{HAIKU} added as number 2")
    wait_saved(browser, revision)
    assert defaults(settings(stack))["model"]["fallbacks"] == [GPT5, HAIKU]
    assert picked(browser.find_element(By.CSS_SELECTOR, f"{LIST} .model-list__add model-picker")) == ""
    assert console_errors(browser) == []


# MARK: Part 3, settings per model


def model_row(driver, reference):
    return driver.find_element(By.CSS_SELECTOR, f'model-settings [data-model="{reference}"]')


def entry_input(driver, reference, rest):
    pointer = "/agents/defaults/models/" + reference.replace("~", "~0").replace("/", "~1") + rest
    return driver.find_element(By.CSS_SELECTOR, f'model-settings [data-pointer="{pointer}"]')


def test_model_settings_check_as_typed_save_and_come_back_after_a_reload(browser, stack):
    patch_settings(stack, {"agents": {"defaults": {"models": {SONNET: None, HAIKU: None}}}})
    open_settings(browser, stack)
    open_advanced(browser)
    revision = page_revision(browser)

    # When settings are added for Sonnet from the picker
    pick(browser, "model-settings .model-settings__add model-picker", SONNET)
    browser.find_element(By.CSS_SELECTOR, '[data-action="add-model-settings"]').click()
    row = wait(browser).until(lambda d: model_row(d, SONNET))
    announced(browser, f"Settings for {SONNET} added")
    assert "up to 64K out" in row.text
    # (an empty entry is not kept by the server: the row waits on the page for its first value)
    assert browser.switch_to.active_element == entry_input(browser, SONNET, "/alias")

    # When an alias with a slash is typed, Then it is refused under the field as it is typed
    alias = entry_input(browser, SONNET, "/alias")
    alias.send_keys("so/net")
    check = row.find_element(By.CSS_SELECTOR, f'#{alias.get_attribute("id")}-check')
    wait(browser).until(lambda d: "no slash" in check.text)
    assert alias.get_attribute("aria-invalid") == "true"

    # When it is corrected and parameters are set, Then the check clears and everything saves
    alias.send_keys(Keys.CONTROL, "a")
    alias.send_keys("sonnet")
    wait(browser).until(lambda d: check.text == "")
    temperature = entry_input(browser, SONNET, "/params/temperature")
    temperature.send_keys("0.3")
    tokens = entry_input(browser, SONNET, "/params/maxTokens")
    assert tokens.get_attribute("max") == "64000"
    tokens.send_keys("99999")
    tokens_check = row.find_element(By.CSS_SELECTOR, f'#{tokens.get_attribute("id")}-check')
    wait(browser).until(lambda d: "from 1 to 64000" in tokens_check.text)
    tokens.send_keys(Keys.BACKSPACE, Keys.BACKSPACE, Keys.BACKSPACE, Keys.BACKSPACE)
    tokens.send_keys("000")
    extra = row.find_element(By.CSS_SELECTOR, "[data-extra-for]")
    extra.send_keys('{"top_p": ')
    wait(browser).until(lambda d: "Not JSON yet" in row.text)
    assert row.find_element(By.CSS_SELECTOR, "[data-extra-for]").get_attribute("aria-invalid") == "true"
    extra.send_keys("0.9}")
    wait(browser).until(lambda d: "Not JSON yet" not in row.text)

    def saved(d):
        entry = defaults(settings(stack)).get("models", {}).get(SONNET, {})
        return entry.get("alias") == "sonnet" and entry.get("params") == {"temperature": 0.3, "maxTokens": 9000, "top_p": 0.9}
    wait(browser, 15).until(saved)

    # Then after a reload the row shows what was saved
    browser.refresh()
    visible(browser, "global-behaviour-card h3")
    open_advanced(browser)
    row = wait(browser).until(lambda d: model_row(d, SONNET))
    assert entry_input(browser, SONNET, "/alias").get_attribute("value") == "sonnet"
    assert entry_input(browser, SONNET, "/params/temperature").get_attribute("value") == "0.3"
    assert entry_input(browser, SONNET, "/params/maxTokens").get_attribute("value") == "9000"
    assert '"top_p": 0.9' in row.find_element(By.CSS_SELECTOR, "[data-extra-for]").get_attribute("value")

    # When the row is removed, Then its entry is gone
    revision = page_revision(browser)
    row.find_element(By.CSS_SELECTOR, '[data-action="remove-model-settings"]').click()
    wait_saved(browser, revision)
    assert SONNET not in defaults(settings(stack)).get("models", {})
    assert csp_violations(browser) == []
    assert console_errors(browser) == []


def test_an_alias_the_server_refuses_shows_at_its_field_and_the_draft_stays(browser, stack):
    # Given Haiku with the alias "quick" and Sonnet with settings of its own
    patch_settings(stack, {"agents": {"defaults": {"models": {HAIKU: {"alias": "quick"}, SONNET: {"params": {"temperature": 0.2}}}}}})
    open_settings(browser, stack)
    open_advanced(browser)
    wait(browser).until(lambda d: model_row(d, SONNET))
    revision = page_revision(browser)

    # When Sonnet is given the same alias
    alias = entry_input(browser, SONNET, "/alias")
    alias.send_keys("quick")

    # Then the page says it as it is typed, and the server refuses it at the field; the text stays; nothing is saved
    pointer = "/agents/defaults/models/" + SONNET.replace("/", "~1") + "/alias"
    box = browser.find_element(By.CSS_SELECTOR, f'[data-messages-for="{pointer}"]')
    wait(browser).until(lambda d: "already the alias" in box.text)
    assert box.find_element(By.CSS_SELECTOR, ".field__error").get_attribute("data-code") == "alias_taken"
    assert alias.get_attribute("value") == "quick"
    assert alias.get_attribute("aria-invalid") == "true"
    assert browser.find_element(By.CSS_SELECTOR, ".save-status").text == "Failed to save"
    assert page_revision(browser) == revision
    assert "alias" not in defaults(settings(stack))["models"][SONNET]

    # When it is changed to a free alias, Then it saves and the error clears
    alias.send_keys(Keys.CONTROL, "a")
    alias.send_keys("deep")
    wait_saved(browser, revision)
    wait(browser).until(lambda d: box.text == "")
    assert defaults(settings(stack))["models"][SONNET]["alias"] == "deep"
    patch_settings(stack, {"agents": {"defaults": {"models": {HAIKU: None, SONNET: None}}}})
    assert csp_violations(browser) == []


def test_models_from_discovery_are_offered_marked_with_their_source_and_saved_as_manual(browser, provider_stack, fake_provider):
    # Given a custom provider (the fake, over HTTPS) whose catalog lists one model, and a connected account whose
    # test discovered two
    provider = f"fakedisc{secrets.token_hex(2)}"
    account = f"{provider}:main"
    status, body = api_call(provider_stack, "PUT", f"/api/catalog/custom/{provider}", {
        "id": provider, "name": "Fake Discovery", "type": "openai", "api_endpoint": fake_provider.url,
        "models": [{"id": "fake-large", "name": "Fake Large", "context_window": 32000, "default_max_tokens": 4096,
                    "cost_per_1m_in": 1, "cost_per_1m_out": 2}]})
    assert status == 200, body
    try:
        status, body = api_call(provider_stack, "POST", "/api/accounts", {
            "id": account, "provider": provider, "authMethod": "api_key",
            "credential": {"kind": "api_key", "apiKey": f"sk-good-CANARYSECRETtest-{secrets.token_hex(12)}"}})
        assert status == 201, body
        status, body = api_call(provider_stack, "POST", f"/api/accounts/{account}/test")
        assert status == 200 and body["ok"], body
        sources = {m["id"]: m["source"] for m in api_call(provider_stack, "GET", f"/api/accounts/{account}/models")[1]["models"]}
        assert sources == {"fake-large": "both", "fake-small": "discovered"}

        # When its models are listed in the default text model's picker
        sign_in(browser, provider_stack)
        primary = picker(browser, PRIMARY)
        connected = primary.find_element(By.CSS_SELECTOR, '[data-picker="provider"] optgroup[label="Connected"]')
        assert "Fake Discovery" in [o.text for o in connected.find_elements(By.TAG_NAME, "option")]
        Select(primary.find_element(By.CSS_SELECTOR, '[data-picker="provider"]')).select_by_value(provider)

        # Then each says where it comes from
        options = {o.get_attribute("value"): o.text for o in primary.find_elements(By.CSS_SELECTOR, '[data-picker="model"] option:not([value=""])')}
        assert options[f"{provider}/fake-large"].endswith("catalog + discovered")
        assert "32K context" in options[f"{provider}/fake-large"] and "$1 in / $2 out per 1M" in options[f"{provider}/fake-large"]
        assert options[f"{provider}/fake-small"] == "fake-small — discovered"

        # When the discovered-only model is chosen, Then it is saved with manual: true (the catalog lacks it)
        revision = page_revision(browser)
        Select(primary.find_element(By.CSS_SELECTOR, '[data-picker="model"]')).select_by_value(f"{provider}/fake-small")
        wait_saved(browser, revision)
        view = settings(provider_stack)
        assert defaults(view)["model"]["primary"] == f"{provider}/fake-small"
        assert defaults(view)["models"][f"{provider}/fake-small"]["manual"] is True
        assert console_errors(browser) == []
    finally:
        view = settings(provider_stack)
        patch = {"agents": {"defaults": {"models": {f"{provider}/fake-small": None}}}}
        if defaults(view)["model"].get("primary", "").startswith(provider):
            patch["agents"]["defaults"]["model"] = {"primary": None}
        patch_settings(provider_stack, patch)
        api_call(provider_stack, "DELETE", f"/api/accounts/{account}")
        api_call(provider_stack, "DELETE", f"/api/catalog/custom/{provider}")
