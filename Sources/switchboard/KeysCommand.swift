import ArgumentParser
import Foundation
import SwitchboardKit

struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Manage the vault's master keys.",
        subcommands: [Rotate.self, Status.self]
    )

    struct Rotate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-encrypt every stored credential under a new master key, then retire the old keys.",
            discussion: "Crash-safe: if it is interrupted, run it again to finish the same rotation. The server may keep running.")
        @OptionGroup var state: StateOptions

        @Option(help: .hidden)
        var testKillAfter: Int?

        func run() throws {
            umask(0o077)
            let database = try state.open()
            let vault = Vault(stateDirectory: URL(fileURLWithPath: state.stateDir))
            let report = try vault.rotate(afterEach: { done in
                // For the crash-safety test: die the way a crash does, with nothing cleaned up.
                if let limit = testKillAfter, done >= limit { kill(getpid(), SIGKILL) }
            })
            print("\(report.resumed ? "finished the interrupted rotation to" : "rotated to") master key \(report.keyID): \(report.reencrypted) re-encrypted, \(report.alreadyCurrent) already current")
            guard report.failed.isEmpty else {
                for failure in report.failed { FileHandle.standardError.write(Data("switchboard: cannot re-encrypt \(failure)\n".utf8)) }
                throw Fatal("switchboard: \(report.failed.count) credential(s) could not be opened; the old keys were kept. Fix or remove those credentials, then run `switchboard keys rotate` again.")
            }
            if !report.retiredKeys.isEmpty { print("retired master key(s) \(report.retiredKeys.map(String.init).joined(separator: ", "))") }
            try database.audit(AuditEntry("keys.rotated", actor: "cli:\(NSUserName())",
                                          detail: .object(["keyId": .number(Double(report.keyID)),
                                                           "reencrypted": .number(Double(report.reencrypted)),
                                                           "retired": .array(report.retiredKeys.map { .number(Double($0)) }),
                                                           "resumed": .bool(report.resumed)])))
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the master keys and any problem with them (never the keys).")
        @OptionGroup var state: StateOptions

        func run() throws {
            let ring = Vault(stateDirectory: URL(fileURLWithPath: state.stateDir)).keyring
            for id in ring.keys.keys.sorted() {
                print("\(id)\t\(ring.file(id).path)\(id == ring.active?.id ? "\tactive" : "")")
            }
            for problem in ring.problems { print("PROBLEM\t\(problem)") }
            if ring.keys.isEmpty && ring.problems.isEmpty { print("no master key yet; `switchboard serve` creates one") }
        }
    }
}

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Check the audit log.",
        subcommands: [Verify.self]
    )

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Walk the hash chain; exit 1 if any event was edited, deleted or reordered.")
        @OptionGroup var state: StateOptions

        func run() throws {
            let result = try state.open().verifyAuditLog()
            if let problem = result.problem {
                throw Fatal("switchboard: audit log BROKEN after \(result.events) event(s): \(problem)")
            }
            print("audit log intact: \(result.events) event(s), head \(result.headHash)")
        }
    }
}
