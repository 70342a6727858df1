#if PostgreSQL
import CivicLedger
import Logging
import PostgresNIO

/// A `KeyVault` on PostgreSQL, for service instances on several machines
/// that must seal and reveal personal fields with the same keys.
///
/// The keys live in a schema of their own (`LEDGER_vault` by default),
/// apart from the ledger's, so that the ledger's schema can be dumped for
/// an auditor without them and the two can be granted to different
/// roles. Erasure is remembered, so an erased subject never gets a new
/// key. A destroyed key's row is deleted and the table vacuumed at once;
/// PostgreSQL may still hold it in its write-ahead log until the next
/// checkpoint and in any backup or replica taken before, which a
/// deployment must treat as it treats the vault itself (docs/deployment.md).
public final class PostgresKeyVault: KeyVault {
    /// The schema the keys live in.
    public let schema: String
    let connections: PostgresConnections

    /// Connects to the server `url` names and creates the vault's tables
    /// when missing.
    ///
    /// - Parameters:
    ///   - url: the ledger's URL (``PostgresLocation``); the vault's schema
    ///     is its `ledger=` name followed by `_vault`.
    ///   - schema: the vault's schema instead.
    ///   - logger: where postgres-nio logs (never a key).
    /// - Throws: `LedgerError` `.invalidField` for a URL or schema it
    ///   cannot use; `.storeFailure` when the server cannot be reached.
    public init(url: String, schema: String? = nil, logger: Logger = Logger(label: "civic-ledger.vault")) async throws {
        let location = try PostgresLocation(url: url)
        let schema = schema ?? String((location.ledger + "_vault").prefix(63))
        try PostgresLocation.validate(ledger: schema)
        self.schema = schema
        connections = await PostgresConnections(location: location, leaseTimeout: nil, logger: logger)
        let statements = [
            "CREATE SCHEMA IF NOT EXISTS \"\(schema)\"",
            "CREATE TABLE IF NOT EXISTS \"\(schema)\".field_key (subject BYTEA PRIMARY KEY, key BYTEA NOT NULL CHECK (length(key) = 32))",
            "CREATE TABLE IF NOT EXISTS \"\(schema)\".erased (subject BYTEA PRIMARY KEY)",
        ]
        let lock = PostgresEventStore.lockKey("migrate", schema)
        do {
            try await connections.withConnection("creating the key vault") { connection in
                try await connection.withTransaction(logger: logger) { connection in
                    try await PostgresEventStore.drain(await connection.query("SELECT pg_advisory_xact_lock(\(lock))", logger: logger))
                    for statement in statements {
                        try await PostgresEventStore.drain(await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger))
                    }
                }
            }
        } catch {
            connections.close()
            throw error
        }
    }

    /// Stops the connection pool; the vault is unusable after.
    public func close() {
        connections.close()
    }

    deinit {
        connections.close()
    }

    public func key(for subject: String) async throws -> FieldKey {
        guard let key = try await keys(for: [subject])[subject] else {
            throw LedgerError(.storeFailure, "the key vault gave no key for \(subject)")
        }
        return key
    }

    public func keys(for subjects: [String]) async throws -> [String: FieldKey] {
        guard !subjects.isEmpty else { return [:] }
        let schema = self.schema, logger = connections.logger
        // New keys are drawn here; a subject that has one keeps it.
        let fresh = Dictionary(subjects.map { ($0, FieldKey.generate()) }, uniquingKeysWith: { first, _ in first })
        return try await connections.withConnection("reading the key vault") { connection in
            try await connection.withTransaction(logger: logger) { connection in
                var erased = PostgresQuery(unsafeSQL: "SELECT subject FROM \"\(schema)\".erased WHERE subject = ANY($1)")
                erased.binds.append(fresh.keys.map(Self.subject), context: .default)
                for try await (subject,) in try await connection.query(erased, logger: logger).decode((ByteBuffer,).self) {
                    throw LedgerError(.erased, "subject \(Self.subject(subject)) was erased; its key is destroyed")
                }
                let drawn = Array(fresh)
                var insert = PostgresQuery(
                    unsafeSQL: "INSERT INTO \"\(schema)\".field_key (subject, key) SELECT * FROM unnest($1::bytea[], $2::bytea[]) ON CONFLICT DO NOTHING")
                insert.binds.append(drawn.map { Self.subject($0.key) }, context: .default)
                insert.binds.append(drawn.map { ByteBuffer(bytes: $0.value.bytes.bytes) }, context: .default)
                try await PostgresEventStore.drain(await connection.query(insert, logger: logger))
                var select = PostgresQuery(unsafeSQL: "SELECT subject, key FROM \"\(schema)\".field_key WHERE subject = ANY($1)")
                select.binds.append(fresh.keys.map(Self.subject), context: .default)
                var keys: [String: FieldKey] = [:]
                for try await (subject, key) in try await connection.query(select, logger: logger).decode((ByteBuffer, ByteBuffer).self) {
                    keys[Self.subject(subject)] = try Self.key(key)
                }
                return keys
            }
        }
    }

    public func existingKey(for subject: String) async throws -> FieldKey? {
        var query = PostgresQuery(unsafeSQL: "SELECT key FROM \"\(schema)\".field_key WHERE subject = $1")
        query.binds.append(Self.subject(subject), context: .default)
        let logger = connections.logger
        return try await connections.withConnection("reading the key vault") { [query] connection in
            for try await (key,) in try await connection.query(query, logger: logger).decode((ByteBuffer,).self) {
                return try Self.key(key)
            }
            return nil
        }
    }

    public func destroy(subject: String) async throws {
        let schema = self.schema, logger = connections.logger
        try await connections.withConnection("destroying a key") { connection in
            try await connection.withTransaction(logger: logger) { connection in
                var delete = PostgresQuery(unsafeSQL: "DELETE FROM \"\(schema)\".field_key WHERE subject = $1")
                delete.binds.append(Self.subject(subject), context: .default)
                try await PostgresEventStore.drain(await connection.query(delete, logger: logger))
                var erase = PostgresQuery(unsafeSQL: "INSERT INTO \"\(schema)\".erased (subject) VALUES ($1) ON CONFLICT DO NOTHING")
                erase.binds.append(Self.subject(subject), context: .default)
                try await PostgresEventStore.drain(await connection.query(erase, logger: logger))
            }
            // The dead row's space is reclaimed now, not at some later vacuum.
            try await PostgresEventStore.drain(
                await connection.query(PostgresQuery(unsafeSQL: "VACUUM \"\(schema)\".field_key"), logger: logger))
        }
    }

    public func isErased(_ subject: String) async throws -> Bool {
        var query = PostgresQuery(unsafeSQL: "SELECT 1 FROM \"\(schema)\".erased WHERE subject = $1")
        query.binds.append(Self.subject(subject), context: .default)
        let logger = connections.logger
        return try await connections.withConnection("reading the key vault") { [query] connection in
            for try await _ in try await connection.query(query, logger: logger) { return true }
            return false
        }
    }

    /// A subject as stored: its UTF-8 bytes (a subject may hold any
    /// character, NUL included, which PostgreSQL's text cannot).
    static func subject(_ subject: String) -> ByteBuffer { ByteBuffer(bytes: Array(subject.utf8)) }

    static func subject(_ buffer: ByteBuffer) -> String { String(decoding: buffer.readableBytesView, as: UTF8.self) }

    static func key(_ buffer: ByteBuffer) throws -> FieldKey {
        guard let bytes = Bytes32(Array(buffer.readableBytesView)) else {
            throw LedgerError(.storeFailure, "a vault key is \(buffer.readableBytes) bytes, not 32")
        }
        return FieldKey(bytes: bytes)
    }
}
#endif
