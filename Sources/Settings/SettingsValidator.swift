import Core
import Foundation

/// One finding about one field: an error (the change is refused) or a warning (it is saved, and said).
public struct SettingsIssue: Sendable, Equatable, Codable {
    public var pointer: String
    public var code: String
    public var message: String

    public init(_ pointer: String, _ code: String, _ message: String) {
        self.pointer = pointer
        self.code = code
        self.message = message
    }
}

/// A model reference after aliases are resolved: `provider/model`, with the catalog's facts when known.
public struct ResolvedModel: Sendable, Equatable {
    public var provider: String
    public var model: String
    public var facts: ModelFacts?
    public var reference: String { "\(provider)/\(model)" }
}

/// Checks a whole settings document (defaults already laid under the operator's values) and resolves its
/// model references. Every problem is collected; nothing stops at the first.
package struct SettingsValidator {
    let directory: any ModelDirectory
    /// The document as it was before this change: references and caps it already had are reported as
    /// warnings, not errors, so a model leaving the catalog never locks the operator out of other edits.
    let baseline: JSONValue?

    private(set) var errors: [SettingsIssue] = []
    private(set) var warnings: [SettingsIssue] = []
    /// The Response lengths (the defaults' or an agent's) that only a change of the text model they apply to
    /// pushed above that model's cap: each is lowered to the cap, with a warning.
    private(set) var maxTokensToLower: [MaxTokensCap] = []

    struct MaxTokensCap: Equatable {
        var path: [String]
        var cap: Int
        /// The model whose maximum output it is, `provider/model`.
        var model: String
    }

    private var secretPointers: Set<String> = []
    private var references: [(pointer: String, path: [String], value: String)] = []

    /// `[a-z][A-Za-z0-9_-]{0,63}`: canonical provider ids (`openai`, `azureOpenai`) and custom ones.
    package static func isProviderID(_ s: String) -> Bool { matches(s, first: isLower, rest: { isAlnum($0) || $0 == 0x5F || $0 == 0x2D }) }
    /// `[A-Za-z0-9][A-Za-z0-9._-]{0,63}`: no slash, so an alias never looks like `provider/model`.
    static func isAlias(_ s: String) -> Bool { matches(s, first: isAlnum, rest: { isAlnum($0) || $0 == 0x2E || $0 == 0x5F || $0 == 0x2D }) }
    /// `[A-Za-z][A-Za-z0-9_]{0,63}`.
    static func isParameterName(_ s: String) -> Bool { matches(s, first: isLetter, rest: { isAlnum($0) || $0 == 0x5F }) }
    /// `[a-z0-9][a-z0-9_-]{0,63}`: an agent id is a slug, so it reads the same in a URL, a log line and a file name.
    package static func isAgentID(_ s: String) -> Bool {
        matches(s, first: { isLower($0) || isDigit($0) }, rest: { isLower($0) || isDigit($0) || $0 == 0x5F || $0 == 0x2D })
    }

    private static func isLower(_ c: UInt8) -> Bool { c >= 0x61 && c <= 0x7A }
    private static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
    private static func isLetter(_ c: UInt8) -> Bool { isLower(c) || (c >= 0x41 && c <= 0x5A) }
    private static func isAlnum(_ c: UInt8) -> Bool { isLetter(c) || isDigit(c) }
    private static func matches(_ s: String, first: (UInt8) -> Bool, rest: (UInt8) -> Bool) -> Bool {
        let bytes = Array(s.utf8)
        guard let head = bytes.first, bytes.count <= 64, first(head) else { return false }
        return bytes.dropFirst().allSatisfy(rest)
    }
    static let maxParametersBytes = 4096

    init(directory: any ModelDirectory, baseline: JSONValue?) {
        self.directory = directory
        self.baseline = baseline
    }

    // MARK: Shape

    mutating func check(_ document: JSONValue) {
        for pointer in secrets(in: document) {
            secretPointers.insert(pointer)
            error(pointer, "secret_not_allowed",
                  "This looks like a secret (an API key, token, password or private key). Secrets never go into the settings document: store them with \(SecretDetector.credentialAPI).")
        }
        walk(document, SettingsSchema.root, [])
        checkRelations(document)
    }

    /// The detector's findings, except that an agent id is a name the operator picks, not a member that holds a
    /// credential: `auth` or `github-token` is an agent, and what its entry holds is scanned like everything else.
    private func secrets(in document: JSONValue) -> [String] {
        let detector = directory.secretDetector
        return detector.scan(document).flatMap { pointer -> [String] in
            guard let path = JSONPointer.parse(pointer), path.count == 3, Array(path.prefix(2)) == SettingsSchema.agentEntriesPath,
                  Self.isAgentID(path[2]), let entry = document.value(at: path) else { return [pointer] }
            return detector.scan(entry).map { pointer + $0 }
        }
    }

    private mutating func error(_ pointer: String, _ code: String, _ message: String) {
        errors.append(SettingsIssue(pointer, code, message))
    }

    private mutating func warn(_ pointer: String, _ code: String, _ message: String) {
        warnings.append(SettingsIssue(pointer, code, message))
    }

    private mutating func walk(_ value: JSONValue, _ node: SettingNode, _ path: [String]) {
        let pointer = JSONPointer.make(path)
        if secretPointers.contains(pointer) { return }
        switch node.kind {
        case .object(let children, let extra):
            guard case .object(let members) = value else {
                return error(pointer, "type", "must be an object, not \(value.kindName)")
            }
            for name in members.keys.sorted() {
                let member = members[name]!
                let childPath = path + [name]
                if let child = children.first(where: { $0.name == name }) {
                    walk(member, child, childPath)
                    continue
                }
                let childPointer = JSONPointer.make(childPath)
                if secretPointers.contains(childPointer) { continue }
                switch extra {
                case .none:
                    // Suggestions only while the answer still lists errors (FieldError.maxListed): a patch of
                    // 80 000 unknown members must not cost 80 000 edit-distance searches.
                    let unknown = Self.unknownKey(name, among: children, suggest: errors.count < FieldError.maxListed)
                    error(childPointer, unknown.code, unknown.message)
                case .parameters:
                    if !Self.isParameterName(name) {
                        error(childPointer, Self.invalidParameterName.code, Self.invalidParameterName.message)
                    }
                case .entries(let key, let entry, _):
                    guard Self.isEntryKey(name, key) else {
                        let invalid = Self.invalidEntryKey(key)
                        error(childPointer, invalid.code, invalid.message)
                        continue
                    }
                    walk(member, SettingNode(name, .object(entry)), childPath)
                }
            }
            if case .parameters = extra, value.serialized.utf8.count > Self.maxParametersBytes {
                error(pointer, "too_large", "parameters may take at most \(Self.maxParametersBytes) bytes of JSON")
            }
            if case .entries(_, _, let maxCount?) = extra, members.count > maxCount {
                error(pointer, "too_many", "may hold at most \(maxCount) entries (it has \(members.count))")
            }

        case .enumeration(let allowed):
            guard let s = value.stringValue, allowed.contains(s) else {
                return error(pointer, "not_allowed", "must be one of: \(allowed.joined(separator: ", "))")
            }

        case .integer(let min, let max):
            guard let n = value.intValue else {
                return error(pointer, "type", "must be a whole number, not \(value.kindName == "a number" ? "a fraction" : value.kindName)")
            }
            if n < min || n > max { error(pointer, "out_of_range", "must be between \(min) and \(max)") }

        case .number(let min, let max):
            guard let n = value.numberValue else { return error(pointer, "type", "must be a number, not \(value.kindName)") }
            if n < min || n > max { error(pointer, "out_of_range", "must be between \(Self.format(min)) and \(Self.format(max))") }

        case .boolean:
            if value.boolValue == nil { error(pointer, "type", "must be true or false, not \(value.kindName)") }

        case .text(let maxLength):
            guard let s = value.stringValue else { return error(pointer, "type", "must be a string, not \(value.kindName)") }
            if s.count > maxLength { error(pointer, "too_long", "may be at most \(maxLength) characters (it has \(s.count))") }

        case .modelReference:
            guard let s = value.stringValue else { return error(pointer, "type", "must be a model reference string, not \(value.kindName)") }
            checkReferenceSyntax(s, pointer: pointer, path: path)

        case .modelReferenceList(let maxCount):
            guard case .array(let items) = value else { return error(pointer, "type", "must be an array of model references, not \(value.kindName)") }
            if items.count > maxCount { error(pointer, "too_many", "may list at most \(maxCount) models") }
            for (index, item) in items.enumerated() {
                let itemPointer = JSONPointer.make(path + [String(index)])
                if secretPointers.contains(itemPointer) { continue }
                guard let s = item.stringValue else {
                    error(itemPointer, "type", "must be a model reference string, not \(item.kindName)"); continue
                }
                checkReferenceSyntax(s, pointer: itemPointer, path: path + [String(index)])
            }

        case .providerID:
            guard let s = value.stringValue else { return error(pointer, "type", "must be a provider id string, not \(value.kindName)") }
            guard let provider = directory.provider(s) else {
                return error(pointer, "unknown_provider", "is not a provider in the catalog")
            }
            if path.last == "mainCcsdkProvider" && !provider.runsClaudeCodeSDK {
                error(pointer, "not_sdk_provider", "\(provider.name) cannot run the Claude Code SDK; choose Anthropic, Bedrock, Vertex AI or a compatible provider")
            }

        case .timeOfDay(let allowsEndOfDay):
            guard let s = value.stringValue, Self.minutes(ofDay: s, allowsEndOfDay: allowsEndOfDay) != nil else {
                return error(pointer, "invalid_format", allowsEndOfDay ? "must be a time HH:MM between 00:00 and 24:00" : "must be a time HH:MM between 00:00 and 23:59")
            }

        case .timeZone:
            guard let s = value.stringValue, !s.isEmpty, s.count <= 64, TimeZone(identifier: s) != nil else {
                return error(pointer, "invalid_format", "must be an IANA time zone such as Europe/Berlin or UTC")
            }

        case .alias:
            guard let s = value.stringValue, Self.isAlias(s) else {
                return error(pointer, "invalid_format", "an alias is 1–64 letters, digits, dots, dashes or underscores, starting with a letter or digit (no slash)")
            }
        }
    }

    private mutating func checkReferenceSyntax(_ s: String, pointer: String, path: [String]) {
        if s.contains("/") {
            guard Self.splitReference(s) != nil else {
                return error(pointer, "invalid_format", "must be provider/model (for example anthropic/claude-sonnet-4-5-20250929) or an alias")
            }
        } else if !Self.isAlias(s) {
            return error(pointer, "invalid_format", "must be provider/model (for example anthropic/claude-sonnet-4-5-20250929) or an alias")
        }
        references.append((pointer, path, s))
    }

    /// `provider/model` split at the first slash (model ids may contain slashes: `openrouter/openai/gpt-5`).
    static func splitReference(_ s: String) -> (provider: String, model: String)? {
        guard let slash = s.firstIndex(of: "/") else { return nil }
        let provider = String(s[..<slash])
        let model = String(s[s.index(after: slash)...])
        guard isProviderID(provider), !model.isEmpty, model.count <= 200,
              model.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7F })
        else { return nil }
        return (provider, model)
    }

    static func minutes(ofDay s: String, allowsEndOfDay: Bool) -> Int? {
        let parts = s.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 2, parts[1].count == 2,
              let h = Int(parts[0]), let m = Int(parts[1]), (0...59).contains(m) else { return nil }
        if h == 24 && m == 0 && allowsEndOfDay { return 24 * 60 }
        guard (0...23).contains(h) else { return nil }
        return h * 60 + m
    }

    static func format(_ d: Double) -> String {
        d == d.rounded() ? String(format: "%.1f", d) : String(d)
    }

    /// The sibling name within edit distance 2 (or equal ignoring case), for "did you mean".
    static func closest(to name: String, in candidates: [String]) -> String? {
        let lower = name.lowercased()
        var best: (String, Int)?
        let letters = Array(lower)
        // Within 2 edits the lengths differ by at most 2 characters, so by at most 8 UTF-8 bytes.
        for candidate in candidates where abs(candidate.utf8.count - name.utf8.count) <= 8 {
            let d = distance(letters, Array(candidate.lowercased()))
            if d <= 2 && d < (best?.1 ?? .max) { best = (candidate, d) }
        }
        return best?.0
    }

    private static func distance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = Swift.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }

    static func unknownKey(_ name: String, among children: [SettingNode], suggest: Bool = true) -> (code: String, message: String) {
        let suggestion = suggest ? closest(to: name, in: children.map(\.name)).map { " Did you mean \"\($0)\"?" } ?? "" : ""
        return ("unknown_key", "is not a setting here.\(suggestion)")
    }
    static let invalidParameterName = (code: "invalid_name",
                                       message: "a parameter name is a letter followed by letters, digits or underscores (at most 64)")

    /// Whether `name` may key an entry of a map whose keys are `key`.
    static func isEntryKey(_ name: String, _ key: SettingKind.EntryKey) -> Bool {
        switch key {
        case .modelReference: splitReference(name) != nil
        case .agentID: isAgentID(name)
        }
    }

    static func invalidEntryKey(_ key: SettingKind.EntryKey) -> (code: String, message: String) {
        switch key {
        case .modelReference: ("invalid_format", "entries are keyed by a model reference: provider/model")
        case .agentID: ("invalid_format", "an agent id is 1–64 lower-case letters, digits, dashes or underscores, starting with a letter or digit")
        }
    }

    // MARK: Deletions

    /// The members of a merge patch that would leave nothing in the merged document (`null`, or an object of
    /// only such members) although they name no setting and nothing stored: without this check a misspelt
    /// `"defualts": null` answered 200 and reset nothing. Such a member that names a setting which takes no
    /// object is refused too (merging `{}` into a value deletes it). Members that carry values are checked on
    /// the merged document, and deleting a key the stored document still has (one a newer schema dropped) is
    /// always allowed.
    static func strayDeletions(in patch: JSONValue, stored: JSONValue?, node: SettingNode? = SettingsSchema.root,
                               path: [String] = []) -> [SettingsIssue] {
        guard case .object(let members) = patch else { return [] }
        var issues: [SettingsIssue] = []
        for name in members.keys.sorted() {
            let value = members[name]!
            let childPath = path + [name]
            let storedChild = stored?[name]
            func refuse(_ code: String, _ message: String) {
                issues.append(SettingsIssue(JSONPointer.make(childPath), code, message))
            }
            // Below a member the schema knows nothing of (one the stored document still has), anything goes.
            guard case .object(let children, let extra)? = node?.kind else { continue }
            if let child = children.first(where: { $0.name == name }) {
                if case .object = child.kind {
                    issues += strayDeletions(in: value, stored: storedChild, node: child, path: childPath)
                } else if case .object = value, leavesNothing(value) {
                    refuse("type", "is not an object; send null to delete it")
                }
                continue
            }
            switch extra {
            case .none:
                if storedChild == nil && leavesNothing(value) {
                    let unknown = unknownKey(name, among: children)
                    refuse(unknown.code, unknown.message)
                }
            case .parameters:
                if storedChild == nil && leavesNothing(value) && !isParameterName(name) {
                    refuse(invalidParameterName.code, invalidParameterName.message)
                }
            case .entries(let key, let entry, _):
                if isEntryKey(name, key) {
                    issues += strayDeletions(in: value, stored: storedChild, node: SettingNode(name, .object(entry)),
                                             path: childPath)
                } else if storedChild == nil && leavesNothing(value) {
                    let invalid = invalidEntryKey(key)
                    refuse(invalid.code, invalid.message)
                }
            }
        }
        return issues
    }

    /// Whether merging `value` leaves nothing behind: null, or an object whose members all leave nothing.
    private static func leavesNothing(_ value: JSONValue) -> Bool {
        switch value {
        case .null: true
        case .object(let members): members.values.allSatisfy(leavesNothing)
        default: false
        }
    }

    // MARK: Relations between fields

    /// The resolved model at each reference pointer (filled by `checkRelations`).
    private(set) var resolved: [String: ResolvedModel] = [:]
    /// The model each alias names, by the alias lower-cased (filled by `checkRelations`).
    private(set) var aliases: [String: String] = [:]

    private func unchanged(_ path: [String], in document: JSONValue) -> Bool {
        guard let baseline else { return false }
        return baseline.value(at: path) == document.value(at: path)
    }

    private mutating func checkRelations(_ document: JSONValue) {
        let defaults = document.value(at: ["agents", "defaults"])
        let entries = defaults?["models"]?.objectValue ?? [:]
        let entriesPath = ["agents", "defaults", "models"]

        // Aliases: unique across models, case-insensitively.
        for key in entries.keys.sorted() {
            guard let alias = entries[key]?["alias"]?.stringValue else { continue }
            if let other = aliases[alias.lowercased()] {
                error(JSONPointer.make(entriesPath + [key, "alias"]), "alias_taken", "\"\(alias)\" is already the alias of \(other)")
            } else {
                aliases[alias.lowercased()] = key
            }
        }
        let manual = Set(entries.filter { $0.value["manual"]?.boolValue == true }.keys)

        // The entries' own keys must name real models (or manual ones).
        for key in entries.keys.sorted() {
            guard let (provider, model) = Self.splitReference(key) else { continue }
            let path = entriesPath + [key]
            let pointer = JSONPointer.make(path)
            if secretPointers.contains(pointer) { continue }
            let grandfathered = baseline?.value(at: path) != nil
            if directory.provider(provider) == nil {
                grandfathered ? warn(pointer, "unknown_provider", "\(provider) is no longer a provider in the catalog")
                              : error(pointer, "unknown_provider", "\(provider) is not a provider in the catalog")
            } else if directory.model(provider: provider, id: model) == nil && !manual.contains(key) {
                grandfathered ? warn(pointer, "model_not_in_catalog", "\(key) is no longer in the catalog")
                              : error(pointer, "unknown_model", "\(key) is not in the catalog; set \"manual\": true on this entry to use an id the catalog does not list (Expert Mode)")
            }
            let facts = directory.model(provider: provider, id: model)
            let params = path + ["params"]
            if let max = document.value(at: params + ["maxTokens"])?.intValue, let cap = facts?.maxOutputTokens, max > cap {
                let p = JSONPointer.make(params + ["maxTokens"])
                unchanged(params + ["maxTokens"], in: document)
                    ? warn(p, "above_model_max", "\(facts!.name) writes at most \(cap) tokens per reply; \(cap) is used")
                    : error(p, "above_model_max", "may be at most \(cap): the maximum output of \(facts!.name)")
            }
            if let t = document.value(at: params + ["temperature"])?.numberValue {
                let p = JSONPointer.make(params + ["temperature"])
                if let facts, !facts.supportsTemperature {
                    unchanged(params + ["temperature"], in: document)
                        ? warn(p, "ignored_by_model", "\(facts.name) does not accept a temperature; this value is ignored")
                        : error(p, "unsupported_param", "\(facts.name) does not accept a temperature")
                } else if !SettingsSchema.recommendedTemperature.contains(t) {
                    warn(p, "outside_recommended", "\(t) is outside the recommended range 0.0–1.0")
                }
            }
        }

        // Every reference resolves: aliases to their model, models to the catalog or a manual entry.
        for ref in references {
            if secretPointers.contains(ref.pointer) { continue }
            let target: String
            if Self.splitReference(ref.value) == nil {
                guard let key = aliases[ref.value.lowercased()] else {
                    unchanged(ref.path, in: document)
                        ? warn(ref.pointer, "unknown_alias", "the alias \"\(ref.value)\" no longer names a model")
                        : error(ref.pointer, "unknown_alias", "\"\(ref.value)\" is not an alias of any model (aliases are set under agents.defaults.models)")
                    continue
                }
                target = key
            } else {
                target = ref.value
            }
            guard let (provider, model) = Self.splitReference(target) else { continue }
            let facts = directory.model(provider: provider, id: model)
            if directory.provider(provider) == nil {
                unchanged(ref.path, in: document)
                    ? warn(ref.pointer, "unknown_provider", "\(provider) is no longer a provider in the catalog")
                    : error(ref.pointer, "unknown_provider", "\(provider) is not a provider in the catalog")
                continue
            }
            if facts == nil && !manual.contains(target) {
                if unchanged(ref.path, in: document) {
                    warn(ref.pointer, "model_not_in_catalog", "\(target) is no longer in the catalog")
                } else {
                    error(ref.pointer, "unknown_model", "\(target) is not in the catalog; to use a model id the catalog does not list, add it under agents.defaults.models with \"manual\": true (Expert Mode)")
                    continue
                }
            }
            resolved[ref.pointer] = ResolvedModel(provider: provider, model: model, facts: facts)
        }

        checkModelLists(document)
        checkParams(document)
        checkBehaviour(document)
        checkSystemBrain(document)
        checkHeartbeat(document)
    }

    /// The defaults, then each agent of `agents.entries` (by id): the objects that choose models and set params.
    private func modelChoosers(_ document: JSONValue) -> [(path: [String], name: String)] {
        let agents = document.value(at: SettingsSchema.agentEntriesPath)?.objectValue ?? [:]
        return [(["agents", "defaults"], "the default")]
            + agents.keys.sorted().filter { Self.isAgentID($0) && agents[$0]?.objectValue != nil }
                .map { (SettingsSchema.agentEntriesPath + [$0], "this agent's") }
    }

    /// The path of the primary an object's `model` or `imageModel` list goes with: its own, else (an agent that
    /// sets none) the defaults'.
    private func primaryPath(of chooser: [String], _ key: String, in document: JSONValue) -> [String] {
        let own = chooser + [key, "primary"]
        return document.value(at: own) != nil ? own : ["agents", "defaults", key, "primary"]
    }

    private mutating func checkModelLists(_ document: JSONValue) {
        for chooser in modelChoosers(document) {
            for key in ["model", "imageModel"] {
                let base = chooser.path + [key]
                let primaryPath = primaryPath(of: chooser.path, key, in: document)
                let primary = resolved[JSONPointer.make(primaryPath)]?.reference
                guard let count = document.value(at: base + ["fallbacks"])?.arrayValue?.count else { continue }
                // An agent's untouched list that now repeats a primary it inherits (the defaults' changed) is said,
                // not refused: a change of the defaults is never blocked by an agent it did not touch.
                let inheritedChange = primaryPath != base + ["primary"] && unchanged(base + ["fallbacks"], in: document)
                var seen: Set<String> = []
                for index in 0..<count {
                    let pointer = JSONPointer.make(base + ["fallbacks", String(index)])
                    guard let reference = resolved[pointer]?.reference else { continue }
                    if reference == primary {
                        let message = "\(reference) is already \(chooser.name) model; a fallback must be another model"
                        inheritedChange ? warn(pointer, "repeats_primary", message) : error(pointer, "repeats_primary", message)
                    } else if !seen.insert(reference).inserted {
                        error(pointer, "duplicate", "\(reference) is already in the list")
                    }
                }
            }
            let image = JSONPointer.make(chooser.path + ["imageModel", "primary"])
            if let facts = resolved[image]?.facts, !facts.supportsImageInput && !facts.supportsImageOutput {
                warn(image, "not_image_model", "\(facts.name) neither reads nor makes images")
            }
        }
    }

    /// Creativity and Response length of the defaults and of each agent, against the text model they apply to
    /// first (the primary: the agent's own, else the default).
    private mutating func checkParams(_ document: JSONValue) {
        for chooser in modelChoosers(document) {
            let params = chooser.path + ["params"]
            let primaryPath = primaryPath(of: chooser.path, "model", in: document)
            let primary = resolved[JSONPointer.make(primaryPath)]
            if let t = document.value(at: params + ["temperature"])?.numberValue {
                let pointer = JSONPointer.make(params + ["temperature"])
                if !SettingsSchema.recommendedTemperature.contains(t) {
                    warn(pointer, "outside_recommended",
                         "Creativity \(t) is outside the recommended 0.0–1.0; replies can become erratic in long-running agents")
                }
                if let facts = primary?.facts, !facts.supportsTemperature {
                    warn(pointer, "ignored_by_model", "\(facts.name) does not accept a temperature; Creativity has no effect on it")
                }
            }
            let maxPath = params + ["maxTokens"]
            if let primary, let maxTokens = document.value(at: maxPath)?.intValue, let facts = primary.facts,
               let cap = facts.maxOutputTokens, maxTokens > cap {
                let pointer = JSONPointer.make(maxPath)
                if unchanged(maxPath, in: document) && unchanged(primaryPath, in: document) {
                    warn(pointer, "above_model_max", "\(facts.name) writes at most \(cap) tokens per reply; \(cap) is used")
                } else if unchanged(maxPath, in: document) {
                    maxTokensToLower.append(MaxTokensCap(path: maxPath, cap: cap, model: primary.reference))
                } else {
                    error(pointer, "above_model_max", "may be at most \(cap): the maximum output of \(facts.name), \(chooser.name) text model")
                }
            }
        }
    }

    private mutating func checkBehaviour(_ document: JSONValue) {
        let d = ["agents", "defaults"]
        let chunk = d + ["blockStreamingChunk"]
        if let min = document.value(at: chunk + ["minChars"])?.intValue, let max = document.value(at: chunk + ["maxChars"])?.intValue, min > max {
            error(JSONPointer.make(chunk + ["maxChars"]), "min_above_max", "must be at least minChars (\(min))")
        }
        let delay = d + ["humanDelay"]
        if document.value(at: delay + ["mode"])?.stringValue == "custom" {
            let min = document.value(at: delay + ["minMs"])?.intValue
            let max = document.value(at: delay + ["maxMs"])?.intValue
            if document.value(at: delay + ["minMs"]) == nil { error(JSONPointer.make(delay + ["minMs"]), "required", "is required when the mode is custom") }
            if document.value(at: delay + ["maxMs"]) == nil { error(JSONPointer.make(delay + ["maxMs"]), "required", "is required when the mode is custom") }
            if let min, let max, min > max { error(JSONPointer.make(delay + ["maxMs"]), "min_above_max", "must be at least minMs (\(min))") }
        }
    }

    private mutating func checkSystemBrain(_ document: JSONValue) {
        if let budget = document.value(at: ["agents", "main", "sdk", "thinkingBudget"])?.intValue, (1..<1024).contains(budget) {
            error("/agents/main/sdk/thinkingBudget", "out_of_range", "must be 0 (thinking off) or at least 1024")
        }
        if let sdk = resolved["/agents/main/sdk/model"], let provider = directory.provider(sdk.provider), !provider.runsClaudeCodeSDK {
            warn("/agents/main/sdk/model", "not_sdk_provider", "\(provider.name) cannot run the Claude Code SDK")
        }
    }

    private mutating func checkHeartbeat(_ document: JSONValue) {
        let path = ["agents", "defaults", "heartbeat", "activeHours"]
        guard let hours = document.value(at: path), hours.objectValue != nil else { return }
        for member in ["start", "end"] where hours[member] == nil {
            error(JSONPointer.make(path + [member]), "required", "is required when active hours are set")
        }
        if let start = hours["start"]?.stringValue, let end = hours["end"]?.stringValue, start == end {
            error(JSONPointer.make(path + ["end"]), "empty_range", "must differ from the start (remove activeHours to run around the clock)")
        }
    }
}
