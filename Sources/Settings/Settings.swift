import Core

/// The settings document's rules: defaults under the operator's values, validation, effective values,
/// RFC 7396 patches. Pure: storage and HTTP live elsewhere.
///
/// The store keeps only what the operator set (a sparse document); `null` in a patch deletes a value and
/// the default shows through again.
public struct Settings: Sendable {
    public let directory: any ModelDirectory

    public init(directory: any ModelDirectory) {
        self.directory = directory
    }

    /// A document as the API shows it: every default filled in, checked, with its effective values.
    public struct Evaluation: Sendable {
        public var stored: JSONValue
        public var document: JSONValue
        public var errors: [SettingsIssue]
        public var warnings: [SettingsIssue]
        public var effective: EffectiveSettings
        /// The Response lengths a change of the text model they apply to left above that model's cap.
        var maxTokensToLower: [SettingsValidator.MaxTokensCap] = []
        /// The model each reference pointer resolves to (aliases followed).
        public var resolved: [String: ResolvedModel] = [:]
        /// `provider/model` by alias, lower-cased (aliases are unique case-insensitively).
        var aliases: [String: String] = [:]
    }

    public enum Failure: Error, Equatable {
        /// The result breaks the rules; every bad field is listed.
        case invalid([SettingsIssue])
    }

    /// Lays the defaults under the operator's values.
    public static func withDefaults(_ stored: JSONValue) -> JSONValue {
        MergePatch.overlay(stored, on: SettingsSchema.defaults)
    }

    /// Checks a stored document. `baseline` is the full document before the change being checked; what it
    /// already contained is reported as a warning rather than an error. Nil checks everything strictly.
    public func evaluate(_ stored: JSONValue, baseline: JSONValue? = nil) -> Evaluation {
        let document = Self.withDefaults(stored)
        var validator = SettingsValidator(directory: directory, baseline: baseline)
        guard case .object = document else {
            let issue = SettingsIssue("", "type", "the settings document must be a JSON object")
            return Evaluation(stored: stored, document: document, errors: [issue], warnings: [],
                              effective: EffectiveSettings.compute(SettingsSchema.defaults, resolved: [:]))
        }
        validator.check(document)
        return Evaluation(stored: stored, document: document, errors: validator.errors, warnings: validator.warnings,
                          effective: EffectiveSettings.compute(document, resolved: validator.resolved),
                          maxTokensToLower: validator.maxTokensToLower, resolved: validator.resolved, aliases: validator.aliases)
    }

    /// How the current document reads: anything that no longer holds (a model that left the catalog) is a warning.
    public func current(_ stored: JSONValue) -> Evaluation {
        var evaluation = evaluate(stored, baseline: Self.withDefaults(stored))
        evaluation.warnings += evaluation.errors
        evaluation.errors = []
        return evaluation
    }

    /// Merges an RFC 7396 patch into the stored document, then checks the whole result.
    ///
    /// When only the text model changed (the default one, or an agent's) and its maximum output is below the
    /// Response length that applies to it, that Response length is lowered to the maximum and a warning says so:
    /// the value is never above the cap.
    ///
    /// An agent's entry stays when a patch empties it: the entry itself says the agent exists (and inherits
    /// everything); `null` for the entry removes the agent.
    public func apply(_ patch: JSONValue, to stored: JSONValue) throws(Failure) -> Evaluation {
        let strays = SettingsValidator.strayDeletions(in: patch, stored: stored)
        let before = Self.withDefaults(stored)
        var next = MergePatch.pruned(MergePatch.apply(patch, to: stored), keepingEmpty: SettingsSchema.agentEntriesPath)
        var evaluation = evaluate(next, baseline: before)
        let lowered = evaluation.maxTokensToLower
        if !lowered.isEmpty {
            for item in lowered { next = next.setting(.number(Double(item.cap)), at: item.path) }
            let old = evaluation.document
            evaluation = evaluate(next, baseline: before)
            for item in lowered {
                evaluation.warnings.append(SettingsIssue(
                    JSONPointer.make(item.path), "max_tokens_lowered",
                    "Response length was lowered from \(old.value(at: item.path)?.intValue ?? 0) to \(item.cap) tokens, the maximum output of \(item.model)"))
            }
        }
        // An empty agent entry under a bad id is both a stray and kept for the walk: said once.
        guard strays.isEmpty && evaluation.errors.isEmpty else { throw .invalid(strays + evaluation.errors.filter { !strays.contains($0) }) }
        return evaluation
    }

    /// Checks an older revision's document before it becomes current again (Undo).
    public func restore(_ stored: JSONValue) throws(Failure) -> Evaluation {
        let evaluation = evaluate(stored, baseline: Self.withDefaults(stored))
        guard evaluation.errors.isEmpty else { throw .invalid(evaluation.errors) }
        return evaluation
    }
}
