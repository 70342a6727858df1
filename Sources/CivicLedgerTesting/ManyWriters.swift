import CivicLedger

/// Many ledger instances, each on a store object of its own, appending to
/// one ledger at once: what every store that several processes or
/// machines share must survive (the SQLite file, the PostgreSQL schema).
///
/// Each instance appends events to a stream of its own and to one stream
/// all share (`expectedVersion: .any`), one at a time from several tasks;
/// checkpoints are due every few entries, so commits cross checkpoints
/// other instances take. Afterwards: no append failed, no two events share
/// a position, positions are gapless, every acknowledged event is in the
/// log exactly once at the position its receipt names, the shared
/// stream's versions run 1, 2, 3 … without a hole, every stored
/// checkpoint is signed by the log key over the log's own root at its size
/// (no two roots for one size), and the verifier finds nothing.
public enum ManyWriters {
    /// Runs the check; `open` returns a new store object on one ledger
    /// (the first call's is where the ledger is created).
    ///
    /// - Throws: ``ConformanceFailure`` naming what went wrong.
    public static func run(
        instances: Int = 4, appendsPerInstance: Int = 40, tasksPerInstance: Int = 4, open: @escaping @Sendable () async throws -> any RepairableEventStore
    ) async throws {
        var configuration = LedgerConfiguration()
        configuration.checkpointInterval = 7
        let fixture = try await LedgerFixture.make(store: try await open(), configuration: configuration)
        let worker = try await fixture.enrol("w1", role: "worker", scope: "town")
        let shared = configuration
        let signed: [[(key: String, event: SignedEvent)]] = try (0..<instances).map { instance in
            try (0..<appendsPerInstance).map { index in
                let key = "i\(instance)-\(index)"
                let stream = index % 3 == 0 ? "case/shared" : "case/i\(instance)-\(index % 5)"
                return (key, try fixture.event(by: worker, stream: stream, idempotencyKey: key))
            }
        }
        let receipts = try await withThrowingTaskGroup(of: [(String, AppendReceipt)].self) { group in
            for events in signed {
                group.addTask {
                    let ledger = try await Ledger.open(store: try await open(), logSigner: FixtureKeys.key("log"), configuration: shared)
                    let lanes = (0..<tasksPerInstance).map { lane in stride(from: lane, to: events.count, by: tasksPerInstance).map { events[$0] } }
                    let receipts = try await withThrowingTaskGroup(of: [(String, AppendReceipt)].self) { lanesGroup in
                        for lane in lanes {
                            lanesGroup.addTask {
                                var receipts: [(String, AppendReceipt)] = []
                                for (key, event) in lane { receipts.append((key, try await ledger.append(event))) }
                                return receipts
                            }
                        }
                        return try await lanesGroup.reduce(into: []) { $0 += $1 }
                    }
                    try await ledger.close()
                    return receipts
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        let expected = instances * appendsPerInstance
        try expect(receipts.count == expected, "\(receipts.count) appends acknowledged, \(expected) made")
        try expect(Set(receipts.map(\.1.position)).count == receipts.count, "two events were acknowledged at one position")
        let store = try await open()
        let entries = try await store.entries(from: 0, limit: expected + 100)
        try expect(entries.map(\.position) == Array(0..<UInt64(entries.count)), "the positions have a gap")
        try expect(entries.count == 2 + expected, "the log holds \(entries.count) entries, not \(2 + expected)")
        for (key, receipt) in receipts {
            let entry = try LedgerEntry(bytes: entries[Int(receipt.position)].bytes)
            try expect(entry.content.idempotencyKey == key, "position \(receipt.position) holds \(entry.content.idempotencyKey), not \(key)")
        }
        let sharedVersions = try entries.map { try LedgerEntry(bytes: $0.bytes) }.filter { $0.stream == "case/shared" }.map(\.streamVersion)
        try expect(sharedVersions == Array(1...UInt64(sharedVersions.count)), "the shared stream's versions are \(sharedVersions)")
        let checkpoints = try await store.checkpoints(fromSize: 0, limit: .max)
        try expect(checkpoints.count > 1, "no checkpoint was signed while appending")
        var frontier = MerkleFrontier()
        for checkpoint in checkpoints {
            let signed = try SignedCheckpoint(parsing: checkpoint.note)
            do {
                try signed.verify(logKey: FixtureKeys.key("log").publicKey)
            } catch {
                throw ConformanceFailure("the checkpoint at \(checkpoint.size) does not verify: \(error.message)")
            }
            while frontier.size < checkpoint.size { frontier.append(try LedgerEntry(bytes: entries[Int(frontier.size)].bytes).leafHash) }
            try expect(signed.checkpoint.root == frontier.root, "the checkpoint at \(checkpoint.size) signs another root than the log's")
        }
        let report = try await LedgerVerifier(store: store).verify()
        try expect(report.isClean, "verify: \(report)")
    }

    static func expect(_ condition: Bool, _ message: @autoclosure () -> String) throws {
        guard condition else { throw ConformanceFailure(message()) }
    }
}
