import Core
import Foundation
import GRDB

/// An outcome that changed routing state, as stored: every process replays these in `seq` order.
public struct RouteOutcomeRow: Sendable, Equatable {
    public var seq: Int64
    public var at: Date
    public var accountID: String
    public var model: String
    public var outcome: String
    public var retryAfterMs: Int?
    public var resetAt: Date?
    public var httpStatus: Int?
    public var decisionID: String?

    public init(seq: Int64 = 0, at: Date, accountID: String, model: String, outcome: String, retryAfterMs: Int? = nil,
                resetAt: Date? = nil, httpStatus: Int? = nil, decisionID: String? = nil) {
        self.seq = seq
        self.at = at
        self.accountID = accountID
        self.model = model
        self.outcome = outcome
        self.retryAfterMs = retryAfterMs
        self.resetAt = resetAt
        self.httpStatus = httpStatus
        self.decisionID = decisionID
    }

    init(row: Row) {
        self.init(seq: row["seq"], at: row["at"], accountID: row["account_id"], model: row["model"], outcome: row["outcome"],
                  retryAfterMs: row["retry_after_ms"], resetAt: row["reset_at"], httpStatus: row["http_status"],
                  decisionID: row["decision_id"])
    }
}

/// A decision as stored (written in batches, off the request thread).
public struct RouteDecisionRow: Sendable, Equatable {
    public var id: String
    public var process: String
    public var at: Date
    public var expiresAt: Date
    public var accountID: String
    public var provider: String
    /// The provider's own model id.
    public var model: String
    /// What was asked: `provider/model`, an alias or a bare id.
    public var requested: String
    /// The step of the chain that served (the requested model or a fallback), as asked: the session pin's key.
    public var step: String
    public var session: String?
    public var agent: String?
    public var runtime: String?
    public var tokenID: String
    /// JSON array of the decision's explanation.
    public var explain: String
    public var outcome: String?
    public var outcomeAt: Date?

    public init(id: String, process: String, at: Date, expiresAt: Date, accountID: String, provider: String, model: String,
                requested: String, step: String, session: String?, agent: String?, runtime: String?, tokenID: String, explain: String,
                outcome: String? = nil, outcomeAt: Date? = nil) {
        self.id = id
        self.process = process
        self.at = at
        self.expiresAt = expiresAt
        self.accountID = accountID
        self.provider = provider
        self.model = model
        self.requested = requested
        self.step = step
        self.session = session
        self.agent = agent
        self.runtime = runtime
        self.tokenID = tokenID
        self.explain = explain
        self.outcome = outcome
        self.outcomeAt = outcomeAt
    }

    init(row: Row) {
        self.init(id: row["id"], process: row["process"], at: row["at"], expiresAt: row["expires_at"], accountID: row["account_id"],
                  provider: row["provider"], model: row["model"], requested: row["requested"], step: row["step"], session: row["session"],
                  agent: row["agent"], runtime: row["runtime"], tokenID: row["token_id"], explain: row["explain"],
                  outcome: row["outcome"], outcomeAt: row["outcome_at"])
    }
}

/// One rate-limit window of an account as stored.
public struct QuotaRow: Sendable, Equatable {
    public var accountID: String
    public var window: String
    public var limit: Double?
    public var remaining: Double?
    public var usedFraction: Double?
    public var resetAt: Date?
    public var updatedAt: Date

    public init(accountID: String, window: String, limit: Double?, remaining: Double?, usedFraction: Double?, resetAt: Date?, updatedAt: Date) {
        self.accountID = accountID
        self.window = window
        self.limit = limit
        self.remaining = remaining
        self.usedFraction = usedFraction
        self.resetAt = resetAt
        self.updatedAt = updatedAt
    }
}

public struct PinRow: Sendable, Equatable {
    public var session: String
    public var model: String
    public var accountID: String
    public var updatedAt: Date
    public init(session: String, model: String, accountID: String, updatedAt: Date) {
        self.session = session
        self.model = model
        self.accountID = accountID
        self.updatedAt = updatedAt
    }
}

