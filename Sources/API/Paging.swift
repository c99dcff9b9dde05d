/// `?limit=&before=` paging over rows numbered newest first (revisions, audit events): one row more than
/// asked is fetched to know whether an older page exists, and its number is the next page's `before`.
struct Paging {
    let limit: Int
    let before: Int?

    init(_ request: Request, defaultLimit: Int = 50, maxLimit: Int = 200) throws {
        let query = request.queryItems
        limit = try Self.integer(query, "limit", range: 1...maxLimit) ?? defaultLimit
        before = try Self.integer(query, "before", range: 1...Int.max)
    }

    /// `fetch(before, limit)` returns rows newest first; `key` is a row's number.
    func page<Row>(key: (Row) -> Int, _ fetch: (Int?, Int) throws -> [Row]) rethrows -> (rows: [Row], nextBefore: Int?) {
        let rows = try fetch(before, limit + 1)
        let page = Array(rows.prefix(limit))
        return (page, rows.count > limit ? page.last.map(key) : nil)
    }

    static func integer(_ query: [String: String], _ name: String, range: ClosedRange<Int>) throws -> Int? {
        guard let text = query[name] else { return nil }
        guard let n = Int(text), range.contains(n) else {
            throw Problem(.badRequest, type: "invalid-query", title: "Invalid query parameter",
                          detail: "\(name) must be a whole number from \(range.lowerBound)\(range.upperBound == .max ? " up" : " to \(range.upperBound)").",
                          errors: [.init(pointer: "", code: "invalid", message: "query parameter \(name) is invalid")])
        }
        return n
    }
}
