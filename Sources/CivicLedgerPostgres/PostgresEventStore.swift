#if PostgreSQL
import CivicLedger
import Foundation
import Logging
import PostgresNIO

/// An `EventStore` on PostgreSQL: one ledger per schema, shared by any
/// number of service instances on any number of machines.
///
/// Work in progress (issue 17): the schema, commits that keep positions
/// gapless under many writers (a lock row taken `FOR UPDATE`, the expected
/// size checked inside the transaction), reads, checkpoints, snapshots and
/// the derived-state checks. Wake-ups on other instances' commits poll the
/// head until `LISTEN/NOTIFY` lands.
public final class PostgresEventStore: EventStore {
    /// The schema the ledger's tables live in.
    public let schema: String
    let client: PostgresClient
    let runner: Task<Void, Never>
    let logger: Logger

    /// Connects to the server `url` names (`postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`,
    /// or `?host=/socket/folder&port=N` for a unix socket; `PGPASSWORD`
    /// when the URL has no password) and creates the ledger's tables in
    /// `schema` when missing.
    ///
    /// - Throws: `LedgerError` `.invalidField` for a URL or schema it cannot
    ///   use; `.storeFailure` when the server cannot be reached.
    public init(url: String, schema: String = "civic_ledger", logger: Logger = Logger(label: "civic-ledger.postgres")) async throws {
        guard schema.range(of: "^[a-z_][a-z0-9_]{0,62}$", options: .regularExpression) != nil else {
            throw LedgerError(.invalidField, "schema \"\(schema)\": use 1 to 63 of a-z, 0-9 and _, not starting with a digit")
        }
        self.schema = schema
        self.logger = logger
        let client = PostgresClient(configuration: try Self.configuration(url), backgroundLogger: logger)
        self.client = client
        runner = Task { await client.run() }
        do {
            try await migrate()
        } catch {
            runner.cancel()
            throw Self.failure(error, "creating the ledger's tables")
        }
    }

    /// Stops the connection pool. The store is unusable after.
    public func close() {
        runner.cancel()
    }

