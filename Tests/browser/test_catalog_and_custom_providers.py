"""Issue 17, parts 4 and 5, in a real browser against the real stack: + Add Provider (a custom OpenAI-compatible
provider with its models, a Catwalk file imported, a refusal shown at its field with the draft kept, the account
editor next), and the catalog browser (providers with model counts and price ranges, search and filters, a
provider's models compared in a table sortable by every column, Add account), its view kept across a reload."""

import json
import secrets
from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from conftest import (api_call, console_errors, csp_violations, open_section, pick, picker, sign_in, visible, wait)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "catwalk"


def catalog(stack):
    status, body = api_call(stack, "GET", "/api/catalog")
    assert status == 200
    return {p["id"]: p for p in body["providers"]}


def models(stack, provider):
    status, body = api_call(stack, "GET", f"/api/catalog/{provider}")
    assert status == 200
    return body["models"]


def provider_row(driver, provider):
    return driver.find_element(By.CSS_SELECTOR, f'tr[data-catalog-provider="{provider}"]')


def shown_providers(driver):
    """The providers' rows, read in one script (the table is drawn again as filters change)."""
    return driver.execute_script("return [...document.querySelectorAll('tr[data-catalog-provider]')].map((r) => r.dataset.catalogProvider)")


def compared(driver):
    return driver.execute_script("return [...document.querySelectorAll('tr[data-catalog-model]')].map((r) => r.dataset.catalogModel)")


def price(n):
    return "free" if n == 0 else f"${n:g}"


# MARK: Part 5, the catalog browser


def test_the_catalog_lists_every_provider_with_its_model_count_and_price_range_and_filters_persist(browser, stack):
    # Given the catalog section
    open_section(browser, stack, "catalog")
    wait(browser).until(lambda d: shown_providers(d))
    providers = catalog(stack)
    assert set(shown_providers(browser)) == set(providers)

    # Then each provider shows its model count and price range from the catalog
    anthropic = models(stack, "anthropic")
    row = provider_row(browser, "anthropic")
    assert row.find_element(By.CSS_SELECTOR, "[data-model-count]").text == str(len(anthropic))
    low = min(m["costPer1MIn"] for m in anthropic)
    high = max(m["costPer1MIn"] for m in anthropic)
    assert f"{price(low)}–{price(high)}" in row.text
    assert "Not connected" in row.text

    # When "haiku" is searched and only models that take images are asked for
    search = browser.find_element(By.ID, "catalog-q")
    search.send_keys("haiku")
    wait(browser).until(lambda d: "anthropic" in shown_providers(d) and "openai" not in shown_providers(d))
    haikus = [m for m in anthropic if "haiku" in (m["name"] + m["id"]).lower()]
    assert provider_row(browser, "anthropic").find_element(By.CSS_SELECTOR, "[data-model-count]").text == f"{len(haikus)} of {len(anthropic)}"
    Select(browser.find_element(By.ID, "catalog-cap")).select_by_value("images")
    Select(browser.find_element(By.ID, "catalog-ctx")).select_by_value("200000")
    browser.find_element(By.ID, "catalog-maxin").send_keys("1")
    everything = [m for p in providers for m in models(stack, p)]
    expected = [m for m in everything if "haiku" in (m["name"] + m["id"]).lower() and m["capabilities"]["attachments"]
                and m.get("contextWindow", 0) >= 200000 and m.get("costPer1MIn", 99) <= 1]
    count = browser.find_element(By.CSS_SELECTOR, "[data-catalog-count]")
    wait(browser).until(lambda d: count.text.startswith(f"{len(expected)} model"))

    # Then the filters are in the address and come back after a reload
    assert "q=haiku" in browser.current_url and "cap=images" in browser.current_url and "maxin=1" in browser.current_url
    browser.refresh()
    visible(browser, "catalog-section .section-title")
    assert browser.find_element(By.ID, "catalog-q").get_attribute("value") == "haiku"
    assert Select(browser.find_element(By.ID, "catalog-cap")).first_selected_option.get_attribute("value") == "images"
    assert Select(browser.find_element(By.ID, "catalog-ctx")).first_selected_option.get_attribute("value") == "200000"
    assert browser.find_element(By.ID, "catalog-maxin").get_attribute("value") == "1"
    wait(browser).until(lambda d: d.find_element(By.CSS_SELECTOR, "[data-catalog-count]").text.startswith(f"{len(expected)} model"))

    # When a search matches nothing, Then it says so
    search = browser.find_element(By.ID, "catalog-q")
    search.clear()
    search.send_keys("no-such-model-anywhere")
    wait(browser).until(lambda d: "No model matches these filters" in d.find_element(By.CSS_SELECTOR, ".catalog__body").text)
    assert csp_violations(browser) == []
    assert console_errors(browser) == []


COLUMNS = {
    "context": lambda m: m.get("contextWindow", -1),
    "output": lambda m: m["capabilities"].get("maxOutputTokens", -1),
    "in": lambda m: m.get("costPer1MIn", float("inf")),
    "out": lambda m: m.get("costPer1MOut", float("inf")),
    "cached": lambda m: m.get("costPer1MOutCached", float("inf")),
    "reasoning": lambda m: len(m["capabilities"].get("reasoningEffort") or []) + (0.5 if m["canReason"] else 0),
    "attachments": lambda m: 1 if m["capabilities"]["attachments"] else 0,
}


