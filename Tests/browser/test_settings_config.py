"""The Model & Provider cards in a real browser against the real stack: they render from the server's hints,
save edits through PATCH /api/config, show refusals at the field, undo, survive a concurrent change, and
reorder fallbacks with the keyboard and buttons. The stack is shared: every test reads the current revision
first and sets up the keys it needs through the API."""

import json
import re
import urllib.request

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from conftest import console_errors, csp_violations, http_get, pick, picker, screenshot, sign_in, visible, wait

SONNET = "anthropic/claude-sonnet-4-5-20250929"
HAIKU = "anthropic/claude-haiku-4-5-20251001"
GPT5 = "openai/gpt-5"
GEMINI = "google/gemini-2.5-pro"
LIST = 'model-list[data-for="/agents/defaults/model/fallbacks"]'


def read_config(stack):
    """(revision, document) straight from the server with the admin token."""
    status, headers, body = http_get(stack.url("/api/config"), {"Authorization": f"Bearer {stack.token}"})
    assert status == 200
    view = json.loads(body)
    assert headers["ETag"] == f'"{view["revision"]}"'
    return view["revision"], view


def patch_config(stack, patch):
    """Changes the settings behind the page's back; returns the new revision."""
    revision, _ = read_config(stack)
    request = urllib.request.Request(stack.url("/api/config"), data=json.dumps(patch).encode(), method="PATCH", headers={
        "Authorization": f"Bearer {stack.token}",
        "Content-Type": "application/merge-patch+json",
        "If-Match": f'"{revision}"',
    })
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
        return json.loads(response.read())["revision"]


def defaults(view):
    return view["config"]["agents"]["defaults"]


def unexpected_console_errors(driver):
    """Console errors, except Chrome's network lines for the refusals these tests provoke on purpose
    (422 for an invalid value, 412 for a stale revision): the page handles those answers."""
    expected = re.compile(r"/api/config - Failed to load resource: the server responded with a status of (412|422)")
    return [e for e in console_errors(driver) if not (e.get("source") == "network" and expected.search(e["message"]))]


def open_settings(driver, stack):
    sign_in(driver, stack)
    visible(driver, "global-behaviour-card h3")
    return driver.find_element(By.CSS_SELECTOR, "model-provider-section")


def page_revision(driver):
    return int(driver.find_element(By.CSS_SELECTOR, "model-provider-section").get_attribute("data-revision"))


def wait_saved(driver, after):
    """Waits until the page has saved a revision newer than `after` and says so; returns that revision."""
    wait(driver).until(lambda d: page_revision(d) > after
                       and d.find_element(By.CSS_SELECTOR, ".save-status").get_attribute("data-state") == "saved")
    assert driver.find_element(By.CSS_SELECTOR, ".save-status").text == "All changes saved"
    return page_revision(driver)


def control(driver, pointer, tag="input"):
    return driver.find_element(By.CSS_SELECTOR, f'{tag}[data-pointer="{pointer}"]')


def messages(driver, pointer):
    return driver.find_element(By.CSS_SELECTOR, f'[data-messages-for="{pointer}"]')


def replace_text(element, text):
    element.send_keys(Keys.CONTROL, "a")
    element.send_keys(text)


def fallback_names(driver):
    return [e.text for e in driver.find_elements(
        By.CSS_SELECTOR, f'{LIST} .model-list__name')]


def announced(driver, text):
    wait(driver).until(lambda d: d.find_element(By.ID, "announcer").text == text)


# MARK: Tests


