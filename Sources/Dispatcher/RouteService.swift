import Accounts
import Catalog
import Core
import Foundation
import LocalTools
import Routing
import Settings
import Storage
import Synchronization

/// What an agent runtime asks before each model call (`POST /api/route`) and reports after it
/// (`POST /api/route/outcome`), and what an operator reads (`GET /api/route/status`).
///
/// A decision reads a view kept in memory and writes nothing on the request thread: the view (accounts, the
/// models they offer, the settings) is rebuilt when something changed, and the routing state (cooldowns from
/// the replayed outcome log, pins, quotas, other processes' decisions in flight) is caught up from the store
/// every `refreshInterval` by a background task, so several `serve` processes on one state directory agree
/// within that interval. Decisions, pin uses and credential counts are written in batches off the request
/// thread; an outcome is written durably before it is answered.
public final class RouteService: Sendable {
    /// Who is asking, after authentication.
    public struct Caller: Sendable {
        public var tokenID: String
        public var actor: String
        public var isAdmin: Bool
        /// A runtime token with the `credentials` scope.
        public var receivesCredentials: Bool
        public var requestID: String?

        public init(tokenID: String, actor: String, isAdmin: Bool, receivesCredentials: Bool, requestID: String? = nil) {
            self.tokenID = tokenID
            self.actor = actor
            self.isAdmin = isAdmin
            self.receivesCredentials = receivesCredentials
            self.requestID = requestID
        }
    }

    public enum Failure: Error {
        case invalid([FieldError])
        case unknownAgent(String)
        /// Neither the request nor the agent nor the defaults name a model.
        case noModel
        /// No account offers any model of the chain.
        case unknownModels([String])
        /// Every account of every model of the chain is out; when one frees up, and why each is out.
        case unavailable(Verdict.Unavailable, at: Date)
        /// `withCredential` from a token that is not handed credentials.
        case credentialNotAllowed(admin: Bool)
        case unknownDecision(String)
        case alreadyReported(String, outcome: String)
        case unknownStatusModel(String)
        case unknownSelection(String)
    }

    let database: AppDatabase
    let accounts: AccountService
    let config: ConfigService
    let catalog: CatalogStore
    let handouts: CredentialHandouts
    let oauth: OAuthService
    let clock: @Sendable () -> Date
    let rules: CooldownRules
    /// This process, in the decisions it writes (so it can tell its own in-flight decisions from others').
    let process: String
    let refreshInterval: Duration
    let observer: RouteObserver
    /// Provider CLIs: their accounts join routing's view, and a decision for one carries the command to run.
    let tools: LocalToolService?

    struct View: Sendable {
        var catalog: RouteCatalog
        var settings: RoutingSettings
        var fingerprint: String
        var lastPassedTests: [String: Date]
        /// The CLIs, their accounts and selections, as the view was built.
        var cli: CLISnapshot?
    }

    struct Sync: Sendable {
        var lastSeq: Int64 = 0
        var pinsCheckedAt = Date.distantPast
        var quotasAt: Date?
        var started = false
        var stopped = false
        var task: Task<Void, Never>?
        var ticks = 0
        var flightWrittenAt = Date.distantPast
    }

    struct Pending: Sendable {
        var decisions: [RouteDecisionRow] = []
        /// Each pending decision's explanation, written as JSON when the batch is (off the request thread).
        var explanations: [String: [Explanation]] = [:]
        var pinUses: [PinKey: PinRow] = [:]
        var leases: [String: LeaseCount] = [:]
    }

    let view = ReadMostly<View?>(nil)
    /// Counts the changes this process made to what routing reads (an account, the settings): a decision that
    /// sees more of them than the view caught up with catches up first instead of waiting for the background refresh.
    let changes = Atomic<Int>(0)
    /// The count of `changes` the view has caught up with.
    let caughtUp = Atomic<Int>(0)
    /// `start()` ran: every request checks this, without a lock.
    let started = Atomic<Bool>(false)
    let state: Locked<RouteState>
    let sync = Locked<Sync>(Sync())
    let open = Locked(OpenDecisions())
    let pending = Locked<Pending>(Pending())
    /// The newest decisions of this process with their explanation, newest last (the status page's list).
    let recent = Locked<[Recent]>([])

    struct Recent: Sendable {
        var row: RouteDecisionRow
        var explain: [Explanation]
    }
    static let recentCapacity = 50