/// Credentials handed out to one token for one account within one hour, counted in memory and added here.
public struct LeaseCount: Sendable, Equatable {
    public var tokenID: String
    public var accountID: String
    /// `yyyy-MM-ddTHH` in UTC.
    public var hour: String
    public var count: Int
    public var firstAt: Date
    public var lastAt: Date
    public init(tokenID: String, accountID: String, hour: String, count: Int, firstAt: Date, lastAt: Date) {
        self.tokenID = tokenID
        self.accountID = accountID
        self.hour = hour
        self.count = count
        self.firstAt = firstAt
        self.lastAt = lastAt
    }
}

/// What routing changes between two reads of the store, so a process sees another's within its refresh.
public struct RouteChanges: Sendable {
    public var outcomes: [RouteOutcomeRow]
    public var pins: [PinRow]
    public var quotas: [QuotaRow]?
    /// Open decisions of other processes, per account.
    public var inFlightElsewhere: [String: Int]
    /// Other processes' latest decision per account, in seconds since 1970.
    public var usedElsewhere: [String: Double]
    /// Changes when accounts, their tests or models, or the settings change: the catalog routing reads.
    public var fingerprint: String
    /// The settings' newest revision.
    public var configRevision: Int
}

/// One account's decisions in flight and latest use, in one process.
public struct FlightRow: Sendable, Equatable {
    public var accountID: String
    public var inFlight: Int
    public var lastUsed: Double
    public init(accountID: String, inFlight: Int, lastUsed: Double) {
        self.accountID = accountID
        self.inFlight = inFlight
        self.lastUsed = lastUsed
    }
}

extension AppDatabase {
    /// A process's flight rows older than this are another process's that stopped: no longer counted.
    static let flightLifetime: TimeInterval = 5

