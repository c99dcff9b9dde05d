"""Quick self-test of the fake provider CLIs: python3 -m pytest -q -p no:cacheprovider Tests/fakes/cli/test_fakes.py"""

import json
import os
import re
import stat
import subprocess

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
TOOLS = ["claude", "codex", "gemini", "opencode"]


class Bin:
    """A temp bin directory of symlinks to the fakes, with its own control file, and a temp HOME."""

    def __init__(self, root):
        self.dir = root / "bin"
        self.dir.mkdir()
        self.home = root / "home"
        self.home.mkdir()
        for tool in TOOLS:
            os.symlink(os.path.join(HERE, tool), self.dir / tool)

    def control(self, **sections):
        (self.dir / "fake-cli.json").write_text(json.dumps(sections))

    def calls(self):
        return [json.loads(line) for line in (self.dir / "calls.log").read_text().splitlines()]

    def env(self, **extra):
        return {"PATH": f"{self.dir}:/usr/bin:/bin", "HOME": str(self.home), "LANG": "C.UTF-8", "TERM": "dumb",
                **extra}

    def run(self, tool, *args, stdin="", timeout=10, **env):
        return subprocess.run([tool, *args], input=stdin, capture_output=True, text=True, timeout=timeout,
                              env=self.env(**env))

    def tty(self, tool, *args, **env):
        """Start `tool` with a pseudo-terminal as stdin (stdout/stderr stay pipes); returns (process, master fd)."""
        master, slave = os.openpty()
        p = subprocess.Popen([tool, *args], stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env=self.env(**env))
        os.close(slave)
        return p, master


@pytest.fixture
def b(tmp_path):
    return Bin(tmp_path)


def finish(p, master, answer=None):
    if answer is not None:
        os.write(master, (answer + "\n").encode())
    out, err = p.stdout.read(), p.stderr.read()  # not communicate(): it would skip readline()'s buffer
    p.wait(timeout=10)
    os.close(master)
    return p.returncode, out, err


def read_until(p, pattern):
    """Read stdout lines until one matches; returns (text so far, match)."""
    seen = ""
    while True:
        line = p.stdout.readline()
        assert line, f"EOF before {pattern!r}; got {seen!r}"
        seen += line
        m = re.search(pattern, line)
        if m:
            return seen, m


def test_versions_and_call_log(b):
    b.control(codex={"version": "0.78.1"})
    assert b.run("claude", "--version").stdout == "2.1.211 (Claude Code)\n"
    assert b.run("codex", "--version").stdout == "codex-cli 0.78.1\n"
    assert b.run("gemini", "--version").stdout == "0.18.0\n"
    assert b.run("opencode", "--version").stdout == "1.0.134\n"
    calls = b.calls()
    assert [c["tool"] for c in calls] == TOOLS
    assert calls[0]["argv"] == ["--version"]
    assert calls[0]["envKeys"] == sorted(b.env())
    assert calls[0]["env"] == {"HOME": str(b.home)}
    assert calls[0]["stdinIsTTY"] is False and isinstance(calls[0]["pid"], int)


def test_unknown_arguments_exit_2(b):
    for tool in TOOLS:
        r = b.run(tool, "--no-such-flag")
        assert r.returncode == 2 and r.stderr, tool


def test_hang(b):
    b.control(claude={"hang": ["version"]})
    with pytest.raises(subprocess.TimeoutExpired):
        b.run("claude", "--version", timeout=1)  # subprocess.run kills the hung fake
    assert b.calls()[0]["argv"] == ["--version"]  # logged before hanging


def claude_login(b, **env):
    p, master = b.tty("claude", "auth", "login", **env)
    text, m = read_until(p, r"state=([\w-]{43})$")
    assert text.startswith("Opening browser to sign in…\nBrowser didn't open?")
    assert re.search(r"code_challenge=[\w-]{43}&", text)
    return finish(p, master, f"abc123#{m.group(1)}")


