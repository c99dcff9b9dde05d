import Auth
import HTTPTypes

/// Who may call a route.
public enum Access: Sendable {
    /// Anybody (health).
    case open
    /// Anybody, but every request tries a secret (an admin token at sign-in, a pairing code, an OAuth state):
    /// failures count against the caller's address, and an address that failed too often is refused (429)
    /// before its body is read.
    case guarded
    /// An admin: a bearer token or a session cookie (with the CSRF rule for non-GET requests).
    case admin
    /// An agent runtime asking for routing: a runtime token, or an admin token (which is never handed a
    /// credential). Bearer only.
    case runtime
}

/// What a handler gets besides the request.
public struct RequestContext: Sendable {
    public var requestID: String
    public var parameters: Parameters
    /// Who is calling; nil on open routes without credentials.
    public var principal: Principal?

    public init(requestID: String, parameters: Parameters = Parameters([:]), principal: Principal? = nil) {
        self.requestID = requestID
        self.parameters = parameters
        self.principal = principal
    }

    /// The caller on an admin route (the application authenticated it before the handler ran).
    public func requirePrincipal() throws -> Principal {
        guard let principal else { throw Problem.unauthorized }
        return principal
    }
}

/// Path parameters, percent-decoded.
public struct Parameters: Sendable {
    private let values: [String: String]
    public init(_ values: [String: String]) { self.values = values }

    public subscript(_ name: String) -> String? { values[name] }

    /// The parameter, or a 404: a route only matches when it is present, so absence means a bad route table.
    public func require(_ name: String) throws -> String {
        guard let value = values[name] else { throw Problem(.notFound, type: "not-found", title: "Not found") }
        return value
    }
}

public typealias Handler = @Sendable (Request, RequestContext) async throws -> Response

/// One endpoint: method, path template (`/api/accounts/{id}`), who may call it and which bodies it takes.
public struct Route: Sendable {
    public let method: HTTPRequest.Method
    public let path: String
    public let access: Access
    /// Media types accepted for the body of POST/PUT/PATCH; empty when the route takes no body.
    public let consumes: [String]
    let segments: [Segment]
    package let handler: Handler

    enum Segment: Sendable, Equatable {
        case literal(String)
        case parameter(String)
    }
}

/// Collects a controller's endpoints so one glance shows the surface:
/// `routes.get("/api/health", access: .open, health).post("/api/session", access: .open, signIn)`.
public final class Routes {
    private(set) var all: [Route] = []

    public init() {}

    @discardableResult
    public func on(_ method: HTTPRequest.Method, _ path: String, access: Access = .admin,
                   consumes: [String] = [], _ handler: @escaping Handler) -> Routes {
        let segments = path.split(separator: "/").map { part -> Route.Segment in
            if part.hasPrefix("{") && part.hasSuffix("}") { return .parameter(String(part.dropFirst().dropLast())) }
            return .literal(String(part))
        }
        all.append(Route(method: method, path: path, access: access, consumes: consumes, segments: segments, handler: handler))
        return self
    }

    @discardableResult
    public func get(_ path: String, access: Access = .admin, _ handler: @escaping Handler) -> Routes {
        on(.get, path, access: access, handler)
    }

    @discardableResult
    public func post(_ path: String, access: Access = .admin, consumes: [String] = ["application/json"],
                     _ handler: @escaping Handler) -> Routes {
        on(.post, path, access: access, consumes: consumes, handler)
    }

    @discardableResult
    public func put(_ path: String, access: Access = .admin, consumes: [String] = ["application/json"],
                    _ handler: @escaping Handler) -> Routes {
        on(.put, path, access: access, consumes: consumes, handler)
    }

    @discardableResult
    public func patch(_ path: String, access: Access = .admin, consumes: [String],
                      _ handler: @escaping Handler) -> Routes {
        on(.patch, path, access: access, consumes: consumes, handler)
    }

    @discardableResult
    public func delete(_ path: String, access: Access = .admin, _ handler: @escaping Handler) -> Routes {
        on(.delete, path, access: access, handler)
    }
}

/// Matches a method and path to a route. Immutable once built.
public struct Router: Sendable {
    public let routes: [Route]
    /// Routes without parameters by exact path: most requests are found with one hash lookup.
    private let literal: [String: [Route]]

    public init(_ routes: Routes) {
        self.routes = routes.all
        var literal: [String: [Route]] = [:]
        for route in routes.all where route.segments.allSatisfy({ if case .literal = $0 { true } else { false } }) {
            literal[route.path, default: []].append(route)
        }
        self.literal = literal
    }

    public enum Match: Sendable {
        case found(Route, Parameters)
        case notFound
        /// The path exists with other methods; `allow` lists them for the `Allow` header.
        case methodNotAllowed(allow: [HTTPRequest.Method])
    }

    public func match(_ method: HTTPRequest.Method, _ path: String) -> Match {
        // A path that is a literal route is that resource, whatever the method: with another method it is a 405
        // listing its own methods, never a parameter route that happens to fit ("/api/pairing/complete" is not
        // the pairing with the id "complete").
        if let candidates = literal[path] {
            if let route = candidates.first(where: { $0.method == method }) ?? (method == .head ? candidates.first(where: { $0.method == .get }) : nil) {
                return .found(route, Parameters([:]))
            }
            return .methodNotAllowed(allow: Self.allowed(candidates.map(\.method)))
        }
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        // "/api/x/" and "/api//x" are different paths from "/api/x": no route has empty segments.
        guard path.hasPrefix("/"), !parts.contains(where: \.isEmpty) else { return .notFound }
        var allowed: [HTTPRequest.Method] = []
        // Where a literal and a parameter both fit ("/api/pairing/complete", "/api/pairing/{id}"), the route
        // with more literal segments wins.
        var best: (route: Route, params: [String: String], literals: Int)?
        for route in routes where route.segments.count == parts.count {
            var params: [String: String] = [:]
            var literals = 0
            var matched = true
            for (segment, part) in zip(route.segments, parts) {
                switch segment {
                case .literal(let literal):
                    if literal == part { literals += 1 } else { matched = false }
                case .parameter(let name):
                    if let decoded = String(part).removingPercentEncoding, !decoded.isEmpty {
                        params[name] = decoded
                    } else {
                        matched = false
                    }
                }
                if !matched { break }
            }
            guard matched else { continue }
            if route.method == method || (method == .head && route.method == .get) {
                if best == nil || literals > best!.literals { best = (route, params, literals) }
            } else if !allowed.contains(route.method) {
                allowed.append(route.method)
            }
        }
        if let best { return .found(best.route, Parameters(best.params)) }
        if allowed.isEmpty { return .notFound }
        return .methodNotAllowed(allow: Self.allowed(allowed))
    }

    /// The methods for an `Allow` header: each once, HEAD wherever GET is.
    private static func allowed(_ methods: [HTTPRequest.Method]) -> [HTTPRequest.Method] {
        var allow: [HTTPRequest.Method] = []
        for method in methods where !allow.contains(method) { allow.append(method) }
        if allow.contains(.get) && !allow.contains(.head) { allow.append(.head) }
        return allow
    }
}

import Foundation
