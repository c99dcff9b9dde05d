import Core

/// The settings document's shape, defaults and UI hints: the single source of truth that validation,
/// `GET /api/config/schema` and the defaults all read.
///
/// Keys follow the canonical configuration of OpenClaw-style agent gateways (`agents.defaults.*`,
/// `agents.main.*`), so an operator's existing config maps onto it without translation. The page shows
/// the hints' friendly labels; the document keeps the canonical names.
public struct SettingNode: Sendable {
    public var name: String
    public var kind: SettingKind
    /// The value used when the operator has not set one; nil for keys whose absence means "inherit".
    public var defaultValue: JSONValue?
    public var hints: UIHints

    public init(_ name: String, _ kind: SettingKind, default defaultValue: JSONValue? = nil, _ hints: UIHints = UIHints()) {
        self.name = name
        self.kind = kind
        self.defaultValue = defaultValue
        self.hints = hints
    }
}

public indirect enum SettingKind: Sendable {
    /// An object with fixed members; `extra` says what other members may appear.
    case object([SettingNode], extra: ExtraMembers = .none)
    case enumeration([String])
    case integer(min: Int, max: Int)
    case number(min: Double, max: Double)
    case boolean
    case text(maxLength: Int)
    /// `provider/model`, or an alias defined under `agents.defaults.models`.
    case modelReference
    case modelReferenceList(maxCount: Int)
    case providerID
    /// `HH:MM`, 24-hour; `24:00` allowed where it ends a range.
    case timeOfDay(allowsEndOfDay: Bool)
    case timeZone
    case alias

    public enum ExtraMembers: Sendable {
        case none
        /// Provider-specific parameters: names are identifiers, values any JSON (size-capped).
        case parameters
        /// A map: entries keyed by `key`, each an object with these members, at most `maxCount` of them.
        case entries(EntryKey, [SettingNode], maxCount: Int? = nil)
    }

    /// What the keys of a map of entries are.
    public enum EntryKey: Sendable {
        /// `provider/model` (`agents.defaults.models`).
        case modelReference
        /// An agent id (`agents.entries`): `^[a-z0-9][a-z0-9_-]{0,63}$`.
        case agentID
    }
}

/// Everything the page needs to render a control without hard-coding it.
public struct UIHints: Sendable, Encodable {
    /// A noun for values ("Creativity"), a state for toggles ("Streaming replies").
    public var label: String?
    public var help: String?
    /// Which card of the settings page shows the control.
    public var card: String?
    /// radio, select, toggle, slider, number, text, textarea, model, model-list, time, timezone, group.
    public var control: String?
    public var options: [Option]?
    public var presets: [Preset]?
    public var recommended: Bounds?
    public var unit: String?
    public var advanced: Bool?
    public var experimental: Bool?
    /// For a toggle: the document value when the toggle is on and when it is off. The one place the page
    /// maps a switch to its key.
    public var toggle: Toggle?
    /// What the control shows when the key is absent and the value is inherited.
    public var inheritLabel: String?
    /// A rule the server applies on top of the bounds (e.g. the primary model's max output).
    public var cap: String?
    /// Shown next to the control when the value is outside `recommended`.
    public var warning: String?

    public struct Option: Sendable, Encodable {
        public var value: String
        public var label: String
        public var description: String?
    }
    public struct Preset: Sendable, Encodable {
        public var label: String
        public var value: JSONValue
    }
    public struct Bounds: Sendable, Encodable {
        public var min: Double
        public var max: Double
    }
    public struct Toggle: Sendable, Encodable {
        public var on: JSONValue
        public var off: JSONValue
    }

