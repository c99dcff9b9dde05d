import Accounts
import Core
import Foundation
import Routing

/// `POST /api/route`, checked: every bad field is reported at once, by JSON pointer.
public struct RouteRequest: Sendable, Equatable {
    /// `provider/model`, a bare model id, or an alias.
    public var model: String?
    public var agent: String?
    public var session: String?
    public var runtime: String?
    public var exclude: [String]
    public var withCredential: Bool
    /// A named CLI model selection (`claude-sonnet-4~high`): its model, parameter values and accounts.
    public var selection: String?

    static func check(_ body: JSONValue) -> Result<RouteRequest, RouteService.Failure> {
        guard let object = body.objectValue else {
            return .failure(.invalid([FieldError(pointer: "", code: "type", message: "must be a JSON object")]))
        }
        var errors: [FieldError] = []
        let known: Set<String> = ["model", "alias", "agent", "session", "runtime", "exclude", "withCredential", "selection"]
        for key in object.keys.sorted() where !known.contains(key) {
            errors.append(FieldError(pointer: "/" + JSONPointer.escape(key), code: "unknown_field",
                                     message: "is not a field of a routing request (\(known.sorted().joined(separator: ", ")))"))
        }
        func text(_ name: String, max: Int = 200) -> String? {
            guard let value = object[name] else { return nil }
            // Bytes, not Characters: this runs on every decision.
            guard let s = value.stringValue, !s.utf8.isEmpty, s.utf8.count <= max * 4, s.count <= max,
                  !s.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }), !s.contains(where: \.isNewline) else {
                errors.append(FieldError(pointer: "/\(name)", code: "type", message: "must be a non-empty string of at most \(max) characters on one line"))
                return nil
            }
            guard s.utf8.first == UInt8(ascii: " ") || s.utf8.last == UInt8(ascii: " ") else { return s }
            let trimmed = s.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty {
                errors.append(FieldError(pointer: "/\(name)", code: "type", message: "must be a non-empty string of at most \(max) characters on one line"))
                return nil
            }
            return trimmed
        }
        let model = text("model"), alias = text("alias")
        if model != nil && alias != nil {
            errors.append(FieldError(pointer: "/alias", code: "conflict", message: "give model or alias, not both"))
        }
        let selection = text("selection", max: 100)
        if selection != nil && (model != nil || alias != nil) {
            errors.append(FieldError(pointer: "/selection", code: "conflict", message: "give a model or a selection, not both"))
        }
        let agent = text("agent", max: 64)
        if let agent, agent.wholeMatch(of: #/^[a-z0-9][a-z0-9_-]{0,63}$/#) == nil {
            errors.append(FieldError(pointer: "/agent", code: "invalid_format", message: "must be an agent id: lower-case letters, digits, - and _"))
        }
        let session = text("session", max: 256)
        let runtime = text("runtime", max: 64)
        var exclude: [String] = []
        if let value = object["exclude"] {
            if let items = value.arrayValue, items.count <= 100 {
                for (i, item) in items.enumerated() {
                    if let s = item.stringValue, AccountRules.isAccountID(s) { exclude.append(s) } else {
                        errors.append(FieldError(pointer: "/exclude/\(i)", code: "type", message: "must be an account id"))
                    }
                }
            } else {
                errors.append(FieldError(pointer: "/exclude", code: "type", message: "must be an array of at most 100 account ids"))
            }
        }
        var withCredential = false
        if let value = object["withCredential"] {
            if let b = value.boolValue { withCredential = b } else {
                errors.append(FieldError(pointer: "/withCredential", code: "type", message: "must be true or false"))
            }
        }
        guard errors.isEmpty else { return .failure(.invalid(errors)) }
        return .success(RouteRequest(model: model ?? alias, agent: agent, session: session, runtime: runtime, exclude: exclude,
                                     withCredential: withCredential, selection: selection))
    }
}

/// `POST /api/route/outcome`, checked.
public struct OutcomeReport: Sendable, Equatable {
    public var decisionID: String
    public var outcome: RouteOutcome
    public var httpStatus: Int?
    public var retryAfter: Duration?
    public var headers: [String: String]

    static func check(_ body: JSONValue) -> Result<OutcomeReport, RouteService.Failure> {
        guard let object = body.objectValue else {
            return .failure(.invalid([FieldError(pointer: "", code: "type", message: "must be a JSON object")]))
        }
        var errors: [FieldError] = []
        let known: Set<String> = ["decisionId", "outcome", "httpStatus", "retryAfter", "headers"]
        for key in object.keys.sorted() where !known.contains(key) {
            errors.append(FieldError(pointer: "/" + JSONPointer.escape(key), code: "unknown_field",
                                     message: "is not a field of an outcome (\(known.sorted().joined(separator: ", ")))"))
        }
        let decision = object["decisionId"]?.stringValue
        if decision == nil || decision!.wholeMatch(of: #/^dec_[A-Za-z0-9_-]{8,64}$/#) == nil {
            errors.append(FieldError(pointer: "/decisionId", code: object["decisionId"] == nil ? "required" : "invalid_format",
                                     message: "must be the decisionId a POST /api/route answered"))
        }
        let outcome = object["outcome"]?.stringValue.flatMap(RouteOutcome.init(rawValue:))
        if outcome == nil {
            errors.append(FieldError(pointer: "/outcome", code: object["outcome"] == nil ? "required" : "invalid_value",
                                     message: "must be one of \(RouteOutcome.allCases.map(\.rawValue).joined(separator: ", "))"))
        }
        var status: Int?
        if let value = object["httpStatus"] {
            if let n = value.intValue, (100...599).contains(n) { status = n } else {
                errors.append(FieldError(pointer: "/httpStatus", code: "out_of_range", message: "must be an HTTP status from 100 to 599"))
            }
        }
        var retryAfter: Duration?
        if let value = object["retryAfter"] {
            if let n = value.numberValue, n >= 0, n <= 7 * 86400 { retryAfter = .milliseconds(Int64(n * 1000)) } else {
                errors.append(FieldError(pointer: "/retryAfter", code: "out_of_range", message: "must be seconds from 0 to 604800"))
            }
        }
        var headers: [String: String] = [:]
        if let value = object["headers"] {
            if let members = value.objectValue, members.count <= 200 {
                for (name, v) in members.sorted(by: { $0.key < $1.key }) {
                    if let s = v.stringValue, s.count <= 1024, name.count <= 128 { headers[name] = s } else if let n = v.numberValue, name.count <= 128 {
                        // Whole numbers as integers where they fit (a header says `30`, not `30.0`); any other as written.
                        headers[name] = n == n.rounded() && abs(n) < 9.0e15 ? String(Int64(n)) : String(n)
                    } else {
                        errors.append(FieldError(pointer: "/headers/" + JSONPointer.escape(name), code: "type", message: "must be a header value (a string of at most 1024 characters)"))
                    }
                }
            } else {
                errors.append(FieldError(pointer: "/headers", code: "type", message: "must be an object of at most 200 response headers, name to value"))
            }
        }
        guard errors.isEmpty, let decision, let outcome else { return .failure(.invalid(errors)) }
        return .success(OutcomeReport(decisionID: decision, outcome: outcome, httpStatus: status, retryAfter: retryAfter, headers: headers))
    }
}
