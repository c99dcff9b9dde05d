import Core
import Foundation
import Subprocess

/// One run of a local program, fixed before it starts: an absolute path, its arguments as a list (never a
/// shell line), the whole environment, a time limit and a cap on what it may print.
public struct ProcessCommand: Sendable, Equatable {
    public var executable: String
    public var arguments: [String]
    /// The complete environment: nothing is inherited that is not here (`ProcessEnvironment.allowListed`).
    public var environment: [String: String]
    public var workingDirectory: String?
    public var timeout: Duration
    /// Bytes each of standard output and standard error may hold; more ends the run as `outputTooLarge`.
    public var outputLimit: Int
    public var standardInput: String?

    public init(executable: String, arguments: [String], environment: [String: String], workingDirectory: String? = nil,
                timeout: Duration = .seconds(10), outputLimit: Int = 1 << 20, standardInput: String? = nil) {
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.timeout = timeout
        self.outputLimit = outputLimit
        self.standardInput = standardInput
    }

    /// swift-subprocess's form of it: its own session and process group, so the teardown (SIGTERM to the group,
    /// SIGKILL half a second later) reaches what it started too, and it has no controlling terminal to prompt on.
    var configuration: Configuration {
        var options = PlatformOptions()
        options.createSession = true
        options.teardownSequence = [.gracefulShutDown(toProcessGroup: true, allowedDurationToNextStep: .milliseconds(500))]
        return Configuration(
            executable: .path(.init(executable)),
            arguments: Arguments(arguments),
            environment: .custom(Dictionary(uniqueKeysWithValues: environment.map { (Environment.Key(stringLiteral: $0.key), $0.value) })),
            workingDirectory: workingDirectory.map { .init($0) },
            platformOptions: options)
    }

    /// `path arg1 arg2`, for logs and notices (no environment: it may name homes).
    public var display: String {
        ([(executable as NSString).lastPathComponent] + arguments).joined(separator: " ")
    }
}

/// What a finished run printed and how it ended.
public struct ProcessOutput: Sendable, Equatable {
    public enum Ending: Sendable, Equatable {
        case exited(Int32)
        case signalled(Int32)
    }
    public var ending: Ending
    public var standardOutput: String
    public var standardError: String

    public var succeeded: Bool { ending == .exited(0) }
    public var exitCode: Int32? { if case .exited(let c) = ending { return c } else { return nil } }
    /// Both streams, for parsers that do not care which one a CLI chose.
    public var combined: String { standardError.isEmpty ? standardOutput : standardOutput + "\n" + standardError }
}

/// Why a run gave no `ProcessOutput`.
public enum ProcessFailure: Error, Sendable, Equatable, CustomStringConvertible {
    case notExecutable(String)
    case timedOut(Duration)
    case outputTooLarge(Int)
    case launchFailed(String)

    public var description: String {
        switch self {
        case .notExecutable(let path): return "\(path) is not an executable file"
        case .timedOut(let limit): return "it did not finish within \(limit.timeInterval.formatted()) s and was ended"
        case .outputTooLarge(let limit): return "it printed more than \(limit) bytes and was ended"
        case .launchFailed(let why): return "it could not be started: \(why)"
        }
    }
}

/// The environment a local program gets: a few harmless variables copied from this process, and what the
/// caller adds. Everything else (Switchboard's own configuration, tokens an operator exported, `*_API_KEY`)
/// stays behind, whatever its name.
public enum ProcessEnvironment {
    /// Copied from this process when set. `PATH` because CLIs start helpers (`node`, `git`) by name.
    public static let inherited = ["PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR"]

    public static func allowListed(adding extra: [String: String], from source: [String: String] = ProcessInfo.processInfo.environment)
        -> [String: String] {
        var env: [String: String] = [:]
        for name in inherited { if let v = source[name] { env[name] = v } }
        if env["PATH"] == nil { env["PATH"] = "/usr/local/bin:/usr/bin:/bin" }
        if env["LANG"] == nil { env["LANG"] = "C.UTF-8" }
        env["TERM"] = "dumb"
        env["NO_COLOR"] = "1"
        for (k, v) in extra { env[k] = v }
        return env
    }
}

/// Runs local programs without holding a request thread: each run is awaited on the cooperative pool while
/// swift-subprocess waits for the child (epoll and pidfd on Linux), and a run that passes its time limit is
/// ended, first with SIGTERM to its process group, then SIGKILL.
public struct ProcessRunner: Sendable {
    public init() {}

    public func run(_ command: ProcessCommand) async throws(ProcessFailure) -> ProcessOutput {
        guard FileManager.default.isExecutableFile(atPath: command.executable) else { throw .notExecutable(command.executable) }
        let configuration = command.configuration
        let limit = command.outputLimit
        let input = command.standardInput
        do {
            return try await withThrowingTaskGroup(of: ProcessOutput?.self) { group in
                group.addTask {
                    let result: ExecutionResult<Void, StringOutput<UTF8>, StringOutput<UTF8>>
                    if let input {
                        result = try await Subprocess.run(configuration, input: .string(input), output: .string(limit: limit), error: .string(limit: limit))
                    } else {
                        result = try await Subprocess.run(configuration, input: .none, output: .string(limit: limit), error: .string(limit: limit))
                    }
                    let ending: ProcessOutput.Ending
                    switch result.terminationStatus {
                    case .exited(let code): ending = .exited(code)
                    case .signaled(let signal): ending = .signalled(signal)
                    }
                    return ProcessOutput(ending: ending, standardOutput: result.standardOutput, standardError: result.standardError)
                }
                group.addTask {
                    try await Task.sleep(for: command.timeout)
                    return nil
                }
                defer { group.cancelAll() }
                guard let first = try await group.next(), let output = first else { throw ProcessFailure.timedOut(command.timeout) }
                return output
            }
        } catch let failure as ProcessFailure {
            throw failure
        } catch let error as SubprocessError {
            if error.code == .outputLimitExceeded { throw .outputTooLarge(limit) }
            if error.code == .executableNotFound { throw .notExecutable(command.executable) }
            throw .launchFailed("\(error)")
        } catch {
            throw .launchFailed("\(error)")
        }
    }
}
