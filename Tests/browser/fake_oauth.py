"""A fake OAuth 2 authorization server over HTTPS for the browser tests, speaking the real wire format.

- `GET /authorize` approves at once (no login page): 302 to `redirect_uri?code=…&state=…` (and `&iss=…`, RFC 9207).
  It checks what a real server checks: `response_type=code`, the client id, PKCE with S256. Switches: `deny`
  (answers `error=access_denied`), `wrong_iss` (an `iss` that is not the issuer), `send_iss`.
- `GET /code` is the page a provider shows in paste-code mode: the code and state as `code#state`.
- `POST /token` (form-encoded): `authorization_code` (the code once, the same client id and redirect URI, the
  PKCE verifier against the challenge /authorize saw), `refresh_token` (rotated: an old one is refused), and the
  device grant. `granted_scope` narrows what a token grants (an insufficient scope).
- `POST /device/code` (RFC 8628): a device code and user code; polls of the device grant answer the scripted
  errors in `device_script` (`authorization_pending`, `slow_down`, …) one per poll, then tokens.
  `device_expired` answers `expired_token`.
- `access_marker` goes into the access tokens it issues ("bad-": the fake provider refuses them);
  `refuse_refresh` makes every refresh fail with `invalid_grant` (a revoked sign-in).

Every request is recorded (method, path, query, form) for the tests' checks. The tokens carry CANARYSECRET, so
the canary scan finds them wherever they leak. TLS uses the fake provider's localhost certificate.
"""

import base64
import hashlib
import html
import json
import secrets
import ssl
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from fake_provider import TLSHandler, TLSService

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


@dataclass
class Seen:
    method: str
    path: str
    query: dict = field(default_factory=dict)
    form: dict = field(default_factory=dict)
    at: float = 0.0
    answer: str = ""  # what the fake answered: "code", "tokens", an OAuth error code …


def s256(verifier):
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


class _Handler(TLSHandler):
    server_version = "FakeOAuth/1.0"

    def _send(self, status, body=b"", content_type="application/json", headers=None):
        self.send_response(status)
        if body:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status, body):
        self._send(status, json.dumps(body).encode())

    def _redirect(self, location):
        self._send(302, headers={"Location": location})

    def do_GET(self):
        fake = self.server.fake
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        seen = fake.record(Seen("GET", url.path, query=query))
        if url.path == "/authorize":
            self._authorize(fake, query, seen)
        elif url.path == "/code":
            text = html.escape(f"{query.get('code', '')}#{query.get('state', '')}")
            page = (f"<!doctype html><title>Your code</title><p>Paste this code into the application:</p>"
                    f"<p id=\"code\">{text}</p>").encode()
            self._send(200, page, "text/html; charset=utf-8")
        elif url.path == "/favicon.ico":
            self._send(204)
        elif url.path == "/device":
            self._send(200, b"<!doctype html><title>Device</title><p>Enter the code.</p>", "text/html; charset=utf-8")
        else:
            self._json(404, {"error": "not_found"})

    def do_POST(self):
        fake = self.server.fake
        url = urllib.parse.urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode() if length else ""
        form = dict(urllib.parse.parse_qsl(raw))
        seen = fake.record(Seen("POST", url.path, form=form))
        basic = self.headers.get("Authorization") or ""
        if basic.startswith("Basic "):
            user, _, password = base64.b64decode(basic[6:]).decode().partition(":")
            form.setdefault("client_id", urllib.parse.unquote_plus(user))
            form.setdefault("client_secret", urllib.parse.unquote_plus(password))
        if url.path == "/token":
            self._token(fake, form, seen)
        elif url.path == "/device/code":
            self._device_code(fake, form, seen)
        else:
            self._json(404, {"error": "not_found"})

    # MARK: Endpoints

    def _authorize(self, fake, query, seen):
        redirect_uri = query.get("redirect_uri", "")
        state = query.get("state", "")
        if not redirect_uri.startswith(("http://", "https://")):
            seen.answer = "bad_redirect_uri"
            self._send(400, b"<p>Invalid redirect_uri</p>", "text/html")
            return

        def back(params):
            if state:
                params["state"] = state
            if fake.send_iss:
                params["iss"] = "https://evil.example" if fake.wrong_iss else fake.issuer
            joiner = "&" if "?" in redirect_uri else "?"
            self._redirect(redirect_uri + joiner + urllib.parse.urlencode(params))

        problem = None
        if query.get("response_type") != "code":
            problem = "unsupported_response_type"
        elif query.get("client_id") != fake.client_id:
            problem = "unauthorized_client"
        elif query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
            problem = "invalid_request"
        if problem:
            seen.answer = problem
            back({"error": problem, "error_description": f"fake: {problem}"})
            return
        if fake.deny:
            seen.answer = "access_denied"
            back({"error": "access_denied", "error_description": "The user denied the request"})
            return
        code = f"fake-code-{secrets.token_urlsafe(12)}"
        with fake.lock:
            fake.codes[code] = {
                "client_id": query["client_id"], "redirect_uri": redirect_uri,
                "challenge": query["code_challenge"], "scope": query.get("scope", ""), "used": False,
            }
        seen.answer = "code"
        back({"code": code})

    def _token(self, fake, form, seen):
        if fake.client_secret and form.get("client_secret") != fake.client_secret:
            seen.answer = "invalid_client"
            self._json(401, {"error": "invalid_client"})
            return
        grant = form.get("grant_type")
        if grant == "authorization_code":
            self._code_grant(fake, form, seen)
        elif grant == "refresh_token":
            self._refresh_grant(fake, form, seen)
        elif grant == DEVICE_GRANT:
            self._device_grant(fake, form, seen)
        else:
            seen.answer = "unsupported_grant_type"
            self._json(400, {"error": "unsupported_grant_type"})

    def _code_grant(self, fake, form, seen):
        with fake.lock:
            entry = fake.codes.get(form.get("code", ""))
            problem = None
            if entry is None:
                problem = "unknown code"
            elif entry["used"]:
                problem = "code reused"
            elif form.get("client_id") != entry["client_id"]:
                problem = "another client"
            elif form.get("redirect_uri") != entry["redirect_uri"]:
                problem = "another redirect_uri"
            elif s256(form.get("code_verifier", "")) != entry["challenge"]:
                problem = "PKCE verifier does not match the challenge"
            if entry is not None:
                entry["used"] = True
        if problem:
            seen.answer = "invalid_grant"
            fake.problems.append(problem)
            self._json(400, {"error": "invalid_grant", "error_description": f"fake: {problem}"})
            return
        seen.answer = "tokens"
        self._json(200, fake.issue(entry["scope"]))

    def _refresh_grant(self, fake, form, seen):
        token = form.get("refresh_token", "")
        with fake.lock:
            scope = fake.refresh_tokens.pop(token, None)
        if scope is None or fake.refuse_refresh:
            seen.answer = "invalid_grant"
            self._json(400, {"error": "invalid_grant", "error_description": "fake: refresh token unknown or used"})
            return
        seen.answer = "tokens"
        self._json(200, fake.issue(scope))

    def _device_code(self, fake, form, seen):
        if form.get("client_id") != fake.client_id:
            seen.answer = "invalid_client"
            self._json(401, {"error": "invalid_client"})
            return
        device_code = f"fake-device-{secrets.token_urlsafe(12)}"
        user_code = "WDJB-MJHT"
        with fake.lock:
            fake.device_codes[device_code] = {"scope": form.get("scope", ""), "script": list(fake.device_script)}
        seen.answer = "device_code"
        self._json(200, {
            "device_code": device_code, "user_code": user_code,
            "verification_uri": f"{fake.base_url}/device",
            "verification_uri_complete": f"{fake.base_url}/device?user_code={user_code}",
            "expires_in": 600, "interval": fake.device_interval,
        })

    def _device_grant(self, fake, form, seen):
        with fake.lock:
            entry = fake.device_codes.get(form.get("device_code", ""))
            step = entry["script"].pop(0) if entry and entry["script"] else None
        if entry is None:
            seen.answer = "invalid_grant"
            self._json(400, {"error": "invalid_grant"})
        elif fake.device_expired:
            seen.answer = "expired_token"
            self._json(400, {"error": "expired_token", "error_description": "fake: the device code expired"})
        elif step:
            seen.answer = step
            self._json(400, {"error": step})
        else:
            with fake.lock:
                fake.device_codes.pop(form.get("device_code", ""), None)
            seen.answer = "tokens"
            self._json(200, fake.issue(entry["scope"]))


