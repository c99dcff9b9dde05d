import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The FastCGI wire format (FastCGI 1.0 specification), as a test-side client and a raw recording listener.
/// A fake of nothing: it speaks the real protocol to the real responder and to the real nginx.
public enum FastCGIWire {
    public enum RecordType: UInt8 {
        case beginRequest = 1, abortRequest, endRequest, params, stdin, stdout, stderr
    }

    public struct Record {
        public var type: UInt8
        public var requestID: UInt16
        public var content: [UInt8]
    }

    public static func record(_ type: RecordType, id: UInt16 = 1, _ content: [UInt8]) -> [UInt8] {
        precondition(content.count <= 65535)
        let padding = (8 - content.count % 8) % 8
        var out: [UInt8] = [1, type.rawValue, UInt8(id >> 8), UInt8(id & 0xFF),
                            UInt8(content.count >> 8), UInt8(content.count & 0xFF), UInt8(padding), 0]
        out += content
        out += [UInt8](repeating: 0, count: padding)
        return out
    }

    /// Name-value pairs with 1- or 4-byte lengths.
    public static func encodeParams(_ params: [(String, String)]) -> [UInt8] {
        func length(_ n: Int) -> [UInt8] {
            n < 128 ? [UInt8(n)] : [UInt8((n >> 24) & 0x7F) | 0x80, UInt8((n >> 16) & 0xFF), UInt8((n >> 8) & 0xFF), UInt8(n & 0xFF)]
        }
        var out: [UInt8] = []
        for (name, value) in params {
            let n = Array(name.utf8), v = Array(value.utf8)
            out += length(n.count) + length(v.count) + n + v
        }
        return out
    }

    public static func decodeParams(_ bytes: [UInt8]) -> [String: String] {
        var i = 0
        func length() -> Int {
            if bytes[i] & 0x80 == 0 { i += 1; return Int(bytes[i - 1]) }
            let n = Int(bytes[i] & 0x7F) << 24 | Int(bytes[i + 1]) << 16 | Int(bytes[i + 2]) << 8 | Int(bytes[i + 3])
            i += 4
            return n
        }
        var out: [String: String] = [:]
        while i < bytes.count {
            let nl = length(), vl = length()
            let name = String(decoding: bytes[i..<i + nl], as: UTF8.self); i += nl
            let value = String(decoding: bytes[i..<i + vl], as: UTF8.self); i += vl
            out[name] = value
        }
        return out
    }

    /// Reads one record; nil at end of stream.
    public static func readRecord(_ fd: Int32) -> Record? {
        guard let header = readExactly(fd, 8) else { return nil }
        let length = Int(header[4]) << 8 | Int(header[5])
        guard let content = readExactly(fd, length), readExactly(fd, Int(header[6])) != nil else { return nil }
        return Record(type: header[1], requestID: UInt16(header[2]) << 8 | UInt16(header[3]), content: content)
    }

    static func readExactly(_ fd: Int32, _ count: Int) -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: count)
        var got = 0
        while got < count {
            let n = out.withUnsafeMutableBytes { read(fd, $0.baseAddress! + got, count - got) }
            if n <= 0 { return nil }
            got += n
        }
        return out
    }

    public static func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + sent, bytes.count - sent) }
            if n <= 0 { return }
            sent += n
        }
    }
}

/// A FastCGI client for driving the responder directly over its Unix socket.
public struct FastCGIClient: Sendable {
    public let socketPath: String
    public init(socketPath: String) { self.socketPath = socketPath }

    public struct Reply {
        public var status: Int
        public var headers: [String: String]
        public var body: String
        public var raw: String
        /// With `.delayedEnd`: the late end-of-stdin record could not be written (the responder had closed).
        public var endOfInputRefused = false
    }

    public enum StdinMode {
        /// Send the body and the empty STDIN record (end of stream).
        case complete
        /// Send only the first `n` bytes of the body, then end the stream.
        case truncated(sendOnly: Int)
        /// Send the first `n` bytes, then half-close the socket without an end-of-stream record.
        case hangUp(sendOnly: Int)
        /// Send the whole body, then the end-of-stream record only after a pause, in a write of its own, as
        /// nginx sometimes does when the socket's buffer filled up with the last body bytes.
        case delayedEnd(milliseconds: Int)
    }

    /// Sends one request and reads the reply. Read timeout 5 s: a hang fails the test instead of stalling it.
    public func send(params: [(String, String)], body: [UInt8] = [], stdin: StdinMode = .complete) throws -> Reply? {
        let fd = try UnixSocket.connect(socketPath)
        defer { close(fd) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))

