/// Copies a ledger from one store to another, entry for entry and byte
/// for byte, with its checkpoints, and proves the copy: what `civic-ledger
/// copy` runs between any two stores (SQLite and PostgreSQL, either way).
///
/// The copy writes in commits of `pageSize` entries; a checkpoint rides
/// in the commit that reaches its size, after the root the copied entries
/// give at that size was found equal to the root the log key signed. Once
/// written, the destination is read back: its entries must give the signed
/// root at every checkpoint and the source's root at the end, which, the
/// leaf hashes being SHA-256 of the entry bytes, means the same bytes.
/// Derived rows (the index, the head) are the destination's own, computed
/// from the entries. The snapshots named are copied as they are (a ledger
/// checks each before it relies on it); the ledger's sealed state snapshot
/// always is.
public enum LedgerCopy {
    /// What a copy wrote and proved.
    public struct Summary: Hashable, Sendable {
        /// The snapshots copied.
        public var snapshots: Int
        /// The entries copied.
        public var entries: UInt64
        /// The checkpoints copied, each proved against the copy.
        public var checkpoints: Int
        /// The root of the whole copy, equal to the source's.
        public var root: Digest
    }

    /// Copies the ledger in `source` into the empty `destination`.
    ///
    /// - Parameters:
    ///   - source: the store holding the ledger.
    ///   - destination: an empty store.
    ///   - snapshotNames: the projection snapshots to copy, by name, besides
    ///     the ledger's state snapshot.
    ///   - domain: the name of the domain whose sealed state to copy.
    ///   - pageSize: entries per commit.
    ///   - progress: entries done and the total, while copying and then
    ///     while proving (the total counted twice).
    /// - Throws: ``LedgerError`` `.alreadyInitialised` when the destination
    ///   holds a ledger; `.notInitialised` when the source holds none;
    ///   `.invalidCheckpoint` when a source checkpoint does not verify or
    ///   the entries do not give its root (nothing past the entries before
    ///   it is written); `.headMismatch` when the copy read back differs;
    ///   store errors.
    public static func copy(
        from source: any EventStoreReader, to destination: any EventStore, snapshotNames: [String] = [], domain: String? = nil,
        pageSize: Int = 2048,
        progress: (@Sendable (_ done: UInt64, _ total: UInt64) -> Void)? = nil
    ) async throws -> Summary {
        guard try await destination.head() == nil, try await destination.entries(from: 0, limit: 1).isEmpty else {
            throw LedgerError(.alreadyInitialised, "the destination already holds a ledger; copy into a new one")
        }
        guard let head = try await source.head() else {
            throw LedgerError(.notInitialised, "the source holds no ledger")
        }
        let size = head.size
        let genesis = try await Ledger.genesis(of: source)
        let checkpoints = try await source.checkpoints(fromSize: 0, limit: .max).filter { $0.size <= size }
        let signed = try checkpoints.map { try Ledger.verifiedCheckpoint($0, origin: genesis.origin, logKey: genesis.logKey) }
        let total = size.clampedAdding(size)

        var frontier = MerkleFrontier()
        var checkpointFrontier: MerkleFrontier?
        var lastRecordedAt = Timestamp(millisecondsSinceEpoch: 0)
        var pending: [LedgerEntry] = []
        var committed: UInt64 = 0
        var nextCheckpoint = 0
        func flush(_ checkpoint: StoredCheckpoint?) async throws {
            guard !pending.isEmpty else { return }
            if checkpoint != nil { checkpointFrontier = frontier }
            try await destination.commit(
                StoreCommit(
                    expectedSize: committed, entries: pending,
                    head: StoreHead(
                        size: frontier.size,
                        state: LedgerHeadState(frontier: frontier, lastRecordedAt: lastRecordedAt, checkpointFrontier: checkpointFrontier).encoded
                    ),
                    checkpoint: checkpoint))
            committed = frontier.size
            pending.removeAll(keepingCapacity: true)
            progress?(committed, total)
        }
        for try await page in EntryPages(store: source, to: size, pageSize: pageSize) {
            for entry in page {
                guard entry.position == frontier.size else {
                    throw LedgerError(.gap, "the source lacks position \(frontier.size)", position: frontier.size)
                }
                frontier.append(entry.leafHash)
                lastRecordedAt = max(lastRecordedAt, entry.recordedAt)
                pending.append(entry)
                if nextCheckpoint < checkpoints.count, checkpoints[nextCheckpoint].size == frontier.size {
                    guard signed[nextCheckpoint].checkpoint.root == frontier.root else {
                        throw LedgerError(
                            .invalidCheckpoint,
                            "the source's entries do not give the root its checkpoint at size \(frontier.size) signs",
                            position: frontier.size - 1, remedy: .verify)
                    }
                    try await flush(checkpoints[nextCheckpoint])
                    nextCheckpoint += 1
                } else if pending.count >= pageSize {
                    try await flush(nil)
                }
            }
        }
        try await flush(nil)
        guard frontier.size == size else {
            throw LedgerError(.gap, "the source's head says \(size) entries but it holds \(frontier.size)", position: frontier.size)
        }

        // The proof, from the destination alone.
        var proved = MerkleFrontier()
        var provedCheckpoints = 0
        let stored = try await destination.checkpoints(fromSize: 0, limit: .max)
        guard stored.map(\.size) == checkpoints.map(\.size) else {
            throw LedgerError(.headMismatch, "the copy holds checkpoints at other sizes than the source")
        }
        for try await page in EntryPages(store: destination, pageSize: pageSize) {
            for entry in page {
                proved.append(entry.leafHash)
                if provedCheckpoints < signed.count, signed[provedCheckpoints].checkpoint.size == proved.size {
                    guard signed[provedCheckpoints].checkpoint.root == proved.root else {
                        throw LedgerError(.headMismatch, "the copy's root at size \(proved.size) is not the signed one", position: proved.size - 1)
                    }
                    provedCheckpoints += 1
                }
            }
            progress?(size.clampedAdding(proved.size), total)
        }
        guard proved == frontier, provedCheckpoints == signed.count else {
            throw LedgerError(.headMismatch, "the copy read back holds \(proved.size) entries whose root is not the source's")
        }
        var snapshots = 0
        let names = [LedgerStateSnapshot.name] + (domain.map { [LedgerStateSnapshot.name + "/" + $0] } ?? []) + snapshotNames
        for name in names {
            guard let snapshot = try await source.snapshot(named: name), snapshot.position <= size else { continue }
            try await destination.saveSnapshot(snapshot)
            snapshots += 1
        }
        return Summary(snapshots: snapshots, entries: size, checkpoints: checkpoints.count, root: proved.root)
    }
}
