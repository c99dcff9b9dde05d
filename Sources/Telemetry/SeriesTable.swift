import Core

/// The metric of each label set, made the first time the set is seen. The registry would find it again by
/// itself, but only after building the label array and taking its one exclusive lock: on the request path a
/// lookup under a shared lock is cheaper, and readers on different threads never wait for each other.
struct SeriesTable<Key: Hashable & Sendable, Metric: Sendable>: Sendable {
    private let table = ReadMostly<[Key: Metric]>([:])

    func metric(_ key: Key, make: () -> Metric) -> Metric {
        if let metric = table.read({ $0[key] }) { return metric }
        return table.write { table in
            if let metric = table[key] { return metric }
            let metric = make()
            table[key] = metric
            return metric
        }
    }
}
