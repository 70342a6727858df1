import CivicLedger
import Foundation
import GRDB
import GRDBSQLite
import Synchronization

/// The embedded default `EventStore`: one SQLite file, through GRDB.
///
/// - The database runs in WAL mode with `synchronous = FULL`, so a commit
///   is on disk when ``commit(_:)`` returns (GRDB sets `NORMAL` when it
///   enables WAL; the store sets `FULL` again after opening).
/// - Writes take SQLite's write lock up front (`BEGIN IMMEDIATE`) and wait
///   up to ``Options/busyTimeout`` for another process's write; the
///   expected-size check inside the transaction keeps positions gapless when
///   several processes share the file.
/// - Reads run on a pool of reader connections, concurrently with writes.
///
/// The schema is in docs/format.md §8.
public final class SQLiteEventStore: RepairableEventStore {
    /// How to open the file.
    public struct Options: Sendable {
        /// Create the file and schema when missing (`true`), or fail with
        /// `.notInitialised` (`false`). Default `true`.
        public var createIfMissing = true
        /// Open read-only. Default `false`.
        public var readOnly = false
        /// How long a write waits for another process's write lock.
        /// Default 10 seconds.
        public var busyTimeout: TimeInterval = 10
        /// The defaults.
        public init() {}
    }

    /// The database file's path.
    public let path: String
    let pool: DatabasePool
    let options: Options
    let watcher: SQLiteGrowthWatcher
    /// Checkpoints the write-ahead log off the commit path; `nil` when
    /// read-only.
    let checkpointer: SQLiteCheckpointer?

    /// Closes the database: every connection, after checkpointing the
    /// write-ahead log into the file, so the file alone holds the ledger
    /// (as when it is moved into place). The store is unusable after.
    public func close() throws {
        watcher.close()
        do {
            try pool.writeWithoutTransaction { db in
                if let checkpointer, let connection = db.sqliteConnection { checkpointer.uninstall(from: connection) }
                try db.checkpoint(.truncate)
            }
            try pool.close()
        } catch {
            throw LedgerError(.storeFailure, "closing \(path) failed: \(Self.describe(error))")
        }
    }

    /// Opens (and, by default, creates) the store at `path`.
    ///
    /// An existing file is looked at read-only first: unless it is a
    /// CivicLedger database, it is refused and nothing is written to it
    /// (no tables, no change of journal mode). Read-only opens work on a
    /// copy in a folder the process cannot write: when SQLite cannot open
    /// it there, the file is read as immutable, provided it has no
    /// write-ahead log that would then be skipped.
    ///
    /// - Throws: `LedgerError` `.notInitialised` when the file is missing
    ///   and `createIfMissing` is off (or `readOnly` is on);
    ///   `.storeFailure` when it is empty, not a SQLite database, not a
    ///   CivicLedger database, or cannot be opened.
    public init(path: String, options: Options = Options()) throws {
        self.path = path
        self.options = options
        let pool = try Self.openPool(path: path, options: options)
        self.pool = pool
        if options.readOnly {
            checkpointer = nil
        } else {
            let checkpointer = SQLiteCheckpointer(path: path)
            pool.writeWithoutTransaction { db in
                if let connection = db.sqliteConnection { checkpointer.install(on: connection) }
            }
            self.checkpointer = checkpointer
        }
        self.watcher = SQLiteGrowthWatcher(path: path) {
            try await pool.read { db in try Int64.fetchOne(db, sql: "SELECT size FROM head WHERE id = 1") }.flatMap(UInt64.init(exactly:)) ?? 0
        }
    }

