import Foundation

/// Writes JSON straight into bytes, for the answers made on every request of a hot route (`POST /api/route`):
/// Foundation's `JSONEncoder` spent more time than the whole decision (bench/README.md). The output is what
/// `JSON.encode` writes: keys in the order given (callers give them sorted), dates as ISO 8601 in UTC to the
/// second, `/` unescaped, whole numbers without a fraction.
public struct JSONWriter {
    public private(set) var bytes: [UInt8] = []
    /// Per open object or array: whether a value was written in it (the next one needs a comma).
    private var written: [Bool] = [false]
    /// A member's name was just written: its value needs no comma.
    private var afterKey = false

    public init(capacity: Int = 1024) { bytes.reserveCapacity(capacity) }

    private mutating func beginValue() {
        if afterKey {
            afterKey = false
        } else if written[written.count - 1] {
            bytes.append(UInt8(ascii: ","))
        }
        written[written.count - 1] = true
    }

    public mutating func object(_ body: (inout JSONWriter) -> Void) {
        beginValue()
        bytes.append(UInt8(ascii: "{"))
        written.append(false)
        body(&self)
        written.removeLast()
        bytes.append(UInt8(ascii: "}"))
    }

    public mutating func array(_ body: (inout JSONWriter) -> Void) {
        beginValue()
        bytes.append(UInt8(ascii: "["))
        written.append(false)
        body(&self)
        written.removeLast()
        bytes.append(UInt8(ascii: "]"))
    }

    /// A member's name; its value follows.
    public mutating func key(_ name: String) {
        if written[written.count - 1] { bytes.append(UInt8(ascii: ",")) }
        written[written.count - 1] = true
        quoted(name)
        bytes.append(UInt8(ascii: ":"))
        afterKey = true
    }

    public mutating func string(_ s: String) { beginValue(); quoted(s) }
    public mutating func bool(_ b: Bool) { beginValue(); bytes.append(contentsOf: b ? Array("true".utf8) : Array("false".utf8)) }
    public mutating func null() { beginValue(); bytes.append(contentsOf: Array("null".utf8)) }
    public mutating func int(_ n: Int) { beginValue(); bytes.append(contentsOf: String(n).utf8) }
    public mutating func date(_ d: Date) { string(UTCStamp.string(d)) }

    public mutating func number(_ n: Double) {
        beginValue()
        if n == n.rounded(), abs(n) < 9.007_199_254_740_992e15 { bytes.append(contentsOf: String(Int64(n)).utf8) } else { bytes.append(contentsOf: "\(n)".utf8) }
    }

    /// Any value; objects with their keys sorted.
    public mutating func value(_ v: JSONValue) {
        switch v {
        case .null: null()
        case .bool(let b): bool(b)
        case .number(let n): number(n)
        case .string(let s): string(s)
        case .array(let items):
            array { w in for item in items { w.value(item) } }
        case .object(let members):
            object { w in
                for name in members.keys.sorted() {
                    w.key(name)
                    w.value(members[name]!)
                }
            }
        }
    }

    /// `name: value` for each present optional, in the caller's order.
    public mutating func member(_ name: String, _ value: String?) { if let value { key(name); string(value) } }
    public mutating func member(_ name: String, _ value: Int?) { if let value { key(name); int(value) } }
    public mutating func member(_ name: String, _ value: Date?) { if let value { key(name); date(value) } }
    public mutating func member(_ name: String, _ value: Bool) { key(name); bool(value) }
    public mutating func member(_ name: String, _ value: [String: String]?) {
        guard let value else { return }
        key(name)
        object { w in for k in value.keys.sorted() { w.key(k); w.string(value[k]!) } }
    }

    private mutating func quoted(_ s: String) {
        bytes.append(UInt8(ascii: "\""))
        // Most strings need no escape: copied whole.
        if !s.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            bytes.append(contentsOf: s.utf8)
            bytes.append(UInt8(ascii: "\""))
            return
        }
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): bytes.append(UInt8(ascii: "\\")); bytes.append(b)
            case UInt8(ascii: "\\"): bytes.append(UInt8(ascii: "\\")); bytes.append(b)
            case 0x0A: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "n"))
            case 0x0D: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "r"))
            case 0x09: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "t"))
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(b >> 4)], hex[Int(b & 0xF)]])
            default: bytes.append(b)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}

/// `yyyy-MM-ddTHH:mm:ssZ` without a formatter (the days-to-civil algorithm): Foundation's costs microseconds.
public enum UTCStamp {
    public static func string(_ date: Date) -> String {
        let seconds = Int(date.timeIntervalSince1970.rounded(.down))
        let days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400
        let second = seconds - days * 86400
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : String(n) }
        return "\(year)-\(two(month))-\(two(day))T\(two(second / 3600)):\(two(second % 3600 / 60)):\(two(second % 60))Z"
    }
}
