import Catalog
import Core
import Foundation
import Outbound
import Settings
import Storage
import Vault

/// Provider accounts and their credentials: create, change, disconnect, store/replace/remove a credential,
/// audited reveal and copy, what a delete would affect, and the one-time import of environment keys.
///
/// Every change commits the account row and its audit event in one transaction. A credential is written to
/// its own new file inside that transaction and the file of the credential it replaces is removed only after
/// the commit, so a crash leaves either the old credential or the new one in force; files no account points
/// at are swept at startup.
public final class AccountService: Sendable {
    public let database: AppDatabase
    public let vault: Vault
    let catalog: CatalogStore
    let config: ConfigService
    /// Which URLs may be saved as base URLs and endpoints: the outbound client's own rule.
    package let urlPolicy: OutboundPolicy

    public init(database: AppDatabase, vault: Vault, catalog: CatalogStore, config: ConfigService,
                urlPolicy: OutboundPolicy = OutboundPolicy()) {
        self.database = database
        self.vault = vault
        self.catalog = catalog
        self.config = config
        self.urlPolicy = urlPolicy
    }

    public enum Failure: Error, Equatable {
        case invalidID(String)
        case notFound(String)
        case exists(String)
        case invalid([FieldError])
        /// The credential sent to PUT …/credential breaks the rules; pointers are into that body.
        case invalidCredential([FieldError])
        case stale(current: Int)
        case noCredential
        case unreadable(String)
        /// The audit event could not be committed; the secret was not returned.
        case auditFailed
        /// A reveal or copy named a field its credential kind does not have.
        case unknownField(String, kind: String, fields: [String])
        /// A reveal or copy named a field this credential does not hold (an AWS key without a session token).
        case fieldNotStored(String)
    }

    /// Who asked, for the audit log.
    public struct Caller: Sendable {
        public var actor: String
        public var requestID: String?
        public init(actor: String, requestID: String? = nil) {
            self.actor = actor
            self.requestID = requestID
        }
    }

    // MARK: Reading

    public func list() throws -> [AccountView] {
        let current = catalog.current
        return try database.accounts().map { view($0, current) }
    }

    public func get(_ id: String) throws -> AccountView {
        view(try record(id), catalog.current)
    }

    func record(_ id: String) throws -> AccountRecord {
        try checkID(id)
        guard let r = try database.account(id) else { throw Failure.notFound(id) }
        return r
    }

    /// A malformed id is a 400 before anything is read; a missing account is found inside the transaction.
    func checkID(_ id: String) throws {
        guard AccountRules.isAccountID(id) else { throw Failure.invalidID(id) }
    }

    /// The stored credential, decrypted; throws when there is none or it cannot be opened.
    func credential(of r: AccountRecord) throws -> Credential {
        guard let file = r.credentialFile else { throw Failure.noCredential }
        let plaintext: [UInt8]
        do { plaintext = try vault.open(file: file, account: r.id) } catch { throw Failure.unreadable(error.description) }
        guard let credential = Credential(plaintext: plaintext) else { throw Failure.unreadable("the decrypted credential is not in the expected form") }
        return credential
    }

    /// The token use policy for the account's stored credential (`DirectAPIUse`). `.allowed` when there is
    /// nothing to send: no credential, or one that cannot be opened (every call reads it again and fails).
    func directUse(of r: AccountRecord) -> DirectAPIUse {
        guard r.credentialKind == CredentialKind.oauth.rawValue, let c = try? credential(of: r) else { return .allowed }
        return DirectAPIUse(c, directApiAllowed: r.directApiAllowed)
    }

    /// Test outcomes newer than the stored one that only repeat it (same result, same wording) within a minute
    /// of it: kept here instead of written, so 50 tests a second against one account cost no commits. `view`
    /// shows the newest; the next outcome that differs, or comes a minute later, is written.
    let repeatedTests = Locked<[String: Date]>([:])
    private static let repeatWindow: TimeInterval = 60

