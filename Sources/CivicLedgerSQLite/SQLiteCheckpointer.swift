import Foundation
import GRDBSQLite
import Synchronization

/// Copies the write-ahead log into the database file off the commit path.
///
/// SQLite's automatic checkpoint runs inside the commit that crosses its
/// threshold: that commit, and every append waiting behind it, pays for
/// copying a thousand pages into the file and syncing it. The store turns
/// it off on its writer connection and installs a WAL hook instead: once
/// the log holds ``threshold`` pages, a `PASSIVE` checkpoint runs on a
/// connection of its own, on a queue of its own, while commits go on (a
/// passive checkpoint never waits for the writer). Should the log still
/// reach ``ceiling`` pages, the writer checkpoints it itself, as SQLite
/// would, so the log stays bounded.
final class SQLiteCheckpointer: Sendable {
    /// SQLite's own automatic-checkpoint threshold.
    static let threshold: Int32 = 1000
    /// Where the writer checkpoints within the commit, as SQLite would.
    static let ceiling: Int32 = 16_000

    private let path: String
    private let running = Mutex(false)
    private let queue = DispatchQueue(label: "civic-ledger.sqlite.checkpoint", qos: .utility)

    init(path: String) {
        self.path = path
    }

    /// Turns SQLite's automatic checkpoint off on `connection` (the
    /// writer) and hooks this checkpointer to it. The hook holds the
    /// checkpointer until ``uninstall(from:)`` (a store dropped without
    /// `close()` leaves it behind, a few hundred bytes).
    func install(on connection: OpaquePointer) {
        sqlite3_wal_autocheckpoint(connection, 0)
        let context = Unmanaged.passRetained(self).toOpaque()
        sqlite3_wal_hook(
            connection,
            { context, connection, _, pages in
                guard let context else { return SQLITE_OK }
                let checkpointer = Unmanaged<SQLiteCheckpointer>.fromOpaque(context).takeUnretainedValue()
                if pages >= SQLiteCheckpointer.ceiling {
                    sqlite3_wal_checkpoint_v2(connection, nil, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
                } else if pages >= SQLiteCheckpointer.threshold {
                    checkpointer.start()
                }
                return SQLITE_OK
            }, context)
    }

    /// Unhooks the checkpointer from `connection` and lets it go, after a
    /// checkpoint that is running ends.
    func uninstall(from connection: OpaquePointer) {
        sqlite3_wal_hook(connection, nil, nil)
        queue.sync {}
        Unmanaged.passUnretained(self).release()
    }

    /// Starts a checkpoint unless one is running.
    private func start() {
        let idle = running.withLock { running in
            defer { running = true }
            return !running
        }
        guard idle else { return }
        queue.async { [self] in
            checkpoint()
            running.withLock { $0 = false }
        }
    }

    /// One passive checkpoint on a connection opened for it. A failure
    /// (the file busy, gone, read-only) only leaves the log to the next
    /// one or to the writer.
    private func checkpoint() {
        var connection: OpaquePointer?
        defer { sqlite3_close_v2(connection) }
        guard sqlite3_open_v2(path, &connection, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nil) == SQLITE_OK, let connection else {
            return
        }
        sqlite3_busy_timeout(connection, 1000)
        // The checkpoint syncs the log before and the file after copying.
        sqlite3_exec(connection, "PRAGMA synchronous = FULL", nil, nil, nil)
        sqlite3_wal_checkpoint_v2(connection, nil, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
    }
}
