import Accounts
import ArgumentParser
import Core
import Cryptography
import Foundation
import Outbound
#if canImport(Glibc)
import Glibc
#endif

struct AuthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "auth", abstract: "Connect a provider account from this machine.", subcommands: [Pair.self])
}

/// `switchboard auth pair`: run on a machine with a browser. Takes the pairing code the settings page shows,
/// signs in to the provider here (OAuth with a loopback redirect, PKCE and state) or reads an API key without
/// echo, and uploads the result to the server, which stores it in its vault.
struct Pair: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Pair with a Switchboard server: sign in here, the credential lands in the server's vault.")

    @Option(help: "The server's address, as the settings page shows it (https://switchboard.example.com).")
    var server: String

    @Option(help: "The provider to connect (as in the command the page shows).")
    var provider: String

    @Option(help: "The pairing code from the settings page (asked for when left out).")
    var code: String?

    @Option(help: "Account name on the server (informational; the page's pairing decides).")
    var account: String?

    @Option(help: "oauth, api-key, or auto (OAuth when the server offers it for the provider).")
    var method: String = "auto"

    @Option(help: "A JSON file with the credential to upload as is (AWS, Azure, a service-account key…).")
    var credentialFile: String?

    @Option(help: "A CA certificate (PEM) to trust besides the system's, for the server and the provider.")
    var caFile: String?

    @Flag(help: "Print the sign-in address instead of opening a browser.")
    var noBrowser = false

    @Option(help: "Seconds to wait for the browser to come back after sign-in.")
    var timeout: Int = 300

    /// Synchronous on purpose: the root command stays a plain `ParsableCommand`, so `serve` keeps blocking its
    /// termination signals before any thread (Swift's cooperative pool included) exists. This command alone
    /// waits for its async work here.
    func run() throws {
        let outcome = Locked<(any Error)??>(nil)
        let done = DispatchSemaphore(value: 0)
        Task {
            do { try await runAsync(); outcome.withLock { $0 = .some(nil) } } catch { outcome.withLock { $0 = .some(error) } }
            done.signal()
        }
        done.wait()
        if let error = outcome.withLock({ $0 }) ?? nil { throw error }
    }

    func runAsync() async throws {
        try await pair(PairingHTTP(caFile: caFile))
    }

    func pair(_ http: PairingHTTP) async throws {
        let pairing = PairingCLI(http: http, server: server.hasSuffix("/") ? String(server.dropLast()) : server)
        do {
            let code = try self.code ?? Terminal.prompt("Pairing code (from the settings page): ", echo: true)
            let offer = try await pairing.check(code: code, provider: provider)
            let credential: JSONValue
            if let file = credentialFile {
                guard let data = FileManager.default.contents(atPath: file), let value = JSONValue.parse(Array(data)) else {
                    throw Fatal("\(file) is not a readable JSON file")
                }
                credential = value
            } else if method != "api-key", let oauth = offer["oauth"], oauth != .null {
                credential = try await LoopbackSignIn(http: http, client: oauth, openBrowser: !noBrowser, timeout: timeout).run()
            } else if method == "oauth" {
                throw Fatal("\(offer["providerName"]?.stringValue ?? provider) offers no OAuth sign-in here; use --method api-key")
            } else {
                let kinds = offer["credentialKinds"]?.arrayValue?.compactMap(\.stringValue) ?? []
                guard kinds.contains("api_key") else {
                    throw Fatal("\(offer["providerName"]?.stringValue ?? provider) takes \(kinds.joined(separator: " or ")); pass it with --credential-file")
                }
                let key = try Terminal.prompt("API key for \(offer["providerName"]?.stringValue ?? provider) (not shown): ", echo: false)
                guard !key.isEmpty else { throw Fatal("no API key was entered") }
                credential = .object(["kind": .string("api_key"), "apiKey": .string(key)])
            }
            let done = try await pairing.complete(code: code, provider: offer["provider"]?.stringValue ?? provider, credential: credential)
            let account = done["account"]?.stringValue ?? "?"
            print("Connected \(account): \(done["status"]?.stringValue ?? "stored") — \(done["statusDetail"]?.stringValue ?? "")")
        } catch let fatal as Fatal {
            FileHandle.standardError.write(Data("switchboard auth pair: \(fatal.description)\n".utf8))
            throw ExitCode(1)
        }
    }

}