    /// Stores the outcome, unless it only repeats the stored one within a minute (then only its time is kept,
    /// in memory): see `repeatedTests`.
    func recordTest(_ outcome: ProbeOutcome, for stored: AccountRecord, always: Bool) async throws {
        let r = outcome.result
        if !always, let at = stored.lastTestAt, r.testedAt.timeIntervalSince(at) < Self.repeatWindow,
           stored.lastTestOK == r.ok, stored.lastTestCategory == r.category.rawValue, stored.lastTestSummary == r.summary,
           at >= (stored.credentialUpdatedAt ?? .distantPast) {
            repeatedTests.withLock { $0[stored.id] = max($0[stored.id] ?? r.testedAt, r.testedAt) }
            return
        }
        try await database.recordTest(stored.id, r, models: outcome.models)
        _ = repeatedTests.withLock { $0.removeValue(forKey: stored.id) }
    }

    /// Gives every stored credential that has no confirmed origin (stored before every family had one:
    /// Bedrock, Vertex AI, providers without an endpoint) the origin it goes to now, once, so the current
    /// setup keeps working and any later change of address needs confirming. Returns the accounts changed.
    public func recordMissingOrigins(at now: Date = Date()) throws -> [String] {
        var changed: [String] = []
        for r in try database.accounts() where r.credentialOrigin == nil {
            guard let file = r.credentialFile, let provider = provider(r.provider), let c = try? credential(of: r),
                  let origin = ProviderFamilies.origin(provider, c, baseURL: r.baseURL) else { continue }
            if try database.recordCredentialOrigin(origin, account: r.id, file: file) { changed.append(r.id) }
        }
        return changed
    }

    // MARK: Creating and changing

    /// The editable fields, as the API names them.
    static let editable = ["displayName", "authMethod", "baseUrl", "headers", "maxConcurrent", "timeoutSeconds", "defaultModel", "allowDirectApi"]

    struct Fields {
        var displayName: String
        var authMethod: AuthMethod?
        var baseURL: String?
        var headers: [String: JSONValue]
        var maxConcurrent: Int?
        var timeoutSeconds: Int?
        var defaultModel: String?
        var allowDirectApi = false
    }

    /// Checks the editable fields of `object` for an account of `provider`; every problem is collected.
    func checkFields(_ object: [String: JSONValue], provider: CatalogProvider, errors: inout [FieldError]) -> Fields {
        func fail(_ field: String, _ code: String, _ message: String) {
            errors.append(.init(pointer: "/" + field, code: code, message: message))
        }
        func string(_ field: String) -> String? {
            guard let v = object[field], v != .null else { return nil }
            guard let s = v.stringValue else { fail(field, "type", "must be a string"); return nil }
            return s.trimmed
        }
        func integer(_ field: String, _ range: ClosedRange<Int>) -> Int? {
            guard let v = object[field], v != .null else { return nil }
            guard let n = v.intValue, range.contains(n) else {
                fail(field, "out_of_range", "must be a whole number from \(range.lowerBound) to \(range.upperBound)"); return nil
            }
            return n
        }
        var fields = Fields(displayName: provider.name, headers: [:])
        // Everything here is stored in plain text and shown: only the credential goes to the vault.
        let secrets = catalog.secretDetector
        func secret(_ field: String) { fail(field, "secret_not_allowed", "looks like a secret; store secrets with \(SecretDetector.credentialAPI)") }
        if let name = string("displayName") {
            if name.isEmpty || name.count > 100 || name.unicodeScalars.contains(where: { $0.value < 0x20 }) {
                fail("displayName", "invalid_format", "must be 1 to 100 characters on one line")
            } else if secrets.looksLikeSecret(name) {
                secret("displayName")
            } else {
                fields.displayName = name
            }
        }
        if let method = string("authMethod") {
            let offered = provider.authMethods.map(\.method.rawValue)
            if let m = AuthMethod(rawValue: method), offered.contains(method) {
                fields.authMethod = m
            } else {
                fail("authMethod", "not_allowed", "\(provider.name) signs in with \(offered.joined(separator: ", "))")
            }
        }
        if let base = string("baseUrl") {
            if let problem = urlPolicy.baseURLProblem(base) {
                fail("baseUrl", "invalid_format", problem)
            } else if secrets.looksLikeSecret(base) {
                secret("baseUrl")
            } else {
                fields.baseURL = base
            }
        }
        if let headers = object["headers"], headers != .null {
            let problems = AccountRules.headerProblems(headers, pointer: "/headers", detector: secrets)
            errors += problems
            if problems.isEmpty { fields.headers = headers.objectValue ?? [:] }
        }
        fields.maxConcurrent = integer("maxConcurrent", 1...1000)
        fields.timeoutSeconds = integer("timeoutSeconds", 1...600)
        if let model = string("defaultModel") {
            // A catalog model, one the provider listed (discovery), or an id typed by hand when the list
            // cannot be fetched: any well-formed id is taken. The value is not repeated back in messages.
            if model.isEmpty || model.count > 200 || model.contains(where: { $0.isWhitespace || $0.isNewline }) {
                fail("defaultModel", "invalid_format", "must be a model id (no spaces, at most 200 characters)")
            } else if secrets.looksLikeSecret(model) {
                secret("defaultModel")
            } else {
                fields.defaultModel = model
            }
        }
        if let v = object["allowDirectApi"], v != .null {
            if case .bool(let allowed) = v { fields.allowDirectApi = allowed } else { fail("allowDirectApi", "type", "must be true or false") }
        }
        return fields
    }

