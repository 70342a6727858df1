import CivicLedger
import Foundation
import GRDB

/// A witness's records in a SQLite file of their own: one row per origin,
/// moved only by a compare-and-swap inside a `BEGIN IMMEDIATE`
/// transaction and on disk (WAL, `synchronous = FULL`) before the witness
/// answers, so a restart, or a second witness process on the same file,
/// never sees a record go back.
///
/// ```sql
/// CREATE TABLE witness_log (origin TEXT PRIMARY KEY, size INTEGER NOT NULL, root BLOB NOT NULL, checkpoint TEXT);
/// ```
///
/// (`checkpoint`, the cosigned note served to monitors, is added to a
/// file an earlier version made when it is opened.)
public final class SQLiteWitnessState: WitnessStateStore {
    /// The file's path.
    public let path: String
    private let queue: DatabaseQueue

    /// Opens the state file at `path`, creating it when missing. A file
    /// that exists and is not a witness's state is refused, unchanged.
    ///
    /// - Throws: `LedgerError` `.storeFailure`.
    public init(path: String) throws {
        self.path = path
        do {
            if LocalFile.kind(of: path) != .missing {
                try LocalFile.requireRegular(path, what: "a witness's state")
                let reader = try DatabaseQueue(path: path, configuration: Self.readOnly)
                let isState = try reader.read { try $0.tableExists("witness_log") }
                try reader.close()
                guard isState else {
                    throw LedgerError(.storeFailure, "\(path) is not a witness's state (it has no witness_log table); nothing was written to it")
                }
            }
            var configuration = Configuration()
            configuration.busyMode = .timeout(10)
            queue = try DatabaseQueue(path: path, configuration: configuration)
            try queue.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL")
                try db.execute(
                    sql: "CREATE TABLE IF NOT EXISTS witness_log (origin TEXT PRIMARY KEY, size INTEGER NOT NULL, root BLOB NOT NULL, checkpoint TEXT)")
                if try !db.columns(in: "witness_log").contains(where: { $0.name == "checkpoint" }) {
                    try db.execute(sql: "ALTER TABLE witness_log ADD COLUMN checkpoint TEXT")
                }
            }
        } catch let error as LedgerError {
            throw error
        } catch {
            throw LedgerError(.storeFailure, "cannot open the witness state \(path): \(error)")
        }
    }

    private static var readOnly: Configuration {
        var configuration = Configuration()
        configuration.readonly = true
        return configuration
    }

    public func record(of origin: String) async throws -> WitnessRecord? {
        try await queue.read { db in try Self.record(of: origin, db) }
    }

    public func replace(origin: String, expected: WitnessRecord?, with new: WitnessRecord) async throws -> Bool {
        try await queue.write { db in
            guard try Self.record(of: origin, db) == expected else { return false }
            try db.execute(
                sql: """
                    INSERT INTO witness_log (origin, size, root, checkpoint) VALUES (?, ?, ?, ?)
                    ON CONFLICT(origin) DO UPDATE SET size = excluded.size, root = excluded.root, checkpoint = excluded.checkpoint
                    """,
                arguments: [origin, try Self.column(new.size), Data(new.root.bytes), new.checkpoint])
            return true
        }
    }

    static func column(_ size: UInt64) throws -> Int64 {
        guard let value = Int64(exactly: size) else { throw LedgerError(.storeFailure, "a tree size of \(size) does not fit the witness state") }
        return value
    }

    static func record(of origin: String, _ db: Database) throws -> WitnessRecord? {
        guard let row = try Row.fetchOne(db, sql: "SELECT size, root, checkpoint FROM witness_log WHERE origin = ?", arguments: [origin]) else {
            return nil
        }
        let size: Int64 = row[0]
        let root: Data = row[1]
        guard let count = UInt64(exactly: size), let digest = Digest(root) else {
            throw LedgerError(.storeFailure, "the witness state holds a record of \(origin) with size \(size) and a root of \(root.count) bytes")
        }
        return WitnessRecord(size: count, root: digest, checkpoint: row[2])
    }
}
