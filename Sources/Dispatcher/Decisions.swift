import Accounts
import Core
import Foundation
import LocalTools
import Routing
import Storage

/// The runtimes that make their model calls through a provider's own CLI (or the SDK that drives it): the
/// only ones that may use tokens from that CLI's sign-in without `allowDirectApi`.
public enum RuntimeKind {
    public static let providerCLI: Set<String> = ["claude-code-sdk", "claude-code", "claude", "codex", "gemini"]

    public static func isProviderCLI(_ runtime: String) -> Bool {
        let r = runtime.lowercased()
        return providerCLI.contains(r) || r.hasSuffix("-cli")
    }
}

/// The answer to `POST /api/route`.
public struct RouteAnswer: Sendable, Encodable {
    public var decisionId: String
    public var account: String
    public var provider: String
    /// The provider's own model id, as the call names it.
    public var model: String
    /// `provider/model`.
    public var reference: String
    public var family: String
    public var baseUrl: String?
    public var runtime: String
    /// The parameters that apply, capped by the model, and the setting each came from.
    public var params: [String: JSONValue]
    public var paramsFrom: [String: String]
    public var credential: HandedCredential?
    /// For a CLI account: the command to run (argv, env with the account's home, how the prompt goes in).
    public var command: CLICommand?
    public var selection: String?
    /// The model asked for, when a fallback serves instead.
    public var fallbackFrom: String?
    public var pinned: Bool
    public var expiresAt: Date
    public var explain: [Explanation]

    /// The answer's JSON, written directly: it is made on every decision (what `JSON.encode` would write).
    public var jsonBytes: [UInt8] {
        var w = JSONWriter(capacity: 1536)
        w.object { w in
            w.member("account", account)
            w.member("baseUrl", baseUrl)
            if let command { w.key("command"); command.write(into: &w) }
            if let credential { w.key("credential"); credential.write(into: &w) }
            w.member("decisionId", decisionId)
            w.key("explain")
            w.array { w in for e in explain { e.write(into: &w) } }
            w.member("expiresAt", expiresAt)
            w.member("fallbackFrom", fallbackFrom)
            w.member("family", family)
            w.member("model", model)
            w.key("params")
            w.value(.object(params))
            w.member("paramsFrom", paramsFrom)
            w.member("pinned", pinned)
            w.member("provider", provider)
            w.member("reference", reference)
            w.member("runtime", runtime)
            if let selection { w.member("selection", selection) }
        }
        return w.bytes
    }
}

/// The answer to `POST /api/route/outcome`.
public struct OutcomeAnswer: Sendable, Encodable {
    public struct BlockView: Sendable, Encodable {
        public var scope: String
        public var reason: String
        public var until: Date?
        public var strikes: Int
    }
    public var decisionId: String
    public var account: String
    public var model: String
    public var outcome: String
    /// What the account is now for this model: `in_rotation`, or the block that holds it.
    public var block: BlockView?
    public var quota: [QuotaWindow]
    public var explain: [Explanation]
}

extension RouteService {
    // MARK: Deciding