    /// The catalog entry for a provider id or one of Catwalk's aliases.
    package func provider(_ id: String) -> CatalogProvider? { catalog.current.entry(id) }

    /// The id a new account of `provider` gets when none is given: `<provider>:default`, then `<provider>:2`, ….
    static func freeID(_ provider: CatalogProvider, taken: Set<String>) -> String {
        (["\(provider.id):default"] + (2...1000).map { "\(provider.id):\($0)" }).first { !taken.contains($0) }!
    }

    /// A new account's name when none is given: the provider's, with the account's own name in brackets when
    /// the provider has other accounts.
    static func defaultName(_ provider: CatalogProvider, id: String, hasOthers: Bool) -> String {
        hasOthers ? "\(provider.name) (\(id.split(separator: ":")[1]))" : provider.name
    }

    /// Creates an account (and stores its credential when one is sent).
    public func create(_ body: JSONValue, by caller: Caller, at now: Date = Date()) throws -> AccountView {
        guard let object = body.objectValue else { throw Failure.invalid([.init(pointer: "", code: "type", message: "must be a JSON object")]) }
        var errors: [FieldError] = []
        let known = Set(Self.editable + ["id", "provider", "credential"])
        for key in object.keys.sorted() where !known.contains(key) && SecretDetector.isSecretName(key) {
            errors.append(.init(pointer: "/" + JSONPointer.escape(key), code: "secret_not_allowed", message: "secrets go under credential (with its kind)"))
        }
        errors += FieldError.unknownMembers(of: object, allowed: known, skip: SecretDetector.isSecretName) { _ in "is not a field of an account" }
        errors.sort { $0.pointer < $1.pointer }
        guard let providerText = object["provider"]?.stringValue else {
            errors.append(.init(pointer: "/provider", code: "required", message: "is required: a provider id from the catalog"))
            throw Failure.invalid(errors)
        }
        guard let provider = provider(providerText) else {
            errors.append(.init(pointer: "/provider", code: "unknown_provider", message: "is not a provider in the catalog; GET /api/catalog lists them"))
            throw Failure.invalid(errors)
        }
        let existing = try database.accounts()
        let id: String
        if let given = object["id"] {
            guard let text = given.stringValue, AccountRules.isAccountID(text) else {
                errors.append(.init(pointer: "/id", code: "invalid_format", message: "must be <provider>:<name>, the name of lower-case letters, digits, - and _ (e.g. \(provider.id):work)"))
                throw Failure.invalid(errors)
            }
            guard text.hasPrefix(provider.id + ":") else {
                errors.append(.init(pointer: "/id", code: "invalid_format", message: "must start with \(provider.id): (the account's provider)"))
                throw Failure.invalid(errors)
            }
            id = text
        } else {
            id = Self.freeID(provider, taken: Set(existing.map(\.id)))
        }
        var fields = checkFields(object, provider: provider, errors: &errors)

        var credential: Credential?
        if let input = object["credential"], input != .null {
            var checker = CredentialInput(base: "/credential", urlPolicy: urlPolicy)
            credential = checker.check(input, provider: provider, method: fields.authMethod, stored: nil)
            errors += checker.errors
            if let credential, fields.authMethod == nil { fields.authMethod = CredentialInput.method(for: credential.kind, provider: provider) }
        }
        if fields.authMethod == nil, provider.authMethods.count == 1 { fields.authMethod = provider.authMethods[0].method }
        guard errors.isEmpty else { throw Failure.invalid(errors) }

        var record = AccountRecord(
            id: id, provider: provider.id, displayName: fields.displayName, authMethod: fields.authMethod?.rawValue,
            baseURL: fields.baseURL, headers: JSONValue.object(fields.headers).serialized, maxConcurrent: fields.maxConcurrent,
            timeoutSeconds: fields.timeoutSeconds, defaultModel: fields.defaultModel, createdAt: now, updatedAt: now, version: 1,
            credentialVersion: 0, directApiAllowed: fields.allowDirectApi)
        if object["displayName"] == nil {
            record.displayName = Self.defaultName(provider, id: id, hasOthers: existing.contains { $0.provider == provider.id })
        }
        var written: String?
        do {
            record = try database.createAccount(record, at: now) { record in
                var events = [AuditEntry("account.created", actor: caller.actor, target: id, requestID: caller.requestID,
                                         detail: .object(["provider": .string(provider.id), "displayName": .string(record.displayName)]))]
                if let credential {
                    let attached = try attach(credential, to: &record, provider: provider, event: "credential.set", caller: caller, now: now)
                    written = attached.file
                    events.append(attached.event)
                }
                return events
            }
        } catch let e as AccountExists {
            if let written { vault.remove(file: written) }
            throw Failure.exists(e.id)
        } catch {
            if let written { vault.remove(file: written) }
            throw error
        }
        return view(record, catalog.current)
    }

