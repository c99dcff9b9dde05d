"""Issue 17, part 7 (and issue 16's page), in a real browser against the real stack: the fake provider CLIs of
Tests/fakes/cli on `--cli-path`. Each CLI with its version and path; a version change shows its notice, Sync
clears it; accounts with their sign-in as the CLI reports it; a sign-in relayed from the CLI completes while the
page is open (a device code approved elsewhere, a pasted code); models with parameter forms drawn from their
types; a selection saved and tested, a bad value shown at its field with the draft kept."""

import json
import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from conftest import (api_call, chromium, color_scheme, console_errors, csp_violations, full_screenshot, open_section,
                      running_stack, visible, wait)

FAKES = Path(__file__).resolve().parents[1] / "fakes" / "cli"


@pytest.fixture(scope="module")
def cli_bin():
    directory = Path(tempfile.mkdtemp(prefix="switchboard-fake-cli-"))
    for name in ("claude", "codex", "gemini", "opencode", "_fakecli.py"):
        (directory / name).symlink_to(FAKES / name)
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


def control(cli_bin, settings):
    (cli_bin / "fake-cli.json").write_text(json.dumps(settings))


@pytest.fixture(scope="module")
def cli_stack(cli_bin):
    with running_stack("--cli-path", str(cli_bin), "--cli-scan-interval", "0", "--cli-timeout", "60",
                       prefix="switchboard-browser-cli-") as running:
        status, body = api_call(running, "POST", "/api/cli/scan")
        assert status == 200, body
        yield running


@pytest.fixture
def driver(cli_stack):
    d = chromium()
    yield d
    d.quit()


def tool_card(driver, name):
    return visible(driver, f'cli-section [data-tool="{name}"]')


def clean(driver, expected=None):
    """No console errors (but the network log of a failure the test forced: `expected`, a regex) and no CSP violations."""
    errors = [e for e in console_errors(driver)
              if not (expected and e.get("source") == "network" and re.search(expected, e["message"]))]
    assert errors == []
    assert csp_violations(driver) == []


def sign_in_marker(home, tool):
    """Marks a home signed in, as the CLI's own sign-in would (the marker the fakes read)."""
    base = Path(home) / (".gemini" if tool == "gemini" else ".local/share/opencode" if tool == "opencode" else "")
    base.mkdir(parents=True, exist_ok=True)
    (base / ".fake-session").write_text(json.dumps({"email": "ops@example.com", "plan": "pro"}))


def test_each_cli_shows_its_version_and_a_version_change_shows_its_notice_until_synced(driver, cli_stack, cli_bin):
    open_section(driver, cli_stack, "clis")
    for name, version in (("claude", "2.1.211"), ("codex", "0.77.0"), ("gemini", "0.18.0"), ("opencode", "1.0.134")):
        card = tool_card(driver, name)
        assert card.find_element(By.CSS_SELECTOR, "[data-version]").text == version
        assert str(cli_bin / name) in card.text
    assert "from data written for 2.1.211" in tool_card(driver, "claude").text

    # Codex is updated on the server: Scan now shows the notice, and it stays across a reload until Sync.
    control(cli_bin, {"codex": {"version": "0.78.0"}})
    try:
        driver.find_element(By.CSS_SELECTOR, 'cli-section [data-op="scan"]').click()
        wait(driver, 60).until(lambda d: tool_card(d, "codex").find_elements(By.CSS_SELECTOR, "[data-stale-notice]"))
        notice = tool_card(driver, "codex").find_element(By.CSS_SELECTOR, "[data-stale-notice]").text
        assert "codex updated from 0.77.0 to 0.78.0: models re-synced; 1 new model (gpt-5.2-codex); reasoning effort now accepts xhigh" in notice
        driver.refresh()
        card = tool_card(driver, "codex")
        assert card.find_element(By.CSS_SELECTOR, "[data-version]").text == "0.78.0"
        assert card.find_elements(By.CSS_SELECTOR, "[data-stale]")
        card.find_element(By.CSS_SELECTOR, '[data-op="sync"]').click()
        wait(driver, 30).until(lambda d: not tool_card(d, "codex").find_elements(By.CSS_SELECTOR, "[data-stale]"))
        assert "codex synced" in driver.find_element(By.CSS_SELECTOR, "cli-section [data-cli-status]").text
    finally:
        control(cli_bin, {})
        api_call(cli_stack, "POST", "/api/cli/scan")
        api_call(cli_stack, "POST", "/api/cli/codex/sync")
    clean(driver)


