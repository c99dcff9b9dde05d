@testable import API
@testable import Accounts
@testable import App
@testable import Auth
@testable import Catalog
import Foundation
import HTTPTypes
import Logging
import LocalTools
@testable import Outbound
@testable import Storage
import Telemetry
import TestSupport
@testable import Vault

/// A fresh application on a temp-file database, with one admin token.
struct TestApp {
    let app: Application
    let token: String
    let tokenID: String
    let directory: URL

    /// Outbound calls trust the test CA and may reach localhost (the provider emulator).
    static let testOutbound = OutboundClient(policy: OutboundPolicy(privateHosts: ["localhost"], extraCAFile: TestCA.files.caCertificate))

    init(throttle: SignInThrottle = SignInThrottle(), outbound: OutboundClient = TestApp.testOutbound,
         renewal: TokenRenewer.Schedule = TokenRenewer.Schedule(),
         clock: @escaping @Sendable () -> Date = { Date() }, routeRefresh: Duration = .milliseconds(250),
         telemetry: Telemetry = Telemetry(), tools: LocalToolService.Options = LocalToolService.Options(searchPath: "/usr/bin:/bin")) throws {
        directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("sbk-\(UUID().uuidString)")
        let state = try StateDirectory(path: directory.path)
        let database = try AppDatabase.open(stateDirectory: state)
        let minted = try AdminTokens(database: database).createInitialIfNone()!
        token = minted.secret
        tokenID = minted.record.id
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let vault = Vault(stateDirectory: directory)
        _ = try vault.prepare()
        app = Application(database: database, logger: logger, throttle: throttle,
                          catalog: CatalogStore(custom: directory.appendingPathComponent("catalog"), environment: [:]), vault: vault,
                          outbound: outbound, renewal: renewal, routeRefresh: routeRefresh, clock: clock, telemetry: telemetry, tools: tools)
    }

    /// A second application on `other`'s state directory and database file (its own connection pool): another
    /// process, as far as anything that shares state through the store can tell.
    init(sharing other: TestApp, clock: @escaping @Sendable () -> Date = { Date() }) throws {
        directory = other.directory
        token = other.token
        tokenID = other.tokenID
        let database = try AppDatabase.open(stateDirectory: StateDirectory(path: directory.path))
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        app = Application(database: database, logger: logger,
                          catalog: CatalogStore(custom: directory.appendingPathComponent("catalog"), environment: [:]),
                          vault: Vault(stateDirectory: directory), outbound: TestApp.testOutbound, routeRefresh: .seconds(3600), clock: clock)
    }

    var database: AppDatabase { app.database }

    func send(_ method: HTTPRequest.Method, _ path: String, headers: HTTPFields = [:], body: String? = nil,
              client: String = "127.0.0.1") async -> Response {
        // `path?query` splits as the web server does (DOCUMENT_URI and QUERY_STRING).
        let parts = path.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        return await app.respond(to: Request(method: method, path: String(parts[0]), query: parts.count > 1 ? String(parts[1]) : "",
                                             headers: headers, body: Array((body ?? "").utf8), clientAddress: client))
    }

    func bearer(_ method: HTTPRequest.Method, _ path: String, headers: HTTPFields = [:], body: String? = nil) async -> Response {
        var headers = headers
        headers[.authorization] = "Bearer \(token)"
        return await send(method, path, headers: headers, body: body)
    }

    /// Signs in and returns the cookie header value (`sb_session=...`).
    func signIn() async throws -> String {
        let response = await send(.post, "/api/session", headers: [.contentType: "application/json"],
                                  body: #"{"token":"\#(token)"}"#)
        guard response.status == .created, let setCookie = response.headers[.setCookie] else {
            throw TestFailure("sign-in failed: \(response.status) \(response.text)")
        }
        return String(setCookie.split(separator: ";")[0])
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

extension Response {
    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:]
    }
    /// The problem's stable slug (`urn:switchboard:problem:<slug>`).
    var problemSlug: String? {
        (json["type"] as? String).map { $0.replacingOccurrences(of: Problem.typePrefix, with: "") }
    }
}
