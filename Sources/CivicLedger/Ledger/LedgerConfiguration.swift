import Logging

/// How a ``Ledger`` behaves: checkpoint cadence, batch limits, logging.
public struct LedgerConfiguration: Sendable {
    /// Take a checkpoint when this many entries were appended since the
    /// last one. Default 1,024.
    public var checkpointInterval: UInt64 = 1024
    /// Take a checkpoint at the next commit when the last one is older than
    /// this many milliseconds. Default one minute.
    public var checkpointMaximumAgeMilliseconds: Int64 = 60_000
    /// The most entries one group commit writes. Default 4,096.
    public var maximumCommitEntries: Int = 4096
    /// The most events one atomic batch may hold. Default 10,000.
    public var maximumBatchEvents: Int = 10_000
    /// How many stream heads the ledger keeps in memory before it starts
    /// again from an empty cache. Default 1,000,000 (about 100 MB).
    public var streamCacheLimit: Int = 1_000_000
    /// How often a commit is retried when another writer moved the log
    /// first. Default: no limit but ``conflictTimeout``.
    ///
    /// A lost race is not an error: the ledger catches up with what the
    /// other writer committed and plans the batch again, so each retry
    /// makes progress. A real conflict (a stream version or idempotency
    /// key taken by the other writer) is found by that planning and
    /// reported as such.
    public var conflictRetries: Int = .max
    /// How long a commit that keeps losing races to other writers is
    /// retried before the append fails with `.storeConflict`. Default 60
    /// seconds; a cancelled task stops retrying at once.
    public var conflictTimeout: Duration = .seconds(60)
    /// Where the ledger logs commits, conflicts and failures. Keys and
    /// payloads are never logged.
    public var logger: Logger = Logger(label: "civic-ledger")

    /// The defaults.
    public init() {}
}

/// What an append returns once its entry is durable.
public struct AppendReceipt: Hashable, Sendable {
    /// The entry's position (its Merkle leaf index).
    public var position: UInt64
    /// The stream's version after the entry.
    public var streamVersion: UInt64
    /// When the ledger recorded the entry.
    public var recordedAt: Timestamp
    /// The entry's Merkle leaf hash.
    public var leafHash: Digest
    /// `true` when this was a retry of an event already in the log: the
    /// receipt is the original's and nothing new was written.
    public var isDuplicate: Bool

    init(_ entry: LedgerEntry, isDuplicate: Bool) {
        position = entry.position
        streamVersion = entry.streamVersion
        recordedAt = entry.recordedAt
        leafHash = entry.leafHash
        self.isDuplicate = isDuplicate
    }
}

/// The ledger's head state, persisted with every commit: the Merkle
/// frontier and the last recorded time (docs/format.md §5).
struct LedgerHeadState: Equatable {
    var frontier: MerkleFrontier
    var lastRecordedAt: Timestamp

    var encoded: [UInt8] {
        var writer = ByteWriter()
        writer.u8(1)
        writer.i64(lastRecordedAt.millisecondsSinceEpoch)
        writer.raw(frontier.serialized)
        return writer.bytes
    }

    init(frontier: MerkleFrontier, lastRecordedAt: Timestamp) {
        self.frontier = frontier
        self.lastRecordedAt = lastRecordedAt
    }

    init(decoding bytes: [UInt8]) throws(LedgerError) {
        guard bytes.count >= 9, bytes[0] == 1 else {
            throw LedgerError(.storeFailure, "the store's head state is not version 1 (\(bytes.count) bytes)")
        }
        let time = bytes[1..<9].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        lastRecordedAt = Timestamp(millisecondsSinceEpoch: Int64(bitPattern: time))
        frontier = try MerkleFrontier(serialized: Array(bytes[9...]))
    }
}
