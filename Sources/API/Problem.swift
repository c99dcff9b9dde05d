import Core
import HTTPTypes

/// An RFC 9457 problem detail. Thrown by handlers and turned into an `application/problem+json` answer.
///
/// `type` is stable: clients (the settings page, scripts) branch on it, never on `title` or `detail`.
public struct Problem: Error, Sendable, Encodable, Equatable {
    public static let typePrefix = "urn:switchboard:problem:"

    public var status: HTTPResponse.Status
    /// The short stable name (`unauthorized`); encoded as `urn:switchboard:problem:<slug>`.
    public var slug: String
    public var title: String
    public var detail: String?
    /// Every bad field, by JSON pointer (422 and 400 for a body).
    public var errors: [FieldError]?
    /// Extra response headers (`Allow`, `Retry-After`, `WWW-Authenticate`).
    public var headers: HTTPFields
    /// RFC 9457 extension members (`currentRevision` on a 412).
    public var members: [String: JSONValue]

    public init(_ status: HTTPResponse.Status, type slug: String, title: String, detail: String? = nil,
                errors: [FieldError]? = nil, headers: HTTPFields = [:], members: [String: JSONValue] = [:]) {
        self.status = status
        self.slug = slug
        self.title = title
        self.detail = detail
        self.errors = errors
        self.headers = headers
        self.members = members
    }

    public var type: String { Self.typePrefix + slug }

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ s: String) { stringValue = s }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        for (name, value) in members { try c.encode(value, forKey: Key(name)) }
        try c.encode(type, forKey: Key("type"))
        try c.encode(title, forKey: Key("title"))
        try c.encode(status.code, forKey: Key("status"))
        try c.encodeIfPresent(detail, forKey: Key("detail"))
        if let errors {
            // A body with a hundred thousand unknown members would otherwise be answered with a hundred
            // thousand errors: the answer, and the work of writing it, stays bounded whatever was sent.
            try c.encode(Array(errors.prefix(Self.maxErrors)), forKey: Key("errors"))
            if errors.count > Self.maxErrors { try c.encode(errors.count - Self.maxErrors, forKey: Key("moreErrors")) }
        }
    }

    /// The most field errors one answer lists; `moreErrors` says how many were left out.
    public static let maxErrors = FieldError.maxListed

    public var response: Response {
        var headers = self.headers
        headers[.contentType] = "application/problem+json"
        // Encoding a struct of strings cannot fail; keep a valid body even if it somehow did.
        let body = (try? JSON.encode(self)) ?? Array(#"{"title":"Internal error","status":500}"#.utf8)
        return Response(status: status, headers: headers, body: body)
    }
}

extension Problem {
    static func invalidBody(pointer: String, message: String) -> Problem {
        Problem(.badRequest, type: "invalid-body", title: "The body does not have the expected shape",
                detail: "\(pointer.isEmpty ? "the body" : pointer) \(message)",
                errors: [FieldError(pointer: pointer, code: "invalid", message: message)])
    }

    public static let unauthorized = Problem(
        .unauthorized, type: "unauthorized", title: "Sign-in required",
        detail: "Send `Authorization: Bearer <token>` or sign in with POST /api/session.",
        headers: [.wwwAuthenticate: #"Bearer realm="switchboard""#])

    public static let internalError = Problem(
        .internalServerError, type: "internal", title: "Internal error",
        detail: "The request could not be completed. The server log has the details under this request's id.")
}
