import Foundation

/// A provider file written in the shape of Charmbracelet Catwalk's own (`Tests/fixtures/catwalk/<name>.json`).
public func catwalkFixture(_ name: String) throws -> String {
    let tests = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    return try String(contentsOf: tests.appendingPathComponent("fixtures/catwalk/\(name).json"), encoding: .utf8)
}
