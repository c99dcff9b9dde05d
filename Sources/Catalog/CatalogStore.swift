import Core
import Foundation
import Settings
import Storage

/// The catalog in use, replaced whole when the custom providers change. The settings document resolves
/// model references through it; `generation` moves with every replacement so cached answers are rebuilt.
public final class CatalogStore: ModelDirectory {
    public let shippedDirectory: URL?
    public let customDirectory: URL?
    /// The process environment as it was at start: `$VAR` endpoints resolve against it, on every reload alike.
    let environment: [String: String]
    private let state: ReadMostly<Catalog>

    public init(shipped: URL? = Catalog.shippedDirectory, custom: URL? = nil,
                environment: [String: String] = ProcessInfo.processInfo.environment) {
        shippedDirectory = shipped
        customDirectory = custom
        self.environment = environment
        state = ReadMostly(Catalog.load(shipped: shipped, custom: custom, environment: environment))
    }

    public var current: Catalog { state.read { $0 } }

    /// Reads the files again (after a custom provider was written or removed).
    public func reload() {
        state.write { catalog in
            catalog = Catalog.load(shipped: shippedDirectory, custom: customDirectory, environment: environment,
                                   generation: catalog.generation + 1)
        }
    }

    public var generation: Int { state.read { $0.generation } }
    public var keyPrefixes: [String] { state.read { $0.keyPrefixes } }
    public func provider(_ id: String) -> ProviderFacts? { state.read { $0.provider(id) } }
    public func model(provider: String, id: String) -> ModelFacts? { state.read { $0.model(provider: provider, id: id) } }
}

extension CatalogStore {
    public enum CustomFailure: Error, Equatable {
        case noCustomDirectory
        case invalid(CatwalkFormat.Problem)
        /// The file holds secrets (literal keys, credential headers, key-shaped values): every place, by pointer.
        case secrets([CatwalkFormat.Problem])
        case idMismatch(body: String, path: String)
        /// The file already there cannot be read: it is never overwritten; delete it first.
        case existingFileUnreadable(String)
        case notFound
        case cannotWrite(String)
    }

    /// Writes a custom provider (Catwalk format) as `<custom>/<id>.json`: a temp file, fsync, rename, and an
    /// fsync of the directory. The file is 0600. It overrides a shipped provider with the same id. A file that holds
    /// a secret is refused before anything else is checked (`CatwalkFormat.secrets`).
    public func putCustom(id: String, body: [UInt8]) throws(CustomFailure) -> CatalogProvider {
        guard let directory = customDirectory else { throw .noCustomDirectory }
        guard let value = JSONValue.parse(body) else { throw .invalid(CatwalkFormat.Problem(pointer: "", message: "is not valid JSON")) }
        // Secrets first: the format's messages may quote values, and a secret is never repeated.
        let detector = SecretDetector(keyPrefixes: keyPrefixes + CatwalkFormat.declaredKeyPrefixes(value))
        let secrets = CatwalkFormat.secrets(in: value, detector: detector)
        guard secrets.isEmpty else { throw .secrets(secrets) }
        let provider: CatalogProvider
        do { provider = try CatwalkFormat.provider(value, source: .custom) } catch { throw .invalid(error) }
        guard provider.id == id else { throw .idMismatch(body: provider.id, path: id) }
        let target = directory.appendingPathComponent("\(id).json")
        if let existing = FileManager.default.contents(atPath: target.path),
           (try? CatwalkFormat.decodeProvider(Array(existing), source: .custom)) == nil {
            throw .existingFileUnreadable(target.path)
        }
        do {
            try DurableFile.write(Array((provider.raw.serialized + "\n").utf8), to: target)
        } catch {
            throw .cannotWrite("\(error)")
        }
        reload()
        // As the catalog now lists it: its `$VAR` endpoint resolved.
        return current.entry(id) ?? provider
    }

    /// Removes a custom provider's file (readable or not); a shipped provider with that id shows again.
    public func deleteCustom(id: String) throws(CustomFailure) {
        guard let directory = customDirectory else { throw .noCustomDirectory }
        let target = directory.appendingPathComponent("\(id).json")
        guard FileManager.default.fileExists(atPath: target.path) else { throw .notFound }
        do { try FileManager.default.removeItem(at: target) } catch { throw .cannotWrite("\(error)") }
        DurableFile.syncDirectory(directory)
        reload()
    }
}