    /// Writes `credential` to a new file and points `record` at it. Runs inside the caller's transaction;
    /// returns the new file's name, so the caller can remove it if the commit fails, and the audit event to record.
    func attach(_ credential: Credential, to record: inout AccountRecord, provider: CatalogProvider, event: String,
                caller: Caller, now: Date) throws -> (file: String, event: AuditEntry) {
        record.credentialVersion += 1
        let file = try vault.store(credential.plaintext, account: record.id, version: record.credentialVersion)
        record.credentialFile = file
        record.credentialKind = credential.kind.rawValue
        record.credentialHint = credential.hint
        record.credentialUpdatedAt = now
        record.credentialOrigin = ProviderFamilies.origin(provider, credential, baseURL: record.baseURL)
        return (file, AuditEntry(event, actor: caller.actor, target: record.id, requestID: caller.requestID,
                                 detail: .object(["kind": .string(credential.kind.rawValue), "hint": .string(credential.hint)])))
    }

    /// Applies an RFC 7396 merge patch to the editable fields. `ifVersion`, when given, must be current.
    public func patch(_ id: String, _ patch: JSONValue, ifVersion: Int?, by caller: Caller, at now: Date = Date()) throws -> AccountView {
        // Without If-Match the caller did not pin a version: a change that raced another one is merged again
        // onto the newer account instead of failing.
        for attempt in 0..<3 {
            do {
                return try patchOnce(id, patch, ifVersion: ifVersion, by: caller, at: now)
            } catch Failure.stale where ifVersion == nil && attempt < 2 {
                continue
            }
        }
        return try patchOnce(id, patch, ifVersion: ifVersion, by: caller, at: now)
    }

