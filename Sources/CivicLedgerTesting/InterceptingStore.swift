import CivicLedger

/// A store that passes every call to `base`, but calls `onRead` first with
/// the position and limit of each read by position: to see what a reader
/// reads, to refuse reads (before a snapshot, say), or to fail now and then.
public struct InterceptingStore: RepairableEventStore {
    /// The store underneath.
    public let base: any RepairableEventStore
    /// Called before each ``entries(from:limit:)``; what it throws, the read throws.
    public let onRead: @Sendable (_ position: UInt64, _ limit: Int) throws -> Void
    /// How long each read by position takes first (a cancellable sleep).
    public var readDelay: Duration = .zero
    /// Called when a read by position returns its entries.
    public var onReadDone: (@Sendable (_ position: UInt64) -> Void)?

    /// A store over `base`.
    public init(base: any RepairableEventStore, onRead: @escaping @Sendable (_ position: UInt64, _ limit: Int) throws -> Void) {
        self.base = base
        self.onRead = onRead
    }

    public func head() async throws -> StoreHead? { try await base.head() }
    public func commit(_ commit: StoreCommit) async throws { try await base.commit(commit) }
    public func entries(from position: UInt64, limit: Int) async throws -> [StoredEntry] {
        try onRead(position, limit)
        if readDelay > .zero { try await Task.sleep(for: readDelay) }
        let entries = try await base.entries(from: position, limit: limit)
        onReadDone?(position)
        return entries
    }
    public func entries(inStream stream: String, fromVersion: UInt64, limit: Int) async throws -> [StoredEntry] {
        try await base.entries(inStream: stream, fromVersion: fromVersion, limit: limit)
    }
    public func streamHeads(_ streams: [String]) async throws -> [String: StreamHead] { try await base.streamHeads(streams) }
    public func positions(for references: [IdempotencyReference]) async throws -> [IdempotencyReference: UInt64] {
        try await base.positions(for: references)
    }
    public func saveCheckpoint(_ checkpoint: StoredCheckpoint) async throws { try await base.saveCheckpoint(checkpoint) }
    public func checkpoints(fromSize: UInt64, limit: Int) async throws -> [StoredCheckpoint] {
        try await base.checkpoints(fromSize: fromSize, limit: limit)
    }
    public func latestCheckpoint() async throws -> StoredCheckpoint? { try await base.latestCheckpoint() }
    public func replaceCheckpointNote(size: UInt64, expected: String, with note: String) async throws -> Bool {
        try await base.replaceCheckpointNote(size: size, expected: expected, with: note)
    }
    public func saveSnapshot(_ snapshot: ProjectionSnapshot) async throws { try await base.saveSnapshot(snapshot) }
    public func snapshot(named name: String) async throws -> ProjectionSnapshot? { try await base.snapshot(named: name) }
    public func readSnapshot<R: Sendable>(named name: String, _ body: @escaping @Sendable (SnapshotReader) throws -> R) async throws -> R? {
        try await base.readSnapshot(named: name, body)
    }
    public func indexRows(from position: UInt64, limit: Int) async throws -> [StoredIndexRow] {
        try await base.indexRows(from: position, limit: limit)
    }
    public func repairIndex(_ rows: [StoredIndexRow]) async throws { try await base.repairIndex(rows) }
    public func repairHead(_ head: StoreHead) async throws { try await base.repairHead(head) }
    public func lockAppends() async throws -> (any AppendLock)? { try await base.lockAppends() }
    public var signsCheckpointsUnderLock: Bool { base.signsCheckpointsUnderLock }
    public func withCheckpointLock<R: Sendable>(_ body: @escaping @Sendable () async throws -> R) async throws -> R? {
        try await base.withCheckpointLock(body)
    }
    public func waitForGrowth(beyond size: UInt64, timeout: Duration) async throws -> UInt64? {
        try await base.waitForGrowth(beyond: size, timeout: timeout)
    }
}
