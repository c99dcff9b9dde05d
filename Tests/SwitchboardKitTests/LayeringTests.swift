import Foundation
import Testing

/// The layers the compiler cannot see. SwiftPM lets a target import any module it depends on transitively
/// (Accounts could `import GRDB` because Storage depends on it), so the README's "may import" table is held
/// here: every Swift file under `Sources/<target>/` imports only what that target's row allows.

// MARK: Helpers

/// One `import` line of one source file.
struct SourceImport: CustomStringConvertible {
    var target: String
    var file: String
    var line: Int
    var module: String

    var description: String { "\(file):\(line) imports \(module)" }
}

enum Layering {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Modules of the toolchain every target may use.
    static let system: Set<String> = ["Foundation", "FoundationEssentials", "Glibc", "Musl", "Darwin", "Dispatch",
                                      "Synchronization", "_Concurrency"]

    /// The directories under `Sources/`, one per target.
    static func targets() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("Sources").path)
            .filter { !$0.hasPrefix(".") }.sorted()
    }

    /// Every `import` (plain, `@testable`, `@preconcurrency`, `internal`, `import struct M.X`) in every Swift file.
    static func imports() throws -> [SourceImport] {
        let sources = root.appendingPathComponent("Sources")
        let pattern = /^\s*(?:@\w+\s+)*(?:(?:public|package|internal|fileprivate|private)\s+)?import\s+(?:(?:struct|class|enum|protocol|typealias|func|var|let)\s+)?(\w+)/
        var found: [SourceImport] = []
        for target in try targets() {
            let dir = sources.appendingPathComponent(target)
            guard let walker = FileManager.default.enumerator(atPath: dir.path) else { continue }
            for case let path as String in walker where path.hasSuffix(".swift") {
                let text = try String(contentsOf: dir.appendingPathComponent(path), encoding: .utf8)
                for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                    if let match = line.firstMatch(of: pattern) {
                        found.append(SourceImport(target: target, file: "Sources/\(target)/\(path)", line: index + 1,
                                                  module: String(match.1)))
                    }
                }
            }
        }
        return found
    }

    /// The README's architecture table: `Sources/<target>` in the first cell, what it may import in the last
    /// ("—" for nothing), each module in backticks, e.g. `` `Core`, `GRDB` ``.
    static func table() throws -> [String: Set<String>] {
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        var rows: [String: Set<String>] = [:]
        for line in readme.split(separator: "\n") where line.hasPrefix("| `Sources/") {
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 3, let last = cells.dropLast().last else { continue }
            let allowed = Set(last.matches(of: /`([A-Za-z0-9_]+)`/).map { String($0.1) })
            for name in cells[1].matches(of: /`Sources\/([A-Za-z0-9_]+)`/) { rows[String(name.1)] = allowed }
        }
        return rows
    }
}

// MARK: Tests

@Suite struct LayeringTests {
    @Test func everyTargetHasARowInTheReadmeTable() throws {
        let table = try Layering.table()
        let missing = try Layering.targets().filter { table[$0] == nil }
        #expect(missing == [], "targets under Sources/ without a row in the README's architecture table")
    }

    @Test func everyFileImportsOnlyWhatItsTargetsRowAllows() throws {
        let table = try Layering.table()
        let imports = try Layering.imports()
        #expect(!imports.isEmpty)
        let broken = imports.filter { i in
            guard let allowed = table[i.target] else { return false }  // the test above reports it
            return !Layering.system.contains(i.module) && !allowed.contains(i.module)
        }
        #expect(broken.map(\.description) == [], "imports the README's table does not allow")
    }

    /// The fences the table draws, spelled out so a failure says which one: each library has one home.
    @Test func eachFencedLibraryIsImportedOnlyByItsHome() throws {
        let homes: [(library: (String) -> Bool, name: String, home: Set<String>)] = [
            ({ $0 == "GRDB" }, "GRDB", ["Storage"]),
            ({ $0 == "CCurl" }, "CCurl", ["Outbound"]),
            // Outbound HTTP is libcurl's: no second HTTP or TLS stack anywhere.
            ({ $0 == "AsyncHTTPClient" || $0.hasPrefix("NIO") }, "AsyncHTTPClient and NIO", []),
            ({ $0 == "HTTPTypes" }, "HTTPTypes", ["API", "App", "switchboard"]),
            ({ $0 == "COpenSSL" }, "COpenSSL", ["Cryptography"]),
            ({ $0 == "CFastCGI" }, "CFastCGI", ["FastCGI"]),
            // One registry per application, made in one place: nobody else bootstraps or reaches a global one.
            ({ ["Metrics", "CoreMetrics", "Prometheus"].contains($0) }, "swift-metrics and swift-prometheus", ["Telemetry"]),
            // Local programs start in one place, with an allow-listed environment and a time limit.
            ({ $0 == "Subprocess" }, "swift-subprocess", ["Processes"]),
        ]
        let imports = try Layering.imports()
        for fence in homes {
            let outside = imports.filter { fence.library($0.module) && !fence.home.contains($0.target) }
            #expect(outside.map(\.description) == [], "\(fence.name) may be imported only by \(fence.home.sorted())")
        }
    }

    /// The table's targets depend on each other without a cycle (the compiler checks Package.swift; this
    /// checks the prose), and the domain rows name no HTTP.
    @Test func theTableIsALayering() throws {
        let table = try Layering.table()
        var done: Set<String> = []
        var visiting: Set<String> = []
        var cycle: [String] = []
        func visit(_ t: String, _ path: [String]) {
            if done.contains(t) { return }
            if visiting.contains(t) { cycle = path + [t]; return }
            visiting.insert(t)
            for next in (table[t] ?? []).sorted() where table[next] != nil && next != t { visit(next, path + [t]) }
            visiting.remove(t)
            done.insert(t)
        }
        for t in table.keys.sorted() { visit(t, []) }
        #expect(cycle == [], "the README's table has a cycle")
        for domain in ["Core", "Storage", "Settings", "Catalog", "Auth", "Vault", "Accounts", "Pairing", "Telemetry", "Processes", "LocalTools"] {
            #expect(table[domain]?.contains("HTTPTypes") == false, "\(domain) may not know HTTP")
        }
    }
}
