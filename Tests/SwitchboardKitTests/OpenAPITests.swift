@testable import Core
import Foundation
import Logging
@testable import Settings
import Testing
import Yams

/// openapi.yaml and the router describe the same surface: a route the document lacks, or a documented
/// operation no route serves, fails here.
@Suite struct OpenAPITests {
    @Test func everyRouteIsDocumentedAndEveryDocumentedOperationExists() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("openapi.yaml"), encoding: .utf8)
        let document = try #require(try Yams.load(yaml: text) as? [String: Any])
        let paths = try #require(document["paths"] as? [String: Any])
        let methods: Set<String> = ["get", "put", "post", "delete", "patch", "head", "options"]
        var documented = Set<String>()
        for (path, item) in paths {
            for key in (item as? [String: Any] ?? [:]).keys where methods.contains(key) {
                documented.insert("\(key.uppercased()) \(path)")
            }
        }
        let t = try TestApp()
        let served = Set(t.app.router.routes.map { "\($0.method.rawValue) \($0.path)" })
        #expect(served.subtracting(documented).sorted() == [], "routes missing from openapi.yaml")
        #expect(documented.subtracting(served).sorted() == [], "documented operations without a route")
    }
}

/// openapi.yaml's `SettingsDocument` is the schema the server serves at GET /api/config/schema, and its
/// `SettingsPatch` (the body of PATCH /api/config) is derived from the same definition.
@Suite struct OpenAPISettingsSchemaTests {
    @Test func settingsDocumentSchemaMatchesTheCode() throws {
        var served = SchemaExport.document.schema.objectValue ?? [:]
        served["$schema"] = nil
        served["$id"] = nil
        try expectComponent("SettingsDocument", equals: .object(served))
    }

    @Test func settingsPatchSchemaMatchesTheCode() throws {
        try expectComponent("SettingsPatch", equals: SchemaExport.mergePatch)
    }

    /// Compares `components/schemas/<name>` with `expected`; on a difference the expected schema is written to
    /// `$TMPDIR/<name>.json`, to paste into openapi.yaml.
    private func expectComponent(_ name: String, equals expected: JSONValue) throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("openapi.yaml"), encoding: .utf8)
        let document = try #require(try Yams.load(yaml: text) as? [String: Any])
        let documented = ((document["components"] as? [String: Any])?["schemas"] as? [String: Any])?[name]
        let wanted = try JSONSerialization.jsonObject(with: Data(try JSON.encode(expected)))
        let actual = try JSONSerialization.jsonObject(with: JSONSerialization.data(withJSONObject: documented ?? [:]))
        if (wanted as? NSDictionary) != (actual as? NSDictionary) {
            try Data(try JSON.encode(expected)).write(to: URL(fileURLWithPath: NSTemporaryDirectory() + "\(name).json"))
        }
        #expect((wanted as? NSDictionary) == (actual as? NSDictionary),
                "components/schemas/\(name) differs from the code's; the code's is in $TMPDIR/\(name).json")
    }
}
