"""Schemathesis hooks for test_schemathesis.py, loaded through SCHEMATHESIS_HOOKS.

They teach Schemathesis what openapi.yaml says in words a JSON Schema cannot carry, so that valid data reaches
the checks behind the schema instead of being refused for the same reason every time:

- the formats `provider-id`, `model-reference` and `iana-time-zone` draw from the running catalog and a few
  time zones (a reference must name a model the catalog lists);
- a valid `If-Match` of PATCH /api/config and POST /api/config/revert is the current revision: a generated one
  would be stale, a 412 before the body is read. A missing or invalid one is sent as generated;
- a valid body of PUT /api/catalog/custom/{id} names the path's provider id, and an account id in a valid
  body names the account's provider (`<provider>:<name>`), as the document requires;
- every pairing code the run creates is written to the canary needles (Tests/canary/scan.py), so the scan
  proves that none of them reached a log.

Environment: SWITCHBOARD_CONTRACT_URL (the stack's base URL), SWITCHBOARD_CONTRACT_TOKEN (its admin token),
SWITCHBOARD_TEST_ARTIFACTS (deploy/test.sh's artifact directory; no needles without it).
"""

import json
import os
import urllib.request
from pathlib import Path

import schemathesis
from hypothesis import strategies as st
from schemathesis.core.parameters import ParameterLocation

BASE_URL = os.environ["SWITCHBOARD_CONTRACT_URL"]
TOKEN = os.environ["SWITCHBOARD_CONTRACT_TOKEN"]


def _get(path):
    request = urllib.request.Request(BASE_URL + path, headers={"Authorization": f"Bearer {TOKEN}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.headers, json.load(response)


def _catalog():
    """{provider id: [model ids]} as the running server lists them."""
    _, listing = _get("/api/catalog")
    return {p["id"]: [m["id"] for m in _get(f"/api/catalog/{p['id']}")[1]["models"]] for p in listing["providers"]}


CATALOG = _catalog()
schemathesis.openapi.format("provider-id", st.sampled_from(sorted(CATALOG)))
schemathesis.openapi.format("model-reference", st.sampled_from(
    sorted(f"{provider}/{model}" for provider, models in CATALOG.items() for model in models)))
schemathesis.openapi.format("iana-time-zone", st.sampled_from(["UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo"]))

REVISION_GUARDED = {("PATCH", "/api/config"), ("POST", "/api/config/revert")}
PAIRING_CODE_ANSWERS = {("POST", "/api/pairing"), ("POST", "/api/pairing/{id}/refresh")}


def _valid_at(case, location):
    return case.meta is None or not case.meta.is_negative_at(location)


@schemathesis.hook
def before_call(context, case, kwargs):
    route = (case.operation.method.upper(), case.operation.path)
    if route in REVISION_GUARDED and "If-Match" in (case.headers or {}) and _valid_at(case, ParameterLocation.HEADER):
        case.headers["If-Match"] = _get("/api/config")[0]["ETag"]
    if not (isinstance(case.body, dict) and _valid_at(case, ParameterLocation.BODY) and _valid_at(case, ParameterLocation.PATH)):
        return
    if route == ("PUT", "/api/catalog/custom/{id}"):
        case.body["id"] = case.path_parameters["id"]
    # The member that names an account, and where the account's provider comes from.
    account, provider = {
        ("POST", "/api/accounts"): ("id", case.body.get("provider")),
        ("POST", "/api/pairing"): ("account", case.body.get("provider")),
        ("POST", "/api/oauth/{provider}/start"): ("account", (case.path_parameters or {}).get("provider")),
    }.get(route, (None, None))
    if isinstance(case.body.get(account), str) and isinstance(provider, str) and provider in CATALOG:
        case.body[account] = f"{provider}:{case.body[account].split(':', 1)[-1]}"


@schemathesis.hook
def after_call(context, case, response):
    artifacts = os.environ.get("SWITCHBOARD_TEST_ARTIFACTS")
    if not artifacts or (case.operation.method.upper(), case.operation.path) not in PAIRING_CODE_ANSWERS:
        return
    try:
        code = response.json().get("code")
    except (ValueError, AttributeError):
        return
    if code:
        descriptor = os.open(Path(artifacts) / "canary-needles.txt", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            os.write(descriptor, f"{code}\n".encode())
        finally:
            os.close(descriptor)
