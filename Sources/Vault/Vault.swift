import Core
import Foundation
import Storage

/// Why a stored credential cannot be opened. The account then reports `credential_unreadable` with this
/// text; the service keeps running.
public enum VaultReadError: Error, Equatable, CustomStringConvertible {
    case missingFile(String)
    case unsafeFile(String)
    case malformed(String)
    case missingKey(id: UInt32, file: String)
    case unusableKey(id: UInt32, problem: String)
    case authenticationFailed(keyID: UInt32)

    public var description: String {
        switch self {
        case .missingFile(let f): "the credential file \(f) is missing"
        case .unsafeFile(let why): why
        case .malformed(let why): why
        case .missingKey(let id, let file): "it was encrypted with master key \(id), and \(file) is missing"
        case .unusableKey(let id, let problem): "master key \(id) cannot be used: \(problem)"
        case .authenticationFailed(let id): "it does not open with master key \(id): the key is not the one it was written with, or the file was altered"
        }
    }
}

/// The credential vault: secrets encrypted with AES-256-GCM (OpenSSL EVP) in one 0600 file per stored
/// credential under `<state>/credentials/`, master keys under `<state>/keys/`. Holds no plaintext between
/// calls. The database keeps only which file belongs to which account and non-secret metadata.
public final class Vault: Sendable {
    public let keysDirectory: URL
    public let credentialsDirectory: URL
    private let ring: ReadMostly<Keyring>
    /// The associated-data field name of a whole stored credential.
    static let field = "credential"

    public init(stateDirectory: URL) {
        keysDirectory = stateDirectory.appendingPathComponent("keys", isDirectory: true)
        credentialsDirectory = stateDirectory.appendingPathComponent("credentials", isDirectory: true)
        ring = ReadMostly(Keyring.load(keysDirectory))
    }

    public var keyring: Keyring { ring.read { $0 } }

    func replaceKeyring(_ new: Keyring) { ring.write { $0 = new } }

    /// What startup found, for the operator: nothing when all is well.
    public struct StartupReport: Sendable {
        public var createdKey: UInt32?
        /// Each names a file and what is wrong with it.
        public var problems: [String] = []
    }

    /// Readies the vault for serving: creates the directories, and the first master key when there is none.
    /// A key that credentials need but that is missing or unusable is reported (with its file); a new key is
    /// then made for new writes under a higher id, so the old file can still be restored.
    public func prepare() throws -> StartupReport {
        try DurableFile.ensureDirectory(keysDirectory)
        try DurableFile.ensureDirectory(credentialsDirectory)
        let lock = try KeyLock(keysDirectory, exclusive: true)
        defer { lock.release() }
        var report = StartupReport()
        var current = Keyring.load(keysDirectory)
        report.problems += current.problems.map(\.description)
        // One pass over the credential files: which key ids they name, and whether the key of that id opens them.
        let census = census(current)
        for (id, counts) in census.sorted(by: { $0.key < $1.key }) {
            let file = current.file(id).path
            if current.keys[id] == nil {
                if !current.problems.contains(where: { $0.file == file }) {
                    report.problems.append("\(file): missing; \(counts.files) credential file(s) were encrypted with master key \(id) and cannot be opened until it is restored")
                }
            } else if counts.opened == 0 {
                // The wrong key (replaced, or from another installation): said once, by file, not only per account.
                report.problems.append("\(file): opens none of the \(counts.files) credential file(s) encrypted with master key \(id); it is not the key they were written with (restore the right file)")
            }
        }
        if current.active == nil {
            let id = max(current.highestID, census.keys.max() ?? 0) + 1
            _ = try Keyring.create(id: id, in: keysDirectory)
            report.createdKey = id
            current = Keyring.load(keysDirectory)
        }
        let loaded = current
        ring.write { $0 = loaded }
        return report
    }

    /// Per key id named by the credential files' envelopes: how many files name it, and how many of those the
    /// key of that id (when `ring` has it) opens.
    func census(_ ring: Keyring) -> [UInt32: (files: Int, opened: Int)] {
        var out: [UInt32: (files: Int, opened: Int)] = [:]
        for file in credentialFiles() {
            guard let bytes = try? DurableFile.read(file), let envelope = try? Envelope(bytes: bytes) else { continue }
            out[envelope.keyID, default: (0, 0)].files += 1
            if let key = ring.keys[envelope.keyID], let account = Self.account(ofFile: file.lastPathComponent),
               (try? envelope.open(key: key, account: account, field: Self.field)) != nil {
                out[envelope.keyID, default: (0, 0)].opened += 1
            }
        }
        return out
    }

