// swift-tools-version: 6.1
//
// CivicLedger's benchmarks: a package of its own so that ordinary builds
// stay fast. Run from the repository root with `make bench`.

import PackageDescription

let package = Package(
    name: "CivicLedgerBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        // SQLite only: the PostgreSQL trait (SwiftNIO) is not built here.
        .package(name: "CivicLedger", path: "..", traits: []),
        .package(url: "https://github.com/ordo-one/benchmark.git", exact: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/groue/GRDB.swift.git", exact: "7.10.0"),
    ],
    targets: [
        .executableTarget(
            name: "LedgerBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "CivicLedger", package: "CivicLedger"),
                .product(name: "CivicLedgerSQLite", package: "CivicLedger"),
                .product(name: "CivicLedgerTesting", package: "CivicLedger"),
                .product(name: "CivicGovernance", package: "CivicLedger"),
                .product(name: "CivicSimulator", package: "CivicLedger"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            path: "Benchmarks/LedgerBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    ]
)