def test_the_cards_render_with_the_servers_labels(browser, stack):
    # Given a signed-in browser, When Model & Provider shows
    open_settings(browser, stack)
    _, view = read_config(stack)

    # Then every card is there, in the design's order, with the server's labels and help
    titles = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "model-provider-section h3")]
    assert titles == ["Default Agent Runtime", "System Brain", "Heartbeat", "Providers & Auth",
                      "Default Models", "Global behaviour"]
    label = lambda pointer: browser.find_element(
        By.CSS_SELECTOR, f'label[for="{control(browser, pointer).get_attribute("id")}"]').text
    assert label("/agents/defaults/params/temperature") == "Creativity"
    assert label("/agents/defaults/blockStreamingDefault") == "Streaming replies"
    assert "responses arrive all at once" in browser.find_element(By.CSS_SELECTOR, "global-behaviour-card").text
    length = browser.find_element(By.CSS_SELECTOR, 'global-behaviour-card fieldset.choices legend')
    assert length.text == "Response length"
    presets = [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".segmented__option > span:first-of-type")]
    assert presets == ["Short", "Medium", "Long", "Very long"]
    assert [e.text for e in browser.find_elements(By.CSS_SELECTOR, "[data-preset]")] == [
        "Precise (0.2)", "Balanced (0.5)", "Creative (0.8)"]
    runtimes = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "runtime-card .choice__label")]
    assert runtimes == ["Pi (recommended)", "Claude Code SDK"]
    assert "Connect model providers once." in browser.find_element(
        By.CSS_SELECTOR, "providers-card").text

    # And inherited values say what applies, from `effective`
    brain = Select(control(browser, "/agents/main/runtime", "select"))
    effective = {"pi": "Pi", "claude-code-sdk": "Claude Code SDK"}[view["effective"]["systemBrain"]["runtime"]]
    if "runtime" not in view["config"]["agents"].get("main", {}):
        assert brain.first_selected_option.text == f"Use system default ({effective})"
    assert brain.options[0].text.startswith("Use system default (")

    # And advanced knobs start folded away
    assert not control(browser, "/agents/defaults/blockStreamingBreak", "select").is_displayed()
    assert not control(browser, "/agents/main/instructions", "textarea").is_displayed()
    screenshot(browser, "switchboard-model-provider.png")
    assert csp_violations(browser) == []
    assert console_errors(browser) == []


def test_changing_the_default_runtime_saves_it(browser, stack):
    # Given the page and the runtime the server has now
    open_settings(browser, stack)
    revision, view = read_config(stack)
    target = "claude-code-sdk" if defaults(view)["runtime"] == "pi" else "pi"

    # When the other runtime is chosen with the mouse
    radio = browser.find_element(By.CSS_SELECTOR, f'runtime-card input[value="{target}"]')
    radio.find_element(By.XPATH, "./ancestor::label").click()

    # Then the page says it saved, and the server has it
    wait_saved(browser, revision)
    _, view = read_config(stack)
    assert defaults(view)["runtime"] == target

    # And a reload shows it
    browser.refresh()
    visible(browser, "runtime-card input[type=radio]")
    wait(browser).until(lambda d: d.find_element(By.CSS_SELECTOR, f'runtime-card input[value="{target}"]').is_selected())
    assert csp_violations(browser) == []
    assert console_errors(browser) == []


def test_the_streaming_switch_writes_off_and_on_through_the_hint(browser, stack):
    # Given streaming replies on
    patch_config(stack, {"agents": {"defaults": {"blockStreamingDefault": "on"}}})
    open_settings(browser, stack)
    switch = control(browser, "/agents/defaults/blockStreamingDefault")
    assert switch.get_attribute("role") == "switch"
    assert switch.is_selected()
    revision = page_revision(browser)

    # When the switch is turned off with the keyboard, Then "off" is saved
    switch.send_keys(Keys.SPACE)
    revision = wait_saved(browser, revision)
    _, view = read_config(stack)
    assert defaults(view)["blockStreamingDefault"] == "off"
    assert view["effective"]["streaming"] is False

    # When it is turned on again, Then "on" is saved
    switch.click()
    wait_saved(browser, revision)
    _, view = read_config(stack)
    assert defaults(view)["blockStreamingDefault"] == "on"
    assert csp_violations(browser) == []
    assert console_errors(browser) == []


