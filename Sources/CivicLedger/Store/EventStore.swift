/// What every reader of a ledger's store needs: the entries, the heads
/// and index rows derived from them, checkpoints and projection snapshots,
/// and a way to wait for the log to grow. The read side (``LedgerFeed``,
/// ``EntryPages``, ``LiveProjection``), the verifiers (``LedgerVerifier``,
/// ``Auditor``), the provers and exports take a reader, as GRDB's readers
/// take a `DatabaseReader`: an export of a ledger is one, and has nothing
/// to commit.
///
/// Entry bytes are returned exactly as committed; readers check them
/// (signatures, positions, the Merkle tree) before relying on anything a
/// store derived from them.
public protocol EventStoreReader: Sendable {
    /// The head written by the last commit, or `nil` when the store holds
    /// no ledger yet.
    func head() async throws -> StoreHead?

    /// Up to `limit` entries from `position` on, in position order.
    func entries(from position: UInt64, limit: Int) async throws -> [StoredEntry]

    /// Up to `limit` entries of `stream` with stream version `fromVersion`
    /// or later, in version order.
    func entries(inStream stream: String, fromVersion: UInt64, limit: Int) async throws -> [StoredEntry]

    /// The current head of each named stream that exists.
    func streamHeads(_ streams: [String]) async throws -> [String: StreamHead]

    /// The positions of the entries with these idempotency references.
    func positions(for references: [IdempotencyReference]) async throws -> [IdempotencyReference: UInt64]

    /// Up to `limit` checkpoints with size `fromSize` or more, by size.
    func checkpoints(fromSize: UInt64, limit: Int) async throws -> [StoredCheckpoint]

    /// The checkpoint with the largest size.
    func latestCheckpoint() async throws -> StoredCheckpoint?

    /// The snapshot stored under `name`.
    func snapshot(named name: String) async throws -> ProjectionSnapshot?

    /// Up to `limit` index rows from `position` on, in position order: the
    /// columns the store derived from each entry at commit, which
    /// ``streamHeads(_:)``, ``entries(inStream:fromVersion:limit:)`` and
    /// ``positions(for:)`` read. Verifiers compare them with the entry
    /// bytes (`index-mismatch`).
    func indexRows(from position: UInt64, limit: Int) async throws -> [StoredIndexRow]

    /// Returns once the log holds more than `size` entries, with the size
    /// then seen; `nil` when `timeout` passes first or the calling task is
    /// cancelled.
    ///
    /// What the read side waits on (``LedgerFeed``, ``LiveProjection``):
    /// a store wakes waiters at once on commits made through it, and
    /// within a few milliseconds on commits by other writers (other
    /// processes on the same SQLite file, other instances on a server
    /// database). A reader that returns with `nil` reads the store again,
    /// so a missed wake-up costs at most `timeout`, never an entry. The
    /// default reads ``head()`` every 10 milliseconds.
    func waitForGrowth(beyond size: UInt64, timeout: Duration) async throws -> UInt64?

    /// Lends the snapshot named `name` to `body` as a reader that fetches
    /// its data a piece at a time, and returns what `body` returns; `nil`
    /// when there is no such snapshot. What a large state is restored
    /// through (``Projection/init(snapshotReader:)``), so that its data is
    /// never held whole beside it. The default reads the data whole with
    /// ``snapshot(named:)``.
    func readSnapshot<R: Sendable>(named name: String, _ body: @escaping @Sendable (SnapshotReader) throws -> R) async throws -> R?

}