    func credentialFiles() -> [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: credentialsDirectory.path)) ?? []
        return names.filter { $0.hasSuffix(".cred") && !$0.hasPrefix(".") }.sorted().map { credentialsDirectory.appendingPathComponent($0) }
    }

    /// `anthropic:work`, version 3 → `anthropic.work.3.cred`. Account ids are checked slugs (no `.` or `/`).
    public static func fileName(account: String, version: Int) -> String {
        account.replacingOccurrences(of: ":", with: ".") + ".\(version).cred"
    }

    /// The account a credential file belongs to, from its name.
    static func account(ofFile name: String) -> String? {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[3] == "cred", Int(parts[2]) != nil else { return nil }
        return "\(parts[0]):\(parts[1])"
    }

    /// Encrypts `plaintext` for `account` under the newest master key into a new file; returns its name.
    /// A symbolic link (or other non-file) where the file goes is refused; a stale regular file left by a
    /// crash is replaced.
    public func store(_ plaintext: [UInt8], account: String, version: Int) throws -> String {
        let lock = try KeyLock(keysDirectory, exclusive: false)
        defer { lock.release() }
        // Read the keys again: `switchboard keys rotate` may have added one since the last write.
        let current = Keyring.load(keysDirectory)
        ring.write { $0 = current }
        guard let key = current.active else {
            throw DurableFile.Failure(description: "no usable master key in \(keysDirectory.path); see the startup log")
        }
        let name = Self.fileName(account: account, version: version)
        let target = credentialsDirectory.appendingPathComponent(name)
        try DurableFile.ensureDirectory(credentialsDirectory)
        var st = stat()
        if lstat(target.path, &st) == 0 && st.st_mode & S_IFMT == S_IFREG { DurableFile.remove(target) }
        try DurableFile.create(Envelope.seal(plaintext, key: key, account: account, field: Self.field).bytes, at: target)
        return name
    }

    /// Decrypts `file` (a name under the credentials directory) for `account`.
    public func open(file: String, account: String) throws(VaultReadError) -> [UInt8] {
        let url = credentialsDirectory.appendingPathComponent(file)
        let bytes: [UInt8]
        do {
            guard let b = try DurableFile.read(url) else { throw VaultReadError.missingFile(url.path) }
            bytes = b
        } catch let e as VaultReadError {
            throw e
        } catch {
            throw .unsafeFile("\(error)")
        }
        let envelope: Envelope
        do { envelope = try Envelope(bytes: bytes) } catch { throw .malformed(error.description) }
        guard let key = key(envelope.keyID) else {
            let ring = keyring
            if let problem = ring.problems.first(where: { $0.file == ring.file(envelope.keyID).path }) {
                throw .unusableKey(id: envelope.keyID, problem: problem.message)
            }
            throw .missingKey(id: envelope.keyID, file: ring.file(envelope.keyID).path)
        }
        do {
            return try envelope.open(key: key, account: account, field: Self.field)
        } catch {
            throw .authenticationFailed(keyID: envelope.keyID)
        }
    }

    /// Encrypts a short-lived secret that lives in the database rather than in a file (an OAuth device code,
    /// which alone can fetch tokens) under the newest master key; base64 of the envelope, bound to `context`.
    public func sealValue(_ plaintext: String, context: String) throws -> String {
        guard let key = ring.read({ $0.active }) ?? Keyring.load(keysDirectory).active else {
            throw DurableFile.Failure(description: "no usable master key in \(keysDirectory.path); see the startup log")
        }
        return Data(try Envelope.seal(Array(plaintext.utf8), key: key, account: context, field: "value").bytes).base64EncodedString()
    }

    /// The secret `sealValue` made for `context`; nil when it cannot be opened (another context, a deleted key).
    public func openValue(_ sealed: String, context: String) -> String? {
        guard let data = Data(base64Encoded: sealed), let envelope = try? Envelope(bytes: Array(data)),
              let key = key(envelope.keyID), let plaintext = try? envelope.open(key: key, account: context, field: "value") else { return nil }
        return String(decoding: plaintext, as: UTF8.self)
    }

    /// The key with this id, reading the directory again once when it is not known (rotation by the CLI).
    private func key(_ id: UInt32) -> MasterKey? {
        if let k = ring.read({ $0.keys[id] }) { return k }
        let reloaded = Keyring.load(keysDirectory)
        ring.write { $0 = reloaded }
        return reloaded.keys[id]
    }

    public func remove(file: String) {
        DurableFile.remove(credentialsDirectory.appendingPathComponent(file))
    }

    /// Removes credential files no account refers to (left by a crash between writing a file and committing
    /// the database) and temp files. Returns the names removed.
    public func sweep(keeping referenced: Set<String>) throws -> [String] {
        let lock = try KeyLock(keysDirectory, exclusive: true)
        defer { lock.release() }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: credentialsDirectory.path)) ?? []
        var removed: [String] = []
        for name in names where (name.hasSuffix(".cred") && !referenced.contains(name)) || (name.hasPrefix(".") && name.hasSuffix(".tmp")) {
            DurableFile.remove(credentialsDirectory.appendingPathComponent(name))
            removed.append(name)
        }
        return removed
    }
}