    public init(database: AppDatabase, accounts: AccountService, config: ConfigService, catalog: CatalogStore,
                handouts: CredentialHandouts, oauth: OAuthService, rules: CooldownRules = CooldownRules(),
                refreshInterval: Duration = .milliseconds(250), observer: RouteObserver = RouteObserver(),
                tools: LocalToolService? = nil, clock: @escaping @Sendable () -> Date = { Date() }) {
        self.tools = tools
        self.database = database
        self.accounts = accounts
        self.config = config
        self.catalog = catalog
        self.handouts = handouts
        self.oauth = oauth
        self.rules = rules
        self.refreshInterval = refreshInterval
        self.observer = observer
        self.clock = clock
        self.state = Locked(RouteState(ledger: FailureLedger(rules: rules)))
        var generator = SystemRandomNumberGenerator()
        self.process = "p_" + String(generator.next() as UInt64, radix: 36)
    }

    // MARK: Keeping up with the store

    /// Starts the background refresh and usage writer (once; a stopped service stays stopped). The first
    /// request starts it too, so an in-process application needs no call.
    public func start() {
        guard !started.load(ordering: .relaxed) else { return }
        started.store(true, ordering: .relaxed)
        sync.withLock { s in
            guard !s.started, !s.stopped else { return }
            s.started = true
            s.task = Task.detached(priority: .utility) { [weak self] in
                while !Task.isCancelled {
                    guard let self else { return }
                    await self.tick()
                    do { try await Task.sleep(for: Self.flushInterval) } catch { break }
                }
            }
        }
    }

    /// How often decisions are written: an outcome that reaches another process finds its decision within this.
    static let flushInterval: Duration = .milliseconds(40)

    /// Stops the background task, writes what is pending (decisions, pin uses, credential counts) and ends this
    /// process's decisions still in flight (a process that crashes leaves them counted until they expire).
    public func stop() async {
        let task = sync.withLock { s -> Task<Void, Never>? in
            s.stopped = true
            return s.task
        }
        task?.cancel()
        await task?.value
        await flush()
        try? database.endFlight(of: process)
    }

    /// `stop()` from a thread that is not a task's (`serve` at exit): waits up to `grace`; true when done.
    public func stopBlocking(grace: Duration) -> Bool {
        let done = DispatchSemaphore(value: 0)
        Task.detached { await self.stop(); done.signal() }
        return done.wait(timeout: .now() + grace.timeInterval) == .success
    }

    /// Writes pending usage every `flushInterval`; catches up with the store every `refreshInterval`; audits
    /// ended lease hours and forgets old history every few minutes.
    func tick() async {
        let now = clock()
        await flush()
        let (refresh, housekeeping) = sync.withLock { s -> (Bool, Bool) in
            s.ticks += 1
            let every = max(1, Int((refreshInterval / Self.flushInterval).rounded(.down)))
            return (s.ticks % every == 1 || every == 1, s.ticks % (every * 240) == 1)
        }
        if refresh { try? self.refresh(at: now) }
        if housekeeping {
            _ = try? database.auditEndedLeases(currentHour: Self.hour(now), at: now)
            try? database.pruneRouting(before: now.addingTimeInterval(-2 * 86400), decisionsBefore: now.addingTimeInterval(-3600))
        }
    }

    /// Something routing reads changed in this process (an admin wrote accounts or settings).
    public func markStale() { changes.add(1, ordering: .sequentiallyConsistent) }

    /// The view, built on first use; starts the background task.
    func currentView() throws -> View {
        start()
        let changed = changes.load(ordering: .sequentiallyConsistent)
        if changed > caughtUp.load(ordering: .sequentiallyConsistent) {
            // Every decision that starts after the change waits for this catch-up (a concurrent one does its own).
            try refresh(at: clock())
            caughtUp.store(max(changed, caughtUp.load(ordering: .sequentiallyConsistent)), ordering: .sequentiallyConsistent)
        }
        if let v = view.read({ $0 }) { return v }
        try refresh(at: clock())
        guard let v = view.read({ $0 }) else { throw Failure.noModel }
        return v
    }