def test_a_codex_device_sign_in_completes_while_the_page_is_open(driver, cli_stack, cli_bin):
    open_section(driver, cli_stack, "clis")
    card = tool_card(driver, "codex")
    # Add an account by keyboard-free clicks; a bad name is refused at its field first, the draft kept.
    name = card.find_element(By.CSS_SELECTOR, "[data-new-name]")
    name.send_keys("Team One")
    card.find_element(By.CSS_SELECTOR, '[data-add-account] button[type="submit"]').click()
    error = visible(driver, '[data-tool="codex"] [data-new-messages="/id"] .field__error')
    assert "lower-case" in error.text
    assert name.get_attribute("value") == "Team One"
    assert name.get_attribute("aria-invalid") == "true"
    name.clear()
    name.send_keys("team")
    card.find_element(By.CSS_SELECTOR, '[data-add-account] button[type="submit"]').click()
    account = visible(driver, '[data-cli-account="codex:team"]')
    assert account.find_element(By.CSS_SELECTOR, "[data-auth]").get_attribute("data-auth") == "signed_out"

    # Sign in: the page shows the device page and the code the CLI printed, with a countdown.
    account.find_element(By.CSS_SELECTOR, '[data-op="login"]').click()
    code_element = visible(driver, '[data-cli-account="codex:team"] .copyable--big code', timeout=30)
    code = code_element.text
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{5}", code)
    link = driver.find_element(By.CSS_SELECTOR, '[data-cli-account="codex:team"] [data-login-url]')
    assert link.get_attribute("href") == "https://auth.openai.com/codex/device"
    assert link.get_attribute("rel") == "noopener noreferrer"
    assert re.search(r"\d+:\d\d left", driver.find_element(By.CSS_SELECTOR, '[data-cli-account="codex:team"] .cli-login').text)
    full_screenshot(driver, "cli-sign-in-device-code.png")

    # The operator approves the code on another device: the page shows it signed in, live.
    (cli_bin / f"approved-{code}").touch()
    wait(driver, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, '[data-login-status="succeeded"]'))
    wait(driver, 30).until(lambda d: d.find_element(By.CSS_SELECTOR, '[data-cli-account="codex:team"] [data-auth]')
                           .get_attribute("data-auth") == "signed_in")
    assert "signed in" in driver.find_element(By.CSS_SELECTOR, "#announcer").get_attribute("textContent").lower()
    clean(driver)


def test_a_claude_sign_in_takes_the_pasted_code_and_never_shows_it_again(driver, cli_stack):
    status, _ = api_call(cli_stack, "POST", "/api/cli/claude/accounts", {"id": "claude:max"})
    assert status in (201, 409)
    open_section(driver, cli_stack, "clis")
    account = visible(driver, '[data-cli-account="claude:max"]')
    account.find_element(By.CSS_SELECTOR, '[data-op="login"]').click()
    field = visible(driver, '[data-cli-account="claude:max"] [data-login-input]', timeout=30)
    href = driver.find_element(By.CSS_SELECTOR, '[data-cli-account="claude:max"] [data-login-url]').get_attribute("href")
    state = re.search(r"[?&]state=([^&]+)", href).group(1)
    field.send_keys(f"PASTEDCODE#{state}")
    driver.find_element(By.CSS_SELECTOR, '[data-cli-account="claude:max"] [data-login-form] button[type="submit"]').click()
    wait(driver, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, '[data-cli-account="claude:max"] [data-auth="signed_in"]'))
    assert "PASTEDCODE" not in driver.find_element(By.CSS_SELECTOR, "cli-section").text
    clean(driver)


