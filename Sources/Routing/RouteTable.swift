import Foundation

/// One account as routing sees it, built from the stored account, its credential's metadata and the catalog.
public struct RouteAccount: Sendable, Equatable {
    public var id: String
    public var provider: String
    /// The catalog `type` of the provider: the API family the runtime speaks to it.
    public var family: String
    /// Where the runtime sends the call (the account's base URL or the family's default).
    public var baseURL: String?
    /// `connected`, `untested`, `error`, `missing_credential`, …: only the first two may serve.
    public var status: String
    /// Why a status other than connected/untested keeps it out, or why its credential cannot go out.
    public var statusDetail: String?
    /// An OAuth account whose tokens came from a provider CLI's own client, without `allowDirectApi`: only
    /// runtimes that go through the provider's CLI may use it.
    public var cliOnly: Bool
    public var maxConcurrent: Int?
    /// How long a decision counts towards `maxConcurrent` when no outcome arrives.
    public var decisionLifetime: TimeInterval

    public init(id: String, provider: String, family: String, baseURL: String?, status: String, statusDetail: String? = nil,
                cliOnly: Bool = false, maxConcurrent: Int? = nil, decisionLifetime: TimeInterval = 600) {
        self.id = id
        self.provider = provider
        self.family = family
        self.baseURL = baseURL
        self.status = status
        self.statusDetail = statusDetail
        self.cliOnly = cliOnly
        self.maxConcurrent = maxConcurrent
        self.decisionLifetime = decisionLifetime
    }

    public var mayServe: Bool { status == "connected" || status == "untested" }
}

/// A model one or more accounts offer, by its reference `provider/model`.
public struct RouteModel: Sendable, Equatable {
    public var reference: String
    public var provider: String
    /// The provider's own id for it.
    public var model: String
    /// The accounts that offer it, in the order they were created.
    public var accounts: [String]
    public var maxOutputTokens: Int?
    public var supportsTemperature: Bool

    public init(reference: String, provider: String, model: String, accounts: [String], maxOutputTokens: Int? = nil,
                supportsTemperature: Bool = true) {
        self.reference = reference
        self.provider = provider
        self.model = model
        self.accounts = accounts
        self.maxOutputTokens = maxOutputTokens
        self.supportsTemperature = supportsTemperature
    }
}

/// Everything routing reads that changes only when an operator changes something: accounts and the models
/// they offer. Immutable; rebuilt when accounts, discovered models, the catalog or the settings change.
public struct RouteCatalog: Sendable {
    public let accounts: [String: RouteAccount]
    public let models: [String: RouteModel]
    /// Bare model ids (`claude-sonnet-4-5`) to the references that have them.
    public let bare: [String: [String]]
    /// A dated id's undated name (`anthropic/claude-sonnet-4-5` for `…-20250929`), as Anthropic's API accepts
    /// it, to the newest dated reference; only where no model has the undated id itself.
    public let undated: [String: String]

    public init(accounts: [RouteAccount], models: [RouteModel]) {
        self.accounts = Dictionary(accounts.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        self.models = Dictionary(models.map { ($0.reference, $0) }, uniquingKeysWith: { a, _ in a })
        var bare: [String: [String]] = [:]
        for m in models.sorted(by: { $0.reference < $1.reference }) { bare[m.model, default: []].append(m.reference) }
        self.bare = bare
        var undated: [String: String] = [:]
        for reference in self.models.keys.sorted() {
            let parts = reference.split(separator: "-")
            guard let last = parts.last, last.count == 8, last.allSatisfy(\.isNumber), parts.count > 1 else { continue }
            let name = parts.dropLast().joined(separator: "-")
            if self.models[name] == nil { undated[name] = reference }
        }
        self.undated = undated
    }

    /// Every model a step can be served by: `provider/model` (or its undated name) names one; a bare id names
    /// that id at every provider that offers it.
    public func offers(_ reference: String) -> [RouteModel] {
        if let m = model(reference) { return [m] }
        guard !reference.contains("/") else { return [] }
        return (bare[reference] ?? []).compactMap { models[$0] }
    }

    /// The model a reference names: itself, or the newest dated model of an undated name.
    public func model(_ reference: String) -> RouteModel? {
        models[reference] ?? undated[reference].flatMap { models[$0] }
    }

    public static let empty = RouteCatalog(accounts: [], models: [])
}

/// A session's account for a model: set after a success there, refreshed by each use.
public struct Pin: Sendable, Equatable {
    public var account: String
    public var updatedAt: Date
    public init(account: String, updatedAt: Date) {
        self.account = account
        self.updatedAt = updatedAt
    }
}

public struct PinKey: Sendable, Hashable {
    public var session: String
    public var model: String
    public init(session: String, model: String) {
        self.session = session
        self.model = model
    }
}

/// One step of the model chain a decision walks: the requested model, then fallbacks.
public struct ChainStep: Sendable, Equatable {
    public var reference: String
    /// Where the step came from: `request`, or the pointer of a fallback (`/agents/entries/coder/model/fallbacks/0`).
    public var from: String
    public init(reference: String, from: String) {
        self.reference = reference
        self.from = from
    }
}

/// What a decision is asked.
public struct RouteQuery: Sendable {
    public var chain: [ChainStep]
    public var session: String?
    /// The runtime goes through the provider's own CLI (may use CLI-only accounts).
    public var viaProviderCLI: Bool
    public var exclude: Set<String>

