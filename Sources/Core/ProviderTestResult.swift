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

    package var isEmpty: Bool { self == Quota() }

    package init(requestsLimit: Int? = nil, requestsRemaining: Int? = nil, tokensLimit: Int? = nil,
                 tokensRemaining: Int? = nil, resetAt: Date? = nil, creditLimit: Double? = nil, creditUsed: Double? = nil) {
        self.requestsLimit = requestsLimit
        self.requestsRemaining = requestsRemaining
        self.tokensLimit = tokensLimit
        self.tokensRemaining = tokensRemaining
        self.resetAt = resetAt
        self.creditLimit = creditLimit
        self.creditUsed = creditUsed
    }
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

    package init(ok: Bool, category: TestCategory, httpStatus: Int? = nil, latencyMs: Int, summary: String,
                 modelCount: Int? = nil, quota: Quota? = nil, testedAt: Date) {
        self.ok = ok
        self.category = category
        self.httpStatus = httpStatus
        self.latencyMs = latencyMs
        self.summary = summary
        self.modelCount = modelCount
        self.quota = quota
        self.testedAt = testedAt
    }
}

/// A model the provider listed.
public struct DiscoveredModel: Sendable, Codable, Equatable {
    public var id: String
    public var name: String
    public var contextWindow: Int?

    package init(id: String, name: String, contextWindow: Int? = nil) {
        self.id = id
        self.name = name
        self.contextWindow = contextWindow
    }
}
