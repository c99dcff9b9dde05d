/// One bad field of a document or body, by JSON pointer: what the domain's checks report, with no HTTP in it.
/// The API lists them in a problem's `errors` (422, or 400 for a body).
public struct FieldError: Sendable, Encodable, Equatable {
    public var pointer: String
    public var code: String
    public var message: String

    public init(pointer: String, code: String, message: String) {
        self.pointer = pointer
        self.code = code
        self.message = message
    }

    /// The most field errors one answer lists; checks stop suggesting fixes beyond it.
    public static let maxListed = 100
}
