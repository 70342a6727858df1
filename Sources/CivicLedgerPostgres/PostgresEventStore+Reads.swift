#if PostgreSQL
import CivicLedger
import PostgresNIO

extension PostgresEventStore {
    /// Runs a statement whose rows are not needed.
    func execute(_ query: PostgresQuery, _ what: String) async throws {
        try await withConnection(what) { connection in
            try await Self.drain(await connection.query(query, logger: self.logger))
        }
    }

    /// Rows of (position, bytes) a query returns.
    func storedEntries(_ query: PostgresQuery, _ what: String) async throws -> [StoredEntry] {
        return try await withConnection(what) { [query] connection in
            var result: [StoredEntry] = []
            for try await (position, bytes) in try await connection.query(query, logger: self.logger).decode((Int64, ByteBuffer).self) {
                result.append(StoredEntry(position: try Self.count(position, "entry.position"), bytes: Self.bytes(bytes)))
            }
            return result
        }
    }

    public func entries(from position: UInt64, limit: Int) async throws -> [StoredEntry] {
        guard limit > 0 else { return [] }
        var query = PostgresQuery(unsafeSQL: "SELECT position, bytes FROM \(table("entry")) WHERE position >= $1 ORDER BY position LIMIT $2")
        query.binds.append(Int64(clamping: position), context: .default)
        query.binds.append(Int64(clamping: limit), context: .default)
        return try await storedEntries(query, "reading entries")
    }

    public func entries(inStream stream: String, fromVersion: UInt64, limit: Int) async throws -> [StoredEntry] {
        guard limit > 0 else { return [] }
        var query = PostgresQuery(
            unsafeSQL: "SELECT position, bytes FROM \(table("entry")) WHERE stream = $1 AND stream_version >= $2 ORDER BY stream_version LIMIT $3")
        query.binds.append(stream, context: .default)
        query.binds.append(Int64(clamping: fromVersion), context: .default)
        query.binds.append(Int64(clamping: limit), context: .default)
        return try await storedEntries(query, "reading stream \(stream)")
    }

    public func streamHeads(_ streams: [String]) async throws -> [String: StreamHead] {
        guard !streams.isEmpty else { return [:] }
        var query = PostgresQuery(
            unsafeSQL: "SELECT stream, MAX(stream_version), MIN(place) FROM \(table("entry")) WHERE stream = ANY($1) GROUP BY stream")
        query.binds.append(streams, context: .default)
        return try await withConnection("reading stream heads") { [query] connection in
            var heads: [String: StreamHead] = [:]
            for try await (stream, version, place) in try await connection.query(query, logger: self.logger).decode((String, Int64, String).self) {
                heads[stream] = StreamHead(version: try Self.count(version, "entry.stream_version"), place: try Place(validating: place))
            }
            return heads
        }
    }

    public func positions(for references: [IdempotencyReference]) async throws -> [IdempotencyReference: UInt64] {
        guard !references.isEmpty else { return [:] }
        var byDigest: [[UInt8]: IdempotencyReference] = [:]
        for reference in references { byDigest[reference.digest] = reference }
        var query = PostgresQuery(unsafeSQL: "SELECT idempotency, position FROM \(table("entry")) WHERE idempotency = ANY($1)")
        query.binds.append(byDigest.keys.map { ByteBuffer(bytes: $0) }, context: .default)
        return try await withConnection("reading idempotency keys") { [query, byDigest] connection in
            var found: [IdempotencyReference: UInt64] = [:]
            for try await (digest, position) in try await connection.query(query, logger: self.logger).decode((ByteBuffer, Int64).self) {
                if let reference = byDigest[Self.bytes(digest)] { found[reference] = try Self.count(position, "entry.position") }
            }
            return found
        }
    }

    public func saveCheckpoint(_ checkpoint: StoredCheckpoint) async throws {
        var query = PostgresQuery(unsafeSQL: "INSERT INTO \(table("checkpoint")) (size, note) VALUES ($1, $2) ON CONFLICT DO NOTHING")
        query.binds.append(Int64(clamping: checkpoint.size), context: .default)
        query.binds.append(checkpoint.note, context: .default)
        try await execute(query, "saving a checkpoint")
    }

    func storedCheckpoints(_ query: PostgresQuery) async throws -> [StoredCheckpoint] {
        return try await withConnection("reading checkpoints") { [query] connection in
            var result: [StoredCheckpoint] = []
            for try await (size, note) in try await connection.query(query, logger: self.logger).decode((Int64, String).self) {
                result.append(StoredCheckpoint(size: try Self.count(size, "checkpoint.size"), note: note))
            }
            return result
        }
    }

    public func checkpoints(fromSize: UInt64, limit: Int) async throws -> [StoredCheckpoint] {
        guard limit > 0 else { return [] }
        var query = PostgresQuery(unsafeSQL: "SELECT size, note FROM \(table("checkpoint")) WHERE size >= $1 ORDER BY size LIMIT $2")
        query.binds.append(Int64(clamping: fromSize), context: .default)
        query.binds.append(Int64(clamping: limit), context: .default)
        return try await storedCheckpoints(query)
    }

    public func latestCheckpoint() async throws -> StoredCheckpoint? {
        try await storedCheckpoints(PostgresQuery(unsafeSQL: "SELECT size, note FROM \(table("checkpoint")) ORDER BY size DESC LIMIT 1")).first
    }