/// This command's HTTP: the same libcurl transfers as the server's outbound calls (https verified against the
/// system's CAs and `--ca-file`, no redirects, no proxy, capped size and time), without the server's address
/// rules: it talks to the operator's own server and to the provider's token endpoint from the operator's machine.
struct PairingHTTP {
    let caFile: String?

    func post(_ url: String, headers: [(String, String)], body: [UInt8], timeout: Duration) async -> Result<OutboundResponse, OutboundFailure> {
        let components = URLComponents(string: url)
        let host = components.flatMap { OutboundPolicy.canonicalHost($0) } ?? url
        // Plain http only to the operator's own server (--server http://…) or a token endpoint on this machine.
        let plain = components?.scheme?.lowercased() == "http"
        let rules = TransferRules(allowPlainHTTP: plain, extraCAFile: caFile, maxResponseBytes: 1 << 20)
        return await CurlMulti.shared.perform(OutboundRequest(.POST, url, headers: headers, body: body, timeout: timeout),
                                              url: url, host: host, rules: rules)
    }
}

/// The server's two pairing endpoints, with every failure as a sentence for the operator.
struct PairingCLI {
    let http: PairingHTTP
    let server: String

    func check(code: String, provider: String) async throws -> JSONValue {
        try await post("/api/pairing/check", .object(["code": .string(code), "provider": .string(provider)]))
    }

    func complete(code: String, provider: String, credential: JSONValue) async throws -> JSONValue {
        try await post("/api/pairing/complete", .object(["code": .string(code), "provider": .string(provider), "credential": credential]))
    }

    func post(_ path: String, _ body: JSONValue) async throws -> JSONValue {
        let host = URLComponents(string: server)?.host ?? server
        guard let scheme = URLComponents(string: server)?.scheme, ["http", "https"].contains(scheme) else {
            throw Fatal("--server must be the server's http(s):// address, e.g. https://switchboard.example.com")
        }
        let status: Int
        let answer: JSONValue?
        switch await http.post(server + path, headers: [("Content-Type", "application/json")], body: Array(body.serialized.utf8), timeout: .seconds(60)) {
        case .success(let response):
            status = response.status
            answer = response.json
        case .failure(.tls):
            throw Fatal("TLS error talking to \(host): its certificate is not trusted or does not match the name. If the server uses your own CA, pass --ca-file.")
        case .failure(.timeout):
            throw Fatal("The server at \(server) did not answer in time.")
        case .failure(.invalidURL):
            throw Fatal("--server must be the server's http(s):// address, e.g. https://switchboard.example.com")
        case .failure(let failure) where failure.category == .badResponse:
            throw Fatal(failure.summary) // a redirect (the address is not the one the page shows) or too large an answer
        case .failure(.unavailable(let reason)):
            throw Fatal("Cannot make HTTP calls here: \(reason)")
        case .failure:
            throw Fatal("Cannot reach the server at \(server) (connection refused or no route). Check --server and that Switchboard is running.")
        }
        guard (200..<300).contains(status), let answer else {
            let detail = answer?["detail"]?.stringValue ?? "HTTP \(status)"
            switch status {
            case 410: throw Fatal("The pairing code has expired — request a new code on the settings page.")
            case 409: throw Fatal("Wrong provider: \(detail)")
            case 429: throw Fatal("Too many wrong codes from this machine. \(detail)")
            case 400 where answer?["type"]?.stringValue?.hasSuffix("pairing-code-invalid") == true:
                throw Fatal("The pairing code is not valid: check it, or request a new code on the settings page.")
            case 404: throw Fatal("\(server) has no pairing endpoint: is it a Switchboard server (and the address as the page shows it)?")
            default:
                let fields = answer?["errors"]?.arrayValue?.compactMap { e in e["pointer"]?.stringValue.map { "\($0) \(e["message"]?.stringValue ?? "")" } } ?? []
                throw Fatal("The server refused the request: \(detail)\(fields.isEmpty ? "" : " (" + fields.joined(separator: "; ") + ")")")
            }
        }
        return answer
    }
}

