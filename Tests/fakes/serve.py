"""Runs one fake as a process of its own, for the Swift suites (Tests/TestSupport/ProviderEmulator.swift and
FakeAuthorizationServer.swift start it):

    python3 Tests/fakes/serve.py provider --cert server.pem --key server.key --service-account-key sa.key [--slow-delay 2]
    python3 Tests/fakes/serve.py oauth --cert server.pem --key server.key [--behaviour '{"deny": true}']

The fake serves HTTPS on 127.0.0.1 (a free port), and a control port serves plain HTTP on 127.0.0.1 with JSON:
`GET /received` (every request the fake got), `GET`/`PUT /behaviour` (its switches; a PUT sets the ones it names),
`POST /reset` (forget what was recorded, switches back to where they started), and for the OAuth fake
`POST /sign-in-elsewhere` (`{"scope": [...]}`: tokens of a sign-in done elsewhere). When both listen it prints one
JSON line, `{"port": …, "control": …}` (and the OAuth fake's `clientId`), and it exits when its standard input
ends: the parent holds the other end, so the fake goes when the test process does, however that ends.
"""

import argparse
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from fakes.oauth import FakeOAuth  # noqa: E402
from fakes.provider import FakeProvider  # noqa: E402
from fakes.tls import Certificates  # noqa: E402


class ControlHandler(BaseHTTPRequestHandler):
    """One JSON request, one JSON answer, then the connection closes (HTTP/1.0)."""

    def _handle(self):
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
            if self.path == "/reset" and self.command == "POST":
                status, answer = self.server.reset()
            else:
                status, answer = self.server.fake.control(self.command, self.path, body)
        except (ValueError, TypeError, AttributeError) as error:
            status, answer = 400, {"error": str(error)}
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_PUT = do_POST = _handle

    def log_message(self, *args):
        pass


class ControlServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, fake, initial):
        super().__init__(("127.0.0.1", 0), ControlHandler)
        self.fake = fake
        self.initial = initial

    def reset(self):
        self.fake.reset()
        return self.fake.control("PUT", "/behaviour", self.initial)


def main():
    parser = argparse.ArgumentParser(description="Runs a fake provider or OAuth server for the tests.")
    parser.add_argument("fake", choices=["provider", "oauth"])
    parser.add_argument("--cert", required=True, help="the server certificate (PEM), for localhost and 127.0.0.1")
    parser.add_argument("--key", required=True, help="its private key (PEM)")
    parser.add_argument("--service-account-key", help="the test service accounts' RSA key: JWTs must verify with it")
    parser.add_argument("--slow-delay", type=float, default=3.0, help="seconds the slow scenario waits")
    parser.add_argument("--behaviour", default="{}", help="switches to start with, as PUT /behaviour takes them")
    args = parser.parse_args()

    initial = json.loads(args.behaviour)
    if args.fake == "provider":
        fake = FakeProvider(Certificates(cert_file=Path(args.cert), key_file=Path(args.key),
                                         service_account_key=args.service_account_key and Path(args.service_account_key)),
                            slow_delay=args.slow_delay)
    else:
        fake = FakeOAuth(Path(args.cert), Path(args.key))
    try:
        fake.control("PUT", "/behaviour", initial)
    except (ValueError, TypeError) as error:
        sys.exit(f"serve.py: --behaviour: {error}")
    fake.start()
    control = ControlServer(fake, initial)
    threading.Thread(target=control.serve_forever, name="control", daemon=True).start()

    ready = {"port": fake.port, "control": control.server_address[1]}
    if args.fake == "oauth":
        ready["clientId"] = fake.client_id
    print(json.dumps(ready), flush=True)
    # Until the parent's end of standard input closes (it exited, or stopped this fake), then out at once.
    while sys.stdin.buffer.read(65536):
        pass
    os._exit(0)


if __name__ == "__main__":
    main()
