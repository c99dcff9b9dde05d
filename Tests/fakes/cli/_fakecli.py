"""Shared plumbing for the fake provider CLIs (claude, codex, gemini, opencode).

Control: `fake-cli.json` next to the invoked script path (abspath of argv[0], not realpath, so a test can symlink the
fakes into its own bin directory with its own control file). Every invocation appends one JSON line to `calls.log`
in that same directory. See README.md.
"""

import json
import os
import secrets
import string
import sys
import time

CONTROL_DIR = os.path.dirname(os.path.abspath(sys.argv[0]))
LOGGED_ENV = ["CLAUDE_CONFIG_DIR", "CODEX_HOME", "GEMINI_CLI_HOME", "GEMINI_FORCE_FILE_STORAGE",
              "GEMINI_CLI_SYSTEM_SETTINGS_PATH", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "MAX_THINKING_TOKENS",
              "HOME", "NO_BROWSER"]
MARKER = ".fake-session"


def control(tool):
    """This tool's section of fake-cli.json ({} when the file or section is missing)."""
    try:
        with open(os.path.join(CONTROL_DIR, "fake-cli.json")) as f:
            return json.load(f).get(tool) or {}
    except FileNotFoundError:
        return {}


def log_call(tool, **extra):
    entry = {"tool": tool, "argv": sys.argv[1:], "envKeys": sorted(os.environ),
             "env": {k: os.environ[k] for k in LOGGED_ENV if k in os.environ},
             "stdinIsTTY": sys.stdin.isatty(), "pid": os.getpid(), **extra}
    fd = os.open(os.path.join(CONTROL_DIR, "calls.log"), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.write(fd, (json.dumps(entry) + "\n").encode())  # one write: concurrent fakes never interleave
    finally:
        os.close(fd)


def maybe_hang(ctl, command):
    """`"hang": ["login", ...]` makes that command wedge (like a CLI waiting on a dead network) before printing."""
    if command in ctl.get("hang", []):
        time.sleep(3600)


def out(text, stream=None):
    stream = stream or sys.stdout
    stream.write(text)
    stream.flush()


def die(text, code=1, stream=None):
    out(text if text.endswith("\n") or text == "" else text + "\n", stream or sys.stderr)
    sys.exit(code)


def usage_error(tool, message):
    """Unknown arguments: a usage error on stderr and exit 2, as clap/yargs/commander-based CLIs do."""
    die(f"error: {message}\n\nUsage: {tool} [options] [command]\n\nFor more information, try '--help'.", 2)


def urlsafe(n=43):
    alphabet = string.ascii_letters + string.digits + "-_"
    return "".join(secrets.choice(alphabet) for _ in range(n))


def read_line():
    line = sys.stdin.readline()
    return line.rstrip("\r\n")


def read_stdin():
    return "" if sys.stdin.isatty() else sys.stdin.read()


# Sign-in state: the marker is what the fake reads for status; the token file is written once at login and never
# opened (or stat-read) again by the fake, so a test watching it with inotify sees only the login's write.

def session(home):
    try:
        with open(os.path.join(home, MARKER)) as f:
            return json.load(f)
    except (FileNotFoundError, ValueError):
        return None


def sign_in(home, token_name, ctl, plan, token):
    os.makedirs(home, exist_ok=True)
    email = ctl.get("email", "fake-user@example.com")
    with open(os.path.join(home, MARKER), "w") as f:
        json.dump({"email": email, "plan": plan}, f)
    fd = os.open(os.path.join(home, token_name), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, json.dumps(token).encode())
    finally:
        os.close(fd)


def wait_for_approval(name, timeout):
    """Poll the control directory for `name` (a test creates it, playing the user approving on another device)."""
    deadline = time.monotonic() + timeout
    path = os.path.join(CONTROL_DIR, name)
    while time.monotonic() < deadline:
        if os.path.exists(path):
            return True
        time.sleep(0.2)
    return False


def take_value(args, i, tool):
    """The value of the option at args[i] (`--opt value` or `--opt=value`) and the next index."""
    arg = args[i]
    if arg.startswith("--") and "=" in arg:
        return arg.split("=", 1)[1], i + 1
    if i + 1 >= len(args):
        usage_error(tool, f"option '{arg}' requires a value")
    return args[i + 1], i + 2


def fail_kind(ctl):
    return (ctl.get("run") or {}).get("fail")