    public func replaceCheckpointNote(size: UInt64, expected: String, with note: String) async throws -> Bool {
        var query = PostgresQuery(
            unsafeSQL: "UPDATE \(table("checkpoint")) SET note = $1 WHERE size = $2 AND note = $3 RETURNING size")
        query.binds.append(note, context: .default)
        query.binds.append(Int64(clamping: size), context: .default)
        query.binds.append(expected, context: .default)
        return try await withConnection("adding cosignatures to a checkpoint") { [query] connection in
            var changed = false
            for try await _ in try await connection.query(query, logger: self.logger).decode(Int64.self) { changed = true }
            return changed
        }
    }

    public func saveSnapshot(_ snapshot: ProjectionSnapshot) async throws {
        var query = PostgresQuery(
            unsafeSQL: "INSERT INTO \(table("snapshot")) (name, position, digest, data) VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO UPDATE SET position = excluded.position, digest = excluded.digest, data = excluded.data")
        query.binds.append(snapshot.name, context: .default)
        query.binds.append(Int64(clamping: snapshot.position), context: .default)
        query.binds.append(ByteBuffer(bytes: snapshot.digest.bytes), context: .default)
        query.binds.append(ByteBuffer(bytes: snapshot.data), context: .default)
        try await execute(query, "saving snapshot \(snapshot.name)")
    }

    public func snapshot(named name: String) async throws -> ProjectionSnapshot? {
        var query = PostgresQuery(unsafeSQL: "SELECT position, digest, data FROM \(table("snapshot")) WHERE name = $1")
        query.binds.append(name, context: .default)
        return try await withConnection("reading snapshot \(name)") { [query] connection in
            for try await (position, digest, data) in try await connection.query(query, logger: self.logger).decode((Int64, ByteBuffer, ByteBuffer).self) {
                guard let parsed = Digest(Self.bytes(digest)) else {
                    throw LedgerError(.invalidSnapshot, "snapshot \(name) has a digest of \(digest.readableBytes) bytes")
                }
                return ProjectionSnapshot(name: name, position: try Self.count(position, "snapshot.position"), digest: parsed, data: Self.bytes(data))
            }
            return nil
        }
    }

    public func indexRows(from position: UInt64, limit: Int) async throws -> [StoredIndexRow] {
        guard limit > 0 else { return [] }
        var query = PostgresQuery(
            unsafeSQL: "SELECT position, stream, stream_version, place, idempotency FROM \(table("entry")) WHERE position >= $1 ORDER BY position LIMIT $2")
        query.binds.append(Int64(clamping: position), context: .default)
        query.binds.append(Int64(clamping: limit), context: .default)
        return try await withConnection("reading index rows") { [query] connection in
            var rows: [StoredIndexRow] = []
            for try await (position, stream, version, place, digest) in try await connection.query(query, logger: self.logger).decode(
                (Int64, String, Int64, String, ByteBuffer).self)
            {
                rows.append(
                    StoredIndexRow(
                        position: try Self.count(position, "entry.position"), stream: stream, streamVersion: UInt64(exactly: version) ?? .max,
                        place: place, idempotency: Self.bytes(digest)))
            }
            return rows
        }
    }

    public func repairIndex(_ rows: [StoredIndexRow]) async throws {
        guard !rows.isEmpty else { return }
        let entryTable = table("entry")
        try await withConnection("repairing index rows") { connection in
            try await connection.withTransaction(logger: self.logger) { connection in
                // Out of the way first, then in place: swapped values never meet the unique indexes half-done.
                for row in rows {
                    var query = PostgresQuery(
                        unsafeSQL: "UPDATE \(entryTable) SET stream_version = $1, idempotency = $2 WHERE position = $3 RETURNING position")
                    query.binds.append(-1 - Int64(clamping: row.position), context: .default)
                    query.binds.append(ByteBuffer(bytes: Array("repair-\(row.position)".utf8)), context: .default)
                    query.binds.append(Int64(clamping: row.position), context: .default)
                    var changed = 0
                    for try await _ in try await connection.query(query, logger: self.logger).decode(Int64.self) { changed += 1 }
                    guard changed == 1 else {
                        throw LedgerError(.storeFailure, "no entry at position \(row.position) to repair", position: row.position)
                    }
                }
                for row in rows {
                    var query = PostgresQuery(
                        unsafeSQL: "UPDATE \(entryTable) SET stream = $1, stream_version = $2, place = $3, idempotency = $4 WHERE position = $5")
                    query.binds.append(row.stream, context: .default)
                    query.binds.append(Int64(clamping: row.streamVersion), context: .default)
                    query.binds.append(row.place, context: .default)
                    query.binds.append(ByteBuffer(bytes: row.idempotency), context: .default)
                    query.binds.append(Int64(clamping: row.position), context: .default)
                    try await PostgresEventStore.drain(await connection.query(query, logger: self.logger))
                }
            }
        }
    }

    public func repairHead(_ head: StoreHead) async throws {
        var query = PostgresQuery(
            unsafeSQL: "INSERT INTO \(table("head")) (id, size, state) VALUES (1, $1, $2) ON CONFLICT (id) DO UPDATE SET size = excluded.size, state = excluded.state")
        query.binds.append(Int64(clamping: head.size), context: .default)
        query.binds.append(ByteBuffer(bytes: head.state), context: .default)
        try await execute(query, "repairing the head")
    }
}
#endif