class FakeOAuth:
    """Start with `start()`; `base_url` is `https://localhost:PORT` (also the issuer)."""

    client_id = "switchboard-browser-tests"

    def __init__(self, cert_file, key_file):
        self._tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._tls.load_cert_chain(cert_file, key_file)
        self.lock = threading.Lock()
        self._service = TLSService()
        self.port = None
        self.reset()

    def reset(self):
        """Every switch back to a well-behaved server; what was recorded is forgotten."""
        with self.lock:
            self.seen = []
            self.codes = {}
            self.refresh_tokens = {}
            self.device_codes = {}
            self.problems = []
        self.deny = False
        self.wrong_iss = False
        self.send_iss = True
        self.granted_scope = None
        self.client_secret = None
        self.device_script = []
        self.device_interval = 1
        self.device_expired = False
        # Put into access tokens: "bad-" makes the fake provider refuse them (401), as an expired token would be.
        self.access_marker = ""
        self.refuse_refresh = False
        self.issued = []

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

    def issue(self, requested_scope):
        scope = requested_scope if self.granted_scope is None else self.granted_scope
        tokens = {
            "access_token": f"fake-access-{self.access_marker}CANARYSECRET-{secrets.token_hex(16)}",
            "token_type": "Bearer", "expires_in": 3600,
            "refresh_token": f"fake-refresh-CANARYSECRET-{secrets.token_hex(16)}",
            "scope": scope,
        }
        with self.lock:
            self.refresh_tokens[tokens["refresh_token"]] = scope
            self.issued.append(tokens)
        return tokens

    def record(self, seen):
        seen.at = time.monotonic()
        with self.lock:
            self.seen.append(seen)
        return seen

    def requests(self, path=None):
        with self.lock:
            return [s for s in self.seen if path is None or s.path == path]

    def start(self):
        self.port = self._service.start(self, _Handler, self._tls, self.port, "fake-oauth")
        return self

    def close(self):
        self._service.stop()
