import FastCGI
import Foundation
import Logging
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// A FastCGIServer in this process, on a temp Unix socket, driven by a real FastCGI client.
final class RunningServer: @unchecked Sendable {
    // @unchecked Sendable: `outcome` is written once by the server thread before `done` is signalled.
    let server: FastCGIServer
    let socketPath: String
    let done = DispatchSemaphore(value: 0)
    var outcome: FastCGIServer.Outcome?

    init(maxBodyBytes: Int = 1024, acceptThreads: Int = 2, maxInFlight: Int = 512, handler: @escaping FastCGIServer.Handler) throws {
        let dir = try Paths.temporaryDirectory("fcgi")
        socketPath = dir.appendingPathComponent("s.sock").path
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        server = FastCGIServer(configuration: .init(listen: .unixSocket(path: socketPath, group: nil), acceptThreads: acceptThreads,
                                                    maxInFlight: maxInFlight, maxBodyBytes: maxBodyBytes, shutdownGrace: 1.5),
                               logger: logger, handler: handler)
        Thread.detachNewThread { [self] in
            outcome = try? server.run()
            done.signal()
        }
        for _ in 0..<100 where !FileManager.default.fileExists(atPath: socketPath) { usleep(10_000) }
    }

    var client: FastCGIClient { FastCGIClient(socketPath: socketPath) }

    /// Sends `count` requests at once from real threads; returns how many got their own answer back.
    func sendConcurrently(_ count: Int) -> Int {
        let group = ThreadGroup()
        let answered = Counter()
        for i in 0..<count {
            group.spawn { [client] in
                if fields(try? client.send(params: FastCGIClient.params(method: "GET", uri: "/\(i)")))["REQUEST_URI"] == "/\(i)" {
                    answered.increment()
                }
            }
        }
        group.wait()
        return answered.value
    }

    func stop() -> FastCGIServer.Outcome? {
        server.stop()
        _ = done.wait(timeout: .now() + 5)
        return outcome
    }
}

/// Echoes what the transport delivered: parameters as JSON, and the body's state.
let echo: FastCGIServer.Handler = { request in
    var fields = request.params
    switch request.body {
    case .complete(let bytes): fields["_body"] = "complete:\(bytes.count)"
    case .tooLarge(let declared, let limit): fields["_body"] = "tooLarge:\(declared)>\(limit)"
    case .truncated(let declared, let received): fields["_body"] = "truncated:\(received)/\(declared)"
    case .invalidLength(let raw): fields["_body"] = "invalid:\(raw)"
    }
    let body = try! JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])
    return FastCGIResponse(status: 200, reason: "OK", headers: [("Content-Type", "application/json")], body: Array(body))
}

func fields(_ reply: FastCGIClient.Reply?) -> [String: String] {
    guard let reply else { return [:] }
    return (try? JSONSerialization.jsonObject(with: Data(reply.body.utf8))) as? [String: String] ?? [:]
}

@Suite(.serialized) struct FastCGIServerTests {
    @Test func socketIsCreated0660() throws {
        let s = try RunningServer(handler: echo)
        defer { _ = s.stop() }
        var st = stat()
        #expect(lstat(s.socketPath, &st) == 0)
        #expect(st.st_mode & 0o777 == 0o660)
        #expect(st.st_mode & S_IFMT == S_IFSOCK)
    }

    @Test func paramsComeFromTheRequestsOwnEnvironment() throws {
        let s = try RunningServer(handler: echo)
        defer { _ = s.stop() }
        let a = fields(try s.client.send(params: FastCGIClient.params(method: "GET", uri: "/a", headers: [("X-Which", "first")])))
        let b = fields(try s.client.send(params: FastCGIClient.params(method: "POST", uri: "/b")))
        #expect(a["REQUEST_URI"] == "/a" && a["HTTP_X_WHICH"] == "first")
        #expect(b["REQUEST_URI"] == "/b" && b["HTTP_X_WHICH"] == nil, "a parameter leaked from an earlier request")
        #expect(a["PATH"] == nil, "the process environment must not show up as request parameters")
    }

