import Logging

/// Keeps a projection up to date with a ledger and persists its snapshots.
///
/// ```swift
/// let runner = ProjectionRunner<CaseBoard>(store: store)
/// var board = try await runner.resume()          // last snapshot, or empty
/// try await runner.catchUp(&board)               // fold what is new, save
/// ```
///
/// A snapshot is stored with the position it covers and the SHA-256 of its
/// bytes. On ``resume()`` a snapshot whose digest does not match is
/// discarded (and logged) and the projection is rebuilt from position 0.
public struct ProjectionRunner<P: Projection>: Sendable {
    /// The store to read entries from, and to keep snapshots in when it is
    /// also an ``EventStore`` (a reader alone, such as an export, is never
    /// written: its snapshots are read, not saved).
    public let store: any EventStoreReader
    /// Save a snapshot after this many entries during a long catch-up.
    public var snapshotInterval: UInt64
    /// How many entries to read at a time.
    public var pageSize: Int
    /// Where the runner logs discarded snapshots.
    public var logger: Logger
    /// Whether ``catchUp(_:to:progress:)`` saves snapshots. Default
    /// `true`; readers of a store they must not write (a supervisor's
    /// read-only copy, a query) turn it off.
    public var savesSnapshots = true

    /// A runner over `store`.
    public init(store: any EventStoreReader, snapshotInterval: UInt64 = 100_000, pageSize: Int = 4096, logger: Logger = Logger(label: "civic-ledger.projection")) {
        self.store = store
        self.snapshotInterval = snapshotInterval
        self.pageSize = pageSize
        self.logger = logger
    }

    /// The projection as of its last snapshot, or empty when there is none
    /// or it does not match its digest.
    public func resume() async throws -> P {
        guard let snapshot = try await store.snapshot(named: P.name) else { return P() }
        guard SHA256.hash(snapshot.data) == snapshot.digest else {
            logger.warning("snapshot digest mismatch; rebuilding from position 0", metadata: ["projection": "\(P.name)"])
            return P()
        }
        do {
            let projection = try P(snapshotData: snapshot.data)
            guard projection.nextPosition == snapshot.position else {
                logger.warning("snapshot position mismatch; rebuilding from position 0", metadata: ["projection": "\(P.name)"])
                return P()
            }
            return projection
        } catch {
            logger.warning("snapshot does not decode; rebuilding from position 0", metadata: ["projection": "\(P.name)", "error": "\(error)"])
            return P()
        }
    }

    /// Folds every entry after the projection's position, up to the end of
    /// the log or `size`, saving a snapshot every ``snapshotInterval``
    /// entries and at the end (unless ``savesSnapshots`` is off).
    ///
    /// - Parameters:
    ///   - projection: the projection to bring up to date, in place.
    ///   - size: stop before this position; `nil` for the end of the log.
    ///   - progress: called after each page with the number of entries
    ///     folded so far.
    /// - Returns: the number of entries folded.
    @discardableResult
    public func catchUp(_ projection: inout P, to size: UInt64? = nil, progress: ((UInt64) -> Void)? = nil) async throws -> UInt64 {
        var folded: UInt64 = 0
        var sinceSnapshot: UInt64 = 0
        for try await page in EntryPages(store: store, from: projection.nextPosition, to: size, pageSize: pageSize) {
            for entry in page {
                try projection.fold(entry)
            }
            folded += UInt64(page.count)
            sinceSnapshot += UInt64(page.count)
            progress?(folded)
            if savesSnapshots, sinceSnapshot >= snapshotInterval {
                try await save(projection)
                sinceSnapshot = 0
            }
        }
        if savesSnapshots, store is any EventStore, folded > 0 { try await save(projection) }
        return folded
    }

    /// Stores the projection's snapshot with its position and digest.
    ///
    /// - Throws: `LedgerError` `.storeFailure` when the store is a reader
    ///   only; the store's errors.
    public func save(_ projection: P) async throws {
        guard let writer = store as? any EventStore else {
            throw LedgerError(.storeFailure, "the store is read-only here: the \(P.name) snapshot is not saved")
        }
        let data = try projection.snapshotData()
        try await writer.saveSnapshot(
            ProjectionSnapshot(name: P.name, position: projection.nextPosition, digest: SHA256.hash(data), data: data))
    }
}
