import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Paths of the checkout and of the built binary.
public enum Paths {
    /// The repository root, from this file's place in it.
    public static let repoRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The `switchboard` binary: `$SWITCHBOARD_BIN`, else the one built next to the test bundle.
    public static var binary: String {
        if let env = ProcessInfo.processInfo.environment["SWITCHBOARD_BIN"], !env.isEmpty { return env }
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
        // Inside an .xctest bundle directory on some layouts.
        if dir.lastPathComponent.hasSuffix(".xctest") { dir = dir.deletingLastPathComponent() }
        return dir.appendingPathComponent("switchboard").path
    }

    /// Where a whole-suite run keeps every stack's state and logs for the canary scan
    /// (`SWITCHBOARD_TEST_ARTIFACTS`, set by deploy/test.sh); nil when stacks clean up after themselves.
    public static var artifacts: URL? {
        ProcessInfo.processInfo.environment["SWITCHBOARD_TEST_ARTIFACTS"].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0) }
    }

    /// A fresh directory under /tmp (or the artifacts directory) that nginx's workers (www-data when tests run
    /// as root) can traverse.
    public static func temporaryDirectory(_ label: String) throws -> URL {
        let url = (artifacts ?? URL(fileURLWithPath: "/tmp")).appendingPathComponent("sbtest-\(label)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        return url
    }

    /// A loopback TCP port nothing listens on right now.
    public static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return Int(UInt16(bigEndian: addr.sin_port))
    }
}

/// Runs a shell command, returning its exit status and combined output.
///
/// Spawned with posix_spawn and reaped with waitpid: Foundation's `Process.waitUntilExit` can wait forever
/// when called from a Swift concurrency thread. Output goes through a temporary file, not a pipe: daemons the
/// command starts (nginx, the responder) inherit the pipe and would keep it open.
@discardableResult
public func shell(_ script: String, environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
    let outputPath = NSTemporaryDirectory() + "sbtest-shell-\(UUID().uuidString)"
    defer { try? FileManager.default.removeItem(atPath: outputPath) }
    let wrapped = "{ \(script)\n} </dev/null >'\(outputPath)' 2>&1"
    var env = ProcessInfo.processInfo.environment.merging(environment) { $1 }.map { "\($0.key)=\($0.value)" }
    var pid: pid_t = 0
    let words: [String] = ["/bin/bash", "-c", wrapped]
    let argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
    let envp: [UnsafeMutablePointer<CChar>?] = env.map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) }; envp.forEach { free($0) }; env.removeAll() }
    let rc = posix_spawn(&pid, "/bin/bash", nil, nil, argv, envp)
    guard rc == 0 else { throw StackFailure(description: "posix_spawn failed: \(rc)") }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
    let exited = (status & 0x7F) == 0
    return (exited ? (status >> 8) & 0xFF : 128 + (status & 0x7F), text)
}

/// True once process `pid` is gone or a zombie (a container's PID 1 may never reap it).
public func processHasExited(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
    let state = stat.split(separator: ")").last?.split(separator: " ").first
    return state == "Z" || state == "X"
}

/// The real stack for one test: the `switchboard` binary behind nginx (rendered from nginx.conf.example by
/// deploy/nginx-render.sh), on a free loopback port, with its own state directory.
public final class Stack: @unchecked Sendable {
    // @unchecked Sendable: immutable after init; stop() is idempotent via the processes themselves.
    public let root: URL
    public let run: URL
    public let state: URL
    public let port: Int
    /// The admin token minted on first start.
    public let token: String

    public let serveArguments: [String]
    /// Extra environment variables for the responder (and nginx).
    public let environment: [String: String]

