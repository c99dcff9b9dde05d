import Core
import Foundation
import Processes
import Storage

/// A CLI's own sign-in for one account, running in a pseudo-terminal, relayed through the API: the URL and
/// code it printed go to the operator, what the operator pastes goes back in, and it is done when the CLI
/// ends and says the account is signed in.
final class LoginSession: Sendable {
    let id: String
    let tool: String
    let account: String
    let terminal: TerminalSession
    let startedAt: Date
    let deadline: Date
    /// Set once when it ended: succeeded, failed, cancelled, timed_out.
    let ending = Locked<(status: String, message: String, at: Date)?>(nil)
    /// Lines the operator sent, kept only to keep them out of the relayed transcript.
    let sent = Locked<[String]>([])

    init(id: String, tool: String, account: String, terminal: TerminalSession, startedAt: Date, deadline: Date) {
        self.id = id; self.tool = tool; self.account = account; self.terminal = terminal
        self.startedAt = startedAt; self.deadline = deadline
    }
}

/// What `GET /api/cli/{name}/accounts/{id}/login` answers.
public struct LoginView: Sendable, Encodable, Equatable {
    public var id: String
    public var tool: String
    public var account: String
    /// running, succeeded, failed, cancelled, timed_out
    public var status: String
    /// The sign-in page the CLI printed.
    @EncodedAsNull public var url: String?
    /// A one-time code to enter on that page (device sign-in), when the CLI printed one.
    @EncodedAsNull public var code: String?
    /// The question the CLI is waiting on (`Paste code here if prompted >`), when its last line is one.
    @EncodedAsNull public var prompt: String?
    /// What the CLI printed, made plain (escape sequences out), the newest 16 KB; what was typed is never in it.
    public var output: String
    public var startedAt: Date
    public var expiresAt: Date
    @EncodedAsNull public var endedAt: Date?
    @EncodedAsNull public var message: String?
}

extension LocalToolService {
    /// Starts the CLI's sign-in for an account (`POST …/login`); one at a time per account.
    public func startLogin(tool name: String, account id: String, actor: String, requestID: String? = nil) async throws -> LoginView {
        let tool = try tool(name)
        let row = try account(id, of: name)
        guard let path = locate(tool) else { throw Failure.notInstalled(name) }
        if let running = logins.withLock({ $0[id] }), running.ending.withLock({ $0 == nil }) { throw Failure.loginRunning(id) }
        if row.managed { try makeHome(tool, row.home) }
        var c = command(tool, tool.loginArguments, home: row.home)
        c.executable = path
        c.environment["TERM"] = "xterm-256color"
        c.environment.removeValue(forKey: "NO_COLOR")
        for (k, v) in tool.loginEnvironment { c.environment[k] = v }
        let terminal: TerminalSession
        do { terminal = try TerminalSession(c) } catch { throw Failure.invalid([FieldError(pointer: "", code: "login_failed", message: "\(error)")]) }
        let now = clock()
        var generator = SystemRandomNumberGenerator()
        let session = LoginSession(id: "login_" + String(generator.next() as UInt64, radix: 36), tool: name, account: id, terminal: terminal,
                                   startedAt: now, deadline: now.addingTimeInterval(options.loginTimeout.timeInterval))
        logins.withLock { $0[id] = session }
        try? database.audit(AuditEntry("cli.login.started", actor: actor, target: id, requestID: requestID, detail: .object(["tool": .string(name)])), at: now)
        let limit = options.loginTimeout
        Task { [self] in
            let ended = await terminal.waitUntilEnded(limit: limit)
            if !ended {
                await terminal.terminate()
                self.finish(session, "timed_out", "The sign-in was not finished within \(Int(limit.timeInterval)) s and was ended.", actor: "system")
                return
            }
            await self.completed(session, tool: tool, path: path)
        }
        // Give the CLI a moment to print its URL, so the first answer usually has it.
        for _ in 0..<25 {
            if terminal.state != .running || Self.relay(terminal.transcript.text, sent: []).url != nil { break }
            try? await Task.sleep(for: .milliseconds(40))
        }
        return view(session)
    }

    func completed(_ session: LoginSession, tool: ToolDefinition, path: String) async {
        guard session.ending.withLock({ $0 == nil }) else { return }
        let state = session.terminal.state
        guard let row = try? database.cliAccount(session.account) else {
            finish(session, "failed", "The account was removed.", actor: "system")
            return
        }
        let view = try? await checkAuth(row, tool: tool, path: path)
        let signedIn = view?.auth.status == AuthReport.Status.signedIn.rawValue
        if state == .exited(0) && signedIn {
            finish(session, "succeeded", "\(tool.displayName) reports \(session.account) signed in\(view?.auth.email.map { " as \($0)" } ?? "").", actor: "system")
        } else {
            let how: String
            switch state {
            case .exited(let code): how = "\(tool.name) ended with exit status \(code)"
            case .signalled(let s): how = "\(tool.name) was ended by signal \(s)"
            case .failed(let why): how = "\(tool.name) could not run: \(why)"
            case .running: how = "\(tool.name) is still running"
            }
            finish(session, "failed", signedIn ? "\(how), though it reports the account signed in." : "\(how); the account is not signed in.", actor: "system")
        }
    }

