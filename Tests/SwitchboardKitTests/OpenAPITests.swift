import Foundation
import Logging
import Testing
import Yams
@testable import SwitchboardKit

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

/// openapi.yaml's `SettingsDocument` is the schema the server serves at GET /api/config/schema.
@Suite struct OpenAPISettingsSchemaTests {
    @Test func settingsDocumentSchemaMatchesTheCode() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("openapi.yaml"), encoding: .utf8)
        let document = try #require(try Yams.load(yaml: text) as? [String: Any])
        let documented = ((document["components"] as? [String: Any])?["schemas"] as? [String: Any])?["SettingsDocument"]
        var served = SchemaExport.document.schema.objectValue ?? [:]
        served["$schema"] = nil
        served["$id"] = nil
        let expected = try JSONSerialization.jsonObject(with: Data(try JSON.encode(JSONValue.object(served))))
        let actual = try JSONSerialization.jsonObject(with: JSONSerialization.data(withJSONObject: documented ?? [:]))
        if (expected as? NSDictionary) != (actual as? NSDictionary) {
            // The schema to paste under components/schemas/SettingsDocument.
            try Data(try JSON.encode(JSONValue.object(served))).write(to: URL(fileURLWithPath: NSTemporaryDirectory() + "SettingsDocument.json"))
        }
        #expect((expected as? NSDictionary) == (actual as? NSDictionary),
                "components/schemas/SettingsDocument differs from the served schema; the served one is in $TMPDIR/SettingsDocument.json")
    }
}
