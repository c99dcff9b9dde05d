import Core
import Foundation

/// A setting a CLI takes for a model, typed so the page can draw it and the API can check it, with the
/// hidden mapping to how this CLI takes it.
public struct ToolParameter: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable { case enumeration = "enum", number, boolean, string }

    public struct Option: Sendable, Codable, Equatable {
        public var value: String
        public var label: String
        public var description: String?

        public init(value: String, label: String? = nil, description: String? = nil) {
            self.value = value
            self.label = label ?? Self.label(for: value)
            self.description = description
        }

        enum CodingKeys: String, CodingKey { case value, label, description }

        /// A shipped data file may leave the label out: it is made from the value.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            self.init(value: try c.decode(String.self, forKey: .value), label: try c.decodeIfPresent(String.self, forKey: .label),
                      description: try c.decodeIfPresent(String.self, forKey: .description))
        }

        /// `xhigh` → "Extra high", `medium` → "Medium".
        static func label(for value: String) -> String {
            let known = ["xhigh": "Extra high", "xlow": "Extra low", "none": "None"]
            if let l = known[value.lowercased()] { return l }
            return value.prefix(1).uppercased() + value.dropFirst().lowercased()
        }
    }

    /// How the CLI takes the value. `{value}` in a template is replaced by it (a boolean's flag is given only
    /// when it is true and has no `{value}`).
    public enum Mapping: Sendable, Codable, Equatable {
        /// Arguments added to argv: `["-c", "model_reasoning_effort={value}"]`, `["--effort", "{value}"]`.
        case flag([String])
        /// An environment variable: `MAX_THINKING_TOKENS` = `{value}`.
        case environment(name: String, template: String)
        /// A settings file entry, by JSON pointer, in a file Switchboard writes for the run (gemini's thinking).
        case settings(pointer: String)

        enum CodingKeys: String, CodingKey { case flag, env, value, settings }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            if let f = try c.decodeIfPresent([String].self, forKey: .flag) { self = .flag(f); return }
            if let e = try c.decodeIfPresent(String.self, forKey: .env) {
                self = .environment(name: e, template: try c.decodeIfPresent(String.self, forKey: .value) ?? "{value}")
                return
            }
            if let s = try c.decodeIfPresent(String.self, forKey: .settings) { self = .settings(pointer: s); return }
            throw DecodingError.dataCorruptedError(forKey: .flag, in: c, debugDescription: "a mapping is flag, env or settings")
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            switch self {
            case .flag(let f): try c.encode(f, forKey: .flag)
            case .environment(let n, let t): try c.encode(n, forKey: .env); try c.encode(t, forKey: .value)
            case .settings(let p): try c.encode(p, forKey: .settings)
            }
        }
    }

    public var name: String
    public var label: String
    public var description: String?
    public var type: Kind
    public var options: [Option]?
    public var minimum: Double?
    public var maximum: Double?
    /// Numbers only: whole numbers.
    public var integer: Bool?
    /// Strings only.
    public var maxLength: Int?
    /// What the CLI does when the parameter is not given (shown, never sent).
    public var defaultValue: JSONValue?
    public var mapping: Mapping

    enum CodingKeys: String, CodingKey {
        case name, label, description, type, options, minimum, maximum, integer, maxLength, mapping
        case defaultValue = "default"
    }

    public init(name: String, label: String, description: String? = nil, type: Kind, options: [Option]? = nil, minimum: Double? = nil,
                maximum: Double? = nil, integer: Bool? = nil, maxLength: Int? = nil, defaultValue: JSONValue? = nil, mapping: Mapping) {
        self.name = name; self.label = label; self.description = description; self.type = type; self.options = options
        self.minimum = minimum; self.maximum = maximum; self.integer = integer; self.maxLength = maxLength
        self.defaultValue = defaultValue; self.mapping = mapping
    }

    /// The value as the CLI takes it, or why it cannot be.
    public func check(_ value: JSONValue) -> Checked<String> {
        let pointer = "/parameterValues/" + JSONPointer.escape(name)
        func bad(_ code: String, _ message: String) -> Checked<String> {
            .invalid([FieldError(pointer: pointer, code: code, message: message)])
        }
        switch type {
        case .enumeration:
            let values = (options ?? []).map(\.value)
            guard let s = value.stringValue else { return bad("type", "must be one of \(values.joined(separator: ", "))") }
            guard values.contains(s) else { return bad("invalid_value", "must be one of \(values.joined(separator: ", ")); \(s) is not") }
            return .valid(s)
        case .number:
            guard let n = value.numberValue, n.isFinite else { return bad("type", "must be a number\(rangeText)") }
            if integer == true && n.rounded() != n { return bad("invalid_value", "must be a whole number\(rangeText)") }
            if let minimum, n < minimum { return bad("out_of_range", "must be at least \(Self.format(minimum))") }
            if let maximum, n > maximum { return bad("out_of_range", "must be at most \(Self.format(maximum))") }
            return .valid(Self.format(n))
        case .boolean:
            guard let b = value.boolValue else { return bad("type", "must be true or false") }
            return .valid(b ? "true" : "false")
        case .string:
            guard let s = value.stringValue else { return bad("type", "must be a string") }
            let limit = maxLength ?? 2000
            if s.count > limit { return bad("too_long", "must be at most \(limit) characters") }
            // One argv item or environment value: a NUL would cut it, and control characters have no place in one.
            if s.unicodeScalars.contains(where: { $0.value < 0x20 && $0 != "\n" && $0 != "\t" || $0.value == 0x7F }) {
                return bad("invalid_format", "must not contain control characters")
            }
            return .valid(s)
        }
    }

    var rangeText: String {
        switch (minimum, maximum) {
        case let (lo?, hi?): return " from \(Self.format(lo)) to \(Self.format(hi))"
        case let (lo?, nil): return " of at least \(Self.format(lo))"
        case let (nil, hi?): return " of at most \(Self.format(hi))"
        default: return ""
        }
    }

    static func format(_ n: Double) -> String {
        n.rounded() == n && abs(n) < 1e15 ? String(Int64(n)) : String(n)
    }
}

