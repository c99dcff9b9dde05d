import Catalog
import Core
import Foundation
import Storage
import Vault

/// An account's credential: stored or replaced (a placeholder keeps the stored secret and confirms it for a new
/// origin), obtained by a sign-in or pairing, renewed, removed, and one field of it disclosed after an audit event.
extension AccountService {
    /// Stores or replaces the credential. A secret sent back as the redacted placeholder keeps the stored
    /// value; sending the placeholder alone confirms the stored credential for a new base URL.
    public func putCredential(_ id: String, _ body: JSONValue, by caller: Caller, at now: Date = Date()) throws -> AccountView {
        let current = try record(id)
        guard let provider = provider(current.provider) else {
            throw Failure.invalidCredential([.init(pointer: "", code: "unknown_provider", message: "\(current.provider) is no longer in the catalog")])
        }
        let stored = try? credential(of: current)
        var checker = CredentialInput(base: "", urlPolicy: urlPolicy)
        let method = current.authMethod.flatMap(AuthMethod.init(rawValue:))
        guard let credential = checker.check(body, provider: provider, method: method, stored: stored) else {
            throw Failure.invalidCredential(checker.errors)
        }
        var written: String?
        var replaced: String?
        let updated: AccountRecord?
        do {
            updated = try database.updateAccount(id, at: now) { fresh in
                replaced = fresh.credentialFile
                if fresh.authMethod == nil { fresh.authMethod = CredentialInput.method(for: credential.kind, provider: provider)?.rawValue }
                let attached = try attach(credential, to: &fresh, provider: provider,
                                          event: fresh.credentialFile == nil ? "credential.set" : "credential.replaced",
                                          caller: caller, now: now)
                written = attached.file
                fresh.version += 1
                fresh.updatedAt = now
                return [attached.event]
            }
        } catch {
            if let written { vault.remove(file: written) }
            throw error
        }
        guard let record = updated else { throw Failure.notFound(id) }
        // After the commit: a crash before this line leaves an unreferenced file, swept at the next start.
        if let old = replaced, old != record.credentialFile { vault.remove(file: old) }
        return view(record, catalog.current)
    }

    /// Stores a credential a sign-in obtained (OAuth, device code, pairing) into `accountID` (replacing its
    /// credential; created when it does not exist) or, without one, into a new account `<provider>:default`
    /// (or the next free name). The vault file, the account row, the audit event and the sign-in's `completion`
    /// (its flow's or pairing's outcome) commit in one transaction; on any failure nothing is left behind.
    package func storeObtained(_ credential: Credential, provider providerID: String, account accountID: String?, method: AuthMethod?,
                       event: String, by caller: Caller, at now: Date,
                       completing completion: SignInCompletion) throws -> AccountRecord {
        guard let provider = provider(providerID) else { throw Failure.notFound(providerID) }
        var written: String?
        var replaced: String?
        let record: AccountRecord
        do {
            record = try database.storeObtainedCredential(provider: provider.id, account: accountID, at: now, newAccount: { taken in
                let id = accountID ?? Self.freeID(provider, taken: taken)
                return AccountRecord(id: id, provider: provider.id, displayName: Self.defaultName(provider, id: id, hasOthers: !taken.isEmpty),
                                     authMethod: nil, baseURL: nil, headers: "{}", maxConcurrent: nil, timeoutSeconds: nil,
                                     defaultModel: nil, createdAt: now, updatedAt: now, version: 1, credentialVersion: 0)
            }, { target, isNew in
                var events: [AuditEntry] = []
                if isNew {
                    events.append(AuditEntry("account.created", actor: caller.actor, target: target.id, requestID: caller.requestID,
                                             detail: .object(["provider": .string(provider.id), "displayName": .string(target.displayName)])))
                } else {
                    replaced = target.credentialFile
                    target.version += 1
                    target.updatedAt = now
                }
                if let method, provider.authMethods.contains(where: { $0.method == method }) { target.authMethod = method.rawValue }
                if target.authMethod == nil { target.authMethod = CredentialInput.method(for: credential.kind, provider: provider)?.rawValue }
                let attached = try attach(credential, to: &target, provider: provider, event: event, caller: caller, now: now)
                written = attached.file
                return events + [attached.event]
            }, completing: completion)
        } catch {
            if let written { vault.remove(file: written) }
            throw error
        }
        if let old = replaced, old != record.credentialFile { vault.remove(file: old) }
        return record
    }