/// OAuth authorization code + PKCE with a loopback redirect (RFC 8252 §7.3), run on this machine.
struct LoopbackSignIn {
    let http: PairingHTTP
    let client: JSONValue
    let openBrowser: Bool
    let timeout: Int

    func run() async throws -> JSONValue {
        guard let authorize = client["authorizeUrl"]?.stringValue, let tokenURL = client["tokenUrl"]?.stringValue,
              let clientID = client["clientId"]?.stringValue else { throw Fatal("the server sent an incomplete OAuth client") }
        let scopes = client["scopes"]?.arrayValue?.compactMap(\.stringValue) ?? []
        // A registered loopback URI (a CLI client's fixed port) or any port on 127.0.0.1.
        let registered = client["redirectUri"]?.stringValue.flatMap { URLComponents(string: $0) }
        let listener = try LoopbackListener(host: "127.0.0.1", port: registered?.port ?? 0)
        defer { listener.close() }
        let path = registered.map { $0.path.isEmpty ? "/" : $0.path } ?? "/callback"
        let redirect = "http://\(registered?.host ?? "127.0.0.1"):\(listener.port)\(path)"
        let state = Base64URL.encode(SecureRandom.bytes(32))
        let verifier = PKCE.verifier()
        var url = URLComponents(string: authorize) ?? URLComponents()
        url.percentEncodedQuery = [url.percentEncodedQuery, FormURLEncoding.encode([
            ("response_type", "code"), ("client_id", clientID), ("redirect_uri", redirect), ("scope", scopes.joined(separator: " ")),
            ("state", state), ("code_challenge", PKCE.challenge(for: verifier)), ("code_challenge_method", "S256"),
        ])].compactMap { $0 }.joined(separator: "&")
        let address = url.string ?? authorize
        FileHandle.standardError.write(Data("Open this address in a browser to sign in:\n\n  \(address)\n\nWaiting for the browser to come back to \(redirect) …\n".utf8))
        if openBrowser, ProcessInfo.processInfo.environment["DISPLAY"] != nil || ProcessInfo.processInfo.environment["WAYLAND_DISPLAY"] != nil {
            _ = try? Process.run(URL(fileURLWithPath: "/usr/bin/xdg-open"), arguments: [address])
        }

        // Wait for the redirect; requests for other paths (a favicon) are answered 404 and ignored.
        var query: [String: String] = [:]
        let deadline = Date().addingTimeInterval(TimeInterval(timeout))
        while true {
            guard let request = try listener.next(until: deadline) else {
                throw Fatal("The browser did not come back within \(timeout) s. Run the command again (the pairing code stays valid for 10 minutes).")
            }
            guard request.path == path else { request.respond(404, "Not found"); continue }
            query = request.query
            if let error = query["error"] {
                request.respond(200, "Sign-in declined (\(error)). You can close this tab.")
                throw Fatal("The sign-in was declined at the provider (\(error)).")
            }
            guard let returned = query["state"], Digest.constantTimeEqual(Array(returned.utf8), Array(state.utf8)) else {
                request.respond(400, "This answer does not belong to this sign-in (state mismatch). Close it and start again.")
                throw Fatal("The browser came back with another sign-in's state (several tabs, or an old page); run the command again.")
            }
            if let iss = query["iss"], let expected = client["issuer"]?.stringValue, iss != expected {
                request.respond(400, "The answer names another authorization server; it was not used.")
                throw Fatal("The answer claims to come from \(iss), not \(expected); it was not used.")
            }
            request.respond(200, "Signed in. You can close this tab and return to the terminal.")
            break
        }
        guard let code = query["code"] else { throw Fatal("The provider sent no authorization code.") }

        // The server's own token-endpoint code, sending through this command's HTTP client.
        let host = URLComponents(string: tokenURL)?.host ?? tokenURL
        let endpoint = TokenEndpoint(tokenURL: tokenURL, clientID: clientID) { [http] url, headers, body in
            await http.post(url, headers: headers, body: body, timeout: .seconds(30)).map { ($0.status, $0.body) }
        }
        switch await endpoint.exchange(code: code, redirectURI: redirect, verifier: verifier) {
        case .success(let tokens):
            let kind = OAuthClientKind(rawValue: client["clientKind"]?.stringValue ?? "") ?? .operatorApp
            let credential = tokens.credential(kind: kind, requested: scopes)
            return .object(credential.fields.merging(["kind": .string(credential.kind.rawValue)]) { _, kind in kind })
        case .failure(.outbound(let failure)):
            throw Fatal("The token request to \(host) failed: \(failure.summary)")
        case .failure(.oauth(let error, _)):
            throw Fatal("\(host) refused the code (\(error)). Run the command again.")
        case .failure:
            throw Fatal("\(host) sent no access token.")
        }
    }
}

