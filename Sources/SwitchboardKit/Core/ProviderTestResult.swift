import Foundation

/// What went wrong (or right) in a connection test, in words the page can explain.
public enum TestCategory: String, Sendable, Codable {
    case ok, auth, forbidden
    case rateLimit = "rate_limit"
    case billing
    case notFound = "not_found"
    case timeout, network, tls
    case badResponse = "bad_response"
    case unknown
}

/// Remaining allowance, from rate-limit headers or a provider's key endpoint.
public struct Quota: Sendable, Codable, Equatable {
    public var requestsLimit: Int?
    public var requestsRemaining: Int?
    public var tokensLimit: Int?
    public var tokensRemaining: Int?
    public var resetAt: Date?
    public var creditLimit: Double?
    public var creditUsed: Double?

    var isEmpty: Bool { self == Quota() }
}

/// The answer to a connection test. Never the upstream body or headers, never the key.
public struct TestResult: Sendable, Encodable, Equatable {
    public var ok: Bool
    public var category: TestCategory
    @EncodedAsNull public var httpStatus: Int?
    public var latencyMs: Int
    public var summary: String
    @EncodedAsNull public var modelCount: Int?
    @EncodedAsNull public var quota: Quota?
    public var testedAt: Date

}

/// A model the provider listed.
public struct DiscoveredModel: Sendable, Codable, Equatable {
    public var id: String
    public var name: String
    public var contextWindow: Int?
}