    public init(label: String? = nil, help: String? = nil, card: String? = nil, control: String? = nil,
                options: [Option]? = nil, presets: [Preset]? = nil, recommended: Bounds? = nil, unit: String? = nil,
                advanced: Bool? = nil, experimental: Bool? = nil, toggle: Toggle? = nil, inheritLabel: String? = nil,
                cap: String? = nil, warning: String? = nil) {
        self.label = label; self.help = help; self.card = card; self.control = control
        self.options = options; self.presets = presets; self.recommended = recommended; self.unit = unit
        self.advanced = advanced; self.experimental = experimental; self.toggle = toggle
        self.inheritLabel = inheritLabel; self.cap = cap; self.warning = warning
    }
}

extension UIHints.Option {
    init(_ value: String, _ label: String, _ description: String? = nil) {
        self.value = value; self.label = label; self.description = description
    }
}

/// The settings document's definition.
public enum SettingsSchema {
    public static let runtimes = ["pi", "claude-code-sdk"]
    static let runtimeOptions: [UIHints.Option] = [
        .init("pi", "Pi (recommended)", "Keeps conversation memory between messages. Best for ongoing conversations and personal assistants."),
        .init("claude-code-sdk", "Claude Code SDK", "Stateless but faster for single tasks. Best for one-off requests and automation."),
    ]
    public static let heartbeatIntervals = ["15m", "30m", "1h", "2h", "4h", "daily", "0m"]
    public static let maxFallbacks = 16
    public static let recommendedTemperature = 0.0...1.0

    /// At most this many agents under `agents.entries`: an agent gateway names its agents, it does not mint them
    /// per user, and every entry is validated and resolved on every change.
    public static let maxAgents = 200
    /// Where the agents' entries are: `agents.entries.<id>`.
    public static let agentEntriesPath = ["agents", "entries"]

    /// Creativity, Response length and provider-specific parameters that override the global ones for `whom`
    /// ("this model", "this agent"); `cap` names the output maximum Response length is held under.
    static func params(for whom: String, cap: String) -> SettingNode {
        SettingNode("params", .object([
            SettingNode("temperature", .number(min: 0, max: 2), UIHints(
                label: "Creativity", help: "Overrides the global Creativity for \(whom).", control: "slider",
                recommended: .init(min: 0, max: 1))),
            SettingNode("maxTokens", .integer(min: 1, max: 1_000_000), UIHints(
                label: "Response length", help: "Overrides the global Response length for \(whom).", control: "number",
                unit: "tokens", cap: cap)),
        ], extra: .parameters), UIHints(
            label: "Provider-specific parameters", help: "Override the global behaviour for \(whom); other names are passed to the provider as-is.",
            control: "group", advanced: true))
    }

    /// `{primary, fallbacks}` of a text or image model; the defaults' list defaults to empty, an agent's is inherited.
    static func modelChoice(_ name: String, primary: UIHints, fallbacks: UIHints, fallbacksDefault: JSONValue? = nil,
                            _ hints: UIHints) -> SettingNode {
        SettingNode(name, .object([
            SettingNode("primary", .modelReference, primary),
            SettingNode("fallbacks", .modelReferenceList(maxCount: maxFallbacks), default: fallbacksDefault, fallbacks),
        ]), hints)
    }

    /// One agent of `agents.entries`: every member optional, an absent one inherited from `agents.defaults`.
    static let agentEntry: [SettingNode] = [
        modelChoice("model",
                    primary: UIHints(label: "Text model", help: "This agent's model.", control: "model", inheritLabel: "The default text model"),
                    fallbacks: UIHints(label: "Fallbacks", help: "Used in order if this agent's model is unavailable; replaces the default fallbacks.",
                                       control: "model-list", inheritLabel: "The default fallbacks"),
                    UIHints(label: "Text model")),
        modelChoice("imageModel",
                    primary: UIHints(label: "Image model", help: "This agent's model for images.", control: "model", inheritLabel: "The default image model"),
                    fallbacks: UIHints(label: "Image fallbacks", help: "Used in order if this agent's image model is unavailable; replaces the default image fallbacks.",
                                       control: "model-list", advanced: true, inheritLabel: "The default image fallbacks"),
                    UIHints(label: "Image model")),
        params(for: "this agent", cap: "the maximum output tokens of the model each call uses"),
        SettingNode("runtime", .enumeration(runtimes), UIHints(
            label: "Runtime", help: "The engine that powers this agent.", control: "select", options: runtimeOptions,
            inheritLabel: "Use the default runtime")),
    ]

