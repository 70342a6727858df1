/// Rebuilds a store's derived state — its index rows and its head — from
/// the entry bytes, then verifies the ledger.
///
/// Derived state is what a store keeps beside the entries to answer
/// lookups and to reopen quickly: the stream, stream version, place and
/// idempotency digest of each entry, and the head (the Merkle frontier).
/// A file edited by hand, or a store with a bug, can get it wrong; the
/// ledger then refuses to append (`index-mismatch`, `head-mismatch`) and
/// `verify` names the rows. Repair computes every one of them again from
/// the entries.
///
/// Repair never changes an entry and never signs anything. It refuses,
/// changing nothing, when the entries themselves are not intact: a
/// missing or undecodable entry, or entries that do not have the root the
/// log key signed in a stored checkpoint. Those need a backup, not a
/// repair.
public struct LedgerRepair: Sendable {
    /// What a repair did.
    public struct Report: Sendable {
        /// The entries read.
        public var entries: UInt64
        /// Index rows rewritten, by position, with the columns that were wrong.
        public var rewrittenRows: [(position: UInt64, columns: [String])]
        /// `true` when the head was rewritten.
        public var rewroteHead: Bool
        /// The verification run after the repair.
        public var verification: AuditReport
    }

    /// The store to repair.
    public let store: any RepairableEventStore
    /// Entries read at a time.
    public var pageSize = 4096

    /// A repair of `store`.
    public init(store: any RepairableEventStore) {
        self.store = store
    }

    /// Repairs, then verifies with `domain` (an empty state) when given.
    ///
    /// - Parameters:
    ///   - domain: the domain rules the verification after the repair
    ///     checks, as an empty state; `nil` for the ledger's own rules only.
    ///   - progress: called after each page with the entries read and the
    ///     entries the log holds.
    /// - Throws: ``LedgerError`` `.notInitialised` for an empty store;
    ///   `.gap`, `.malformed` or `.checkpointMismatch` when the entries are
    ///   not intact (nothing is written then); store errors.
    public func run(
        domain: (any LedgerDomain)? = nil, progress: (@Sendable (_ read: UInt64, _ total: UInt64) -> Void)? = nil
    ) async throws -> Report {
        guard let head = try await store.head() else {
            throw LedgerError(.notInitialised, "the store holds no ledger")
        }
        var stored = try await store.checkpoints(fromSize: 0, limit: .max)
        stored.sort { $0.size < $1.size }
        var checkpoints = stored[...]
        var frontier = MerkleFrontier()
        var checkpointFrontier: MerkleFrontier?
        /// The frontier at each stored checkpoint's size, once its root was checked.
        var checkpointFrontiers: [UInt64: MerkleFrontier] = [:]
        var registry: AuthorityRegistry?
        var lastRecordedAt = Timestamp(millisecondsSinceEpoch: .min)
        var wrong: [StoredIndexRow] = []
        var rewritten: [(position: UInt64, columns: [String])] = []
        // Read to the end of the log, whatever the head says.
        while true {
            let page = try await store.entries(from: frontier.size, limit: pageSize)
            if page.isEmpty { break }
            let rows = try await store.indexRows(from: frontier.size, limit: page.count)
            var expected: [(position: UInt64, row: StoredIndexRow?)] = []
            for entry in page {
                guard entry.position == frontier.size else {
                    throw LedgerError(
                        .gap, "entry \(frontier.size) is missing; repair rebuilds derived state, not entries: restore from a backup",
                        position: frontier.size)
                }
                let decoded: LedgerEntry
                do {
                    decoded = try Ledger.decode(entry)
                } catch {
                    throw LedgerError(
                        .malformed, "entry \(entry.position) does not decode (\(error.message)); restore it from a backup",
                        position: entry.position)
                }
                if decoded.position == 0, let genesis = try? SystemEvent.decode(
                    SystemEvent.Genesis.self, from: decoded.payload, kind: decoded.kind)
                {
                    registry = AuthorityRegistry(genesis: genesis)
                }
                expected.append((entry.position, StoredIndexRow(decoded)))
                frontier.append(MerkleHash.leaf(entry.bytes))
                lastRecordedAt = max(lastRecordedAt, decoded.recordedAt)
                while let next = checkpoints.first, next.size <= frontier.size {
                    checkpoints.removeFirst()
                    guard next.size == frontier.size else { continue }
                    guard let registry else {
                        throw LedgerError(.malformed, "entry 0 is not a genesis entry; restore it from a backup", position: 0)
                    }
                    let signed = try Ledger.verifiedCheckpoint(next, origin: registry.origin, logKey: registry.logKey)
                    guard signed.checkpoint.root == frontier.root else {
                        throw LedgerError(
                            .checkpointMismatch,
                            "the first \(next.size) entries do not have the root the log key signed: an entry was changed; restore from a backup",
                            position: next.size)
                    }
                    checkpointFrontier = frontier
                    checkpointFrontiers[frontier.size] = frontier
                }
            }
            for mismatch in StoredIndexRow.mismatches(expected, stored: rows) {
                wrong.append(mismatch.expected)
                rewritten.append((mismatch.position, mismatch.columns))
            }
            progress?(frontier.size, max(frontier.size, head.size))
        }
        if let beyond = checkpoints.first {
            throw LedgerError(
                .gap, "a checkpoint covers \(beyond.size) entries but the log holds \(frontier.size): entries were removed; restore from a backup",
                position: frontier.size)
        }
        if !wrong.isEmpty { try await store.repairIndex(wrong) }
        let state = LedgerHeadState(frontier: frontier, lastRecordedAt: lastRecordedAt, checkpointFrontier: checkpointFrontier)
        let rebuilt = StoreHead(size: frontier.size, state: state.encoded)
        // A head that names an earlier checkpoint than the latest (another
        // writer, or a checkpoint taken after the commit) is as good as the
        // rebuilt one, and is left alone.
        let current = try? LedgerHeadState(decoding: head.state)
        let namesACheckedCheckpoint = current?.checkpointFrontier.map { checkpointFrontiers[$0.size] == $0 } ?? checkpointFrontiers.isEmpty
        let holds =
            head.size == frontier.size && current?.frontier == frontier && current?.lastRecordedAt == lastRecordedAt && namesACheckedCheckpoint
        let rewroteHead = !holds && rebuilt != head
        if rewroteHead { try await store.repairHead(rebuilt) }
        let verification = try await LedgerVerifier(store: store, domain: domain).verify()
        return Report(entries: frontier.size, rewrittenRows: rewritten, rewroteHead: rewroteHead, verification: verification)
    }
}