def test_claude(b):
    cfg = b.home / "cfg"
    r = b.run("claude", "auth", "status", CLAUDE_CONFIG_DIR=str(cfg))
    assert r.returncode == 1 and json.loads(r.stdout) == {"loggedIn": False, "authMethod": "none",
                                                          "apiProvider": "firstParty"}
    r = b.run("claude", "auth", "login")
    assert (r.returncode, r.stderr) == (1, "Error: Raw mode is not supported on the current process.stdin\n")
    assert b.run("claude", "-p", "hi", CLAUDE_CONFIG_DIR=str(cfg)).stdout == "Invalid API key · Please run /login\n"

    p, master = b.tty("claude", "auth", "login", CLAUDE_CONFIG_DIR=str(cfg))
    read_until(p, "state=")
    code, out, _ = finish(p, master, "abc#wrong-state")
    assert code == 1 and out.endswith("\nOAuth error: Invalid code\n")

    code, out, _ = claude_login(b, CLAUDE_CONFIG_DIR=str(cfg))
    assert (code, out) == (0, "\nPaste code here if prompted > \nLogin successful.\n")
    assert stat.S_IMODE((cfg / ".credentials.json").stat().st_mode) == 0o600
    status = json.loads(b.run("claude", "auth", "status", "--json", CLAUDE_CONFIG_DIR=str(cfg)).stdout)
    assert status["loggedIn"] and status["orgName"] == f"{status['email']}'s Organization"

    r = b.run("claude", "-p", "--model", "opus", "--output-format", "json", "hello", CLAUDE_CONFIG_DIR=str(cfg),
              MAX_THINKING_TOKENS="1024")
    result = json.loads(r.stdout)
    assert result["result"] == "fake claude (opus, effort default, thinking 1024): hello"
    assert b.calls()[-1]["env"]["MAX_THINKING_TOKENS"] == "1024"
    r = b.run("claude", "-p", "--effort", "high", stdin="from stdin\n", CLAUDE_CONFIG_DIR=str(cfg))
    assert r.stdout == "fake claude (default, effort high, thinking default): from stdin\n"

    b.control(claude={"run": {"fail": "rate_limit"}})
    r = b.run("claude", "-p", "x", CLAUDE_CONFIG_DIR=str(cfg))
    assert r.returncode == 1 and r.stdout.startswith("API Error: 429 ")
    b.control(claude={"run": {"fail": "auth"}, "loginOutcome": "fail"})
    assert b.run("claude", "-p", "x", CLAUDE_CONFIG_DIR=str(cfg)).stdout.startswith("API Error: 401 ")
    assert claude_login(b, CLAUDE_CONFIG_DIR=str(cfg))[0] == 1


