"""Each provider family's wire format, for the provider fake (provider.py): its paths, its auth header, its answers
and its real error bodies.

Each family lives under its own path prefix (`/openai/v1`, `/anthropic`, `/gemini`, `/openrouter/api/v1`, `/azure`,
`/bedrock`, `/google/token` + `/vertex`, `/ollama`). The credential chooses the scenario: a key containing `bad`,
`forbidden`, `ratelimit`, `billing`, `missing`, `slow`, `malformed`, `redirect`, `huge` or `broken` gets that
answer; anything else succeeds. What it receives is checked: the key in the family's header (never in the URL), a
valid SigV4 signature (recomputed here, apart from the app's signer, so the two cannot share a bug; both are pinned
by AWS's published vectors in the unit tests), a JWT whose RS256 signature verifies with the test service
account's public key (checked by the openssl command).
"""

import base64
import datetime
import hashlib
import hmac
import json
import secrets
import subprocess
import tempfile
import time
import urllib.parse
from dataclasses import dataclass, field

@dataclass
class Answer:
    """One response: status, headers (pairs), body, and whether it waits the slow scenario's delay first."""
    status: int
    body: bytes = b""
    headers: list = field(default_factory=lambda: [("Content-Type", "application/json")])
    delayed: bool = False


def json_answer(status, body, headers=()):
    return Answer(status, json.dumps(body).encode(), [("Content-Type", "application/json"), *headers])


def aws_secret(key_id):
    """The secret the fake knows for an AWS access key id (`AKIAEMULATOR…`; any other id is unknown). The id also
    names the scenario: `…THROTTLE`, `…DENIED…`, `…NOTFOUND`, `…SLOW…`, `…MALFORMED`, …"""
    return "emulatorSecret/" + key_id if key_id.startswith("AKIAEMULATOR") else None


def respond(request, service_account_key):
    """The family's answer to `request` (a provider.Seen) by its path prefix."""
    path = request.path.split("?", 1)[0]
    if path.startswith("/openai/"):
        return openai(request)
    if path.startswith("/anthropic/"):
        return anthropic(request)
    if path.startswith("/gemini/"):
        return gemini(request)
    if path.startswith("/openrouter/"):
        return openrouter(request, path)
    if path.startswith("/azure/"):
        return azure(request, path)
    if path.startswith("/bedrock/"):
        return bedrock(request, path)
    if path == "/google/token":
        return google_token(request, service_account_key)
    if path.startswith("/vertex/"):
        return vertex(request)
    if path.startswith("/ollama/"):
        return json_answer(200, {"models": [{"name": "llama3.2:3b"}, {"name": "qwen3:8b"}]})
    return json_answer(404, {"error": "no such emulated path"})


def common(credential):
    """The scenarios every family shares, by a marker in the credential."""
    if "slow" in credential:
        return Answer(200, b'{"data":[]}', delayed=True)
    if "malformed" in credential:
        return Answer(200, b"<html>maintenance</html>", [("Content-Type", "text/html")])
    if "redirect" in credential:
        return Answer(302, headers=[("Location", "http://169.254.169.254/latest/meta-data/")])
    if "huge" in credential:
        return Answer(200, b" " * (9 << 20))  # past the app's 8 MiB cap
    if "broken" in credential:
        return json_answer(503, {"error": {"message": "upstream connect error", "type": "server_error"}})
    return None


def bearer(request):
    auth = request.header("Authorization") or ""
    return auth[len("Bearer "):] if auth.startswith("Bearer ") else None


# MARK: OpenAI and the OpenAI-compatible providers


def openai_error(status, message, type_, code, headers=()):
    return json_answer(status, {"error": {"message": message, "type": type_, "param": None, "code": code}}, headers)


