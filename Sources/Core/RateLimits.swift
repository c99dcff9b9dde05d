import Foundation

/// The one reader of providers' rate-limit headers: a connection test's `Quota` and routing's quota windows both
/// come from `RateLimitReport.parse`.

/// One rate-limit window of an account as the provider last reported it.
public struct QuotaWindow: Sendable, Equatable, Codable {
    /// `requests`, `tokens`, `input_tokens`, `output_tokens`, `unified_5h`, `unified_7d`, `codex_primary`, …
    public var name: String
    public var limit: Double?
    public var remaining: Double?
    /// 0…1: how much of the window is used (from limit and remaining, or a utilisation the provider sent).
    public var usedFraction: Double?
    public var resetAt: Date?
    public var updatedAt: Date

    public init(name: String, limit: Double? = nil, remaining: Double? = nil, usedFraction: Double? = nil,
                resetAt: Date? = nil, updatedAt: Date) {
        self.name = name
        self.limit = limit
        self.remaining = remaining
        self.usedFraction = usedFraction ?? Self.fraction(limit: limit, remaining: remaining)
        self.resetAt = resetAt
        self.updatedAt = updatedAt
    }

    static func fraction(limit: Double?, remaining: Double?) -> Double? {
        guard let limit, let remaining, limit > 0 else { return nil }
        return min(1, max(0, (limit - remaining) / limit))
    }

    /// An account waits for this window's reset once this much of it is used.
    public static let exhaustedAt = 0.98

    /// Whether the window holds the account back at `now`: nearly used up and not reset yet.
    public func holdsBack(at now: Date) -> Bool {
        guard let used = usedFraction, used >= Self.exhaustedAt, let resetAt, resetAt > now else { return false }
        return true
    }
}

/// What a provider's response headers said about its limits: the windows, and when to retry.
public struct RateLimitReport: Sendable, Equatable {
    public var windows: [QuotaWindow] = []
    /// `retry-after`, as a length of time.
    public var retryAfter: Duration?
    /// The latest reset among windows that are used up: when a quota-exhausted account can serve again.
    public var exhaustedUntil: Date? {
        windows.filter { ($0.usedFraction ?? 0) >= QuotaWindow.exhaustedAt }.compactMap(\.resetAt).max()
    }

    /// Reads Anthropic's `anthropic-ratelimit-*` (per-minute windows, and the unified 5 h / 7 d ones of
    /// subscription sign-ins), OpenAI's `x-ratelimit-*`, Codex's `x-codex-primary-*` / `x-codex-secondary-*`
    /// and `retry-after`. Names are matched case-insensitively; a value that does not parse is left out.
    public static func parse(_ headers: [String: String], at now: Date) -> RateLimitReport {
        var h: [String: String] = [:]
        for (name, value) in headers { h[name.lowercased()] = value.trimmingCharacters(in: .whitespaces) }
        var report = RateLimitReport()
        func number(_ name: String) -> Double? { h[name].flatMap(Double.init) }

        // Anthropic: limit, remaining, reset (RFC 3339) per window.
        for window in ["requests", "tokens", "input-tokens", "output-tokens"] {
            let prefix = "anthropic-ratelimit-\(window)-"
            let limit = number(prefix + "limit"), remaining = number(prefix + "remaining")
            let reset = h[prefix + "reset"].flatMap(Self.date)
            if limit != nil || remaining != nil || reset != nil {
                report.windows.append(QuotaWindow(name: window.replacingOccurrences(of: "-", with: "_"), limit: limit,
                                                  remaining: remaining, resetAt: reset, updatedAt: now))
            }
        }
        // Anthropic's unified windows: utilisation 0…1 and a reset in Unix seconds.
        for window in ["5h", "7d"] {
            let prefix = "anthropic-ratelimit-unified-\(window)-"
            var used = number(prefix + "utilization")
            if h[prefix + "status"] == "rejected" { used = 1 }
            let reset = number(prefix + "reset").map { Date(timeIntervalSince1970: $0) }
            if used != nil || reset != nil {
                report.windows.append(QuotaWindow(name: "unified_\(window)", usedFraction: used.map { min(1, max(0, $0)) },
                                                  resetAt: reset, updatedAt: now))
            }
        }
        // OpenAI: limit, remaining, reset as a Go duration (`6m0s`, `20ms`).
        for window in ["requests", "tokens"] {
            let limit = number("x-ratelimit-limit-\(window)"), remaining = number("x-ratelimit-remaining-\(window)")
            let reset = h["x-ratelimit-reset-\(window)"].flatMap(GoDuration.seconds).map { now.addingTimeInterval($0) }
            if limit != nil || remaining != nil || reset != nil {
                report.windows.append(QuotaWindow(name: window, limit: limit, remaining: remaining, resetAt: reset, updatedAt: now))
            }
        }
        // Codex: percent used and a reset, absolute or relative.
        for window in ["primary", "secondary"] {
            let prefix = "x-codex-\(window)-"
            let used = number(prefix + "used-percent").map { min(1, max(0, $0 / 100)) }
            let reset = number(prefix + "reset-at").map { Date(timeIntervalSince1970: $0) }
                ?? number(prefix + "reset-after-seconds").map { now.addingTimeInterval($0) }
            if used != nil || reset != nil {
                report.windows.append(QuotaWindow(name: "codex_\(window)", usedFraction: used, resetAt: reset, updatedAt: now))
            }
        }
        if let value = h["retry-after"] {
            if let seconds = Double(value), seconds >= 0 {
                report.retryAfter = .milliseconds(Int64(min(seconds, 7 * 86400) * 1000))
            } else if let date = Self.httpDate(value) {
                report.retryAfter = .milliseconds(Int64(max(0, min(date.timeIntervalSince(now), 7 * 86400)) * 1000))
            }
        }
        return report
    }

    static func date(_ text: String) -> Date? {
        if let d = try? Date(text, strategy: .iso8601) { return d }
        return try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    static func httpDate(_ text: String) -> Date? {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "GMT")
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return f.date(from: text)
    }
}

extension Quota {
    /// What a connection test shows of a report: the requests and tokens windows, reset when the requests window
    /// resets, else after `retry-after`.
    public init(_ report: RateLimitReport, at now: Date) {
        let requests = report.windows.first { $0.name == "requests" }
        let tokens = report.windows.first { $0.name == "tokens" }
        self.init(requestsLimit: requests?.limit.map { Int($0) }, requestsRemaining: requests?.remaining.map { Int($0) },
                  tokensLimit: tokens?.limit.map { Int($0) }, tokensRemaining: tokens?.remaining.map { Int($0) },
                  resetAt: requests?.resetAt ?? report.retryAfter.map { now.addingTimeInterval($0.timeInterval) })
    }
}