def test_codex_login_and_exec(b):
    r = b.run("codex", "login", "status", CODEX_HOME=str(b.home / "missing"))
    assert (r.returncode, r.stderr) == (1, f'Error: CODEX_HOME points to "{b.home}/missing", but that path does '
                                           'not exist\n')
    r = b.run("codex", "login", "status")
    assert (r.returncode, r.stderr) == (1, "Not logged in\n")
    assert b.run("codex", "exec", "hi").stderr == "ERROR: Not logged in. Run codex login.\n"

    p = subprocess.Popen(["codex", "login", "--device-auth"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         text=True, env=b.env())
    text, m = read_until(p, r"^   ([A-Z0-9]{4}-[A-Z0-9]{5})$")
    assert text.startswith("\nWelcome to Codex [v0.77.0]\n")
    (b.dir / f"approved-{m.group(1)}").touch()
    out, _ = p.communicate(timeout=10)
    assert p.returncode == 0 and out.endswith("Successfully logged in\n")
    assert stat.S_IMODE((b.home / ".codex" / "auth.json").stat().st_mode) == 0o600
    r = b.run("codex", "login", "status")
    assert (r.returncode, r.stderr) == (0, "Logged in using ChatGPT\n")

    r = b.run("codex", "exec", "-m", "gpt-5.1-codex", "-c", 'model_reasoning_effort="high"', "-c", "a=b",
              "--skip-git-repo-check", "-", stdin="piped prompt\n")
    assert r.stdout == 'fake codex (gpt-5.1-codex, model_reasoning_effort="high", a=b): piped prompt\n'
    for kind, start in [("rate_limit", "ERROR: exceeded retry limit"), ("quota", "ERROR: You've hit your usage"),
                        ("auth", "ERROR: unexpected status 401")]:
        b.control(codex={"run": {"fail": kind}})
        r = b.run("codex", "exec", "x")
        assert r.returncode == 1 and r.stderr.startswith(start)


def test_codex_device_timeout_and_browser_login(b):
    b.control(codex={"deviceTimeoutSeconds": 0.3})
    r = b.run("codex", "login", "--device-auth")
    assert (r.returncode, r.stderr) == (1, "Error logging in with device code: device code expired\n")
    r = b.run("codex", "login")
    assert r.stdout.startswith("Starting local login server on http://localhost:1455.\n") and r.returncode == 1


def test_codex_models(b):
    def slugs():
        return {m["slug"]: [lv["effort"] for lv in m["supported_reasoning_levels"]]
                for m in json.loads(b.run("codex", "debug", "models").stdout)["models"]}
    assert slugs() == {"gpt-5.1-codex-max": ["low", "medium", "high"], "gpt-5.1-codex": ["low", "medium", "high"],
                       "gpt-5.1-codex-mini": ["medium", "high"]}
    b.control(codex={"version": "0.78.0"})
    new = slugs()
    assert new["gpt-5.1-codex-max"][-1] == "xhigh" and new["gpt-5.2-codex"] == ["low", "medium", "high", "xhigh"]
    b.control(codex={"models": [{"slug": "only"}]})
    assert json.loads(b.run("codex", "debug", "models").stdout) == {"models": [{"slug": "only"}]}


def test_gemini(b):
    gh = b.home / "g"
    r = b.run("gemini", "-p", "hi", GEMINI_CLI_HOME=str(gh))
    assert r.returncode == 41 and f"Auth method in your {gh}/.gemini/settings.json" in r.stderr

    p, master = b.tty("gemini", NO_BROWSER="true", GEMINI_CLI_HOME=str(gh))
    code, out, err = finish(p, master)
    assert (code, out, err) == (1, "", "Error: no keychain available; set GEMINI_FORCE_FILE_STORAGE=true\n")

    env = {"NO_BROWSER": "true", "GEMINI_CLI_HOME": str(gh), "GEMINI_FORCE_FILE_STORAGE": "true"}
    p, master = b.tty("gemini", **env)
    read_until(p, r"^https://accounts\.google\.com/o/oauth2/v2/auth\?")
    code, out, _ = finish(p, master, "4/0AbCdEfGhIjK")
    assert code == 0 and out.endswith("Enter the authorization code: \nAuthentication succeeded.\n")
    assert json.loads((gh / ".gemini" / "settings.json").read_text())["security"]["auth"]["selectedType"] == \
        "oauth-personal"
    assert stat.S_IMODE((gh / ".gemini" / "oauth_creds.json").stat().st_mode) == 0o600

    sys_settings = b.home / "system.json"
    sys_settings.write_text(json.dumps({"model": {"thinking": 512}}))
    r = b.run("gemini", "-m", "gemini-2.5-pro", "-p", "question", stdin="context", GEMINI_CLI_HOME=str(gh),
              GEMINI_CLI_SYSTEM_SETTINGS_PATH=str(sys_settings))
    assert r.stdout == 'fake gemini (gemini-2.5-pro, thinking {"model": {"thinking": 512}}): context\n\nquestion\n'
    assert b.calls()[-1]["systemSettings"] == {"model": {"thinking": 512}}
    assert b.run("gemini", stdin="just stdin", GEMINI_CLI_HOME=str(gh)).stdout == \
        "fake gemini (default, thinking default): just stdin\n"

    b.control(gemini={"run": {"fail": "rate_limit"}})
    r = b.run("gemini", "-p", "x", GEMINI_CLI_HOME=str(gh))
    assert r.returncode == 1 and r.stderr.endswith("[API Error: 429 Resource has been exhausted (e.g. check quota).]\n")


def test_opencode(b):
    r = b.run("opencode", "auth", "list")
    assert (r.returncode, r.stdout) == (0, "┌  Credentials ~/.local/share/opencode/auth.json\n│\n└  0 credentials\n")
    assert b.run("opencode", "run", "hi").stderr.startswith("Error: No credentials found for provider anthropic.")

    xdg = b.home / "xdg"
    p, master = b.tty("opencode", "auth", "login", XDG_DATA_HOME=str(xdg))
    read_until(p, r"^└$")
    os.write(master, b"\n")
    _, m = read_until(p, r"&state=([\w-]{43})$")
    code, out, _ = finish(p, master, f"abc#{m.group(1)}")
    assert (code, out) == (0, "│\n◆  Paste the authorization code here: \n└  Login successful\n")
    assert stat.S_IMODE((xdg / "opencode" / "auth.json").stat().st_mode) == 0o600
    r = b.run("opencode", "auth", "list", XDG_DATA_HOME=str(xdg))
    assert r.stdout == "┌  Credentials ~/xdg/opencode/auth.json\n│\n●  Anthropic oauth\n│\n└  1 credentials\n"

    assert b.run("opencode", "models").stdout.split() == [
        "anthropic/claude-sonnet-4-5", "openai/gpt-5.1-codex", "opencode/big-pickle"]
    verbose = b.run("opencode", "models", "--verbose").stdout
    blocks = re.split(r"^(\S+/\S+)\n", verbose, flags=re.M)[1:]
    models = {blocks[i]: json.loads(blocks[i + 1]) for i in range(0, len(blocks), 2)}
    assert list(models["anthropic/claude-sonnet-4-5"]["variants"]) == ["high", "max"]
    assert models["openai/gpt-5.1-codex"]["variants"]["low"] == {"reasoningEffort": "low"}
    assert models["opencode/big-pickle"]["variants"] == {}

    r = b.run("opencode", "run", "--model", "anthropic/claude-sonnet-4-5", "--variant", "high", "two", "words",
              XDG_DATA_HOME=str(xdg))
    assert r.stdout == "fake opencode (anthropic/claude-sonnet-4-5, variant high): two words\n"
    b.control(opencode={"run": {"fail": "rate_limit"}})
    r = b.run("opencode", "run", "x", XDG_DATA_HOME=str(xdg))
    assert (r.returncode, r.stderr) == (1, "Error: AI_APICallError: Rate limit exceeded (429)\n")
