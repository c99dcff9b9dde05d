/// One request as libfcgi delivered it: the parameters of the request's own environment and its body.
///
/// The transport knows nothing about HTTP semantics beyond CGI's `CONTENT_LENGTH`; it reports what it
/// saw of the body and leaves the answer (413, 400) to the application.
public struct FastCGIRequest: Sendable {
    /// CGI/1.1 meta-variables (RFC 3875) and `HTTP_*` header parameters, as nginx sent them.
    /// `HTTP_PROXY` is never present (HTTPoxy): the transport drops it whatever the web server sent.
    public var params: [String: String]
    public var body: Body

    public enum Body: Sendable, Equatable {
        /// The whole body, exactly `CONTENT_LENGTH` bytes (empty when there is no body).
        case complete([UInt8])
        /// `CONTENT_LENGTH` is above the configured cap; the body was discarded unread.
        case tooLarge(declared: Int, limit: Int)
        /// The stream ended before `CONTENT_LENGTH` bytes arrived.
        case truncated(declared: Int, received: Int)
        /// `CONTENT_LENGTH` is not a non-negative decimal number.
        case invalidLength(String)
    }

    public init(params: [String: String], body: Body) {
        self.params = params
        self.body = body
    }
}

/// What the application answers: a status line, headers and a body.
public struct FastCGIResponse: Sendable {
    public var status: Int
    public var reason: String
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(status: Int, reason: String, headers: [(name: String, value: String)], body: [UInt8]) {
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body
    }

    /// The CGI response as it goes on the wire: `Status:` line, headers, blank line, body.
    /// Header names or values carrying CR or LF are dropped rather than allowed to split the response.
    public func serialized() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(128 + headers.count * 48 + body.count)
        bytes.append(contentsOf: "Status: \(status) \(reason)\r\n".utf8)
        for (name, value) in headers where !Self.breaksLine(name) && !Self.breaksLine(value) {
            bytes.append(contentsOf: name.utf8)
            bytes.append(contentsOf: [UInt8(ascii: ":"), UInt8(ascii: " ")])
            bytes.append(contentsOf: value.utf8)
            bytes.append(contentsOf: [13, 10])
        }
        bytes.append(contentsOf: [13, 10])
        bytes.append(contentsOf: body)
        return bytes
    }

    private static func breaksLine(_ s: String) -> Bool {
        s.utf8.contains { $0 == 0x0D || $0 == 0x0A }
    }
}
