import CFastCGI
import Dispatch
import Synchronization
import Logging
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A FastCGI responder on libfcgi.
///
/// A pool of acceptor threads each waits (epoll) for a connection or for work, accepts with `FCGX_Accept_r`,
/// reads the request's parameters and body, and starts the asynchronous `handler` as a task that prefers the
/// thread's own executor (`LoopExecutor`). A handler that does not suspend runs to the end right there and the
/// thread writes the answer: no hand-off, which is what makes it as fast as a plain C responder. A handler that
/// suspends (an upstream call that takes seconds) holds a task, not a thread: the thread goes back to accepting,
/// and the continuation wakes it when there is more to run. Blocking socket work (libfcgi's write and close)
/// happens on these threads, never on Swift's cooperative ones.
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
        /// Acceptor threads; each also runs the tasks of the requests it accepted.
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

    /// Looks at a request's parameters before its body is read, on the acceptor thread; an answer refuses the
    /// request there and then: the body is discarded unread (not buffered, not parsed) and `Handler` never
    /// runs. For callers who should cost nothing, such as an address throttled for guessing secrets. Must not
    /// block.
    public typealias Admission = @Sendable ([String: String]) -> FastCGIResponse?

    /// What happened at shutdown.
    public struct Outcome: Sendable {
        /// Requests still running when the grace period ran out (0 on a clean shutdown).
        public var abandoned: Int
    }

    public let configuration: Configuration
    private let logger: Logger
    private let handler: Handler
    private let admission: Admission?
    private let gate: Gate
    private let stopRequested = DispatchSemaphore(value: 0)
    /// When draining must end (CLOCK_MONOTONIC seconds); set by `run()` once `stop()` was called.
    private let shutdownDeadline = Mutex(Double.infinity)

    public init(configuration: Configuration, logger: Logger, admission: Admission? = nil, handler: @escaping Handler) {
        self.configuration = configuration
        self.logger = logger
        self.admission = admission
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

        // The listening socket is non-blocking: several acceptors wait on it with epoll, and the ones that
        // lose the race for a connection get EAGAIN from accept instead of blocking (and missing work).
        // On Linux an accepted socket does not inherit O_NONBLOCK.
        _ = fcntl(listenFd, F_SETFL, fcntl(listenFd, F_GETFL) | O_NONBLOCK)
        let executors = (0..<configuration.acceptThreads).map { _ in LoopExecutor() }
        let threads = executors.map { executor in
            Thread.spawn(name: "fcgi-accept") { [self] in acceptLoop(listenFd: listenFd, executor: executor) }
        }
        logger.info("fastcgi listening", metadata: [
            "listen": "\(configuration.listen)", "accept_threads": "\(configuration.acceptThreads)",
            "max_in_flight": "\(configuration.maxInFlight)",
        ])

        stopRequested.wait()

        // Stop accepting; every thread keeps running its in-flight tasks until they are done or the grace
        // period ends, then exits.
        let deadline = monotonicSeconds() + configuration.shutdownGrace
        shutdownDeadline.withLock { $0 = deadline }
        gate.close()
        for executor in executors { executor.wakeUp() }
        for thread in threads { thread.join() }
        let abandoned = gate.inFlight
        logger.info("fastcgi stopped", metadata: ["abandoned": "\(abandoned)"])
        return Outcome(abandoned: abandoned)
    }

    /// Stops accepting; `run()` returns once in-flight requests are done. Safe from any thread, idempotent.
    public func stop() {
        stopRequested.signal()
    }

    // MARK: Accepting

    private func acceptLoop(listenFd: Int32, executor: LoopExecutor) {
        let epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        defer { close(epoll) }
        var listenEvent = epoll_event()
        listenEvent.events = EPOLLIN.rawValue | EPOLLEXCLUSIVE.rawValue
        listenEvent.data.fd = listenFd
        var wakeEvent = epoll_event()
        wakeEvent.events = EPOLLIN.rawValue
        wakeEvent.data.fd = executor.wakeFD
        epoll_ctl(epoll, EPOLL_CTL_ADD, executor.wakeFD, &wakeEvent)
        var listening = epoll_ctl(epoll, EPOLL_CTL_ADD, listenFd, &listenEvent) == 0

        var ready = [epoll_event](repeating: epoll_event(), count: 4)
        /// Waits (the executor marked as sleeping); true when the listening socket became readable.
        func wait(_ timeoutMilliseconds: Int32) -> Bool {
            let count = max(0, Int(epoll_wait(epoll, &ready, 4, timeoutMilliseconds)))
            executor.finishedWaiting(wakeFDReadable: ready[0..<count].contains { $0.data.fd == executor.wakeFD })
            return ready[0..<count].contains { $0.data.fd == listenFd }
        }
        // At the in-flight limit the listening socket stays readable; it leaves the epoll set for a few
        // milliseconds at a time instead of waking this thread in a busy loop.
        var full = false
        while true {
            executor.runPending()
            if gate.isClosed {
                if listening { epoll_ctl(epoll, EPOLL_CTL_DEL, listenFd, nil); listening = false }
                // Draining: run what comes back until nothing is in flight or the grace period is over.
                let left = shutdownDeadline.withLock { $0 } - monotonicSeconds()
                if gate.inFlight == 0 || left <= 0 { return }
                if executor.prepareToWait() { _ = wait(Int32(min(left, 0.05) * 1000) + 1) }
                continue
            }
            if full && listening {
                epoll_ctl(epoll, EPOLL_CTL_DEL, listenFd, nil)
                listening = false
            } else if !full && !listening {
                listening = epoll_ctl(epoll, EPOLL_CTL_ADD, listenFd, &listenEvent) == 0
            }
            guard executor.prepareToWait() else { continue }
            let connectionWaiting = wait(full ? 5 : -1)
            full = false
            guard connectionWaiting else { continue }
            full = !acceptOne(listenFd: listenFd, executor: executor)
        }
    }

    /// Accepts one connection if another thread has not taken it, and starts its task on `executor`.
    /// False when the in-flight limit is reached (the connection stays in the backlog).
    private func acceptOne(listenFd: Int32, executor: LoopExecutor) -> Bool {
        guard gate.tryEnter() else { return false }
        let raw = UnsafeMutablePointer<FCGX_Request>.allocate(capacity: 1)
        FCGX_InitRequest(raw, listenFd, 0)
        let rc = FCGX_Accept_r(raw)
        guard rc >= 0 else {
            // libfcgi returns -errno; EAGAIN means another acceptor took the connection.
            FCGX_Free(raw, 1)
            raw.deallocate()
            gate.leave()
            if -rc != EAGAIN && -rc != EWOULDBLOCK && -rc != EINTR {
                logger.warning("fastcgi accept failed", metadata: ["errno": "\(-rc)"])
                usleep(10_000)
            }
            return true
        }
        let params = Self.params(raw)
        if let admission, let refusal = admission(params) {
            let ended = Self.discardInput(raw.pointee.in)
            OwnedRequest(raw, inputEnded: ended).finish(with: refusal)
            gate.leave()
            return true
        }
        let declared = FCGX_GetParam("CONTENT_LENGTH", raw.pointee.envp).map { String(cString: $0) } ?? ""
        let (body, ended) = Self.readBody(raw.pointee.in, declared: declared, limit: configuration.maxBodyBytes)
        let request = FastCGIRequest(params: params, body: body)
        let owned = OwnedRequest(raw, inputEnded: ended)
        let handler = self.handler
        let gate = self.gate
        Task(executorPreference: executor) {
            let response = await handler(request)
            owned.finish(with: response)
            gate.leave()
        }
        return true
    }

    /// The request's own CGI parameters (never `environ`), without `HTTP_PROXY`.
    private static func params(_ raw: UnsafeMutablePointer<FCGX_Request>) -> [String: String] {
        var params: [String: String] = [:]
        params.reserveCapacity(32)
        if var cursor = raw.pointee.envp {
            while let entry = cursor.pointee {
                // NAME=VALUE, split on the first '=' byte without going through Character.
                let length = strlen(entry)
                entry.withMemoryRebound(to: UInt8.self, capacity: length) { bytes in
                    let all = UnsafeBufferPointer(start: bytes, count: length)
                    if let eq = all.firstIndex(of: UInt8(ascii: "=")) {
                        params[String(decoding: UnsafeBufferPointer(rebasing: all[..<eq]), as: UTF8.self)] =
                            String(decoding: UnsafeBufferPointer(rebasing: all[(eq + 1)...]), as: UTF8.self)
                    }
                }
                cursor += 1
            }
        }
        // HTTPoxy: a `Proxy:` request header must never look like a proxy setting to anything downstream.
        params["HTTP_PROXY"] = nil
        return params
    }

    /// The body, and whether the web server's end of the input (the empty FCGI_STDIN record) was read.
    ///
    /// That end is read before the request is answered, even when the body is complete: nginx writes it after
    /// the last body bytes, sometimes in a later write, and a socket closed before it arrives makes nginx's
    /// write fail with EPIPE, so it answers 502 for a request that was handled (a committed write answered
    /// 503). Reading it is one more record from a peer that is already sending it.
    private static func readBody(_ stream: UnsafeMutablePointer<FCGX_Stream>?, declared: String, limit: Int) -> (FastCGIRequest.Body, ended: Bool) {
        if declared.isEmpty { return (.complete([]), endOfInput(stream)) }
        guard declared.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), declared.utf8.count <= 18,
              let length = Int(declared) else { return (.invalidLength(declared), discardInput(stream)) }
        if length > limit {
            // Discard it (bounded) so the web server is not cut off mid-write before it reads our answer.
            return (.tooLarge(declared: length, limit: limit), discardInput(stream))
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
        if received < length { return (.truncated(declared: length, received: received), FCGX_HasSeenEOF(stream) != 0) }
        return (.complete(body), endOfInput(stream))
    }

    /// Reads the end of the input: true when nothing but the end-of-input record followed (blocks until the
    /// web server sends it, which it does right after the body).
    private static func endOfInput(_ stream: UnsafeMutablePointer<FCGX_Stream>?) -> Bool {
        FCGX_GetChar(stream) == EOF && FCGX_HasSeenEOF(stream) != 0 && FCGX_GetError(stream) == 0
    }

    /// Reads and drops the rest of the input without keeping it (at most 64 MiB); true when its end was reached.
    private static func discardInput(_ stream: UnsafeMutablePointer<FCGX_Stream>?) -> Bool {
        var scratch = [CChar](repeating: 0, count: 64 * 1024)
        var drained = 0
        while drained < 64 << 20 {
            let n = FCGX_GetStr(&scratch, Int32(scratch.count), stream)
            if n <= 0 { break }
            drained += Int(n)
        }
        return FCGX_HasSeenEOF(stream) != 0 && FCGX_GetError(stream) == 0
    }

    // MARK: Library set-up

    private static func initialiseLibrary() throws {
        guard FCGX_Init() == 0 else { throw ListenSocketError.system("FCGX_Init", errno) }
    }
}

