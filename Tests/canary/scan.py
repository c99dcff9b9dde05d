#!/usr/bin/env python3
"""The whole-suite canary scan (SECURITY.md): every fake secret the tests send carries the marker
CANARYSECRET. After all tests ran, no file they left behind may contain it in plaintext: the responder's
logs, nginx's access and error logs, the SQLite databases with their WAL and SHM files, the audit log in
them, catalog files, serve.stdout. Credential files are encrypted, so they pass only if the vault works.

    Tests/canary/scan.py DIR [DIR ...]

Secrets the server makes itself (pairing codes) cannot carry the marker; tests write each one they saw, one
per line, to `canary-needles.txt` under a scanned directory, and those are searched for too (in their grouped
and ungrouped forms).

Exits 1 listing each file (and the context around the first hit) that holds the marker; 0 otherwise.
"""
import os
import sys

MARKER = b"CANARYSECRET"


NEEDLES_FILE = "canary-needles.txt"


def extra_needles(roots):
    needles = set()
    for root in roots:
        for directory, _, files in os.walk(root):
            if NEEDLES_FILE in files:
                with open(os.path.join(directory, NEEDLES_FILE), "rb") as f:
                    for line in f.read().splitlines():
                        line = line.strip()
                        if len(line) >= 8:
                            needles.add(line)
                            needles.add(line.replace(b"-", b""))
    return sorted(needles)


def main(roots):
    needles = [MARKER] + extra_needles(roots)
    scanned = 0
    kinds = set()
    hits = []
    for root in roots:
        for directory, _, files in os.walk(root):
            for name in files:
                path = os.path.join(directory, name)
                if name == NEEDLES_FILE or os.path.islink(path) or not os.path.isfile(path):
                    continue
                try:
                    with open(path, "rb") as f:
                        data = f.read()
                except OSError:
                    continue
                scanned += 1
                if name.endswith((".sqlite", ".sqlite-wal", ".sqlite-shm")):
                    kinds.add("database")
                elif name.endswith(".cred"):
                    kinds.add("credential")
                elif name.endswith(".log"):
                    kinds.add("log")
                for needle in needles:
                    at = data.find(needle)
                    if at >= 0:
                        hits.append((path, data[max(0, at - 60):at + 60]))
                        break
    for path, context in hits:
        print(f"canary found in {path}: ...{context!r}...")
    print(f"canary scan: {scanned} files ({', '.join(sorted(kinds)) or 'none'}), {len(needles) - 1} server-made secrets besides the marker, {len(hits)} with a hit")
    if scanned == 0 or not {"database", "log"} <= kinds:
        print("canary scan: expected databases and logs to scan; the suite kept no artifacts")
        return 1
    return 1 if hits else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
