import Core
import Foundation
import Routing
import Storage

/// `GET /api/route/status`: per model, where each account stands and why; each account's quota; the last
/// decisions with their explanation.
public struct RouteStatus: Sendable, Encodable {
    public struct ModelStatus: Sendable, Encodable {
        public var model: String
        public var accounts: [AccountState]
    }

    public struct AccountState: Sendable, Encodable {
        public var account: String
        /// `in_rotation`, `cooling`, `disabled`, `error` (status or an `auth` refusal), `excluded` (policy),
        /// `busy` (at maxConcurrent), `quota` (waiting for a reset).
        public var state: String
        public var reason: String?
        public var until: Date?
        /// Failures counted towards the current block (its step on the ladder), or towards one (transient).
        public var failures: Int
        public var detail: String?
        public var inFlight: Int
        public var maxConcurrent: Int?
        public var lastUsedAt: Date?
    }

    public struct AccountQuota: Sendable, Encodable {
        public var account: String
        public var provider: String
        public var status: String
        public var windows: [QuotaWindow]
    }

    public struct Decision: Sendable, Encodable {
        public var decisionId: String
        public var at: Date
        public var account: String
        public var model: String
        public var requested: String
        public var agent: String?
        public var runtime: String?
        public var session: Bool
        public var outcome: String?
        public var outcomeAt: Date?
        public var explain: [Explanation]
    }

    public var generatedAt: Date
    public var models: [ModelStatus]
    public var accounts: [AccountQuota]
    public var decisions: [Decision]
}

extension RouteService {
    public func status(model: String?) throws -> RouteStatus {
        let view = try currentView()
        let now = clock()
        var references = view.catalog.models.keys.sorted()
        if let model {
            let wanted = view.settings.resolve(model)
            let matches = view.catalog.model(wanted).map { [$0.reference] } ?? view.catalog.bare[wanted] ?? []
            guard !matches.isEmpty else { throw Failure.unknownStatusModel(model) }
            references = matches
        }
        let st = state.withLock { $0 }
        let query = RouteQuery(chain: [])
        var models: [RouteStatus.ModelStatus] = []
        for reference in references {
            guard let m = view.catalog.models[reference] else { continue }
            let rows = m.accounts.compactMap { id -> RouteStatus.AccountState? in
                guard let account = view.catalog.accounts[id] else { return nil }
                let busy = st.inFlight[id, default: 0] + st.inFlightElsewhere[id, default: 0]
                let used = st.lastUsed[id].flatMap { $0 > 0 ? Date(timeIntervalSince1970: $0) : nil }
                let block = st.ledger.block(account: id, model: m.model, at: now)
                var row = RouteStatus.AccountState(account: id, state: "in_rotation", reason: nil, until: nil,
                                                   failures: st.ledger.pendingFailures(account: id, model: m.model), detail: nil,
                                                   inFlight: busy, maxConcurrent: account.maxConcurrent, lastUsedAt: used)
                if let skip = st.skip(account, m, query, at: now) {
                    row.state = switch skip.reason {
                    case "status", "auth": "error"
                    case "policy": "excluded"
                    default: skip.reason
                    }
                    row.reason = block?.reason.rawValue ?? skip.reason
                    row.until = skip.until
                    row.detail = skip.detail
                    if let block { row.failures = block.strikes }
                }
                return row
            }
            models.append(.init(model: reference, accounts: rows))
        }
        let accounts = view.catalog.accounts.values.sorted { $0.id < $1.id }.map {
            RouteStatus.AccountQuota(account: $0.id, provider: $0.provider, status: $0.status, windows: st.quotas[$0.id] ?? [])
        }
        // The newest decisions: this process's own (with outcomes it saw) and the store's (others').
        var byID: [String: (row: RouteDecisionRow, explain: [Explanation]?)] = [:]
        for d in try database.recentDecisions(limit: 20) { byID[d.id] = (d, nil) }
        for d in recent.withLock({ $0 }) { byID[d.row.id] = (d.row, d.explain) }
        let wanted = Set(references)
        let decisions = byID.values
            .filter { model == nil || wanted.contains("\($0.row.provider)/\($0.row.model)") }
            .sorted { $0.row.at > $1.row.at }.prefix(20)
            .map { entry in
                let d = entry.row
                return RouteStatus.Decision(decisionId: d.id, at: d.at, account: d.accountID, model: "\(d.provider)/\(d.model)", requested: d.requested,
                                            agent: d.agent, runtime: d.runtime, session: d.session != nil, outcome: d.outcome, outcomeAt: d.outcomeAt,
                                            explain: entry.explain ?? Self.explanation(d.explain))
            }
        return RouteStatus(generatedAt: now, models: models, accounts: accounts, decisions: Array(decisions))
    }

    static func explanation(_ stored: String) -> [Explanation] {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return (try? decoder.decode([Explanation].self, from: Data(stored.utf8))) ?? []
    }
}