    func finish(_ session: LoginSession, _ status: String, _ message: String, actor: String) {
        let now = clock()
        let first = session.ending.withLock { e -> Bool in
            guard e == nil else { return false }
            e = (status, message, now)
            return true
        }
        guard first else { return }
        try? database.audit(AuditEntry("cli.login.\(status)", actor: actor, target: session.account,
                                       detail: .object(["tool": .string(session.tool), "login": .string(session.id)])), at: now)
    }

    public func login(tool name: String, account id: String) throws -> LoginView {
        _ = try tool(name)
        _ = try account(id, of: name)
        guard let s = logins.withLock({ $0[id] }) else { throw Failure.noLogin(id) }
        return view(s)
    }

    /// Types a line into the running sign-in (the code the operator copied from the sign-in page).
    public func sendLogin(tool name: String, account id: String, _ body: JSONValue) async throws -> LoginView {
        _ = try tool(name)
        _ = try account(id, of: name)
        guard let o = body.objectValue else { throw Failure.invalid([FieldError(pointer: "", code: "type", message: "must be a JSON object")]) }
        var errors: [FieldError] = []
        for key in o.keys.sorted() where key != "text" {
            errors.append(FieldError(pointer: "/" + JSONPointer.escape(key), code: "unknown_field", message: "is not a field of sign-in input (text)"))
        }
        let text = o["text"]?.stringValue
        // One line: no control characters (a newline would end it early, an escape would drive the terminal).
        if text == nil || text!.count > 4096 || text!.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            errors.append(FieldError(pointer: "/text", code: o["text"] == nil ? "required" : "invalid_format",
                                     message: "must be one line of at most 4096 characters, without control characters"))
        }
        guard errors.isEmpty, let text else { throw Failure.invalid(errors) }
        guard let s = logins.withLock({ $0[id] }) else { throw Failure.noLogin(id) }
        guard s.ending.withLock({ $0 == nil }), s.terminal.send(line: text) else { throw Failure.loginEnded(id) }
        if text.count >= 4 { s.sent.withLock { $0.append(text) } }
        // Let the CLI answer before this does, so the caller sees its reaction.
        let before = s.terminal.version
        for _ in 0..<25 {
            if s.terminal.version != before || s.terminal.state != .running { break }
            try? await Task.sleep(for: .milliseconds(40))
        }
        try? await Task.sleep(for: .milliseconds(60))
        return view(s)
    }

    /// Ends a running sign-in (`DELETE …/login`).
    public func cancelLogin(tool name: String, account id: String, actor: String, quietly: Bool = false) async {
        guard let s = logins.withLock({ $0[id] }), s.tool == name else { return }
        if s.ending.withLock({ $0 == nil }) {
            finish(s, "cancelled", "The sign-in was cancelled.", actor: actor)
            await s.terminal.terminate()
        }
        if quietly { logins.withLock { $0[id] = nil } }
    }

    public func cancelLogin(tool name: String, account id: String, actor: String) async throws -> LoginView {
        _ = try tool(name)
        _ = try account(id, of: name)
        guard let s = logins.withLock({ $0[id] }) else { throw Failure.noLogin(id) }
        await cancelLogin(tool: name, account: id, actor: actor, quietly: false)
        return view(s)
    }

    func view(_ s: LoginSession) -> LoginView {
        let relay = Self.relay(s.terminal.transcript.text, sent: s.sent.withLock { $0 })
        let ending = s.ending.withLock { $0 }
        return LoginView(id: s.id, tool: s.tool, account: s.account, status: ending?.status ?? "running", url: relay.url, code: relay.code,
                         prompt: ending == nil ? relay.prompt : nil, output: relay.output, startedAt: s.startedAt, expiresAt: s.deadline,
                         endedAt: ending?.at, message: ending?.message)
    }

    /// Reads what a CLI printed: the sign-in URL, a device code, the prompt it waits on; typed lines redacted.
    static func relay(_ raw: String, sent: [String]) -> (url: String?, code: String?, prompt: String?, output: String) {
        var text = ToolText.plain(raw)
        for line in sent { text = text.replacingOccurrences(of: line, with: "•••") }
        if text.utf8.count > 16 * 1024 { text = String(decoding: Array(text.utf8.suffix(16 * 1024)), as: UTF8.self) }
        let url = text.firstMatch(of: #/https?:\/\/[^\s"'<>│]+/#).map { String($0.output) }
        // A device code: XXXX-XXXX(X), on a line of its own.
        let code = text.split(whereSeparator: \.isNewline).lazy.compactMap { line -> String? in
            let t = line.trimmingCharacters(in: .whitespaces)
            return t.wholeMatch(of: #/[A-Z0-9]{4}-[A-Z0-9]{4,5}/#) != nil ? t : nil
        }.first
        let last = text.split(whereSeparator: \.isNewline).last.map { $0.trimmingCharacters(in: CharacterSet.whitespaces.union(CharacterSet(charactersIn: "│◆◇"))) }
        let prompt = last.flatMap { l -> String? in
            guard let end = l.last, ":>?".contains(end), l.count <= 200, !l.hasPrefix("http") else { return nil }
            return l
        }
        return (url, code, prompt, text)
    }
}
