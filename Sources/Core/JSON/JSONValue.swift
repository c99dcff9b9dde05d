import Foundation

/// Any JSON value. The settings document is kept in this form so unknown shapes are reported, not dropped,
/// and so RFC 7396 merge patches apply to exactly what the client sent.
public enum JSONValue: Sendable, Equatable, Codable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let n = try? c.decode(Double.self) { self = .number(n) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else if let o = try? c.decode([String: JSONValue].self) { self = .object(o) }
        else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "not a JSON value")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .number(let n): try c.encode(n)
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }

    /// Parses JSON bytes in one pass (`JSONReader`); nil when they are not JSON or nest deeper than
    /// `JSONReader.defaultMaxDepth`.
    public static func parse(_ bytes: [UInt8]) -> JSONValue? {
        try? JSONReader.parse(bytes)
    }

    /// Compact JSON with sorted keys: the same value always gives the same bytes.
    public var serialized: String { String(decoding: (try? JSON.encode(self)) ?? Array("null".utf8), as: UTF8.self) }

    public var objectValue: [String: JSONValue]? { if case .object(let o) = self { o } else { nil } }
    public var arrayValue: [JSONValue]? { if case .array(let a) = self { a } else { nil } }
    public var stringValue: String? { if case .string(let s) = self { s } else { nil } }
    public var boolValue: Bool? { if case .bool(let b) = self { b } else { nil } }
    public var numberValue: Double? { if case .number(let n) = self { n } else { nil } }
    /// The number when it is integral and fits an `Int` exactly.
    public var intValue: Int? {
        guard case .number(let n) = self, n.rounded() == n, abs(n) < 9_007_199_254_740_992 else { return nil }
        return Int(n)
    }

    /// The member under `key` when this is an object.
    public subscript(_ key: String) -> JSONValue? { objectValue?[key] }

    /// The value at a path of object keys (and array indexes), nil if any step is missing.
    public func value(at path: [String]) -> JSONValue? {
        var current: JSONValue? = self
        for key in path {
            switch current {
            case .object(let o)?: current = o[key]
            case .array(let a)?: current = Int(key).flatMap { a.indices.contains($0) ? a[$0] : nil }
            default: return nil
            }
        }
        return current
    }

    /// A copy with `value` stored at a path of object keys (intermediate objects created); nil removes it.
    public func setting(_ value: JSONValue?, at path: [String]) -> JSONValue {
        guard let first = path.first else { return value ?? .null }
        var object = objectValue ?? [:]
        let child = object[first] ?? .object([:])
        if path.count == 1 {
            object[first] = value
        } else {
            object[first] = child.setting(value, at: Array(path.dropFirst()))
        }
        return .object(object)
    }

    package var kindName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

/// RFC 6901 JSON pointers.
public enum JSONPointer {
    public static func make(_ path: [String]) -> String {
        path.map { "/" + escape($0) }.joined()
    }

    public static func escape(_ token: String) -> String {
        // Byte by byte: Foundation's replacingOccurrences bridges through NSString on Linux and was 7 % of a
        // PATCH's CPU time.
        guard token.utf8.contains(where: { $0 == 0x7E || $0 == 0x2F }) else { return token }
        var out: [UInt8] = []
        out.reserveCapacity(token.utf8.count + 4)
        for byte in token.utf8 {
            switch byte {
            case 0x7E: out += [0x7E, 0x30]   // ~ → ~0
            case 0x2F: out += [0x7E, 0x31]   // / → ~1
            default: out.append(byte)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The pointer's reference tokens, unescaped; nil when it is not a pointer.
    public static func parse(_ pointer: String) -> [String]? {
        if pointer.isEmpty { return [] }
        guard pointer.hasPrefix("/") else { return nil }
        return pointer.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map {
            $0.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
        }
    }
}

/// RFC 7396 JSON Merge Patch: objects merge member by member, `null` deletes, anything else replaces.
public enum MergePatch {
    public static func apply(_ patch: JSONValue, to target: JSONValue) -> JSONValue {
        guard case .object(let patchMembers) = patch else { return patch }
        var result = target.objectValue ?? [:]
        for (name, value) in patchMembers {
            if value == .null {
                result.removeValue(forKey: name)
            } else {
                result[name] = apply(value, to: result[name] ?? .null)
            }
        }
        return .object(result)
    }

    /// Objects from `base` overlaid by `overlay`, recursively; non-object values in `overlay` win.
    /// Used to lay the operator's values over the defaults.
    public static func overlay(_ overlay: JSONValue, on base: JSONValue) -> JSONValue {
        guard case .object(let top) = overlay, case .object(var result) = base else { return overlay }
        for (name, value) in top {
            result[name] = result[name].map { Self.overlay(value, on: $0) } ?? value
        }
        return .object(result)
    }

    /// The pointers of every leaf that differs between two documents (objects compared member by member;
    /// arrays and scalars compared whole).
    public static func changedPaths(from old: JSONValue?, to new: JSONValue?, at path: [String] = []) -> [String] {
        if old == new { return [] }
        // An object that appears or disappears whole counts as each of its leaves.
        let a = old?.objectValue ?? (old == nil ? [:] : nil)
        let b = new?.objectValue ?? (new == nil ? [:] : nil)
        if let a, let b, old?.objectValue != nil || new?.objectValue != nil {
            let names = Set(a.keys).union(b.keys)
            // An empty object that appears or disappears has no leaves: it counts as itself.
            if names.isEmpty { return [JSONPointer.make(path)] }
            return names.sorted().flatMap { changedPaths(from: a[$0], to: b[$0], at: path + [$0]) }
        }
        return [JSONPointer.make(path)]
    }

    /// Removes empty objects left behind by deletions, so a document holds only what was set. The members of the
    /// object at `keepingEmpty` stay even when empty (there an entry's presence is itself the value).
    public static func pruned(_ value: JSONValue, keepingEmpty: [String]? = nil) -> JSONValue {
        guard case .object(let members) = value else { return value }
        var result: [String: JSONValue] = [:]
        for (name, member) in members {
            let keep = keepingEmpty?.isEmpty == true
            let child = pruned(member, keepingEmpty: keepingEmpty?.first == name ? Array(keepingEmpty!.dropFirst()) : nil)
            if !keep, case .object(let o) = child, o.isEmpty { continue }
            result[name] = child
        }
        return .object(result)
    }
}
