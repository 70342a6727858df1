extension Ledger {
    /// Checks the store's head against the entries before the ledger
    /// relies on it, and returns it.
    ///
    /// The head is derived state, written by whoever holds the database.
    /// Its checkpoint frontier must have exactly the signed root of the
    /// stored checkpoint of its size (verified with the log key named at
    /// genesis); extended with the leaf hashes of the entries after that
    /// checkpoint, it must give exactly the head's frontier. Cost: the
    /// entries since the head's checkpoint (at most the checkpoint
    /// interval, or a minute's appends, on a ledger this version wrote). A
    /// version 1 head, which names no checkpoint, is checked against every
    /// entry once.
    ///
    /// - Throws: ``LedgerError`` `.headMismatch` when the head disagrees
    ///   with the entries or checkpoints, `.gap` when an entry is missing:
    ///   the ledger does not open for appends until `civic-ledger repair`
    ///   rebuilt the head from the entries.
    static func checkedHead(_ head: StoreHead, origin: String, logKey: PublicKey, store: any EventStoreReader) async throws -> LedgerHeadState {
        let state = try LedgerHeadState(decoding: head.state)
        guard state.frontier.size == head.size else {
            throw LedgerError(
                .headMismatch,
                "the store's head says \(head.size) entries but its frontier covers \(state.frontier.size)", remedy: .repair)
        }
        var frontier = MerkleFrontier()
        if let start = state.checkpointFrontier {
            guard let stored = try await store.checkpoints(fromSize: start.size, limit: 1).first, stored.size == start.size else {
                throw LedgerError(
                    .headMismatch,
                    "the store's head names a checkpoint at size \(start.size), which the store does not hold", remedy: .repair)
            }
            let signed = try verifiedCheckpoint(stored, origin: origin, logKey: logKey)
            guard signed.checkpoint.root == start.root else {
                throw LedgerError(
                    .headMismatch,
                    "the store's head does not have the signed root of the checkpoint at size \(start.size)", remedy: .repair)
            }
            frontier = start
        }
        // The latest checkpoint the head covers must hold too: a checkpoint
        // taken without a commit is named by no head. One past the head may
        // be another writer's, committed since the head was read; only one
        // past the head as it is now means entries were removed.
        let later = try await store.checkpoints(fromSize: frontier.size.clampedAdding(1), limit: .max)
        if let beyond = later.last, beyond.size > head.size {
            let now = try await store.head()?.size ?? 0
            guard beyond.size <= now else {
                throw LedgerError(
                    .gap,
                    "the checkpoint at size \(beyond.size) covers more than the \(now) entries the head records",
                    position: now, remedy: .verify)
            }
        }
        let latest = try later.last { $0.size <= head.size }.map { try verifiedCheckpoint($0, origin: origin, logKey: logKey) }
        try await extend(&frontier, to: head.size, in: store, checking: latest, checkingIndex: true)
        guard frontier == state.frontier else {
            throw LedgerError(
                .headMismatch,
                "the entries after position \(state.checkpointFrontier?.size ?? 0) do not hash to the store's head at size \(head.size): the head or an entry was changed"
            , remedy: .verifyThenRepair)
        }
        return state
    }

    /// A stored checkpoint, parsed and checked: the log key's signature,
    /// the ledger's origin, the size it is stored at.
    static func verifiedCheckpoint(_ stored: StoredCheckpoint, origin: String, logKey: PublicKey) throws(LedgerError) -> SignedCheckpoint {
        let signed: SignedCheckpoint
        do {
            signed = try SignedCheckpoint(parsing: stored.note)
            try signed.verify(logKey: logKey)
        } catch {
            throw LedgerError(
                .invalidCheckpoint, "the checkpoint at size \(stored.size) is not the log key's: \(error.message)",
                position: stored.size, remedy: .verify)
        }
        guard signed.checkpoint.origin == origin, signed.checkpoint.size == stored.size else {
            throw LedgerError(
                .invalidCheckpoint, "the checkpoint stored at size \(stored.size) is for \(signed.checkpoint.origin) at size \(signed.checkpoint.size)",
                position: stored.size)
        }
        return signed
    }

    /// Extends `frontier` with the leaf hashes of the stored entries up to
    /// `size`, checking each sits at its position, on the way that the
    /// log has `checkpoint`'s root at its size, and, with `checkingIndex`,
    /// that the store's index rows of these entries match their bytes.
    static func extend(
        _ frontier: inout MerkleFrontier, to size: UInt64, in store: any EventStoreReader, checking checkpoint: SignedCheckpoint? = nil,
        checkingIndex: Bool = false
    ) async throws {
        while frontier.size < size {
            let page = try await store.entries(from: frontier.size, limit: Int(min(4096, size - frontier.size)))
            if checkingIndex { try await checkIndexRows(of: page, in: store) }
            guard !page.isEmpty else {
                throw LedgerError(
                    .gap, "the store's head says \(size) entries but the log ends at \(frontier.size)",
                    position: frontier.size, remedy: .verify)
            }
            for stored in page {
                guard stored.position == frontier.size else {
                    throw LedgerError(.gap, "entry \(frontier.size) is missing from the log", position: frontier.size, remedy: .verify)
                }
                frontier.append(MerkleHash.leaf(stored.bytes))
                if let checkpoint, frontier.size == checkpoint.checkpoint.size, frontier.root != checkpoint.checkpoint.root {
                    throw LedgerError(
                        .checkpointMismatch,
                        "the entries before position \(frontier.size) do not have the root the log key signed at that size: an entry was changed after it was checkpointed",
                        position: frontier.size, remedy: .verify)
                }
            }
        }
    }

    /// Checks the store's index rows of `page` against the entries' bytes.
    static func checkIndexRows(of page: [StoredEntry], in store: any EventStoreReader) async throws {
        guard let first = page.first else { return }
        let rows = try await store.indexRows(from: first.position, limit: page.count)
        let expected = try page.map { (position: $0.position, row: Optional(StoredIndexRow(try decode($0)))) }
        if let mismatch = StoredIndexRow.mismatches(expected, stored: rows).first {
            throw LedgerError(
                .indexMismatch,
                "the store's index row for position \(mismatch.position) differs from the entry's bytes in \(mismatch.columns.joined(separator: ", "))",
                position: mismatch.position, remedy: .repair)
        }
    }

    /// Checks that an entry the store's stream index returned for
    /// `stream` at `version` says so in its bytes.
    static func checkIndexed(_ entry: LedgerEntry, stream: String, version: UInt64) throws(LedgerError) {
        guard entry.stream == stream, entry.streamVersion == version else {
            throw LedgerError(
                .indexMismatch,
                "the store's index gives the entry at position \(entry.position) as \(stream) version \(version); its bytes say \(entry.stream) version \(entry.streamVersion)",
                position: entry.position, remedy: .verifyThenRepair)
        }
    }
}
