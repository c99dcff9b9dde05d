import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One fake of `Tests/fakes` (Python, standard library only) in a process of its own: `serve.py <kind>` serves HTTPS
/// on a free loopback port, and a control port answers plain HTTP with JSON (what the fake received, its switches).
///
/// The fake exits when its standard input ends. This process holds the only other end of it, so the fake goes with
/// this process however that ends, and at once when `stop()` closes it.
final class FakeProcess: @unchecked Sendable {
    // @unchecked Sendable: the ids are set once in init; `stopped` is behind `lock`.
    /// The fake's HTTPS port.
    let port: Int
    /// What the ready line said besides the ports (the OAuth fake's client id).
    let ready: [String: Any]
    private let control: HTTPClient
    private let pid: pid_t
    /// This end of the child's standard input and output.
    private let channel: Int32
    private let lock = NSLock()
    private var stopped = false

    static let script = Paths.repoRoot.appendingPathComponent("Tests/fakes/serve.py").path

    struct Failure: Error, CustomStringConvertible { let description: String }

    init(_ kind: String, arguments: [String]) throws {
        // One socket pair is the child's standard input and output: it writes its ready line to it and reads it until
        // this end closes. SOCK_CLOEXEC: nothing else a test spawns meanwhile (nginx, the responder, through `shell`)
        // may inherit this end; one more holder would keep the fake alive after this process.
        var ends: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &ends) == 0 else {
            throw Failure(description: "socketpair: errno \(errno)")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // dup2 leaves the copies without close-on-exec: the child keeps them.
        posix_spawn_file_actions_adddup2(&actions, ends[1], 0)
        posix_spawn_file_actions_adddup2(&actions, ends[1], 1)
        // -B: no bytecode written into the source tree.
        let words = ["python3", "-B", Self.script, kind] + arguments
        let argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawnp(&pid, "python3", &actions, nil, argv, environ)
        close(ends[1])
        guard rc == 0 else {
            close(ends[0])
            throw Failure(description: "could not start python3 \(Self.script): posix_spawnp \(rc)")
        }
        self.pid = pid
        channel = ends[0]

        // The ready line, `{"port": …, "control": …}`; end of file first means the fake could not start (its
        // error went to this process's standard error).
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while true {
            let n = read(channel, &byte, 1)
            if n < 0 && errno == EINTR { continue }
            if n != 1 || byte == 10 { break }
            line.append(byte)
        }
        let object = (try? JSONSerialization.jsonObject(with: Data(line))) as? [String: Any] ?? [:]
        guard let port = object["port"] as? Int, let controlPort = object["control"] as? Int else {
            close(channel)
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            throw Failure(description: "the \(kind) fake did not start: \(String(decoding: line, as: UTF8.self))")
        }
        self.port = port
        ready = object
        control = HTTPClient(port: controlPort)
    }

    /// A request to the control port; its JSON answer. A control port that does not answer is the harness's failure,
    /// never an empty answer a test could read as "nothing happened": it stops the run.
    func call(_ method: String, _ path: String, json body: Any? = nil) -> [String: Any] {
        do {
            let text = try body.map { String(decoding: try JSONSerialization.data(withJSONObject: $0), as: UTF8.self) }
            let reply = try control.send(method, path, headers: text == nil ? [] : [("Content-Type", "application/json")], body: text)
            guard reply.status == 200 else { throw Failure(description: "\(method) \(path): \(reply)") }
            return reply.json
        } catch {
            fatalError("the fake's control port failed: \(error)")
        }
    }

    /// Ends the fake (SIGTERM, and its standard input closed) and reaps it; later calls do nothing.
    func stop() {
        let first = lock.withLock {
            defer { stopped = true }
            return !stopped
        }
        guard first else { return }
        kill(pid, SIGTERM)
        close(channel)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    }

    deinit { stop() }
}
