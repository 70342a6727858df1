#if PostgreSQL
import CivicLedger
import Logging
import PostgresNIO
import Synchronization

/// Hears of commits to a PostgreSQL ledger by every instance, for
/// ``PostgresEventStore/waitForGrowth(beyond:timeout:)``.
///
/// Each commit notifies the ledger's channel (its schema's name) with the
/// new size, in the commit's own transaction (docs/format.md §8.2). The
/// listener holds one connection of the pool that `LISTEN`s on the
/// channel and publishes every size it hears to a ``GrowthSignal``. When
/// the connection drops, notifications sent meanwhile are lost: the
/// listener connects again (after 0.1 s, doubling to 2 s) and, once
/// listening, reads the head and publishes its size, so a reader catches
/// up from its own position and never skips. It starts with the first
/// wait and runs until the store closes.
final class PostgresGrowthListener: Sendable {
    let signal = GrowthSignal()
    private let client: PostgresClient
    private let channel: String
    private let logger: Logger
    private let readHead: @Sendable () async throws -> UInt64
    private let task = Mutex<Task<Void, Never>?>(nil)
    private let closed = Mutex(false)

    init(client: PostgresClient, channel: String, logger: Logger, readHead: @escaping @Sendable () async throws -> UInt64) {
        self.client = client
        self.channel = channel
        self.logger = logger
        self.readHead = readHead
    }

    /// Waits for a size above `size`, starting the listener if needed.
    func wait(beyond size: UInt64, timeout: Duration) async -> UInt64? {
        start()
        return await signal.wait(beyond: size, timeout: timeout)
    }

    private func start() {
        task.withLock { task in
            guard task == nil, !closed.withLock({ $0 }) else { return }
            task = Task.detached { await self.listen() }
        }
    }

    func close() {
        closed.withLock { $0 = true }
        task.withLock { $0?.cancel() }
    }

    private func listen() async {
        var delay = Duration.milliseconds(100)
        while !Task.isCancelled {
            do {
                try await client.withConnection { connection in
                    try await connection.listen(on: channel) { notifications in
                        // Listening now: whatever was committed before is in the head.
                        delay = .milliseconds(100)
                        self.signal.publish(try await self.readHead())
                        for try await notification in notifications {
                            if let size = UInt64(notification.payload) { self.signal.publish(size) }
                        }
                    }
                }
            } catch {
                if Task.isCancelled { return }
                logger.notice(
                    "listening for commits failed; listening again", metadata: ["error": "\(PostgresEventStore.failure(error, "listening").message)"])
            }
            try? await Task.sleep(for: delay)
            delay = min(delay * 2, .seconds(2))
        }
    }
}

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
