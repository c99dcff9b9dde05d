import Foundation

/// What a runtime reports after a model call it was routed to (`POST /api/route/outcome`, issue 15).
public enum RouteOutcome: String, Sendable, CaseIterable, Codable {
    case ok
    case rateLimit = "rate_limit"
    case quotaExhausted = "quota_exhausted"
    case overloaded
    case auth
    case billing
    case timeout
    case network
    case serverError = "server_error"
    case badRequest = "bad_request"
    case contextOverflow = "context_overflow"

    /// Failures of the path to the provider, not of the account: they cool an account down only when they repeat.
    public var isTransient: Bool { [.timeout, .network, .serverError, .overloaded].contains(self) }
    /// The request's own fault: says nothing about the account.
    public var isTheRequestsFault: Bool { self == .badRequest || self == .contextOverflow }
}

/// Why an account cannot take a model now, and until when (nil: until something clears it, a passing test).
public struct Block: Sendable, Equatable {
    public enum Scope: String, Sendable { case account, model }
    public var scope: Scope
    public var reason: RouteOutcome
    public var until: Date?
    /// Failures counted towards this block (the step on its ladder).
    public var strikes: Int
}

/// The cooldown rules, one value per process (the numbers are the issue's; tests may shorten none of them).
public struct CooldownRules: Sendable {
    /// Rate limits and repeated transient failures: 1 min, 5 min, 25 min, then 1 h for every later strike.
    public var ladder: [Duration] = [.seconds(60), .seconds(300), .seconds(1500), .seconds(3600)]
    /// Billing: the account is disabled this long, doubling per strike, up to `billingCap`.
    public var billingFirst: Duration = .seconds(5 * 3600)
    public var billingCap: Duration = .seconds(24 * 3600)
    /// Transient failures cool a model down when this many fall within `transientWindow`.
    public var transientCount = 3
    public var transientWindow: Duration = .seconds(300)
    /// Failure counts start again after this long without a failure.
    public var forgetAfter: Duration = .seconds(24 * 3600)

    public init() {}

    func step(_ strikes: Int) -> Duration { ladder[min(max(strikes, 1), ladder.count) - 1] }

    func billing(_ strikes: Int) -> Duration {
        var length = billingFirst
        for _ in 1..<max(strikes, 1) where length < billingCap { length = length * 2 }
        return min(length, billingCap)
    }
}

/// Every account's failures and cooldowns, keyed by account id (never by a position in a list) and, for what
/// is a model's, by the model. A value: the router keeps one in memory, the store persists what changes.
///
/// The rules, and the traps peers fell into that they avoid:
/// - A cooldown's end only moves later: a second rate limit, a provider's `retry-after` or a quota reset that is
///   earlier than the deadline already set never shortens it (re-cooling that keeps the shorter deadline).
/// - `ok` clears the model's cooldown and failures and the account's billing block: a recovered account is back
///   in rotation at once (a recovered account never promoted back).
/// - Counts start again after `forgetAfter` without a failure, so one rate limit a day stays at the first step.
public struct FailureLedger: Sendable, Equatable {
    struct ModelState: Sendable, Equatable {
        var strikes = 0
        var transient: [Date] = []
        var until: Date?
        var reason: RouteOutcome?
        var lastFailure: Date?
    }

    struct AccountState: Sendable, Equatable {
        var billingStrikes = 0
        var disabledUntil: Date?
        /// `auth`: blocked from this moment until a connection test passes after it.
        var needsTest: Date?
        var lastFailure: Date?
        var models: [String: ModelState] = [:]
    }

    public let rules: CooldownRules
    private(set) var accounts: [String: AccountState] = [:]
    /// The same model blocks again, by model then account, with their ends: a decision asks once per model which
    /// of its accounts are cooling, instead of looking every account up.
    private(set) var cooling: [String: [String: Date]] = [:]

    public init(rules: CooldownRules = CooldownRules()) {
        self.rules = rules
    }

    public static func == (a: FailureLedger, b: FailureLedger) -> Bool { a.accounts == b.accounts }

    /// The accounts with a block of their own for `model`, and when each ends (possibly past already).
    public func cooling(model: String) -> [String: Date]? { cooling[model] }

    /// Until when the whole account is out (billing), or `.distantFuture` while it waits for a passing test.
    public func accountHeld(_ account: String) -> Date? {
        guard let state = accounts[account] else { return nil }
        if state.needsTest != nil { return .distantFuture }
        return state.disabledUntil
    }

