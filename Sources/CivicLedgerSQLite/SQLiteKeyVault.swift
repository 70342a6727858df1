import CivicLedger
import Foundation
import GRDB
import Synchronization

/// A `KeyVault` in its own SQLite file, kept apart from the ledger so
/// that the ledger can be copied to an auditor without the keys.
///
/// The file is created with mode 0600. `secure_delete` is on, so a
/// destroyed key is overwritten in the file rather than left in a free
/// page; the vault uses the rollback journal (not WAL), whose journal file
/// is deleted after each transaction. Erasure is remembered, so an erased
/// subject never gets a new key.
public final class SQLiteKeyVault: KeyVault {
    /// The vault file's path.
    public let path: String
    let queue: DatabaseQueue

    /// Closes the vault file; the vault is unusable after.
    public func close() throws {
        // GRDB traps on a queue used after it closed: refuse every call from now on first.
        let wasClosed = closed.withLock { closed in
            let was = closed
            closed = true
            return was
        }
        guard !wasClosed else { return }
        do { try queue.close() } catch { throw LedgerError(.storeFailure, "closing the key vault \(path) failed: \(error)") }
    }

    /// Set by ``close()``: every call after it is refused, never handed to
    /// the closed queue.
    private let closed = Mutex(false)

    /// The queue, unless the vault was closed.
    private var openQueue: DatabaseQueue {
        get throws {
            if closed.withLock({ $0 }) { throw LedgerError(.closed, "the key vault \(path) is closed") }
            return queue
        }
    }

    /// Opens or creates the vault at `path`. A vault this process may not
    /// write (a read-only copy) is opened read-only: it gives the keys it
    /// holds and makes none.
    ///
    /// - Throws: `LedgerError` `.storeFailure` when it cannot be opened.
    public init(path: String) throws {
        self.path = path
        var readOnly = false
        do {
            if LocalFile.kind(of: path) != .missing {
                // Look before writing: a file that is not a vault is refused, unchanged.
                try LocalFile.requireRegular(path, what: "a key vault")
                var looking = Configuration()
                looking.readonly = true
                let reader = try DatabaseQueue(path: path, configuration: looking)
                let isVault = try reader.read { try $0.tableExists("field_key") }
                try reader.close()
                guard isVault else {
                    throw LedgerError(.storeFailure, "\(path) is not a key vault (it has no field_key table); nothing was written to it")
                }
                readOnly = access(path, W_OK) != 0
            } else {
                guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                    throw LedgerError(.storeFailure, "cannot create the key vault \(path)")
                }
            }
            var configuration = Configuration()
            configuration.label = "civic-ledger.vault"
            configuration.readonly = readOnly
            if !readOnly { configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA secure_delete = ON") } }
            queue = try DatabaseQueue(path: path, configuration: configuration)
            self.readOnly = readOnly
            if readOnly {
                guard try queue.read({ try $0.tableExists("erased") }) else {
                    throw LedgerError(.storeFailure, "the key vault \(path) is read-only and has no erased table")
                }
                return
            }
            try queue.write { db in
                try db.execute(
                    sql: """
                        CREATE TABLE IF NOT EXISTS field_key (subject TEXT PRIMARY KEY, key BLOB NOT NULL) STRICT;
                        CREATE TABLE IF NOT EXISTS erased (subject TEXT PRIMARY KEY) STRICT;
                        """)
            }
        } catch let error as LedgerError {
            throw error
        } catch {
            throw LedgerError(.storeFailure, "cannot open the key vault \(path): \(error)")
        }
    }

    /// Whether the vault was opened read-only (this process may not write
    /// its file): it gives the keys it holds and makes none.
    public let readOnly: Bool

    public func key(for subject: String) async throws -> FieldKey {
        if readOnly { return try await openQueue.read { db in try self.held(subject, in: db) } }
        return try await openQueue.write { db in try Self.key(for: subject, in: db) }
    }

    public func keys(for subjects: [String]) async throws -> [String: FieldKey] {
        if readOnly {
            return try await openQueue.read { db in
                var keys: [String: FieldKey] = [:]
                for subject in subjects { keys[subject] = try self.held(subject, in: db) }
                return keys
            }
        }
        return try await openQueue.write { db in
            var keys: [String: FieldKey] = [:]
            for subject in subjects { keys[subject] = try Self.key(for: subject, in: db) }
            return keys
        }
    }

    static func key(for subject: String, in db: Database) throws -> FieldKey {
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM erased WHERE subject = ?", arguments: [subject]) == true {
                throw LedgerError(.erased, "subject \(subject) was erased; its key is destroyed")
            }
            if let bytes = try Data.fetchOne(db, sql: "SELECT key FROM field_key WHERE subject = ?", arguments: [subject]) {
                return try Self.key(bytes)
            }
            let key = FieldKey.generate()
            try db.execute(sql: "INSERT INTO field_key (subject, key) VALUES (?, ?)", arguments: [subject, Data(key.bytes.bytes)])
            return key
    }

    /// The key a read-only vault holds for `subject`.
    private func held(_ subject: String, in db: Database) throws -> FieldKey {
        if try Bool.fetchOne(db, sql: "SELECT 1 FROM erased WHERE subject = ?", arguments: [subject]) == true {
            throw LedgerError(.erased, "subject \(subject) was erased; its key is destroyed")
        }
        guard let bytes = try Data.fetchOne(db, sql: "SELECT key FROM field_key WHERE subject = ?", arguments: [subject]) else {
            throw LedgerError(.storeFailure, "the key vault \(path) is read-only here and holds no key for \(subject)")
        }
        return try Self.key(bytes)
    }

    public func existingKey(for subject: String) async throws -> FieldKey? {
        try await openQueue.read { db in
            try Data.fetchOne(db, sql: "SELECT key FROM field_key WHERE subject = ?", arguments: [subject]).map(Self.key)
        }
    }

    public func destroy(subject: String) async throws {
        try await openQueue.write { db in
            try db.execute(sql: "DELETE FROM field_key WHERE subject = ?", arguments: [subject])
            try db.execute(sql: "INSERT OR IGNORE INTO erased (subject) VALUES (?)", arguments: [subject])
        }
    }

    public func isErased(_ subject: String) async throws -> Bool {
        try await openQueue.read { db in
            try Bool.fetchOne(db, sql: "SELECT 1 FROM erased WHERE subject = ?", arguments: [subject]) == true
        }
    }

    static func key(_ data: Data) throws -> FieldKey {
        guard let bytes = Bytes32(data) else { throw LedgerError(.storeFailure, "a vault key is \(data.count) bytes, not 32") }
        return FieldKey(bytes: bytes)
    }
}
