/// Reads JSON text (RFC 8259) into a `JSONValue` in one pass: every byte is looked at a bounded number of
/// times, so the cost grows with the size of the text whatever its shape, and nesting is limited.
///
/// Written by hand because the obvious alternative is not linear: decoding `JSONValue` through `JSONDecoder`
/// has to try each JSON type in turn at every level, and each failed try builds an error carrying the whole
/// coding path, so deep bodies cost far more than their size (510 levels: 1.15 CPU-seconds for a few KB).
/// `JSONSerialization` answers `Any`, where a boolean and a number cannot be told apart reliably on Linux.
///
/// Strict where JSONDecoder is strict (invalid UTF-8, control characters in strings, lone surrogates, leading
/// zeros, trailing commas, anything after the value) and stricter in one place: an object that names a member
/// twice is refused, so no two readers of the same text can disagree about what it says.
public struct JSONReader {
    /// How deep the API lets a body nest (objects and arrays): far more than any document it takes needs.
    public static let defaultMaxDepth = 64

    public struct Failure: Error, Equatable, Sendable, CustomStringConvertible {
        public enum Kind: Sendable, Equatable {
            /// The text is not JSON.
            case syntax
            /// Objects and arrays nest deeper than the limit.
            case tooDeep(limit: Int)
        }

        public var kind: Kind
        /// Byte offset where the problem was found.
        public var offset: Int
        public var message: String

        public var description: String { "at byte \(offset): \(message)" }
    }

    /// Parses the whole text as one JSON value (surrounding whitespace allowed).
    public static func parse(_ bytes: [UInt8], maxDepth: Int = defaultMaxDepth) throws(Failure) -> JSONValue {
        try bytes.withUnsafeBufferPointer { (buffer) throws(Failure) -> JSONValue in
            var reader = Cursor(bytes: buffer, maxDepth: maxDepth)
            reader.skipWhitespace()
            let value = try reader.value(depth: 0)
            reader.skipWhitespace()
            guard reader.position == buffer.count else { throw reader.failure("unexpected text after the JSON value") }
            return value
        }
    }
}

private struct Cursor {
    let bytes: UnsafeBufferPointer<UInt8>
    let maxDepth: Int
    var position = 0

