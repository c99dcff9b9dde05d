/// `GET /api/config/schema`: a JSON Schema (draft 2020-12) of the settings document, and the UI hints
/// keyed by JSON pointer (`*` stands for any key of a map such as `agents.defaults.models`).
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

    private static func jsonSchema(_ node: SettingNode, path: [String], hints: inout [String: UIHints]) -> JSONValue {
        var s: [String: JSONValue] = [:]
        if let label = node.hints.label { s["title"] = .string(label) }
        if let help = node.hints.help { s["description"] = .string(help) }
        if let value = node.defaultValue { s["default"] = value }
        if node.hints.label != nil || node.hints.card != nil { hints[JSONPointer.make(path)] = node.hints }

        let referencePattern = "^([a-z][A-Za-z0-9_-]{0,63}/[^\\s]{1,200}|[A-Za-z0-9][A-Za-z0-9._-]{0,63})$"
        switch node.kind {
        case .object(let children, let extra):
            s["type"] = .string("object")
            var properties: [String: JSONValue] = [:]
            for child in children { properties[child.name] = jsonSchema(child, path: path + [child.name], hints: &hints) }
            if !properties.isEmpty { s["properties"] = .object(properties) }
            switch extra {
            case .none:
                s["additionalProperties"] = .bool(false)
            case .parameters:
                s["propertyNames"] = .object(["pattern": .string("^[A-Za-z][A-Za-z0-9_]{0,63}$")])
                s["additionalProperties"] = .bool(true)
            case .modelEntries(let entry):
                s["propertyNames"] = .object(["pattern": .string("^[a-z][A-Za-z0-9_-]{0,63}/[^\\s]{1,200}$")])
                s["additionalProperties"] = jsonSchema(SettingNode("*", .object(entry)), path: path + ["*"], hints: &hints)
            }
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
            s["format"] = .string("iana-time-zone")
        case .alias:
            s["type"] = .string("string")
            s["pattern"] = .string("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
        }
        return .object(s)
    }
}