    /// Records what a call routed to `account` for `model` came back with. `retryAfter` is the provider's
    /// `retry-after`; `reset` is when its quota resets (read from its rate-limit headers).
    public mutating func record(_ outcome: RouteOutcome, account: String, model: String, at now: Date,
                                retryAfter: Duration? = nil, reset: Date? = nil) {
        if outcome.isTheRequestsFault { return }
        var state = accounts[account] ?? AccountState()
        var entry = state.models[model] ?? ModelState()
        forgetOldFailures(&state, &entry, now: now)
        switch outcome {
        case .ok:
            entry = ModelState()
            state.billingStrikes = 0
            state.disabledUntil = nil
            state.lastFailure = nil // only billing's count reads it, and that is cleared
        case .rateLimit, .quotaExhausted:
            entry.strikes += 1
            var deadline = now + rules.step(entry.strikes)
            if let retryAfter { deadline = max(deadline, now + retryAfter) }
            if outcome == .quotaExhausted, let reset { deadline = max(deadline, reset) }
            extend(&entry, to: deadline, because: outcome)
            entry.lastFailure = now
            state.lastFailure = now
        case .billing:
            state.billingStrikes += 1
            let deadline = now + rules.billing(state.billingStrikes)
            state.disabledUntil = max(state.disabledUntil ?? deadline, deadline)
            state.lastFailure = now
        case .auth:
            state.needsTest = max(state.needsTest ?? now, now)
            state.lastFailure = now
        case .timeout, .network, .serverError, .overloaded:
            let windowStart = now - rules.transientWindow
            entry.transient = entry.transient.filter { $0 > windowStart } + [now]
            if entry.transient.count >= rules.transientCount {
                entry.strikes += 1
                var deadline = now + rules.step(entry.strikes)
                if let retryAfter { deadline = max(deadline, now + retryAfter) }
                extend(&entry, to: deadline, because: outcome)
                entry.transient = []
            }
            entry.lastFailure = now
            state.lastFailure = now
        case .badRequest, .contextOverflow:
            return
        }
        state.models[model] = entry == ModelState() ? nil : entry
        if let until = entry.until {
            cooling[model, default: [:]][account] = until
        } else if cooling[model]?[account] != nil {
            cooling[model]?[account] = nil
            if cooling[model]?.isEmpty == true { cooling[model] = nil }
        }
        accounts[account] = state == AccountState() ? nil : state
    }

    /// A connection test of `account` passed at `testedAt`: an `auth` block recorded before it ends (nothing
    /// else: a test does not prove that a rate limit is over; a refusal reported after the test stays).
    public mutating func testPassed(account: String, at testedAt: Date = .distantFuture) {
        guard var state = accounts[account], let since = state.needsTest, since <= testedAt else { return }
        state.needsTest = nil
        accounts[account] = state == AccountState() ? nil : state
    }

    /// Why `account` cannot take `model` at `now`, or nil when it can. The account's own blocks come first.
    public func block(account: String, model: String, at now: Date) -> Block? {
        guard let state = accounts[account] else { return nil }
        if state.needsTest != nil { return Block(scope: .account, reason: .auth, until: nil, strikes: 1) }
        if let until = state.disabledUntil, until > now {
            return Block(scope: .account, reason: .billing, until: until, strikes: state.billingStrikes)
        }
        if let entry = state.models[model], let until = entry.until, until > now, let reason = entry.reason {
            return Block(scope: .model, reason: reason, until: until, strikes: entry.strikes)
        }
        return nil
    }

    /// A deadline only moves later.
    private func extend(_ entry: inout ModelState, to deadline: Date, because reason: RouteOutcome) {
        if let current = entry.until, current >= deadline { return }
        entry.until = deadline
        entry.reason = reason
    }

    /// Nothing recorded at all: every lookup would miss.
    public var isEmpty: Bool { accounts.isEmpty }

    /// Whether anything at all is recorded for the account.
    public func hasAny(account: String) -> Bool { accounts[account] != nil }

    /// Whether anything is recorded for the account or this model of it (an `ok` then has something to clear).
    public func hasState(account: String, model: String) -> Bool {
        guard let state = accounts[account] else { return false }
        return state.models[model] != nil || state.billingStrikes > 0 || state.disabledUntil != nil
    }

    /// Whether an account waits for a passing test, and since when.
    public func needsTest(account: String) -> Date? { accounts[account]?.needsTest }

    /// Every (account, model) with a block at `now`, and every account-wide block, for the status page.
    public func blocks(at now: Date) -> [(account: String, model: String?, block: Block)] {
        var out: [(String, String?, Block)] = []
        for (id, state) in accounts {
            if state.needsTest != nil { out.append((id, nil, Block(scope: .account, reason: .auth, until: nil, strikes: 1))) }
            if let until = state.disabledUntil, until > now {
                out.append((id, nil, Block(scope: .account, reason: .billing, until: until, strikes: state.billingStrikes)))
            }
            for (model, entry) in state.models {
                if let until = entry.until, until > now, let reason = entry.reason {
                    out.append((id, model, Block(scope: .model, reason: reason, until: until, strikes: entry.strikes)))
                }
            }
        }
        return out.sorted { ($0.0, $0.1 ?? "") < ($1.0, $1.1 ?? "") }
    }

    /// Failures counted for (account, model) that have not yet cooled it down (transient ones within the window).
    public func pendingFailures(account: String, model: String) -> Int {
        accounts[account]?.models[model]?.transient.count ?? 0
    }

    /// After `forgetAfter` without a failure, counts start again (a block still running stays as it is).
    private func forgetOldFailures(_ state: inout AccountState, _ entry: inout ModelState, now: Date) {
        let horizon = now - rules.forgetAfter
        if let last = entry.lastFailure, last <= horizon {
            entry.strikes = 0
            entry.transient = []
        }
        if let last = state.lastFailure, last <= horizon { state.billingStrikes = 0 }
    }
}

extension Date {
    static func + (date: Date, duration: Duration) -> Date {
        let (seconds, attoseconds) = duration.components
        return date.addingTimeInterval(TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18)
    }

    static func - (date: Date, duration: Duration) -> Date { date + (.zero - duration) }
}
