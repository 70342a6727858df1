import CoreMetrics
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
    /// Seal and store a snapshot of the registry and domain state (see
    /// ``Ledger/saveStateSnapshot()``) when the log has grown by this many
    /// entries since the last one, so that opening reads at most this many
    /// entries beyond it. Needs the log key; 0 turns it off. Default
    /// 100,000.
    public var stateSnapshotInterval: UInt64 = 100_000
    /// ``Ledger/close()`` seals a state snapshot when the log grew by at
    /// least this many entries since the last one (the one it opened
    /// from, or saved since). Default 1,024: a tool that appends a few
    /// events and exits does not re-encode the whole state each time.
    public var stateSnapshotOnCloseMinimum: UInt64 = 1024
    /// Open from the sealed state snapshot and the entries after it
    /// (`true`), or replay the log (`false`). Default `true`; a snapshot
    /// that does not check is logged and the log replayed.
    public var resumesFromStateSnapshot = true
    /// Where the ledger logs commits, conflicts and failures. Keys and
    /// payloads are never logged.
    public var logger: Logger = Logger(label: "civic-ledger")
    /// Where the ledger reports its metrics (``LedgerMetrics``); `nil`
    /// for the process's `MetricsSystem`. Default `nil`.
    public var metricsFactory: (any MetricsFactory)?

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
/// frontier, the last recorded time and the frontier at a stored
/// checkpoint's size (docs/format.md §6).
///
/// None of it is trusted: ``Ledger/open(store:logSigner:domain:clock:configuration:)``
/// checks the checkpoint frontier against that checkpoint's signed root,
/// then extends it with the entries after the checkpoint, which must give
/// exactly ``frontier``. So the log key only ever signs roots computed
/// from entry bytes.
struct LedgerHeadState: Equatable {
    var frontier: MerkleFrontier
    var lastRecordedAt: Timestamp
    /// The frontier at the size of a stored, signed checkpoint; `nil` in a
    /// version 1 head, which is checked against every entry instead.
    var checkpointFrontier: MerkleFrontier?

    var encoded: [UInt8] {
        var writer = ByteWriter()
        writer.u8(checkpointFrontier == nil ? 1 : 2)
        writer.i64(lastRecordedAt.millisecondsSinceEpoch)
        writer.raw(frontier.serialized)
        if let checkpointFrontier { writer.raw(checkpointFrontier.serialized) }
        return writer.bytes
    }

    init(frontier: MerkleFrontier, lastRecordedAt: Timestamp, checkpointFrontier: MerkleFrontier?) {
        self.frontier = frontier
        self.lastRecordedAt = lastRecordedAt
        self.checkpointFrontier = checkpointFrontier
    }

    init(decoding bytes: [UInt8]) throws(LedgerError) {
        do {
            (frontier, lastRecordedAt, checkpointFrontier) = try withBytes(bytes) {
                (buffer) throws(LedgerError) -> (MerkleFrontier, Timestamp, MerkleFrontier?) in
                var reader = ByteReader(buffer)
                let version = try reader.u8("head version")
                guard version == 1 || version == 2 else {
                    throw LedgerError(.malformed, "version \(version) is not 1 or 2")
                }
                let time = Timestamp(millisecondsSinceEpoch: try reader.i64("last recorded time"))
                let frontier = try MerkleFrontier(reading: &reader)
                let checkpoint = version == 2 ? try MerkleFrontier(reading: &reader) : nil
                try reader.expectEnd("head state")
                return (frontier, time, checkpoint)
            }
        } catch {
            throw LedgerError(.headMismatch, "the store's head state does not decode (\(error.message))", remedy: .repair)
        }
        if let checkpointFrontier, checkpointFrontier.size > frontier.size {
            throw LedgerError(
                .headMismatch,
                "the store's head names a checkpoint at size \(checkpointFrontier.size), past its \(frontier.size) entries"
            , remedy: .repair)
        }
    }
}