    public func route(_ body: JSONValue, by caller: Caller) async throws -> RouteAnswer {
        let request: RouteRequest
        switch RouteRequest.check(body) {
        case .success(let r): request = r
        case .failure(let f): throw f
        }
        if request.withCredential && !caller.receivesCredentials { throw Failure.credentialNotAllowed(admin: caller.isAdmin) }
        let view = try currentView()
        if let agent = request.agent, !view.settings.agentExists(agent) { throw Failure.unknownAgent(agent) }
        var selection: CLISelection?
        if let name = request.selection {
            guard let s = view.cli?.selections[name] else { throw Failure.unknownSelection(name) }
            selection = s
        }
        guard let chain = view.settings.chain(model: selection?.model ?? request.model, agent: request.agent) else { throw Failure.noModel }
        let (runtime, runtimeFrom) = request.runtime.map { ($0, "request") } ?? view.settings.runtime(agent: request.agent)
        var query = RouteQuery(chain: chain, session: request.session, viaProviderCLI: RuntimeKind.isProviderCLI(runtime),
                               exclude: Set(request.exclude))
        var notes: [Explanation] = []
        if let selection {
            let all = view.catalog.models[selection.model]?.accounts ?? []
            if !selection.accounts.isEmpty {
                for id in all where !selection.accounts.contains(id) { query.exclude.insert(id) }
            }
            notes.append(Explanation(step: "selection", model: selection.model,
                                     message: "selection \(selection.name): \(selection.model)" + (selection.accounts.isEmpty ? " on any account of \(selection.tool)"
                                                                                            : " across \(selection.accounts.joined(separator: ", "))")))
        }
        if let agent = request.agent {
            notes.append(Explanation(step: "agent", message: "agent \(agent): runtime \(runtime) (\(runtimeFrom))"))
        }

        // A credential that cannot be handed out takes its account out of this decision; the next one is tried.
        for _ in 0..<4 {
            let now = clock()
            let verdict = state.withLock { $0.decide(query, in: view.catalog, at: now) }
            let routed: Verdict.Routed
            switch verdict {
            case .unavailable(let u):
                observer.decision(u.unknownModels.isEmpty ? "unavailable" : "unknown_model")
                if !u.unknownModels.isEmpty { throw Failure.unknownModels(u.unknownModels) }
                var u = u
                u.explain = notes + u.explain
                throw Failure.unavailable(u, at: now)
            case .routed(let r):
                routed = r
            }
            var credential: HandedCredential?
            var command: CLICommand?
            if routed.account.family == CLIFamily.name, let tools, let cli = view.cli {
                // A CLI account: no credential leaves (the CLI keeps its own); the runtime gets the command.
                let own = selection.map { $0.model == routed.model.reference } ?? false
                do {
                    command = try tools.command(in: cli, account: routed.account.id, tool: routed.model.provider, model: routed.model.model,
                                                values: own ? selection!.parameterValues : [:],
                                                promptMode: own ? PromptMode(rawValue: selection!.promptMode) ?? .stdin : .stdin)
                } catch {
                    state.withLock { $0.finish(account: routed.account.id, in: view.catalog) }
                    query.exclude.insert(routed.account.id)
                    notes.append(Explanation(step: "skipped", model: routed.model.reference, account: routed.account.id, reason: "command",
                                             message: "\(routed.account.id): its command could not be made: \(error)"))
                    continue
                }
            } else if request.withCredential {
                switch await handouts.handout(routed.account.id, now: now) {
                case .success(let c):
                    credential = c
                    countLease(token: caller.tokenID, account: routed.account.id, at: now)
                case .failure(let failure):
                    state.withLock { $0.finish(account: routed.account.id, in: view.catalog) }
                    if failure.isRefusal { try? await reportRefusal(routed.account.id, model: routed.model.model, at: now) }
                    query.exclude.insert(routed.account.id)
                    notes.append(Explanation(step: "skipped", model: routed.model.reference, account: routed.account.id, reason: "credential",
                                             message: "\(routed.account.id): its credential could not be handed out: \(failure)"))
                    continue
                }
            }
            var params = view.settings.params(routed.model.reference, agent: request.agent, maxOutputTokens: routed.model.maxOutputTokens,
                                              supportsTemperature: routed.model.supportsTemperature)
            if command != nil {
                // A CLI takes its selection's typed parameters (already in the command), not API parameters.
                let own = selection.map { $0.model == routed.model.reference } ?? false
                params = (own ? selection!.parameterValues : [:], own ? selection!.parameterValues.mapValues { _ in "selection \(selection!.name)" } : [:])
            }
            var explain = notes + routed.explain
            if !params.from.isEmpty {
                explain.append(Explanation(step: "params", model: routed.model.reference,
                                           message: params.from.sorted { $0.key < $1.key }.map { "\($0.key) from \($0.value)" }.joined(separator: "; ")))
            }
            let id = Self.decisionID()
            let row = RouteDecisionRow(id: id, process: process, at: now, expiresAt: now.addingTimeInterval(routed.account.decisionLifetime),
                                       accountID: routed.account.id, provider: routed.model.provider, model: routed.model.model,
                                       requested: request.model ?? chain[0].reference, step: routed.step, session: request.session, agent: request.agent,
                                       runtime: runtime, tokenID: caller.tokenID, explain: "")
            let dropped = open.withLock { $0.insert(row) }
            if !dropped.isEmpty { state.withLock { st in for d in dropped { st.finish(account: d.accountID, in: view.catalog) } } }
            pending.withLock { p in
                p.decisions.append(row)
                p.explanations[id] = explain
                if routed.pinned, let session = request.session {
                    p.pinUses[PinKey(session: session, model: routed.step)] =
                        PinRow(session: session, model: routed.step, accountID: routed.account.id, updatedAt: now)
                }
            }
            recent.withLock { r in
                r.append(Recent(row: row, explain: explain))
                if r.count > Self.recentCapacity { r.removeFirst(r.count - Self.recentCapacity) }
            }
            observer.decision(routed.fallbackFrom == nil ? "routed" : "fallback")
            return RouteAnswer(decisionId: id, account: routed.account.id, provider: routed.model.provider, model: routed.model.model,
                               reference: routed.model.reference, family: routed.account.family, baseUrl: routed.account.baseURL,
                               runtime: runtime, params: params.values, paramsFrom: params.from, credential: credential, command: command,
                               selection: selection?.name,
                               fallbackFrom: routed.fallbackFrom, pinned: routed.pinned, expiresAt: row.expiresAt, explain: explain)
        }
        let now = clock()
        throw Failure.unavailable(Verdict.Unavailable(retryAt: nil, skipped: [], explain: notes, unknownModels: []), at: now)
    }