    /// Everything routing needs to catch up with since `outcomeSeq` and `pinsSince`, in one read transaction.
    public func routeChanges(afterOutcome outcomeSeq: Int64, outcomesSince: Date, pinsSince: Date, quotasChangedAfter: Date?,
                             process: String, now: Date) throws -> RouteChanges {
        try pool.read { db in
            let outcomes = try Row.fetchAll(db, sql: """
                SELECT * FROM route_outcome WHERE seq > ? AND at >= ? ORDER BY seq
                """, arguments: [outcomeSeq, outcomesSince]).map(RouteOutcomeRow.init(row:))
            let pins = try Row.fetchAll(db, sql: "SELECT * FROM route_pin WHERE updated_at >= ?", arguments: [pinsSince]).map {
                PinRow(session: $0["session"], model: $0["model"], accountID: $0["account_id"], updatedAt: $0["updated_at"])
            }
            let newestQuota = try Date.fetchOne(db, sql: "SELECT max(updated_at) FROM account_quota")
            var quotas: [QuotaRow]?
            if let newestQuota, quotasChangedAfter.map({ newestQuota > $0 }) ?? true {
                quotas = try Row.fetchAll(db, sql: "SELECT * FROM account_quota").map {
                    QuotaRow(accountID: $0["account_id"], window: $0["window"], limit: $0["quota_limit"], remaining: $0["remaining"],
                             usedFraction: $0["used_fraction"], resetAt: $0["reset_at"], updatedAt: $0["updated_at"])
                }
            }
            var busy: [String: Int] = [:]
            var used: [String: Double] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT account_id, in_flight, last_used FROM route_flight WHERE process != ? AND updated_at > ?
                """, arguments: [process, now.addingTimeInterval(-Self.flightLifetime)]) {
                let account: String = row["account_id"]
                busy[account, default: 0] += row["in_flight"] as Int
                used[account] = max(used[account] ?? 0, row["last_used"] as Double)
            }
            let accounts = try Row.fetchOne(db, sql: """
                SELECT count(*) AS n, total(version) AS v, max(updated_at) AS u, max(last_test_at) AS t,
                       max(models_fetched_at) AS m FROM account
                """)
            let revision = try Int.fetchOne(db, sql: "SELECT max(revision) FROM config_revision") ?? 0
            let a = accounts.map { "\($0["n"] as Int? ?? 0)|\($0["v"] as Double? ?? 0)|\($0["u"] as String? ?? "")|\($0["t"] as String? ?? "")|\($0["m"] as String? ?? "")" } ?? ""
            return RouteChanges(outcomes: outcomes, pins: pins, quotas: quotas, inFlightElsewhere: busy, usedElsewhere: used,
                                fingerprint: "\(a)|\(revision)|\(try cliFingerprint(db))", configRevision: revision)
        }
    }

    /// Stores an outcome durably: the outcome row when it changes routing state, the decision's outcome, the
    /// session's pin after a success, and the quota windows the provider reported, in one transaction.
    /// Returns the outcome's sequence number (nil when nothing was appended to the replayed log).
    @discardableResult
    public func recordRouteOutcome(_ outcome: RouteOutcomeRow?, decision: String?, outcomeName: String, pin: PinRow?,
                                   quotas: [QuotaRow], at now: Date) throws -> Int64? {
        try pool.write { db in
            var seq: Int64?
            if let o = outcome {
                try db.execute(sql: """
                    INSERT INTO route_outcome (at, account_id, model, outcome, retry_after_ms, reset_at, http_status, decision_id)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [o.at, o.accountID, o.model, o.outcome, o.retryAfterMs, o.resetAt, o.httpStatus, o.decisionID])
                seq = db.lastInsertedRowID
            }
            if let decision {
                try db.execute(sql: "UPDATE route_decision SET outcome = ?, outcome_at = ? WHERE id = ?",
                               arguments: [outcomeName, now, decision])
            }
            if let pin {
                try db.execute(sql: """
                    INSERT INTO route_pin (session, model, account_id, updated_at) VALUES (?, ?, ?, ?)
                    ON CONFLICT (session, model) DO UPDATE SET account_id = excluded.account_id, updated_at = excluded.updated_at
                    """, arguments: [pin.session, pin.model, pin.accountID, pin.updatedAt])
            }
            for q in quotas {
                try db.execute(sql: """
                    INSERT INTO account_quota (account_id, window, quota_limit, remaining, used_fraction, reset_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (account_id, window) DO UPDATE SET quota_limit = excluded.quota_limit, remaining = excluded.remaining,
                        used_fraction = excluded.used_fraction, reset_at = excluded.reset_at, updated_at = excluded.updated_at
                    """, arguments: [q.accountID, q.window, q.limit, q.remaining, q.usedFraction, q.resetAt, q.updatedAt])
            }
            return seq
        }
    }

    /// Writes a batch of decisions, pin uses and lease counts, off the request thread and without an fsync of
    /// its own (`synchronous = NORMAL` for this commit): losing the last moment of usage to a power cut costs
    /// a slightly uneven spread, and the next durable commit flushes it anyway.
    public func recordRouteUsage(decisions: [RouteDecisionRow], pinUses: [PinRow], leases: [LeaseCount],
                                 flight: (process: String, rows: [FlightRow], at: Date)? = nil) async throws {
        guard !decisions.isEmpty || !pinUses.isEmpty || !leases.isEmpty || flight != nil else { return }
        try await pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            defer { try? db.execute(sql: "PRAGMA synchronous = FULL") }
            try db.inTransaction(.immediate) {
                let insert = try db.cachedStatement(sql: """
                    INSERT OR IGNORE INTO route_decision (id, process, at, expires_at, account_id, provider, model, requested,
                        step, session, agent, runtime, token_id, explain, outcome, outcome_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
                for d in decisions {
                    try insert.execute(arguments: [d.id, d.process, d.at, d.expiresAt, d.accountID, d.provider, d.model, d.requested,
                                                   d.step, d.session, d.agent, d.runtime, d.tokenID, d.explain, d.outcome, d.outcomeAt])
                }
                for p in pinUses {
                    try db.execute(sql: "UPDATE route_pin SET updated_at = max(updated_at, ?) WHERE session = ? AND model = ? AND account_id = ?",
                                   arguments: [p.updatedAt, p.session, p.model, p.accountID])
                }
                if let flight {
                    try db.execute(sql: "DELETE FROM route_flight WHERE process = ?", arguments: [flight.process])
                    for f in flight.rows {
                        try db.execute(sql: """
                            INSERT INTO route_flight (process, account_id, in_flight, last_used, updated_at) VALUES (?, ?, ?, ?, ?)
                            """, arguments: [flight.process, f.accountID, f.inFlight, f.lastUsed, flight.at])
                    }
                }
                for l in leases {
                    try db.execute(sql: """
                        INSERT INTO credential_lease (token_id, account_id, hour, count, first_at, last_at) VALUES (?, ?, ?, ?, ?, ?)
                        ON CONFLICT (token_id, account_id, hour) DO UPDATE SET count = count + excluded.count,
                            first_at = min(first_at, excluded.first_at), last_at = max(last_at, excluded.last_at)
                        """, arguments: [l.tokenID, l.accountID, l.hour, l.count, l.firstAt, l.lastAt])
                }
                return .commit
            }
        }
    }

    /// A process that stops takes its decisions in flight out of the others' counts at once.
    public func endFlight(of process: String) throws {
        try pool.write { db in try db.execute(sql: "DELETE FROM route_flight WHERE process = ?", arguments: [process]) }
    }

    /// A decision by id (an outcome for a decision another process made).
    public func routeDecision(_ id: String) throws -> RouteDecisionRow? {
        try pool.read { db in try Row.fetchOne(db, sql: "SELECT * FROM route_decision WHERE id = ?", arguments: [id]).map(RouteDecisionRow.init(row:)) }
    }

    /// The newest decisions, newest first; of one model (`provider/model` as decided) when given.
    public func recentDecisions(limit: Int, provider: String? = nil, model: String? = nil) throws -> [RouteDecisionRow] {
        try pool.read { db in
            if let provider, let model {
                return try Row.fetchAll(db, sql: "SELECT * FROM route_decision WHERE provider = ? AND model = ? ORDER BY at DESC LIMIT ?",
                                        arguments: [provider, model, limit]).map(RouteDecisionRow.init(row:))
            }
            return try Row.fetchAll(db, sql: "SELECT * FROM route_decision ORDER BY at DESC LIMIT ?", arguments: [limit]).map(RouteDecisionRow.init(row:))
        }
    }

    /// Writes one `credential.leased` audit event per (token, account, hour) whose hour is over, with its
    /// count, and marks it audited in the same transaction (so two processes never both write it).
    /// Returns how many events were written.
    @discardableResult
    public func auditEndedLeases(currentHour: String, at now: Date) throws -> Int {
        try pool.write { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT * FROM credential_lease WHERE audited_at IS NULL AND hour < ? ORDER BY hour, token_id, account_id
                """, arguments: [currentHour])
            for row in rows {
                let token: String = row["token_id"], account: String = row["account_id"], hour: String = row["hour"]
                let count: Int = row["count"], first: Date = row["first_at"], last: Date = row["last_at"]
                try audit(AuditEntry("credential.leased", actor: "token:\(token)", target: account,
                                     detail: .object(["hour": .string(hour + ":00Z"), "count": .number(Double(count)),
                                                      "firstAt": .string(first.formatted(.iso8601)), "lastAt": .string(last.formatted(.iso8601))])),
                          in: db, at: now)
                try db.execute(sql: "UPDATE credential_lease SET audited_at = ? WHERE token_id = ? AND account_id = ? AND hour = ?",
                               arguments: [now, token, account, hour])
            }
            return rows.count
        }
    }

    /// Credentials handed out and not yet audited (the current hour's), per token and account.
    public func pendingLeases() throws -> [LeaseCount] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM credential_lease WHERE audited_at IS NULL ORDER BY hour").map {
                LeaseCount(tokenID: $0["token_id"], accountID: $0["account_id"], hour: $0["hour"], count: $0["count"],
                           firstAt: $0["first_at"], lastAt: $0["last_at"])
            }
        }
    }

    /// Forgets routing history older than `horizon` (decisions older than `decisionsBefore`): outcomes (the
    /// ledger forgets them after a day too), decisions, unused pins, audited lease counts, flight rows of
    /// processes long gone.
    public func pruneRouting(before horizon: Date, decisionsBefore: Date) throws {
        try pool.write { db in
            try db.execute(sql: "DELETE FROM route_outcome WHERE at < ?", arguments: [horizon])
            try db.execute(sql: "DELETE FROM route_decision WHERE at < ?", arguments: [decisionsBefore])
            try db.execute(sql: "DELETE FROM route_flight WHERE updated_at < ?", arguments: [decisionsBefore])
            try db.execute(sql: "DELETE FROM route_pin WHERE updated_at < ?", arguments: [horizon])
            try db.execute(sql: "DELETE FROM credential_lease WHERE audited_at IS NOT NULL AND last_at < ?", arguments: [horizon])
        }
    }
}