def test_a_providers_models_compare_in_a_table_sortable_by_every_column_and_the_sort_survives_a_reload(browser, stack):
    open_section(browser, stack, "catalog")
    wait(browser).until(lambda d: shown_providers(d))
    openai = models(stack, "openai")

    # When OpenAI's models are compared
    browser.find_element(By.CSS_SELECTOR, '[data-op="compare"][data-provider="openai"]').click()
    title = visible(browser, "#catalog-models-title")
    assert browser.switch_to.active_element == title
    headings = [h.text.replace("▲", "").replace("▼", "").strip() for h in browser.find_elements(By.CSS_SELECTOR, ".catalog-compare thead th")]
    assert headings == ["Model", "Context", "Max output", "Input $/1M", "Output $/1M", "Cached input $/1M",
                        "Reasoning levels", "Attachments", "Source"]
    assert set(compared(browser)) == {m["reference"] for m in openai}

    # Then each column sorts ascending, then descending, and says so
    for key, value in COLUMNS.items():
        for direction in ("ascending", "descending"):
            browser.find_element(By.CSS_SELECTOR, f'[data-sort="{key}"]').click()
            header = browser.find_element(By.CSS_SELECTOR, f'[data-sort="{key}"]').find_element(By.XPATH, "..")
            assert header.get_attribute("aria-sort") == direction
            keys = [value(next(m for m in openai if m["reference"] == r)) for r in compared(browser)]
            assert keys == sorted(keys, reverse=direction == "descending"), (key, direction, keys)
            assert browser.switch_to.active_element.get_attribute("data-sort") == key
    wait(browser).until(lambda d: d.find_element(By.ID, "announcer").text == "Sorted by Attachments, descending")

    # And a reload keeps the provider and the sort
    browser.find_element(By.CSS_SELECTOR, '[data-sort="in"]').click()
    order = compared(browser)
    browser.refresh()
    wait(browser).until(lambda d: compared(d) == order)
    assert browser.find_element(By.CSS_SELECTOR, '[data-sort="in"]').find_element(By.XPATH, "..").get_attribute("aria-sort") == "ascending"

    # When Add account is followed, Then the account editor of that provider opens on Model & Provider
    browser.find_element(By.CSS_SELECTOR, ".catalog-models__header a").click()
    editor = visible(browser, "providers-card account-editor")
    assert "OpenAI" in editor.text
    assert "open=" not in browser.current_url
    assert csp_violations(browser) == []
    assert console_errors(browser) == []


# MARK: Part 4, + Add Provider


def open_add(driver, stack):
    sign_in(driver, stack)
    visible(driver, "providers-card .provider-grid")
    driver.find_element(By.CSS_SELECTOR, '[data-op="add-provider"]').click()
    visible(driver, "add-provider form")
    assert driver.switch_to.active_element.get_attribute("id") == "add-provider-title"


def test_a_custom_openai_compatible_provider_is_added_with_its_models_and_its_account_editor_opens(browser, stack):
    name = f"Local LLM {secrets.token_hex(2)}"
    provider_id = "local-llm-" + name.split()[-1]
    try:
        # Given the Add Provider form
        open_add(browser, stack)

        # When it is sent empty, Then each missing field says so and nothing is sent
        browser.find_element(By.CSS_SELECTOR, '[data-op="save-provider"]').click()
        assert "Give the provider a name" in browser.find_element(By.ID, "add-name-messages").text
        assert "base URL is needed" in browser.find_element(By.ID, "add-endpoint-messages").text
        assert browser.find_element(By.ID, "add-name").get_attribute("aria-invalid") == "true"

        # When a name, an endpoint and two models with their facts are given
        browser.find_element(By.ID, "add-name").send_keys(name)
        assert browser.find_element(By.ID, "add-id").get_attribute("value") == provider_id
        browser.find_element(By.ID, "add-endpoint").send_keys("https://llm.example.test/v1")
        for key, value in (("id", "llama-70b"), ("name", "Llama 70B"), ("context", "131072"), ("maxOutput", "8192"),
                           ("input", "0.6"), ("output", "0.8")):
            browser.find_element(By.ID, f"add-model-0-{key}").send_keys(value)
        browser.find_element(By.CSS_SELECTOR, '[data-op="add-model"]').click()
        assert browser.switch_to.active_element.get_attribute("id") == "add-model-1-id"
        browser.find_element(By.ID, "add-model-1-id").send_keys("llava")
        browser.find_element(By.CSS_SELECTOR, '[data-model-index="1"][data-model-key="images"]').click()
        browser.find_element(By.CSS_SELECTOR, '[data-op="save-provider"]').click()

        # Then the provider is in the catalog with its models, its tile shows, and its account editor opens next
        editor = visible(browser, "providers-card account-editor")
        assert name in editor.text
        tile = browser.find_element(By.CSS_SELECTOR, f'.provider-tile[data-provider="{provider_id}"]')
        assert "Custom" in tile.text
        stored = {m["id"]: m for m in models(stack, provider_id)}
        assert stored["llama-70b"]["contextWindow"] == 131072
        assert stored["llama-70b"]["costPer1MIn"] == 0.6
        assert stored["llava"]["capabilities"]["attachments"] is True

        # And the pickers offer its models (marked not connected until an account exists)
        primary = picker(browser, 'model-picker[data-for="/agents/defaults/model/primary"]')
        wait(browser).until(lambda d: provider_id in [o.get_attribute("value") for o in primary.find_elements(By.CSS_SELECTOR, '[data-picker="provider"] option')])
        pick(browser, 'model-picker[data-for="/agents/defaults/imageModel/primary"]', f"{provider_id}/llava")
        image = browser.find_element(By.CSS_SELECTOR, 'model-picker[data-for="/agents/defaults/imageModel/primary"]')
        assert f"Connect {name}" in image.text
        assert csp_violations(browser) == []
        assert console_errors(browser) == []
    finally:
        api_call(stack, "PATCH", "/api/config", {"agents": {"defaults": {"imageModel": {"primary": None}}}},
                 content_type="application/merge-patch+json",
                 headers={"If-Match": f'"{api_call(stack, "GET", "/api/config")[1]["revision"]}"'})
        api_call(stack, "DELETE", f"/api/catalog/custom/{provider_id}")


