"""Issue 17, parts 8 and 9, in a real browser against the real stack: the Agents section (New agent with a model
and a monthly estimate from catalog prices and an editable volume; each agent's overrides and inheritance, its
model, fallbacks, parameters and runtime saved and shown after a reload; a refused value at its field with the
draft kept) and History & audit (revisions with who, when and which paths, a diff, Revert; the audit log filtered
by type and time, kept across a reload; the chain verifies)."""

import secrets

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from conftest import (api_call, console_errors, csp_violations, open_section, patch_settings, pick, picked, picker,
                      settings, visible, wait)

SONNET = "anthropic/claude-sonnet-4-5-20250929"
HAIKU = "anthropic/claude-haiku-4-5-20251001"
GPT5 = "openai/gpt-5"


def section_revision(driver, name):
    return int(driver.find_element(By.CSS_SELECTOR, name).get_attribute("data-revision"))


def wait_saved(driver, after, name="agents-section"):
    wait(driver).until(lambda d: section_revision(d, name) > after
                       and d.find_element(By.CSS_SELECTOR, ".save-status").get_attribute("data-state") == "saved")
    return section_revision(driver, name)


def agent(driver, agent_id):
    return driver.find_element(By.CSS_SELECTOR, f'.agent[data-agent="{agent_id}"]')


def control(driver, pointer, tag="input"):
    return driver.find_element(By.CSS_SELECTOR, f'{tag}[data-pointer="{pointer}"]')


def entries(stack):
    return settings(stack)["config"]["agents"].get("entries", {})


def catalog_model(stack, reference):
    provider = reference.split("/")[0]
    status, body = api_call(stack, "GET", f"/api/catalog/{provider}")
    return next(m for m in body["models"] if m["reference"] == reference)


# MARK: Part 8, agents


def test_new_agent_shows_a_monthly_estimate_from_catalog_prices_and_the_volume_and_is_created(browser, stack):
    agent_id = f"coder-{secrets.token_hex(2)}"
    # (the default runtime back to Pi: other tests on the shared stack change it)
    patch_settings(stack, {"agents": {"defaults": {"runtime": None}}})
    open_section(browser, stack, "agents")
    visible(browser, "new-agent-card h3")
    browser.execute_script("window.localStorage.removeItem('switchboard.agentVolume')")
    browser.refresh()
    visible(browser, "new-agent-card h3")
    revision = section_revision(browser, "agents-section")
    estimate = browser.find_element(By.CSS_SELECTOR, "[data-estimate]")
    assert estimate.text == "Choose a model to see an estimate."

    # When a bad id is typed, Then it is refused as it is typed
    agent_input = browser.find_element(By.ID, "new-agent-id")
    agent_input.send_keys("Coder!")
    assert "lower-case letter" in browser.find_element(By.ID, "new-agent-id-check").text
    assert agent_input.get_attribute("aria-invalid") == "true"
    agent_input.send_keys(Keys.CONTROL, "a")
    agent_input.send_keys(agent_id)
    assert not browser.find_element(By.ID, "new-agent-id-check").is_displayed()

    # When a model is chosen, Then the estimate is 30 days x requests x (input x in-price + output x out-price)
    pick(browser, "new-agent-card model-picker", SONNET)
    sonnet = catalog_model(stack, SONNET)
    month = 30 * 100 * (2000 * sonnet["costPer1MIn"] + 500 * sonnet["costPer1MOut"]) / 1e6
    wait(browser).until(lambda d: f"${month:,.2f} a month" in estimate.text)
    assert "100 requests a day of 2,000 input and 500 output tokens" in estimate.text

    # When the expected volume is edited, Then the estimate follows, and the volume survives a reload
    requests = browser.find_element(By.ID, "new-agent-requests")
    requests.send_keys(Keys.CONTROL, "a")
    requests.send_keys("1000")
    month = 30 * 1000 * (2000 * sonnet["costPer1MIn"] + 500 * sonnet["costPer1MOut"]) / 1e6
    wait(browser).until(lambda d: f"${month:,.2f} a month" in estimate.text)

    # When it is created, Then the agent is saved with its model and shown with its overrides and inheritance
    browser.find_element(By.CSS_SELECTOR, '[data-action="create-agent"]').click()
    wait_saved(browser, revision)
    assert entries(stack)[agent_id] == {"model": {"primary": SONNET}}
    card = wait(browser).until(lambda d: agent(d, agent_id))
    wait(browser).until(lambda d: d.switch_to.active_element.get_attribute("id") == f"agent-{agent_id}-title")
    assert "text model" in card.find_element(By.CSS_SELECTOR, "[data-overrides]").text
    inherits = card.find_element(By.CSS_SELECTOR, "[data-inherits]").text
    assert "runtime (Pi)" in inherits and "Creativity" in inherits and "fallbacks" in inherits
    wait(browser).until(lambda d: f"${month:,.2f} a month" in card.find_element(By.CSS_SELECTOR, "[data-agent-cost]").text)

    browser.refresh()
    visible(browser, "new-agent-card h3")
    assert browser.find_element(By.ID, "new-agent-requests").get_attribute("value") == "1000"
    card = wait(browser).until(lambda d: agent(d, agent_id))
    wait(browser).until(lambda d: picked(picker(d, f'.agent[data-agent="{agent_id}"] model-picker[data-for="/agents/entries/{agent_id}/model/primary"]')) == SONNET)

    # And a second agent with the same id is refused before sending
    browser.find_element(By.ID, "new-agent-id").send_keys(agent_id)
    assert "already" in browser.find_element(By.ID, "new-agent-id-check").text
    patch_settings(stack, {"agents": {"entries": {agent_id: None}}})
    assert csp_violations(browser) == []
    assert console_errors(browser) == []