    init(bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    func failure(_ message: String) -> JSONReader.Failure {
        JSONReader.Failure(kind: .syntax, offset: position, message: message)
    }

    var atEnd: Bool { position >= bytes.count }

    mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    /// One value; `depth` is the number of arrays and objects around it.
    mutating func value(depth: Int) throws(JSONReader.Failure) -> JSONValue {
        guard !atEnd else { throw failure("the text ends where a value was expected") }
        switch bytes[position] {
        case UInt8(ascii: "{"): return try object(depth: depth + 1)
        case UInt8(ascii: "["): return try array(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        default: throw failure("unexpected character where a value was expected")
        }
    }

    mutating func enter(_ depth: Int) throws(JSONReader.Failure) {
        guard depth <= maxDepth else {
            throw JSONReader.Failure(kind: .tooDeep(limit: maxDepth), offset: position,
                                     message: "objects and arrays nest more than \(maxDepth) levels deep")
        }
        position += 1
        skipWhitespace()
    }

    mutating func object(depth: Int) throws(JSONReader.Failure) -> JSONValue {
        try enter(depth)
        var members: [String: JSONValue] = [:]
        if !atEnd && bytes[position] == UInt8(ascii: "}") { position += 1; return .object(members) }
        while true {
            guard !atEnd, bytes[position] == UInt8(ascii: "\"") else { throw failure("expected a member name in double quotes") }
            let nameOffset = position
            let name = try string()
            skipWhitespace()
            guard !atEnd, bytes[position] == UInt8(ascii: ":") else { throw failure("expected ':' after a member name") }
            position += 1
            skipWhitespace()
            let member = try value(depth: depth)
            if members.updateValue(member, forKey: name) != nil {
                throw JSONReader.Failure(kind: .syntax, offset: nameOffset, message: "the member \"\(name.prefix(64))\" appears twice")
            }
            skipWhitespace()
            guard !atEnd else { throw failure("the text ends inside an object") }
            switch bytes[position] {
            case UInt8(ascii: ","):
                position += 1
                skipWhitespace()
            case UInt8(ascii: "}"):
                position += 1
                return .object(members)
            default:
                throw failure("expected ',' or '}' in an object")
            }
        }
    }

    mutating func array(depth: Int) throws(JSONReader.Failure) -> JSONValue {
        try enter(depth)
        var items: [JSONValue] = []
        if !atEnd && bytes[position] == UInt8(ascii: "]") { position += 1; return .array(items) }
        while true {
            items.append(try value(depth: depth))
            skipWhitespace()
            guard !atEnd else { throw failure("the text ends inside an array") }
            switch bytes[position] {
            case UInt8(ascii: ","):
                position += 1
                skipWhitespace()
            case UInt8(ascii: "]"):
                position += 1
                return .array(items)
            default:
                throw failure("expected ',' or ']' in an array")
            }
        }
    }

    mutating func literal(_ word: StaticString) throws(JSONReader.Failure) {
        let count = word.utf8CodeUnitCount
        guard bytes.count - position >= count else { throw failure("unexpected character where a value was expected") }
        for i in 0..<count where bytes[position + i] != word.utf8Start[i] {
            throw failure("unexpected character where a value was expected")
        }
        position += count
    }

    mutating func number() throws(JSONReader.Failure) -> Double {
        let start = position
        func digit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
        if bytes[position] == UInt8(ascii: "-") { position += 1 }
        guard !atEnd, digit(bytes[position]) else { throw failure("a number needs digits") }
        if bytes[position] == UInt8(ascii: "0") {
            position += 1
            if !atEnd && digit(bytes[position]) { throw failure("a number may not start with 0") }
        } else {
            while !atEnd && digit(bytes[position]) { position += 1 }
        }
        if !atEnd && bytes[position] == UInt8(ascii: ".") {
            position += 1
            guard !atEnd, digit(bytes[position]) else { throw failure("a decimal point needs digits after it") }
            while !atEnd && digit(bytes[position]) { position += 1 }
        }
        if !atEnd && (bytes[position] | 0x20) == UInt8(ascii: "e") {
            position += 1
            if !atEnd && (bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-")) { position += 1 }
            guard !atEnd, digit(bytes[position]) else { throw failure("an exponent needs digits") }
            while !atEnd && digit(bytes[position]) { position += 1 }
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
        guard let number = Double(text), number.isFinite else {
            position = start
            throw failure("the number is too large")
        }
        return number
    }

    /// A string starting at the opening quote. Text without escapes is copied once; escapes are decoded into
    /// a scratch buffer. UTF-8 is validated either way.
    mutating func string() throws(JSONReader.Failure) -> String {
        position += 1
        let start = position
        // Fast path: no escapes.
        while position < bytes.count {
            let b = bytes[position]
            if b == UInt8(ascii: "\"") {
                let slice = UnsafeBufferPointer(rebasing: bytes[start..<position])
                guard let text = String(validating: slice, as: UTF8.self) else {
                    position = start
                    throw failure("a string is not valid UTF-8")
                }
                position += 1
                return text
            }
            if b == UInt8(ascii: "\\") { break }
            if b < 0x20 { throw failure("a control character must be escaped in a string") }
            position += 1
        }
        guard position < bytes.count else { throw failure("the text ends inside a string") }

        var scratch = Array(UnsafeBufferPointer(rebasing: bytes[start..<position]))
        while position < bytes.count {
            let b = bytes[position]
            switch b {
            case UInt8(ascii: "\""):
                guard let text = String(validating: scratch, as: UTF8.self) else {
                    throw failure("a string is not valid UTF-8")
                }
                position += 1
                return text
            case UInt8(ascii: "\\"):
                position += 1
                guard !atEnd else { break }
                let e = bytes[position]
                position += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scratch.append(e)
                case UInt8(ascii: "b"): scratch.append(0x08)
                case UInt8(ascii: "f"): scratch.append(0x0C)
                case UInt8(ascii: "n"): scratch.append(0x0A)
                case UInt8(ascii: "r"): scratch.append(0x0D)
                case UInt8(ascii: "t"): scratch.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800...0xDBFF).contains(scalar) {
                        guard bytes.count - position >= 6, bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u") else {
                            throw failure("a high surrogate must be followed by a low surrogate")
                        }
                        position += 2
                        let low = try hex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw failure("a high surrogate must be followed by a low surrogate") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00...0xDFFF).contains(scalar) {
                        throw failure("a low surrogate without a high one")
                    }
                    guard let unicode = Unicode.Scalar(scalar) else { throw failure("not a Unicode scalar") }
                    scratch.append(contentsOf: UTF8.encode(unicode)!)
                default:
                    position -= 1
                    throw failure("unknown escape in a string")
                }
            default:
                if b < 0x20 { throw failure("a control character must be escaped in a string") }
                scratch.append(b)
                position += 1
            }
        }
        throw failure("the text ends inside a string")
    }

    mutating func hex4() throws(JSONReader.Failure) -> UInt32 {
        guard bytes.count - position >= 4 else { throw failure("\\u needs four hex digits") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let b = bytes[position]
            let nibble: UInt32
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = UInt32(b - 0x30)
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = UInt32(b - 0x61 + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = UInt32(b - 0x41 + 10)
            default: throw failure("\\u needs four hex digits")
            }
            value = value << 4 | nibble
            position += 1
        }
        return value
    }
}
