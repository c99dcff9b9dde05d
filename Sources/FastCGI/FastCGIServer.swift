import CFastCGI
import Logging
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A FastCGI responder on libfcgi.
///
/// A pool of acceptor threads each blocks in `FCGX_Accept_r`, reads the request's parameters and body,
/// and hands the request to the asynchronous `handler` as a task; the thread goes straight back to
/// accepting. When the task has the response, a writer thread writes it and finishes the request, so the
/// blocking socket work (libfcgi's close waits for the web server to hang up) never occupies Swift's
/// cooperative threads. A slow handler (an upstream call that takes seconds) therefore holds a task, not a
/// thread, and never starves the acceptors.
///
/// Connections are closed after every request: libfcgi pins a thread to a kept connection
/// (`fastcgi_keep_conn on`), which is exactly what this design avoids. Run nginx with keep-conn off.
///
/// ```swift
/// TerminationSignals.block()
/// let server = FastCGIServer(configuration: .init(listen: .unixSocket(path: "/run/x.sock", group: nil)),
///                            logger: logger) { request in
///     FastCGIResponse(status: 200, reason: "OK", headers: [], body: [])
/// }
/// TerminationSignals.onTermination { _ in server.stop() }
/// try server.run()
/// ```
public final class FastCGIServer: Sendable {
    public struct Configuration: Sendable {
        public var listen: ListenAddress
        /// Threads blocked in `accept`; they only read requests, so a few are enough. As many writer
        /// threads write the answers.
        public var acceptThreads: Int
        /// Requests being handled at once; acceptors wait beyond this.
        public var maxInFlight: Int
        /// Largest body read; a larger `CONTENT_LENGTH` is reported as `.tooLarge` without reading it.
        public var maxBodyBytes: Int
        /// Listen backlog for a socket this server creates.
        public var backlog: Int32
        /// How long `run()` waits for in-flight requests after `stop()`.
        public var shutdownGrace: Double

        public init(listen: ListenAddress, acceptThreads: Int = 4, maxInFlight: Int = 512,
                    maxBodyBytes: Int = 1 << 20, backlog: Int32 = 1024, shutdownGrace: Double = 1.5) {
            self.listen = listen
            self.acceptThreads = max(1, acceptThreads)
            self.maxInFlight = max(1, maxInFlight)
            self.maxBodyBytes = max(0, maxBodyBytes)
            self.backlog = backlog
            self.shutdownGrace = shutdownGrace
        }
    }

    public typealias Handler = @Sendable (FastCGIRequest) async -> FastCGIResponse

    /// What happened at shutdown.
    public struct Outcome: Sendable {
        /// Requests still running when the grace period ran out (0 on a clean shutdown).
        public var abandoned: Int
    }

    public let configuration: Configuration
    private let logger: Logger
    private let handler: Handler
    private let gate: Gate
    private let stopRequested = Gate(limit: 1)
    private let answers = WorkQueue<Answer>()

    /// A response on its way to a writer thread.
    private struct Answer: Sendable {
        let request: OwnedRequest
        let response: FastCGIResponse
    }

    public init(configuration: Configuration, logger: Logger, handler: @escaping Handler) {
        self.configuration = configuration
        self.logger = logger
        self.handler = handler
        self.gate = Gate(limit: configuration.maxInFlight)
    }

    /// Opens the socket, serves until `stop()` and returns once in-flight requests have finished
    /// or the grace period has run out.
    public func run() throws -> Outcome {
        let listenFd = try ListenSocket.open(configuration.listen, backlog: configuration.backlog)
        defer {
            if case .unixSocket(let path, _) = configuration.listen {
                close(listenFd)
                unlink(path)
            }
        }
        try Self.initialiseLibrary()
        Self.installInterruptHandler()

        let writers = (0..<configuration.acceptThreads).map { _ in
            Thread.spawn { [self] in writeLoop() }
        }
        let threads = (0..<configuration.acceptThreads).map { _ in
            Thread.spawn { [self] in acceptLoop(listenFd: listenFd) }
        }
        logger.info("fastcgi listening", metadata: [
            "listen": "\(configuration.listen)", "accept_threads": "\(configuration.acceptThreads)",
            "max_in_flight": "\(configuration.maxInFlight)",
        ])

        stopRequested.waitUntilClosed()

        let deadline = monotonicSeconds() + configuration.shutdownGrace
        gate.close()
        // Wake acceptors blocked in accept(): a signal without SA_RESTART makes accept fail with EINTR,
        // and FCGI_FAIL_ACCEPT_ON_INTR makes libfcgi return instead of retrying. The socket itself is left
        // alone (shutdown() would also break it for a supervisor that holds the same socket). Repeat until
        // every thread is out, since a signal can land just before a thread enters accept().
        let exited = Gate(limit: threads.count)
        let joiner = Thread.spawn {
            for thread in threads { thread.join() }
            exited.close()
        }
        while !exited.isClosed {
            for thread in threads { thread.kill(Self.interruptSignal) }
            usleep(20_000)
        }
        joiner.join()
        let abandoned = gate.waitUntilEmpty(deadline: deadline)
        answers.close()
        if abandoned == 0 { for writer in writers { writer.join() } }
        logger.info("fastcgi stopped", metadata: ["abandoned": "\(abandoned)"])
        return Outcome(abandoned: abandoned)
    }

