// swift-tools-version: 6.1
// Issue 15's in-process benchmark of a routing decision (ordo-one/benchmark). A package of its own, so
// the application's build and tests never fetch or compile the benchmark harness. Run it with bench/micro.sh.
import PackageDescription

let package = Package(
    name: "SwitchboardMicroBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        // `name:`: a path dependency's identity is otherwise its folder's name (a worktree's, a clone's).
        .package(name: "Switchboard", path: "../.."),
        // ordo-one/benchmark, formerly package-benchmark (the old URL and identifier still resolve, to the same
        // commit, with a deprecation warning). MallocInterposer only: the default traits add a Swift 6.3 runtime
        // interposer (ordo-one/swift-runtime-interposer) that the package mirror here does not carry, and this
        // benchmark counts no retains or releases. On Swift 6.3 the malloc counts come from ordo-one's own
        // interposer (C, libdl): no jemalloc, so no Debian package beyond Swift's own.
        .package(url: "https://github.com/ordo-one/benchmark", exact: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "RouteDecision",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Routing", package: "Switchboard"),
            ],
            path: "Benchmarks/RouteDecision",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