def openai(request):
    key = bearer(request)
    if key is None:
        return openai_error(401, "You didn't provide an API key.", "invalid_request_error", None)
    if answer := common(key):
        return answer
    if "bad" in key:
        return openai_error(401, f"Incorrect API key provided: {key[:6]}***{key[-4:]}. You can find your API key at "
                                 "https://platform.openai.com/account/api-keys.", "invalid_request_error", "invalid_api_key")
    if "forbidden" in key:
        return openai_error(403, "Country, region, or territory not supported", "request_forbidden",
                            "unsupported_country_region_territory")
    if "ratelimit" in key:
        return openai_error(429, "Rate limit reached for requests", "requests", "rate_limit_exceeded", [
            ("x-ratelimit-limit-requests", "500"), ("x-ratelimit-remaining-requests", "0"),
            ("x-ratelimit-reset-requests", "1m30s"), ("retry-after", "90")])
    if "billing" in key:
        return openai_error(429, "You exceeded your current quota, please check your plan and billing details.",
                            "insufficient_quota", "insufficient_quota")
    if "missing" in key:
        return openai_error(404, "Invalid URL (GET /v1/models)", "invalid_request_error", None)
    return json_answer(200, {"object": "list", "data": [
        {"id": "gpt-4.1", "object": "model", "owned_by": "system"},
        {"id": "gpt-4.1-mini", "object": "model", "owned_by": "system"},
        {"id": "ft:gpt-4.1:acme::x1", "object": "model", "owned_by": "acme"},
    ]}, [("x-ratelimit-limit-requests", "5000"), ("x-ratelimit-remaining-requests", "4999"),
         ("x-ratelimit-reset-requests", "12ms"), ("x-ratelimit-limit-tokens", "800000"),
         ("x-ratelimit-remaining-tokens", "799990")])


# MARK: Anthropic


def anthropic_error(status, type_, message, headers=()):
    return json_answer(status, {"type": "error", "error": {"type": type_, "message": message}, "request_id": "req_emulated"},
                       headers)


def anthropic(request):
    key = request.header("x-api-key")
    if key is None:
        return anthropic_error(401, "authentication_error", "x-api-key header is required")
    if request.header("anthropic-version") is None:
        return anthropic_error(400, "invalid_request_error", "anthropic-version header is required")
    if answer := common(key):
        return answer
    if "bad" in key:
        return anthropic_error(401, "authentication_error", "invalid x-api-key")
    if "forbidden" in key:
        return anthropic_error(403, "permission_error", "Your API key does not have permission to use the specified resource.")
    if "ratelimit" in key:
        return anthropic_error(429, "rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit", [
            ("anthropic-ratelimit-requests-limit", "50"), ("anthropic-ratelimit-requests-remaining", "0"),
            ("anthropic-ratelimit-requests-reset", "2026-11-22T20:00:00Z"), ("retry-after", "30")])
    if "billing" in key:
        return anthropic_error(400, "invalid_request_error", "Your credit balance is too low to access the Anthropic API. "
                                                             "Please go to Plans & Billing to upgrade or purchase credits.")
    if "missing" in key:
        return anthropic_error(404, "not_found_error", "Not found")
    if request.method == "POST" and request.path.split("?", 1)[0].endswith("/v1/messages"):
        return anthropic_message(request, key)
    return json_answer(200, {
        "data": [
            {"type": "model", "id": "claude-sonnet-4-5-20250929", "display_name": "Claude Sonnet 4.5",
             "created_at": "2025-09-29T00:00:00Z"},
            {"type": "model", "id": "claude-haiku-4-5-20251001", "display_name": "Claude Haiku 4.5",
             "created_at": "2025-10-01T00:00:00Z"},
        ],
        "has_more": False, "first_id": "claude-sonnet-4-5-20250929", "last_id": "claude-haiku-4-5-20251001",
    }, [("anthropic-ratelimit-requests-limit", "4000"), ("anthropic-ratelimit-requests-remaining", "3999"),
        ("anthropic-ratelimit-requests-reset", "2026-11-22T20:00:00Z")])