    /// Stops accepting; `run()` returns once in-flight requests are done. Safe from any thread, idempotent.
    public func stop() {
        stopRequested.close()
    }

    // MARK: Accepting

    private func acceptLoop(listenFd: Int32) {
        // The interrupt must reach this thread whatever mask it inherited from whoever called run().
        var interrupt = sigset_t()
        sigemptyset(&interrupt)
        sigaddset(&interrupt, Self.interruptSignal)
        pthread_sigmask(SIG_UNBLOCK, &interrupt, nil)
        while gate.enter() {
            let raw = UnsafeMutablePointer<FCGX_Request>.allocate(capacity: 1)
            FCGX_InitRequest(raw, listenFd, FCGI_FAIL_ACCEPT_ON_INTR)
            guard FCGX_Accept_r(raw) >= 0 else {
                FCGX_Free(raw, 1)
                raw.deallocate()
                gate.leave()
                if gate.isClosed { return }
                if errno != EINTR {
                    logger.warning("fastcgi accept failed", metadata: ["errno": "\(errno)"])
                    usleep(10_000)
                }
                continue
            }
            let request = Self.read(raw, maxBodyBytes: configuration.maxBodyBytes)
            let owned = OwnedRequest(raw)
            let handler = self.handler
            let answers = self.answers
            Task {
                let response = await handler(request)
                answers.put(Answer(request: owned, response: response))
            }
        }
    }

    private func writeLoop() {
        while let answer = answers.take() {
            answer.request.finish(with: answer.response)
            gate.leave()
        }
    }

    private static func read(_ raw: UnsafeMutablePointer<FCGX_Request>, maxBodyBytes: Int) -> FastCGIRequest {
        var params: [String: String] = [:]
        if var cursor = raw.pointee.envp {
            while let entry = cursor.pointee {
                let pair = String(cString: entry)
                if let eq = pair.firstIndex(of: "=") {
                    params[String(pair[..<eq])] = String(pair[pair.index(after: eq)...])
                }
                cursor += 1
            }
        }
        // HTTPoxy: a `Proxy:` request header must never look like a proxy setting to anything downstream.
        params["HTTP_PROXY"] = nil

        let declared = FCGX_GetParam("CONTENT_LENGTH", raw.pointee.envp).map { String(cString: $0) } ?? ""
        return FastCGIRequest(params: params, body: readBody(raw.pointee.in, declared: declared, limit: maxBodyBytes))
    }

    private static func readBody(_ stream: UnsafeMutablePointer<FCGX_Stream>?, declared: String, limit: Int) -> FastCGIRequest.Body {
        if declared.isEmpty { return .complete([]) }
        guard declared.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), declared.utf8.count <= 18,
              let length = Int(declared) else { return .invalidLength(declared) }
        if length > limit {
            // Drain (bounded) so the web server is not cut off mid-write before it reads our answer.
            var scratch = [CChar](repeating: 0, count: 64 * 1024)
            var drained = 0
            while drained < min(length, 64 << 20) {
                let n = FCGX_GetStr(&scratch, Int32(scratch.count), stream)
                if n <= 0 { break }
                drained += Int(n)
            }
            return .tooLarge(declared: length, limit: limit)
        }
        var body = [UInt8](repeating: 0, count: length)
        var received = 0
        while received < length {
            let n = body.withUnsafeMutableBytes { buffer in
                FCGX_GetStr(buffer.baseAddress!.advanced(by: received).assumingMemoryBound(to: CChar.self),
                            Int32(length - received), stream)
            }
            if n <= 0 { break }   // end of the stdin stream (or an error): the body is short
            received += Int(n)
        }
        if received < length { return .truncated(declared: length, received: received) }
        return .complete(body)
    }

    // MARK: Library set-up

    private static let interruptSignal = SIGUSR2

    private static func initialiseLibrary() throws {
        guard FCGX_Init() == 0 else { throw ListenSocketError.system("FCGX_Init", errno) }
    }

    /// A do-nothing SIGUSR2 handler installed without SA_RESTART, so the signal interrupts `accept`.
    private static func installInterruptHandler() {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in }
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        sigaction(interruptSignal, &action, nil)
    }
}

/// A libfcgi request handed from its acceptor thread to the task that answers it.
// @unchecked Sendable: ownership moves with the value; exactly one thread uses the pointer at a time
// (the acceptor until the task starts, then the task), and `finish` frees it.
private struct OwnedRequest: @unchecked Sendable {
    let raw: UnsafeMutablePointer<FCGX_Request>

    init(_ raw: UnsafeMutablePointer<FCGX_Request>) { self.raw = raw }

    func finish(with response: FastCGIResponse) {
        let bytes = response.serialized()
        bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { chars in
                _ = FCGX_PutStr(chars.baseAddress, Int32(chars.count), raw.pointee.out)
            }
        }
        // Never keep the connection: a kept connection would pin an acceptor thread (see the type's docs).
        raw.pointee.keepConnection = 0
        FCGX_Finish_r(raw)
        raw.deallocate()
    }
}
