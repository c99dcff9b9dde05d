import Foundation

/// The provider catalog: the shipped providers (Catwalk format, `Catalog/Providers/*.json`) with the
/// operator's custom providers (`<state>/catalog/*.json`) laid over them by id.
///
/// A file that cannot be read is reported in `problems` (which file, which field, what is wrong) and left
/// as it is: never overwritten, never silently dropped.
public struct Catalog: ModelDirectory {
    public let providers: [CatalogProvider]
    public let problems: [FileProblem]
    public let generation: Int
    /// Every provider's key prefixes, for the secret detector.
    public let keyPrefixes: [String]
    private let byID: [String: CatalogProvider]

    public struct FileProblem: Sendable, Equatable, Codable {
        public var file: String
        public var pointer: String
        public var message: String
    }

    public init(providers: [CatalogProvider], problems: [FileProblem] = [], generation: Int = 0) {
        var byID: [String: CatalogProvider] = [:]
        for provider in providers { byID[provider.id] = provider }   // later entries (custom) win
        self.byID = byID
        self.providers = byID.values.sorted { ($0.source == .shipped ? 0 : 1, $0.name.lowercased()) < ($1.source == .shipped ? 0 : 1, $1.name.lowercased()) }
        self.problems = problems
        self.generation = generation
        keyPrefixes = Set(providers.flatMap(\.keyPrefixes)).sorted()
    }

    /// The catalog files shipped with the binary (a SwiftPM resource of this module).
    public static var shippedDirectory: URL? {
        Bundle.module.url(forResource: "Providers", withExtension: nil)
    }

    /// Reads the shipped files, then the custom ones over them.
    public static func load(shipped: URL?, custom: URL?, generation: Int = 0) -> Catalog {
        var providers: [CatalogProvider] = []
        var problems: [FileProblem] = []
        for (directory, source) in [(shipped, CatalogProvider.Source.shipped), (custom, .custom)] {
            guard let directory else { continue }
            let files = ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
                .filter { $0.hasSuffix(".json") }.sorted()
            for file in files {
                let path = directory.appendingPathComponent(file).path
                guard let data = FileManager.default.contents(atPath: path) else {
                    problems.append(FileProblem(file: path, pointer: "", message: "cannot be read"))
                    continue
                }
                do {
                    providers.append(try CatwalkFormat.decodeProvider(Array(data), source: source))
                } catch {
                    problems.append(FileProblem(file: path, pointer: error.pointer, message: error.message))
                }
            }
        }
        return Catalog(providers: providers, problems: problems, generation: generation)
    }

    public func entry(_ id: String) -> CatalogProvider? {
        byID[id] ?? CatwalkFormat.aliases[id].flatMap { byID[$0] }
    }

    // MARK: ModelDirectory

    public func provider(_ id: String) -> ProviderFacts? {
        guard let p = byID[id] else { return nil }
        let sdk = p.type == "anthropic" || p.type == "bedrock" || p.type == "vertexai" || p.id == "zai"
        return ProviderFacts(id: p.id, name: p.name, runsClaudeCodeSDK: sdk)
    }

    public func model(provider: String, id: String) -> ModelFacts? {
        guard let p = byID[provider], let m = p.model(id) else { return nil }
        return ModelFacts(provider: p.id, id: m.id, name: m.name, maxOutputTokens: m.capabilities.maxOutputTokens,
                          supportsTemperature: m.capabilities.temperature, supportsImageInput: m.capabilities.attachments,
                          supportsImageOutput: m.capabilities.imageOutput)
    }
}