def test_a_manual_model_of_an_unknown_provider_is_refused_at_its_field_keeps_the_input_and_saves_nothing(browser, stack):
    # Given the page in Expert Mode
    open_settings(browser, stack)
    revision, view = read_config(stack)
    before = defaults(view)["model"].get("primary")
    expert = browser.find_element(By.ID, "expert-mode")
    if not expert.is_selected():
        expert.click()
    primary = picker(browser, 'model-picker[data-for="/agents/defaults/model/primary"]')

    # When a model id of a provider the catalog lacks is typed as the default text model
    manual = primary.find_element(By.CSS_SELECTOR, "[data-manual-input]")
    manual.send_keys("nosuch/model-x")
    primary.find_element(By.CSS_SELECTOR, '[data-action="use-manual"]').click()

    # Then the server's refusal shows next to that field, the picker keeps the id, the page says it failed
    box = messages(browser, "/agents/defaults/model/primary")
    wait(browser).until(lambda d: "not a provider in the catalog" in box.text)
    assert box.find_element(By.CSS_SELECTOR, ".field__error").get_attribute("data-code") == "unknown_provider"
    model = primary.find_element(By.CSS_SELECTOR, '[data-picker="model"]')
    assert Select(model).first_selected_option.get_attribute("value") == "nosuch/model-x"
    assert model.get_attribute("aria-invalid") == "true"
    assert box.get_attribute("id") in model.get_attribute("aria-describedby").split()
    status = browser.find_element(By.CSS_SELECTOR, ".save-status")
    assert status.text == "Failed to save"
    banner = browser.find_element(By.CSS_SELECTOR, ".save-banner")
    assert "The settings were not saved" in banner.text and "Default text model" in banner.text
    assert browser.find_element(By.CSS_SELECTOR, '[data-action="retry"]').is_displayed()
    assert browser.find_element(By.CSS_SELECTOR, '[data-action="undo"]').is_displayed()

    # And nothing was saved
    assert read_config(stack)[0] == revision

    # When Undo is chosen, Then the saved value is back and the error is gone
    browser.find_element(By.CSS_SELECTOR, '[data-action="undo"]').click()
    wait(browser).until(lambda d: Select(model).first_selected_option.get_attribute("value") == (before or ""))
    assert box.text == ""
    assert model.get_attribute("aria-invalid") is None
    assert browser.find_element(By.CSS_SELECTOR, ".save-banner").text == ""
    assert read_config(stack)[0] == revision
    expert.click()
    assert csp_violations(browser) == []
    assert unexpected_console_errors(browser) == []


def test_a_duplicate_fallback_is_refused_at_its_item_and_a_valid_edit_beside_it_still_saves(browser, stack):
    # Given a default model and one fallback
    patch_config(stack, {"agents": {"defaults": {"model": {"primary": SONNET, "fallbacks": [GPT5]}}}})
    open_settings(browser, stack)
    wait(browser).until(lambda d: fallback_names(d) == [GPT5])
    revision = page_revision(browser)

    # When the same model is picked from the catalog and added again
    pick(browser, f"{LIST} .model-list__add model-picker", GPT5)
    browser.find_element(By.CSS_SELECTOR, f"{LIST} [data-action=add]").click()

    # Then the refusal shows at the second item, the list keeps it, and nothing was saved
    box = messages(browser, "/agents/defaults/model/fallbacks/1")
    wait(browser).until(lambda d: "already in the list" in box.text)
    assert fallback_names(browser) == [GPT5, GPT5]
    item = browser.find_element(By.CSS_SELECTOR, '[data-item-pointer="/agents/defaults/model/fallbacks/1"]')
    assert item.get_attribute("aria-invalid") == "true"
    assert browser.find_element(By.CSS_SELECTOR, ".save-status").text == "Failed to save"
    assert read_config(stack)[0] == revision

    # When the duplicate is removed, Then the list saves as it was and the error clears
    browser.find_elements(By.CSS_SELECTOR, f"{LIST} [data-remove]")[1].click()
    wait_saved(browser, revision - 1)
    wait(browser).until(lambda d: messages(d, "/agents/defaults/model/fallbacks").text == "")
    _, view = read_config(stack)
    assert defaults(view)["model"]["fallbacks"] == [GPT5]
    assert csp_violations(browser) == []
    assert unexpected_console_errors(browser) == []