    @Test func httpProxyParameterIsDropped() throws {
        let s = try RunningServer(handler: echo)
        defer { _ = s.stop() }
        let f = fields(try s.client.send(params: FastCGIClient.params(method: "GET", uri: "/", headers: [("Proxy", "http://evil:1")])))
        #expect(f["HTTP_PROXY"] == nil)
        #expect(f["REQUEST_URI"] == "/")
    }

    @Test func completeBodyIsRead() throws {
        let s = try RunningServer(handler: echo)
        defer { _ = s.stop() }
        let body = Array(repeating: UInt8(ascii: "x"), count: 1000)
        let f = fields(try s.client.send(params: FastCGIClient.params(method: "POST", uri: "/", contentLength: 1000), body: body))
        #expect(f["_body"] == "complete:1000")
    }

    /// nginx can send the end-of-stdin record in a write of its own after the last body bytes; a responder
    /// that answers and closes before it arrives makes that write fail (EPIPE), and nginx then answers 502
    /// for a request that was handled.
    @Test func theEndOfTheInputIsReadBeforeTheConnectionCloses() throws {
        let s = try RunningServer(handler: echo)
        defer { _ = s.stop() }
        let body = Array(repeating: UInt8(ascii: "x"), count: 1000)
        let reply = try #require(try s.client.send(params: FastCGIClient.params(method: "POST", uri: "/", contentLength: 1000),
                                                   body: body, stdin: .delayedEnd(milliseconds: 300)))
        #expect(fields(reply)["_body"] == "complete:1000")
        #expect(!reply.endOfInputRefused, "the responder closed before the web server had finished writing")
    }

    @Test func admissionRefusesFromTheHeadWithoutReadingTheBody() throws {
        let handled = Counter()
        let dir = try Paths.temporaryDirectory("fcgi")
        let socketPath = dir.appendingPathComponent("s.sock").path
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let server = FastCGIServer(
            configuration: .init(listen: .unixSocket(path: socketPath, group: nil), acceptThreads: 2, maxBodyBytes: 1 << 20),
            logger: logger,
            admission: { params in
                params["REQUEST_URI"] == "/refused" ? FastCGIResponse(status: 429, reason: "Too Many Requests", headers: [], body: Array("no".utf8)) : nil
            },
            handler: { request in handled.increment(); return await echo(request) })
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread { _ = try? server.run(); done.signal() }
        defer { server.stop(); _ = done.wait(timeout: .now() + 5) }
        for _ in 0..<100 where !FileManager.default.fileExists(atPath: socketPath) { usleep(10_000) }
        let client = FastCGIClient(socketPath: socketPath)

        let body = Array(repeating: UInt8(ascii: "{"), count: 900_000)
        let refused = try #require(try client.send(params: FastCGIClient.params(method: "POST", uri: "/refused", contentLength: body.count), body: body))
        #expect(refused.status == 429 && refused.body == "no")
        #expect(handled.value == 0, "the handler ran for a refused request")
        let late = try #require(try client.send(params: FastCGIClient.params(method: "POST", uri: "/refused", contentLength: 10),
                                                body: Array(repeating: 0x20, count: 10), stdin: .delayedEnd(milliseconds: 300)))
        #expect(late.status == 429 && !late.endOfInputRefused)
        // Others go on as usual.
        #expect(fields(try client.send(params: FastCGIClient.params(method: "GET", uri: "/other")))["REQUEST_URI"] == "/other")
        #expect(handled.value == 1)
    }

    @Test func bodyOverTheCapIsReportedNotRead() throws {
        let s = try RunningServer(maxBodyBytes: 100, handler: echo)
        defer { _ = s.stop() }
        let body = Array(repeating: UInt8(ascii: "x"), count: 5000)
        let f = fields(try s.client.send(params: FastCGIClient.params(method: "POST", uri: "/", contentLength: 5000), body: body))
        #expect(f["_body"] == "tooLarge:5000>100")
    }

    @Test func shortBodyIsReportedWithoutHanging() throws {
        let s = try RunningServer(handler: echo)
        defer { _ = s.stop() }
        let body = Array(repeating: UInt8(ascii: "x"), count: 500)
        let started = Date()
        let f = fields(try s.client.send(params: FastCGIClient.params(method: "POST", uri: "/", contentLength: 500), body: body,
                                         stdin: .truncated(sendOnly: 200)))
        #expect(f["_body"] == "truncated:200/500")
        #expect(Date().timeIntervalSince(started) < 4, "the server waited for bytes that never come")
    }

    @Test func clientThatHangsUpMidBodyDoesNotStallTheServer() throws {
        let s = try RunningServer(handler: echo)
        defer { _ = s.stop() }
        let body = Array(repeating: UInt8(ascii: "x"), count: 500)
        _ = try? s.client.send(params: FastCGIClient.params(method: "POST", uri: "/", contentLength: 500), body: body,
                               stdin: .hangUp(sendOnly: 100))
        let f = fields(try s.client.send(params: FastCGIClient.params(method: "GET", uri: "/after")))
        #expect(f["REQUEST_URI"] == "/after")
    }

    @Test func invalidContentLengthIsReported() throws {
        let s = try RunningServer(handler: echo)
        defer { _ = s.stop() }
        var params = FastCGIClient.params(method: "POST", uri: "/")
        params.append(("CONTENT_LENGTH", "-5"))
        #expect(fields(try s.client.send(params: params))["_body"] == "invalid:-5")
    }

    @Test func responseHeaderInjectionIsDropped() throws {
        let s = try RunningServer { _ in
            FastCGIResponse(status: 200, reason: "OK", headers: [("X-Good", "1"), ("X-Bad", "a\r\nSet-Cookie: x=1")], body: [])
        }
        defer { _ = s.stop() }
        let reply = try #require(try s.client.send(params: FastCGIClient.params(method: "GET", uri: "/")))
        #expect(reply.headers["x-good"] == "1")
        #expect(reply.headers["x-bad"] == nil && reply.headers["set-cookie"] == nil)
    }

    @Test func slowHandlersDoNotBlockTheAcceptors() throws {
        // Two acceptor threads, ten requests whose handlers each wait 300 ms: all ten must be waiting at
        // the same time at some point, so a waiting handler holds no thread.
        let inHandler = Counter(), peak = Counter()
        let s = try RunningServer(acceptThreads: 2) { request in
            peak.raise(to: inHandler.increment())
            try? await Task.sleep(for: .milliseconds(300))
            inHandler.decrement()
            return await echo(request)
        }
        defer { _ = s.stop() }
        #expect(s.sendConcurrently(10) == 10)
        #expect(peak.value == 10, "at most \(peak.value) handlers ran at once")
    }

    @Test func inFlightLimitHoldsConnectionsBackWithoutSpinning() throws {
        // Given a limit of two requests in flight and handlers that wait 300 ms
        let inHandler = Counter(), peak = Counter()
        let s = try RunningServer(acceptThreads: 2, maxInFlight: 2) { request in
            peak.raise(to: inHandler.increment())
            try? await Task.sleep(for: .milliseconds(300))
            inHandler.decrement()
            return await echo(request)
        }
        defer { _ = s.stop() }
        let cpuBefore = acceptorCPUSeconds()
        // When six arrive at once
        let answered = s.sendConcurrently(6)
        // Then all are answered, never more than two at once, and waiting for a place burned no CPU
        // (a busy loop on the readable socket would use a core for the whole ~0.9 s).
        #expect(answered == 6)
        #expect(peak.value == 2)
        #expect(acceptorCPUSeconds() - cpuBefore < 0.15)
    }

    @Test func stopFinishesInFlightRequestsAndReturnsPromptly() throws {
        let s = try RunningServer { request in
            try? await Task.sleep(for: .milliseconds(600))
            return await echo(request)
        }
        let group = ThreadGroup()
        let answered = Counter()
        for i in 0..<6 {
            group.spawn {
                if fields(try? s.client.send(params: FastCGIClient.params(method: "GET", uri: "/\(i)")))["REQUEST_URI"] == "/\(i)" {
                    answered.increment()
                }
            }
        }
        usleep(200_000)   // all six are in flight now
        let outcome = s.stop()
        group.wait()
        // "Promptly" is the server's own deadline (shutdownGrace, 1.5 s): a stop that had to give up on a
        // request reports it as abandoned. No wall-clock assertion: this machine is shared and noisy.
        #expect(outcome?.abandoned == 0)
        #expect(answered.value == 6, "in-flight requests must be answered")
        // After stop, nothing accepts: the socket file is gone.
        #expect(!FileManager.default.fileExists(atPath: s.socketPath))
    }

    @Test func stopWithNothingInFlightIsImmediate() throws {
        let s = try RunningServer(acceptThreads: 8, handler: echo)
        #expect(s.stop()?.abandoned == 0)
    }

    @Test func refusesToReplaceAFileThatIsNotASocket() throws {
        let dir = try Paths.temporaryDirectory("fcgi")
        let path = dir.appendingPathComponent("not-a-socket").path
        _ = FileManager.default.createFile(atPath: path, contents: Data("keep me".utf8))
        let server = FastCGIServer(configuration: .init(listen: .unixSocket(path: path, group: nil)), logger: Logger(label: "t"), handler: echo)
        #expect(throws: ListenSocketError.notASocket(path)) { try server.run() }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "keep me")
    }

    @Test func responseSerialisationIsACGIStatusLineHeadersAndBody() {
        let bytes = FastCGIResponse(status: 404, reason: "Not Found", headers: [("Content-Type", "text/plain")], body: Array("x".utf8)).serialized()
        #expect(String(decoding: bytes, as: UTF8.self) == "Status: 404 Not Found\r\nContent-Type: text/plain\r\n\r\nx")
    }
}