/// Where a ledger keeps its entries, checkpoints and projection snapshots.
///
/// The protocol is small on purpose, so that an embedded database, a
/// server database shared by many processes, or memory can each carry a
/// ledger. Stores hold bytes; they never decide what is valid: the
/// ``Ledger`` checks every event before it asks a store to commit, and
/// ``LedgerVerifier`` re-checks everything a store returns.
///
/// Requirements every implementation must meet (the conformance suite in
/// `CivicLedgerTesting` checks each one):
/// - ``commit(_:)`` is atomic and durable: when it returns, every entry,
///   the head and the checkpoint are stored and survive a crash; when it
///   throws, none of them is.
/// - ``commit(_:)`` succeeds only if the log holds exactly
///   ``StoreCommit/expectedSize`` entries, and otherwise throws
///   ``LedgerError`` with code `.storeConflict` and writes nothing. This is
///   what keeps positions gapless when several writers share one store.
/// - Two entries never share a (stream, stream version) pair or an
///   idempotency reference; a commit that would break either throws
///   `.storeConflict` and writes nothing. The ledger relies on this to
///   append without reading the store first.
/// - Entry bytes are returned exactly as committed.
public protocol EventStore: EventStoreReader {
    /// Appends entries atomically and durably, with the new head and an
    /// optional checkpoint.
    ///
    /// - Throws: ``LedgerError`` `.storeConflict` when the log does not
    ///   hold exactly `commit.expectedSize` entries, or a stream version or
    ///   idempotency reference is already stored; `.storeFailure` for I/O
    ///   and database errors.
    func commit(_ commit: StoreCommit) async throws

    /// Stores a checkpoint. Storing the same checkpoint again is a no-op.
    func saveCheckpoint(_ checkpoint: StoredCheckpoint) async throws

    /// Replaces the note of the stored checkpoint of `size` with `note` if
    /// it is still `expected`: how witnesses' cosignatures join a
    /// checkpoint (``CosignatureCollector``). The caller checks that `note`
    /// is the same signed checkpoint with more signatures.
    ///
    /// - Returns: `false`, changing nothing, when no checkpoint of `size`
    ///   is stored or its note is no longer `expected`.
    func replaceCheckpointNote(size: UInt64, expected: String, with note: String) async throws -> Bool

    /// Stores (replaces) a projection snapshot.
    func saveSnapshot(_ snapshot: ProjectionSnapshot) async throws

    /// Waits until no other writer (another process, or another store
    /// instance on the same database) is appending, and holds them off
    /// until the lock is unlocked; `nil` when the store needs no lock (one
    /// process, one instance).
    ///
    /// The ledger takes it after a commit lost a race, and holds it while
    /// it catches up, plans and commits again, so writers that collide take
    /// turns instead of failing each other's commits. Stores must stay
    /// correct without it (``commit(_:)``'s expected-size check); the lock
    /// only saves wasted work.
    func lockAppends() async throws -> (any AppendLock)?

    /// Whether the ledgers that append to this store sign checkpoints
    /// after their commits, under ``withCheckpointLock(_:)``, rather than
    /// within them. `true` for stores that many instances on many machines
    /// share (a server database): a checkpoint is then signed only of a size
    /// the signer has committed or checked, by one instance at a time, so
    /// no two instances ever sign different roots for one size. Default
    /// `false`: the checkpoint rides in the commit, whose expected size
    /// decides which writer's root is stored.
    var signsCheckpointsUnderLock: Bool { get }

    /// Runs `body` holding the store's checkpoint lock, which one ledger
    /// at a time holds among all that share the store, and returns what it
    /// returns; `nil`, without running `body`, when another ledger holds
    /// the lock (it is signing). The default runs `body` at once.
    func withCheckpointLock<R: Sendable>(_ body: @escaping @Sendable () async throws -> R) async throws -> R?
}

/// A store whose derived state can be rebuilt from its entries: what
/// ``LedgerRepair`` takes, and nothing else calls. Kept apart from
/// ``EventStore`` so that holding a store to append to it does not hand
/// out the power to rewrite its index rows and head.
public protocol RepairableEventStore: EventStore {
    /// Rewrites the index rows at these rows' positions, all or none. For
    /// ``LedgerRepair`` only, which computes them from the entry bytes;
    /// entry bytes are never changed.
    func repairIndex(_ rows: [StoredIndexRow]) async throws

    /// Replaces the head. For ``LedgerRepair`` only, which computes it from
    /// the entry bytes.
    func repairHead(_ head: StoreHead) async throws
}

