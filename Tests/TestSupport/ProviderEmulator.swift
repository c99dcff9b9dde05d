import Foundation

/// A local HTTPS server that speaks each provider family's wire format, for the connection-test suites: the provider
/// fake of `Tests/fakes` (families.py) in a process of its own, serving the test CA's certificate.
///
/// Each family lives under its own path prefix (`/openai/v1`, `/anthropic`, `/gemini`, `/openrouter/api/v1`,
/// `/azure`, `/bedrock`, `/google/token` + `/vertex`, `/ollama`). The credential chooses the scenario: a key
/// containing `bad`, `forbidden`, `ratelimit`, `billing`, `missing`, `slow`, `malformed`, `redirect` or
/// `huge` gets that answer, with the family's real error body; anything else succeeds. It records every
/// request and checks what it receives: the key in the family's header (never in the URL), a valid SigV4
/// signature, a valid RS256 JWT.
public final class ProviderEmulator: Sendable {
    public struct Received: Sendable {
        public var method: String
        public var uri: String
        public var headers: [(String, String)]
        public var body: String
        public func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
    }

    /// The secret the emulator knows for an AWS access key id (`AKIAEMULATOR…`; any other id is unknown).
    /// The id also names the scenario: `…THROTTLE`, `…DENIED…`, `…NOTFOUND`, `…SLOW…`, `…MALFORMED`, ….
    /// The fake's own rule (`aws_secret` in families.py), which it checks signatures with.
    public static func awsSecret(for keyID: String) -> String? {
        keyID.hasPrefix("AKIAEMULATOR") ? "emulatorSecret/" + keyID : nil
    }

    public let port: Int
    /// Delay of the `slow` scenario.
    public let slowDelay: Duration
    private let process: FakeProcess

    public var baseURL: String { "https://localhost:\(port)" }

    /// Every request so far, oldest first.
    public var received: [Received] {
        (process.call("GET", "/received")["received"] as? [[String: Any]] ?? []).map { r in
            Received(method: r["method"] as? String ?? "", uri: r["uri"] as? String ?? "",
                     headers: (r["headers"] as? [[String]] ?? []).map { ($0[0], $0[1]) }, body: r["body"] as? String ?? "")
        }
    }

    public init(slowDelay: Duration = .seconds(3)) throws {
        self.slowDelay = slowDelay
        let files = TestCA.files
        let seconds = Double(slowDelay.components.seconds) + Double(slowDelay.components.attoseconds) / 1e18
        process = try FakeProcess("provider", arguments: [
            "--cert", files.serverCertificate, "--key", files.serverKey,
            "--service-account-key", files.serviceAccountKey, "--slow-delay", String(seconds),
        ])
        port = process.port
    }

    public func stop() { process.stop() }
    deinit { stop() }
}