    /// Stores the token set a renewal obtained, in place of the credential it renewed (vault file `file`), and
    /// audits it as `credential.refreshed` in the same transaction. Nothing is stored (false) when the account no
    /// longer holds that credential: a renewal that raced a disconnect, a new sign-in or a replaced credential
    /// never brings back the old sign-in or the account. The origin the credential was confirmed for and the time
    /// it was stored stay as they were: a renewal is the same sign-in (its last test still speaks for it), and it
    /// must not confirm a base URL that moved meanwhile (a background renewal runs without anyone looking).
    func storeRenewed(_ credential: Credential, account accountID: String, replacing file: String, at now: Date) throws -> Bool {
        var written: String?
        let stored: Bool
        do {
            stored = try database.storeRenewedCredential(account: accountID, replacing: file, at: now) { fresh in
                guard let provider = provider(fresh.provider) else { throw Failure.notFound(fresh.provider) }
                let (origin, storedAt) = (fresh.credentialOrigin, fresh.credentialUpdatedAt)
                let attached = try attach(credential, to: &fresh, provider: provider, event: "credential.refreshed",
                                          caller: Caller(actor: "oauth:refresh"), now: now)
                written = attached.file
                fresh.credentialOrigin = origin
                fresh.credentialUpdatedAt = storedAt
                fresh.version += 1
                fresh.updatedAt = now
                return attached.event
            }
        } catch {
            if let written { vault.remove(file: written) }
            throw error
        }
        if stored { vault.remove(file: file) }
        return stored
    }

    public func deleteCredential(_ id: String, by caller: Caller, at now: Date = Date()) throws {
        try checkID(id)
        var removed: String?
        let updated = try database.updateAccount(id, at: now) { fresh in
            guard let file = fresh.credentialFile else { throw Failure.noCredential }
            removed = file
            let kind = fresh.credentialKind
            fresh.credentialFile = nil
            fresh.credentialKind = nil
            fresh.credentialHint = nil
            fresh.credentialOrigin = nil
            fresh.credentialUpdatedAt = nil
            fresh.version += 1
            fresh.updatedAt = now
            return [AuditEntry("credential.deleted", actor: caller.actor, target: id, requestID: caller.requestID,
                               detail: .object(["kind": .string(kind ?? "")]))]
        }
        guard updated != nil, let removed else { throw Failure.notFound(id) }
        vault.remove(file: removed)
    }

    public enum Disclosure: String, Sendable {
        case reveal = "credential.revealed"
        case copy = "credential.copied"
    }

    /// One field of a stored credential: the only thing a reveal or copy answers.
    public struct Revealed: Sendable, Encodable {
        public let kind: String
        public let field: String
        public let value: String
    }

    /// One field of the stored credential (its main secret unless `field` names another), returned only after
    /// an audit event naming exactly that field committed: nothing else of the credential is disclosed (a copy
    /// of an OAuth account's access token does not carry its refresh token). The file is opened first, so an
    /// unreadable credential is reported without a misleading event; if the event cannot be written, nothing
    /// is returned.
    public func disclose(_ id: String, _ purpose: Disclosure, field: String? = nil, by caller: Caller, at now: Date = Date()) throws -> Revealed {
        let current = try record(id)
        let credential = try credential(of: current)
        let name = field ?? credential.kind.primaryField
        // A name no credential kind has is a bad request; a field of another kind, or one this credential does
        // not hold, is simply not there (404): which it is depends on what is stored, not on the request.
        guard CredentialKind.allCases.contains(where: { kind in kind.fields.contains { $0.name == name } }) else {
            throw Failure.unknownField(name, kind: credential.kind.rawValue, fields: credential.kind.fields.map(\.name))
        }
        guard credential.kind.fields.contains(where: { $0.name == name }), let stored = credential.fields[name], stored != .null else {
            throw Failure.fieldNotStored(name)
        }
        let value = if case .object = stored { stored.serialized } else { stored.stringValue ?? stored.serialized }
        do {
            try database.audit(AuditEntry(purpose.rawValue, actor: caller.actor, target: id, requestID: caller.requestID,
                                          detail: .object(["kind": .string(credential.kind.rawValue), "field": .string(name)])),
                               at: now)
        } catch {
            throw Failure.auditFailed
        }
        return Revealed(kind: credential.kind.rawValue, field: name, value: value)
    }
}
