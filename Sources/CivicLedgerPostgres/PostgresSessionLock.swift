#if PostgreSQL
import CivicLedger
import Logging
import PostgresNIO
import Synchronization

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
        let answer = Answer()
        let holder = Task {
            do {
                try await store.withConnection("taking the append lock") { connection in
                    try await PostgresEventStore.drain(await connection.query("SELECT pg_advisory_lock(\(key))", logger: logger))
                    answer.give(.success(PostgresSessionLock(release: release)))
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
                answer.give(.failure(PostgresEventStore.failure(error, "taking the append lock")))
            }
        }
        _ = holder
        return try await answer.value()
    }

    /// The outcome of taking the lock, given once.
    private final class Answer: Sendable {
        private let state = Mutex<(result: Result<PostgresSessionLock, LedgerError>?, waiter: CheckedContinuation<PostgresSessionLock, any Error>?)>(
            (nil, nil))

        func give(_ result: Result<PostgresSessionLock, LedgerError>) {
            let waiter: CheckedContinuation<PostgresSessionLock, any Error>? = state.withLock { state in
                guard state.result == nil else { return nil }
                state.result = result
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(with: result.mapError { $0 as any Error })
        }

        func value() async throws -> PostgresSessionLock {
            try await withCheckedThrowingContinuation { continuation in
                let ready: Result<PostgresSessionLock, LedgerError>? = state.withLock { state in
                    if state.result == nil { state.waiter = continuation }
                    return state.result
                }
                if let ready { continuation.resume(with: ready.mapError { $0 as any Error }) }
            }
        }
    }
}
#endif
