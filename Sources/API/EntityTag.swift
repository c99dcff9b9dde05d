/// The strong entity tags of numbered versions (a config revision, an account version): `"3"`.
enum EntityTag {
    static func of(_ number: Int) -> String { "\"\(number)\"" }

    /// The numbers in an entity-tag list (`"3", "4"`); weak or malformed tags are skipped.
    static func numbers(in list: String) -> Set<Int>? {
        var result: Set<Int> = []
        for item in list.split(separator: ",") {
            let tag = item.trimmed
            guard tag.count >= 3, tag.hasPrefix("\""), tag.hasSuffix("\""), let n = Int(tag.dropFirst().dropLast()) else { continue }
            result.insert(n)
        }
        return result
    }
}