    public init(chain: [ChainStep], session: String? = nil, viaProviderCLI: Bool = false, exclude: Set<String> = []) {
        self.chain = chain
        self.session = session
        self.viaProviderCLI = viaProviderCLI
        self.exclude = exclude
    }
}

/// One line of a decision's explanation, for people and for the page.
public struct Explanation: Sendable, Equatable, Codable {
    /// `model` (a step of the chain), `skipped`, `chosen`, `fallback`, `unavailable`.
    public var step: String
    public var model: String?
    public var account: String?
    /// For `skipped`: `excluded`, `status`, `policy`, `cooling`, `disabled`, `auth`, `busy`, `quota`.
    public var reason: String?
    public var until: Date?
    public var message: String

    public init(step: String, model: String? = nil, account: String? = nil, reason: String? = nil, until: Date? = nil, message: String) {
        self.step = step
        self.model = model
        self.account = account
        self.reason = reason
        self.until = until
        self.message = message
    }
}

/// Why an account cannot take a model now.
public struct Skip: Sendable, Equatable {
    public var account: String
    public var model: String
    /// As in `Explanation.reason`.
    public var reason: String
    public var until: Date?
    public var detail: String
}

/// The answer of a decision.
public enum Verdict: Sendable {
    case routed(Routed)
    case unavailable(Unavailable)

    public struct Routed: Sendable {
        public var account: RouteAccount
        public var model: RouteModel
        /// The chain step that served, as asked (`provider/model`, an undated or a bare id): the session's pin key.
        public var step: String
        /// The requested reference when a fallback served instead.
        public var fallbackFrom: String?
        public var pinned: Bool
        public var explain: [Explanation]
    }

    public struct Unavailable: Sendable {
        /// The earliest moment an account frees up, when any will by itself.
        public var retryAt: Date?
        public var skipped: [Skip]
        public var explain: [Explanation]
        /// No step of the chain names a model any account offers.
        public var unknownModels: [String]

        public init(retryAt: Date?, skipped: [Skip], explain: [Explanation], unknownModels: [String]) {
            self.retryAt = retryAt
            self.skipped = skipped
            self.explain = explain
            self.unknownModels = unknownModels
        }
    }
}

/// The changing part of routing, one per process: cooldowns, pins, decisions in flight, when each account
/// was last used, quotas. A value behind the router's lock; `decide` reads and updates it in one step, so a
/// decision and the in-flight count it adds are one atomic change.
public struct RouteState: Sendable {
    public var ledger: FailureLedger
    public var pins: [PinKey: Pin] = [:]
    /// Decisions of this process without an outcome yet, per account.
    public var inFlight: [String: Int] = [:]
    /// Decisions of other processes without an outcome yet (read from the store), per account.
    public var inFlightElsewhere: [String: Int] = [:]
    /// Least recently used first: a counter bumped by each use here, merged with other processes' uses.
    public var lastUsed: [String: Double] = [:]
    /// The latest use: each decision here is a little later than every use before it.
    public var useClock: Double = 0
    public var quotas: [String: [QuotaWindow]] = [:]
    /// A pin unused this long is forgotten (longer than any provider's prompt cache lives).
    public var pinLifetime: TimeInterval = 3600

    public init(ledger: FailureLedger = FailureLedger()) {
        self.ledger = ledger
    }

    /// Why `account` cannot take `model` now, or nil when it can.
    public func skip(_ account: RouteAccount, _ model: RouteModel, _ query: RouteQuery, at now: Date) -> Skip? {
        func skip(_ reason: String, until: Date? = nil, _ detail: String) -> Skip {
            Skip(account: account.id, model: model.reference, reason: reason, until: until, detail: detail)
        }
        if query.exclude.contains(account.id) { return skip("excluded", "excluded by the request") }
        if !account.mayServe {
            return skip("status", "status \(account.status)" + (account.statusDetail.map { ": \($0)" } ?? ""))
        }
        if account.cliOnly && !query.viaProviderCLI {
            return skip("policy", "its tokens came from \(account.provider)'s CLI sign-in: only a CLI runtime may use them until allowDirectApi is set")
        }
        if let block = ledger.block(account: account.id, model: model.model, at: now) {
            switch block.reason {
            case .auth:
                return skip("auth", "the provider refused its credential; it stays out until a connection test passes")
            case .billing:
                return skip("disabled", until: block.until, "disabled for billing until \(Self.stamp(block.until)) (\(block.strikes) in a row)")
            default:
                return skip("cooling", until: block.until,
                            "cooling until \(Self.stamp(block.until)) after \(block.reason.rawValue) (\(block.strikes) \(block.strikes == 1 ? "strike" : "strikes"))")
            }
        }
        if let limit = account.maxConcurrent {
            let busy = inFlight[account.id, default: 0] + inFlightElsewhere[account.id, default: 0]
            if busy >= limit { return skip("busy", "\(busy) of its \(limit) concurrent calls are in flight") }
        }
        if let window = quotas[account.id]?.filter({ $0.holdsBack(at: now) }).max(by: { ($0.resetAt ?? now) < ($1.resetAt ?? now) }) {
            let used = Int(((window.usedFraction ?? 1) * 100).rounded())
            return skip("quota", until: window.resetAt, "\(used) % of its \(window.name) quota is used; it waits for the reset at \(Self.stamp(window.resetAt))")
        }
        return nil
    }

