import Foundation
import GRDB

/// The application's one database value: SQLite in WAL mode under the state directory.
///
/// Every method is one transaction. Writes are `IMMEDIATE` (GRDB's default for a `DatabasePool`), so a
/// transaction that reads and then writes never fails with `SQLITE_BUSY` halfway; the busy timeout lets
/// several processes (the responder and the `switchboard token` CLI) share the file.
public struct AppDatabase: Sendable {
    let pool: DatabasePool
    /// Admin credentials found valid within the last second (see `CredentialCache`).
    let credentials = CredentialCache()
    /// The audit log's keys and head file, which live beside the database.
    let auditLog: AuditLog

    /// Opens (creating if needed) `switchboard.sqlite` under `stateDirectory` and runs the migrations. Audit
    /// events are sealed with the keys under `keys/` (the first one is made on first use).
    public static func open(stateDirectory: StateDirectory) throws -> AppDatabase {
        try open(path: stateDirectory.url.appendingPathComponent("switchboard.sqlite").path)
    }

    /// Opens the database at `path`; the directory it is in is its state directory (audit keys under
    /// `keys/`, the audit head in `audit.head`).
    public static func open(path: String) throws -> AppDatabase {
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        configuration.prepareDatabase { db in
            // FULL: a commit that was acknowledged survives power loss, not just a process crash.
            // ~4.7k commits/s on this class of machine, far above what a control plane writes.
            try db.execute(sql: "PRAGMA synchronous = FULL")
            try db.execute(sql: "PRAGMA foreign_keys = ON")
        }
        let pool = try DatabasePool(path: path, configuration: configuration)
        try Migrations.migrator.migrate(pool)
        return AppDatabase(pool: pool, auditLog: AuditLog(stateDirectory: URL(fileURLWithPath: path).deletingLastPathComponent()))
    }

    /// The state directory: the database's own directory.
    public var directory: URL { auditLog.stateDirectory }

    /// `PRAGMA integrity_check`; "ok" when the file is sound.
    public func integrityCheck() throws -> String {
        try pool.read { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") ?? "" }
    }

    public var journalMode: String {
        get throws { try pool.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "" } }
    }
}

/// The state directory: created 0700, holding the database (and later the vault's key and credential files).
public struct StateDirectory: Sendable {
    public let url: URL

    public enum Failure: Error, CustomStringConvertible {
        case cannotCreate(String, String)
        case tooOpen(String, mode: Int)
        public var description: String {
            switch self {
            case .cannotCreate(let p, let why): "cannot create state directory \(p): \(why)"
            case .tooOpen(let p, let mode): "state directory \(p) has mode \(String(mode, radix: 8)); it must be 0700 (chmod 700 \(p))"
            }
        }
    }

    /// Creates the directory 0700 if missing; an existing directory that others can read is refused.
    public init(path: String) throws {
        let url = URL(fileURLWithPath: path, isDirectory: true).standardizedFileURL
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        if !fm.fileExists(atPath: url.path, isDirectory: &isDirectory) {
            do {
                try fm.createDirectory(at: url, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw Failure.cannotCreate(url.path, "\(error.localizedDescription)")
            }
        }
        let mode = ((try? fm.attributesOfItem(atPath: url.path)[.posixPermissions]) as? Int) ?? 0
        if mode & 0o077 != 0 { throw Failure.tooOpen(url.path, mode: mode) }
        self.url = url
    }
}
