#if PostgreSQL
import CivicLedger
import Foundation
import Logging
import PostgresNIO

/// An `EventStore` on PostgreSQL: many ledgers per database, one schema
/// each, each shared by any number of service instances on any number of
/// machines (docs/deployment.md).
///
/// - Commits: one call of the schema's `commit_entries` function, in one
///   transaction and one round trip: it takes the ledger's appender row
///   `FOR UPDATE`, checks that the log holds the expected number of
///   entries, inserts the entries exactly as written, moves the head,
///   stores the checkpoint and notifies the ledger's channel with the new
///   size. Positions are the Merkle leaf indexes, gapless whatever the
///   number of writers: no sequence is involved, and a commit that lost a
///   race writes nothing (`.storeConflict`; the ledger catches up and plans
///   its batch again, where a stream version or idempotency key that
///   another writer took refuses that event alone).
/// - Other instances' commits wake ``waitForGrowth(beyond:timeout:)`` by
///   `LISTEN/NOTIFY`; a listener that lost its connection catches up from
///   the head when it is back.
/// - ``lockAppends()`` is a session advisory lock, which writers that
///   collided take in turn; ``withCheckpointLock(_:)`` another, so that one
///   instance at a time signs checkpoints, and only of sizes it committed
///   or checked.
/// - Ledgers in one database never share a row or a lock.
public final class PostgresEventStore: RepairableEventStore {
    /// The schema the ledger's tables live in.
    public let schema: String
    /// The server and ledger, without a password.
    public var location: String { connections.location }
    /// The connection pool.
    let connections: PostgresConnections
    var logger: Logger { connections.logger }
    let listener: PostgresGrowthListener
    /// How long a call waits for a connection before it fails (the server
    /// is away or every connection is busy).
    public var leaseTimeout: Duration { connections.leaseTimeout }
    /// The advisory lock keys of this ledger's append and checkpoint locks.
    let appendLockKey: Int64
    let checkpointLockKey: Int64

    /// Connects to the ledger `url` names (``PostgresLocation``) and
    /// creates its tables when missing.
    ///
    /// - Parameters:
    ///   - url: `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE?ledger=NAME`
    ///     and libpq's other conventions (``PostgresLocation``).
    ///   - schema: the ledger's schema, instead of the URL's `ledger=`.
    ///   - create: create the ledger's tables when missing; with `false`, a
    ///     ledger that does not exist is an error and nothing is created.
    ///   - leaseTimeout: how long a call waits for a connection before it
    ///     fails with `.storeFailure` (the server is away); calls made once
    ///     it is back go through. Default: the URL's `connect_timeout`.
    ///   - logger: where the store and postgres-nio log (never the password).
    /// - Throws: `LedgerError` `.invalidField` for a URL or schema it cannot
    ///   use; `.notInitialised` when `create` is `false` and there is no
    ///   such ledger; `.storeFailure` when the server cannot be reached.
    public convenience init(
        url: String, schema: String? = nil, create: Bool = true, leaseTimeout: Duration? = nil,
        logger: Logger = Logger(label: "civic-ledger.postgres")
    ) async throws {
        try await self.init(
            location: try PostgresLocation(url: url), schema: schema, create: create, leaseTimeout: leaseTimeout, logger: logger)
    }

    /// Connects to the ledger at `location` and, with `create`, creates its
    /// tables when missing.
    public init(
        location: PostgresLocation, schema: String? = nil, create: Bool = true, leaseTimeout: Duration? = nil,
        logger: Logger = Logger(label: "civic-ledger.postgres")
    ) async throws {
        let schema = schema ?? location.ledger
        try PostgresLocation.validate(ledger: schema)
        self.schema = schema
        let connections = await PostgresConnections(location: location, leaseTimeout: leaseTimeout, logger: logger)
        self.connections = connections
        appendLockKey = Self.lockKey("append", schema)
        checkpointLockKey = Self.lockKey("checkpoint", schema)
        let headTable = "\"\(schema)\".head"
        listener = PostgresGrowthListener(client: connections.client, channel: schema, logger: logger) {
            try await Self.head(headTable, on: connections)?.size ?? 0
        }
        do {
            if create {
                try await migrate()
            } else {
                let signature = schema + ".commit_entries(bigint,bigint[],text[],bigint[],text[],bytea[],bytea[],bigint,bytea,bigint,text)"
                let exists = try await withConnection("opening the ledger") { connection in
                    var exists = false
                    for try await (found,) in try await connection.query("SELECT to_regprocedure(\(signature)) IS NOT NULL", logger: logger)
                        .decode((Bool,).self)
                    {
                        exists = found
                    }
                    return exists
                }
                guard exists else {
                    throw LedgerError(.notInitialised, "there is no ledger \(schema) at \(location.description)")
                }
            }
        } catch {
            listener.close()
            connections.close()
            // A store error (no such ledger, the server away) as it is.
            throw Self.failure(error, "creating the ledger's tables in \(location.description)")
        }
    }