    private func patchOnce(_ id: String, _ patch: JSONValue, ifVersion: Int?, by caller: Caller, at now: Date) throws -> AccountView {
        let current = try record(id)
        guard let provider = provider(current.provider) else {
            throw Failure.invalid([.init(pointer: "/provider", code: "unknown_provider", message: "\(current.provider) is no longer in the catalog")])
        }
        guard let changes = patch.objectValue else { throw Failure.invalid([.init(pointer: "", code: "type", message: "must be a JSON object (a merge patch)")]) }
        var errors: [FieldError] = []
        let readOnly: Set = ["id", "provider", "credential"]
        for key in changes.keys.sorted() where readOnly.contains(key) {
            if key == "credential" {
                errors.append(.init(pointer: "/credential", code: "read_only", message: "is changed with PUT /api/accounts/\(id)/credential"))
            } else if changes[key]?.stringValue != (key == "id" ? current.id : current.provider) {
                errors.append(.init(pointer: "/" + key, code: "read_only", message: "cannot change; create another account instead"))
            }
        }
        errors += FieldError.unknownMembers(of: changes, allowed: Set(Self.editable).union(readOnly)) { _ in "is not a field of an account" }
        errors.sort { $0.pointer < $1.pointer }
        let before = editableObject(current)
        var merged = MergePatch.apply(.object(changes.filter { Self.editable.contains($0.key) }), to: .object(before)).objectValue ?? [:]
        if merged["displayName"] == nil { merged["displayName"] = .string(provider.name) }
        let fields = checkFields(merged, provider: provider, errors: &errors)
        guard errors.isEmpty else { throw Failure.invalid(errors) }

        var next = current
        next.displayName = fields.displayName
        next.authMethod = fields.authMethod?.rawValue
        next.baseURL = fields.baseURL
        next.headers = JSONValue.object(fields.headers).serialized
        next.maxConcurrent = fields.maxConcurrent
        next.timeoutSeconds = fields.timeoutSeconds
        next.defaultModel = fields.defaultModel
        next.directApiAllowed = fields.allowDirectApi
        let changed = Self.editable.filter { editableObject(next)[$0] != before[$0] }
        if changed.isEmpty { return view(current, catalog.current) }

        let record = try database.updateAccount(id, at: now) { fresh in
            if let ifVersion, ifVersion != fresh.version { throw Failure.stale(current: fresh.version) }
            guard fresh.version == current.version else { throw Failure.stale(current: fresh.version) }
            fresh = next
            fresh.version = current.version + 1
            fresh.updatedAt = now
            return [AuditEntry("account.updated", actor: caller.actor, target: id, requestID: caller.requestID,
                               detail: .object(["changed": .array(changed.map(JSONValue.string))]))]
        }
        guard let record else { throw Failure.notFound(id) }
        return view(record, catalog.current)
    }

    func editableObject(_ r: AccountRecord) -> [String: JSONValue] {
        var o: [String: JSONValue] = ["displayName": .string(r.displayName)]
        if let v = r.authMethod { o["authMethod"] = .string(v) }
        if let v = r.baseURL { o["baseUrl"] = .string(v) }
        let headers = r.headerValues
        if !headers.isEmpty { o["headers"] = .object(headers.mapValues(JSONValue.string)) }
        if let v = r.maxConcurrent { o["maxConcurrent"] = .number(Double(v)) }
        if let v = r.timeoutSeconds { o["timeoutSeconds"] = .number(Double(v)) }
        if let v = r.defaultModel { o["defaultModel"] = .string(v) }
        if r.directApiAllowed { o["allowDirectApi"] = .bool(true) }
        return o
    }

    /// Disconnects: removes the account and its credential file; audited as `connection.disconnected`.
    public func delete(_ id: String, by caller: Caller, at now: Date = Date()) throws {
        try checkID(id)
        let deleted = try database.deleteAccount(id, at: now) { fresh in
            AuditEntry("connection.disconnected", actor: caller.actor, target: id, requestID: caller.requestID,
                       detail: .object(["provider": .string(fresh.provider), "credentialRemoved": .bool(fresh.credentialFile != nil)]))
        }
        guard let deleted else { throw Failure.notFound(id) }
        if let file = deleted.credentialFile { vault.remove(file: file) }
    }

}
