import Core

/// `GET /api/config/schema`: a JSON Schema (draft 2020-12) of the settings document, and the UI hints
/// keyed by JSON pointer (`*` stands for any key of a map such as `agents.defaults.models`).
///
/// `mergePatch` is the schema of what `PATCH /api/config` takes (openapi.yaml's `SettingsPatch`), derived from
/// the same definition so the two never disagree about a member, a type or a bound.
public enum SchemaExport {
    public struct Document: Encodable, Sendable {
        public let schema: JSONValue
        public let hints: [String: UIHints]
    }

    public static let document: Document = {
        var hints: [String: UIHints] = [:]
        var schema = jsonSchema(SettingsSchema.root, path: [], hints: &hints)
        if case .object(var o) = schema {
            o["$schema"] = .string("https://json-schema.org/draft/2020-12/schema")
            o["$id"] = .string("urn:switchboard:settings")
            o["title"] = .string("Switchboard settings")
            o["description"] = .string("Defaults inherited by every agent. Secrets are never part of this document: they go to PUT /api/accounts/{id}/credential.")
            schema = .object(o)
        }
        return Document(schema: schema, hints: hints)
    }()

    /// An RFC 7396 merge patch of the settings document: the document's members with their types and bounds,
    /// none required, each one `null` as well (which deletes it, so its default shows again). What holds
    /// between members (references that resolve, minimum below maximum, …) is checked on the merged result.
    public static let mergePatch: JSONValue = patchSchema(SettingsSchema.root)

    /// `provider/model`, or an alias. The model part is what `SettingsValidator.splitReference` takes: 1 to 200
    /// characters, none of them a control character or a space.
    static let referencePattern = "^([a-z][A-Za-z0-9_-]{0,63}/[^\\x00-\\x20\\x7F]{1,200}|[A-Za-z0-9][A-Za-z0-9._-]{0,63})$"
    static let modelKeyPattern = "^[a-z][A-Za-z0-9_-]{0,63}/[^\\x00-\\x20\\x7F]{1,200}$"
    static let parameterNamePattern = "^[A-Za-z][A-Za-z0-9_]{0,63}$"
    /// `SettingsValidator.isAgentID`.
    static let agentIDPattern = "^[a-z0-9][a-z0-9_-]{0,63}$"

    private static func jsonSchema(_ node: SettingNode, path: [String], hints: inout [String: UIHints]) -> JSONValue {
        var s: [String: JSONValue] = [:]
        if let label = node.hints.label { s["title"] = .string(label) }
        if let help = node.hints.help { s["description"] = .string(help) }
        if let value = node.defaultValue { s["default"] = value }
        if node.hints.label != nil || node.hints.card != nil { hints[JSONPointer.make(path)] = node.hints }

        guard case .object(let children, let extra) = node.kind else {
            s.merge(constraints(node.kind)) { _, new in new }
            return .object(s)
        }
        s.merge(objectSchema(children, extra) { child in
            jsonSchema(child, path: path + [child.name], hints: &hints)
        }) { _, new in new }
        // Only the document is capped: a patch may name more entries than that when it deletes some.
        if case .entries(_, _, let maxCount?) = extra { s["maxProperties"] = .number(Double(maxCount)) }
        return .object(s)
    }

    private static func patchSchema(_ node: SettingNode) -> JSONValue {
        guard case .object(let children, let extra) = node.kind else { return .object(constraints(node.kind)) }
        return .object(objectSchema(children, extra) { nullable(patchSchema($0)) })
    }

    /// An object's schema; `member` makes the schema of each member (and of a map's entries, named `*`).
    private static func objectSchema(_ children: [SettingNode], _ extra: SettingKind.ExtraMembers,
                                     member: (SettingNode) -> JSONValue) -> [String: JSONValue] {
        var s: [String: JSONValue] = ["type": .string("object")]
        var properties: [String: JSONValue] = [:]
        for child in children { properties[child.name] = member(child) }
        if !properties.isEmpty { s["properties"] = .object(properties) }
        switch extra {
        case .none:
            s["additionalProperties"] = .bool(false)
        case .parameters:
            // Any JSON value (in a patch null too, which deletes the parameter).
            s["propertyNames"] = .object(["pattern": .string(parameterNamePattern)])
            s["additionalProperties"] = .bool(true)
        case .entries(let key, let entry, _):
            let pattern = switch key {
            case .modelReference: modelKeyPattern
            case .agentID: agentIDPattern
            }
            s["propertyNames"] = .object(["pattern": .string(pattern)])
            s["additionalProperties"] = member(SettingNode("*", .object(entry)))
        }
        return s
    }

    private static func nullable(_ schema: JSONValue) -> JSONValue {
        .object(["anyOf": .array([schema, .object(["type": .string("null")])])])
    }

    /// What a value of a leaf kind must be.
    private static func constraints(_ kind: SettingKind) -> [String: JSONValue] {
        var s: [String: JSONValue] = [:]
        switch kind {
        case .object:
            s["type"] = .string("object")
        case .enumeration(let values):
            s["type"] = .string("string")
            s["enum"] = .array(values.map(JSONValue.string))
        case .integer(let min, let max):
            s["type"] = .string("integer")
            s["minimum"] = .number(Double(min))
            s["maximum"] = .number(Double(max))
        case .number(let min, let max):
            s["type"] = .string("number")
            s["minimum"] = .number(min)
            s["maximum"] = .number(max)
        case .boolean:
            s["type"] = .string("boolean")
        case .text(let maxLength):
            s["type"] = .string("string")
            s["maxLength"] = .number(Double(maxLength))
        case .modelReference:
            s["type"] = .string("string")
            s["pattern"] = .string(referencePattern)
            s["format"] = .string("model-reference")
        case .modelReferenceList(let maxCount):
            s["type"] = .string("array")
            s["maxItems"] = .number(Double(maxCount))
            s["uniqueItems"] = .bool(true)
            s["items"] = .object(["type": .string("string"), "pattern": .string(referencePattern), "format": .string("model-reference")])
        case .providerID:
            s["type"] = .string("string")
            s["pattern"] = .string("^[a-z][A-Za-z0-9_-]{0,63}$")
            s["format"] = .string("provider-id")
        case .timeOfDay(let allowsEndOfDay):
            s["type"] = .string("string")
            s["pattern"] = .string(allowsEndOfDay ? "^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$" : "^([01][0-9]|2[0-3]):[0-5][0-9]$")
        case .timeZone:
            s["type"] = .string("string")
            s["minLength"] = .number(1)
            s["maxLength"] = .number(64)
            s["format"] = .string("iana-time-zone")
        case .alias:
            s["type"] = .string("string")
            s["pattern"] = .string("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
        }
        return s
    }
}