def test_an_agents_model_fallbacks_params_and_runtime_save_and_show_after_a_reload(browser, stack):
    agent_id = f"writer-{secrets.token_hex(2)}"
    patch_settings(stack, {"agents": {"entries": {agent_id: {}}, "defaults": {"model": {"primary": SONNET, "fallbacks": [GPT5]}}}})
    p = f"/agents/entries/{agent_id}"
    try:
        open_section(browser, stack, "agents")
        card = wait(browser).until(lambda d: agent(d, agent_id))
        assert card.find_element(By.CSS_SELECTOR, "[data-overrides]").text == "nothing yet"
        assert f"Not set: the default text model ({SONNET}) applies." in card.text
        revision = section_revision(browser, "agents-section")

        # When the agent gets its own model, fallbacks, Creativity, Response length and runtime
        pick(browser, f'.agent[data-agent="{agent_id}"] model-picker[data-for="{p}/model/primary"]', HAIKU)
        card.find_element(By.CSS_SELECTOR, "[data-own-fallbacks]").click()
        pick(browser, f'.agent[data-agent="{agent_id}"] model-list .model-list__add model-picker', SONNET)
        card.find_element(By.CSS_SELECTOR, "model-list [data-action=add]").click()
        pick(browser, f'.agent[data-agent="{agent_id}"] model-picker[data-for="{p}/imageModel/primary"]', "google/gemini-2.5-pro")
        control(browser, f"{p}/params/temperature").send_keys("0.4")
        control(browser, f"{p}/params/maxTokens").send_keys("2048")
        Select(control(browser, f"{p}/runtime", "select")).select_by_value("claude-code-sdk")

        # Then it is saved
        def saved(d):
            entry = entries(stack).get(agent_id, {})
            return entry == {"model": {"primary": HAIKU, "fallbacks": [SONNET]}, "imageModel": {"primary": "google/gemini-2.5-pro"},
                             "params": {"temperature": 0.4, "maxTokens": 2048}, "runtime": "claude-code-sdk"}
        wait(browser, 15).until(saved)

        # And after a reload every control shows it, and the summary lists the overrides
        browser.refresh()
        card = wait(browser).until(lambda d: agent(d, agent_id))
        wait(browser).until(lambda d: picked(picker(d, f'.agent[data-agent="{agent_id}"] model-picker[data-for="{p}/model/primary"]')) == HAIKU)
        assert picked(picker(browser, f'.agent[data-agent="{agent_id}"] model-picker[data-for="{p}/imageModel/primary"]')) == "google/gemini-2.5-pro"
        assert card.find_element(By.CSS_SELECTOR, "[data-own-fallbacks]").is_selected()
        assert [e.text for e in card.find_elements(By.CSS_SELECTOR, ".model-list__name")] == [SONNET]
        assert control(browser, f"{p}/params/temperature").get_attribute("value") == "0.4"
        assert control(browser, f"{p}/params/maxTokens").get_attribute("value") == "2048"
        assert Select(control(browser, f"{p}/runtime", "select")).first_selected_option.get_attribute("value") == "claude-code-sdk"
        overrides = card.find_element(By.CSS_SELECTOR, "[data-overrides]").text
        for part in ("text model", "fallbacks (1)", "image model", "Creativity", "Response length", "runtime"):
            assert part in overrides
        assert "image model" not in card.find_element(By.CSS_SELECTOR, "[data-inherits]").text

        # When its own fallbacks are switched off, Then it inherits the defaults' list again
        revision = section_revision(browser, "agents-section")
        card.find_element(By.CSS_SELECTOR, "[data-own-fallbacks]").click()
        wait_saved(browser, revision)
        assert "fallbacks" not in entries(stack)[agent_id].get("model", {})
        wait(browser).until(lambda d: "fallbacks (1 from the defaults)" in agent(d, agent_id).find_element(By.CSS_SELECTOR, "[data-inherits]").text)

        # When the agent is removed, Then its entry is gone
        revision = section_revision(browser, "agents-section")
        agent(browser, agent_id).find_element(By.CSS_SELECTOR, '[data-action="remove-agent"]').click()
        wait_saved(browser, revision)
        assert agent_id not in entries(stack)
        wait(browser).until(lambda d: not d.find_elements(By.CSS_SELECTOR, f'.agent[data-agent="{agent_id}"]'))
        assert csp_violations(browser) == []
        assert console_errors(browser) == []
    finally:
        patch_settings(stack, {"agents": {"entries": {agent_id: None}, "defaults": {"model": {"fallbacks": []}}}})


