"""What the fakes share: the throwaway test CA, and an HTTPS server on the system OpenSSL (the stdlib ssl module)
whose requests each run in a thread of their own.

The CA and its certificates are made with the openssl command. The server certificate names every host the
tests reach it by: localhost and 127.0.0.1, and rebind.test and bücher.test (xn--bcher-kva.test) for the
DNS-pinning tests, whose resolver the test controls. Only tests trust this CA (`--outbound-ca-file`).
"""

import socket
import ssl
import subprocess
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Optional


@dataclass
class Certificates:
    """The files a fake serves with; `ca_file` is None when the caller made them (it trusts the CA itself)."""
    cert_file: Path
    key_file: Path
    ca_file: Optional[Path] = None
    # An RSA key for test service accounts (PKCS#8 PEM): Google's token endpoint verifies JWTs with its public half.
    service_account_key: Optional[Path] = None

    def context(self):
        """The server's TLS context."""
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(self.cert_file, self.key_file)
        return tls


def make_certificates(directory):
    """A CA, a server certificate signed by it and a service-account key under `directory`: Certificates."""
    d = Path(directory)

    def openssl(*args):
        subprocess.run(["openssl", *args], cwd=d, check=True, stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=60)

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
            "-subj", "/CN=Switchboard Test CA",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost")
    (d / "server.ext").write_text(
        "basicConstraints=CA:FALSE\n"
        "keyUsage=critical,digitalSignature,keyEncipherment\n"
        "extendedKeyUsage=serverAuth\n"
        "subjectAltName=DNS:localhost,DNS:rebind.test,DNS:xn--bcher-kva.test,IP:127.0.0.1\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", "server.pem", "-days", "2", "-sha256", "-extfile", "server.ext")
    openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "sa.key")
    return Certificates(cert_file=d / "server.pem", key_file=d / "server.key", ca_file=d / "ca.pem",
                        service_account_key=d / "sa.key")


class TLSHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 over TLS for the fakes; `self.server.fake` is the fake it serves."""
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

    def read_body(self):
        """The request's body: Content-Length bytes, or the chunks of a chunked one."""
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            body = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return body
                body += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def answer(self, status, body=b"", headers=(), close=False):
        """Sends one response: `headers` a list of pairs, `close` ends the connection after it."""
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        if close:
            self.send_header("Connection", "close")  # also sets close_connection
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, *args):
        pass  # quiet: the test output is for the tests


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # The isolation tests hold 16 and more slow requests at once; the default backlog of 5 would drop SYNs.
    request_queue_size = 256

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
        server = Server(("127.0.0.1", port or 0), handler)
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


if __name__ == "__main__":
    # `python3 Tests/fakes/tls.py DIR`: makes the certificates in DIR (the Swift suites' TestCA does).
    import sys
    make_certificates(sys.argv[1])
