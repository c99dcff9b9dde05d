import Foundation

/// The fake provider CLIs of `Tests/fakes/cli` (claude, codex, gemini, opencode), linked into a bin directory
/// of the test's own with its own control file (`fake-cli.json`) and call log (`calls.log`). Switchboard
/// finds them through `--cli-path` / `LocalToolService.Options.extraPaths`.
public final class FakeCLIs: @unchecked Sendable {
    // @unchecked: the directory is fixed at init; files are written by the test and read back, never shared state.
    public let bin: URL
    public static let names = ["claude", "codex", "gemini", "opencode"]

    public init(_ tools: [String] = FakeCLIs.names) throws {
        bin = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("sb-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        let source = Paths.repoRoot.appendingPathComponent("Tests/fakes/cli")
        try FileManager.default.createSymbolicLink(at: bin.appendingPathComponent("_fakecli.py"),
                                                   withDestinationURL: source.appendingPathComponent("_fakecli.py"))
        for t in tools { try install(t) }
    }

    public func install(_ tool: String) throws {
        try FileManager.default.createSymbolicLink(at: bin.appendingPathComponent(tool),
                                                   withDestinationURL: Paths.repoRoot.appendingPathComponent("Tests/fakes/cli/\(tool)"))
    }

    public func remove(_ tool: String) throws {
        try FileManager.default.removeItem(at: bin.appendingPathComponent(tool))
    }

    /// Replaces the control file: `["codex": ["version": "0.78.0"]]`.
    public func control(_ settings: [String: [String: Any]]) throws {
        let data = try JSONSerialization.data(withJSONObject: settings, options: [.sortedKeys])
        try data.write(to: bin.appendingPathComponent("fake-cli.json"))
    }

    /// Every invocation so far, oldest first.
    public func calls() -> [[String: Any]] {
        guard let text = try? String(contentsOf: bin.appendingPathComponent("calls.log"), encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    /// Approves a pending codex device sign-in, as the operator would on another device.
    public func approve(code: String) throws {
        try Data().write(to: bin.appendingPathComponent("approved-\(code)"))
    }

    /// Marks a home signed in, as the CLI's own sign-in would (the marker the fakes read for their status).
    public static func signIn(home: String, tool: String, email: String = "ops@example.com") throws {
        let dir: String
        switch tool {
        case "gemini": dir = home + "/.gemini"
        case "opencode": dir = home + "/.local/share/opencode"
        default: dir = home
        }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try Data(#"{"email":"\#(email)","plan":"max"}"#.utf8).write(to: URL(fileURLWithPath: dir + "/.fake-session"))
        if tool == "gemini" {
            try Data(#"{"security":{"auth":{"selectedType":"oauth-personal"}}}"#.utf8).write(to: URL(fileURLWithPath: dir + "/settings.json"))
            try Data("{}".utf8).write(to: URL(fileURLWithPath: dir + "/oauth_creds.json"))
        }
    }

    deinit { try? FileManager.default.removeItem(at: bin) }
}
