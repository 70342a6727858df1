#if PostgreSQL
import CivicLedger
import Logging
import PostgresNIO

/// A session-level advisory lock held on a connection of its own until
/// unlocked: what ``PostgresEventStore/lockAppends()`` returns. Should the
/// connection or the process die, the server releases the lock.
final class PostgresSessionLock: AppendLock {
    private let release: AsyncStream<Void>.Continuation

    private init(release: AsyncStream<Void>.Continuation) {
        self.release = release
    }

    func unlock() {
        release.yield()
        release.finish()
    }

    deinit {
        // A lock dropped without unlock() is released, not held forever.
        release.finish()
    }

    /// Waits for the advisory lock `key` on a connection of `store`'s pool
    /// (at most the store's lease timeout for the connection).
    static func acquire(_ key: Int64, store: PostgresEventStore, logger: Logger) async throws -> PostgresSessionLock {
        let (released, release) = AsyncStream<Void>.makeStream()
        // The holder hands out the lock (or its failure) once, here.
        let (answer, answering) = AsyncThrowingStream<PostgresSessionLock, any Error>.makeStream()
        Task {
            do {
                try await store.withConnection("taking the append lock") { connection in
                    try await PostgresEventStore.drain(await connection.query("SELECT pg_advisory_lock(\(key))", logger: logger))
                    answering.yield(PostgresSessionLock(release: release))
                    answering.finish()
                    for await _ in released { break }
                    do {
                        try await PostgresEventStore.drain(await connection.query("SELECT pg_advisory_unlock(\(key))", logger: logger))
                    } catch {
                        // The session ends, and the lock with it: the
                        // connection never goes back to the pool holding it.
                        try? await connection.close()
                    }
                }
            } catch {
                answering.finish(throwing: error)
            }
        }
        for try await lock in answer { return lock }
        throw LedgerError(.storeFailure, "taking the append lock failed")
    }
}
#endif
