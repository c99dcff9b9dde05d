import Foundation
import Logging
import Storage

/// The audit log's part of starting to serve: the first audit key and head file made when there are none, and
/// anything wrong with them named loudly. The service keeps running; `switchboard audit verify` says whether
/// the log still holds.
enum AuditStartup {
    static func run(_ database: AppDatabase, logger: Logger) throws {
        let report: AuditLog.StartupReport
        do {
            report = try database.prepareAuditLog()
        } catch {
            throw Fatal("switchboard: the audit log's keys under \(database.auditKeysDirectory.path) cannot be used: \(error)")
        }
        if let id = report.createdKey {
            logger.notice("audit key created", metadata: ["file": "\(database.auditKeysDirectory.appendingPathComponent(AuditKeyring.fileName(id)).path)"])
        }
        StartupProblems.announce(report.problems, heading: "AUDIT LOG PROBLEM", logger: logger)
    }
}