def test_undo_after_a_save_restores_the_previous_value(browser, stack):
    # Given Creativity at 0.7
    patch_config(stack, {"agents": {"defaults": {"params": {"temperature": 0.7}}}})
    open_settings(browser, stack)
    revision = page_revision(browser)
    assert browser.find_element(By.CSS_SELECTOR, ".slider__value").text == "0.7"

    # When the Precise preset is chosen
    browser.find_element(By.CSS_SELECTOR, '[data-preset="0.2"]').click()
    wait_saved(browser, revision)
    assert defaults(read_config(stack)[1])["params"]["temperature"] == 0.2
    assert browser.find_element(By.CSS_SELECTOR, '[data-preset="0.2"]').get_attribute("aria-pressed") == "true"

    # And Undo is chosen
    undo = browser.find_element(By.CSS_SELECTOR, '[data-action="undo"]')
    assert undo.is_displayed()
    undo.click()

    # Then the server is back at 0.7, and the page shows it and says so
    status = browser.find_element(By.CSS_SELECTOR, ".save-status")
    wait(browser).until(lambda d: status.get_attribute("data-state") == "undone")
    assert status.text == "Change undone"
    announced(browser, "Change undone")
    _, view = read_config(stack)
    assert defaults(view)["params"]["temperature"] == 0.7
    assert control(browser, "/agents/defaults/params/temperature").get_attribute("value") == "0.7"
    assert browser.find_element(By.CSS_SELECTOR, ".slider__value").text == "0.7"
    assert not undo.is_displayed()
    assert csp_violations(browser) == []
    assert console_errors(browser) == []


def test_creativity_outside_the_recommended_range_warns_at_the_field(browser, stack):
    # Given Creativity inside the recommended range
    patch_config(stack, {"agents": {"defaults": {"params": {"temperature": 0.5}}}})
    open_settings(browser, stack)
    revision = page_revision(browser)
    slider = control(browser, "/agents/defaults/params/temperature")

    # When the slider is pushed past 1.0 with the keyboard
    slider.send_keys(Keys.END)

    # Then the guardrail shows at once, the value saves, and the server's warning shows at the field
    assert browser.find_element(By.CSS_SELECTOR, ".slider__value").text == "2.0"
    wait_saved(browser, revision)
    box = messages(browser, "/agents/defaults/params/temperature")
    wait(browser).until(lambda d: "outside the recommended" in box.text)
    assert box.find_element(By.CSS_SELECTOR, ".field__warning").get_attribute("data-code") == "outside_recommended"
    assert defaults(read_config(stack)[1])["params"]["temperature"] == 2
    patch_config(stack, {"agents": {"defaults": {"params": {"temperature": None}}}})
    assert csp_violations(browser) == []
    assert console_errors(browser) == []


def test_a_change_made_elsewhere_is_kept_when_the_page_saves_its_own(browser, stack):
    # Given the page loaded at some revision
    patch_config(stack, {"agents": {"defaults": {"heartbeat": {"every": "30m"}, "params": {"temperature": 0.7}}}})
    open_settings(browser, stack)
    loaded = page_revision(browser)

    # When another client changes the heartbeat schedule behind the page's back
    elsewhere = patch_config(stack, {"agents": {"defaults": {"heartbeat": {"every": "2h"}}}})
    assert elsewhere > loaded

    # And the page then changes Creativity
    browser.find_element(By.CSS_SELECTOR, '[data-preset="0.8"]').click()

    # Then the page's save lands on top of the other change (412, re-read, re-applied once)
    wait_saved(browser, elsewhere)
    _, view = read_config(stack)
    assert defaults(view)["heartbeat"]["every"] == "2h"
    assert defaults(view)["params"]["temperature"] == 0.8

    # And the page now shows the other change too
    schedule = Select(control(browser, "/agents/defaults/heartbeat/every", "select"))
    assert schedule.first_selected_option.get_attribute("value") == "2h"
    assert browser.find_element(By.CSS_SELECTOR, ".save-banner").text == ""
    errors = console_errors(browser)
    assert [e for e in errors if "status of 412" in e["message"]], "the first PATCH should have been refused as stale"
    assert [e for e in errors if "status of 412" not in e["message"]] == []
    assert csp_violations(browser) == []


