#if PostgreSQL
import CivicLedger
import Logging
import PostgresNIO
import Synchronization

/// A pool of connections to one server (postgres-nio's `PostgresClient`,
/// run by a task of its own) and the deadline for leasing one: what the
/// store and the key vault share.
final class PostgresConnections: Sendable {
    let client: PostgresClient
    let runner: Task<Void, Never>
    let logger: Logger
    /// The server, without a password.
    let location: String
    /// How long a call waits for a connection.
    let leaseTimeout: Duration

    /// Starts a pool for `location`; `leaseTimeout` defaults to its
    /// `connect_timeout`.
    init(location: PostgresLocation, leaseTimeout: Duration?, logger: Logger) async {
        self.location = location.description
        self.leaseTimeout = leaseTimeout ?? location.connectTimeout
        self.logger = logger
        let client = PostgresClient(configuration: location.configuration, backgroundLogger: logger)
        self.client = client
        // Leases wait until the pool runs (run() marks it at once).
        let (started, start) = AsyncStream<Void>.makeStream()
        runner = Task {
            start.finish()
            await client.run()
        }
        for await _ in started {}
    }

    /// Stops the pool.
    func close() {
        runner.cancel()
    }
}

extension PostgresEventStore {
    /// Runs `body` on a connection of the pool (``PostgresConnections``).
    func withConnection<R: Sendable>(_ what: String, _ body: @escaping @Sendable (PostgresConnection) async throws -> R) async throws -> R {
        try await connections.withConnection(what, body)
    }
}

extension PostgresConnections {
    /// Runs `body` on a connection of the pool, waiting at most
    /// ``leaseTimeout`` for one: while the server is away the pool keeps
    /// trying to connect (backing off up to a second or so between tries)
    /// and requests would wait for it, so a caller gets a clear
    /// `.storeFailure` instead of an unbounded wait, and the next call,
    /// once the server is back, goes through. Once it has a connection the
    /// body runs to its end; a connection that closes meanwhile fails the
    /// call at once.
    func withConnection<R: Sendable>(_ what: String, _ body: @escaping @Sendable (PostgresConnection) async throws -> R) async throws -> R {
        let outcome = LeaseOutcome<R>()
        let client = self.client
        let timeout = leaseTimeout
        let location = self.location
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<R, any Error>) in
                outcome.set(continuation)
                let work = Task {
                    do {
                        let result = try await client.withConnection { connection in
                            guard outcome.leased() else { throw CancellationError() }
                            // A connection that closes under the call (the
                            // server stopped) fails it, even should the
                            // query on it never be answered.
                            connection.closeFuture.whenComplete { _ in
                                outcome.finish(
                                    .failure(
                                        LedgerError(
                                            .storeFailure, "\(what) failed: the connection to the database at \(location) closed (the server stopped?)"
                                        )))
                            }
                            return try await body(connection)
                        }
                        outcome.finish(.success(result))
                    } catch {
                        outcome.finish(.failure(PostgresEventStore.failure(error, what)))
                    }
                }
                outcome.setWork(work)
                Task {
                    try? await Task.sleep(for: timeout)
                    if outcome.expire() {
                        work.cancel()
                        outcome.finish(
                            .failure(
                                LedgerError(
                                    .storeFailure,
                                    "\(what) failed: no connection to the database at \(location) within \(timeout) (is the server running and reachable?)"
                                )),
                            force: true)
                    }
                }
            }
        } onCancel: {
            outcome.cancel()
        }
    }
}

/// Who answers a ``PostgresEventStore/withConnection(_:_:)`` call first:
/// the work, or the lease timeout before a connection was leased.
final class LeaseOutcome<R: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<R, any Error>?
        var work: Task<Void, Never>?
        var leased = false
        var expired = false
        var answered = false
    }
    private let state = Mutex(State())

    func set(_ continuation: CheckedContinuation<R, any Error>) {
        state.withLock { $0.continuation = continuation }
    }

    func setWork(_ work: Task<Void, Never>) {
        let cancelled = state.withLock { state in
            state.work = work
            return state.answered
        }
        if cancelled { work.cancel() }
    }

    /// A connection was leased; `false` when the timeout came first.
    func leased() -> Bool {
        state.withLock { state in
            guard !state.expired else { return false }
            state.leased = true
            return true
        }
    }

    /// The timeout passed: `true` when no connection was leased by then.
    func expire() -> Bool {
        state.withLock { state in
            guard !state.leased, !state.answered else { return false }
            state.expired = true
            return true
        }
    }

    /// The caller was cancelled: stop waiting for a connection.
    func cancel() {
        let work = state.withLock { $0.work }
        work?.cancel()
    }

    func finish(_ result: Result<R, any Error>, force: Bool = false) {
        let continuation: CheckedContinuation<R, any Error>? = state.withLock { state in
            guard !state.answered, force || !state.expired else { return nil }
            state.answered = true
            defer { state.continuation = nil }
            return state.continuation
        }
        continuation?.resume(with: result)
    }
}
#endif
