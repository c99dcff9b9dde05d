"""A fake OAuth 2 authorization server over HTTPS, speaking the real wire format.

- `GET /authorize` approves at once (no login page): 302 to `redirect_uri?code=…&state=…&iss=…` (RFC 9207). It checks
  what a real server checks: an http(s) redirect URI (and one of `registered_redirects` when set), `response_type=code`,
  the client id, PKCE with S256. `authorize_errors` says how a failed check answers: "redirect" sends it back to the
  redirect URI as `error=…`; "page" shows a 400 page at the provider for an unknown client or a missing PKCE
  challenge (RFC 6749 §4.1.2.1: never redirect for an unknown client) and checks `deny` before PKCE. Switches:
  `deny` (`error=access_denied`), `wrong_iss` (an `iss` that is not the issuer), `send_iss` / `omit_iss`.
- `GET /code` is the page a provider shows in paste-code mode: the code and state as `code#state`.
- `POST /token` (form-encoded, the client in the form or HTTP Basic): `authorization_code` (the code once: a second use
  is refused and revokes what the first issued; the same client and redirect URI; the PKCE verifier against the
  challenge /authorize saw), `refresh_token` (rotated: reusing a rotated one revokes its whole family, OAuth 2.1 §6.1)
  and the device grant. Switches: `withheld_scopes` (never granted), `granted_scope` (what every token grants instead
  of what was asked), `expires_in`, `refuse_refresh` (every refresh fails with `invalid_grant`: a revoked sign-in),
  `broken_token_endpoint` (500 with HTML), `client_secret` (required when set).
- `POST /device/code` (RFC 8628): a device code and the user code WDJB-MJHT. A poll of the device grant sooner than
  `device_interval` (less 0.2 s) after the last answers `slow_down`; `device_expired` answers `expired_token`; then
  the errors in `device_script` (`authorization_pending`, `slow_down`, …), one per poll, then `device_pending`
  polls answer `authorization_pending`, one `slow_down` when `device_slow_down`, and then `access_denied`
  (`device_denied`) or tokens.
- `GET /v1/models` is an OpenAI-style API that accepts only live access tokens.
- `access_marker` goes into the access tokens it issues ("bad-": the provider fakes refuse them). No token holds
  "bad" otherwise, so they pass there when a test sends them to a provider fake as an API key.

Every request is recorded (method, path, query, form, headers, when, and what the fake answered) for the tests'
checks. The tokens and codes carry CANARYSECRET, so the canary scan finds them wherever they leak.
"""

import base64
import hashlib
import html
import json
import secrets
import threading
import time
import urllib.parse
from dataclasses import dataclass, field

from .tls import Certificates, TLSHandler, TLSService

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
USER_CODE = "WDJB-MJHT"

# The switches by their name on the control port (serve.py), the Swift wrapper's `Behaviour` among them.
SWITCHES = {
    "deny": "deny", "wrongIssuer": "wrong_iss", "omitIssuer": "omit_iss", "authorizeErrors": "authorize_errors",
    "registeredRedirects": "registered_redirects", "withheldScopes": "withheld_scopes", "grantedScope": "granted_scope",
    "expiresIn": "expires_in", "refuseRefresh": "refuse_refresh", "brokenTokenEndpoint": "broken_token_endpoint",
    "clientSecret": "client_secret", "accessMarker": "access_marker", "devicePending": "device_pending",
    "deviceSlowDown": "device_slow_down", "deviceDenied": "device_denied", "deviceInterval": "device_interval",
    "deviceExpired": "device_expired", "deviceScript": "device_script", "keepAlive": "keep_alive",
}


@dataclass
class Seen:
    method: str
    path: str
    query: dict = field(default_factory=dict)
    form: dict = field(default_factory=dict)
    headers: list = field(default_factory=list)  # pairs, in order as sent
    at: float = 0.0
    answer: str = ""  # what the fake answered: "code", "tokens", an OAuth error code …

    def as_json(self):
        return {"method": self.method, "path": self.path, "query": self.query, "form": self.form,
                "headers": self.headers, "at": self.at, "answer": self.answer}


