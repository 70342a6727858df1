import Benchmark
import CivicGovernance
import CivicLedger
import CivicLedgerSQLite
import CivicLedgerTesting
import CivicSimulator
import Foundation

/// The first 262,144 entries of the simulated community's ledger (see
/// ``AuditLedger``), decoded once: real governance traffic (case loops,
/// points, visits, archives, volunteers) for the projection benchmarks.
enum CommunityEntries {
    nonisolated(unsafe) static var bytes: [[UInt8]] = []

    static func load() async throws {
        guard bytes.isEmpty else { return }
        var read: [[UInt8]] = []
        for try await page in StoredPages(store: try AuditLedger.open(), from: 0, to: 262_144) {
            read.append(contentsOf: page.map(\.bytes))
        }
        bytes = read
    }
}

/// One projection's apply, on one core: each run decodes the next page of
/// 1,000 community entries (not measured), then folds it (measured). The
/// projection keeps its state from page to page and starts again at the end
/// of the sample, so its tables have a realistic size.
func projectionApplyBenchmark<P: Projection>(_ type: P.Type) {
    nonisolated(unsafe) var projection = P()
    nonisolated(unsafe) var nextPage = 0
    Benchmark(
        "Projection apply, \(String(describing: type)), one core (events)",
        configuration: .init(
            metrics: [.throughput, .wallClock, .mallocCountTotal], scalingFactor: .kilo, maxDuration: .seconds(10), maxIterations: 1000)
    ) { benchmark in
        let entries = CommunityEntries.bytes
        let start = (nextPage * 1000) % (entries.count - entries.count % 1000)
        if start == 0 { projection = P() }
        let page = try (start..<start + 1000).map { try LedgerEntry(bytes: entries[$0]) }
        benchmark.startMeasurement()
        for entry in page { try projection.apply(entry) }
        benchmark.stopMeasurement()
        withExtendedLifetime(page) {}
        nextPage += 1
    } setup: {
        try await CommunityEntries.load()
    }
}

func microBenchmarks() {
    projectionApplyBenchmark(CaseBoard.self)
    projectionApplyBenchmark(PointsBalances.self)
    projectionApplyBenchmark(ResidentArchive.self)

    // Merkle: appending leaves to the frontier the ledger keeps (O(log n)
    // memory), and to the tree that keeps every node for proofs.
    let leaves = (0..<4096).map { MerkleHash.leaf(Array("leaf \($0)".utf8)) }
    Benchmark(
        "Merkle append, frontier (leaves)",
        configuration: .init(metrics: [.throughput, .wallClock, .mallocCountTotal], scalingFactor: .kilo)
    ) {
        benchmark in
        var frontier = MerkleFrontier()
        for index in benchmark.scaledIterations { frontier.append(leaves[index % leaves.count]) }
        blackHole(frontier.root)
    }
    Benchmark(
        "Merkle append, tree with every node (leaves)",
        configuration: .init(metrics: [.throughput, .wallClock, .mallocCountTotal], scalingFactor: .kilo)
    ) {
        benchmark in
        var tree = MerkleTreeBuilder()
        for index in benchmark.scaledIterations { tree.append(leaves[index % leaves.count]) }
        blackHole(tree.root())
    }

    // Proofs from a tree of 1,000,000 and of 10,000,000 leaves (neither a
    // power of two, so both trees have a ragged right edge to hash along):
    // an inclusion proof for a leaf near the end and a consistency proof
    // from a size just past the middle. The hashing grows with log n; the
    // rest is reading nodes from a tree of 64 and 640 MB.
    for size in [1_000_000, 10_000_000] {
        nonisolated(unsafe) var tree = MerkleTreeBuilder()
        let label = size == 1_000_000 ? "1M" : "10M"
        Benchmark(
            "Merkle inclusion and consistency proof, \(label) leaves (proof pairs)",
            configuration: .init(metrics: [.throughput, .wallClock], scalingFactor: .kilo, maxIterations: 50)
        ) { benchmark in
            let n = UInt64(size)
            for index in benchmark.scaledIterations {
                let leaf = n - 1 - UInt64(index % 1000) * 7
                blackHole(try tree.inclusionProof(index: leaf, size: n))
                blackHole(try tree.consistencyProof(size1: n / 2 + 1 + UInt64(index % 1000), size2: n))
            }
        } setup: {
            var built = MerkleTreeBuilder()
            var seed = MerkleHash.leaf([0])
            for _ in 0..<size {
                built.append(seed)
                seed = MerkleHash.node(seed, seed)
            }
            tree = built
        } teardown: {
            tree = MerkleTreeBuilder()
        }
    }

    // Signatures: one at a time on one core is in LedgerBenchmarks; here
    // each run checks a batch of 1,000 events on every core, as an atomic
    // append and the audit check them (the throughput is signatures/s).
    nonisolated(unsafe) var batch: [SignedEvent] = []
    Benchmark(
        "Ed25519 verify, batches of 1,000 on every core (signatures)",
        configuration: .init(metrics: [.throughput, .wallClock], scalingFactor: .kilo)
    ) {
        benchmark in
        precondition(benchmark.scaledIterations.count == batch.count)
        let valid = await SignedEvent.validSignatures(batch)
        precondition(valid.allSatisfy { $0 })
    } setup: {
        batch = try CivicMixEvents.signed(1000)
    }

    // Signing a checkpoint note (the log key's one signature per checkpoint).
    let logKey = FixtureKeys.key("log")
    let root = MerkleHash.leaf([1])
    Benchmark("Checkpoint signing (checkpoints)", configuration: .init(metrics: [.throughput, .wallClock], scalingFactor: .kilo)) {
        benchmark in
        for index in benchmark.scaledIterations {
            blackHole(
                try SignedCheckpoint(
                    signing: Checkpoint(origin: "bench.example/community", size: UInt64(index + 1), root: root), with: logKey))
        }
    }

    // Personal fields: sealing and opening a phone number (XChaCha20-Poly1305,
    // a random nonce each time, bound to its context).
    let fieldKey = FieldKey.generate()
    let context = SealedContact.context(origin: "bench.example/community", resident: "r000001", field: "phone")
    let sealed = SealedField(sealing: "13605797267", with: fieldKey, context: context)
    Benchmark(
        "Personal field seal (fields)", configuration: .init(metrics: [.throughput, .wallClock, .mallocCountTotal], scalingFactor: .kilo)
    ) {
        benchmark in
        for _ in benchmark.scaledIterations { blackHole(SealedField(sealing: "13605797267", with: fieldKey, context: context)) }
    }
    Benchmark(
        "Personal field open (fields)", configuration: .init(metrics: [.throughput, .wallClock, .mallocCountTotal], scalingFactor: .kilo)
    ) {
        benchmark in
        for _ in benchmark.scaledIterations { blackHole(sealed.open(with: fieldKey, context: context)) }
    }
}

/// Events of the civic mix, each signed by its actor.
enum CivicMixEvents {
    static func signed(_ count: Int) throws -> [SignedEvent] {
        try CivicMixWorkload(events: count, seed: 11).signed(lanes: 1, at: Timestamp(millisecondsSinceEpoch: 1_767_225_600_000))[0]
    }
}