/// A one-request-at-a-time HTTP listener on a loopback address, for the redirect back from the browser.
/// Blocking sockets on purpose: it serves one person's browser for a few requests.
final class LoopbackListener {
    let fd: Int32
    let port: Int

    struct Incoming {
        let fd: Int32
        let path: String
        let query: [String: String]

        func respond(_ status: Int, _ text: String) {
            let body = "<!doctype html><meta charset=utf-8><title>Switchboard</title><p>\(text)</p>"
            let head = "HTTP/1.1 \(status) \(status == 200 ? "OK" : "Error")\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: \(body.utf8.count)\r\nReferrer-Policy: no-referrer\r\nConnection: close\r\n\r\n"
            let bytes = Array((head + body).utf8)
            _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            Glibc.close(fd)
        }
    }

    init(host: String, port: Int) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, host, &address.sin_addr)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0, listen(fd, 8) == 0 else {
            Glibc.close(fd)
            throw Fatal("Cannot listen on \(host):\(port) for the browser's return (\(String(cString: strerror(errno)))); is another sign-in running?")
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        self.fd = fd
        self.port = Int(UInt16(bigEndian: actual.sin_port))
    }

    func close() { Glibc.close(fd) }

    /// The next request's path and query, or nil at the deadline.
    func next(until deadline: Date) throws -> Incoming? {
        while true {
            let remaining = deadline.timeIntervalSinceNow
            if remaining <= 0 { return nil }
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if poll(&poller, 1, Int32(min(remaining, 1) * 1000)) <= 0 { continue }
            let client = accept(fd, nil, nil)
            if client < 0 { continue }
            var timeout = timeval(tv_sec: 5, tv_usec: 0)
            setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            var data: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while data.count < 16384 {
                let n = recv(client, &buffer, buffer.count, 0)
                if n <= 0 { break }
                data += buffer[0..<n]
                if String(decoding: data, as: UTF8.self).contains("\r\n\r\n") { break }   // the whole head is in
            }
            let line = String(decoding: data, as: UTF8.self).split(separator: "\r\n").first ?? ""
            let parts = line.split(separator: " ")
            guard parts.count >= 2, parts[0] == "GET", let url = URLComponents(string: String(parts[1])) else {
                Incoming(fd: client, path: "", query: [:]).respond(400, "Bad request")
                continue
            }
            var query: [String: String] = [:]
            for item in url.queryItems ?? [] { if let v = item.value { query[item.name] = v } }
            return Incoming(fd: client, path: url.path, query: query)
        }
    }
}

/// Reads a line from the terminal (without echo for secrets) or, when standard input is not a terminal, from it.
enum Terminal {
    static func prompt(_ text: String, echo: Bool) throws -> String {
        FileHandle.standardError.write(Data(text.utf8))
        var saved = termios()
        let tty = isatty(STDIN_FILENO) == 1
        if tty && !echo {
            tcgetattr(STDIN_FILENO, &saved)
            var quiet = saved
            quiet.c_lflag &= ~tcflag_t(ECHO)
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet)
        }
        defer {
            if tty && !echo {
                tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved)
                FileHandle.standardError.write(Data("\n".utf8))
            }
        }
        guard let line = readLine(strippingNewline: true) else { throw Fatal("no input (standard input is closed)") }
        return line.trimmingCharacters(in: .whitespaces)
    }
}