def s256(verifier):
    """RFC 7636 S256, computed here independently of the code under test."""
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def token(kind, marker=""):
    """`kind-CANARYSECRET-<32 hex>`, never holding "bad" (all hex letters) but in `marker`."""
    while "bad" in (hex_ := secrets.token_hex(16)):
        pass
    return f"{kind}-{marker}CANARYSECRET-{hex_}"


def parse(text):
    """A query or form as a dict (blank values kept, the last of a repeated name wins)."""
    return dict(urllib.parse.parse_qsl(text, keep_blank_values=True))


class _Handler(TLSHandler):
    server_version = "FakeOAuth/1.0"

    def _handle(self):
        fake = self.server.fake
        url = urllib.parse.urlsplit(self.path)
        form = parse(self.read_body().decode(errors="replace")) if self.command == "POST" else {}
        seen = fake.record(Seen(self.command, url.path, parse(url.query), form, list(self.headers.items())))
        basic = self.headers.get("Authorization") or ""
        if basic.startswith("Basic "):
            user, _, password = base64.b64decode(basic[6:]).decode().partition(":")
            form.setdefault("client_id", urllib.parse.unquote_plus(user))
            form.setdefault("client_secret", urllib.parse.unquote_plus(password))
        status, headers, body = fake.respond(self.command, url.path, seen, self.headers.get("Authorization") or "")
        self.answer(status, body, [*headers, ("Cache-Control", "no-store")], close=not fake.keep_alive)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle


def page(status, text):
    return status, [("Content-Type", "text/html; charset=utf-8")], text.encode()


def json_answer(status, body):
    return status, [("Content-Type", "application/json")], json.dumps(body).encode()


def oauth_error(seen, code, description, status=400):
    seen.answer = code
    return json_answer(status, {"error": code, "error_description": description})


