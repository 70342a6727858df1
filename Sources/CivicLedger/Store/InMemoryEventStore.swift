import Synchronization

/// An ``EventStore`` in memory: for tests, previews and short-lived tools.
///
/// Nothing survives the process; "durable" here means "visible to every
/// later call". It passes the same conformance suite as the SQLite store.
public final class InMemoryEventStore: RepairableEventStore {
    private struct State {
        var head: StoreHead?
        var entries: [StoredEntry] = []
        var streams: [String: [UInt64]] = [:]
        var streamVersions: Set<String> = []
        var places: [String: Place] = [:]
        var idempotency: [[UInt8]: UInt64] = [:]
        var rows: [StoredIndexRow] = []
        var checkpoints: [UInt64: StoredCheckpoint] = [:]
        var snapshots: [String: ProjectionSnapshot] = [:]
    }

    private let state = Mutex(State())
    private let growth = GrowthSignal()

    /// An empty store.
    public init() {}

    public func head() async throws -> StoreHead? {
        state.withLock { $0.head }
    }

    public func commit(_ commit: StoreCommit) async throws {
        try state.withLock { (state) throws(LedgerError) in
            let size = UInt64(state.entries.count)
            guard size == commit.expectedSize else {
                throw LedgerError(.storeConflict, "the log holds \(size) entries, the commit expected \(commit.expectedSize)")
            }
            // Check the unique keys before changing anything: all or none.
            var seen = Set<[UInt8]>()
            var seenVersions = Set<String>()
            for (offset, entry) in commit.entries.enumerated() {
                guard entry.position == size + UInt64(offset) else {
                    throw LedgerError(.storeFailure, "entry \(offset) of the commit has position \(entry.position), expected \(size + UInt64(offset))")
                }
                let digest = entry.idempotencyReference.digest
                guard state.idempotency[digest] == nil, seen.insert(digest).inserted else {
                    throw LedgerError(.storeConflict, "the idempotency reference of position \(entry.position) is already stored", position: entry.position)
                }
                let version = Self.versionKey(entry)
                guard !state.streamVersions.contains(version), seenVersions.insert(version).inserted else {
                    throw LedgerError(
                        .storeConflict, "stream \(entry.stream) already has version \(entry.streamVersion)", position: entry.position, stream: entry.stream)
                }
            }
            for entry in commit.entries {
                state.entries.append(StoredEntry(position: entry.position, bytes: entry.bytes))
                state.streams[entry.stream, default: []].append(entry.position)
                state.streamVersions.insert(Self.versionKey(entry))
                state.places[entry.stream] = entry.place
                state.idempotency[entry.idempotencyReference.digest] = entry.position
                state.rows.append(StoredIndexRow(entry))
            }
            if let checkpoint = commit.checkpoint { state.checkpoints[checkpoint.size] = checkpoint }
            state.head = commit.head
        }
        growth.publish(commit.head.size)
    }

    /// Wakes at once on every commit: all of them go through this object.
    public func waitForGrowth(beyond size: UInt64, timeout: Duration) async throws -> UInt64? {
        await growth.wait(beyond: size, timeout: timeout)
    }

    private static func versionKey(_ entry: LedgerEntry) -> String { "\(entry.streamVersion)\u{0}\(entry.stream)" }

    public func entries(from position: UInt64, limit: Int) async throws -> [StoredEntry] {
        state.withLock { state in
            guard position < UInt64(state.entries.count), limit > 0 else { return [] }
            let start = Int(position)
            return Array(state.entries[start..<start + min(state.entries.count - start, limit)])
        }
    }

    public func entries(inStream stream: String, fromVersion: UInt64, limit: Int) async throws -> [StoredEntry] {
        state.withLock { state in
            guard let positions = state.streams[stream], limit > 0 else { return [] }
            guard fromVersion <= UInt64(positions.count) else { return [] }
            let start = Int(max(fromVersion, 1) - 1)
            return positions[start..<start + min(positions.count - start, limit)].map { state.entries[Int($0)] }
        }
    }

    public func streamHeads(_ streams: [String]) async throws -> [String: StreamHead] {
        state.withLock { state in
            var heads: [String: StreamHead] = [:]
            for stream in streams {
                if let positions = state.streams[stream], let place = state.places[stream] {
                    heads[stream] = StreamHead(version: UInt64(positions.count), place: place)
                }
            }
            return heads
        }
    }

    public func positions(for references: [IdempotencyReference]) async throws -> [IdempotencyReference: UInt64] {
        state.withLock { state in
            var found: [IdempotencyReference: UInt64] = [:]
            for reference in references {
                if let position = state.idempotency[reference.digest] { found[reference] = position }
            }
            return found
        }
    }

    public func saveCheckpoint(_ checkpoint: StoredCheckpoint) async throws {
        state.withLock { $0.checkpoints[checkpoint.size] = checkpoint }
    }

    public func checkpoints(fromSize: UInt64, limit: Int) async throws -> [StoredCheckpoint] {
        state.withLock { state in
            Array(state.checkpoints.values.filter { $0.size >= fromSize }.sorted { $0.size < $1.size }.prefix(max(0, limit)))
        }
    }

    public func latestCheckpoint() async throws -> StoredCheckpoint? {
        state.withLock { $0.checkpoints.values.max { $0.size < $1.size } }
    }

    public func replaceCheckpointNote(size: UInt64, expected: String, with note: String) async throws -> Bool {
        state.withLock { state in
            guard state.checkpoints[size]?.note == expected else { return false }
            state.checkpoints[size] = StoredCheckpoint(size: size, note: note)
            return true
        }
    }

    public func saveSnapshot(_ snapshot: ProjectionSnapshot) async throws {
        state.withLock { $0.snapshots[snapshot.name] = snapshot }
    }

    public func snapshot(named name: String) async throws -> ProjectionSnapshot? {
        state.withLock { $0.snapshots[name] }
    }

    public func indexRows(from position: UInt64, limit: Int) async throws -> [StoredIndexRow] {
        state.withLock { state in
            guard position < UInt64(state.rows.count), limit > 0 else { return [] }
            let start = Int(position)
            return Array(state.rows[start..<start + min(state.rows.count - start, limit)])
        }
    }

    public func repairIndex(_ rows: [StoredIndexRow]) async throws {
        try state.withLock { (state) throws(LedgerError) in
            for row in rows {
                guard row.position < UInt64(state.rows.count) else {
                    throw LedgerError(.storeFailure, "no entry at position \(row.position) to repair", position: row.position)
                }
            }
            for row in rows { state.rows[Int(row.position)] = row }
            // The lookups follow the rows, as a database's indexes follow its columns.
            state.streams = [:]
            state.streamVersions = []
            state.places = [:]
            state.idempotency = [:]
            for row in state.rows {
                state.streams[row.stream, default: []].append(row.position)
                state.streamVersions.insert("\(row.streamVersion)\u{0}\(row.stream)")
                state.places[row.stream] = try Place(validating: row.place)
                state.idempotency[row.idempotency] = row.position
            }
        }
    }

    public func repairHead(_ head: StoreHead) async throws {
        state.withLock { $0.head = head }
    }
}