def test_a_response_length_the_server_refuses_shows_at_the_agents_field_and_the_draft_stays(browser, stack):
    agent_id = f"tester-{secrets.token_hex(2)}"
    patch_settings(stack, {"agents": {"entries": {agent_id: {}}}})
    p = f"/agents/entries/{agent_id}/params/maxTokens"
    try:
        open_section(browser, stack, "agents")
        wait(browser).until(lambda d: agent(d, agent_id))
        revision = section_revision(browser, "agents-section")

        # When a Response length above the schema's maximum is typed
        field = control(browser, p)
        field.send_keys("2000000")

        # Then the server's refusal shows at the field, the text stays, nothing is saved
        box = browser.find_element(By.CSS_SELECTOR, f'[data-messages-for="{p}"]')
        wait(browser).until(lambda d: box.text != "")
        assert field.get_attribute("aria-invalid") == "true"
        assert field.get_attribute("value") == "2000000"
        assert browser.find_element(By.CSS_SELECTOR, ".save-status").text == "Failed to save"
        assert section_revision(browser, "agents-section") == revision
        assert "params" not in entries(stack)[agent_id]

        # When it is fixed, Then it saves
        field.send_keys(Keys.CONTROL, "a")
        field.send_keys("1000")
        wait_saved(browser, revision)
        assert entries(stack)[agent_id]["params"]["maxTokens"] == 1000
        errors = [e for e in console_errors(browser) if "status of 422" not in e["message"]]
        assert errors == []
    finally:
        patch_settings(stack, {"agents": {"entries": {agent_id: None}}})


# MARK: Part 9, history and audit


def revision_item(driver, n):
    return driver.find_element(By.CSS_SELECTOR, f'.revision[data-revision="{n}"]')


def test_revisions_show_who_when_and_what_a_diff_and_revert_restores_an_old_one(browser, stack):
    # Given two changes to the settings
    first = patch_settings(stack, {"agents": {"defaults": {"params": {"temperature": 0.3}}}})["revision"]
    second = patch_settings(stack, {"agents": {"defaults": {"params": {"temperature": 0.9}, "heartbeat": {"every": "4h"}}}})["revision"]
    open_section(browser, stack, "history")
    item = wait(browser).until(lambda d: revision_item(d, second))

    # Then the newest revision says who made it, when, and which paths changed, and it is the current one
    actor = next(r["actor"] for r in api_call(stack, "GET", "/api/config/history")[1]["revisions"] if r["revision"] == second)
    assert actor.startswith("token:tok_")
    assert "Current" in item.text
    assert f"token {actor[len('token:'):]}" in item.text
    assert "/agents/defaults/params/temperature" in item.text and "/agents/defaults/heartbeat/every" in item.text

    # When its diff is opened, Then each changed value shows before and after
    button = item.find_element(By.CSS_SELECTOR, '[data-op="diff"]')
    button.click()
    row = wait(browser).until(lambda d: item.find_element(By.CSS_SELECTOR, 'tr[data-diff-pointer="/agents/defaults/params/temperature"]'))
    assert row.find_element(By.CSS_SELECTOR, ".diff-before").text == "0.3"
    assert row.find_element(By.CSS_SELECTOR, ".diff-after").text == "0.9"
    every = item.find_element(By.CSS_SELECTOR, 'tr[data-diff-pointer="/agents/defaults/heartbeat/every"]')
    assert every.find_element(By.CSS_SELECTOR, ".diff-after").text == '"4h"'
    assert button.get_attribute("aria-expanded") == "true"

    # When the first change's revision is reverted to
    revision_item(browser, first).find_element(By.CSS_SELECTOR, '[data-op="revert"]').click()

    # Then a new revision restores it, the list says so and it survives a reload
    status = browser.find_element(By.CSS_SELECTOR, "[data-revision-status]")
    wait(browser).until(lambda d: f"Revision {first} restored as revision {second + 1}" in status.text)
    view = settings(stack)
    assert view["revision"] == second + 1
    assert view["config"]["agents"]["defaults"]["params"]["temperature"] == 0.3
    browser.refresh()
    item = wait(browser).until(lambda d: revision_item(d, second + 1))
    assert f"Restored revision {first}" in item.text and "Current" in item.text
    assert csp_violations(browser) == []
    assert console_errors(browser) == []


