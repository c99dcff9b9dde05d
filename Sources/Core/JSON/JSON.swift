import Foundation

/// JSON encoding with the project's conventions: ISO 8601 dates, sorted keys. Reading a request body (and
/// its 400 problems) is the API's extension of this type.
public enum JSON {
    public static func encode<Value: Encodable>(_ value: Value) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return Array(try encoder.encode(value))
    }
}
