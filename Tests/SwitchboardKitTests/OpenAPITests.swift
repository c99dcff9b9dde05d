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