    /// Catches up with the store: outcomes recorded since the last look (by any process), pins, quotas, other
    /// processes' decisions in flight, and rebuilds the view when accounts or settings changed. One at a time.
    func refresh(at now: Date) throws {
        try sync.withLock { s in
            let changes = try database.routeChanges(afterOutcome: s.lastSeq, outcomesSince: now.addingTimeInterval(-2 * 86400),
                                                    pinsSince: s.pinsCheckedAt.addingTimeInterval(-2), quotasChangedAfter: s.quotasAt,
                                                    process: process, now: now)
            var current = view.read { $0 }
            let fingerprint = changes.fingerprint + "|" + String(catalog.generation)
            if current?.fingerprint != fingerprint {
                current = try rebuild(fingerprint: fingerprint, configRevision: changes.configRevision)
                let fresh = current
                view.write { $0 = fresh }
            }
            let passed = current?.lastPassedTests ?? [:]
            let expired = open.withLock { $0.expire(at: now) }
            let lastSeq = s.lastSeq
            let (cooling, disabled) = state.withLock { st -> (Int, Int) in
                for o in changes.outcomes where o.seq > lastSeq {
                    guard let outcome = RouteOutcome(rawValue: o.outcome) else { continue }
                    st.record(outcome, account: o.accountID, model: o.model, at: o.at,
                              retryAfter: o.retryAfterMs.map { .milliseconds($0) }, reset: o.resetAt)
                }
                for (account, at) in passed { st.testPassed(account: account, at: at) }
                for p in changes.pins {
                    let key = PinKey(session: p.session, model: p.model)
                    if let mine = st.pins[key], mine.updatedAt >= p.updatedAt, mine.account == p.accountID { continue }
                    if let mine = st.pins[key], mine.updatedAt > p.updatedAt { continue }
                    st.pins[key] = Pin(account: p.accountID, updatedAt: p.updatedAt)
                }
                if let quotas = changes.quotas {
                    var byAccount: [String: [QuotaWindow]] = [:]
                    for q in quotas {
                        byAccount[q.accountID, default: []].append(QuotaWindow(name: q.window, limit: q.limit, remaining: q.remaining,
                                                                               usedFraction: q.usedFraction, resetAt: q.resetAt, updatedAt: q.updatedAt))
                    }
                    st.setQuotas(byAccount)
                }
                st.setInFlightElsewhere(changes.inFlightElsewhere)
                for (account, at) in changes.usedElsewhere { st.usedElsewhere(account: account, at: at) }
                for d in expired { st.finish(account: d.accountID, in: current?.catalog) }
                let stale = now.addingTimeInterval(-st.pinLifetime)
                st.pins = st.pins.filter { $0.value.updatedAt > stale }
                let blocks = st.ledger.blocks(at: now)
                return (Set(blocks.filter { $0.block.reason != .billing && $0.block.reason != .auth }.map(\.account)).count,
                        Set(blocks.filter { $0.block.reason == .billing || $0.block.reason == .auth }.map(\.account)).count)
            }
            observer.accounts(cooling, disabled)
            if let last = changes.outcomes.last?.seq { s.lastSeq = max(s.lastSeq, last) }
            s.pinsCheckedAt = now
            if let quotas = changes.quotas { s.quotasAt = quotas.map(\.updatedAt).max() }
        }
    }

    /// Builds the view from the accounts, the catalog and the settings.
    func rebuild(fingerprint: String, configRevision: Int) throws -> View {
        let settings = RoutingSettings(try config.current(atLeast: configRevision))
        let catalog = self.catalog.current
        var accounts: [RouteAccount] = []
        var offers: [String: [String]] = [:]
        var passed: [String: Date] = [:]
        for a in try self.accounts.routable() {
            accounts.append(RouteAccount(id: a.id, provider: a.provider, family: a.family, baseURL: a.destination, status: a.status.rawValue,
                                         statusDetail: a.statusDetail, cliOnly: a.cliOnly, maxConcurrent: a.maxConcurrent,
                                         decisionLifetime: a.timeoutSeconds.map { TimeInterval($0) * 2 } ?? 600))
            if let at = a.lastPassedTest { passed[a.id] = at }
            var references = a.models.map { "\(a.provider)/\($0)" }
            references += settings.manual.filter { $0.hasPrefix(a.provider + "/") }
            for r in Set(references) { offers[r, default: []].append(a.id) }
        }
        var cliModels: Set<String> = []
        let cli = try tools?.snapshot()
        for a in cli?.routable ?? [] {
            accounts.append(RouteAccount(id: a.id, provider: a.tool, family: CLIFamily.name, baseURL: nil, status: a.status,
                                         statusDetail: a.statusDetail, maxConcurrent: a.maxConcurrent, decisionLifetime: 1800))
            for m in a.models {
                offers["\(a.tool)/\(m)", default: []].append(a.id)
                cliModels.insert("\(a.tool)/\(m)")
            }
        }
        let models = offers.map { reference, ids -> RouteModel in
            if cliModels.contains(reference) {
                let provider = String(reference.prefix { $0 != "/" })
                return RouteModel(reference: reference, provider: provider, model: String(reference.dropFirst(provider.count + 1)), accounts: ids)
            }
            let provider = String(reference.prefix { $0 != "/" })
            let id = String(reference.dropFirst(provider.count + 1))
            let facts = catalog.model(provider: provider, id: id)
            return RouteModel(reference: reference, provider: provider, model: id, accounts: ids,
                              maxOutputTokens: facts?.maxOutputTokens, supportsTemperature: facts?.supportsTemperature ?? true)
        }
        return View(catalog: RouteCatalog(accounts: accounts, models: models), settings: settings, fingerprint: fingerprint,
                    lastPassedTests: passed, cli: cli)
    }

