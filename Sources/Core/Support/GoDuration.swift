import Foundation

/// Durations in Go's notation, as OpenAI's `x-ratelimit-reset-*` headers send them: `1s`, `6m0s`, `20ms`,
/// `1h2m3.5s`; a plain number is seconds.
public enum GoDuration {
    public static func seconds(_ s: String) -> TimeInterval? {
        if let plain = Double(s) { return plain }
        var total = 0.0, number = "", any = false
        var i = s.startIndex
        while i < s.endIndex {
            let c = s[i]
            if c.isNumber || c == "." { number.append(c); i = s.index(after: i); continue }
            var unit = String(c)
            let next = s.index(after: i)
            if c == "m" && next < s.endIndex && s[next] == "s" { unit = "ms"; i = next }
            guard let value = Double(number) else { return nil }
            switch unit {
            case "h": total += value * 3600
            case "m": total += value * 60
            case "s": total += value
            case "ms": total += value / 1000
            default: return nil
            }
            number = ""
            any = true
            i = s.index(after: i)
        }
        return any && number.isEmpty ? total : nil
    }
}