    public static let root: SettingNode = SettingNode("", .object([
        SettingNode("agents", .object([
            SettingNode("defaults", .object([
                SettingNode("runtime", .enumeration(runtimes), default: .string("pi"), UIHints(
                    label: "Default runtime", help: "The engine that powers your agents.", card: "runtime",
                    control: "radio", options: runtimeOptions)),
                SettingNode("mainRuntime", .enumeration(runtimes), UIHints(
                    label: "System Brain runtime (fallback)",
                    help: "Used by the System Brain when agents.main.runtime is not set; otherwise the default runtime applies.",
                    card: "systemBrain", control: "select", options: runtimeOptions, advanced: true,
                    inheritLabel: "Use the default runtime")),
                SettingNode("mainCcsdkProvider", .providerID, UIHints(
                    label: "CCSDK provider override",
                    help: "The provider the Claude Code SDK uses for the System Brain (Anthropic, Bedrock, Vertex AI or a compatible provider).",
                    card: "systemBrain", control: "select", advanced: true, inheritLabel: "The System Brain model's provider")),
                SettingNode("heartbeat", .object([
                    SettingNode("every", .enumeration(heartbeatIntervals), default: .string("30m"), UIHints(
                        label: "Schedule", help: "How often the heartbeat checks in.", card: "heartbeat", control: "select",
                        options: [.init("15m", "Every 15 minutes"), .init("30m", "Every 30 minutes"), .init("1h", "Every hour"),
                                  .init("2h", "Every 2 hours"), .init("4h", "Every 4 hours"), .init("daily", "Once a day"),
                                  .init("0m", "Off")])),
                    SettingNode("activeHours", .object([
                        SettingNode("start", .timeOfDay(allowsEndOfDay: false), UIHints(label: "From", control: "time")),
                        SettingNode("end", .timeOfDay(allowsEndOfDay: true), UIHints(label: "Until", help: "May be earlier than the start: the range then wraps midnight.", control: "time")),
                        SettingNode("timezone", .timeZone, UIHints(label: "Time zone", help: "An IANA time zone such as Europe/Berlin.", control: "timezone", inheritLabel: "The server's time zone")),
                    ]), UIHints(label: "Active hours", help: "The heartbeat runs only inside this window. Leave unset to run around the clock.",
                                card: "heartbeat", control: "group", inheritLabel: "Around the clock")),
                    SettingNode("model", .modelReference, UIHints(
                        label: "Heartbeat model", help: "A lighter model can reduce costs for routine check-ins.",
                        card: "heartbeat", control: "model", inheritLabel: "The default text model")),
                    SettingNode("escalateToMain", .boolean, default: .bool(false), UIHints(
                        label: "Escalate low-confidence items to System Brain",
                        help: "When the heartbeat is unsure, ask the System Brain to continue the work.",
                        card: "heartbeat", control: "toggle", experimental: true, toggle: .init(on: .bool(true), off: .bool(false)))),
                ]), UIHints(label: "Heartbeat", help: "Scheduled check-ins that monitor ongoing work and can perform background tasks.", card: "heartbeat")),
                modelChoice("model",
                            primary: UIHints(label: "Default text model", help: "Used when agents don't specify their own.",
                                             card: "defaultModels", control: "model"),
                            fallbacks: UIHints(label: "Fallbacks", help: "Used in order if the default model is unavailable.",
                                               card: "defaultModels", control: "model-list"),
                            fallbacksDefault: .array([]), UIHints(label: "Default text model", card: "defaultModels")),
                modelChoice("imageModel",
                            primary: UIHints(label: "Default image model", help: "Used for images when agents don't specify their own.",
                                             card: "defaultModels", control: "model"),
                            fallbacks: UIHints(label: "Image fallbacks", help: "Used in order if the default image model is unavailable.",
                                               card: "defaultModels", control: "model-list", advanced: true),
                            fallbacksDefault: .array([]), UIHints(label: "Default image model", card: "defaultModels")),
                SettingNode("models", .object([], extra: .entries(.modelReference, [
                    SettingNode("alias", .alias, UIHints(
                        label: "Alias", help: "A short name that can stand for this model anywhere a model is chosen. Unique across models.",
                        control: "text")),
                    SettingNode("manual", .boolean, UIHints(
                        label: "Manual model id", help: "Expert Mode: the model is not in the catalog (for example when its list cannot be fetched); its id is used as typed.",
                        control: "toggle", advanced: true, toggle: .init(on: .bool(true), off: .null))),
                    params(for: "this model", cap: "this model's maximum output tokens"),
                ])), UIHints(label: "Model settings", help: "Aliases and parameters per model, keyed by provider/model.",
                             card: "defaultModels", advanced: true)),
                SettingNode("params", .object([
                    SettingNode("temperature", .number(min: 0, max: 2), default: .number(0.7), UIHints(
                        label: "Creativity", help: "Lower is more precise. Higher is more creative.", card: "globalBehavior", control: "slider",
                        presets: [.init(label: "Precise", value: .number(0.2)), .init(label: "Balanced", value: .number(0.5)),
                                  .init(label: "Creative", value: .number(0.8))],
                        recommended: .init(min: recommendedTemperature.lowerBound, max: recommendedTemperature.upperBound),
                        warning: "Outside 0.0–1.0 replies can become erratic (high) or repetitive (low) in long-running agents.")),
                    SettingNode("maxTokens", .integer(min: 1, max: 1_000_000), default: .number(4096), UIHints(
                        label: "Response length", help: "Higher allows longer replies.", card: "globalBehavior", control: "slider",
                        presets: [.init(label: "Short", value: .number(512)), .init(label: "Medium", value: .number(1024)),
                                  .init(label: "Long", value: .number(2048)), .init(label: "Very long", value: .number(4096))],
                        unit: "tokens", cap: "the default text model's maximum output tokens (from the catalog)")),
                ]), UIHints(label: "Global behaviour", card: "globalBehavior")),
                SettingNode("blockStreamingDefault", .enumeration(["on", "off"]), default: .string("on"), UIHints(
                    label: "Streaming replies",
                    help: "Show responses as they're generated. When off, responses arrive all at once.",
                    card: "globalBehavior", control: "toggle",
                    // The one mapping of the toggle to the key: switched on means "on" (stream), off means "off".
                    toggle: .init(on: .string("on"), off: .string("off")))),
                SettingNode("blockStreamingBreak", .enumeration(["text_end", "message_end"]), default: .string("text_end"), UIHints(
                    label: "Streaming boundary", help: "Where a streamed block ends.", card: "globalBehavior", control: "select",
                    options: [.init("text_end", "End of each text block"), .init("message_end", "End of the message")], advanced: true)),
                SettingNode("blockStreamingChunk", .object([
                    SettingNode("minChars", .integer(min: 1, max: 10_000), default: .number(800), UIHints(label: "Minimum", control: "number", unit: "characters")),
                    SettingNode("maxChars", .integer(min: 1, max: 10_000), default: .number(1200), UIHints(label: "Maximum", control: "number", unit: "characters")),
                    SettingNode("breakPreference", .enumeration(["paragraph", "newline", "sentence"]), default: .string("paragraph"), UIHints(
                        label: "Break at", control: "select",
                        options: [.init("paragraph", "Paragraph"), .init("newline", "Line break"), .init("sentence", "Sentence")])),
                ]), UIHints(label: "Chunk size", help: "How long each streamed chunk may be.", card: "globalBehavior", control: "group", advanced: true)),
                SettingNode("blockStreamingCoalesce", .object([
                    SettingNode("idleMs", .integer(min: 0, max: 60_000), default: .number(0), UIHints(
                        label: "Combine small chunks", help: "Wait this long for more text before sending a small chunk; 0 sends at once.",
                        control: "toggle", unit: "ms", toggle: .init(on: .number(1000), off: .number(0)))),
                ]), UIHints(label: "Combine small chunks", card: "globalBehavior", control: "group", advanced: true)),
                SettingNode("humanDelay", .object([
                    SettingNode("mode", .enumeration(["off", "natural", "custom"]), default: .string("off"), UIHints(
                        label: "Human-like delay", control: "select",
                        options: [.init("off", "Off"), .init("natural", "Natural"), .init("custom", "Custom")])),
                    SettingNode("minMs", .integer(min: 0, max: 60_000), UIHints(label: "Shortest delay", control: "number", unit: "ms")),
                    SettingNode("maxMs", .integer(min: 0, max: 60_000), UIHints(label: "Longest delay", control: "number", unit: "ms")),
                ]), UIHints(label: "Human-like delay", help: "Pause between streamed blocks like a person typing.", card: "globalBehavior",
                            control: "group", advanced: true)),
            ])),
            SettingNode("main", .object([
                SettingNode("runtime", .enumeration(runtimes), UIHints(
                    label: "Runtime", help: "Overrides every other runtime setting for the System Brain.", card: "systemBrain",
                    control: "select", options: runtimeOptions, inheritLabel: "Use system default")),
                SettingNode("model", .modelReference, UIHints(
                    label: "Model / Provider", help: "The System Brain's model.", card: "systemBrain", control: "model",
                    inheritLabel: "The default text model")),
                SettingNode("sdk", .object([
                    SettingNode("model", .modelReference, UIHints(
                        label: "SDK model", help: "The model when the System Brain runs on the Claude Code SDK.", control: "model",
                        inheritLabel: "The System Brain model")),
                    SettingNode("thinkingBudget", .integer(min: 0, max: 128_000), UIHints(
                        label: "Thinking budget", help: "Tokens the model may spend thinking before it answers; 0 turns thinking off, otherwise at least 1024.",
                        control: "number", unit: "tokens")),
                ]), UIHints(label: "Claude Code SDK", card: "systemBrain", control: "group", advanced: true)),
                SettingNode("instructions", .text(maxLength: 20_000), UIHints(
                    label: "Custom instructions", help: "Added to the System Brain's system prompt.", card: "systemBrain",
                    control: "textarea", advanced: true)),
            ]), UIHints(label: "System Brain", help: "System-level intelligence for system tasks and fallback responses when no specific agent is selected.", card: "systemBrain")),
            SettingNode("entries", .object([], extra: .entries(.agentID, agentEntry, maxCount: maxAgents)), UIHints(
                label: "Agents", help: "Models, parameters and runtime per agent, keyed by agent id. What an agent leaves out it inherits from the defaults.",
                advanced: true)),
        ])),
    ]))

    /// The document with every default filled in and nothing else.
    public static let defaults: JSONValue = defaults(of: root) ?? .object([:])

    private static func defaults(of node: SettingNode) -> JSONValue? {
        if let value = node.defaultValue { return value }
        guard case .object(let children, _) = node.kind else { return nil }
        var members: [String: JSONValue] = [:]
        for child in children { members[child.name] = defaults(of: child) }
        // An object none of whose members has a default (the System Brain, active hours) stays absent.
        return members.isEmpty ? nil : .object(members)
    }

    /// The node at a path of member names (map entries match any key).
    public static func node(at path: [String]) -> SettingNode? {
        var node = root
        for name in path {
            guard case .object(let children, let extra) = node.kind else { return nil }
            if let child = children.first(where: { $0.name == name }) { node = child; continue }
            if case .entries(_, let entry, _) = extra {
                node = SettingNode(name, .object(entry)); continue
            }
            return nil
        }
        return node
    }
}
