import App
import Foundation
import Logging
import Vault

/// The vault's part of starting to serve: keys ready (or loudly reported), orphaned files swept, environment
/// keys imported once, and every credential that cannot be opened named — the service keeps running.
enum VaultStartup {
    static func run(_ application: Application, vault: Vault, importEnvironment: Bool, logger: Logger) throws {
        let report: Vault.StartupReport
        do {
            report = try vault.prepare()
        } catch {
            throw Fatal("switchboard: the vault under \(vault.keysDirectory.deletingLastPathComponent().path) cannot be used: \(error)")
        }
        if let id = report.createdKey {
            logger.notice("master key created", metadata: ["file": "\(vault.keyring.file(id).path)"])
        }
        StartupProblems.announce(report.problems, heading: "MASTER KEY PROBLEM", logger: logger)
        let accounts = application.accounts
        let referenced = Set(try application.database.accounts().compactMap(\.credentialFile) + application.oauth.clients.secretFiles())
        for name in try vault.sweep(keeping: referenced) {
            logger.notice("removed a credential file no account refers to", metadata: ["file": "\(name)"])
        }
        if importEnvironment {
            let result = try accounts.importEnvironment(ProcessInfo.processInfo.environment)
            for id in result.created {
                logger.notice("account created from an environment key", metadata: ["account": "\(id)"])
            }
            for reason in result.skipped {
                logger.warning("environment key not imported", metadata: ["reason": "\(reason)"])
            }
        }
        for id in try accounts.recordMissingOrigins() {
            logger.notice("credential confirmed for the address it goes to now (stored before every credential had one)",
                          metadata: ["account": "\(id)"])
        }
        for account in try accounts.list() where account.status == .credentialUnreadable {
            FileHandle.standardError.write(Data("switchboard: CREDENTIAL UNREADABLE: \(account.id): \(account.statusDetail)\n".utf8))
            logger.error("credential cannot be opened", metadata: ["account": "\(account.id)", "detail": "\(account.statusDetail)"])
        }
    }
}
