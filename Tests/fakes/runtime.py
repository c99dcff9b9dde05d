"""A small agent runtime, for the routing tests through nginx: it loops route → call the provider emulator with the
credential it was handed → report the outcome with the emulator's response headers, as a real runtime would.

    python3 Tests/fakes/runtime.py --api http://127.0.0.1:PORT --token sbk_… --ca ca.pem --count 10 \
        [--model anthropic/claude-sonnet-4-5] [--agent coder] [--session s-1] [--runtime pi] [--no-report]

Prints one JSON line per call: {"status": <route status>, "account": …, "outcome": …, "httpStatus": …,
"pinned": …, "fallbackFrom": …, "problem": <the 503's body when routing refused>}. Standard library only.
"""

import argparse
import json
import ssl
import subprocess
import sys
import urllib.error
import urllib.request

# What a provider's answer means for routing, the way a runtime would read it.
def outcome_of(status, body):
    if 200 <= status < 300:
        return "ok"
    text = body.decode("utf-8", "replace").lower()
    if status == 429:
        return "quota_exhausted" if "insufficient_quota" in text or "quota" in text and "exceeded your current quota" in text else "rate_limit"
    if status == 401:
        return "auth"
    if status == 402 or "credit balance" in text or "billing" in text:
        return "billing"
    if status == 403:
        return "auth"
    if status in (408, 504):
        return "timeout"
    if status == 529:
        return "overloaded"
    if status >= 500:
        return "server_error"
    if "context" in text and "too long" in text:
        return "context_overflow"
    return "bad_request"


def api(base, token, method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method,
                                     headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def call_provider(decision, context):
    """The model call itself: Anthropic's Messages API, OpenAI's chat completions, with the handed-out headers."""
    credential = decision.get("credential") or {}
    headers = dict(credential.get("headers") or {})
    headers["Content-Type"] = "application/json"
    base = decision["baseUrl"].rstrip("/")
    if decision["family"] == "anthropic":
        url = base + "/v1/messages"
        body = {"model": decision["model"], "max_tokens": decision["params"].get("maxTokens", 256),
                "messages": [{"role": "user", "content": "hi"}]}
    else:
        url = base + "/chat/completions"
        body = {"model": decision["model"], "messages": [{"role": "user", "content": "hi"}]}
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30, context=context) as response:
            return response.status, dict(response.headers.items()), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers.items()), error.read()
    except (urllib.error.URLError, TimeoutError):
        return None, {}, b""


def run_cli(decision):
    """A CLI account: run the command exactly as routing gave it (argv, environment, the prompt on stdin or in argv)
    and read the outcome from the CLI's exit status and what it printed."""
    command = decision["command"]
    argv = list(command["argv"])
    stdin = None
    if command.get("stdinPrompt"):
        stdin = b"say hi"
    else:
        argv[command["promptIndex"]] = "say hi"
    try:
        done = subprocess.run(argv, env=command["env"], input=stdin, capture_output=True, timeout=30)
    except subprocess.TimeoutExpired:
        return None, "timeout", ""
    text = (done.stdout + done.stderr).decode(errors="replace")
    if done.returncode == 0:
        return 200, "ok", text
    lowered = text.lower()
    if "429" in text or "rate limit" in lowered:
        return 429, "rate_limit", text
    if "usage limit" in lowered:
        return 429, "quota_exhausted", text
    if "401" in text or "not logged in" in lowered or "authentication" in lowered or "/login" in lowered:
        return 401, "auth", text
    return 500, "server_error", text


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--api", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--ca", required=True)
    parser.add_argument("--count", type=int, default=1)
    parser.add_argument("--model")
    parser.add_argument("--agent")
    parser.add_argument("--session")
    parser.add_argument("--runtime")
    parser.add_argument("--selection")
    parser.add_argument("--no-report", action="store_true")
    args = parser.parse_args()
    context = ssl.create_default_context(cafile=args.ca)

    for _ in range(args.count):
        ask = {"withCredential": True}
        for name in ("model", "agent", "session", "runtime", "selection"):
            if getattr(args, name):
                ask[name] = getattr(args, name)
        status, decision = api(args.api, args.token, "POST", "/api/route", ask)
        if status != 200:
            print(json.dumps({"status": status, "problem": decision}), flush=True)
            continue
        if decision["family"] == "cli":
            http_status, outcome, _ = run_cli(decision)
            headers = {}
        else:
            http_status, headers, body = call_provider(decision, context)
            outcome = "network" if http_status is None else outcome_of(http_status, body)
        line = {"status": status, "account": decision["account"], "outcome": outcome, "httpStatus": http_status,
                "pinned": decision.get("pinned"), "fallbackFrom": decision.get("fallbackFrom"), "model": decision["model"]}
        if not args.no_report:
            report = {"decisionId": decision["decisionId"], "outcome": outcome, "headers": headers}
            if http_status is not None:
                report["httpStatus"] = http_status
            reported, answer = api(args.api, args.token, "POST", "/api/route/outcome", report)
            line["reported"] = reported
            line["block"] = answer.get("block")
        print(json.dumps(line), flush=True)


if __name__ == "__main__":
    sys.exit(main())