/// A libfcgi request handed from its acceptor thread to the task that answers it.
// @unchecked Sendable: ownership moves with the value; exactly one thread uses the pointer at a time
// (the acceptor until the task starts, then the task), and `finish` frees it.
private struct OwnedRequest: @unchecked Sendable {
    let raw: UnsafeMutablePointer<FCGX_Request>
    /// The input was read to its end-of-stdin record, so the web server has nothing left to send.
    let inputEnded: Bool

    init(_ raw: UnsafeMutablePointer<FCGX_Request>, inputEnded: Bool) {
        self.raw = raw
        self.inputEnded = inputEnded
    }

    /// Writes the answer and closes the connection; it is never kept (a kept connection would pin an
    /// acceptor thread, see the type's docs).
    ///
    /// libfcgi's own close (`OS_Close`) shuts the socket down and then blocks in `poll` until the web server
    /// closes its end (up to 2 s), reading and discarding whatever arrives: protection against unread input
    /// turning the close into a reset. That wait costs a sleep and a wake-up on every request. When the input
    /// was read to its end-of-stdin record, the web server has nothing left to send, so the socket is closed
    /// at once; otherwise (a body not read to its end) libfcgi's draining close runs. Closing early on less
    /// than the end record raced nginx's last write (bench/README.md).
    func finish(with response: FastCGIResponse) {
        let bytes = response.serialized()
        bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { chars in
                _ = FCGX_PutStr(chars.baseAddress, Int32(chars.count), raw.pointee.out)
            }
        }
        if inputEnded {
            // keepConnection = 1 makes FCGX_Finish_r flush the answer and FCGI_END_REQUEST but leave the
            // socket open (it still closes it, and sets ipcFd to -1, if the stream had an error).
            raw.pointee.keepConnection = 1
            FCGX_Finish_r(raw)
            let fd = raw.pointee.ipcFd
            if fd >= 0 {
                var scratch = [UInt8](repeating: 0, count: 1024)
                var rounds = 0
                while rounds < 64, recv(fd, &scratch, scratch.count, Int32(MSG_DONTWAIT)) > 0 { rounds += 1 }
                close(fd)
                raw.pointee.ipcFd = -1
            }
        } else {
            raw.pointee.keepConnection = 0
            FCGX_Finish_r(raw)
        }
        raw.deallocate()
    }
}