def test_a_selection_is_drawn_from_typed_parameters_saved_tested_and_a_bad_value_stays_at_its_field(driver, cli_stack):
    for account in ("claude:sel", "codex:sel"):
        status, body = api_call(cli_stack, "POST", f"/api/cli/{account.split(':')[0]}/accounts", {"id": account})
        assert status in (201, 409), body
        if status == 201:
            sign_in_marker(body["home"], account.split(":")[0])
            api_call(cli_stack, "POST", f"/api/cli/{account.split(':')[0]}/accounts/{account}/check")
    open_section(driver, cli_stack, "clis")
    visible(driver, 'cli-selections [data-op="new-selection"]').click()
    from selenium.webdriver.support.ui import Select
    Select(visible(driver, '[data-sel="model"]')).select_by_value("claude/claude-opus-4-5")
    form = driver.find_element(By.CSS_SELECTOR, "[data-sel-form]")
    # enum → choices, number → a field with its range, boolean → a switch, string → text
    assert form.find_elements(By.CSS_SELECTOR, '[data-param="effort"] input[type="radio"][value="high"]')
    thinking = form.find_element(By.CSS_SELECTOR, '[data-param="thinkingTokens"] input[type="number"]')
    assert thinking.get_attribute("min") == "1024" and thinking.get_attribute("max") == "63999"
    assert form.find_element(By.CSS_SELECTOR, '[data-param="verbose"] input').get_attribute("role") == "switch"
    assert form.find_elements(By.CSS_SELECTOR, '[data-param="appendSystemPrompt"] input[type="text"]')

    form.find_element(By.CSS_SELECTOR, '[data-sel="name"]').send_keys("opus~deep")
    form.find_element(By.CSS_SELECTOR, '[data-param="effort"] input[value="high"]').click()
    thinking.send_keys("100")
    form.find_element(By.CSS_SELECTOR, '[data-param="verbose"] input').click()
    form.find_element(By.CSS_SELECTOR, '[data-sel="account"][value="claude:sel"]').click()
    form.find_element(By.CSS_SELECTOR, 'button[type="submit"]').click()
    # The server refuses the number: its message at the field, the draft kept.
    message = visible(driver, '[data-messages="/parameterValues/thinkingTokens"] .field__error')
    assert "at least 1024" in message.text
    assert thinking.get_attribute("value") == "100"
    assert thinking.get_attribute("aria-invalid") == "true"
    assert form.find_element(By.CSS_SELECTOR, '[data-param="effort"] input[value="high"]').is_selected()
    full_screenshot(driver, "cli-selection-error.png")

    thinking.clear()
    thinking.send_keys("8000")
    form.find_element(By.CSS_SELECTOR, 'button[type="submit"]').click()
    argv = visible(driver, "[data-sel-argv]").text
    assert "--model claude-opus-4-5 --effort high" in argv and "--verbose" in argv
    assert "MAX_THINKING_TOKENS" in driver.find_element(By.CSS_SELECTOR, "[data-sel-command]").text

    # It persists: after a reload it is listed with its settings.
    driver.refresh()
    row = visible(driver, 'cli-selections [data-selection="opus~deep"]')
    assert "effort high" in row.text and "thinkingTokens 8000" in row.text and "claude:sel" in row.text
    clean(driver, expected=r"/api/cli/selections - Failed to load resource: the server responded with a status of 422")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_cli_section_has_no_serious_or_critical_axe_violation(driver, cli_stack, cli_bin, scheme):
    """Everything the section can show at once: CLIs with notices and history, accounts, a sign-in waiting on a
    pasted code, the models tables, a selection form; desktop and phone width."""
    from test_accessibility import DESKTOP, PHONE, overflowing, serious
    from conftest import phone
    status, _ = api_call(cli_stack, "POST", "/api/cli/claude/accounts", {"id": "claude:a11y"})
    assert status in (201, 409)
    color_scheme(driver, scheme)
    for name, (width, height) in (("desktop", DESKTOP), ("phone", PHONE)):
        phone(driver, name == "phone", width, height)
        open_section(driver, cli_stack, "clis")
        tool_card(driver, "claude").find_element(By.CSS_SELECTOR, '[data-cli-account="claude:a11y"] [data-op="login"]').click()
        visible(driver, '[data-cli-account="claude:a11y"] [data-login-input]', timeout=30)
        driver.find_element(By.CSS_SELECTOR, 'cli-selections [data-op="new-selection"]').click()
        visible(driver, "[data-sel-form]")
        driver.execute_script("document.querySelectorAll('cli-section details').forEach((d) => { d.open = true; })")
        found, axe = serious(driver)
        assert found == [], axe.report(found)
        wide = overflowing(driver)
        assert not wide, f"the CLI section is wider than {width}px: " + ", ".join(wide)
        driver.execute_script("window.scrollTo(0, 0)")
        full_screenshot(driver, f"switchboard-clis-{scheme}-{name}.png")
        # Cancel by keyboard: the sign-in ends and says so.
        cancel = driver.find_element(By.CSS_SELECTOR, '[data-cli-account="claude:a11y"] [data-op="cancel-login"]')
        driver.execute_script("arguments[0].focus()", cancel)
        cancel.send_keys(Keys.ENTER)
        wait(driver, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, '[data-cli-account="claude:a11y"] [data-login-status="cancelled"]'))
    clean(driver)


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [1280, 390])
def test_screenshots_of_the_cli_section(cli_stack, scheme, width):
    driver = chromium(f"--window-size={width},900")
    try:
        color_scheme(driver, scheme)
        open_section(driver, cli_stack, "clis")
        tool_card(driver, "opencode")
        full_screenshot(driver, f"cli-section-{scheme}-{'phone' if width < 600 else 'desktop'}.png")
        wider = driver.execute_script("""
            const w = document.documentElement.clientWidth;
            return [...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > w + 1 && !e.closest('.table-wrap'))
                .slice(0, 1).map((e) => { const chain = []; for (let x = e; x; x = x.parentElement) chain.push(`${x.tagName.toLowerCase()}.${x.className} ${Math.round(x.getBoundingClientRect().width)}/${getComputedStyle(x).display}`); return chain.join(' < '); });""")
        assert driver.execute_script("return document.documentElement.scrollWidth <= document.documentElement.clientWidth + 1"), \
            f"the section is wider than the window: {wider}"
        clean(driver)
    finally:
        driver.quit()
