import Benchmark
import CivicGovernance
import CivicLedger
import CivicLedgerSQLite

/// Opening the million-event governance ledger, as a service does on every
/// start: from the sealed state snapshot the demo's close left (the seal
/// checked, the domain state read and decoded as it streams from SQLite,
/// the entries after it folded, the head checked against its checkpoint),
/// and, to compare, by replaying the whole log into the governance state.
/// One iteration is one open; peak memory is the process's.
func openBenchmarks() {
    let configuration = Benchmark.Configuration(
        metrics: [.wallClock, .cpuTotal, .peakMemoryResident], scalingFactor: .one, maxDuration: .seconds(60), maxIterations: 5)

    Benchmark("Open the 1M-event governance ledger from its state snapshot (opens)", configuration: configuration) { benchmark in
        let ledger = try await GovernanceLedger.open(store: try AuditLedger.openReadOnly())
        let size = await ledger.size
        let folded = try await GovernanceLedger.state(of: ledger).nextPosition
        precondition(size >= 1_000_000 && folded == size, "opened at \(size), the state at \(folded)")
        blackHole(ledger)
    }

    Benchmark("Open the 1M-event governance ledger by replaying the log (opens)", configuration: configuration) { benchmark in
        var options = LedgerConfiguration()
        options.resumesFromStateSnapshot = false
        let ledger = try await GovernanceLedger.open(store: try AuditLedger.openReadOnly(), configuration: options)
        let size = await ledger.size
        precondition(size >= 1_000_000, "opened at \(size)")
        blackHole(ledger)
    }
}