    public init(serveArguments: [String] = [], environment: [String: String] = [:], label: String = "stack") throws {
        self.serveArguments = serveArguments
        self.environment = environment
        root = try Paths.temporaryDirectory(label)
        run = root.appendingPathComponent("run")
        state = root.appendingPathComponent("state")
        let lib = Paths.repoRoot.appendingPathComponent("deploy/lib.sh").path
        let args = serveArguments.map { "'\($0)'" }.joined(separator: " ")
        // Output goes to a file: the daemons started here would otherwise hold a pipe open forever.
        let startLog = root.appendingPathComponent("start.log").path
        // A port free a moment ago can be taken before nginx binds it (another test's connection got it as its
        // ephemeral port): then the stack starts again on another.
        var chosen = 0
        for attempt in 1...5 {
            chosen = Paths.freePort()
            let result = try shell("source '\(lib)' && start_stack '\(run.path)' '\(state.path)' 127.0.0.1:\(chosen) '\(Paths.binary)' \(args) >'\(startLog)' 2>&1", environment: environment)
            if result.status == 0 { break }
            let log = (try? String(contentsOfFile: startLog, encoding: .utf8)) ?? ""
            _ = try? shell("source '\(lib)' && stop_stack '\(run.path)' >/dev/null 2>&1")
            guard attempt < 5, log.contains("Address already in use") else { throw StackFailure(description: "start_stack failed: \(log)") }
        }
        port = chosen
        let client = HTTPClient(port: port)
        for _ in 0..<100 {
            if let reply = try? client.send("GET", "/api/health"), reply.status == 200 { break }
            usleep(100_000)
        }
        let stdout = (try? String(contentsOf: run.appendingPathComponent("serve.stdout"), encoding: .utf8)) ?? ""
        guard let range = stdout.range(of: #"sbk_[A-Za-z0-9_-]+"#, options: .regularExpression) else {
            throw StackFailure(description: "no admin token printed on first start: \(stdout)")
        }
        token = String(stdout[range])
    }

    public var http: HTTPClient { HTTPClient(port: port) }
    public var socketPath: String { run.appendingPathComponent("fcgi.sock").path }