    /// Picks an account for the first step of the chain that has one, and counts the decision in flight.
    public mutating func decide(_ query: RouteQuery, in catalog: RouteCatalog, at now: Date) -> Verdict {
        var explain: [Explanation] = []
        var skipped: [Skip] = []
        var unknown: [String] = []
        for (index, step) in query.chain.enumerated() {
            let offered = catalog.offers(step.reference)
            guard !offered.isEmpty else {
                unknown.append(step.reference)
                explain.append(Explanation(step: index == 0 ? "model" : "fallback", model: step.reference, reason: "unknown",
                                           message: "no account offers \(step.reference)"))
                continue
            }
            explain.append(Explanation(step: index == 0 ? "model" : "fallback", model: step.reference,
                                       message: index == 0 ? "\(step.reference) (\(step.from))"
                                                           : "falling back to \(step.reference) (\(step.from))"))
            var available: [(account: RouteAccount, model: RouteModel)] = []
            for model in offered {
                for id in model.accounts {
                    guard let account = catalog.accounts[id] else { continue }
                    if let s = skip(account, model, query, at: now) {
                        skipped.append(s)
                        explain.append(Explanation(step: "skipped", model: model.reference, account: id, reason: s.reason, until: s.until,
                                                   message: "\(id): \(s.detail)"))
                    } else {
                        available.append((account, model))
                    }
                }
            }
            guard !available.isEmpty else { continue }

            // Pins are kept per session and the model as asked, so a bare id's pin holds across providers.
            let pinKey = query.session.map { PinKey(session: $0, model: step.reference) }
            var chosen = available[0]
            var pinned = false
            if let pinKey, let pin = pins[pinKey], now.timeIntervalSince(pin.updatedAt) < pinLifetime,
               let candidate = available.first(where: { $0.account.id == pin.account }) {
                chosen = candidate
                pinned = true
                pins[pinKey]?.updatedAt = now
                explain.append(Explanation(step: "chosen", model: chosen.model.reference, account: chosen.account.id, reason: "pinned",
                                           message: "\(chosen.account.id): the session's account for \(step.reference)"))
            } else {
                for candidate in available.dropFirst() where lastUsed[candidate.account.id, default: 0] < lastUsed[chosen.account.id, default: 0] {
                    chosen = candidate
                }
                explain.append(Explanation(step: "chosen", model: chosen.model.reference, account: chosen.account.id, reason: "least_recently_used",
                                           message: "\(chosen.account.id): the least recently used of \(available.count) in rotation"))
            }
            inFlight[chosen.account.id, default: 0] += 1
            useClock = max(useClock + 1e-6, now.timeIntervalSince1970)
            lastUsed[chosen.account.id] = useClock
            return .routed(.init(account: chosen.account, model: chosen.model, step: step.reference,
                                 fallbackFrom: index == 0 ? nil : query.chain.first?.reference, pinned: pinned, explain: explain))
        }
        let retryAt = skipped.compactMap(\.until).filter { $0 > now }.min()
        explain.append(Explanation(step: "unavailable", until: retryAt,
                                   message: retryAt.map { "no account can serve any model of the chain; the first frees up at \(Self.stamp($0))" }
                                       ?? "no account can serve any model of the chain"))
        return .unavailable(.init(retryAt: retryAt, skipped: skipped, explain: explain,
                                  unknownModels: unknown.count == query.chain.count ? unknown : []))
    }

    /// A use another process made (read from the store).
    public mutating func usedElsewhere(account: String, at time: Double) {
        if time > lastUsed[account, default: 0] { lastUsed[account] = time }
        useClock = max(useClock, time)
    }

    /// A decision is over (its outcome arrived, or it expired): it no longer counts in flight.
    public mutating func finish(account: String) {
        guard let n = inFlight[account] else { return }
        inFlight[account] = n > 1 ? n - 1 : nil
    }

    /// After a success the session stays on the account that served it.
    public mutating func pin(session: String, model: String, account: String, at now: Date) {
        pins[PinKey(session: session, model: model)] = Pin(account: account, updatedAt: now)
    }

    static func stamp(_ date: Date?) -> String {
        guard let date else { return "a connection test passes" }
        return date.formatted(.iso8601)
    }
}
