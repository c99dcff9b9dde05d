import COpenSSL
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// A throwaway CA and a certificate for `localhost`/127.0.0.1 (and `rebind.test`, `bücher.test` for the DNS-pinning
/// tests, whose resolver the test controls) signed by it, made once per test process with
/// the `openssl` command. Only tests trust this CA (`--outbound-ca-file`).
public enum TestCA {
    public struct Files: Sendable {
        public let directory: String
        public var caCertificate: String { directory + "/ca.pem" }
        public var serverCertificate: String { directory + "/server.pem" }
        public var serverKey: String { directory + "/server.key" }
        /// An RSA key for test service accounts (PKCS#8 PEM).
        public var serviceAccountKey: String { directory + "/sa.key" }
    }

    public static let files: Files = {
        let dir = NSTemporaryDirectory() + "sb-test-ca-\(UUID().uuidString.prefix(8))"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let script = """
            set -e; cd '\(dir)'
            openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj '/CN=Switchboard Test CA' \
                -addext 'basicConstraints=critical,CA:TRUE' -addext 'keyUsage=critical,keyCertSign,cRLSign' 2>/dev/null
            openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj '/CN=localhost' 2>/dev/null
            printf 'subjectAltName=DNS:localhost,DNS:rebind.test,DNS:xn--bcher-kva.test,IP:127.0.0.1\\nbasicConstraints=CA:FALSE\\nextendedKeyUsage=serverAuth\\n' > ext.cnf
            openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile ext.cnf 2>/dev/null
            openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out sa.key 2>/dev/null
            """
        let result = try? shell(script)
        precondition(result?.status == 0, "openssl could not make the test CA: \(result?.output ?? "")")
        return Files(directory: dir)
    }()
}

/// A local HTTPS server that speaks each provider family's wire format, for the connection-test suites.
/// Each family lives under its own path prefix (`/openai/v1`, `/anthropic`, `/gemini`, `/openrouter/api/v1`,
/// `/azure`, `/bedrock`, `/google/token` + `/vertex`, `/ollama`). The credential chooses the scenario: a key
/// containing `bad`, `forbidden`, `ratelimit`, `billing`, `missing`, `slow`, `malformed`, `redirect` or
/// `huge` gets that answer, with the family's real error body; anything else succeeds. It records every
/// request and checks what it receives: the key in the family's header (never in the URL), a valid SigV4
/// signature, a valid RS256 JWT.
public final class ProviderEmulator: @unchecked Sendable {
    // @unchecked Sendable: the channel is set once in init; `log` is behind a lock.
    public struct Received: Sendable {
        public var method: String
        public var uri: String
        public var headers: [(String, String)]
        public var body: String
        public func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
    }

    /// The secret the emulator knows for an AWS access key id (`AKIAEMULATOR…`; any other id is unknown).
    /// The id also names the scenario: `…THROTTLE`, `…DENIED…`, `…NOTFOUND`, `…SLOW…`, `…MALFORMED`, ….
    public static func awsSecret(for keyID: String) -> String? {
        keyID.hasPrefix("AKIAEMULATOR") ? "emulatorSecret/" + keyID : nil
    }

    public let port: Int
    private let channel: any Channel
    private let log = NIOLockedValueBox<[Received]>([])
    /// Delay of the `slow` scenario.
    public let slowDelay: TimeAmount

    public var baseURL: String { "https://localhost:\(port)" }
    public var received: [Received] { log.withLockedValue { $0 } }

    public init(slowDelay: TimeAmount = .seconds(3)) throws {
        self.slowDelay = slowDelay
        let files = TestCA.files
        let tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(files.serverCertificate).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: files.serverKey, format: .pem)))
        let context = try NIOSSLContext(configuration: tls)
        let log = self.log
        let delay = slowDelay
        channel = try ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(EmulatorHandler(log: log, slowDelay: delay))
                }
            }
            .bind(host: "127.0.0.1", port: 0).wait()
        port = channel.localAddress?.port ?? 0
    }

    public func stop() { try? channel.close().wait() }
    deinit { stop() }
}