/// A model a CLI offers, with the parameters it takes.
public struct ToolModel: Sendable, Codable, Equatable {
    public var id: String
    public var name: String
    public var description: String?
    public var contextWindow: Int?
    public var maxOutputTokens: Int?
    public var isDefault: Bool?
    public var parameters: [ToolParameter]

    public init(id: String, name: String, description: String? = nil, contextWindow: Int? = nil, maxOutputTokens: Int? = nil,
                isDefault: Bool? = nil, parameters: [ToolParameter]) {
        self.id = id; self.name = name; self.description = description; self.contextWindow = contextWindow
        self.maxOutputTokens = maxOutputTokens; self.isDefault = isDefault; self.parameters = parameters
    }

    public func parameter(_ name: String) -> ToolParameter? { parameters.first { $0.name == name } }
}

/// A CLI's models as last synced: read from the CLI itself, or from a data file shipped with the catalog.
public struct ToolModelSet: Sendable, Codable, Equatable {
    public var models: [ToolModel]
    /// `cli` (the CLI listed them) or `data` (a shipped file).
    public var source: String
    /// The CLI version they were read from, or that the shipped file was written for.
    public var version: String?
    /// For `settings` mappings: the settings file every run starts from (`{model}` is the model id), and the
    /// name `--model` then takes (an alias the file defines), if not the model id.
    public var settingsBase: JSONValue?
    public var settingsModelName: String?

    public init(models: [ToolModel], source: String, version: String?, settingsBase: JSONValue? = nil, settingsModelName: String? = nil) {
        self.models = models; self.source = source; self.version = version
        self.settingsBase = settingsBase; self.settingsModelName = settingsModelName
    }

    public func model(_ id: String) -> ToolModel? { models.first { $0.id == id } }
}

/// Checks parameter values against a model: every bad value is reported, by pointer.
public enum ParameterValues {
    public static func check(_ values: [String: JSONValue], for model: ToolModel) -> Checked<[String: String]> {
        var errors: [FieldError] = []
        var checked: [String: String] = [:]
        for (name, value) in values.sorted(by: { $0.key < $1.key }) {
            guard let p = model.parameter(name) else {
                let known = model.parameters.map(\.name)
                errors.append(FieldError(pointer: "/parameterValues/" + JSONPointer.escape(name), code: "unknown_parameter",
                                         message: known.isEmpty ? "\(model.id) takes no parameters"
                                                                : "is not a parameter of \(model.id) (\(known.joined(separator: ", ")))"))
                continue
            }
            if value == .null { continue }
            switch p.check(value) {
            case .valid(let s): checked[name] = s
            case .invalid(let e): errors += e
            }
        }
        return errors.isEmpty ? .valid(checked) : .invalid(errors)
    }
}

/// A checked value, or every reason it is not one (FieldError is not an Error: it is data for a 422).
public enum Checked<Value: Sendable>: Sendable {
    case valid(Value)
    case invalid([FieldError])
}
