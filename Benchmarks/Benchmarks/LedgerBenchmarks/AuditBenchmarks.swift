import Benchmark
import CivicGovernance
import CivicLedger
import CivicLedgerSQLite
import Foundation

/// The governance ledger the audit benchmarks read: a simulated community of
/// 42,000 residents over two years, just over a million events, every one signed
/// by the actor who acted and checked by the governance rules when it was
/// appended; with its checkpoints, the eight projection snapshots and the
/// sealed state snapshot the demo's close leaves. It is
/// built once by `make bench-ledger` (the command-line demo, about five
/// minutes) and kept in `Benchmarks/.ledgers/`, out of git.
enum AuditLedger {
    static let path = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent(".ledgers/governance-1m-v6.sqlite").path

    static func open() throws -> SQLiteEventStore {
        guard FileManager.default.fileExists(atPath: path) else {
            throw AuditLedgerMissing(path: path)
        }
        return try SQLiteEventStore(path: path)
    }

    /// The ledger, read-only: what a reader that must not write opens.
    static func openReadOnly() throws -> SQLiteEventStore {
        guard FileManager.default.fileExists(atPath: path) else {
            throw AuditLedgerMissing(path: path)
        }
        var options = SQLiteEventStore.Options()
        options.readOnly = true
        return try SQLiteEventStore(path: path, options: options)
    }

    /// The audit a supervisor runs: every signature, key, role and
    /// governance rule, every checkpoint, the eight projections recomputed
    /// and compared with their snapshots.
    static func auditor(_ store: SQLiteEventStore, trusted: SignedCheckpoint? = nil) -> Auditor {
        Auditor(store: store, domain: GovernanceState(), projections: GovernanceProjections.all, trustedCheckpoint: trusted)
    }
}

struct AuditLedgerMissing: Error, CustomStringConvertible {
    let path: String
    var description: String { "\(path) is missing: run `make bench-ledger` (or `make bench`) first, from the repository root" }
}

/// Entries per second of a whole-ledger run, as a custom metric.
let entriesPerSecond = BenchmarkMetric.custom("entries/s", polarity: .prefersLarger, useScalingFactor: false)

/// Runs `auditor` once, requires a clean report that passes `expected`,
/// and records the entries `audited` per second of the audit's own time.
func measure(
    _ benchmark: Benchmark, _ auditor: Auditor, audited: (AuditReport) -> UInt64, expected: (AuditReport) -> Bool
) async throws {
    let report = try await auditor.audit()
    precondition(
        report.isClean && expected(report),
        "audit of \(report.entriesChecked) entries (\(report.signaturesChecked) signatures, \(report.snapshotsChecked) snapshots); first finding: \(String(describing: report.firstFinding))"
    )
    benchmark.measurement(entriesPerSecond, Int(Double(audited(report)) / report.elapsedSeconds))
}

func auditBenchmarks() {
    // One iteration is a whole-ledger run (a minute or so); three at most.
    let wholeLedger = Benchmark.Configuration(
        metrics: [.wallClock, .cpuTotal, .peakMemoryResident, entriesPerSecond], scalingFactor: .one, maxDuration: .seconds(300),
        maxIterations: 3)

    // A full audit of the million-event governance ledger. One iteration
    // is the whole ledger; entries/s is its entries over the wall-clock
    // time. Peak memory is the process's (the ledger's pages, the replay's
    // state and the projections' state).
    nonisolated(unsafe) var auditStore: SQLiteEventStore?
    Benchmark(
        "Audit a 1M-event governance ledger: signatures, rules, 8 projections (whole ledger)",
        configuration: wholeLedger
    ) { benchmark in
        try await measure(benchmark, AuditLedger.auditor(auditStore!), audited: \.entriesChecked) { report in
            report.entriesChecked >= 1_000_000 && report.snapshotsChecked == GovernanceProjections.all.count
        }
    } setup: {
        auditStore = try AuditLedger.open()
    }

    // The same audit from a checkpoint saved at 90% of the log: signatures
    // and governance rules for the last tenth only (the entries are still
    // read and folded, for keys, roles and state), and the consistency
    // proof from that checkpoint to the latest.
    nonisolated(unsafe) var trusted: SignedCheckpoint?
    Benchmark(
        "Audit the last 10% of the 1M-event ledger from a trusted checkpoint (whole ledger)",
        configuration: wholeLedger
    ) { benchmark in
        let size = trusted!.checkpoint.size
        try await measure(benchmark, AuditLedger.auditor(auditStore!, trusted: trusted!), audited: { $0.entriesChecked - size }) { report in
            report.consistency != nil && report.signaturesChecked == report.entriesChecked - size
        }
    } setup: {
        let store = try AuditLedger.open()
        guard let size = try await store.head()?.size,
            let stored = try await store.checkpoints(fromSize: size * 9 / 10, limit: 1).first
        else { throw AuditLedgerMissing(path: AuditLedger.path) }
        trusted = try SignedCheckpoint(parsing: stored.note)
        auditStore = store
    }

    // What the audit's state is made of: the governance state and the eight
    // projections folded from the same ledger, with no checks, on one
    // core. The audit's peak memory minus this one's is what the audit
    // itself keeps (streams, idempotency digests, pages in flight).
    Benchmark(
        "Fold the 1M-event ledger into the governance state and 8 projections, no checks (whole ledger)",
        configuration: wholeLedger
    ) { benchmark in
        let started = ContinuousClock.now
        var domain = GovernanceState()
        var projections: [any Projection] = GovernanceProjections.all.map { $0.init() }
        let count = try await EntryPages(store: auditStore!).forEach { entry in
            try domain.fold(entry)
            for index in projections.indices { try projections[index].fold(entry) }
        }
        let elapsed = ContinuousClock.now - started
        precondition(count >= 1_000_000 && domain.nextPosition == UInt64(count), "folded \(count) entries")
        benchmark.measurement(entriesPerSecond, Int(Double(count) / elapsed.seconds))
        blackHole(projections)
    } setup: {
        auditStore = try AuditLedger.open()
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
