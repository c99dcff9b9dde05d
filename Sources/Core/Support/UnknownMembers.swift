extension FieldError {
    /// The members of a JSON object the API does not take, each refused at its own pointer with `unknown_key`
    /// (sorted, so an answer is stable). The one loop every object body goes through: accounts, credentials,
    /// OAuth clients. `skip` passes members the caller answers itself (a read-only field, a misplaced secret).
    package static func unknownMembers(of object: [String: JSONValue], allowed: Set<String>, under pointer: String = "",
                               skip: (String) -> Bool = { _ in false }, message: (String) -> String) -> [Self] {
        object.keys.sorted().filter { !allowed.contains($0) && !skip($0) }.map {
            Self(pointer: pointer + "/" + JSONPointer.escape($0), code: "unknown_key", message: message($0))
        }
    }
}