class FakeOAuth:
    """Start with `start()`; `base_url` is `https://localhost:PORT` (also the issuer). It serves the certificate of
    `cert_file`/`key_file` (the provider fake's, or the test CA's)."""

    client_id = "switchboard-test-client"

    def __init__(self, cert_file, key_file):
        self._tls = Certificates(cert_file=cert_file, key_file=key_file).context()
        # Reentrant: an endpoint records and issues while it holds it.
        self.lock = threading.RLock()
        self._service = TLSService()
        self.port = None
        self.reset()

    def reset(self):
        """Every switch back to a well-behaved server; what was recorded and issued is forgotten."""
        with self.lock:
            self.seen = []
            self.codes = {}  # code: the authorization request it answers
            self.access_tokens = {}  # token: (family, expiry)
            self.refresh_tokens = {}  # token: {"family", "used", "scope"}
            self.revoked_families = set()
            self.device_codes = {}
            self.problems = []
            self.issued = []
        self.deny = False
        self.wrong_iss = False
        self.send_iss = True
        self.authorize_errors = "redirect"
        self.registered_redirects = None
        self.withheld_scopes = []
        self.granted_scope = None
        self.expires_in = 3600
        self.refuse_refresh = False
        self.broken_token_endpoint = False
        self.client_secret = None
        self.device_script = []
        self.device_interval = 1
        self.device_expired = False
        self.device_pending = 0
        self.device_slow_down = False
        self.device_denied = False
        # Put into access tokens: "bad-" makes the provider fakes refuse them (401), as an expired token would be.
        self.access_marker = ""
        self.keep_alive = True

    @property
    def omit_iss(self):
        return not self.send_iss

    @omit_iss.setter
    def omit_iss(self, value):
        self.send_iss = not value

    @property
    def base_url(self):
        return f"https://localhost:{self.port}"

    @property
    def issuer(self):
        return self.base_url

    def client(self, redirect_mode="server_callback", **extra):
        """The body of PUT /api/oauth/clients/{provider} that points a provider at this fake."""
        body = {
            "authorizeUrl": f"{self.base_url}/authorize", "tokenUrl": f"{self.base_url}/token",
            "deviceAuthorizationUrl": f"{self.base_url}/device/code", "clientId": self.client_id,
            "scopes": ["openid", "models.read"], "redirectMode": redirect_mode, "issuer": self.issuer,
        }
        if redirect_mode == "paste_code":
            body["redirectUri"] = f"{self.base_url}/code"
        body.update(extra)
        return body

    def record(self, seen):
        seen.at = time.monotonic()
        with self.lock:
            self.seen.append(seen)
        return seen

    def requests(self, path=None):
        with self.lock:
            return [s for s in self.seen if path is None or s.path == path]

    def issue(self, requested_scope, family=None):
        """New tokens of `family` (a new one when None), granting `requested_scope` (a list or a space-separated
        string) or `granted_scope` when set."""
        scope = requested_scope.split() if isinstance(requested_scope, str) else list(requested_scope)
        if self.granted_scope is not None:
            scope = self.granted_scope.split()
        access, refresh = token("at", self.access_marker), token("rt")
        with self.lock:
            family = family or token("family")
            self.access_tokens[access] = (family, time.time() + self.expires_in)
            self.refresh_tokens[refresh] = {"family": family, "used": False, "scope": scope}
            tokens = {"access_token": access, "token_type": "Bearer", "expires_in": self.expires_in,
                      "refresh_token": refresh, "scope": " ".join(scope)}
            self.issued.append(tokens)
        return tokens

    def sign_in_elsewhere(self, scope=("models.read", "offline_access")):
        """Tokens of a sign-in done elsewhere, as a provider's CLI on a laptop gets them before they are paired or
        pasted here: a new family whose access token lives `expires_in` seconds and whose refresh token this server
        renews like any other. Answers (access token, refresh token)."""
        access, refresh, family = token("at"), token("rt"), token("family")
        with self.lock:
            self.access_tokens[access] = (family, time.time() + self.expires_in)
            self.refresh_tokens[refresh] = {"family": family, "used": False, "scope": list(scope)}
        return access, refresh

    def start(self):
        self.port = self._service.start(self, _Handler, self._tls, self.port, "fake-oauth")
        return self

    def close(self):
        self._service.stop()

    # MARK: Endpoints

    def respond(self, method, path, seen, authorization):
        """(status, headers, body) for one request."""
        with self.lock:
            if method == "GET" and path == "/authorize":
                return self._authorize(seen.query, seen)
            if method == "GET" and path == "/code":
                text = html.escape(f"{seen.query.get('code', '')}#{seen.query.get('state', '')}")
                return page(200, f"<!doctype html><title>Your code</title><p>Paste this code into the application:</p>"
                                 f"<p id=\"code\">{text}</p>")
            if method == "GET" and path == "/device":
                return page(200, "<!doctype html><title>Device</title><p>Enter the code.</p>")
            if method == "GET" and path == "/favicon.ico":
                return 204, [], b""
            if method == "GET" and path == "/v1/models":
                return self._models(authorization)
            if method == "POST" and path == "/token":
                return self._token(seen.form, seen)
            if method == "POST" and path == "/device/code":
                return self._device_code(seen.form, seen)
            return json_answer(404, {"error": "not_found"})

    def _authorize(self, query, seen):
        redirect_uri = query.get("redirect_uri", "")
        state = query.get("state", "")
        page_errors = self.authorize_errors == "page"
        if not redirect_uri.startswith(("http://", "https://")):
            seen.answer = "bad_redirect_uri"
            return page(400, "<p>Invalid redirect_uri</p>")
        if page_errors and query.get("client_id") != self.client_id:
            seen.answer = "unknown_client"
            return page(400, "<h1>Unknown client</h1>")
        if self.registered_redirects is not None and redirect_uri not in self.registered_redirects:
            # As real providers do: an error page at the provider, never a redirect to an unregistered URI.
            seen.answer = "redirect_uri_mismatch"
            return page(400, "<h1>Error 400: redirect_uri_mismatch</h1>")

        def back(params):
            if state:
                params["state"] = state
            if self.send_iss:
                params["iss"] = "https://evil.example" if self.wrong_iss else self.issuer
            joiner = "&" if "?" in redirect_uri else "?"
            return 302, [("Location", redirect_uri + joiner + urllib.parse.urlencode(params, quote_via=urllib.parse.quote))], b""

        pkce = query.get("code_challenge_method") == "S256" and query.get("code_challenge")
        problem = None
        if query.get("response_type") != "code":
            problem = "unsupported_response_type"
        elif query.get("client_id") != self.client_id:
            problem = "unauthorized_client"
        elif not pkce and not page_errors:
            problem = "invalid_request"
        if problem:
            seen.answer = problem
            return back({"error": problem, "error_description": f"fake: {problem}"})
        if self.deny:
            seen.answer = "access_denied"
            return back({"error": "access_denied", "error_description": "The user denied access"})
        if not pkce:
            seen.answer = "pkce_required"
            return page(400, "<h1>PKCE S256 required</h1>")
        code = token("code")
        self.codes[code] = {"client_id": query["client_id"], "redirect_uri": redirect_uri, "challenge": query["code_challenge"],
                            "scope": query.get("scope", "").split(), "used": False, "family": token("family")}
        seen.answer = "code"
        return back({"code": code})

    def _token(self, form, seen):
        if self.broken_token_endpoint:
            seen.answer = "broken"
            return page(500, "<html>oops</html>")
        if self.client_secret and form.get("client_secret") != self.client_secret:
            return oauth_error(seen, "invalid_client", "fake: wrong client secret", status=401)
        if form.get("client_id") != self.client_id:
            return oauth_error(seen, "invalid_client", "Unknown client")
        grant = form.get("grant_type")
        if grant == "authorization_code":
            return self._code_grant(form, seen)
        if grant == "refresh_token":
            return self._refresh_grant(form, seen)
        if grant == DEVICE_GRANT:
            return self._device_grant(form, seen)
        return oauth_error(seen, "unsupported_grant_type", "Unknown grant type")

    def _code_grant(self, form, seen):
        entry = self.codes.get(form.get("code", ""))
        problem = None
        if entry is None:
            problem = "Unknown code"
        elif entry["used"]:
            # A code used twice: refuse, and revoke what the first use issued (RFC 6749 §4.1.2).
            self.revoked_families.add(entry["family"])
            problem = "Authorization code already used"
        else:
            entry["used"] = True
            if form.get("client_id") != entry["client_id"]:
                problem = "another client"
            elif form.get("redirect_uri") != entry["redirect_uri"]:
                problem = "redirect_uri does not match the authorization request"
            elif s256(form.get("code_verifier", "")) != entry["challenge"]:
                problem = "PKCE verifier does not match the challenge"
        if problem:
            self.problems.append(problem)
            return oauth_error(seen, "invalid_grant", problem)
        seen.answer = "tokens"
        granted = [scope for scope in entry["scope"] if scope not in self.withheld_scopes]
        return json_answer(200, self.issue(granted, entry["family"]))

    def _refresh_grant(self, form, seen):
        entry = self.refresh_tokens.get(form.get("refresh_token", ""))
        if entry is None:
            return oauth_error(seen, "invalid_grant", "Unknown refresh token")
        if entry["used"] or entry["family"] in self.revoked_families:
            # Reuse of a rotated refresh token: the whole family is revoked (OAuth 2.1 §6.1).
            self.revoked_families.add(entry["family"])
            return oauth_error(seen, "invalid_grant", "Refresh token reuse detected")
        if self.refuse_refresh:
            return oauth_error(seen, "invalid_grant", "Token has been expired or revoked")
        entry["used"] = True
        seen.answer = "tokens"
        return json_answer(200, self.issue(entry["scope"], entry["family"]))

    def _device_code(self, form, seen):
        if form.get("client_id") != self.client_id:
            return oauth_error(seen, "invalid_client", "Unknown client", status=401)
        device_code = token("device")
        self.device_codes[device_code] = {"scope": form.get("scope"), "script": list(self.device_script), "polls": 0,
                                          "slowed": False, "last_poll": None}
        seen.answer = "device_code"
        return json_answer(200, {
            "device_code": device_code, "user_code": USER_CODE,
            "verification_uri": f"{self.base_url}/device",
            "verification_uri_complete": f"{self.base_url}/device?user_code={USER_CODE}",
            "expires_in": 600, "interval": self.device_interval,
        })

    def _device_grant(self, form, seen):
        code = form.get("device_code", "")
        entry = self.device_codes.get(code)
        if entry is None:
            return oauth_error(seen, "invalid_grant", "Unknown device code")
        if self.device_expired:
            return oauth_error(seen, "expired_token", "fake: the device code expired")
        now = time.monotonic()
        last, entry["last_poll"] = entry["last_poll"], now
        if last is not None and now - last < self.device_interval - 0.2:
            return oauth_error(seen, "slow_down", "Polling too fast")
        if entry["script"]:
            step = entry["script"].pop(0)
            return oauth_error(seen, step, f"fake: {step}")
        entry["polls"] += 1
        if entry["polls"] <= self.device_pending:
            return oauth_error(seen, "authorization_pending", "Waiting for the user")
        if self.device_slow_down and not entry["slowed"]:
            entry["slowed"] = True
            return oauth_error(seen, "slow_down", "Slow down")
        if self.device_denied:
            return oauth_error(seen, "access_denied", "The user denied access")
        del self.device_codes[code]
        seen.answer = "tokens"
        scope = entry["scope"] if entry["scope"] is not None else form.get("scope", "models.read offline_access")
        return json_answer(200, self.issue(scope))

    def _models(self, authorization):
        bearer = authorization[len("Bearer "):] if authorization.startswith("Bearer ") else ""
        family, expiry = self.access_tokens.get(bearer, (None, 0))
        if family is None or expiry <= time.time() or family in self.revoked_families:
            return json_answer(401, {"error": {"message": "Invalid or expired token", "type": "invalid_request_error",
                                               "code": "invalid_api_key"}})
        return json_answer(200, {"object": "list", "data": [{"id": "oauth-model-1", "object": "model"}]})

    # MARK: The control port (serve.py)

    def behaviour(self):
        return {name: getattr(self, attribute) for name, attribute in SWITCHES.items()}

    def configure(self, switches):
        """Sets the switches named in `switches` (control-port names); the others stay."""
        unknown = set(switches) - set(SWITCHES)
        if unknown:
            raise ValueError(f"unknown switches: {sorted(unknown)}")
        for name, value in switches.items():
            setattr(self, SWITCHES[name], value)

    def control(self, method, path, body):
        """Answers a request to the control port: (status, JSON object)."""
        if (method, path) == ("GET", "/received"):
            return 200, {"received": [seen.as_json() for seen in self.requests()]}
        if (method, path) == ("GET", "/behaviour"):
            return 200, self.behaviour()
        if (method, path) == ("PUT", "/behaviour"):
            self.configure(body)
            return 200, self.behaviour()
        if (method, path) == ("POST", "/sign-in-elsewhere"):
            access, refresh = self.sign_in_elsewhere(body.get("scope", ["models.read", "offline_access"]))
            return 200, {"accessToken": access, "refreshToken": refresh}
        if (method, path) == ("POST", "/reset"):
            self.reset()
            return 200, {}
        return 404, {"error": "not_found"}
