import CivicLedger
import Foundation
import GRDB
import Synchronization

/// Hears of commits to a SQLite ledger, by this process and by others, for
/// ``SQLiteEventStore/waitForGrowth(beyond:timeout:)``.
///
/// Commits through the store object itself are published as they return.
/// Other writers (another process, another store object on the same file)
/// are seen by `PRAGMA data_version` on a connection of the watcher's own:
/// SQLite changes that number on a connection whenever another connection
/// commits. While anyone waits, the watcher reads it every ``interval``
/// and, when it moved, reads the head's size and publishes it. The
/// watcher runs only while there are readers waiting (and a second after),
/// so an idle store costs nothing.
final class SQLiteGrowthWatcher: Sendable {
    let signal = GrowthSignal()
    let path: String
    /// How often the watcher looks at `data_version`.
    let interval: Duration
    let readHead: @Sendable () async throws -> UInt64

    private struct State {
        var running = false
        /// Bumped by every wait; the watcher stops only when it has not
        /// moved for a second and nobody waits.
        var demand: UInt64 = 0
        var connection: DatabaseQueue?
        var closed = false
    }
    private let state = Mutex(State())

    init(path: String, interval: Duration = .milliseconds(5), readHead: @escaping @Sendable () async throws -> UInt64) {
        self.path = path
        self.interval = interval
        self.readHead = readHead
    }

    func wait(beyond size: UInt64, timeout: Duration) async -> UInt64? {
        let start = state.withLock { state in
            state.demand &+= 1
            guard !state.running, !state.closed else { return false }
            state.running = true
            return true
        }
        if start {
            Task.detached { await self.watch() }
        }
        return await signal.wait(beyond: size, timeout: timeout)
    }

    /// Stops watching and closes the watcher's connection.
    func close() {
        let connection = state.withLock { state in
            state.closed = true
            defer { state.connection = nil }
            return state.connection
        }
        try? connection?.close()
    }

    private func watch() async {
        var lastVersion: Int64?
        var seenDemand = state.withLock { $0.demand }
        var idleSince = ContinuousClock.now
        while true {
            // The version before the head: a commit between the two reads
            // moves the version again, and is read on the next tick.
            let version = dataVersion()
            if version == nil || version != lastVersion {
                lastVersion = version
                if let size = try? await readHead() { signal.publish(size) }
            }
            let stop = state.withLock { state in
                if state.closed {
                    state.running = false
                    return true
                }
                if state.demand != seenDemand || signal.waiterCount > 0 {
                    seenDemand = state.demand
                    idleSince = ContinuousClock.now
                    return false
                }
                guard ContinuousClock.now - idleSince > .seconds(1) else { return false }
                state.running = false
                return true
            }
            if stop { return }
            try? await Task.sleep(for: interval)
        }
    }

    /// `PRAGMA data_version` on the watcher's own connection; `nil` when
    /// it cannot be read (then the head is read every tick).
    private func dataVersion() -> Int64? {
        let connection: DatabaseQueue? = state.withLock { state in
            if state.connection == nil, !state.closed {
                var configuration = Configuration()
                configuration.readonly = true
                configuration.label = "civic-ledger.watcher"
                state.connection = try? DatabaseQueue(path: path, configuration: configuration)
            }
            return state.connection
        }
        return try? connection?.inDatabase { db in try Int64.fetchOne(db, sql: "PRAGMA data_version") }
    }
}