    static func openPool(path: String, options: Options) throws -> DatabasePool {
        let exists = LocalFile.kind(of: path) != .missing
        if !exists, !options.createIfMissing || options.readOnly {
            throw LedgerError(.notInitialised, "no ledger at \(path)")
        }
        if exists { try LocalFile.requireRegular(path, what: "a CivicLedger database") }
        var configuration = Configuration()
        configuration.busyMode = .timeout(options.busyTimeout)
        configuration.label = "civic-ledger"
        do {
            if exists {
                // Look before writing anything.
                let reader = try Self.openReadOnly(path, configuration: configuration)
                try reader.read { db in try Self.requireLedgerSchema(db, path: path) }
                if options.readOnly { return reader }
                try reader.close()
            }
            let pool = try DatabasePool(path: path, configuration: configuration)
            // After WAL set-up, which leaves synchronous at NORMAL.
            try pool.writeWithoutTransaction { try $0.execute(sql: "PRAGMA synchronous = FULL") }
            try Self.migrator.migrate(pool)
            try pool.read { db in try Self.requireLedgerSchema(db, path: path) }
            return pool
        } catch let error as LedgerError {
            throw error
        } catch {
            throw LedgerError(.storeFailure, "cannot open \(path): \(Self.describe(error))")
        }
    }

    /// The tables every CivicLedger database has (docs/format.md §8).
    static let tables = ["entry", "head", "checkpoint", "snapshot"]

    /// Throws unless `db` has the ledger's tables.
    static func requireLedgerSchema(_ db: Database, path: String) throws {
        let missing = try tables.filter { try !db.tableExists($0) }
        guard missing.isEmpty else {
            throw LedgerError(
                .storeFailure,
                "\(path) is not a CivicLedger database (it has no \(missing.joined(separator: ", ")) table); nothing was written to it")
        }
    }