    /// Stops listening and the connection pool. The store is unusable after.
    public func close() {
        listener.close()
        connections.close()
    }

    deinit {
        listener.close()
        connections.close()
    }

    /// An advisory lock key of this ledger: 64 bits of SHA-256 of the
    /// lock's purpose and the schema, the same in every process.
    static func lockKey(_ purpose: String, _ schema: String) -> Int64 {
        let digest = SHA256.hash(Array("civic-ledger/\(purpose)/\(schema)".utf8)).bytes
        return digest[0..<8].reduce(Int64(0)) { ($0 << 8) | Int64($1) }
    }

    /// A table's name, qualified by the schema.
    func table(_ name: String) -> String { "\"\(schema)\".\(name)" }

    func migrate() async throws {
        let quoted = "\"\(schema)\""
        let logger = self.logger
        let statements = [
            "CREATE SCHEMA IF NOT EXISTS \(quoted)",
            "CREATE TABLE IF NOT EXISTS \(table("entry")) (position BIGINT PRIMARY KEY, stream TEXT NOT NULL, stream_version BIGINT NOT NULL, place TEXT NOT NULL, idempotency BYTEA NOT NULL, bytes BYTEA NOT NULL)",
            "CREATE UNIQUE INDEX IF NOT EXISTS entry_stream ON \(table("entry")) (stream, stream_version)",
            "CREATE UNIQUE INDEX IF NOT EXISTS entry_idempotency ON \(table("entry")) (idempotency)",
            "CREATE TABLE IF NOT EXISTS \(table("head")) (id INT PRIMARY KEY CHECK (id = 1), size BIGINT NOT NULL, state BYTEA NOT NULL)",
            "CREATE TABLE IF NOT EXISTS \(table("appender")) (id INT PRIMARY KEY CHECK (id = 1))",
            "INSERT INTO \(table("appender")) (id) VALUES (1) ON CONFLICT DO NOTHING",
            "CREATE TABLE IF NOT EXISTS \(table("checkpoint")) (size BIGINT PRIMARY KEY, note TEXT NOT NULL)",
            "CREATE TABLE IF NOT EXISTS \(table("snapshot")) (name TEXT PRIMARY KEY, position BIGINT NOT NULL, digest BYTEA NOT NULL, data BYTEA NOT NULL)",
            Self.commitFunction(quoted),
        ]
        let migrateLock = Self.lockKey("migrate", schema)
        try await withConnection("creating the ledger's tables") { connection in
            try await connection.withTransaction(logger: logger) { connection in
                // Instances starting together create the tables one at a time.
                try await Self.drain(await connection.query("SELECT pg_advisory_xact_lock(\(migrateLock))", logger: logger))
                for statement in statements {
                    try await Self.drain(await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger))
                }
            }
        }
    }

    /// The server-side commit (docs/format.md §8.2): the round trips stay
    /// out of the appender lock.
    static func commitFunction(_ schema: String) -> String {
        """
        CREATE OR REPLACE FUNCTION \(schema).commit_entries(
            expected BIGINT, positions BIGINT[], streams TEXT[], versions BIGINT[], places TEXT[], idempotencies BYTEA[],
            entry_bytes BYTEA[], head_size BIGINT, head_state BYTEA, checkpoint_size BIGINT, checkpoint_note TEXT
        ) RETURNS BIGINT LANGUAGE plpgsql AS $commit$
        DECLARE
            stored BIGINT;
        BEGIN
            PERFORM 1 FROM \(schema).appender WHERE id = 1 FOR UPDATE;
            SELECT COALESCE(MAX(position) + 1, 0) INTO stored FROM \(schema).entry;
            IF stored <> expected THEN
                RAISE EXCEPTION 'the log holds % entries, the commit expected %', stored, expected USING ERRCODE = 'CL409';
            END IF;
            INSERT INTO \(schema).entry (position, stream, stream_version, place, idempotency, bytes)
                SELECT * FROM unnest(positions, streams, versions, places, idempotencies, entry_bytes);
            INSERT INTO \(schema).head (id, size, state) VALUES (1, head_size, head_state)
                ON CONFLICT (id) DO UPDATE SET size = excluded.size, state = excluded.state;
            IF checkpoint_note IS NOT NULL THEN
                INSERT INTO \(schema).checkpoint (size, note) VALUES (checkpoint_size, checkpoint_note) ON CONFLICT DO NOTHING;
            END IF;
            PERFORM pg_notify('\(schema.trimmingCharacters(in: CharacterSet(charactersIn: "\"")))', head_size::text);
            RETURN head_size;
        END
        $commit$
        """
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
            if state == "CL409" { return LedgerError(.storeConflict, error.serverInfo?[.message] ?? "the log moved (\(what))") }
            return LedgerError(.storeFailure, "\(what) failed: SQLSTATE \(state) \(error.serverInfo?[.message] ?? "")")
        }
        if let error = error as? PSQLError {
            // No answer from the server: it is away, or the connection broke.
            return LedgerError(.storeFailure, "\(what) failed: the database is not reachable (\(error.code))")
        }
        return LedgerError(.storeFailure, "\(what) failed: \(String(reflecting: error))")
    }

    static func count(_ value: Int64, _ column: String) throws(LedgerError) -> UInt64 {
        guard let count = UInt64(exactly: value) else {
            throw LedgerError(.storeFailure, "\(column) holds \(value), which is not a count or position; run verify")
        }
        return count
    }

    /// Reads a statement's rows to the end: a server error (a raised
    /// conflict, a unique key) arrives with them, not with the call.
    static func drain(_ rows: @autoclosure () async throws -> PostgresRowSequence) async throws {
        for try await _ in try await rows() {}
    }

    static func bytes(_ buffer: ByteBuffer) -> [UInt8] { Array(buffer.readableBytesView) }

    // MARK: EventStore

    public func head() async throws -> StoreHead? {
        try await Self.head(table("head"), on: connections)
    }

    /// The head in `headTable`: what ``head()`` and the listener read.
    static func head(_ headTable: String, on connections: PostgresConnections) async throws -> StoreHead? {
        let query = PostgresQuery(unsafeSQL: "SELECT size, state FROM \(headTable) WHERE id = 1")
        return try await connections.withConnection("reading the head") { connection in
            for try await (size, state) in try await connection.query(query, logger: connections.logger).decode((Int64, ByteBuffer).self) {
                return StoreHead(size: try Self.count(size, "head.size"), state: Self.bytes(state))
            }
            return nil
        }
    }

    public func commit(_ commit: StoreCommit) async throws {
        var positions: [Int64] = [], streams: [String] = [], versions: [Int64] = [], places: [String] = []
        var idempotencies: [ByteBuffer] = [], bytes: [ByteBuffer] = []
        for (offset, entry) in commit.entries.enumerated() {
            guard entry.position == commit.expectedSize.clampedAdding(UInt64(offset)) else {
                throw LedgerError(.storeFailure, "entry \(offset) of the commit has position \(entry.position)", position: entry.position)
            }
            positions.append(Int64(clamping: entry.position))
            streams.append(entry.stream)
            versions.append(Int64(clamping: entry.streamVersion))
            places.append(entry.place.path)
            idempotencies.append(ByteBuffer(bytes: entry.idempotencyReference.digest))
            bytes.append(ByteBuffer(bytes: entry.bytes))
        }
        var query = PostgresQuery(unsafeSQL: "SELECT \"\(schema)\".commit_entries($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
        query.binds.append(Int64(clamping: commit.expectedSize), context: .default)
        query.binds.append(positions, context: .default)
        query.binds.append(streams, context: .default)
        query.binds.append(versions, context: .default)
        query.binds.append(places, context: .default)
        query.binds.append(idempotencies, context: .default)
        query.binds.append(bytes, context: .default)
        query.binds.append(Int64(clamping: commit.head.size), context: .default)
        query.binds.append(ByteBuffer(bytes: commit.head.state), context: .default)
        query.binds.append(commit.checkpoint.map { Int64(clamping: $0.size) }, context: .default)
        query.binds.append(commit.checkpoint?.note, context: .default)
        try await execute(query, "committing")
        listener.signal.publish(commit.head.size)
    }

    public func waitForGrowth(beyond size: UInt64, timeout: Duration) async throws -> UInt64? {
        await listener.wait(beyond: size, timeout: timeout)
    }

    public func lockAppends() async throws -> (any AppendLock)? {
        try await PostgresSessionLock.acquire(appendLockKey, store: self, logger: logger)
    }

    public var signsCheckpointsUnderLock: Bool { true }

    public func withCheckpointLock<R: Sendable>(_ body: @escaping @Sendable () async throws -> R) async throws -> R? {
        let key = checkpointLockKey
        let logger = self.logger
        return try await withConnection("taking the checkpoint lock") { connection in
            var held = false
            for try await (taken,) in try await connection.query("SELECT pg_try_advisory_lock(\(key))", logger: logger).decode((Bool,).self) {
                held = taken
            }
            guard held else { return nil }
            let result: Result<R, any Error>
            do { result = .success(try await body()) } catch { result = .failure(error) }
            do {
                try await PostgresEventStore.drain(await connection.query("SELECT pg_advisory_unlock(\(key))", logger: logger))
            } catch {
                // The session ends, and the lock with it.
                try? await connection.close()
            }
            return try result.get()
        }
    }
}
#endif