    static func decisionID() -> String {
        var generator = SystemRandomNumberGenerator()
        func hex(_ n: UInt64) -> String {
            let digits = String(n, radix: 16)
            return String(repeating: "0", count: 16 - digits.count) + digits
        }
        // 128 random bits, always 32 hex digits (what `decisionId`'s pattern accepts).
        return "dec_" + hex(generator.next()) + hex(generator.next())
    }

    func countLease(token: String, account: String, at now: Date) {
        let hour = Self.hour(now)
        let key = token + "\u{1F}" + account + "\u{1F}" + hour
        pending.withLock { p in
            if var lease = p.leases[key] {
                lease.count += 1
                lease.lastAt = now
                p.leases[key] = lease
            } else {
                p.leases[key] = LeaseCount(tokenID: token, accountID: account, hour: hour, count: 1, firstAt: now, lastAt: now)
            }
        }
    }

    // MARK: Outcomes

    public func outcome(_ body: JSONValue, by caller: Caller) async throws -> OutcomeAnswer {
        let report: OutcomeReport
        switch OutcomeReport.check(body) {
        case .success(let r): report = r
        case .failure(let f): throw f
        }
        _ = try currentView()
        guard let decision = try await findDecision(report.decisionID), decision.tokenID == caller.tokenID || caller.isAdmin else {
            throw Failure.unknownDecision(report.decisionID)
        }
        if let earlier = decision.outcome { throw Failure.alreadyReported(report.decisionID, outcome: earlier) }
        let now = clock()
        let reference = "\(decision.provider)/\(decision.model)"
        let limits = RateLimitReport.parse(report.headers, at: now)
        let retryAfter = [report.retryAfter, limits.retryAfter].compactMap { $0 }.max()
        var explain: [Explanation] = []

        // An OAuth account's refusal: one renewal first. A renewed sign-in stays in rotation.
        var renewed = false
        if report.outcome == .auth, (try? database.account(decision.accountID))??.credentialKind == "oauth" {
            if case .success = await oauth.refresh(decision.accountID) {
                renewed = true
                explain.append(Explanation(step: "outcome", account: decision.accountID, reason: "renewed",
                                           message: "\(decision.accountID): the sign-in was renewed after the refusal; it stays in rotation"))
            }
        }
        let counts = !report.outcome.isTheRequestsFault && !renewed
        let changesState = counts && (report.outcome != .ok
            || state.withLock { $0.ledger.hasState(account: decision.accountID, model: decision.model) })
        let row = changesState ? RouteOutcomeRow(at: now, accountID: decision.accountID, model: decision.model, outcome: report.outcome.rawValue,
                                                 retryAfterMs: retryAfter.map { Int($0.components.seconds * 1000 + $0.components.attoseconds / 1_000_000_000_000_000) },
                                                 resetAt: report.outcome == .quotaExhausted ? limits.exhaustedUntil : nil,
                                                 httpStatus: report.httpStatus, decisionID: decision.id) : nil
        var pin: PinRow?
        if report.outcome == .ok, let session = decision.session {
            let current = state.withLock { $0.pins[PinKey(session: session, model: decision.step)] }
            if current?.account != decision.accountID {
                pin = PinRow(session: session, model: decision.step, accountID: decision.accountID, updatedAt: now)
            }
        }
        let quotas = limits.windows.map {
            QuotaRow(accountID: decision.accountID, window: $0.name, limit: $0.limit, remaining: $0.remaining,
                     usedFraction: $0.usedFraction, resetAt: $0.resetAt, updatedAt: now)
        }
        // Mark it reported here first, so a second report of the same decision is refused.
        let local = markReported(decision.id, outcome: report.outcome.rawValue, at: now)
        if row != nil || pin != nil || !quotas.isEmpty || !local.pendingOnly {
            try database.recordRouteOutcome(row, decision: local.pendingOnly ? nil : decision.id, outcomeName: report.outcome.rawValue,
                                            pin: pin, quotas: quotas, at: now)
        }
        if report.outcome == .auth && !renewed {
            try? accounts.recordRefusedByRuntime(decision.accountID, httpStatus: report.httpStatus, at: now)
        }
        if let pin { state.withLock { $0.pin(session: pin.session, model: pin.model, account: pin.accountID, at: now) } }
        try refresh(at: now)
        observer.outcome(report.outcome.rawValue)

        let (block, windows) = state.withLock { st in
            (st.ledger.block(account: decision.accountID, model: decision.model, at: now), st.quotas[decision.accountID] ?? [])
        }
        if let block {
            explain.append(Explanation(step: "outcome", model: reference, account: decision.accountID, reason: block.reason.rawValue, until: block.until,
                                       message: "\(decision.accountID) is out of rotation for \(reference): \(block.reason.rawValue)" + (block.until.map { " until \($0.formatted(.iso8601))" } ?? " until a connection test passes")))
        } else if report.outcome.isTheRequestsFault {
            explain.append(Explanation(step: "outcome", model: reference, account: decision.accountID, reason: report.outcome.rawValue,
                                       message: "\(report.outcome.rawValue) is the request's own fault: the account stays in rotation"))
        } else if report.outcome != .ok && !renewed {
            let seen = state.withLock { $0.ledger.pendingFailures(account: decision.accountID, model: decision.model) }
            explain.append(Explanation(step: "outcome", model: reference, account: decision.accountID, reason: report.outcome.rawValue,
                                       message: "\(seen) of \(rules.transientCount) \(report.outcome.rawValue)-like failures within \(Int(rules.transientWindow.components.seconds / 60)) minutes: still in rotation"))
        }
        return OutcomeAnswer(decisionId: decision.id, account: decision.accountID, model: reference, outcome: report.outcome.rawValue,
                             block: block.map { .init(scope: $0.scope.rawValue, reason: $0.reason.rawValue, until: $0.until, strikes: $0.strikes) },
                             quota: windows, explain: explain)
    }