/// A held lock on appending to a store (``EventStore/lockAppends()``).
public protocol AppendLock: Sendable {
    /// Releases the lock. Called once.
    func unlock()
}

extension EventStore {
    /// No lock: for stores only one process and instance writes.
    public func lockAppends() async throws -> (any AppendLock)? { nil }

    /// Checkpoints ride in commits.
    public var signsCheckpointsUnderLock: Bool { false }

    /// No lock: runs `body`.
    public func withCheckpointLock<R: Sendable>(_ body: @escaping @Sendable () async throws -> R) async throws -> R? {
        try await body()
    }

}

extension EventStoreReader {
    /// Reads the snapshot whole, then lends it to `body`.
    public func readSnapshot<R: Sendable>(named name: String, _ body: @escaping @Sendable (SnapshotReader) throws -> R) async throws -> R? {
        guard let snapshot = try await snapshot(named: name) else { return nil }
        return try body(SnapshotReader(snapshot))
    }

    /// Reads ``head()`` every 10 milliseconds until the log grows past
    /// `size`, `timeout` passes or the task is cancelled.
    public func waitForGrowth(beyond size: UInt64, timeout: Duration) async throws -> UInt64? {
        try await pollForGrowth(beyond: size, timeout: timeout) { try await self.head()?.size ?? 0 }
    }
}

/// Calls `read` every `interval` until it returns more than `size`,
/// `timeout` passes or the task is cancelled: a store's fallback when it
/// has no way to hear of other writers' commits.
public func pollForGrowth(
    beyond size: UInt64, timeout: Duration, interval: Duration = .milliseconds(10), _ read: () async throws -> UInt64
) async throws -> UInt64? {
    let deadline = ContinuousClock.now.advanced(by: timeout)
    while !Task.isCancelled {
        let now = try await read()
        if now > size { return now }
        guard ContinuousClock.now < deadline else { return nil }
        try? await Task.sleep(for: interval)
    }
    return nil
}

/// The columns a store derives from one entry to serve lookups by stream
/// and by idempotency reference (docs/format.md §6).
public struct StoredIndexRow: Hashable, Sendable {
    /// The entry's position.
    public var position: UInt64
    /// Its stream.
    public var stream: String
    /// Its stream version.
    public var streamVersion: UInt64
    /// Its place path.
    public var place: String
    /// ``IdempotencyReference/digest`` of its actor key and idempotency key.
    public var idempotency: [UInt8]

    /// A row as stored.
    public init(position: UInt64, stream: String, streamVersion: UInt64, place: String, idempotency: [UInt8]) {
        self.position = position
        self.stream = stream
        self.streamVersion = streamVersion
        self.place = place
        self.idempotency = idempotency
    }

    /// The row `entry`'s bytes call for.
    public init(_ entry: LedgerEntry) {
        self.init(
            position: entry.position, stream: entry.stream, streamVersion: entry.streamVersion, place: entry.place.path,
            idempotency: entry.idempotencyReference.digest)
    }

    /// Where a store's `rows` differ from the rows the entries call for:
    /// `expected` holds each entry's position and its own row (`nil` for an
    /// entry that does not decode, which is not compared). Both are in
    /// position order; a missing row differs in `all` its columns.
    static func mismatches(
        _ expected: [(position: UInt64, row: StoredIndexRow?)], stored rows: [StoredIndexRow]
    ) -> [(position: UInt64, expected: StoredIndexRow, columns: [String])] {
        var next = 0
        var found: [(position: UInt64, expected: StoredIndexRow, columns: [String])] = []
        for (position, row) in expected {
            while next < rows.count, rows[next].position < position { next += 1 }
            guard let row else { continue }
            let columns = next < rows.count && rows[next].position == position ? rows[next].differences(from: row) : ["all"]
            if !columns.isEmpty { found.append((position, row, columns)) }
        }
        return found
    }

