import Core
import Foundation

/// The rules for calls to provider APIs, set by the operator.
public struct OutboundPolicy: Sendable {
    /// Hosts that may be reached over plain http (`--allow-insecure-host`, e.g. a local Ollama).
    public var insecureHosts: Set<String>
    /// Hosts whose addresses may be loopback or private (`--allow-private-host`).
    public var privateHosts: Set<String>
    /// An extra CA (PEM) trusted besides the system's (`--outbound-ca-file`; tests, private CAs).
    public var extraCAFile: String?
    /// The largest response body read; a bigger one is refused (`bad_response`).
    public var maxResponseBytes: Int
    /// Used when the account sets no timeout.
    public var defaultTimeout: Duration

    public init(insecureHosts: Set<String> = [], privateHosts: Set<String> = [], extraCAFile: String? = nil,
                maxResponseBytes: Int = 8 << 20, defaultTimeout: Duration = .seconds(15)) {
        self.insecureHosts = Set(insecureHosts.map { $0.lowercased() })
        self.privateHosts = Set(privateHosts.map { $0.lowercased() })
        self.extraCAFile = extraCAFile
        self.maxResponseBytes = maxResponseBytes
        self.defaultTimeout = defaultTimeout
    }

    /// Why `url` may not be called, or nil: it must be absolute, carry no user name or password, and use
    /// https (plain http only to `insecureHosts`). Account base URLs are held to the same rule when saved.
    public func urlProblem(_ url: URLComponents) -> String? {
        guard let scheme = url.scheme?.lowercased(), let host = Self.canonicalHost(url) else {
            return "must be an absolute URL such as https://api.example.com/v1"
        }
        if url.user != nil || url.password != nil { return "must not carry a user name or password (user@host); put credentials in the credential" }
        switch scheme {
        case "https": return nil
        case "http" where insecureHosts.contains(host): return nil
        case "http": return "must use https; plain http is allowed only for hosts the operator lists with --allow-insecure-host (\(host) is not one)"
        default: return "must use https, not \(scheme):"
        }
    }

    /// Why `text` is not an acceptable base URL (an account's, a credential's endpoint), or nil: `urlProblem`
    /// and, because paths are appended to it, no query or fragment.
    public func baseURLProblem(_ text: String) -> String? {
        let url = URLComponents(string: text) ?? URLComponents()
        if let why = urlProblem(url) { return why }
        if url.query != nil || url.fragment != nil { return "must not have a query or fragment" }
        return nil
    }
}

extension OutboundPolicy {
    /// The host as a connection names it, whatever way the URL wrote it: IDNA's ASCII form (punycode), lower
    /// case, no trailing dot, an IPv6 address without brackets. `Rebind.test.`, `rebind.test` and their IDN
    /// forms are one host here, so the name that is checked, pinned and connected to is always the same.
    public static func canonicalHost(_ url: URLComponents) -> String? {
        guard var host = (url.encodedHost ?? url.host)?.lowercased() else { return nil }
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        while host.hasSuffix(".") { host.removeLast() }
        // Letters, digits, '-', '.', '_' and an IPv6 address's ':': anything else is not a host a call can use
        // (and URLComponents refuses to be given it back as an encoded host).
        let allowed = host.utf8.allSatisfy { b in
            (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) || b == 0x2D || b == 0x2E || b == 0x5F || b == 0x3A
        }
        return host.isEmpty || !allowed ? nil : host
    }
}

/// One outbound request. Only the headers given here go out (the provider's own auth headers, chosen by its
/// adapter): no cookies, nothing forwarded from the inbound request, no proxy from the environment.
public struct OutboundRequest: Sendable {
    /// The methods provider calls use. Outbound's own, so callers need not import NIO to name one.
    public enum Method: String, Sendable {
        case GET, POST, PUT, PATCH, DELETE, HEAD
    }

    public var method: Method
    public var url: String
    public var headers: [(String, String)]
    public var body: [UInt8]?
    public var timeout: Duration

    public init(_ method: Method = .GET, _ url: String, headers: [(String, String)] = [], body: [UInt8]? = nil,
                timeout: Duration = .seconds(15)) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
    }
}

public struct OutboundResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]
    public var latency: Duration

    public func header(_ name: String) -> String? {
        headers.first { $0.0.caseInsensitiveCompare(name) == .orderedSame }?.1
    }

    public var json: JSONValue? { JSONValue.parse(body) }
}