def events(driver):
    """(seq, type) of the rows shown, read in one script (the table is drawn again as filters change)."""
    return [tuple(e) for e in driver.execute_script(
        "return [...document.querySelectorAll('tr[data-event]')].map((r) => [Number(r.dataset.event), r.dataset.type])")]


def test_the_audit_log_filters_by_type_and_time_keeps_them_across_a_reload_and_says_the_chain_verifies(browser, stack):
    patch_settings(stack, {"agents": {"defaults": {"params": {"temperature": 0.5}}}})
    open_section(browser, stack, "history")
    wait(browser).until(lambda d: events(d))
    verify = browser.find_element(By.CSS_SELECTOR, "[data-verify]")
    wait(browser).until(lambda d: verify.find_elements(By.CSS_SELECTOR, "[data-chain]"))
    assert verify.find_element(By.CSS_SELECTOR, "[data-chain]").get_attribute("data-chain") == "ok"
    assert "The chain verifies" in verify.text
    kinds = {kind for _, kind in events(browser)}
    assert "config.changed" in kinds and "session.signed_in" in kinds

    # When only config changes are asked for
    Select(browser.find_element(By.ID, "audit-type")).select_by_value("config.changed")
    wait(browser).until(lambda d: events(d) and {k for _, k in events(d)} == {"config.changed"})
    expected = [e["seq"] for e in api_call(stack, "GET", "/api/audit?type=config.changed&limit=50")[1]["events"]]
    assert [seq for seq, _ in events(browser)] == expected

    # When the last hour is asked for, Then the recent events stay; a range in the past has none
    Select(browser.find_element(By.ID, "audit-period")).select_by_value("1h")
    wait(browser).until(lambda d: [s for s, _ in events(d)] == expected)
    Select(browser.find_element(By.ID, "audit-period")).select_by_value("custom")
    since = visible(browser, "#audit-since")
    browser.execute_script("arguments[0].value = '2020-01-01T00:00'; arguments[0].dispatchEvent(new Event('change', {bubbles: true}))", since)
    until = browser.find_element(By.ID, "audit-until")
    browser.execute_script("arguments[0].value = '2020-01-02T00:00'; arguments[0].dispatchEvent(new Event('change', {bubbles: true}))", until)
    wait(browser).until(lambda d: "No event matches these filters" in d.find_element(By.CSS_SELECTOR, ".audit-table").text)

    # Then the filters are kept across a reload
    browser.refresh()
    visible(browser, "history-section .section-title")
    assert Select(browser.find_element(By.ID, "audit-type")).first_selected_option.get_attribute("value") == "config.changed"
    assert Select(browser.find_element(By.ID, "audit-period")).first_selected_option.get_attribute("value") == "custom"
    assert browser.find_element(By.ID, "audit-since").get_attribute("value") == "2020-01-01T00:00"
    wait(browser).until(lambda d: "No event matches these filters" in d.find_element(By.CSS_SELECTOR, ".audit-table").text)
    Select(browser.find_element(By.ID, "audit-period")).select_by_value("")
    wait(browser).until(lambda d: [s for s, _ in events(d)] == expected)
    assert csp_violations(browser) == []
    assert console_errors(browser) == []


def test_an_audit_log_edited_behind_the_servers_back_is_said_not_to_verify(browser):
    # Given a stack of its own (its audit log is about to be spoiled) with a few events
    import sqlite3
    from conftest import running_stack, sign_in
    with running_stack(prefix="switchboard-browser-") as own:
        patch_settings(own, {"agents": {"defaults": {"params": {"temperature": 0.6}}}})
        sign_in(browser, own)

        # When someone without the audit key edits an event in the database
        database = own.run_dir.parent / "state" / "switchboard.sqlite"
        with sqlite3.connect(database) as db:
            db.execute("DROP TRIGGER IF EXISTS audit_event_no_update")
            db.execute("UPDATE audit_event SET actor = 'someone-else' WHERE seq = (SELECT MIN(seq) FROM audit_event)")

        # Then History & audit says the chain does not verify, and why
        browser.get(own.url("/settings?section=history"))
        verify = visible(browser, "[data-verify] [data-chain]")
        assert verify.get_attribute("data-chain") == "broken"
        box = browser.find_element(By.CSS_SELECTOR, "[data-verify]")
        assert "does not verify" in box.text and "switchboard audit verify" in box.text
        status, body = api_call(own, "GET", "/api/audit/verify")
        assert status == 200 and body["ok"] is False
        assert body["problem"] in box.text
        assert console_errors(browser) == []
