import CivicLedger
import Foundation
import GRDB
import GRDBSQLite

extension SQLiteEventStore {
    public func saveSnapshot(_ snapshot: ProjectionSnapshot) async throws {
        try await write { db in
            try db.execute(
                sql: "INSERT OR REPLACE INTO snapshot (name, position, digest, data) VALUES (?, ?, ?, ?)",
                arguments: [snapshot.name, Int64(snapshot.position), Data(snapshot.digest.bytes), Data(snapshot.data)])
        }
    }

    public func snapshot(named name: String) async throws -> ProjectionSnapshot? {
        try await read { db in
            // Read with SQLite's own calls: the data can be tens of
            // megabytes, and is copied once, into the array returned.
            let statement = try db.cachedStatement(sql: "SELECT position, digest, data FROM snapshot WHERE name = ?")
            statement.setUncheckedArguments([name])
            let sqlite = statement.sqliteStatement
            defer { sqlite3_reset(sqlite) }
            let code = sqlite3_step(sqlite)
            if code == SQLITE_DONE { return nil }
            guard code == SQLITE_ROW else { throw LedgerError(.storeFailure, "reading snapshot \(name) failed: SQLite error \(code)") }
            let position = try Self.count(sqlite3_column_int64(sqlite, 0), "snapshot.position")
            let digest = Self.blob(sqlite, column: 1)
            let data = Self.blob(sqlite, column: 2)
            guard let parsed = Digest(digest) else {
                throw LedgerError(.invalidSnapshot, "snapshot \(name) has a digest of \(digest.count) bytes")
            }
            return ProjectionSnapshot(name: name, position: position, digest: parsed, data: data)
        }
    }

    /// Lends the snapshot as SQLite incremental blob reads, on a reader
    /// connection and off the cooperative pool: the data is never in
    /// memory whole.
    public func readSnapshot<R: Sendable>(named name: String, _ body: @escaping @Sendable (SnapshotReader) throws -> R) async throws -> R? {
        try await read { db in
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT rowid, position, digest, length(data) FROM snapshot WHERE name = ?", arguments: [name])
            else { return nil }
            let rowid: Int64 = row[0]
            let position = try Self.count(row[1], "snapshot.position")
            let digestBytes: Data = row[2]
            let length = try Self.count(row[3], "length(snapshot.data)")
            guard let digest = Digest(digestBytes), length <= UInt64(Int32.max) else {
                throw LedgerError(.invalidSnapshot, "snapshot \(name) has a digest of \(digestBytes.count) bytes or data of \(length)")
            }
            var blob: OpaquePointer?
            let opened = sqlite3_blob_open(db.sqliteConnection, "main", "snapshot", "data", rowid, 0, &blob)
            defer { sqlite3_blob_close(blob) }
            guard opened == SQLITE_OK else { throw LedgerError(.storeFailure, "reading snapshot \(name) failed: SQLite error \(opened)") }
            let reader = SnapshotReader(name: name, position: position, digest: digest, count: Int(length)) { buffer, offset in
                let code = sqlite3_blob_read(blob, buffer.baseAddress, Int32(buffer.count), Int32(offset))
                guard code == SQLITE_OK else { throw LedgerError(.storeFailure, "reading snapshot \(name) failed: SQLite error \(code)") }
            }
            return try body(reader)
        }
    }

    /// A blob column of the current row, copied once.
    static func blob(_ sqlite: OpaquePointer?, column: Int32) -> [UInt8] {
        let count = Int(sqlite3_column_bytes(sqlite, column))
        return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            if count > 0, let blob = sqlite3_column_blob(sqlite, column) {
                UnsafeMutableRawBufferPointer(buffer).copyMemory(from: UnsafeRawBufferPointer(start: blob, count: count))
            }
            initialized = count
        }
    }
}