/// Why no usable answer came. Descriptions name the host, never a key or a query string.
public enum OutboundFailure: Error, Equatable, Sendable {
    case invalidURL(String)
    case refusedAddress(host: String, reason: String)
    case dns(host: String)
    case timeout(host: String)
    case tls(host: String)
    case network(host: String)
    case tooLarge(host: String, limit: Int)
    case redirect(host: String, status: Int)
    /// The caller went away (its task was cancelled) before the answer came.
    case cancelled(host: String)
    /// The HTTP library could not be used at all (too old a libcurl, out of memory): no call was made.
    case unavailable(reason: String)

    public var category: TestCategory {
        switch self {
        case .invalidURL, .refusedAddress, .dns, .network, .cancelled, .unavailable: .network
        case .timeout: .timeout
        case .tls: .tls
        case .tooLarge, .redirect: .badResponse
        }
    }

    public var summary: String {
        switch self {
        case .invalidURL(let why): "The provider URL \(why)."
        case .refusedAddress(let host, let reason): "Refused to connect: \(host) resolves to \(reason). Allow it with --allow-private-host if it is yours."
        case .dns(let host): "\(host) could not be resolved (DNS)."
        case .timeout(let host): "\(host) did not answer in time."
        case .tls(let host): "The TLS connection to \(host) failed: its certificate is not trusted or does not match the name."
        case .network(let host): "Could not connect to \(host) (connection refused or reset)."
        case .tooLarge(let host, let limit): "\(host) sent more than \(limit / (1 << 20)) MiB; the answer was not read."
        case .redirect(let host, let status): "\(host) answered with a redirect (\(status)); redirects are not followed."
        case .cancelled(let host): "The call to \(host) was cancelled."
        case .unavailable(let reason): "Outbound calls cannot be made here: \(reason)."
        }
    }
}

/// Calls provider APIs safely: https only (unless the host is allowed plain http), every address the name
/// resolves to checked against `AddressPolicy`, the connection made to the checked address only (the name is
/// still what TLS verifies, so there is no window for DNS rebinding), no redirects, capped size and time, no
/// proxy. Built on libcurl's multi interface (`CurlMulti`): a handler awaiting a slow provider holds no thread.
public final class OutboundClient: Sendable {
    public let policy: OutboundPolicy
    /// Answers a host's addresses (the system resolver; tests give one they control). Called once per call.
    public typealias Resolver = @Sendable (String) -> [String]?
    let resolver: Resolver

    public init(policy: OutboundPolicy = OutboundPolicy(),
                resolver: @escaping Resolver = AddressPolicy.systemAddresses) {
        self.policy = policy
        self.resolver = resolver
    }

    public func send(_ request: OutboundRequest) async -> Result<OutboundResponse, OutboundFailure> {
        var url = URLComponents(string: request.url) ?? URLComponents()
        if let why = policy.urlProblem(url) { return .failure(.invalidURL(why)) }
        guard let host = OutboundPolicy.canonicalHost(url) else { return .failure(.invalidURL("must name a host")) }
        // curl looks the pinned address up by the URL's host exactly as written, so the URL it gets is written
        // with the canonical host: the name checked and pinned below is the name it looks up (`Rebind.test`,
        // `rebind.test.` or an IDN form would otherwise be resolved again after the check).
        url.encodedHost = host.contains(":") ? "[\(host)]" : host
        guard let target = url.string,
              URL(string: target)?.host.map({ $0.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]")) }) == host else {
            return .failure(.invalidURL("has a host that cannot be written in one canonical form"))
        }
        let scheme = url.scheme?.lowercased() ?? "https"
        let port = url.port ?? (scheme == "http" ? 80 : 443)

        // Resolve, check every address, and connect to the first one checked.
        let addresses: [String]
        if AddressPolicy.forbiddenReason(host) != "is not an IP address" {
            addresses = [host]
        } else {
            guard let list = await resolve(host), !list.isEmpty else { return .failure(.dns(host: host)) }
            addresses = list
        }
        if !policy.privateHosts.contains(host) {
            for address in addresses {
                if let reason = AddressPolicy.forbiddenReason(address) { return .failure(.refusedAddress(host: host, reason: reason)) }
            }
        }
        let rules = TransferRules(allowPlainHTTP: scheme == "http" && policy.insecureHosts.contains(host),
                                  extraCAFile: policy.extraCAFile,
                                  pin: .init(host: host, port: port, address: addresses[0]),
                                  maxResponseBytes: policy.maxResponseBytes)
        return await CurlMulti.shared.perform(request, url: target, host: host, rules: rules)
    }

    /// The resolver, off the caller's thread (`getaddrinfo` blocks).
    private func resolve(_ host: String) async -> [String]? {
        let resolver = self.resolver
        return await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: resolver(host)) }
        }
    }
}