def test_fallbacks_reorder_with_the_keyboard_and_buttons_and_the_order_is_saved_and_announced(browser, stack):
    # Given three fallbacks
    patch_config(stack, {"agents": {"defaults": {"model": {"primary": SONNET, "fallbacks": [GPT5, GEMINI, HAIKU]}}}})
    open_settings(browser, stack)
    wait(browser).until(lambda d: fallback_names(d) == [GPT5, GEMINI, HAIKU])
    revision = page_revision(browser)

    # When the second is focused and moved up with Alt+Up
    names = browser.find_elements(By.CSS_SELECTOR, f"{LIST} .model-list__name")
    names[1].send_keys(Keys.ALT, Keys.ARROW_UP)

    # Then it is first, keeps the focus, the move is announced, and the new order is saved
    assert fallback_names(browser) == [GEMINI, GPT5, HAIKU]
    assert browser.switch_to.active_element.text == GEMINI
    announced(browser, f"{GEMINI} moved to position 1 of 3")
    revision = wait_saved(browser, revision)
    assert defaults(read_config(stack)[1])["model"]["fallbacks"] == [GEMINI, GPT5, HAIKU]

    # When the first item's Move down button is pressed with Enter
    move_down = browser.find_elements(By.CSS_SELECTOR, f"{LIST} [data-move='1']")[0]
    assert move_down.text == "Move down"
    move_down.send_keys(Keys.ENTER)

    # Then the order is back, announced and saved; focus stays on the moved item's Move down
    assert fallback_names(browser) == [GPT5, GEMINI, HAIKU]
    announced(browser, f"{GEMINI} moved to position 2 of 3")
    active = browser.switch_to.active_element
    assert active.text == "Move down"
    assert active.find_element(By.XPATH, "./ancestor::li").get_attribute("data-index") == "1"
    revision = wait_saved(browser, revision)
    assert defaults(read_config(stack)[1])["model"]["fallbacks"] == [GPT5, GEMINI, HAIKU]

    # When the last is removed, Then that is announced and saved too
    browser.find_elements(By.CSS_SELECTOR, f"{LIST} [data-remove]")[2].click()
    announced(browser, f"{HAIKU} removed")
    wait_saved(browser, revision)
    assert defaults(read_config(stack)[1])["model"]["fallbacks"] == [GPT5, GEMINI]
    assert csp_violations(browser) == []
    assert console_errors(browser) == []


def test_response_length_never_offers_more_than_the_models_maximum(browser, stack):
    # Given a default model with a small output cap and Response length below it
    patch_config(stack, {"agents": {"defaults": {"model": {"primary": "anthropic/claude-3-5-haiku-20241022"},
                                                 "params": {"maxTokens": 2048}}}})
    open_settings(browser, stack)
    revision = page_revision(browser)
    exact = browser.find_element(By.CSS_SELECTOR, 'input[type=number][data-pointer="/agents/defaults/params/maxTokens"]')
    assert exact.get_attribute("max") == "8192"
    assert "at most 8192" in browser.find_element(By.CSS_SELECTOR, "[data-cap]").text
    long_preset = browser.find_element(By.CSS_SELECTOR, '.segmented input[value="2048"]')
    assert long_preset.is_selected()

    # When the Very long preset is chosen, Then it saves
    browser.find_element(By.CSS_SELECTOR, '.segmented input[value="4096"]').find_element(By.XPATH, "./ancestor::label").click()
    wait_saved(browser, revision)
    assert defaults(read_config(stack)[1])["params"]["maxTokens"] == 4096
    patch_config(stack, {"agents": {"defaults": {"model": {"primary": None}, "params": {"maxTokens": None}}}})
    assert csp_violations(browser) == []
    assert console_errors(browser) == []