def anthropic_message(request, key):
    """`POST /v1/messages`: a short reply with the per-minute rate-limit headers. A key with `nearlyout` has 1 % of
    its token window left, resetting fifteen seconds from now (long enough for a loaded machine to look at it)."""
    try:
        model = json.loads(request.body or "{}").get("model", "claude")
    except ValueError:
        return anthropic_error(400, "invalid_request_error", "the body is not JSON")
    remaining, reset = "79000", time.time() + 60
    if "nearlyout" in key:
        remaining, reset = "1000", time.time() + 15
    stamp = datetime.datetime.fromtimestamp(reset, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return json_answer(200, {
        "id": "msg_emulated", "type": "message", "role": "assistant", "model": model,
        "content": [{"type": "text", "text": "Hello."}], "stop_reason": "end_turn",
        "usage": {"input_tokens": 8, "output_tokens": 3},
    }, [("anthropic-ratelimit-tokens-limit", "100000"), ("anthropic-ratelimit-tokens-remaining", remaining),
        ("anthropic-ratelimit-tokens-reset", stamp), ("anthropic-ratelimit-requests-limit", "4000"),
        ("anthropic-ratelimit-requests-remaining", "3999"), ("anthropic-ratelimit-requests-reset", stamp)])


# MARK: Google: Gemini, the token endpoint, Vertex AI


def google_error(code, status, reason, message):
    error = {"code": code, "message": message, "status": status}
    if reason:
        error["details"] = [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": reason, "domain": "googleapis.com",
                             "metadata": {"service": "generativelanguage.googleapis.com"}}]
    return json_answer(code, {"error": error})


def gemini(request):
    key = request.header("x-goog-api-key")
    if key is None:
        return google_error(403, "PERMISSION_DENIED", "CREDENTIALS_MISSING", "Method doesn't allow unregistered callers.")
    if answer := common(key):
        return answer
    if "bad" in key:
        return google_error(400, "INVALID_ARGUMENT", "API_KEY_INVALID", "API key not valid. Please pass a valid API key.")
    if "forbidden" in key:
        return google_error(403, "PERMISSION_DENIED", "SERVICE_DISABLED",
                            "Generative Language API has not been used in project 1 before or it is disabled.")
    if "ratelimit" in key:
        return google_error(429, "RESOURCE_EXHAUSTED", "RATE_LIMIT_EXCEEDED", "Quota exceeded for quota metric.")
    if "billing" in key:
        return google_error(403, "PERMISSION_DENIED", "BILLING_DISABLED", "This API method requires billing to be enabled.")
    if "missing" in key:
        return google_error(404, "NOT_FOUND", None, "Requested entity was not found.")
    return json_answer(200, {"models": [
        {"name": "models/gemini-2.5-pro", "displayName": "Gemini 2.5 Pro", "inputTokenLimit": 1048576, "outputTokenLimit": 65536},
        {"name": "models/gemini-2.5-flash", "displayName": "Gemini 2.5 Flash", "inputTokenLimit": 1048576},
    ]})


