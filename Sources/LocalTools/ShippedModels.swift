import Core
import Foundation

/// The models of a CLI that cannot list them (claude, gemini), from a data file shipped with the catalog
/// (`Data/<cli>.json`), tagged with the CLI version it was written for.
enum ShippedModels {
    static func load(_ tool: String) -> ToolModelSet? {
        guard let url = Bundle.module.url(forResource: tool, withExtension: "json", subdirectory: "Data"),
              let data = try? Data(contentsOf: url) else { return nil }
        return parse(Array(data))
    }

    static func parse(_ bytes: [UInt8]) -> ToolModelSet? {
        guard let json = JSONValue.parse(bytes), let o = json.objectValue, let list = o["models"]?.arrayValue else { return nil }
        let definitions = o["parameters"]?.objectValue ?? [:]
        var models: [ToolModel] = []
        for item in list {
            guard let m = item.objectValue, let id = m["id"]?.stringValue else { return nil }
            var parameters: [ToolParameter] = []
            for key in m["parameters"]?.arrayValue?.compactMap(\.stringValue) ?? [] {
                guard var definition = definitions[key]?.objectValue else { return nil }
                if definition["name"] == nil { definition["name"] = .string(key) }
                guard let p = try? JSONDecoder().decode(ToolParameter.self, from: Data(JSONValue.object(definition).serialized.utf8)) else { return nil }
                parameters.append(p)
            }
            models.append(ToolModel(id: id, name: m["name"]?.stringValue ?? id, description: m["description"]?.stringValue,
                                    contextWindow: m["contextWindow"]?.intValue, maxOutputTokens: m["maxOutputTokens"]?.intValue,
                                    isDefault: m["isDefault"]?.boolValue, parameters: parameters))
        }
        return ToolModelSet(models: models, source: "data", version: o["writtenFor"]?.stringValue, settingsBase: o["settingsBase"],
                            settingsModelName: o["settingsModelName"]?.stringValue)
    }
}