def test_a_provider_the_server_refuses_shows_the_problem_at_its_field_and_keeps_the_draft(browser, stack):
    provider_id = f"refused-{secrets.token_hex(2)}"
    open_add(browser, stack)
    browser.find_element(By.ID, "add-name").send_keys("Refused")
    assert browser.find_element(By.ID, "add-id").get_attribute("value") == "refused"
    browser.find_element(By.ID, "add-id").clear()
    browser.find_element(By.ID, "add-id").send_keys(provider_id)
    browser.find_element(By.ID, "add-endpoint").send_keys("https://llm.example.test/v1")
    browser.find_element(By.ID, "add-model-0-id").send_keys("m1")
    # A context window with a fraction: the form lets it through, the server does not
    browser.find_element(By.ID, "add-model-0-context").send_keys("1000.5")
    browser.find_element(By.CSS_SELECTOR, '[data-op="save-provider"]').click()

    box = browser.find_element(By.ID, "add-model-0-context-messages")
    wait(browser).until(lambda d: "whole number" in box.text)
    cell = browser.find_element(By.ID, "add-model-0-context")
    assert cell.get_attribute("aria-invalid") == "true"
    assert browser.switch_to.active_element == cell
    assert cell.get_attribute("value") == "1000.5"
    assert browser.find_element(By.ID, "add-name").get_attribute("value") == "Refused"
    assert "Not a valid Catwalk provider" in browser.find_element(By.CSS_SELECTOR, "[data-add-problem]").text
    assert provider_id not in catalog(stack)

    # When it is corrected, Then it is added
    cell.clear()
    cell.send_keys("1000")
    browser.find_element(By.CSS_SELECTOR, '[data-op="save-provider"]').click()
    visible(browser, "providers-card account-editor")
    assert provider_id in catalog(stack)
    api_call(stack, "DELETE", f"/api/catalog/custom/{provider_id}")
    errors = [e for e in console_errors(browser) if "status of 422" not in e["message"]]
    assert errors == []
    assert csp_violations(browser) == []


def test_a_catwalk_file_is_imported_and_a_broken_one_is_explained_before_sending(browser, stack):
    text = (FIXTURES / "ollama.json").read_text()
    provider_id = json.loads(text)["id"]
    api_call(stack, "DELETE", f"/api/catalog/custom/{provider_id}")
    try:
        open_add(browser, stack)
        browser.find_element(By.CSS_SELECTOR, 'input[name="add-provider-kind"][value="import"]').click()
        area = visible(browser, "#add-import-text")

        # When half a file is pasted, Then it says it is not JSON yet
        area.send_keys(text[:40])
        assert browser.find_element(By.CSS_SELECTOR, "[data-import-check]").text == "This is not JSON."
        browser.find_element(By.CSS_SELECTOR, '[data-op="save-provider"]').click()
        assert "This is not JSON" in browser.find_element(By.ID, "add-f-root-messages").text
        assert provider_id not in catalog(stack)

        # When the whole file is there, Then it says what it holds, and adding it opens the account editor
        browser.execute_script("arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input', {bubbles: true}))", area, text)
        assert "2 models" in browser.find_element(By.CSS_SELECTOR, "[data-import-check]").text
        browser.find_element(By.CSS_SELECTOR, '[data-op="save-provider"]').click()
        visible(browser, "providers-card account-editor")
        assert provider_id in catalog(stack)
        assert {m["id"] for m in models(stack, provider_id)} == {"qwen3", "llama3.2"}
        assert csp_violations(browser) == []
        assert console_errors(browser) == []
    finally:
        api_call(stack, "DELETE", f"/api/catalog/custom/{provider_id}")