    /// Opens `path` read-only, as immutable when SQLite cannot open it in
    /// place (a write-ahead-log database in a folder this process cannot
    /// write, where SQLite cannot make its shared-memory file).
    static func openReadOnly(_ path: String, configuration: Configuration) throws -> DatabasePool {
        try LocalFile.requireRegular(path, what: "a CivicLedger database")
        guard case .regular(let size) = LocalFile.kind(of: path), size > 0 else {
            throw LedgerError(.storeFailure, "\(path) is empty (0 bytes), not a CivicLedger database; nothing was written to it")
        }
        guard try LocalFile.prefix(path, count: 16) == Array("SQLite format 3\u{0}".utf8) else {
            throw LedgerError(.storeFailure, "\(path) is not a SQLite database, so not a CivicLedger ledger; nothing was written to it")
        }
        var configuration = configuration
        configuration.readonly = true
        do {
            let pool = try DatabasePool(path: path, configuration: configuration)
            _ = try pool.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM sqlite_master") }
            return pool
        } catch let error as DatabaseError where error.resultCode == .SQLITE_READONLY || error.resultCode == .SQLITE_CANTOPEN {
            let log = (try? FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? NSNumber)?.intValue ?? 0
            guard log == 0 else {
                throw LedgerError(
                    .storeFailure,
                    "cannot read \(path) in place: it has a write-ahead log (\(path)-wal) that SQLite reads only with write access to its folder; copy the ledger into a folder you can write, or copy it while no process has it open"
                )
            }
            // SQLite reads URIs here (Debian builds it with SQLITE_USE_URI).
            var components = URLComponents()
            components.scheme = "file"
            components.path = URL(fileURLWithPath: path).standardizedFileURL.path
            components.queryItems = [URLQueryItem(name: "immutable", value: "1")]
            let pool = try DatabasePool(path: components.string ?? path, configuration: configuration)
            _ = try pool.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM sqlite_master") }
            return pool
        }
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE entry (
                        position INTEGER PRIMARY KEY,
                        stream TEXT NOT NULL,
                        stream_version INTEGER NOT NULL,
                        place TEXT NOT NULL,
                        idempotency BLOB NOT NULL,
                        bytes BLOB NOT NULL
                    );
                    CREATE UNIQUE INDEX entry_stream ON entry(stream, stream_version);
                    CREATE UNIQUE INDEX entry_idempotency ON entry(idempotency);
                    CREATE TABLE head (
                        id INTEGER PRIMARY KEY CHECK (id = 1),
                        size INTEGER NOT NULL,
                        state BLOB NOT NULL
                    );
                    CREATE TABLE checkpoint (
                        size INTEGER PRIMARY KEY,
                        note TEXT NOT NULL
                    );
                    CREATE TABLE snapshot (
                        name TEXT PRIMARY KEY,
                        position INTEGER NOT NULL,
                        digest BLOB NOT NULL,
                        data BLOB NOT NULL
                    );
                    """)
        }
        return migrator
    }

    /// The `synchronous` setting of the writer connection (2 is FULL).
    public func synchronousLevel() throws -> Int {
        try pool.writeWithoutTransaction { try Int.fetchOne($0, sql: "PRAGMA synchronous") ?? -1 }
    }

    // MARK: EventStore

    public func head() async throws -> StoreHead? {
        try await read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT size, state FROM head WHERE id = 1") else { return nil }
            let state: Data = row[1]
            return StoreHead(size: try Self.count(row[0], "head.size"), state: Array(state))
        }
    }

    public func commit(_ commit: StoreCommit) async throws {
        try await write { db in
            let size = try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(position) + 1, 0) FROM entry") ?? 0
            guard try Self.count(size, "the entry count") == commit.expectedSize else {
                throw LedgerError(.storeConflict, "the log holds \(size) entries, the commit expected \(commit.expectedSize)")
            }
            let insert = try db.cachedStatement(
                sql: "INSERT INTO entry (position, stream, stream_version, place, idempotency, bytes) VALUES (?, ?, ?, ?, ?, ?)")
            for (offset, entry) in commit.entries.enumerated() {
                guard entry.position == commit.expectedSize + UInt64(offset) else {
                    throw LedgerError(.storeFailure, "entry \(offset) of the commit has position \(entry.position)", position: entry.position)
                }
                insert.setUncheckedArguments([
                    Int64(entry.position), entry.stream, Int64(entry.streamVersion), entry.place.path,
                    Data(entry.idempotencyReference.digest), Data(entry.bytes),
                ])
                try insert.execute()
            }
            try db.execute(
                sql: "INSERT INTO head (id, size, state) VALUES (1, ?, ?) ON CONFLICT(id) DO UPDATE SET size = excluded.size, state = excluded.state",
                arguments: [Int64(commit.head.size), Data(commit.head.state)])
            if let checkpoint = commit.checkpoint {
                try Self.insert(checkpoint, db)
            }
        }
        watcher.signal.publish(commit.head.size)
    }

    /// Wakes at once on commits through this object, and within a few
    /// milliseconds on other processes' commits (`PRAGMA data_version`,
    /// watched only while someone waits).
    public func waitForGrowth(beyond size: UInt64, timeout: Duration) async throws -> UInt64? {
        await watcher.wait(beyond: size, timeout: timeout)
    }

    public func entries(from position: UInt64, limit: Int) async throws -> [StoredEntry] {
        guard limit > 0 else { return [] }
        return try await read { db in
            let statement = try db.cachedStatement(sql: "SELECT position, bytes FROM entry WHERE position >= ? ORDER BY position LIMIT ?")
            statement.setUncheckedArguments([Int64(clamping: position), limit])
            return try Self.readEntries(statement, capacity: min(limit, 4096))
        }
    }

    public func entries(inStream stream: String, fromVersion: UInt64, limit: Int) async throws -> [StoredEntry] {
        guard limit > 0 else { return [] }
        return try await read { db in
            let statement = try db.cachedStatement(
                sql: "SELECT position, bytes FROM entry WHERE stream = ? AND stream_version >= ? ORDER BY stream_version LIMIT ?")
            statement.setUncheckedArguments([stream, Int64(clamping: fromVersion), limit])
            return try Self.readEntries(statement, capacity: min(limit, 1024))
        }
    }

    /// Steps a prepared `SELECT position, bytes` straight through SQLite,
    /// copying each blob once into its array.
    static func readEntries(_ statement: Statement, capacity: Int) throws -> [StoredEntry] {
        let sqlite = statement.sqliteStatement
        defer { sqlite3_reset(sqlite) }
        var result: [StoredEntry] = []
        result.reserveCapacity(capacity)
        while true {
            let code = sqlite3_step(sqlite)
            if code == SQLITE_DONE { break }
            guard code == SQLITE_ROW else {
                throw LedgerError(.storeFailure, "reading entries failed: SQLite error \(code)")
            }
            let position = try count(sqlite3_column_int64(sqlite, 0), "entry.position")
            result.append(StoredEntry(position: position, bytes: blob(sqlite, column: 1)))
        }
        return result
    }

    public func streamHeads(_ streams: [String]) async throws -> [String: StreamHead] {
        guard !streams.isEmpty else { return [:] }
        return try await read { db in
            var heads: [String: StreamHead] = [:]
            for chunk in streams.chunked(500) {
                let marks = Array(repeating: "?", count: chunk.count).joined(separator: ",")
                let rows = try Row.fetchCursor(
                    db, sql: "SELECT stream, MAX(stream_version), place FROM entry WHERE stream IN (\(marks)) GROUP BY stream",
                    arguments: StatementArguments(chunk))
                while let row = try rows.next() {
                    heads[row[0]] = StreamHead(version: try Self.count(row[1], "entry.stream_version"), place: try Place(validating: row[2] as String))
                }
            }
            return heads
        }
    }

    public func positions(for references: [IdempotencyReference]) async throws -> [IdempotencyReference: UInt64] {
        guard !references.isEmpty else { return [:] }
        return try await read { db in
            var byDigest: [Data: IdempotencyReference] = [:]
            for reference in references { byDigest[Data(reference.digest)] = reference }
            var found: [IdempotencyReference: UInt64] = [:]
            for chunk in Array(byDigest.keys).chunked(500) {
                let marks = Array(repeating: "?", count: chunk.count).joined(separator: ",")
                let rows = try Row.fetchCursor(
                    db, sql: "SELECT idempotency, position FROM entry WHERE idempotency IN (\(marks))",
                    arguments: StatementArguments(chunk))
                while let row = try rows.next() {
                    let digest: Data = row[0]
                    if let reference = byDigest[digest] { found[reference] = try Self.count(row[1], "entry.position") }
                }
            }
            return found
        }
    }

    public func saveCheckpoint(_ checkpoint: StoredCheckpoint) async throws {
        try await write { db in try Self.insert(checkpoint, db) }
    }

    static func insert(_ checkpoint: StoredCheckpoint, _ db: Database) throws {
        try db.execute(
            sql: "INSERT OR IGNORE INTO checkpoint (size, note) VALUES (?, ?)",
            arguments: [Int64(checkpoint.size), checkpoint.note])
    }

    public func checkpoints(fromSize: UInt64, limit: Int) async throws -> [StoredCheckpoint] {
        try await read { db in
            try Row.fetchAll(
                db, sql: "SELECT size, note FROM checkpoint WHERE size >= ? ORDER BY size LIMIT ?",
                arguments: [Int64(clamping: fromSize), max(0, limit)]
            ).map { StoredCheckpoint(size: try Self.count($0[0], "checkpoint.size"), note: $0[1]) }
        }
    }

    public func replaceCheckpointNote(size: UInt64, expected: String, with note: String) async throws -> Bool {
        let changed = Mutex(false)
        try await write { db in
            try db.execute(
                sql: "UPDATE checkpoint SET note = ? WHERE size = ? AND note = ?", arguments: [note, Int64(clamping: size), expected])
            changed.withLock { $0 = db.changesCount == 1 }
        }
        return changed.withLock { $0 }
    }

    public func latestCheckpoint() async throws -> StoredCheckpoint? {
        try await read { db in
            try Row.fetchOne(db, sql: "SELECT size, note FROM checkpoint ORDER BY size DESC LIMIT 1")
                .map { StoredCheckpoint(size: try Self.count($0[0], "checkpoint.size"), note: $0[1]) }
        }
    }

    /// `flock` on the file `PATH-append.lock` beside the database, waiting up to
    /// ``Options/busyTimeout``; none for a read-only store.
    public func lockAppends() async throws -> (any AppendLock)? {
        guard !options.readOnly else { return nil }
        return try await SQLiteAppendLock.acquire(path + "-append.lock", timeout: options.busyTimeout)
    }

    public func indexRows(from position: UInt64, limit: Int) async throws -> [StoredIndexRow] {
        guard limit > 0 else { return [] }
        return try await read { db in
            let rows = try Row.fetchCursor(
                db, sql: "SELECT position, stream, stream_version, place, idempotency FROM entry WHERE position >= ? ORDER BY position LIMIT ?",
                arguments: [Int64(clamping: position), limit])
            var result: [StoredIndexRow] = []
            while let row = try rows.next() {
                // Columns read as whatever SQLite holds: a text where a
                // number belongs reads as a mismatch, never a trap.
                let stream = (row[1] as String?) ?? ""
                let version = (row[2] as Int64?).flatMap { UInt64(exactly: $0) } ?? .max
                let place = (row[3] as String?) ?? ""
                let idempotency = (row[4] as Data?).map(Array.init) ?? []
                result.append(
                    StoredIndexRow(
                        position: try Self.count(row[0], "entry.position"), stream: stream, streamVersion: version, place: place,
                        idempotency: idempotency))
            }
            return result
        }
    }

    public func repairIndex(_ rows: [StoredIndexRow]) async throws {
        guard !rows.isEmpty else { return }
        try await write { db in
            // Two steps, so that rows whose values swap never meet the
            // unique indexes half-done: first out of the way, then in place.
            for row in rows {
                try db.execute(
                    sql: "UPDATE entry SET stream_version = ?, idempotency = ? WHERE position = ?",
                    arguments: [-1 - Int64(clamping: row.position), Data("repair-\(row.position)".utf8), Int64(clamping: row.position)])
                guard db.changesCount == 1 else {
                    throw LedgerError(.storeFailure, "no entry at position \(row.position) to repair", position: row.position)
                }
            }
            for row in rows {
                try db.execute(
                    sql: "UPDATE entry SET stream = ?, stream_version = ?, place = ?, idempotency = ? WHERE position = ?",
                    arguments: [
                        row.stream, Int64(clamping: row.streamVersion), row.place, Data(row.idempotency), Int64(clamping: row.position),
                    ])
            }
        }
    }

    public func repairHead(_ head: StoreHead) async throws {
        try await write { db in
            try db.execute(
                sql: "INSERT INTO head (id, size, state) VALUES (1, ?, ?) ON CONFLICT(id) DO UPDATE SET size = excluded.size, state = excluded.state",
                arguments: [Int64(clamping: head.size), Data(head.state)])
        }
    }

    // MARK: Plumbing

    func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await pool.read(body)
        } catch let error as LedgerError {
            throw error
        } catch let error as CancellationError {
            throw error
        } catch {
            throw LedgerError(.storeFailure, "reading \(path) failed: \(Self.describe(error))")
        }
    }

    /// One `BEGIN IMMEDIATE` transaction: all or nothing.
    func write(_ body: @escaping @Sendable (Database) throws -> Void) async throws {
        do {
            try await pool.writeWithoutTransaction { db in
                try db.inTransaction(.immediate) {
                    try body(db)
                    return .commit
                }
            }
        } catch let error as LedgerError {
            throw error
        } catch let error as CancellationError {
            throw error
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
            throw LedgerError(.storeConflict, "a unique key is already stored: \(Self.describe(error))")
        } catch {
            throw LedgerError(.storeFailure, "writing \(path) failed: \(Self.describe(error))")
        }
    }

    /// A count or position read from a row: a negative one (a file edited
    /// by hand) is a store failure naming the column, never a trap.
    static func count(_ value: Int64, _ column: String) throws(LedgerError) -> UInt64 {
        guard let count = UInt64(exactly: value) else {
            throw LedgerError(.storeFailure, "\(column) holds \(value), which is not a count or position; run verify")
        }
        return count
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? DatabaseError {
            return "\(error.resultCode): \(error.message ?? "no message")"
        }
        return "\(error)"
    }
}

extension Array {
    func chunked(_ size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min(count, $0 + size)] }
    }
}
