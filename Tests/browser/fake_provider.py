"""A fake OpenAI-compatible provider over HTTPS for the browser tests: `GET /v1/models` with a bearer key.

A key that contains "bad" is refused the way OpenAI refuses one (401 with its error body); any other key gets
two models and OpenAI's rate-limit headers. Every request is recorded (method, path, headers) so a test can
check where the key went. The certificate is for `localhost`, signed by a throwaway CA made with the openssl
CLI; Switchboard trusts it through `--outbound-ca-file`.
"""

import json
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

MODELS = {"object": "list", "data": [
    {"id": "fake-large", "object": "model", "owned_by": "fake"},
    {"id": "fake-small", "object": "model"},
]}

# OpenAI's answer to a wrong key, as it sends it.
INVALID_KEY = {"error": {
    "message": "Incorrect API key provided: sk-bad***. You can find your API key at https://platform.openai.com/account/api-keys.",
    "type": "invalid_request_error", "param": None, "code": "invalid_api_key",
}}

RATE_LIMIT_HEADERS = {
    "x-ratelimit-limit-requests": "5000",
    "x-ratelimit-remaining-requests": "4999",
    "x-ratelimit-reset-requests": "12ms",
}


@dataclass
class Seen:
    method: str
    path: str
    headers: dict = field(default_factory=dict)  # lower-case names


def make_certificates(directory):
    """A CA and a server certificate for DNS:localhost (and 127.0.0.1) under `directory`: (ca.pem, server.pem, server.key)."""
    d = Path(directory)

    def openssl(*args):
        subprocess.run(["openssl", *args], cwd=d, check=True, stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=60)

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
            "-subj", "/CN=Switchboard browser tests CA",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost")
    (d / "server.ext").write_text(
        "basicConstraints=CA:FALSE\n"
        "keyUsage=critical,digitalSignature,keyEncipherment\n"
        "extendedKeyUsage=serverAuth\n"
        "subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", "server.pem", "-days", "2", "-sha256", "-extfile", "server.ext")
    return d / "ca.pem", d / "server.pem", d / "server.key"


class TLSHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 over TLS for the fakes (this one and fake_oauth.py); `self.server.fake` is the fake it serves."""
    protocol_version = "HTTP/1.1"

    def setup(self):
        # The TLS handshake happens here, in the request's thread, so one slow client holds up nobody else.
        self.request = self.server.tls.wrap_socket(self.request, server_side=True)
        self.server.track(self.request)
        super().setup()

    def finish(self):
        try:
            super().finish()
        finally:
            self.server.untrack(self.request)

    def log_message(self, *args):
        pass  # quiet: the test output is for the tests


class _Handler(TLSHandler):
    server_version = "FakeAI/1.0"

    def _answer(self, status, body, headers=None):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _handle(self):
        fake = self.server.fake
        fake.record(Seen(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}))
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        if fake.delay:
            time.sleep(fake.delay)
        path = self.path.split("?", 1)[0]
        if path.rstrip("/") != "/v1/models" or self.command != "GET":
            self._answer(404, {"error": {"message": f"Unknown request URL: {self.command} {path}.",
                                         "type": "invalid_request_error", "param": None, "code": "unknown_url"}})
            return
        auth = self.headers.get("Authorization") or ""
        if not auth.startswith("Bearer ") or not auth[len("Bearer "):].strip():
            self._answer(401, {"error": {"message": "You didn't provide an API key.", "type": "invalid_request_error",
                                         "param": None, "code": None}})
            return
        if "bad" in auth[len("Bearer "):]:
            self._answer(401, INVALID_KEY)
            return
        self._answer(200, MODELS, RATE_LIMIT_HEADERS)

    do_GET = _handle
    do_POST = _handle


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._open = set()
        self._open_lock = threading.Lock()

    def track(self, sock):
        with self._open_lock:
            self._open.add(sock)

    def untrack(self, sock):
        with self._open_lock:
            self._open.discard(sock)

    def drop_connections(self):
        """Ends the kept-alive connections too: a client's pooled connection must not outlive the server."""
        with self._open_lock:
            sockets, self._open = list(self._open), set()
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def handle_error(self, request, client_address):
        pass  # a client that drops the connection or refuses the certificate is not the test's failure


class TLSService:
    """One fake's server on 127.0.0.1 in a thread of its own: `start(fake, handler, tls, port, name)`, `stop()`."""

    def __init__(self):
        self._server = None
        self._thread = None

    def start(self, fake, handler, tls, port, name):
        """Serves on `port` (0: any free one) and returns the port."""
        server = _Server(("127.0.0.1", port or 0), handler)
        server.fake = fake
        server.tls = tls
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)
        self._thread.start()
        return server.server_address[1]

    def stop(self):
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server.drop_connections()
            self._thread.join(timeout=5)
            self._server = None


class FakeProvider:
    """Start with `start()`; `url` is the OpenAI base URL (`https://localhost:PORT/v1`), `ca_file` the CA to trust."""

    def __init__(self):
        self._dir = Path(tempfile.mkdtemp(prefix="switchboard-fake-provider-"))
        self.ca_file, cert, key = make_certificates(self._dir)
        # The certificate for localhost, signed by `ca_file`: other fakes (fake_oauth.py) serve it too, so one
        # --outbound-ca-file covers them all.
        self.cert_file, self.key_file = cert, key
        self._tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._tls.load_cert_chain(cert, key)
        self._lock = threading.Lock()
        self._seen = []
        self._service = TLSService()
        self.port = None
        self.delay = 0.0

    @property
    def url(self):
        return f"https://localhost:{self.port}/v1"

    def record(self, seen):
        with self._lock:
            self._seen.append(seen)

    def requests(self):
        with self._lock:
            return list(self._seen)

    def requests_with_key(self, key):
        return [r for r in self.requests() if key in r.headers.get("authorization", "")]

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
        shutil.rmtree(self._dir, ignore_errors=True)
