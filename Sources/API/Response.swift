import Core
import Foundation
import HTTPTypes

/// An HTTP response: status, headers, body.
public struct Response: Sendable {
    public var status: HTTPResponse.Status
    public var headers: HTTPFields
    public var body: [UInt8]

    public init(status: HTTPResponse.Status, headers: HTTPFields = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public static func noContent(headers: HTTPFields = [:]) -> Response {
        Response(status: .noContent, headers: headers)
    }

    /// A JSON body (`application/json`) encoded with `JSON.encode`.
    public static func json<Value: Encodable>(_ value: Value, status: HTTPResponse.Status = .ok,
                                              headers: HTTPFields = [:]) throws -> Response {
        var headers = headers
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: try JSON.encode(value))
    }

    /// The body as UTF-8 text (tests and logs).
    public var text: String { String(decoding: body, as: UTF8.self) }
}

/// Reading request bodies: the decoder's and the reader's errors become 400 problems that say where.
extension JSON {
    /// Decodes a request body; a malformed or mistyped body becomes a 400 problem that says where.
    public static func decode<Value: Decodable>(_ type: Value.Type, from request: Request) throws -> Value {
        let bytes = request.bodyBytes
        guard !bytes.isEmpty else {
            throw Problem(.badRequest, type: "body-required", title: "A JSON body is required")
        }
        // The one-pass reader first: it refuses deep nesting and malformed text at a cost proportional to the
        // size, before the decoder (whose errors name the field) sees the body.
        _ = try parsed(bytes)
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        do {
            return try decoder.decode(type, from: Data(bytes))
        } catch let DecodingError.keyNotFound(key, context) {
            throw Problem.invalidBody(pointer: pointer(context.codingPath + [key]), message: "is required")
        } catch let DecodingError.typeMismatch(expected, context) {
            throw Problem.invalidBody(pointer: pointer(context.codingPath), message: "must be \(describe(expected))")
        } catch let DecodingError.valueNotFound(expected, context) {
            throw Problem.invalidBody(pointer: pointer(context.codingPath), message: "must be \(describe(expected)), not null")
        } catch let DecodingError.dataCorrupted(context) where !context.codingPath.isEmpty {
            throw Problem.invalidBody(pointer: pointer(context.codingPath), message: "has an invalid value")
        } catch {
            throw Problem(.badRequest, type: "malformed-json", title: "The body is not valid JSON")
        }
    }

    /// The body as any JSON value (merge patches, account bodies checked field by field); 400 when it is
    /// empty or not JSON.
    public static func value(from request: Request, missing: String = "A JSON body is required") throws -> JSONValue {
        let bytes = request.bodyBytes
        guard !bytes.isEmpty else { throw Problem(.badRequest, type: "body-required", title: missing) }
        return try parsed(bytes)
    }

    /// Parses a body with `JSONReader`: 400 `malformed-json` saying where, or 400 `json-too-deep`.
    static func parsed(_ bytes: [UInt8]) throws -> JSONValue {
        do {
            return try JSONReader.parse(bytes)
        } catch {
            switch error.kind {
            case .tooDeep(let limit):
                throw Problem(.badRequest, type: "json-too-deep", title: "The body nests too deeply",
                              detail: "Objects and arrays may nest at most \(limit) levels deep.")
            case .syntax:
                throw Problem(.badRequest, type: "malformed-json", title: "The body is not valid JSON",
                              detail: "The body is not valid JSON \(error.description).")
            }
        }
    }

    /// RFC 6901 JSON pointer for a decoding path.
    static func pointer(_ path: [any CodingKey]) -> String {
        path.map { key in
            "/" + (key.intValue.map(String.init) ?? key.stringValue)
                .replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
        }.joined()
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "a boolean"
        case is Int.Type, is Double.Type: "a number"
        default: "of type \(type)"
        }
    }
}