        var out = FastCGIWire.record(.beginRequest, [0, 1, 0, 0, 0, 0, 0, 0])
        out += FastCGIWire.record(.params, FastCGIWire.encodeParams(params))
        out += FastCGIWire.record(.params, [])
        let payload: [UInt8]
        switch stdin {
        case .complete, .delayedEnd: payload = body
        case .truncated(let n), .hangUp(let n): payload = Array(body.prefix(n))
        }
        var i = 0
        while i < payload.count {
            let chunk = Array(payload[i..<min(i + 60000, payload.count)])
            out += FastCGIWire.record(.stdin, chunk)
            i += chunk.count
        }
        var endOfInputRefused = false
        if case .hangUp = stdin {
            FastCGIWire.writeAll(fd, out)
            shutdown(fd, Int32(SHUT_WR))
        } else if case .delayedEnd(let milliseconds) = stdin {
            FastCGIWire.writeAll(fd, out)
            usleep(useconds_t(milliseconds * 1000))
            let end = FastCGIWire.record(.stdin, [])
            // MSG_NOSIGNAL: a closed peer must fail this write, not kill the test process with SIGPIPE.
            endOfInputRefused = end.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } != end.count
        } else {
            out += FastCGIWire.record(.stdin, [])
            FastCGIWire.writeAll(fd, out)
        }

        var stdout: [UInt8] = []
        while let record = FastCGIWire.readRecord(fd) {
            if record.type == FastCGIWire.RecordType.stdout.rawValue { stdout += record.content }
            if record.type == FastCGIWire.RecordType.endRequest.rawValue {
                var reply = Self.parse(stdout)
                reply.endOfInputRefused = endOfInputRefused
                return reply
            }
        }
        guard !stdout.isEmpty else { return nil }
        var reply = Self.parse(stdout)
        reply.endOfInputRefused = endOfInputRefused
        return reply
    }

    static func parse(_ bytes: [UInt8]) -> Reply {
        let text = String(decoding: bytes, as: UTF8.self)
        let parts = text.components(separatedBy: "\r\n\r\n")
        var headers: [String: String] = [:]
        var status = 200
        for line in parts[0].components(separatedBy: "\r\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = String(line[..<colon]).lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if name == "status" { status = Int(value.prefix(3)) ?? 0 } else { headers[name] = value }
        }
        return Reply(status: status, headers: headers, body: parts.dropFirst().joined(separator: "\r\n\r\n"), raw: text)
    }

    /// Parameters as nginx sends them for a request.
    public static func params(method: String, uri: String, headers: [(String, String)] = [], contentLength: Int? = nil,
                              contentType: String? = nil) -> [(String, String)] {
        var p: [(String, String)] = [("REQUEST_METHOD", method), ("REQUEST_URI", uri), ("REMOTE_ADDR", "127.0.0.1"),
                                      ("QUERY_STRING", uri.split(separator: "?", maxSplits: 1).dropFirst().first.map(String.init) ?? ""),
                                      ("REQUEST_SCHEME", "http"), ("SERVER_PROTOCOL", "HTTP/1.1")]
        if let contentLength { p.append(("CONTENT_LENGTH", String(contentLength))) }
        if let contentType { p.append(("CONTENT_TYPE", contentType)) }
        for (name, value) in headers { p.append(("HTTP_" + name.uppercased().replacingOccurrences(of: "-", with: "_"), value)) }
        return p
    }
}

/// A raw FastCGI listener that records the parameters nginx sends (no libfcgi involved), answering 200.
/// It shows what the web server puts on the wire, before any responder-side filtering.
public final class RecordingFastCGIListener: @unchecked Sendable {
    // @unchecked Sendable: `received` is guarded by `lock`; the accept thread owns the socket.
    public let socketPath: String
    private let fd: Int32
    private let lock = NSLock()
    private var received: [[String: String]] = []

    public init(socketPath: String) throws {
        self.socketPath = socketPath
        fd = try UnixSocket.listen(socketPath)
        let fd = self.fd
        Thread.detachNewThread { [self] in
            while true {
                let client = accept(fd, nil, nil)
                if client < 0 { return }
                var paramBytes: [UInt8] = []
                var ended = false
                while !ended, let record = FastCGIWire.readRecord(client) {
                    if record.type == FastCGIWire.RecordType.params.rawValue { paramBytes += record.content }
                    if record.type == FastCGIWire.RecordType.stdin.rawValue && record.content.isEmpty { ended = true }
                }
                lock.withLock { received.append(FastCGIWire.decodeParams(paramBytes)) }
                let body = Array("Status: 200 OK\r\nContent-Type: text/plain\r\n\r\nrecorded".utf8)
                FastCGIWire.writeAll(client, FastCGIWire.record(.stdout, body) + FastCGIWire.record(.stdout, [])
                                     + FastCGIWire.record(.endRequest, [0, 0, 0, 0, 0, 0, 0, 0]))
                close(client)
            }
        }
    }

    public var requests: [[String: String]] { lock.withLock { received } }

    public func stop() {
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
        unlink(socketPath)
    }
}

public enum UnixSocket {
    struct Failure: Error, CustomStringConvertible { let description: String }

    static func address(_ path: String) -> sockaddr_un {
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            raw.copyBytes(from: path.utf8)
            raw[path.utf8.count] = 0
        }
        return addr
    }

    /// Connects, retrying ECONNREFUSED for up to a second: a server's socket file appears at bind(), a
    /// moment before listen(), and a connect in between is refused.
    public static func connect(_ path: String) throws -> Int32 {
        var attempts = 0
        while true {
            let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            var addr = address(path)
            let rc = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            if rc == 0 { return fd }
            let error = errno
            close(fd)
            attempts += 1
            guard error == ECONNREFUSED, attempts < 100 else { throw Failure(description: "connect \(path): errno \(error)") }
            usleep(10_000)
        }
    }

    public static func listen(_ path: String) throws -> Int32 {
        unlink(path)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var addr = address(path)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard rc == 0, Glibc.listen(fd, 64) == 0 else { close(fd); throw Failure(description: "listen \(path): errno \(errno)") }
        chmod(path, 0o666)
        return fd
    }
}
