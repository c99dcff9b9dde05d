import Core
import Foundation
import Synchronization

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

    /// Every account once, in a fixed order: a decision works on positions in it (`RouteState`'s per-account
    /// slots), never hashing an account id on the way.
    let list: [RouteAccount]
    let index: [String: Int]
    /// Per position: connected or untested; CLI runtimes only; its `maxConcurrent` (`Int.max` without one).
    let serves: [Bool]
    let cliOnly: [Bool]
    let limits: [Int]
    /// Each model's accounts, as positions in `list`, in the order the accounts were created.
    let candidates: [String: [Int]]
    /// Tells catalogs apart, so routing state laid out for one is rebuilt for another.
    let generation: Int

    private static let generations = Atomic<Int>(0)

    public init(accounts: [RouteAccount], models: [RouteModel]) {
        var list: [RouteAccount] = []
        var index: [String: Int] = [:]
        for account in accounts where index[account.id] == nil {
            index[account.id] = list.count
            list.append(account)
        }
        self.list = list
        self.index = index
        serves = list.map(\.mayServe)
        cliOnly = list.map(\.cliOnly)
        limits = list.map { $0.maxConcurrent ?? .max }
        self.accounts = Dictionary(list.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        self.models = Dictionary(models.map { ($0.reference, $0) }, uniquingKeysWith: { a, _ in a })
        var candidates: [String: [Int]] = [:]
        for model in models { candidates[model.reference] = model.accounts.compactMap { index[$0] } }
        self.candidates = candidates
        generation = Self.generations.add(1, ordering: .relaxed).newValue
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

/// One line of a decision's explanation, for people and for the page. A decision records what happened; the
/// sentence is written when the explanation is read (its JSON), not while the decision holds the router's lock.
public struct Explanation: Sendable, Equatable, Codable {
    /// `agent`, `model` (a step of the chain), `fallback`, `skipped`, `chosen`, `params`, `unavailable`, `outcome`.
    public var step: String
    public var model: String?
    public var account: String?
    /// For `skipped`: `excluded`, `status`, `policy`, `cooling`, `disabled`, `auth`, `busy`, `quota`, `credential`;
    /// for `chosen`: `pinned`, `least_recently_used`.
    public var reason: String?
    public var until: Date?
    private var text: String?
    /// What the sentence is made of, when the decision did not write one (boxed: an explanation is copied into
    /// arrays, and stays small).
    private var parts: Parts?

    final class Parts: Sendable, Equatable {
        let skip: Skip?
        let from: String?
        let count: Int?
        init(skip: Skip? = nil, from: String? = nil, count: Int? = nil) {
            self.skip = skip
            self.from = from
            self.count = count
        }
        static func == (a: Parts, b: Parts) -> Bool { a.skip == b.skip && a.from == b.from && a.count == b.count }
    }

    public init(step: String, model: String? = nil, account: String? = nil, reason: String? = nil, until: Date? = nil, message: String) {
        self.init(step: step, model: model, account: account, reason: reason, until: until, text: message, parts: nil)
    }

    private init(step: String, model: String?, account: String?, reason: String?, until: Date?, text: String?, parts: Parts?) {
        self.step = step
        self.model = model
        self.account = account
        self.reason = reason
        self.until = until
        self.text = text
        self.parts = parts
    }

    /// A step of the chain: the requested model, or a fallback, and where it came from.
    static func model(_ reference: String, from: String, fallback: Bool) -> Explanation {
        Explanation(step: fallback ? "fallback" : "model", model: reference, account: nil, reason: nil, until: nil, text: nil,
                    parts: Parts(from: from))
    }

    static func skipped(_ s: Skip) -> Explanation {
        Explanation(step: "skipped", model: s.model, account: s.account, reason: s.reason, until: s.until, text: nil, parts: Parts(skip: s))
    }

    static func chosen(_ account: String, model: String, step: String, pinned: Bool, of count: Int) -> Explanation {
        Explanation(step: "chosen", model: model, account: account, reason: pinned ? "pinned" : "least_recently_used", until: nil,
                    text: nil, parts: Parts(from: step, count: count))
    }

    public var message: String {
        if let text { return text }
        if let skip = parts?.skip { return "\(skip.account): \(skip.detail)" }
        let from = parts?.from
        switch step {
        case "model": return "\(model ?? "") (\(from ?? ""))"
        case "fallback": return "falling back to \(model ?? "") (\(from ?? ""))"
        case "chosen" where reason == "pinned": return "\(account ?? ""): the session's account for \(from ?? model ?? "")"
        case "chosen": return "\(account ?? ""): the least recently used of \(parts?.count ?? 0) in rotation"
        default: return ""
        }
    }

    /// Writes `jsonValue` without building it (every decision's answer holds a few of these).
    public func write(into w: inout JSONWriter) {
        w.object { w in
            w.member("account", account)
            w.key("message")
            w.string(message)
            w.member("model", model)
            w.member("reason", reason)
            w.key("step")
            w.string(step)
            w.member("until", until)
        }
    }

    enum CodingKeys: String, CodingKey { case step, model, account, reason, until, message }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        step = try c.decode(String.self, forKey: .step)
        model = try c.decodeIfPresent(String.self, forKey: .model)
        account = try c.decodeIfPresent(String.self, forKey: .account)
        reason = try c.decodeIfPresent(String.self, forKey: .reason)
        until = try c.decodeIfPresent(Date.self, forKey: .until)
        text = try c.decode(String.self, forKey: .message)
    }

    /// The explanation as a JSON value: what it encodes to, and a problem member as it stands.
    public var jsonValue: JSONValue {
        var o: [String: JSONValue] = ["step": .string(step), "message": .string(message)]
        if let model { o["model"] = .string(model) }
        if let account { o["account"] = .string(account) }
        if let reason { o["reason"] = .string(reason) }
        if let until { o["until"] = .string(UTCStamp.string(until)) }
        return .object(o)
    }

    public func encode(to encoder: any Encoder) throws { try jsonValue.encode(to: encoder) }
}

/// Why an account cannot take a model now: what the rules found, and (when read) the sentence that says it.
public struct Skip: Sendable, Equatable {
    public var account: String
    public var model: String
    /// As in `Explanation.reason`.
    public var reason: String
    public var until: Date?
    var status: String?
    var statusDetail: String?
    var provider: String?
    var cause: RouteOutcome?
    var strikes = 0
    var busy = 0
    var limit = 0
    var window: String?
    var used = 0

    public var detail: String {
        switch reason {
        case "excluded": return "excluded by the request"
        case "status": return "status \(status ?? "")" + (statusDetail.map { ": \($0)" } ?? "")
        case "policy": return "its tokens came from \(provider ?? "")'s CLI sign-in: only a CLI runtime may use them until allowDirectApi is set"
        case "auth": return "the provider refused its credential; it stays out until a connection test passes"
        case "disabled": return "disabled for billing until \(RouteState.stamp(until)) (\(strikes) in a row)"
        case "cooling":
            return "cooling until \(RouteState.stamp(until)) after \(cause?.rawValue ?? "failures") (\(strikes) \(strikes == 1 ? "strike" : "strikes"))"
        case "busy": return "\(busy) of its \(limit) concurrent calls are in flight"
        case "quota": return "\(used) % of its \(window ?? "") quota is used; it waits for the reset at \(RouteState.stamp(until))"
        default: return reason
        }
    }
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
///
/// Kept by account id (it outlives any one catalog), and laid out once per catalog as per-position slots, so a
/// decision walks its candidates by position: with 50 accounts it hashes no account id unless one has something
/// recorded against it (bench/micro).
public struct RouteState: Sendable {
    public private(set) var ledger: FailureLedger
    public var pins: [PinKey: Pin] = [:]
    /// Decisions of this process without an outcome yet, per account.
    public private(set) var inFlight: [String: Int] = [:]
    /// Decisions of other processes without an outcome yet (read from the store), per account.
    public private(set) var inFlightElsewhere: [String: Int] = [:]
    /// Least recently used first: the time of each account's latest use, here or elsewhere.
    public private(set) var lastUsed: [String: Double] = [:]
    /// The latest use: each decision here is a little later than every use before it.
    public private(set) var useClock: Double = 0
    public private(set) var quotas: [String: [QuotaWindow]] = [:]
    /// A pin unused this long is forgotten (longer than any provider's prompt cache lives).
    public var pinLifetime: TimeInterval = 3600
    private var slots: Slots?

    /// The per-account state a decision reads, by position in one catalog's account list.
    struct Slots: Sendable {
        var generation: Int
        var lastUsed: [Double]
        var busy: [Int]
        /// Something is recorded for the account in the ledger, or in its quota: only then is it looked up.
        var recorded: [Bool]
        var limited: [Bool]
        /// Until when the whole account is out (billing; `.distantFuture` waiting for a test), if it is.
        var held: [Date?]
    }

    /// An account with something recorded is still free for a model when the account itself is not held and it
    /// has no block of its own for the model that lasts past `now`.
    static func clear(_ held: Date?, _ cooling: [String: Date]?, _ id: String, _ now: Date) -> Bool {
        if let held, held > now { return false }
        guard let cooling, let until = cooling[id] else { return true }
        return until <= now
    }

    public init(ledger: FailureLedger = FailureLedger()) {
        self.ledger = ledger
    }

    // MARK: Changes

    /// Records an outcome (the store's replayed log) in the ledger.
    public mutating func record(_ outcome: RouteOutcome, account: String, model: String, at now: Date,
                                retryAfter: Duration? = nil, reset: Date? = nil) {
        ledger.record(outcome, account: account, model: model, at: now, retryAfter: retryAfter, reset: reset)
        slots = nil
    }

    public mutating func testPassed(account: String, at testedAt: Date) {
        guard ledger.needsTest(account: account) != nil else { return }
        ledger.testPassed(account: account, at: testedAt)
        slots = nil
    }

    public mutating func setQuotas(_ quotas: [String: [QuotaWindow]]) {
        self.quotas = quotas
        slots = nil
    }

    public mutating func setInFlightElsewhere(_ counts: [String: Int]) {
        guard counts != inFlightElsewhere else { return }
        inFlightElsewhere = counts
        slots = nil
    }

    /// A use another process made (read from the store).
    public mutating func usedElsewhere(account: String, at time: Double) {
        guard time > lastUsed[account, default: 0] else { return }
        lastUsed[account] = time
        useClock = max(useClock, time)
        slots = nil
    }

    /// A decision is over (its outcome arrived, or it expired): it no longer counts in flight.
    public mutating func finish(account: String, in catalog: RouteCatalog? = nil) {
        guard let n = inFlight[account] else { return }
        inFlight[account] = n > 1 ? n - 1 : nil
        if let catalog, slots?.generation == catalog.generation, let i = catalog.index[account] {
            slots?.busy[i] -= 1
        } else {
            slots = nil
        }
    }

    /// After a success the session stays on the account that served it.
    public mutating func pin(session: String, model: String, account: String, at now: Date) {
        pins[PinKey(session: session, model: model)] = Pin(account: account, updatedAt: now)
    }

    private mutating func layOut(_ catalog: RouteCatalog) {
        if slots?.generation == catalog.generation { return }
        let ids = catalog.list.map(\.id)
        slots = Slots(generation: catalog.generation,
                      lastUsed: ids.map { lastUsed[$0, default: 0] },
                      busy: ids.map { inFlight[$0, default: 0] + inFlightElsewhere[$0, default: 0] },
                      recorded: ids.map { ledger.hasAny(account: $0) },
                      limited: ids.map { quotas[$0] != nil },
                      held: ids.map { ledger.accountHeld($0) })
    }

    // MARK: Reading

    /// Why `account` cannot take `model` now, or nil when it can (the status page's question).
    public func skip(_ account: RouteAccount, _ model: RouteModel, _ query: RouteQuery, at now: Date) -> Skip? {
        skip(account, mayServe: account.mayServe, busy: inFlight[account.id, default: 0] + inFlightElsewhere[account.id, default: 0],
             recorded: true, limited: true, model, query, at: now)
    }

    /// The one set of rules; `recorded` and `limited` false say the ledger and the quotas have nothing for the
    /// account (so they need not be looked up).
    func skip(_ account: RouteAccount, mayServe: Bool, busy: Int, recorded: Bool, limited: Bool, _ model: RouteModel,
              _ query: RouteQuery, at now: Date) -> Skip? {
        var s = Skip(account: account.id, model: model.reference, reason: "")
        if !query.exclude.isEmpty && query.exclude.contains(account.id) {
            s.reason = "excluded"
            return s
        }
        if !mayServe {
            s.reason = "status"
            s.status = account.status
            s.statusDetail = account.statusDetail
            return s
        }
        if account.cliOnly && !query.viaProviderCLI {
            s.reason = "policy"
            s.provider = account.provider
            return s
        }
        if recorded, let block = ledger.block(account: account.id, model: model.model, at: now) {
            s.reason = switch block.reason {
            case .auth: "auth"
            case .billing: "disabled"
            default: "cooling"
            }
            s.until = block.until
            s.cause = block.reason
            s.strikes = block.strikes
            return s
        }
        if let limit = account.maxConcurrent, busy >= limit {
            s.reason = "busy"
            s.busy = busy
            s.limit = limit
            return s
        }
        if limited, let windows = quotas[account.id] {
            var holding: QuotaWindow?
            for w in windows where w.holdsBack(at: now) && (w.resetAt ?? now) > (holding?.resetAt ?? .distantPast) { holding = w }
            if let window = holding {
                s.reason = "quota"
                s.until = window.resetAt
                s.window = window.name
                s.used = Int(((window.usedFraction ?? 1) * 100).rounded())
                return s
            }
        }
        return nil
    }

    /// Picks an account for the first step of the chain that has one, and counts the decision in flight.
    public mutating func decide(_ query: RouteQuery, in catalog: RouteCatalog, at now: Date) -> Verdict {
        layOut(catalog)
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
            explain.append(.model(step.reference, from: step.from, fallback: index > 0))
            // Candidates in rotation, as (position in the catalog, which offered model).
            var available: [(Int, Int)] = []
            for (m, model) in offered.enumerated() {
                let cooling = ledger.cooling(model: model.model)
                for i in catalog.candidates[model.reference] ?? [] {
                    // Most accounts are plainly in rotation: that is read from the slots (and the model's cooling
                    // list) alone. Anything else goes through the rules (`skip`), which say why.
                    if query.exclude.isEmpty && catalog.serves[i] && (!catalog.cliOnly[i] || query.viaProviderCLI)
                        && (!slots!.recorded[i] || Self.clear(slots!.held[i], cooling, catalog.list[i].id, now))
                        && !slots!.limited[i] && slots!.busy[i] < catalog.limits[i] {
                        available.append((i, m))
                    } else if let s = skip(catalog.list[i], mayServe: catalog.serves[i], busy: slots!.busy[i], recorded: slots!.recorded[i],
                                           limited: slots!.limited[i], model, query, at: now) {
                        skipped.append(s)
                        explain.append(.skipped(s))
                    } else {
                        available.append((i, m))
                    }
                }
            }
            guard var chosen = available.first else { continue }

            // Pins are kept per session and the model as asked, so a bare id's pin holds across providers.
            let pinKey = query.session.map { PinKey(session: $0, model: step.reference) }
            var pinned = false
            if let pinKey, let pin = pins[pinKey], now.timeIntervalSince(pin.updatedAt) < pinLifetime,
               let i = catalog.index[pin.account], let candidate = available.first(where: { $0.0 == i }) {
                chosen = candidate
                pinned = true
                pins[pinKey]?.updatedAt = now
            } else {
                var oldest = slots!.lastUsed[chosen.0]
                for candidate in available.dropFirst() where slots!.lastUsed[candidate.0] < oldest {
                    chosen = candidate
                    oldest = slots!.lastUsed[candidate.0]
                }
            }
            let account = catalog.list[chosen.0]
            let model = offered[chosen.1]
            explain.append(.chosen(account.id, model: model.reference, step: step.reference, pinned: pinned, of: available.count))
            inFlight[account.id, default: 0] += 1
            useClock = max(useClock + 1e-6, now.timeIntervalSince1970)
            lastUsed[account.id] = useClock
            slots!.busy[chosen.0] += 1
            slots!.lastUsed[chosen.0] = useClock
            return .routed(.init(account: account, model: model, step: step.reference,
                                 fallbackFrom: index == 0 ? nil : query.chain.first?.reference, pinned: pinned, explain: explain))
        }
        let retryAt = skipped.compactMap(\.until).filter { $0 > now }.min()
        explain.append(Explanation(step: "unavailable", until: retryAt,
                                   message: retryAt.map { "no account can serve any model of the chain; the first frees up at \(Self.stamp($0))" }
                                       ?? "no account can serve any model of the chain"))
        return .unavailable(.init(retryAt: retryAt, skipped: skipped, explain: explain,
                                  unknownModels: unknown.count == query.chain.count ? unknown : []))
    }

    /// An instant as RFC 3339 in UTC to the second, computed directly (Foundation's formatter costs microseconds,
    /// and a decision formats one per account it skips).
    static func stamp(_ date: Date?) -> String {
        guard let date else { return "a connection test passes" }
        return UTCStamp.string(date)
    }
}
