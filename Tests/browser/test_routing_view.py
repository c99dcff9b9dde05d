"""Issue 17, part 6, in a real browser against the real stack: after an agent runtime (a runtime token, as
Tests/fakes/runtime.py and RoutingThroughNginxTests use one) asks for a route and reports a 429 with the provider's
rate-limit headers, the provider's tile says the account is cooling until when and why, and the provider's
routing panel shows its quota and when it resets, the per-model route status and the last decisions with their
explanation; a billing failure disables the account."""

import re
import secrets
from datetime import datetime, timedelta, timezone

from selenium.webdriver.common.by import By

from conftest import api_call, console_errors, csp_violations, sign_in, visible, wait

SONNET = "anthropic/claude-sonnet-4-5-20250929"


def runtime_token(stack):
    status, body = api_call(stack, "POST", "/api/tokens", {"name": f"runtime-{secrets.token_hex(3)}", "scopes": ["runtime"]})
    assert status == 201, body
    return body["token"]["id"], body["secret"]


def route_to(stack, token, account, model=SONNET, tries=20):
    """Asks for routes until one lands on `account` (other tests' accounts may share the provider); returns it."""
    for _ in range(tries):
        status, decision = api_call(stack, "POST", "/api/route", {"model": model, "session": f"s-{secrets.token_hex(3)}"}, token=token)
        assert status == 200, decision
        if decision["account"] == account:
            return decision
        api_call(stack, "POST", "/api/route/outcome", {"decisionId": decision["decisionId"], "outcome": "ok", "httpStatus": 200}, token=token)
    raise AssertionError(f"no route to {account}")


def tile_account(driver, account):
    return driver.find_element(By.CSS_SELECTOR, f'.provider-tile [data-tile-account="{account}"]')


def test_a_reported_429_shows_cooling_quota_and_the_decision_and_billing_disables_the_account(browser, stack):
    # Given two Anthropic accounts and a runtime token
    suffix = secrets.token_hex(3)
    first, second = f"anthropic:rl{suffix}", f"anthropic:bill{suffix}"
    for account in (first, second):
        status, body = api_call(stack, "POST", "/api/accounts", {
            "id": account, "provider": "anthropic", "displayName": account.split(":")[1],
            "credential": {"kind": "api_key", "apiKey": f"sk-ant-api03-CANARYSECRET-{secrets.token_hex(12)}"}})
        assert status == 201, body
    token_id, token = runtime_token(stack)
    try:
        # When the runtime is routed to the first account and the provider answers 429 with its rate-limit headers
        decision = route_to(stack, token, first)
        reset = (datetime.now(timezone.utc) + timedelta(minutes=20)).replace(microsecond=0)
        status, body = api_call(stack, "POST", "/api/route/outcome", {
            "decisionId": decision["decisionId"], "outcome": "rate_limit", "httpStatus": 429,
            "headers": {"retry-after": "600", "anthropic-ratelimit-requests-limit": "50",
                        "anthropic-ratelimit-requests-remaining": "0",
                        "anthropic-ratelimit-requests-reset": reset.isoformat().replace("+00:00", "Z")}}, token=token)
        assert status in (200, 204), body

        # Then the Anthropic tile says the account is cooling, until when and why
        sign_in(browser, stack)
        visible(browser, "providers-card .provider-grid")
        pill = wait(browser, 15).until(lambda d: tile_account(d, first).find_element(By.CSS_SELECTOR, "[data-route-summary]"))
        assert pill.get_attribute("data-route-summary") == "cooling"
        assert re.fullmatch(r"Cooling until \d\d:\d\d \(rate limit, 1 failure\)", pill.text), pill.text
        assert "In rotation" in tile_account(browser, second).text

        # When the provider is opened, Then its routing panel shows the state, the quota and its reset,
        # the model's route status and the decision with its explanation and outcome
        browser.find_element(By.CSS_SELECTOR, '.provider-tile__open[data-provider="anthropic"]').click()
        panel = visible(browser, "route-status .route-status")
        row = panel.find_element(By.CSS_SELECTOR, f'[data-route-account="{first}"]')
        assert row.get_attribute("data-route-state") == "cooling"
        quota = row.find_element(By.CSS_SELECTOR, '[data-quota="requests"]').text
        assert re.fullmatch(r"0 of 50 requests left, resets \d\d:\d\d", quota), quota
        panel.find_element(By.CSS_SELECTOR, ".route-status__models > summary").click()
        model_row = panel.find_element(By.CSS_SELECTOR, f'tr[data-route-model="{SONNET}"]')
        assert "Cooling until" in model_row.text and "In rotation" in model_row.text
        shown = panel.find_element(By.CSS_SELECTOR, f'[data-decision="{decision["decisionId"]}"]')
        assert first in shown.text and "outcome rate limit" in shown.text
        steps = [e.get_attribute("data-step") for e in shown.find_elements(By.CSS_SELECTOR, ".route-explain li")]
        assert "chosen" in steps
        assert all(e.text for e in shown.find_elements(By.CSS_SELECTOR, ".route-explain li"))

        # When the next call goes to the second account and the provider says billing
        decision = route_to(stack, token, second)
        status, body = api_call(stack, "POST", "/api/route/outcome", {
            "decisionId": decision["decisionId"], "outcome": "billing", "httpStatus": 402}, token=token)
        assert status in (200, 204), body

        # Then Refresh shows it disabled, with the reason, on the panel and on the tile
        panel.find_element(By.CSS_SELECTOR, '[data-op="route-refresh"]').click()
        wait(browser, 15).until(lambda d: d.find_element(By.CSS_SELECTOR, f'[data-route-account="{second}"]').get_attribute("data-route-state") == "disabled")
        text = wait(browser, 15).until(lambda d: d.find_element(By.CSS_SELECTOR, f'[data-route-account="{second}"] [data-route-text]').text)
        assert re.fullmatch(r"Disabled until .+ \(billing(, 1 failure)?\)", text), text
        # The tile is drawn again with the status too: read it once it has settled.
        wait(browser, 15).until(lambda d: tile_account(d, second).find_element(By.CSS_SELECTOR, "[data-route-summary]")
                                .get_attribute("data-route-summary") == "disabled")
        assert csp_violations(browser) == []
        assert console_errors(browser) == []
    finally:
        api_call(stack, "DELETE", f"/api/tokens/{token_id}")
        for account in (first, second):
            api_call(stack, "DELETE", f"/api/accounts/{account}")
