@testable import Core
import Foundation
@testable import Outbound
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// What the libcurl transfers themselves promise, beyond the outbound rules (`OutboundSafetyTests`): a cancelled
/// caller's transfer is removed and its connection closed, connections are reused, a body with no declared
/// length is cut at the cap, concurrent calls to one host do not queue, and only the given headers go out.
/// Against a plain-HTTP server on 127.0.0.1 whose every answer the test scripts (the client allows that host
/// plain http and a loopback address, as an operator's `--allow-insecure-host`/`--allow-private-host` would).
@Suite struct CurlTransferTests {
    static let client = OutboundClient(policy: OutboundPolicy(insecureHosts: ["127.0.0.1"], privateHosts: ["127.0.0.1"],
                                                               maxResponseBytes: 1024))

    @Test func twoCallsInARowShareOneConnection() async throws {
        let server = try ScriptedServer { _ in .answer(ScriptedServer.ok("{}")) }
        defer { server.stop() }
        for _ in 0..<3 {
            let response = try await Self.client.send(OutboundRequest(.GET, server.url("/v1/models"))).get()
            #expect(response.status == 200)
        }
        #expect(server.accepted == 1)
    }

    /// Connections are kept per (host, pinned address): when the name moves to another address, the next call
    /// connects there instead of reusing the connection to the old one; back at the old address, it is reused.
    @Test func aConnectionIsReusedOnlyForTheSameHostAndPinnedAddress() async throws {
        let first = try ScriptedServer(address: "127.0.0.1") { _ in .answer(ScriptedServer.ok("{}")) }
        defer { first.stop() }
        let second = try ScriptedServer(address: "127.0.0.2", port: first.port) { _ in .answer(ScriptedServer.ok("{}")) }
        defer { second.stop() }
        let answers = Locked(["127.0.0.1", "127.0.0.2", "127.0.0.1"])
        let client = OutboundClient(policy: OutboundPolicy(insecureHosts: ["moving.test"], privateHosts: ["moving.test"]),
                                    resolver: { _ in [answers.withLock { $0.removeFirst() }] })
        for _ in 0..<3 {
            #expect(try await client.send(OutboundRequest(.GET, "http://moving.test:\(first.port)/v1/models")).get().status == 200)
        }
        #expect(first.requests.count == 2)
        #expect(first.accepted == 1)
        #expect(second.requests.count == 1)
        #expect(second.accepted == 1)
    }

    @Test func cancellingTheCallerRemovesTheTransferAndClosesItsConnection() async throws {
        let server = try ScriptedServer { _ in .hold }
        defer { server.stop() }
        let call = Task { await Self.client.send(OutboundRequest(.GET, server.url("/slow"), timeout: .seconds(60))) }
        #expect(await eventually { server.requests.count == 1 })
        call.cancel()
        let result = await call.value
        #expect(result.failure == .cancelled(host: "127.0.0.1"))
        // The transfer was removed from curl, not just abandoned: the server sees its connection closed.
        #expect(await eventually { server.closedByPeer == 1 })
    }

    @Test func aBodyWithoutADeclaredLengthIsCutAtTheCap() async throws {
        let server = try ScriptedServer { request in
            let chunk = String(repeating: "x", count: 512)
            let body = (0..<8).map { _ in "200\r\n\(chunk)\r\n" }.joined() + "0\r\n\r\n"
            return .answer(Array("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n\(body)".utf8))
        }
        defer { server.stop() }
        #expect(await Self.client.send(OutboundRequest(.GET, server.url("/chunked"))).failure == .tooLarge(host: "127.0.0.1", limit: 1024))
    }

    @Test func aDeclaredLengthOverTheCapIsRefusedBeforeTheBody() async throws {
        let server = try ScriptedServer { _ in .answer(ScriptedServer.ok(String(repeating: "y", count: 4096))) }
        defer { server.stop() }
        #expect(await Self.client.send(OutboundRequest(.GET, server.url("/big"))).failure == .tooLarge(host: "127.0.0.1", limit: 1024))
    }