    public var responderPID: Int32 {
        Int32((try? String(contentsOf: run.appendingPathComponent("switchboard.pid"), encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 0
    }

    /// Everything the stack logged: the responder's stderr and nginx's logs.
    public var logs: String {
        let files = [run.appendingPathComponent("switchboard.log")] +
            ((try? FileManager.default.contentsOfDirectory(at: run.appendingPathComponent("nginx/logs"), includingPropertiesForKeys: nil)) ?? [])
        return files.compactMap { try? String(contentsOf: $0, encoding: .utf8) }.joined(separator: "\n")
    }

    /// Runs the `switchboard` CLI on this stack's state directory.
    public func cli(_ arguments: String, environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
        try shell("'\(Paths.binary)' \(arguments) --state-dir '\(state.path)'", environment: environment)
    }

    /// Stops the responder gracefully (SIGTERM) and waits until it is gone; nginx stays up.
    public func stopResponder() {
        let pid = responderPID
        guard pid > 0 else { return }
        kill(pid, SIGTERM)
        for _ in 0..<100 where kill(pid, 0) == 0 {
            // A zombie (this container's PID 1 does not reap) counts as gone.
            if let ps = try? shell("ps -o stat= -p \(pid)"), ps.output.hasPrefix("Z") { break }
            usleep(50_000)
        }
    }

    /// Kills the responder outright (SIGKILL), as a crash would; nginx stays up and answers 502 meanwhile.
    public func killResponder() {
        let pid = responderPID
        if pid > 0 { kill(pid, SIGKILL) }
    }

    /// Starts the responder again on the same socket and state directory, and waits until it answers.
    public func restartResponder() throws {
        let lib = Paths.repoRoot.appendingPathComponent("deploy/lib.sh").path
        let args = serveArguments.map { "'\($0)'" }.joined(separator: " ")
        let result = try shell("source '\(lib)' && start_responder '\(run.path)' '\(state.path)' '\(Paths.binary)' \(args)", environment: environment)
        guard result.status == 0 else { throw StackFailure(description: "start_responder failed: \(result.output)") }
        for _ in 0..<100 {
            if let reply = try? http.send("GET", "/api/health"), reply.status == 200 { return }
            usleep(50_000)
        }
        throw StackFailure(description: "the restarted responder does not answer")
    }

    public func stop() {
        let lib = Paths.repoRoot.appendingPathComponent("deploy/lib.sh").path
        _ = try? shell("source '\(lib)' && stop_stack '\(run.path)' >/dev/null 2>&1")
        for extra in (try? FileManager.default.contentsOfDirectory(at: root, includingPropertiesForKeys: nil)) ?? []
        where extra.lastPathComponent.hasPrefix("run-") {
            _ = try? shell("source '\(lib)' && stop_stack '\(extra.path)' >/dev/null 2>&1")
        }
    }

    /// Starts another responder on this stack's state directory (its own socket under `run-<name>`) and adds it
    /// to nginx's upstream beside the first, so requests alternate between two processes that share the state.
    /// Returns the run directory of the new responder (its log is `switchboard.log` there).
    public func addResponder(_ name: String) throws -> URL {
        let lib = Paths.repoRoot.appendingPathComponent("deploy/lib.sh").path
        let second = root.appendingPathComponent("run-\(name)")
        try FileManager.default.createDirectory(at: second, withIntermediateDirectories: true)
        let args = serveArguments.map { "'\($0)'" }.joined(separator: " ")
        let started = try shell("source '\(lib)' && start_responder '\(second.path)' '\(state.path)' '\(Paths.binary)' \(args)", environment: environment)
        guard started.status == 0 else { throw StackFailure(description: "start_responder failed: \(started.output)") }
        let site = run.appendingPathComponent("nginx/switchboard.conf")
        let text = try String(contentsOf: site, encoding: .utf8)
        let first = "server unix:\(socketPath);"
        guard text.contains(first) else { throw StackFailure(description: "no upstream server line in \(site.path)") }
        try text.replacingOccurrences(of: first, with: first + "\n    server unix:\(second.path)/fcgi.sock;")
            .write(to: site, atomically: true, encoding: .utf8)
        let reload = try shell("nginx -c '\(run.path)/nginx/nginx.conf' -e '\(run.path)/nginx/logs/error.log' -s reload")
        guard reload.status == 0 else { throw StackFailure(description: "nginx reload failed: \(reload.output)") }
        usleep(300_000)
        return second
    }

    deinit {
        stop()
        // Kept for the canary scan when the whole suite runs (deploy/test.sh removes them afterwards).
        if Paths.artifacts == nil { try? FileManager.default.removeItem(at: root) }
    }
}

public struct StackFailure: Error, CustomStringConvertible {
    public let description: String
    public init(description: String) { self.description = description }
}

/// Brings up nginx alone, rendered from nginx.conf.example, in front of any FastCGI socket.
public final class NginxOnly: @unchecked Sendable {
    public let dir: URL
    public let port: Int

    public init(socketPath: String, dir: URL) throws {
        self.dir = dir
        port = Paths.freePort()
        let render = Paths.repoRoot.appendingPathComponent("deploy/nginx-render.sh").path
        let web = Paths.repoRoot.appendingPathComponent("web").path
        let result = try shell("'\(render)' '\(dir.path)/nginx' 127.0.0.1:\(port) '\(socketPath)' '\(web)' >/dev/null && nginx -c '\(dir.path)/nginx/nginx.conf' -e '\(dir.path)/nginx/logs/error.log' >'\(dir.path)/nginx-start.log' 2>&1")
        guard result.status == 0 else { throw StackFailure(description: "nginx failed: \(result.output)") }
        for _ in 0..<50 {
            if (try? HTTPClient(port: port).send("GET", "/index.html")) != nil { break }
            usleep(100_000)
        }
    }

    public func stop() {
        _ = try? shell("nginx -c '\(dir.path)/nginx/nginx.conf' -e '\(dir.path)/nginx/logs/error.log' -s quit >/dev/null 2>&1")
    }

    deinit { stop() }
}

/// Secrets the server makes itself (pairing codes) cannot carry the CANARYSECRET marker: a test that sees one
/// records it here, and the whole-suite canary scan (Tests/canary/scan.py) searches every artifact for it too.
public enum Canary {
    public static func remember(_ secret: String) {
        guard let root = ProcessInfo.processInfo.environment["SWITCHBOARD_TEST_ARTIFACTS"], !root.isEmpty else { return }
        let path = root + "/canary-needles.txt"
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        guard fd >= 0 else { return }
        let line = Array((secret + "\n").utf8)
        _ = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
    }
}
