"""A fake model provider over HTTPS: "Fake AI", a plain OpenAI-compatible provider at `/v1`, for the browser tests,
and every provider family's wire format under its own path prefix (families.py; anything else is a 404).

Fake AI answers `GET /v1/models` with a bearer key: a key that contains "bad" is refused the way OpenAI refuses one
(401 with its error body); any other key gets two models and OpenAI's rate-limit headers. `delay` holds every
answer that long (Fake AI's and the families'); a family's `slow` scenario waits `slow_delay`.

Every request is recorded (method, raw path with its query, headers, body), so a test can check where a key went.
The families' answers close their connections (as the Swift emulator this replaces did); Fake AI keeps them alive.
"""

import json
import shutil
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from . import families
from .tls import Certificates, TLSHandler, TLSService, make_certificates

MODELS = {"object": "list", "data": [
    {"id": "fake-large", "object": "model", "owned_by": "fake"},
    {"id": "fake-small", "object": "model"},
]}

# OpenAI's answer to a wrong key, as it sends it.
INVALID_KEY = {"error": {
    "message": "Incorrect API key provided: sk-bad***. You can find your API key at https://platform.openai.com/account/api-keys.",
    "type": "invalid_request_error", "param": None, "code": "invalid_api_key",
}}

RATE_LIMIT_HEADERS = [
    ("x-ratelimit-limit-requests", "5000"),
    ("x-ratelimit-remaining-requests", "4999"),
    ("x-ratelimit-reset-requests", "12ms"),
]


@dataclass
class Seen:
    """One request as it arrived: `path` is the raw request target (with its query), `header_list` the headers in
    order as sent, `headers` the same by lower-case name."""
    method: str
    path: str
    header_list: list = field(default_factory=list)
    body: str = ""

    @property
    def headers(self):
        return {name.lower(): value for name, value in reversed(self.header_list)}

    def header(self, name):
        """The first value of header `name` (any case), or None."""
        return next((value for key, value in self.header_list if key.lower() == name.lower()), None)

    def as_json(self):
        return {"method": self.method, "uri": self.path, "headers": self.header_list, "body": self.body}


def fake_ai(request):
    """Fake AI's answer: (status, body object, extra headers)."""
    path = request.path.split("?", 1)[0]
    if path.rstrip("/") != "/v1/models" or request.method != "GET":
        return 404, {"error": {"message": f"Unknown request URL: {request.method} {path}.",
                               "type": "invalid_request_error", "param": None, "code": "unknown_url"}}, []
    auth = request.header("Authorization") or ""
    if not auth.startswith("Bearer ") or not auth[len("Bearer "):].strip():
        return 401, {"error": {"message": "You didn't provide an API key.", "type": "invalid_request_error",
                               "param": None, "code": None}}, []
    if "bad" in auth[len("Bearer "):]:
        return 401, INVALID_KEY, []
    return 200, MODELS, RATE_LIMIT_HEADERS


class _Handler(TLSHandler):
    server_version = "FakeAI/1.0"

    def _handle(self):
        fake = self.server.fake
        seen = Seen(self.command, self.path, list(self.headers.items()))
        seen.body = self.read_body().decode(errors="replace")
        fake.record(seen)
        if fake.delay:
            time.sleep(fake.delay)
        path = seen.path.split("?", 1)[0]
        if path == "/v1" or path.startswith("/v1/"):
            status, body, headers = fake_ai(seen)
            self.answer(status, json.dumps(body).encode(), [("Content-Type", "application/json"), *headers])
        else:
            answer = families.respond(seen, fake.certificates.service_account_key)
            if answer.delayed:
                time.sleep(fake.slow_delay)
            self.answer(answer.status, answer.body, answer.headers, close=True)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle


class FakeProvider:
    """Start with `start()`; `url` is Fake AI's OpenAI base URL (`https://localhost:PORT/v1`), `base_url` the
    families' (`https://localhost:PORT`), `ca_file` the CA to trust.

    `certificates`: the files to serve with (tls.Certificates); when None, a throwaway CA is made for this fake, and
    its localhost certificate is `cert_file`/`key_file`, which other fakes (oauth.py) serve too, so one
    --outbound-ca-file covers them all."""

    def __init__(self, certificates=None, slow_delay=3.0):
        self._dir = None
        if certificates is None:
            self._dir = Path(tempfile.mkdtemp(prefix="switchboard-fake-provider-"))
            certificates = make_certificates(self._dir)
        self.certificates: Certificates = certificates
        self.ca_file, self.cert_file, self.key_file = certificates.ca_file, certificates.cert_file, certificates.key_file
        self._tls = certificates.context()
        self._lock = threading.Lock()
        self._seen = []
        self._service = TLSService()
        self.port = None
        self.delay = 0.0
        self.slow_delay = slow_delay

    @property
    def url(self):
        return f"https://localhost:{self.port}/v1"

    @property
    def base_url(self):
        return f"https://localhost:{self.port}"

    def record(self, seen):
        with self._lock:
            self._seen.append(seen)

    def requests(self):
        with self._lock:
            return list(self._seen)

    def requests_with_key(self, key):
        return [r for r in self.requests() if key in r.headers.get("authorization", "")]

    def reset(self):
        """Forgets what was recorded; no delay."""
        with self._lock:
            self._seen = []
        self.delay = 0.0

    def start(self):
        self.port = self._service.start(self, _Handler, self._tls, self.port, "fake-provider")
        return self

    def stop(self):
        self._service.stop()

    @contextmanager
    def down(self):
        """The provider is unreachable (nothing listens on its port) inside the block, and back after it."""
        self.stop()
        try:
            yield
        finally:
            self.start()

    def close(self):
        self.stop()
        if self._dir:
            shutil.rmtree(self._dir, ignore_errors=True)

    # MARK: The control port (serve.py)

    def control(self, method, path, body):
        """Answers a request to the control port: (status, JSON object)."""
        if (method, path) == ("GET", "/received"):
            return 200, {"received": [seen.as_json() for seen in self.requests()]}
        if (method, path) == ("GET", "/behaviour"):
            return 200, {"delay": self.delay, "slowDelay": self.slow_delay}
        if (method, path) == ("PUT", "/behaviour"):
            self.delay = float(body.get("delay", self.delay))
            self.slow_delay = float(body.get("slowDelay", self.slow_delay))
            return 200, {"delay": self.delay, "slowDelay": self.slow_delay}
        if (method, path) == ("POST", "/reset"):
            self.reset()
            return 200, {}
        return 404, {"error": "not_found"}
