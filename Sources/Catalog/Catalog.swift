import Foundation
import Settings

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

    /// Reads the shipped files, then the custom ones over them, and resolves `$VAR` endpoints from `environment`.
    public static func load(shipped: URL?, custom: URL?, environment: [String: String] = [:], generation: Int = 0) -> Catalog {
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
        let detector = SecretDetector(keyPrefixes: providers.flatMap(\.keyPrefixes))
        var shippedEndpoints: [String: String] = [:]
        for index in providers.indices where providers[index].source == .shipped {
            resolveEndpoint(&providers[index], environment: environment, defaults: [:], detector: detector)
            shippedEndpoints[providers[index].id] = providers[index].apiEndpoint
        }
        for index in providers.indices where providers[index].source == .custom {
            resolveEndpoint(&providers[index], environment: environment, defaults: shippedEndpoints, detector: detector)
        }
        return Catalog(providers: providers, problems: problems, generation: generation)
    }

    /// Turns a file's `$VAR` endpoint into a URL: the variable's value when it is one, else the endpoint of the
    /// shipped provider with the same id (Catwalk's `$ANTHROPIC_API_ENDPOINT` → `https://api.anthropic.com`), else
    /// none (accounts then need a base URL; Azure's endpoint comes with each credential). A placeholder is never
    /// kept as the endpoint.
    ///
    /// Only variables named `…_ENDPOINT` or `…_BASE_URL` are read, and only an http(s) URL without user, query,
    /// fragment or anything key-shaped is taken: a custom file naming `$AWS_SECRET_ACCESS_KEY` or
    /// `$SLACK_WEBHOOK_URL` must not turn the catalog view into a way to read the server's environment. The value
    /// of a refused variable is never shown.
    static func resolveEndpoint(_ provider: inout CatalogProvider, environment: [String: String], defaults: [String: String],
                                detector: SecretDetector) {
        guard let name = provider.apiEndpointVariable else { return }
        var unusable = false
        if let value = environment[name]?.trimmed, !value.isEmpty {
            if isEndpointVariable(name), isPlainURL(value), !detector.looksLikeSecret(value) {
                provider.apiEndpoint = value
                return
            }
            unusable = true
        }
        provider.apiEndpoint = defaults[provider.id]
        let fallback = provider.apiEndpoint.map { "\($0) is used" } ?? "accounts of \(provider.name) need a base URL"
        if unusable {
            provider.warnings.append(.init(pointer: "/api_endpoint", code: "endpoint_variable_unusable",
                                           message: "$\(name) is set, but only a variable named …_ENDPOINT or …_BASE_URL holding an http(s) URL without user, query or fragment is used; \(fallback)"))
        } else if provider.apiEndpoint == nil && provider.type != "azure" {
            provider.warnings.append(.init(pointer: "/api_endpoint", code: "endpoint_variable_unset",
                                           message: "$\(name) is not set in Switchboard's environment and no shipped provider has this id; \(fallback)"))
        }
    }

    static func isEndpointVariable(_ name: String) -> Bool {
        name.hasSuffix("_ENDPOINT") || name.hasSuffix("_BASE_URL")
    }

    static func isPlainURL(_ text: String) -> Bool {
        guard let url = URLComponents(string: text), let scheme = url.scheme?.lowercased(), scheme == "https" || scheme == "http",
              let host = url.host, !host.isEmpty else { return false }
        return url.user == nil && url.password == nil && url.query == nil && url.fragment == nil
    }

    public func entry(_ id: String) -> CatalogProvider? {
        byID[id] ?? CatwalkFormat.aliases[id].flatMap { byID[$0] }
    }

    // MARK: ModelDirectory

    public func provider(_ id: String) -> ProviderFacts? {
        guard let p = byID[id] else { return nil }
        return ProviderFacts(id: p.id, name: p.name, runsClaudeCodeSDK: p.descriptor.claudeCodeSDK)
    }

    public func model(provider: String, id: String) -> ModelFacts? {
        guard let p = byID[provider], let m = p.model(id) else { return nil }
        return ModelFacts(provider: p.id, id: m.id, name: m.name, maxOutputTokens: m.capabilities.maxOutputTokens,
                          supportsTemperature: m.capabilities.temperature, supportsImageInput: m.capabilities.attachments,
                          supportsImageOutput: m.capabilities.imageOutput)
    }
}