/// One response: status, headers, body, and how long to wait before sending it.
struct EmulatedResponse {
    var status: HTTPResponseStatus
    var headers: [(String, String)] = [("Content-Type", "application/json")]
    var body: [UInt8]
    var delayed = false

    static func json(_ status: HTTPResponseStatus, _ text: String, headers: [(String, String)] = []) -> EmulatedResponse {
        EmulatedResponse(status: status, headers: [("Content-Type", "application/json")] + headers, body: Array(text.utf8))
    }
}

final class EmulatorHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let log: NIOLockedValueBox<[ProviderEmulator.Received]>
    let slowDelay: TimeAmount
    var head: HTTPRequestHead?
    var body: [UInt8] = []

    init(log: NIOLockedValueBox<[ProviderEmulator.Received]>, slowDelay: TimeAmount) {
        self.log = log
        self.slowDelay = slowDelay
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h): head = h; body = []
        case .body(var b): body += b.readBytes(length: b.readableBytes) ?? []
        case .end:
            guard let head else { return }
            let received = ProviderEmulator.Received(method: head.method.rawValue, uri: head.uri,
                                                     headers: head.headers.map { ($0.name, $0.value) },
                                                     body: String(decoding: body, as: UTF8.self))
            log.withLockedValue { $0.append(received) }
            let response = Emulation.respond(received)
            let send = { [self] in
                var headers = HTTPHeaders(response.headers)
                headers.add(name: "Content-Length", value: String(response.body.count))
                headers.add(name: "Connection", value: "close")
                context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: response.status, headers: headers))), promise: nil)
                context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: response.body)))), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
            }
            if response.delayed {
                // On the channel's own loop: the closure and the context never leave it.
                context.eventLoop.assumeIsolated().scheduleTask(in: slowDelay) { send() }
            } else {
                send()
            }
        }
    }
}