    /// The server holds every request until 24 are in at once: if curl queued calls per host, they would time out.
    @Test func concurrentCallsToOneHostDoNotQueue() async throws {
        let count = 24
        let server = try ScriptedServer { _ in .answer(ScriptedServer.ok("{}")) }
        server.barrier = count
        defer { server.stop() }
        let statuses = await withTaskGroup(of: Int.self) { group in
            for i in 0..<count {
                group.addTask {
                    (try? await Self.client.send(OutboundRequest(.GET, server.url("/n/\(i)"), timeout: .seconds(30))).get().status) ?? 0
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(statuses == Array(repeating: 200, count: count))
        #expect(server.accepted == count)
    }

    @Test func onlyTheGivenHeadersAndTheUserAgentGoOut() async throws {
        let server = try ScriptedServer { _ in .answer(ScriptedServer.ok("{}")) }
        defer { server.stop() }
        let body = Array(#"{"a":1}"#.utf8)
        _ = try await Self.client.send(OutboundRequest(.POST, server.url("/v1/x"), headers: [("Authorization", "Bearer k"), ("Content-Type", "application/json")],
                                                 body: body)).get()
        let head = try #require(server.requests.first)
        let names = head.split(separator: "\r\n").dropFirst().compactMap { $0.split(separator: ":").first.map { $0.lowercased() } }
        #expect(head.hasPrefix("POST /v1/x HTTP/1.1\r\n"))
        #expect(Set(names) == ["host", "user-agent", "authorization", "content-type", "content-length"])
        #expect(head.contains("\r\nUser-Agent: switchboard/1\r\n"))
        #expect(head.contains("\r\nContent-Length: 7\r\n"))
    }

    @Test func everyMethodSendsItsBody() async throws {
        let server = try ScriptedServer { _ in .answer(ScriptedServer.ok("{}")) }
        defer { server.stop() }
        for method in [OutboundRequest.Method.PUT, .PATCH, .DELETE] {
            _ = try await Self.client.send(OutboundRequest(method, server.url("/m"), body: Array("b".utf8))).get()
        }
        _ = try await Self.client.send(OutboundRequest(.POST, server.url("/empty"))).get()
        let lines = server.requests.map { $0.split(separator: "\r\n").first.map(String.init) ?? "" }
        #expect(lines == ["PUT /m HTTP/1.1", "PATCH /m HTTP/1.1", "DELETE /m HTTP/1.1", "POST /empty HTTP/1.1"])
        #expect(server.requests.allSatisfy { $0.contains("\r\nContent-Length: ") })
    }

    /// The open-socket callback is the last word: when the name curl looks up is not the pinned one (here the pin
    /// names another host, so curl resolves `localhost` itself), no connection is made to what it found.
    @Test func aConnectionToAnAddressOtherThanThePinnedOneIsNeverMade() async throws {
        let server = try ScriptedServer { _ in .answer(ScriptedServer.ok("{}")) }
        defer { server.stop() }
        let rules = TransferRules(allowPlainHTTP: true, pin: .init(host: "elsewhere.test", port: server.port, address: "192.0.2.7"))
        let url = "http://localhost:\(server.port)/v1/models"
        let result = await CurlMulti.shared.perform(OutboundRequest(.GET, url), url: url, host: "localhost", rules: rules)
        guard case .failure(.refusedAddress(let host, let reason)) = result else {
            Issue.record("expected a refused address, got \(result)")
            return
        }
        #expect(host == "localhost")
        #expect(reason.hasSuffix("not the address that was checked"))
        #expect(server.accepted == 0)
    }

    @Test func theAnswersHeadersAreTheFinalOnesAfterAnInterimAnswer() async throws {
        let server = try ScriptedServer { _ in
            .answer(Array("HTTP/1.1 100 Continue\r\nX-Interim: 1\r\n\r\nHTTP/1.1 429 Too Many Requests\r\nRetry-After: 7\r\nContent-Length: 2\r\n\r\n{}".utf8))
        }
        defer { server.stop() }
        let response = try await Self.client.send(OutboundRequest(.GET, server.url("/limited"))).get()
        #expect(response.status == 429)
        #expect(response.header("retry-after") == "7")
        #expect(response.header("X-Interim") == nil)
    }
}

extension Result {
    var failure: Failure? { if case .failure(let f) = self { f } else { nil } }
}

/// A plain HTTP/1.1 server on 127.0.0.1, a thread per connection, keep-alive, whose answers the test scripts.
final class ScriptedServer: @unchecked Sendable {
    enum Script { case answer([UInt8]), hold }

    private let fd: Int32
    let port: Int
    private let script: @Sendable (String) -> Script
    private let state = Locked(State())
    /// Requests are held until this many are in at once (then all are answered).
    var barrier: Int {
        get { state.withLock { $0.barrier } }
        set { state.withLock { $0.barrier = newValue } }
    }

    private struct State {
        var accepted = 0
        var closedByPeer = 0
        var requests: [String] = []
        var barrier = 0
        var waiting = 0
        var stopped = false
    }

    var accepted: Int { state.withLock { $0.accepted } }
    var closedByPeer: Int { state.withLock { $0.closedByPeer } }
    var requests: [String] { state.withLock { $0.requests } }

    func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

    static func ok(_ body: String) -> [UInt8] {
        Array("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)".utf8)
    }

    init(address: String = "127.0.0.1", port wanted: Int = 0, _ script: @escaping @Sendable (String) -> Script) throws {
        self.script = script
        let sock = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        let host = address
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr(host)
        address.sin_port = in_port_t(UInt16(wanted).bigEndian)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(sock, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0, listen(sock, 64) == 0 else { close(sock); throw POSIXError(.EADDRINUSE) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(sock, $0, &length) } }
        fd = sock
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread { [self] in acceptLoop() }.start()
    }

    func stop() {
        state.withLock { $0.stopped = true }
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
    }

    private func acceptLoop() {
        while true {
            let client = accept(fd, nil, nil)
            if client < 0 { return }
            state.withLock { $0.accepted += 1 }
            Thread { [self] in serve(client) }.start()
        }
    }

    private func serve(_ client: Int32) {
        defer { close(client) }
        var pending: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 8192)
        while true {
            // One request: the head, then as many body bytes as Content-Length says.
            var head: String?
            while head == nil {
                if let end = pending.firstRange(of: Array("\r\n\r\n".utf8)) {
                    head = String(decoding: pending[..<end.lowerBound], as: UTF8.self)
                    pending.removeSubrange(..<end.upperBound)
                    break
                }
                let n = recv(client, &buffer, buffer.count, 0)
                if n <= 0 { peerClosed(); return }
                pending += buffer[0..<n]
            }
            guard let head else { return }
            let length = head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
                .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
            while pending.count < length {
                let n = recv(client, &buffer, buffer.count, 0)
                if n <= 0 { peerClosed(); return }
                pending += buffer[0..<n]
            }
            pending.removeFirst(length)
            state.withLock { $0.requests.append(head + "\r\n") }
            waitAtTheBarrier()
            switch script(head) {
            case .hold:
                // Until the peer closes (a removed transfer closes its connection) or the server stops.
                while recv(client, &buffer, buffer.count, 0) > 0 {}
                peerClosed()
                return
            case .answer(let bytes):
                let sent = bytes.withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if sent != bytes.count { return }
            }
        }
    }

    private func peerClosed() {
        state.withLock { if !$0.stopped { $0.closedByPeer += 1 } }
    }

    private func waitAtTheBarrier() {
        state.withLock { $0.waiting += 1 }
        for _ in 0..<1000 {
            let (barrier, waiting) = state.withLock { ($0.barrier, $0.waiting) }
            if waiting >= barrier { return }
            usleep(10_000)
        }
    }
}
