import Core
import Foundation

/// Admin tokens and sessions that were found valid moments ago, so an authenticated request needs no
/// database read (bench/README.md: the read cost three quarters of `GET /api/config`'s throughput).
///
/// Entries live one second. Changes made by this process (revoke, sign-out) clear them at once; a token
/// revoked by another process (`switchboard token revoke`) stops working within that second. Only hits
/// are kept: an unknown token is never remembered, and failures go through the sign-in throttle.
final class CredentialCache: Sendable {
    static let lifetime: UInt64 = 1_000_000_000
    static let capacity = 1024

    private struct Entry {
        var token: AdminToken
        var session: AdminSession?
        var storedAt: UInt64
    }

    private let entries = ReadMostly<[String: Entry]>([:])

    private static var now: UInt64 { DispatchTime.now().uptimeNanoseconds }

    func token(hash: String) -> AdminToken? {
        let now = Self.now
        return entries.read { table in
            guard let entry = table[hash], entry.session == nil, now &- entry.storedAt < Self.lifetime else { return nil }
            return entry.token
        }
    }

    func session(hash: String) -> (AdminSession, AdminToken)? {
        let now = Self.now
        return entries.read { table in
            guard let entry = table[hash], let session = entry.session, now &- entry.storedAt < Self.lifetime else { return nil }
            return (session, entry.token)
        }
    }

    func remember(token: AdminToken, session: AdminSession? = nil, under hash: String) {
        let now = Self.now
        entries.write { table in
            if table.count >= Self.capacity { table.removeAll(keepingCapacity: true) }
            table[hash] = Entry(token: token, session: session, storedAt: now)
        }
    }

    /// Notes a recorded use in every cached copy of the token, so it is not recorded again within the minute.
    func noteUse(tokenID: String, at date: Date) {
        entries.write { table in
            for (hash, entry) in table where entry.token.id == tokenID { table[hash]?.token.lastUsedAt = date }
        }
    }

    func forget(hash: String) {
        entries.write { table in _ = table.removeValue(forKey: hash) }
    }

    func removeAll() {
        entries.write { $0.removeAll() }
    }
}