    /// The client configuration a URL names.
    static func configuration(_ url: String) throws(LedgerError) -> PostgresClient.Configuration {
        guard let components = URLComponents(string: url), components.scheme == "postgres" || components.scheme == "postgresql" else {
            throw LedgerError(.invalidField, "\(url) is not a postgres:// URL")
        }
        let items = Dictionary((components.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { _, last in last })
        let user = components.user ?? ProcessInfo.processInfo.environment["PGUSER"] ?? "postgres"
        let password = components.password ?? ProcessInfo.processInfo.environment["PGPASSWORD"]
        let database = components.path.isEmpty || components.path == "/" ? user : String(components.path.dropFirst())
        let port = components.port ?? items["port"].flatMap(Int.init) ?? 5432
        if let socketFolder = items["host"], socketFolder.hasPrefix("/") {
            return PostgresClient.Configuration(
                unixSocketPath: "\(socketFolder)/.s.PGSQL.\(port)", username: user, password: password, database: database)
        }
        let tls: PostgresClient.Configuration.TLS = items["sslmode"].map { $0 == "disable" } ?? true ? .disable : .prefer(.clientDefault)
        return PostgresClient.Configuration(
            host: components.host ?? "localhost", port: port, username: user, password: password, database: database, tls: tls)
    }

    /// A table's name, qualified by the schema.
    func table(_ name: String) -> String { "\"\(schema)\".\(name)" }

    func migrate() async throws {
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA IF NOT EXISTS \"\(schema)\""), logger: logger)
            for statement in [
                "CREATE TABLE IF NOT EXISTS \(table("entry")) (position BIGINT PRIMARY KEY, stream TEXT NOT NULL, stream_version BIGINT NOT NULL, place TEXT NOT NULL, idempotency BYTEA NOT NULL, bytes BYTEA NOT NULL)",
                "CREATE UNIQUE INDEX IF NOT EXISTS entry_stream ON \(table("entry")) (stream, stream_version)",
                "CREATE UNIQUE INDEX IF NOT EXISTS entry_idempotency ON \(table("entry")) (idempotency)",
                "CREATE TABLE IF NOT EXISTS \(table("head")) (id INT PRIMARY KEY CHECK (id = 1), size BIGINT NOT NULL, state BYTEA NOT NULL)",
                "CREATE TABLE IF NOT EXISTS \(table("appender")) (id INT PRIMARY KEY CHECK (id = 1))",
                "INSERT INTO \(table("appender")) (id) VALUES (1) ON CONFLICT DO NOTHING",
                "CREATE TABLE IF NOT EXISTS \(table("checkpoint")) (size BIGINT PRIMARY KEY, note TEXT NOT NULL)",
                "CREATE TABLE IF NOT EXISTS \(table("snapshot")) (name TEXT PRIMARY KEY, position BIGINT NOT NULL, digest BYTEA NOT NULL, data BYTEA NOT NULL)",
            ] {
                try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
            }
        }
    }

    /// A store error for `error`: a unique key is a conflict, anything
    /// else a failure naming `what`.
    static func failure(_ error: any Error, _ what: String) -> LedgerError {
        if let error = error as? LedgerError { return error }
        if let error = error as? PostgresTransactionError,
            let cause = error.closureError ?? error.commitError ?? error.beginError ?? error.rollbackError
        {
            return failure(cause, what)
        }
        if let error = error as? PSQLError, let state = error.serverInfo?[.sqlState] {
            if state == "23505" { return LedgerError(.storeConflict, "a unique key is already stored (\(what))") }
            return LedgerError(.storeFailure, "\(what) failed: SQLSTATE \(state) \(error.serverInfo?[.message] ?? "")")
        }
        return LedgerError(.storeFailure, "\(what) failed: \(String(reflecting: error))")
    }

    static func count(_ value: Int64, _ column: String) throws(LedgerError) -> UInt64 {
        guard let count = UInt64(exactly: value) else {
            throw LedgerError(.storeFailure, "\(column) holds \(value), which is not a count or position; run verify")
        }
        return count
    }

    static func bytes(_ buffer: ByteBuffer) -> [UInt8] { Array(buffer.readableBytesView) }

    // MARK: EventStore

    public func head() async throws -> StoreHead? {
        do {
            let rows = try await client.query(PostgresQuery(unsafeSQL: "SELECT size, state FROM \(table("head")) WHERE id = 1"), logger: logger)
            for try await (size, state) in rows.decode((Int64, ByteBuffer).self) {
                return StoreHead(size: try Self.count(size, "head.size"), state: Self.bytes(state))
            }
            return nil
        } catch {
            throw Self.failure(error, "reading the head")
        }
    }

    public func commit(_ commit: StoreCommit) async throws {
        let entryTable = table("entry"), headTable = table("head"), appender = table("appender"), checkpointTable = table("checkpoint")
        do {
            try await client.withTransaction(logger: logger) { connection in
                // One appender at a time: the lock row, then the size.
                try await connection.query(PostgresQuery(unsafeSQL: "SELECT id FROM \(appender) WHERE id = 1 FOR UPDATE"), logger: logger)
                var size: Int64 = 0
                for try await (counted,) in try await connection.query(
                    PostgresQuery(unsafeSQL: "SELECT COALESCE(MAX(position) + 1, 0) FROM \(entryTable)"), logger: logger
                ).decode((Int64,).self) {
                    size = counted
                }
                guard UInt64(exactly: size) == commit.expectedSize else {
                    throw LedgerError(.storeConflict, "the log holds \(size) entries, the commit expected \(commit.expectedSize)")
                }
                for (offset, entry) in commit.entries.enumerated() {
                    guard entry.position == commit.expectedSize + UInt64(offset) else {
                        throw LedgerError(.storeFailure, "entry \(offset) of the commit has position \(entry.position)", position: entry.position)
                    }
                    var query = PostgresQuery(
                        unsafeSQL: "INSERT INTO \(entryTable) (position, stream, stream_version, place, idempotency, bytes) VALUES ($1, $2, $3, $4, $5, $6)")
                    query.binds.append(Int64(clamping: entry.position), context: .default)
                    query.binds.append(entry.stream, context: .default)
                    query.binds.append(Int64(clamping: entry.streamVersion), context: .default)
                    query.binds.append(entry.content.place.path, context: .default)
                    query.binds.append(ByteBuffer(bytes: entry.idempotencyReference.digest), context: .default)
                    query.binds.append(ByteBuffer(bytes: entry.bytes), context: .default)
                    try await connection.query(query, logger: logger)
                }
                var head = PostgresQuery(
                    unsafeSQL: "INSERT INTO \(headTable) (id, size, state) VALUES (1, $1, $2) ON CONFLICT (id) DO UPDATE SET size = excluded.size, state = excluded.state")
                head.binds.append(Int64(clamping: commit.head.size), context: .default)
                head.binds.append(ByteBuffer(bytes: commit.head.state), context: .default)
                try await connection.query(head, logger: logger)
                if let checkpoint = commit.checkpoint {
                    var insert = PostgresQuery(unsafeSQL: "INSERT INTO \(checkpointTable) (size, note) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                    insert.binds.append(Int64(clamping: checkpoint.size), context: .default)
                    insert.binds.append(checkpoint.note, context: .default)
                    try await connection.query(insert, logger: logger)
                }
            }
        } catch {
            throw Self.failure(error, "committing")
        }
    }

    /// Rows of (position, bytes) a query returns.
    func storedEntries(_ query: PostgresQuery, _ what: String) async throws -> [StoredEntry] {
        do {
            var result: [StoredEntry] = []
            for try await (position, bytes) in try await client.query(query, logger: logger).decode((Int64, ByteBuffer).self) {
                result.append(StoredEntry(position: try Self.count(position, "entry.position"), bytes: Self.bytes(bytes)))
            }
            return result
        } catch {
            throw Self.failure(error, what)
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
        do {
            var heads: [String: StreamHead] = [:]
            for try await (stream, version, place) in try await client.query(query, logger: logger).decode((String, Int64, String).self) {
                heads[stream] = StreamHead(version: try Self.count(version, "entry.stream_version"), place: try Place(validating: place))
            }
            return heads
        } catch {
            throw Self.failure(error, "reading stream heads")
        }
    }

    public func positions(for references: [IdempotencyReference]) async throws -> [IdempotencyReference: UInt64] {
        guard !references.isEmpty else { return [:] }
        var byDigest: [[UInt8]: IdempotencyReference] = [:]
        for reference in references { byDigest[reference.digest] = reference }
        var query = PostgresQuery(unsafeSQL: "SELECT idempotency, position FROM \(table("entry")) WHERE idempotency = ANY($1)")
        query.binds.append(byDigest.keys.map { ByteBuffer(bytes: $0) }, context: .default)
        do {
            var found: [IdempotencyReference: UInt64] = [:]
            for try await (digest, position) in try await client.query(query, logger: logger).decode((ByteBuffer, Int64).self) {
                if let reference = byDigest[Self.bytes(digest)] { found[reference] = try Self.count(position, "entry.position") }
            }
            return found
        } catch {
            throw Self.failure(error, "reading idempotency keys")
        }
    }

    public func saveCheckpoint(_ checkpoint: StoredCheckpoint) async throws {
        var query = PostgresQuery(unsafeSQL: "INSERT INTO \(table("checkpoint")) (size, note) VALUES ($1, $2) ON CONFLICT DO NOTHING")
        query.binds.append(Int64(clamping: checkpoint.size), context: .default)
        query.binds.append(checkpoint.note, context: .default)
        do { try await client.query(query, logger: logger) } catch { throw Self.failure(error, "saving a checkpoint") }
    }

    func storedCheckpoints(_ query: PostgresQuery) async throws -> [StoredCheckpoint] {
        do {
            var result: [StoredCheckpoint] = []
            for try await (size, note) in try await client.query(query, logger: logger).decode((Int64, String).self) {
                result.append(StoredCheckpoint(size: try Self.count(size, "checkpoint.size"), note: note))
            }
            return result
        } catch {
            throw Self.failure(error, "reading checkpoints")
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

    public func saveSnapshot(_ snapshot: ProjectionSnapshot) async throws {
        var query = PostgresQuery(
            unsafeSQL: "INSERT INTO \(table("snapshot")) (name, position, digest, data) VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO UPDATE SET position = excluded.position, digest = excluded.digest, data = excluded.data")
        query.binds.append(snapshot.name, context: .default)
        query.binds.append(Int64(clamping: snapshot.position), context: .default)
        query.binds.append(ByteBuffer(bytes: snapshot.digest.bytes), context: .default)
        query.binds.append(ByteBuffer(bytes: snapshot.data), context: .default)
        do { try await client.query(query, logger: logger) } catch { throw Self.failure(error, "saving snapshot \(snapshot.name)") }
    }

    public func snapshot(named name: String) async throws -> ProjectionSnapshot? {
        var query = PostgresQuery(unsafeSQL: "SELECT position, digest, data FROM \(table("snapshot")) WHERE name = $1")
        query.binds.append(name, context: .default)
        do {
            for try await (position, digest, data) in try await client.query(query, logger: logger).decode((Int64, ByteBuffer, ByteBuffer).self) {
                guard let parsed = Digest(Self.bytes(digest)) else {
                    throw LedgerError(.invalidSnapshot, "snapshot \(name) has a digest of \(digest.readableBytes) bytes")
                }
                return ProjectionSnapshot(name: name, position: try Self.count(position, "snapshot.position"), digest: parsed, data: Self.bytes(data))
            }
            return nil
        } catch {
            throw Self.failure(error, "reading snapshot \(name)")
        }
    }

    public func indexRows(from position: UInt64, limit: Int) async throws -> [StoredIndexRow] {
        guard limit > 0 else { return [] }
        var query = PostgresQuery(
            unsafeSQL: "SELECT position, stream, stream_version, place, idempotency FROM \(table("entry")) WHERE position >= $1 ORDER BY position LIMIT $2")
        query.binds.append(Int64(clamping: position), context: .default)
        query.binds.append(Int64(clamping: limit), context: .default)
        do {
            var rows: [StoredIndexRow] = []
            for try await (position, stream, version, place, digest) in try await client.query(query, logger: logger).decode(
                (Int64, String, Int64, String, ByteBuffer).self)
            {
                rows.append(
                    StoredIndexRow(
                        position: try Self.count(position, "entry.position"), stream: stream, streamVersion: UInt64(exactly: version) ?? .max,
                        place: place, idempotency: Self.bytes(digest)))
            }
            return rows
        } catch {
            throw Self.failure(error, "reading index rows")
        }
    }

    public func repairIndex(_ rows: [StoredIndexRow]) async throws {
        guard !rows.isEmpty else { return }
        let entryTable = table("entry")
        do {
            try await client.withTransaction(logger: logger) { connection in
                // Out of the way first, then in place: swapped values never meet the unique indexes half-done.
                for row in rows {
                    var query = PostgresQuery(
                        unsafeSQL: "UPDATE \(entryTable) SET stream_version = $1, idempotency = $2 WHERE position = $3 RETURNING position")
                    query.binds.append(-1 - Int64(clamping: row.position), context: .default)
                    query.binds.append(ByteBuffer(bytes: Array("repair-\(row.position)".utf8)), context: .default)
                    query.binds.append(Int64(clamping: row.position), context: .default)
                    var changed = 0
                    for try await _ in try await connection.query(query, logger: logger).decode(Int64.self) { changed += 1 }
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
                    try await connection.query(query, logger: logger)
                }
            }
        } catch {
            throw Self.failure(error, "repairing index rows")
        }
    }

    public func repairHead(_ head: StoreHead) async throws {
        var query = PostgresQuery(
            unsafeSQL: "INSERT INTO \(table("head")) (id, size, state) VALUES (1, $1, $2) ON CONFLICT (id) DO UPDATE SET size = excluded.size, state = excluded.state")
        query.binds.append(Int64(clamping: head.size), context: .default)
        query.binds.append(ByteBuffer(bytes: head.state), context: .default)
        do { try await client.query(query, logger: logger) } catch { throw Self.failure(error, "repairing the head") }
    }
}
#endif
