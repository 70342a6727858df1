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

#endif