final class Counter: @unchecked Sendable {
    // @unchecked Sendable: guarded by `lock`.
    private let lock = NSLock()
    private var n = 0
    @discardableResult func increment() -> Int { lock.withLock { n += 1; return n } }
    func decrement() { lock.withLock { n -= 1 } }
    func raise(to candidate: Int) { lock.withLock { n = max(n, candidate) } }
    var value: Int { lock.withLock { n } }
}

/// Runs blocking clients on real threads: GCD's global queue runs only about one blocking item per core on
/// Linux, which would serialise the clients and hide what the server does.
final class ThreadGroup: @unchecked Sendable {
    // @unchecked Sendable: DispatchGroup is thread-safe.
    private let group = DispatchGroup()
    func spawn(_ body: @escaping @Sendable () -> Void) {
        group.enter()
        Thread.detachNewThread { [group] in
            body()
            group.leave()
        }
    }
    func wait() { group.wait() }
}

/// User + system CPU time of this process's FastCGI acceptor threads (named `fcgi-accept`), from /proc:
/// other suites run in parallel in this process, so the whole process's time would say nothing.
func acceptorCPUSeconds() -> Double {
    let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
    var ticks = 0
    for task in tasks {
        guard let comm = try? String(contentsOfFile: "/proc/self/task/\(task)/comm", encoding: .utf8),
              comm.trimmingCharacters(in: .whitespacesAndNewlines) == "fcgi-accept",
              let stat = try? String(contentsOfFile: "/proc/self/task/\(task)/stat", encoding: .utf8),
              let afterName = stat.range(of: ") ", options: .backwards) else { continue }
        // Fields after "(comm) ": state is field 3, utime 14 and stime 15.
        let fields = stat[afterName.upperBound...].split(separator: " ")
        ticks += (Int(fields[11]) ?? 0) + (Int(fields[12]) ?? 0)
    }
    return Double(ticks) / Double(sysconf(Int32(_SC_CLK_TCK)))
}
