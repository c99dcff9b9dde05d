import Core
import Foundation
import Subprocess
#if canImport(Glibc)
import Glibc
#endif

/// A program run in a pseudo-terminal, for the CLIs whose sign-in insists on one (they read a pasted code in
/// raw mode, or refuse when standard input is not a terminal). What it prints is kept (the last
/// `transcriptLimit` bytes) for whoever relays it; lines go back in with `send`.
///
/// swift-subprocess spawns it with the terminal's secondary side as its standard input, output and error, in
/// a session of its own; a thread of this session reads the primary side until the program is gone.
public final class TerminalSession: Sendable {
    public enum State: Sendable, Equatable {
        case running
        case exited(Int32)
        case signalled(Int32)
        case failed(String)
    }

    struct Shared: Sendable {
        var transcript: [UInt8] = []
        var dropped = 0
        var state: State = .running
        var task: Task<Void, Never>?
        /// Bumped on every change, for waiters.
        var version = 0
    }

    public let command: ProcessCommand
    let primary: Int32
    let transcriptLimit: Int
    let shared = Locked(Shared())
    let readerDone = Locked(false)

    /// Starts `command` in a new pseudo-terminal. Its `timeout` is not applied here: the caller ends it with
    /// `terminate()` when its own deadline passes.
    public init(_ command: ProcessCommand, transcriptLimit: Int = 64 * 1024) throws(ProcessFailure) {
        guard FileManager.default.isExecutableFile(atPath: command.executable) else { throw .notExecutable(command.executable) }
        var primary: Int32 = -1, secondary: Int32 = -1
        var size = winsize(ws_row: 40, ws_col: 200, ws_xpixel: 0, ws_ypixel: 0)
        guard openpty(&primary, &secondary, nil, nil, &size) == 0 else { throw .launchFailed("openpty: \(String(cString: strerror(errno)))") }
        // What the operator types (a pasted sign-in code) is not echoed into the transcript: the relay shows
        // what the program printed, not the secret that went in.
        var attributes = termios()
        if tcgetattr(secondary, &attributes) == 0 {
            attributes.c_lflag &= ~tcflag_t(ECHO)
            _ = tcsetattr(secondary, TCSANOW, &attributes)
        }
        _ = fcntl(primary, F_SETFD, FD_CLOEXEC)
        let input = dup(secondary), output = dup(secondary), error = dup(secondary)
        close(secondary)
        self.command = command
        self.primary = primary
        self.transcriptLimit = transcriptLimit

        let configuration = command.configuration
        let shared = self.shared
        let task = Task {
            let state: State
            do {
                let result = try await Subprocess.run(
                    configuration,
                    input: .fileDescriptor(.init(rawValue: input), closeAfterSpawningProcess: true),
                    output: .fileDescriptor(.init(rawValue: output), closeAfterSpawningProcess: true),
                    error: .fileDescriptor(.init(rawValue: error), closeAfterSpawningProcess: true))
                switch result.terminationStatus {
                case .exited(let code): state = .exited(code)
                case .signaled(let signal): state = .signalled(signal)
                }
            } catch {
                state = .failed("\(error)")
            }
            shared.withLock { s in
                if s.state == .running { s.state = state }
                s.version += 1
            }
        }
        shared.withLock { $0.task = task }
        let reader = Thread { [self] in self.readLoop() }
        reader.name = "switchboard-pty"
        reader.start()
    }

    deinit {
        close(primary)
    }

    func readLoop() {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(primary, $0.baseAddress, 4096) }
            if n < 0 && errno == EINTR { continue }
            // EIO: every descriptor of the secondary side is closed (the program and its children are gone).
            if n <= 0 { break }
            shared.withLock { s in
                s.transcript.append(contentsOf: buffer[0..<n])
                if s.transcript.count > transcriptLimit {
                    let excess = s.transcript.count - transcriptLimit
                    s.transcript.removeFirst(excess)
                    s.dropped += excess
                }
                s.version += 1
            }
        }
        readerDone.withLock { $0 = true }
    }

    /// What the program printed so far (the newest `transcriptLimit` bytes), and how many older bytes were dropped.
    public var transcript: (text: String, dropped: Int) {
        shared.withLock { (String(decoding: $0.transcript, as: UTF8.self), $0.dropped) }
    }

    public var state: State { shared.withLock { $0.state } }
    /// Changes whenever the transcript or the state does.
    public var version: Int { shared.withLock { $0.version } }

    /// Types `text` followed by Enter.
    @discardableResult
    public func send(line text: String) -> Bool {
        guard state == .running else { return false }
        return FileDescriptor.writeAll(primary, Array((text + "\r").utf8))
    }

    /// Ends the program (SIGTERM to its process group, SIGKILL after half a second) and waits for it.
    public func terminate() async {
        let task = shared.withLock { $0.task }
        task?.cancel()
        await task?.value
    }

    /// Waits until the program has ended (or `limit` passes); true when it has.
    public func waitUntilEnded(limit: Duration) async -> Bool {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if state != .running { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return state != .running
    }
}
