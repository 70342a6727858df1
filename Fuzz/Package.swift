// swift-tools-version: 6.1
//
// libFuzzer targets for every decoder and parser of CivicLedger: a package
// of its own, built with `swift build --sanitize=fuzzer`. Run from the
// repository root with `make fuzz` (long) or `make test` (a few seconds
// each, from the corpus checked in under Fuzz/Corpus).

import PackageDescription

let package = Package(
    name: "CivicLedgerFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        // SQLite only: the PostgreSQL trait (SwiftNIO) is not built here.
        .package(name: "CivicLedger", path: "..", traits: [])
    ],
    targets: [
        .executableTarget(
            name: "CivicLedgerFuzz",
            dependencies: [
                .product(name: "CivicLedger", package: "CivicLedger"),
                .product(name: "CivicGovernance", package: "CivicLedger"),
                .product(name: "CivicReporting", package: "CivicLedger"),
            ]
        )
    ]
)
