"""The responder's CPU per request for the worst JSON body shapes against a flat body of the same size.

The flat body is an object of short members: the same bytes and about the same number of values as the other
shapes, without nesting. A single long string of the same size is printed too, as the per-byte floor: it is one
value, so it says what reading the bytes costs, not what a body of values costs.

Run by bench/json-shapes.sh, which starts the release responder; this talks FastCGI to its socket directly (no
nginx: nginx's per-address limit on the guarded routes would answer most of these itself, and only the
responder's CPU is measured anyway). CPU time is the sum over the responder's threads of
/proc/<pid>/task/*/schedstat (nanoseconds), read before and after a batch of identical requests.

    python3 bench/json_shapes.py SOCKET PID TOKEN [--size BYTES] [--requests N]
"""
import argparse
import os
import socket
import struct
import sys


def record(kind, content, request_id=1):
    return struct.pack(">BBHHBB", 1, kind, request_id, len(content), 0, 0) + content


def encode_params(params):
    out = b""
    for name, value in params:
        n, v = name.encode(), value.encode()
        for length in (len(n), len(v)):
            out += bytes([length]) if length < 128 else struct.pack(">I", length | 0x80000000)
        out += n + v
    return out


def fastcgi(path, method, params, body):
    """One request over a new connection; returns the HTTP status the responder answered."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    out = record(1, struct.pack(">HB5x", 1, 0))
    encoded = encode_params(params + [("CONTENT_LENGTH", str(len(body)))])
    for i in range(0, len(encoded), 65535):
        out += record(4, encoded[i:i + 65535])
    out += record(4, b"")
    for i in range(0, len(body), 65535):
        out += record(5, body[i:i + 65535])
    out += record(5, b"")
    s.sendall(out)
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    stdout, i = b"", 0
    while i + 8 <= len(data):
        _, kind, _, length, padding, _ = struct.unpack(">BBHHBB", data[i:i + 8])
        if kind == 6:
            stdout += data[i + 8:i + 8 + length]
        i += 8 + length + padding
    head = stdout.split(b"\r\n", 1)[0].decode()
    return int(head.split()[1]) if head.startswith("Status:") else 200


def cpu_ns(pid):
    total = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/schedstat") as f:
                total += int(f.read().split()[0])
        except FileNotFoundError:
            pass
    return total


def fill(open_, unit, close, size):
    """`open_ + unit, unit, ... + close` as close to `size` bytes as whole units allow, padded with spaces."""
    count = max(1, (size - len(open_) - len(close)) // (len(unit) + 1))
    text = open_ + ",".join([unit] * count) + close
    return (text + " " * (size - len(text))).encode()[:size] if len(text) <= size else text.encode()


def shapes(size):
    """The baseline first: a flat object of short members (one level, ~80 000 values in 1 MiB, the shape every
    body of this API has). The single long string after it is the per-byte floor: one value, no structure."""
    deep63 = "[" * 63 + "]" * 63
    deep_obj = '{"a":' * 63 + "1" + "}" * 63
    flat_members = ",".join(f'"k{i}":"v"' for i in range(size // 9))
    flat_object = ("{" + flat_members)[: size - 1]
    flat_object = flat_object[: flat_object.rfind(",")] + "}"
    escaped = '"' + "\\u00e9" * ((size - 2) // 6) + '"'
    return {
        "flat object of short members (baseline)": (flat_object + " " * (size - len(flat_object))).encode(),
        "one long string (per-byte floor)": fill('{"pad":"', "x" * 62, '"}', size).replace(b",", b"x"),
        "wide array of numbers": fill("[", "0", "]", size),
        "wide array of short strings": fill("[", '"ab"', "]", size),
        "strings of escapes": (escaped + " " * (size - len(escaped))).encode(),
        "many 63-deep array subtrees": fill("[", deep63, "]", size),
        "many 63-deep object subtrees": fill("[", deep_obj, "]", size),
        "many 500-deep subtrees (refused at 64)": fill("[", "[" * 500 + "]" * 500, "]", size),
        "one deep array (refused at 64)": ("[" * size).encode(),
        "unterminated string": ('"' + "x" * (size - 1)).encode(),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("socket")
    parser.add_argument("pid", type=int)
    parser.add_argument("token")
    parser.add_argument("--size", type=int, default=1 << 20)
    parser.add_argument("--requests", type=int, default=60)
    args = parser.parse_args()

    routes = [
        ("POST /api/pairing/check (public)", "POST", "/api/pairing/check", []),
        ("POST /api/accounts (admin)", "POST", "/api/accounts", [("HTTP_AUTHORIZATION", "Bearer " + args.token)]),
        ("PATCH /api/config (admin)", "PATCH", "/api/config", [("HTTP_AUTHORIZATION", "Bearer " + args.token),
                                                                ("HTTP_IF_MATCH", '"1"')]),
    ]
    bodies = shapes(args.size)
    print(f"body size {args.size} bytes, {args.requests} requests per shape; CPU is the responder's, all threads")
    worst_ratio = 0.0
    for label, method, path, headers in routes:
        print(f"\n{label}")
        print(f"  {'shape':40} {'status':>6} {'ms CPU/request':>15} {'x flat':>7}")
        flat = None
        for n, (shape, body) in enumerate(bodies.items()):
            content_type = "application/merge-patch+json" if method == "PATCH" else "application/json"
            params = [("REQUEST_METHOD", method), ("REQUEST_URI", path), ("QUERY_STRING", ""),
                      ("CONTENT_TYPE", content_type), ("REQUEST_SCHEME", "http"), ("SERVER_PROTOCOL", "HTTP/1.1")]
            params += headers
            statuses = set()
            before = cpu_ns(args.pid)
            for i in range(args.requests):
                # A new address each time: these are not failed guesses, but keep the throttle out of it anyway.
                statuses.add(fastcgi(args.socket, method, params + [("REMOTE_ADDR", f"10.{n}.{i // 250}.{i % 250}")], body))
            per_request = (cpu_ns(args.pid) - before) / args.requests / 1e6
            if flat is None:
                flat = per_request
            ratio = per_request / flat
            if n > 1:
                worst_ratio = max(worst_ratio, ratio)
            print(f"  {shape:40} {','.join(map(str, sorted(statuses))):>6} {per_request:15.3f} {ratio:7.2f}")
    print(f"\nworst shape / flat body of the same size: {worst_ratio:.2f}x (target <= 3x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