def base64url(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def rs256_verifies(key_file, data, signature):
    """True when `signature` is data's RS256 signature by the key in `key_file`: `openssl dgst -prverify` checks it
    with the key's public half."""
    with tempfile.NamedTemporaryFile(prefix="switchboard-fake-jwt-") as sig:
        sig.write(signature)
        sig.flush()
        checked = subprocess.run(["openssl", "dgst", "-sha256", "-prverify", str(key_file), "-signature", sig.name],
                                 input=data, capture_output=True, timeout=30)
        return checked.returncode == 0


def google_token(request, service_account_key):
    """Google's token endpoint for the JWT bearer grant: the assertion's RS256 signature must verify with the public
    half of the test service account's key."""
    form = {}
    for name, value in urllib.parse.parse_qsl(request.body, keep_blank_values=True):
        form.setdefault(name, value)
    jwt = form.get("assertion")
    if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" or jwt is None:
        return json_answer(400, {"error": "unsupported_grant_type", "error_description": "Invalid grant_type"})
    parts = jwt.split(".")
    try:
        claims = json.loads(base64url(parts[1])) if len(parts) == 3 else None
    except ValueError:
        claims = None
    if not isinstance(claims, dict):
        return json_answer(400, {"error": "invalid_grant", "error_description": "Invalid JWT."})
    try:
        signature = base64url(parts[2])
    except ValueError:
        signature = None
    if signature is None or not rs256_verifies(service_account_key, f"{parts[0]}.{parts[1]}".encode(), signature):
        return json_answer(400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."})
    email = claims.get("iss") if isinstance(claims.get("iss"), str) else ""
    if answer := common(email):
        return answer
    if "disabled" in email:
        return json_answer(400, {"error": "invalid_grant", "error_description": "Invalid grant: account not found"})
    # Each token is new (as Google's are), so a test can tell a minted token from a reused one.
    return json_answer(200, {"access_token": f"ya29.emulated-{email[:8]}-{secrets.token_hex(8)}", "expires_in": 3599,
                             "token_type": "Bearer"})


def vertex(request):
    token = bearer(request)
    if token is None or not token.startswith("ya29.emulated-"):
        return google_error(401, "UNAUTHENTICATED", "ACCESS_TOKEN_TYPE_UNSUPPORTED", "Request had invalid authentication credentials.")
    if "forbid" in token:
        return google_error(403, "PERMISSION_DENIED", "IAM_PERMISSION_DENIED", "Permission 'aiplatform.models.list' denied.")
    if "ratelim" in token:
        return google_error(429, "RESOURCE_EXHAUSTED", "RATE_LIMIT_EXCEEDED", "Quota exceeded for aiplatform.googleapis.com.")
    if "billing" in token:
        return google_error(403, "PERMISSION_DENIED", "BILLING_DISABLED", "This API method requires billing to be enabled.")
    if "missing" in token:
        return google_error(404, "NOT_FOUND", None, "Publisher model list was not found.")
    return json_answer(200, {"publisherModels": [
        {"name": "publishers/google/models/gemini-2.5-pro", "versionId": "001"},
        {"name": "publishers/google/models/gemini-2.5-flash", "versionId": "001"},
    ]})


# MARK: OpenRouter and Azure OpenAI


def openrouter(request, path):
    key = bearer(request)
    if key is None:
        return json_answer(401, {"error": {"message": "No auth credentials found", "code": 401}})
    if answer := common(key):
        return answer
    if "bad" in key:
        return json_answer(401, {"error": {"message": "User not found.", "code": 401}})
    if "billing" in key and path.endswith("/key"):
        return json_answer(200, {"data": {"label": "sk-or-v1-abc...xyz", "limit": 5, "usage": 5.01, "limit_remaining": 0,
                                          "is_free_tier": False, "rate_limit": {"requests": 10, "interval": "10s"}}})
    if "ratelimit" in key:
        return json_answer(429, {"error": {"message": "Rate limit exceeded", "code": 429}})
    if "forbidden" in key:
        return json_answer(403, {"error": {"message": "Key is disabled", "code": 403}})
    if "missing" in key:
        return json_answer(404, {"error": {"message": "Not Found", "code": 404}})
    if path.endswith("/key"):
        return json_answer(200, {"data": {"label": "sk-or-v1-abc...xyz", "limit": 20, "usage": 1.25, "limit_remaining": 18.75,
                                          "is_free_tier": False, "rate_limit": {"requests": 100, "interval": "10s"}}})
    return json_answer(200, {"data": [
        {"id": "anthropic/claude-sonnet-4.5", "name": "Anthropic: Claude Sonnet 4.5", "context_length": 1000000},
        {"id": "openai/gpt-4.1", "name": "OpenAI: GPT-4.1", "context_length": 1047576},
    ]})


def azure_error(status, code, message, headers=()):
    return json_answer(status, {"error": {"code": code, "message": message}}, headers)


def azure(request, path):
    key = request.header("api-key")
    if key is None:
        return azure_error(401, "401", "Access denied due to missing subscription key.")
    if "api-version=" not in request.path:
        return azure_error(404, "404", "Resource not found")
    if answer := common(key):
        return answer
    if "bad" in key:
        return azure_error(401, "401", "Access denied due to invalid subscription key or wrong API endpoint. Make sure to "
                                       "provide a valid key for an active subscription and use a correct regional API "
                                       "endpoint for your resource.")
    if "ratelimit" in key:
        return azure_error(429, "429", "Requests to the ChatCompletions_Create Operation have exceeded call rate limit.",
                           [("retry-after", "7")])
    if "forbidden" in key:
        return azure_error(403, "PermissionDenied", "Principal does not have access to API/Operation.")
    if "billing" in key:
        return azure_error(429, "insufficient_quota", "The subscription has run out of quota.")
    if path.endswith("/openai/models"):
        return json_answer(200, {"data": [{"id": "gpt-4o", "object": "model", "status": "succeeded"},
                                          {"id": "gpt-4.1", "object": "model", "status": "succeeded"}], "object": "list"})
    if "/openai/deployments/" in path:
        deployment = path.split("/openai/deployments/", 1)[1].split("/")[0]
        if deployment != "gpt4o-prod":
            return azure_error(404, "DeploymentNotFound", "The API deployment for this resource does not exist. If you created "
                                                          "the deployment within the last 5 minutes, please wait a moment and try again.")
        return json_answer(200, {"id": "chatcmpl-1", "object": "chat.completion",
                                 "choices": [{"index": 0, "message": {"role": "assistant", "content": "p"}, "finish_reason": "length"}],
                                 "usage": {"prompt_tokens": 8, "completion_tokens": 1, "total_tokens": 9}})
    return azure_error(404, "404", "Resource not found")


# MARK: Bedrock


def bedrock_error(status, type_, message):
    return json_answer(status, {"message": message},
                       [("x-amzn-ErrorType", f"{type_}:http://internal.amazon.com/coral/com.amazon.coral.service/")])


def sigv4_authorization(method, host, path, headers, date, key_id, secret, session_token, region, service):
    """The Authorization header SigV4 gives this request (no query, empty body)."""
    signed = [(name.lower(), value) for name, value in headers] + [("host", host), ("x-amz-date", date)]
    if session_token is not None:
        signed.append(("x-amz-security-token", session_token))
    signed.sort(key=lambda pair: pair[0])
    names = ";".join(name for name, _ in signed)
    canonical = (f"{method}\n{path}\n\n" + "".join(f"{name}:{value}\n" for name, value in signed)
                 + f"\n{names}\n" + hashlib.sha256(b"").hexdigest())
    day = date[:8]
    scope = f"{day}/{region}/{service}/aws4_request"
    to_sign = f"AWS4-HMAC-SHA256\n{date}\n{scope}\n" + hashlib.sha256(canonical.encode()).hexdigest()
    key = ("AWS4" + secret).encode()
    for part in (day, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return f"AWS4-HMAC-SHA256 Credential={key_id}/{scope}, SignedHeaders={names}, Signature={signature}"


def bedrock(request, path):
    """Checks the SigV4 signature by recomputing it with the secret it knows for the access key id."""
    auth, date, host = request.header("Authorization"), request.header("X-Amz-Date"), request.header("Host")
    prefix = "AWS4-HMAC-SHA256 Credential="
    if auth is None or not auth.startswith(prefix) or date is None or host is None:
        return bedrock_error(403, "MissingAuthenticationTokenException", "Missing Authentication Token")
    scope = auth[len(prefix):].split(",")[0].split("/")
    secret = aws_secret(scope[0]) if len(scope) == 5 else None
    if secret is None:
        return bedrock_error(403, "UnrecognizedClientException", "The security token included in the request is invalid.")
    names = auth.split("SignedHeaders=")[1].split(",")[0].split(";") if "SignedHeaders=" in auth else []
    headers = [(name, request.header(name)) for name in names
               if request.header(name) is not None and name not in ("host", "x-amz-date", "x-amz-security-token")]
    expected = sigv4_authorization(request.method, host, path, headers, date, scope[0], secret,
                                   request.header("X-Amz-Security-Token"), scope[2], scope[3])
    if expected != auth:
        return bedrock_error(403, "InvalidSignatureException",
                             "The request signature we calculated does not match the signature you provided.")
    scenario = scope[0].lower()
    if answer := common(scenario):
        return answer
    if "throttle" in scenario:
        return bedrock_error(429, "ThrottlingException", "Too many requests, please wait before trying again.")
    if "denied" in scenario:
        return bedrock_error(403, "AccessDeniedException", "User is not authorized to perform: bedrock:ListFoundationModels")
    if "notfound" in scenario:
        return bedrock_error(404, "ResourceNotFoundException", "Could not resolve the foundation model list in this region.")
    return json_answer(200, {"modelSummaries": [
        {"modelId": "anthropic.claude-sonnet-4-5-20250929-v1:0", "modelName": "Claude Sonnet 4.5", "providerName": "Anthropic"},
        {"modelId": "amazon.nova-pro-v1:0", "modelName": "Nova Pro", "providerName": "Amazon"},
    ]})
