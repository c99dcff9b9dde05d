import Cryptography
import HTTPTypes

/// An HTTP request as the application sees it, independent of the transport that delivered it.
public struct Request: Sendable {
    public var method: HTTPRequest.Method
    /// The path without the query, still percent-encoded (the router decodes each segment).
    public var path: String
    /// The raw query string (without `?`); never logged, since OAuth callbacks carry codes in it.
    public var query: String
    public var headers: HTTPFields
    public var body: Body
    /// The peer's address as the web server saw it (`REMOTE_ADDR`).
    public var clientAddress: String
    /// `https` when the web server terminated TLS for this request.
    public var scheme: String
    /// The web server's request id when it sent one, otherwise a fresh one.
    public var id: String

    public enum Body: Sendable, Equatable {
        case bytes([UInt8])
        case tooLarge(limit: Int)
        case truncated
        case invalidLength
    }

    public init(method: HTTPRequest.Method, path: String, query: String = "", headers: HTTPFields = [:],
                body: [UInt8] = [], clientAddress: String = "127.0.0.1", scheme: String = "http", id: String? = nil) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = .bytes(body)
        self.clientAddress = clientAddress
        self.scheme = scheme
        self.id = id ?? RequestID.make()
    }

    /// The body's bytes; empty when the transport reported a problem (the application answers that first).
    public var bodyBytes: [UInt8] {
        if case .bytes(let b) = body { return b }
        return []
    }

    /// The media type of `Content-Type` without parameters, lowercased (`application/json`).
    public var mediaType: String? {
        guard let value = headers[.contentType] else { return nil }
        let bare = value.split(separator: ";", maxSplits: 1).first.map(String.init) ?? value
        let trimmed = bare.trimmed.lowercased()
        return trimmed.isEmpty ? nil : trimmed
    }

    /// Query parameters, percent-decoded; the last value wins.
    public var queryItems: [String: String] {
        var items: [String: String] = [:]
        for pair in query.split(separator: "&") where !pair.isEmpty {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = Self.formDecode(parts[0])
            items[name] = parts.count > 1 ? Self.formDecode(parts[1]) : ""
        }
        return items
    }

    /// The value of one cookie, if the request carries it.
    public func cookie(named name: String) -> String? {
        for field in headers[values: .cookie] {
            for pair in field.split(separator: ";") {
                let kv = pair.split(separator: "=", maxSplits: 1)
                if kv.count == 2, kv[0].trimmed == name {
                    return kv[1].trimmed
                }
            }
        }
        return nil
    }

    private static func formDecode(_ s: Substring) -> String {
        String(s).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(s)
    }
}

import Foundation

public enum RequestID {
    /// 16 hex characters: enough to tell requests apart in a log, never derived from anything secret.
    public static func make() -> String { Hex.encode(SecureRandom.bytes(8)) }

    /// A web server's request id, kept when it is a plain token (nginx's `$request_id` is 32 hex digits).
    public static func accept(_ candidate: String) -> String? {
        guard (1...64).contains(candidate.utf8.count),
              candidate.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) || $0 == 0x2D })
        else { return nil }
        return candidate
    }
}