    /// Writes the decisions, pin uses and credential counts gathered since the last write.
    func flush() async {
        let batch = pending.withLock { p -> Pending in
            let taken = p
            p = Pending()
            return taken
        }
        // This process's flight rows: when decisions were made, and at least every second (others stop counting
        // rows older than a few seconds, so a crashed process's decisions do not hold accounts busy).
        let now = clock()
        let beat = sync.withLock { s -> Bool in
            guard !batch.decisions.isEmpty || now.timeIntervalSince(s.flightWrittenAt) >= 1 else { return false }
            s.flightWrittenAt = now
            return true
        }
        let flight = beat ? (process: process, rows: state.withLock { st in
            st.inFlight.map { FlightRow(accountID: $0.key, inFlight: $0.value, lastUsed: st.lastUsed[$0.key] ?? 0) }
                + st.lastUsed.filter { st.inFlight[$0.key] == nil && $0.value > now.timeIntervalSince1970 - 3600 }
                    .map { FlightRow(accountID: $0.key, inFlight: 0, lastUsed: $0.value) }
        }, at: now) : nil
        guard !batch.decisions.isEmpty || !batch.pinUses.isEmpty || !batch.leases.isEmpty || flight != nil else { return }
        let decisions = batch.decisions.map { row -> RouteDecisionRow in
            var row = row
            var w = JSONWriter(capacity: 512)
            w.array { w in for e in batch.explanations[row.id] ?? [] { e.write(into: &w) } }
            row.explain = String(decoding: w.bytes, as: UTF8.self)
            return row
        }
        do {
            try await database.recordRouteUsage(decisions: decisions, pinUses: Array(batch.pinUses.values),
                                                leases: Array(batch.leases.values), flight: flight)
        } catch {
            // Put it back for the next try: usage is never dropped while the process runs.
            pending.withLock { p in
                p.decisions = batch.decisions + p.decisions
                p.explanations.merge(batch.explanations) { new, _ in new }
                p.pinUses.merge(batch.pinUses) { new, _ in new }
                for (key, lease) in batch.leases {
                    if var mine = p.leases[key] {
                        mine.count += lease.count
                        mine.firstAt = min(mine.firstAt, lease.firstAt)
                        p.leases[key] = mine
                    } else {
                        p.leases[key] = lease
                    }
                }
            }
        }
    }

    /// `yyyy-MM-ddTHH` in UTC.
    static func hour(_ date: Date) -> String {
        let seconds = Int(date.timeIntervalSince1970)
        let hourStart = Date(timeIntervalSince1970: TimeInterval(seconds - seconds % 3600))
        return String(hourStart.formatted(.iso8601).prefix(13))
    }
}

/// Where routing reports what it does, for metrics: decisions by result, outcomes, accounts cooling and
/// disabled. The application connects it to its metrics; by default it goes nowhere.
public struct RouteObserver: Sendable {
    public var decision: @Sendable (String) -> Void
    public var outcome: @Sendable (String) -> Void
    public var accounts: @Sendable (_ cooling: Int, _ disabled: Int) -> Void

    public init(decision: @escaping @Sendable (String) -> Void = { _ in },
                outcome: @escaping @Sendable (String) -> Void = { _ in },
                accounts: @escaping @Sendable (Int, Int) -> Void = { _, _ in }) {
        self.decision = decision
        self.outcome = outcome
        self.accounts = accounts
    }
}

/// The `family` routing gives CLI accounts: the runtime runs the command in the answer, not an API call.
public enum CLIFamily {
    public static let name = "cli"
}