    /// The decision: this process's (open, or waiting to be written), else the store's. A decision made by
    /// another process a moment ago may not be written yet (it writes every 40 ms): it is looked for again, every
    /// 25 ms for up to a second.
    func findDecision(_ id: String) async throws -> RouteDecisionRow? {
        for attempt in 0..<40 {
            if let mine = open.withLock({ $0[id] }) { return mine }
            if let waiting = pending.withLock({ $0.decisions.first { $0.id == id } }) { return waiting }
            if let mine = recent.withLock({ $0.last { $0.row.id == id }?.row }) { return mine }
            if let stored = try database.routeDecision(id) { return stored }
            if attempt < 39 { try? await Task.sleep(for: .milliseconds(25)) }
        }
        return nil
    }

    /// Marks the decision reported in this process's memory; `pendingOnly` when its row is not written yet
    /// (the outcome then travels with it).
    func markReported(_ id: String, outcome: String, at now: Date) -> (pendingOnly: Bool, wasOpen: Bool) {
        let opened = open.withLock { $0.remove(id) }
        if let opened {
            let catalog = view.read { $0?.catalog }
            state.withLock { $0.finish(account: opened.accountID, in: catalog) }
        }
        recent.withLock { r in
            if let i = r.lastIndex(where: { $0.row.id == id }) { r[i].row.outcome = outcome; r[i].row.outcomeAt = now }
        }
        let pendingOnly = pending.withLock { p -> Bool in
            guard let i = p.decisions.firstIndex(where: { $0.id == id }) else { return false }
            p.decisions[i].outcome = outcome
            p.decisions[i].outcomeAt = now
            return true
        }
        return (pendingOnly, opened != nil)
    }

    /// A credential the provider refused to renew or mint: recorded like a runtime's `auth` outcome.
    func reportRefusal(_ account: String, model: String, at now: Date) async throws {
        try database.recordRouteOutcome(RouteOutcomeRow(at: now, accountID: account, model: model, outcome: RouteOutcome.auth.rawValue),
                                        decision: nil, outcomeName: RouteOutcome.auth.rawValue, pin: nil, quotas: [], at: now)
        try? accounts.recordRefusedByRuntime(account, httpStatus: nil, at: now)
        try refresh(at: now)
    }
}
