import ArgumentParser
import Core
import Foundation
import Storage
import Vault

struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Manage the vault's master keys and the audit log's keys.",
        subcommands: [Rotate.self, Status.self]
    )

    struct Rotate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-encrypt every stored credential under a new master key, then retire the old keys; make a new audit key current.",
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
            var detail: [String: JSONValue] = ["keyId": .number(Double(report.keyID)),
                                               "reencrypted": .number(Double(report.reencrypted)),
                                               "retired": .array(report.retiredKeys.map { .number(Double($0)) }),
                                               "resumed": .bool(report.resumed)]
            // The audit key turns over with the master key; the old one stays, it verifies the events it sealed.
            let audit: AuditLog.KeyRotation
            do {
                audit = try database.rotateAuditKey()
            } catch {
                try database.audit(AuditEntry("keys.rotated", actor: "cli:\(NSUserName())", detail: .object(detail)))
                throw Fatal("switchboard: \(error)")
            }
            print("\(audit.resumed ? "finished the interrupted rotation to" : "rotated to") audit key \(audit.keyID)"
                  + (audit.previousKeyID.map { "; audit key \($0) is kept, it verifies the events it sealed" } ?? ""))
            detail["auditKeyId"] = .number(Double(audit.keyID))
            try database.audit(AuditEntry("keys.rotated", actor: "cli:\(NSUserName())", detail: .object(detail)))
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the master and audit keys and any problem with them (never the keys).")
        @OptionGroup var state: StateOptions

        func run() throws {
            let vault = Vault(stateDirectory: URL(fileURLWithPath: state.stateDir))
            let ring = vault.keyring
            for id in ring.keys.keys.sorted() {
                print("\(id)\t\(ring.file(id).path)\(id == ring.active?.id ? "\tactive" : "")")
            }
            for problem in ring.problems { print("PROBLEM\t\(problem)") }
            if ring.keys.isEmpty && ring.problems.isEmpty { print("no master key yet; `switchboard serve` creates one") }
            let audit = AuditKeyring.load(vault.keysDirectory)
            for id in audit.keys.keys.sorted() {
                print("\(id)\t\(audit.file(id).path)\(id == audit.current?.id ? "\tactive" : "")")
            }
            for problem in audit.problems { print("PROBLEM\t\(problem)") }
            if audit.keys.isEmpty && audit.problems.isEmpty { print("no audit key yet; the first audit event creates one") }
        }
    }
}

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Check the audit log.",
        subcommands: [Verify.self, Reanchor.self]
    )

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check the keyed chain and the head file; exit 1 if any event was edited, removed or reordered, or the end cut off.")
        @OptionGroup var state: StateOptions

        func run() throws {
            let result = try state.open().verifyAuditLog()
            if let problem = result.problem {
                throw Fatal("switchboard: audit log BROKEN after \(result.events) event(s): \(problem)")
            }
            var facts = ["\(result.events) event(s)"]
            if !result.keysUsed.isEmpty {
                facts.append("sealed with audit key(s) \(result.keysUsed.map(String.init).joined(separator: ", "))")
            }
            if result.legacyEvents > 0 { facts.append("the first \(result.legacyEvents) from before the chain was keyed (plain SHA-256)") }
            if let seq = result.headFileSeq, seq < result.events {
                facts.append("the head file names event \(seq), \(result.events - seq) behind (a crash between a commit and its write)")
            }
            if !result.reanchoredAt.isEmpty {
                facts.append("re-anchored at event \(result.reanchoredAt.map(String.init).joined(separator: ", ")) (see the detail of those events)")
            }
            print("audit log intact: \(facts.joined(separator: "; ")); head \(result.headHash)")
        }
    }

    struct Reanchor: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Seal a new head file when the old one no longer holds, recording what it was found to be.",
            discussion: "For after you have looked into what `audit verify` says about the head file (deleted, damaged, or showing events cut off). An audit.reanchored event records the finding; verify lists it. Refused while the head file holds.")
        @OptionGroup var state: StateOptions

        func run() throws {
            umask(0o077)
            let result: AuditLog.Reanchoring
            do {
                result = try state.open().reanchorAuditLog(actor: "cli:\(NSUserName())")
            } catch let failure as AuditLog.Failure {
                throw Fatal("switchboard: \(failure)")
            }
            print("re-anchored the audit head at event \(result.event.seq) (audit.reanchored); the old head: \(result.found)")
        }
    }
}
