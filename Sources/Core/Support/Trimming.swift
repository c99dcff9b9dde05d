extension StringProtocol {
    /// The text without leading and trailing spaces, tabs, CR and LF.
    ///
    /// Not Foundation's `trimmingCharacters(in:)`: on Linux that bridges through NSString and was 4 % of
    /// an authenticated request's CPU time (perf, bench/README.md).
    package var trimmed: String {
        let bytes = Array(self.utf8)
        func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D }
        guard let first = bytes.firstIndex(where: { !isSpace($0) }),
              let last = bytes.lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(decoding: bytes[first...last], as: UTF8.self)
    }
}

extension Array where Element == UInt8 {
    /// Whether `needle` occurs in these bytes (a plain scan: needles here are a few bytes long).
    package func contains(subsequence needle: [UInt8]) -> Bool {
        guard !needle.isEmpty else { return true }
        guard needle.count <= count else { return false }
        let first = needle[0]
        for i in 0...(count - needle.count) where self[i] == first && self[i..<(i + needle.count)].elementsEqual(needle) {
            return true
        }
        return false
    }

    package func ends(with suffix: [UInt8]) -> Bool {
        count >= suffix.count && self[(count - suffix.count)...].elementsEqual(suffix)
    }
}