    /// The columns where `self` differs from `expected`, by name.
    public func differences(from expected: StoredIndexRow) -> [String] {
        var names: [String] = []
        if stream != expected.stream { names.append("stream") }
        if streamVersion != expected.streamVersion { names.append("stream_version") }
        if place != expected.place { names.append("place") }
        if idempotency != expected.idempotency { names.append("idempotency") }
        return names
    }
}

/// One stored entry: its position and its exact bytes.
public struct StoredEntry: Hashable, Sendable {
    /// The position the store holds the entry at.
    public var position: UInt64
    /// The bytes exactly as committed.
    public var bytes: [UInt8]

    /// A stored entry.
    public init(position: UInt64, bytes: [UInt8]) {
        self.position = position
        self.bytes = bytes
    }
}

/// What the ledger persists with each commit to reopen without replaying
/// the log: the size and an opaque state (the Merkle frontier and the
/// last recorded time, docs/format.md §5).
public struct StoreHead: Hashable, Sendable {
    /// The number of entries.
    public var size: UInt64
    /// The ledger's head state; stores keep it as bytes.
    public var state: [UInt8]

    /// A store head.
    public init(size: UInt64, state: [UInt8]) {
        self.size = size
        self.state = state
    }
}

/// One atomic write.
public struct StoreCommit: Sendable {
    /// How many entries the log must hold before this commit.
    public var expectedSize: UInt64
    /// The new entries, at positions `expectedSize`, `expectedSize + 1` …
    public var entries: [LedgerEntry]
    /// The head after the commit.
    public var head: StoreHead
    /// A checkpoint to store in the same transaction.
    public var checkpoint: StoredCheckpoint?

    /// A commit.
    public init(expectedSize: UInt64, entries: [LedgerEntry], head: StoreHead, checkpoint: StoredCheckpoint? = nil) {
        self.expectedSize = expectedSize
        self.entries = entries
        self.head = head
        self.checkpoint = checkpoint
    }
}

/// A signed checkpoint as stored: its size and the exact note text.
public struct StoredCheckpoint: Hashable, Sendable {
    /// The tree size the checkpoint covers.
    public var size: UInt64
    /// The serialised signed note.
    public var note: String

    /// A stored checkpoint.
    public init(size: UInt64, note: String) {
        self.size = size
        self.note = note
    }
}

/// An actor key and an idempotency key: the pair that identifies a retry.
///
/// Stores index the pair by ``digest``, 16 bytes of
/// SHA-256(actor key ‖ idempotency key).
public struct IdempotencyReference: Hashable, Sendable {
    /// The signer.
    public var actorKey: PublicKey
    /// The signer's idempotency key.
    public var key: String

    /// The reference of `key` used by `actorKey`.
    public init(actorKey: PublicKey, key: String) {
        self.actorKey = actorKey
        self.key = key
    }

    /// The 16-byte index key.
    public var digest: [UInt8] {
        var writer = ByteWriter(capacity: 32 + key.utf8.count)
        writer.raw(actorKey.raw)
        writer.raw(Array(key.utf8))
        return Array(SHA256.hash(writer.bytes).bytes[0..<16])
    }
}

/// A projection's persisted state.
public struct ProjectionSnapshot: Hashable, Sendable {
    /// The projection's name.
    public var name: String
    /// How many entries the projection has folded (the next position it needs).
    public var position: UInt64
    /// SHA-256 of ``data``.
    public var digest: Digest
    /// The encoded projection.
    public var data: [UInt8]

    /// A snapshot.
    public init(name: String, position: UInt64, digest: Digest, data: [UInt8]) {
        self.name = name
        self.position = position
        self.digest = digest
        self.data = data
    }
}

extension SignedEvent {
    /// The event's idempotency reference: its actor key and idempotency key.
    public var idempotencyReference: IdempotencyReference {
        IdempotencyReference(actorKey: content.actorKey, key: content.idempotencyKey)
    }
}

extension LedgerEntry {
    /// The entry's idempotency reference.
    public var idempotencyReference: IdempotencyReference { IdempotencyReference(actorKey: actorKey, key: idempotencyKey) }
}