/// The families' behaviour.
enum Emulation {
    static func respond(_ r: ProviderEmulator.Received) -> EmulatedResponse {
        let path = String(r.uri.split(separator: "?", maxSplits: 1).first ?? "")
        if path.hasPrefix("/openai/") { return openAI(r, path) }
        if path.hasPrefix("/anthropic/") { return anthropic(r) }
        if path.hasPrefix("/gemini/") { return gemini(r) }
        if path.hasPrefix("/openrouter/") { return openRouter(r, path) }
        if path.hasPrefix("/azure/") { return azure(r, path) }
        if path.hasPrefix("/bedrock/") { return bedrock(r, path) }
        if path == "/google/token" { return googleToken(r) }
        if path.hasPrefix("/vertex/") { return vertex(r) }
        if path.hasPrefix("/ollama/") { return .json(.ok, #"{"models":[{"name":"llama3.2:3b"},{"name":"qwen3:8b"}]}"#) }
        return .json(.notFound, #"{"error":"no such emulated path"}"#)
    }

    /// The shared scenarios, by a marker in the credential.
    static func common(_ credential: String) -> EmulatedResponse? {
        if credential.contains("slow") { var r = EmulatedResponse.json(.ok, #"{"data":[]}"#); r.delayed = true; return r }
        if credential.contains("malformed") { return EmulatedResponse(status: .ok, headers: [("Content-Type", "text/html")], body: Array("<html>maintenance</html>".utf8)) }
        if credential.contains("redirect") { return EmulatedResponse(status: .found, headers: [("Location", "http://169.254.169.254/latest/meta-data/")], body: []) }
        if credential.contains("huge") { return EmulatedResponse(status: .ok, body: Array(repeating: 0x20, count: 9 << 20)) }
        if credential.contains("broken") { return .json(.serviceUnavailable, #"{"error":{"message":"upstream connect error","type":"server_error"}}"#) }
        return nil
    }

    static func bearer(_ r: ProviderEmulator.Received) -> String? {
        guard let auth = r.header("Authorization"), auth.hasPrefix("Bearer ") else { return nil }
        return String(auth.dropFirst(7))
    }

    static func openAI(_ r: ProviderEmulator.Received, _ path: String) -> EmulatedResponse {
        guard let key = bearer(r) else {
            return .json(.unauthorized, #"{"error":{"message":"You didn't provide an API key.","type":"invalid_request_error","param":null,"code":null}}"#)
        }
        if let c = common(key) { return c }
        if key.contains("bad") {
            return .json(.unauthorized, #"{"error":{"message":"Incorrect API key provided: \#(key.prefix(6))***\#(key.suffix(4)). You can find your API key at https://platform.openai.com/account/api-keys.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}"#)
        }
        if key.contains("forbidden") { return .json(.forbidden, #"{"error":{"message":"Country, region, or territory not supported","type":"request_forbidden","param":null,"code":"unsupported_country_region_territory"}}"#) }
        if key.contains("ratelimit") {
            return .json(.tooManyRequests, #"{"error":{"message":"Rate limit reached for requests","type":"requests","param":null,"code":"rate_limit_exceeded"}}"#,
                         headers: [("x-ratelimit-limit-requests", "500"), ("x-ratelimit-remaining-requests", "0"), ("x-ratelimit-reset-requests", "1m30s"), ("retry-after", "90")])
        }
        if key.contains("billing") { return .json(.tooManyRequests, #"{"error":{"message":"You exceeded your current quota, please check your plan and billing details.","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}"#) }
        if key.contains("missing") { return .json(.notFound, #"{"error":{"message":"Invalid URL (GET /v1/models)","type":"invalid_request_error","param":null,"code":null}}"#) }
        return .json(.ok, #"{"object":"list","data":[{"id":"gpt-4.1","object":"model","owned_by":"system"},{"id":"gpt-4.1-mini","object":"model","owned_by":"system"},{"id":"ft:gpt-4.1:acme::x1","object":"model","owned_by":"acme"}]}"#,
                     headers: [("x-ratelimit-limit-requests", "5000"), ("x-ratelimit-remaining-requests", "4999"), ("x-ratelimit-reset-requests", "12ms"),
                               ("x-ratelimit-limit-tokens", "800000"), ("x-ratelimit-remaining-tokens", "799990")])
    }

    static func anthropicError(_ status: HTTPResponseStatus, _ type: String, _ message: String) -> EmulatedResponse {
        .json(status, #"{"type":"error","error":{"type":"\#(type)","message":"\#(message)"},"request_id":"req_emulated"}"#)
    }

    static func anthropic(_ r: ProviderEmulator.Received) -> EmulatedResponse {
        guard let key = r.header("x-api-key") else { return anthropicError(.unauthorized, "authentication_error", "x-api-key header is required") }
        guard r.header("anthropic-version") != nil else { return anthropicError(.badRequest, "invalid_request_error", "anthropic-version header is required") }
        if let c = common(key) { return c }
        if key.contains("bad") { return anthropicError(.unauthorized, "authentication_error", "invalid x-api-key") }
        if key.contains("forbidden") { return anthropicError(.forbidden, "permission_error", "Your API key does not have permission to use the specified resource.") }
        if key.contains("ratelimit") {
            var e = anthropicError(.tooManyRequests, "rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit")
            e.headers += [("anthropic-ratelimit-requests-limit", "50"), ("anthropic-ratelimit-requests-remaining", "0"),
                          ("anthropic-ratelimit-requests-reset", "2026-11-22T20:00:00Z"), ("retry-after", "30")]
            return e
        }
        if key.contains("billing") { return anthropicError(.badRequest, "invalid_request_error", "Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.") }
        if key.contains("missing") { return anthropicError(.notFound, "not_found_error", "Not found") }
        var ok = EmulatedResponse.json(.ok, #"{"data":[{"type":"model","id":"claude-sonnet-4-5-20250929","display_name":"Claude Sonnet 4.5","created_at":"2025-09-29T00:00:00Z"},{"type":"model","id":"claude-haiku-4-5-20251001","display_name":"Claude Haiku 4.5","created_at":"2025-10-01T00:00:00Z"}],"has_more":false,"first_id":"claude-sonnet-4-5-20250929","last_id":"claude-haiku-4-5-20251001"}"#)
        ok.headers += [("anthropic-ratelimit-requests-limit", "4000"), ("anthropic-ratelimit-requests-remaining", "3999"),
                       ("anthropic-ratelimit-requests-reset", "2026-11-22T20:00:00Z")]
        return ok
    }

    static func googleError(_ code: Int, _ status: String, _ reason: String?, _ message: String) -> EmulatedResponse {
        let details = reason.map { #","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"\#($0)","domain":"googleapis.com","metadata":{"service":"generativelanguage.googleapis.com"}}]"# } ?? ""
        return .json(HTTPResponseStatus(statusCode: code), #"{"error":{"code":\#(code),"message":"\#(message)","status":"\#(status)"\#(details)}}"#)
    }

    static func gemini(_ r: ProviderEmulator.Received) -> EmulatedResponse {
        guard let key = r.header("x-goog-api-key") else { return googleError(403, "PERMISSION_DENIED", "CREDENTIALS_MISSING", "Method doesn't allow unregistered callers.") }
        if let c = common(key) { return c }
        if key.contains("bad") { return googleError(400, "INVALID_ARGUMENT", "API_KEY_INVALID", "API key not valid. Please pass a valid API key.") }
        if key.contains("forbidden") { return googleError(403, "PERMISSION_DENIED", "SERVICE_DISABLED", "Generative Language API has not been used in project 1 before or it is disabled.") }
        if key.contains("ratelimit") { return googleError(429, "RESOURCE_EXHAUSTED", "RATE_LIMIT_EXCEEDED", "Quota exceeded for quota metric.") }
        if key.contains("billing") { return googleError(403, "PERMISSION_DENIED", "BILLING_DISABLED", "This API method requires billing to be enabled.") }
        if key.contains("missing") { return googleError(404, "NOT_FOUND", nil, "Requested entity was not found.") }
        return .json(.ok, #"{"models":[{"name":"models/gemini-2.5-pro","displayName":"Gemini 2.5 Pro","inputTokenLimit":1048576,"outputTokenLimit":65536},{"name":"models/gemini-2.5-flash","displayName":"Gemini 2.5 Flash","inputTokenLimit":1048576}]}"#)
    }

    static func openRouter(_ r: ProviderEmulator.Received, _ path: String) -> EmulatedResponse {
        guard let key = bearer(r) else { return .json(.unauthorized, #"{"error":{"message":"No auth credentials found","code":401}}"#) }
        if let c = common(key) { return c }
        if key.contains("bad") { return .json(.unauthorized, #"{"error":{"message":"User not found.","code":401}}"#) }
        if key.contains("billing") && path.hasSuffix("/key") {
            return .json(.ok, #"{"data":{"label":"sk-or-v1-abc...xyz","limit":5,"usage":5.01,"limit_remaining":0,"is_free_tier":false,"rate_limit":{"requests":10,"interval":"10s"}}}"#)
        }
        if key.contains("ratelimit") { return .json(.tooManyRequests, #"{"error":{"message":"Rate limit exceeded","code":429}}"#) }
        if key.contains("forbidden") { return .json(.forbidden, #"{"error":{"message":"Key is disabled","code":403}}"#) }
        if key.contains("missing") { return .json(.notFound, #"{"error":{"message":"Not Found","code":404}}"#) }
        if path.hasSuffix("/key") {
            return .json(.ok, #"{"data":{"label":"sk-or-v1-abc...xyz","limit":20,"usage":1.25,"limit_remaining":18.75,"is_free_tier":false,"rate_limit":{"requests":100,"interval":"10s"}}}"#)
        }
        return .json(.ok, #"{"data":[{"id":"anthropic/claude-sonnet-4.5","name":"Anthropic: Claude Sonnet 4.5","context_length":1000000},{"id":"openai/gpt-4.1","name":"OpenAI: GPT-4.1","context_length":1047576}]}"#)
    }

    static func azure(_ r: ProviderEmulator.Received, _ path: String) -> EmulatedResponse {
        guard let key = r.header("api-key") else { return .json(.unauthorized, #"{"error":{"code":"401","message":"Access denied due to missing subscription key."}}"#) }
        guard r.uri.contains("api-version=") else { return .json(.notFound, #"{"error":{"code":"404","message":"Resource not found"}}"#) }
        if let c = common(key) { return c }
        if key.contains("bad") { return .json(.unauthorized, #"{"error":{"code":"401","message":"Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource."}}"#) }
        if key.contains("ratelimit") { return .json(.tooManyRequests, #"{"error":{"code":"429","message":"Requests to the ChatCompletions_Create Operation have exceeded call rate limit."}}"#, headers: [("retry-after", "7")]) }
        if key.contains("forbidden") { return .json(.forbidden, #"{"error":{"code":"PermissionDenied","message":"Principal does not have access to API/Operation."}}"#) }
        if key.contains("billing") { return .json(.tooManyRequests, #"{"error":{"code":"insufficient_quota","message":"The subscription has run out of quota."}}"#) }
        if path.hasSuffix("/openai/models") {
            return .json(.ok, #"{"data":[{"id":"gpt-4o","object":"model","status":"succeeded"},{"id":"gpt-4.1","object":"model","status":"succeeded"}],"object":"list"}"#)
        }
        if path.contains("/openai/deployments/") {
            let deployment = path.components(separatedBy: "/openai/deployments/")[1].split(separator: "/").first.map(String.init) ?? ""
            guard deployment == "gpt4o-prod" else {
                return .json(.notFound, #"{"error":{"code":"DeploymentNotFound","message":"The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again."}}"#)
            }
            return .json(.ok, #"{"id":"chatcmpl-1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"p"},"finish_reason":"length"}],"usage":{"prompt_tokens":8,"completion_tokens":1,"total_tokens":9}}"#)
        }
        return .json(.notFound, #"{"error":{"code":"404","message":"Resource not found"}}"#)
    }

    static func bedrockError(_ status: HTTPResponseStatus, _ type: String, _ message: String) -> EmulatedResponse {
        .json(status, #"{"message":"\#(message)"}"#, headers: [("x-amzn-ErrorType", "\(type):http://internal.amazon.com/coral/com.amazon.coral.service/")])
    }

    /// Checks the SigV4 signature by recomputing it with the secret it knows for the access key id.
    static func bedrock(_ r: ProviderEmulator.Received, _ path: String) -> EmulatedResponse {
        guard let auth = r.header("Authorization"), auth.hasPrefix("AWS4-HMAC-SHA256 Credential="),
              let date = r.header("X-Amz-Date"), let host = r.header("Host") else {
            return bedrockError(.forbidden, "MissingAuthenticationTokenException", "Missing Authentication Token")
        }
        let credential = auth.dropFirst("AWS4-HMAC-SHA256 Credential=".count).split(separator: ",")[0]
        let scope = credential.split(separator: "/")
        guard scope.count == 5, let secret = ProviderEmulator.awsSecret(for: String(scope[0])) else {
            return bedrockError(.forbidden, "UnrecognizedClientException", "The security token included in the request is invalid.")
        }
        let signed = auth.components(separatedBy: "SignedHeaders=")[1].split(separator: ",")[0].split(separator: ";").map(String.init)
        let headers = signed.compactMap { name in r.header(name).map { (name, $0) } }.filter { $0.0 != "host" && $0.0 != "x-amz-date" && $0.0 != "x-amz-security-token" }
        let expected = EmulatorSigV4.authorization(method: r.method, host: host, path: path, headers: headers,
                                                   date: date, accessKeyID: String(scope[0]), secret: secret,
                                                   sessionToken: r.header("X-Amz-Security-Token"), region: String(scope[2]), service: String(scope[3]))
        guard expected == auth else {
            return bedrockError(.forbidden, "InvalidSignatureException", "The request signature we calculated does not match the signature you provided.")
        }
        let scenario = scope[0].lowercased()
        if let c = common(scenario) { return c }
        if scenario.contains("throttle") { return bedrockError(.tooManyRequests, "ThrottlingException", "Too many requests, please wait before trying again.") }
        if scenario.contains("denied") { return bedrockError(.forbidden, "AccessDeniedException", "User is not authorized to perform: bedrock:ListFoundationModels") }
        if scenario.contains("notfound") { return bedrockError(.notFound, "ResourceNotFoundException", "Could not resolve the foundation model list in this region.") }
        return .json(.ok, #"{"modelSummaries":[{"modelId":"anthropic.claude-sonnet-4-5-20250929-v1:0","modelName":"Claude Sonnet 4.5","providerName":"Anthropic"},{"modelId":"amazon.nova-pro-v1:0","modelName":"Nova Pro","providerName":"Amazon"}]}"#)
    }

    /// Google's token endpoint for the JWT bearer grant: the assertion's RS256 signature is verified with the
    /// public half of the test service account's key.
    static func googleToken(_ r: ProviderEmulator.Received) -> EmulatedResponse {
        let form = Dictionary(r.body.split(separator: "&").map { pair -> (String, String) in
            let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
            return (kv[0], kv.count > 1 ? (kv[1].removingPercentEncoding ?? kv[1]) : "")
        }, uniquingKeysWith: { a, _ in a })
        guard form["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer", let jwt = form["assertion"] else {
            return .json(.badRequest, #"{"error":"unsupported_grant_type","error_description":"Invalid grant_type"}"#)
        }
        let parts = jwt.split(separator: ".").map(String.init)
        guard parts.count == 3, let claims = base64URL(parts[1]).flatMap({ try? JSONSerialization.jsonObject(with: Data($0)) as? [String: Any] }) else {
            return .json(.badRequest, #"{"error":"invalid_grant","error_description":"Invalid JWT."}"#)
        }
        guard let signature = base64URL(parts[2]), RS256Verifier.verify(keyFile: TestCA.files.serviceAccountKey, data: Array((parts[0] + "." + parts[1]).utf8), signature: signature) else {
            return .json(.badRequest, #"{"error":"invalid_grant","error_description":"Invalid JWT Signature."}"#)
        }
        let email = claims["iss"] as? String ?? ""
        if let c = common(email) { return c }
        if email.contains("disabled") { return .json(.badRequest, #"{"error":"invalid_grant","error_description":"Invalid grant: account not found"}"#) }
        return .json(.ok, #"{"access_token":"ya29.emulated-\#(email.prefix(8))","expires_in":3599,"token_type":"Bearer"}"#)
    }

    static func vertex(_ r: ProviderEmulator.Received) -> EmulatedResponse {
        guard let token = bearer(r), token.hasPrefix("ya29.emulated-") else {
            return googleError(401, "UNAUTHENTICATED", "ACCESS_TOKEN_TYPE_UNSUPPORTED", "Request had invalid authentication credentials.")
        }
        if token.contains("forbid") { return googleError(403, "PERMISSION_DENIED", "IAM_PERMISSION_DENIED", "Permission 'aiplatform.models.list' denied.") }
        if token.contains("ratelim") { return googleError(429, "RESOURCE_EXHAUSTED", "RATE_LIMIT_EXCEEDED", "Quota exceeded for aiplatform.googleapis.com.") }
        if token.contains("billing") { return googleError(403, "PERMISSION_DENIED", "BILLING_DISABLED", "This API method requires billing to be enabled.") }
        if token.contains("missing") { return googleError(404, "NOT_FOUND", nil, "Publisher model list was not found.") }
        return .json(.ok, #"{"publisherModels":[{"name":"publishers/google/models/gemini-2.5-pro","versionId":"001"},{"name":"publishers/google/models/gemini-2.5-flash","versionId":"001"}]}"#)
    }

    static func base64URL(_ s: String) -> [UInt8]? {
        var t = s.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while t.count % 4 != 0 { t += "=" }
        return Data(base64Encoded: t).map(Array.init)
    }
}

/// The emulator's own SigV4 computation, written apart from the app's signer so the two cannot share a bug
/// (both are pinned by AWS's published vectors in the unit tests).
enum EmulatorSigV4 {
    static func hmac(_ key: [UInt8], _ data: String) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var length = 0
        let d = Array(data.utf8)
        _ = key.withUnsafeBytes { k in d.withUnsafeBytes { db in out.withUnsafeMutableBytes { o in
            EVP_Q_mac(nil, "HMAC", nil, "SHA256", nil, k.baseAddress, k.count, db.baseAddress, db.count, o.baseAddress!.assumingMemoryBound(to: UInt8.self), 32, &length)
        } } }
        return out
    }

    static func sha256Hex(_ data: [UInt8]) -> String {
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        _ = data.withUnsafeBytes { EVP_Digest($0.baseAddress, $0.count, &out, &length, EVP_sha256(), nil) }
        return out.map { String(format: "%02x", $0) }.joined()
    }

    static func authorization(method: String, host: String, path: String, headers: [(String, String)], date: String,
                              accessKeyID: String, secret: String, sessionToken: String?, region: String, service: String) -> String {
        var all = headers.map { ($0.0.lowercased(), $0.1) } + [("host", host), ("x-amz-date", date)]
        if let sessionToken { all.append(("x-amz-security-token", sessionToken)) }
        all.sort { $0.0 < $1.0 }
        let signedHeaders = all.map(\.0).joined(separator: ";")
        let canonical = "\(method)\n\(path)\n\n" + all.map { "\($0.0):\($0.1)\n" }.joined() + "\n\(signedHeaders)\n" + sha256Hex([])
        let day = String(date.prefix(8))
        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let toSign = "AWS4-HMAC-SHA256\n\(date)\n\(scope)\n" + sha256Hex(Array(canonical.utf8))
        var key = hmac(Array("AWS4\(secret)".utf8), day)
        for part in [region, service, "aws4_request"] { key = hmac(key, part) }
        let signature = hmac(key, toSign).map { String(format: "%02x", $0) }.joined()
        return "AWS4-HMAC-SHA256 Credential=\(accessKeyID)/\(scope), SignedHeaders=\(signedHeaders), Signature=\(signature)"
    }
}

/// Verifies an RS256 signature with the public half of a PEM private key.
enum RS256Verifier {
    static func verify(keyFile: String, data: [UInt8], signature: [UInt8]) -> Bool {
        guard let bio = BIO_new_file(keyFile, "r") else { return false }
        defer { BIO_free(bio) }
        guard let key = PEM_read_bio_PrivateKey(bio, nil, nil, nil) else { return false }
        defer { EVP_PKEY_free(key) }
        guard let ctx = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(ctx) }
        guard EVP_DigestVerifyInit_ex(ctx, nil, "SHA256", nil, nil, key, nil) == 1 else { return false }
        return data.withUnsafeBytes { d in signature.withUnsafeBytes { s in
            EVP_DigestVerify(ctx, s.baseAddress?.assumingMemoryBound(to: UInt8.self), s.count, d.baseAddress?.assumingMemoryBound(to: UInt8.self), d.count)
        } } == 1
    }
}
