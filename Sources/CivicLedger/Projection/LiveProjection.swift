import Logging
import Synchronization

/// A projection kept up to date with a store's log, for the read side of a
/// service: it resumes from its snapshot, catches up, follows every commit
/// (this process's and other writers'), saves snapshots as it goes, and
/// answers reads while it folds.
///
/// ```swift
/// let board = LiveProjection<CaseBoard>(store: store)
/// let follower = Task { try await board.follow() }      // or run it in a ServiceGroup
/// let receipt = try await ledger.append(report)
/// let state = try await board.read(atLeast: receipt.position) { $0[stream]?.state }
/// ```
///
/// - ``read(_:)`` lends the current value to a closure: nothing is copied,
///   and the next fold changes it in place. ``value`` returns a copy
///   instead; a copy kept while the projection folds on makes that fold
///   copy the whole projection once (copy-on-write), so prefer `read` for
///   large projections.
/// - ``read(atLeast:timeout:_:)`` and ``value(atLeast:timeout:)`` wait
///   until the projection has folded a position (an append's receipt),
///   which gives read-your-writes across processes.
/// - It never skips a position (``LedgerFeed``) and never stalls on a
///   missed wake-up; a store that fails (`store-failure`) is retried with
///   backoff, logged, from the position reached. An entry the projection
///   cannot fold stops it: ``follow()`` throws, and so does every read that
///   waits, with that error.
/// - Snapshots are saved every ``Options/snapshotInterval`` entries,
///   once ``Options/snapshotAge`` has passed with new entries folded, and
///   when ``follow()`` ends; a failed save is logged and retried next time.
public final class LiveProjection<P: Projection>: Sendable {
    /// How the projection follows the log.
    public struct Options: Sendable {
        /// Save a snapshot after this many new entries. Default 100,000.
        public var snapshotInterval: UInt64 = 100_000
        /// Save a snapshot when the last one is this old and entries were
        /// folded since. Default five minutes.
        public var snapshotAge: Duration = .seconds(300)
        /// Whether snapshots are saved at all; off for a reader of a store
        /// it must not write. Default `true`.
        public var savesSnapshots = true
        /// Resume from the stored snapshot before catching up. Default `true`.
        public var resumesFromSnapshot = true
        /// Entries read at a time. Default 1,024.
        public var pageSize = 1024
        /// The longest a follower waits for a wake-up before it reads the
        /// store again (``LedgerFeed/recheckInterval``). Default one second.
        public var recheckInterval: Duration = .seconds(1)
        /// The first wait after a store failure; doubled up to five seconds.
        public var retryDelay: Duration = .milliseconds(100)
        /// The defaults.
        public init() {}
    }

    private struct State {
        var projection: P
    }

    /// The store followed. Snapshots are saved to it when it is also an
    /// ``EventStore`` and ``Options/savesSnapshots`` is on.
    public let store: any EventStoreReader
    /// How it follows.
    public let options: Options
    let logger: Logger
    private let state: Mutex<State>
    /// The projection's next position as it folds: what readers wait on.
    private let progress = GrowthSignal()

    /// A projection of `store`, starting from `initial` (empty by default;
    /// ``run()`` then resumes it from its snapshot).
    public init(
        store: any EventStoreReader, initial: P = P(), options: Options = Options(),
        logger: Logger = Logger(label: "civic-ledger.projection")
    ) {
        self.store = store
        self.options = options
        self.logger = logger
        self.state = Mutex(State(projection: initial))
        progress.publish(initial.nextPosition)
    }

    // MARK: Reading

    /// The position of the next entry the projection needs: it has folded
    /// every entry before it.
    public var nextPosition: UInt64 { state.withLock { $0.projection.nextPosition } }

    /// Runs `body` on the current value, without copying it. Keep `body`
    /// short: the projection does not fold while it runs.
    public func read<R: Sendable>(_ body: (borrowing P) throws -> R) rethrows -> R {
        try state.withLock { state in try body(state.projection) }
    }

    /// A copy of the current value (see the type's note on copies).
    public var value: P { state.withLock { $0.projection } }

    /// Runs `body` on the value once the projection has folded `position`.
    ///
    /// - Throws: ``LedgerError`` `.timedOut` when it has not within
    ///   `timeout`; the error that stopped the projection; `CancellationError`.
    public func read<R: Sendable>(atLeast position: UInt64, timeout: Duration = .seconds(30), _ body: (borrowing P) throws -> R) async throws -> R {
        try await reach(position, timeout: timeout)
        return try read(body)
    }

    /// A copy of the value once the projection has folded `position`.
    public func value(atLeast position: UInt64, timeout: Duration = .seconds(30)) async throws -> P {
        try await read(atLeast: position, timeout: timeout) { copy $0 }
    }

    /// Returns once the projection has folded `position`.
    ///
    /// - Throws: as ``read(atLeast:timeout:_:)``.
    public func reach(_ position: UInt64, timeout: Duration = .seconds(30)) async throws {
        switch await progress.outcome(beyond: position, timeout: timeout) {
        case .reached: return
        case .failed(let error): throw error
        case .cancelled: throw CancellationError()
        case .timedOut:
            throw LedgerError(
                .timedOut, "\(P.name) did not reach position \(position) within \(timeout) (it is at \(nextPosition))", position: position)
        }
    }

    // MARK: Following

    /// Resumes the projection from its snapshot (unless it already holds
    /// entries, or ``Options/resumesFromSnapshot`` is off), folds the log,
    /// and follows it until the task is cancelled; then saves a last
    /// snapshot and returns. ``run()`` (the `Service` requirement) does
    /// this until a service group shuts down gracefully.
    ///
    /// - Throws: the error of an entry the projection cannot fold, or of a
    ///   store that does not hold a ledger; store failures are retried.
    public func follow() async throws {
        var runner = ProjectionRunner<P>(store: store, logger: logger)
        runner.savesSnapshots = options.savesSnapshots && store is any EventStore
        if options.resumesFromSnapshot, nextPosition == 0 {
            do {
                let resumed = try await runner.resume()
                state.withLock { state in
                    if state.projection.nextPosition == 0 { state.projection = resumed }
                }
                progress.publish(nextPosition)
            } catch let error as LedgerError where error.code == .storeFailure {
                // Slower, never wrong: the log is folded from the start.
                logger.warning("snapshot not read; folding the log", metadata: ["projection": "\(P.name)", "error": "\(error)"])
            }
        }
        var saved = (position: nextPosition, at: ContinuousClock.now)
        var delay = options.retryDelay
        while !Task.isCancelled {
            do {
                let feed = LedgerFeed(store: store, from: nextPosition, pageSize: options.pageSize, recheckInterval: options.recheckInterval)
                for try await page in feed {
                    try fold(page)
                    delay = options.retryDelay
                    let position = page[page.count - 1].position + 1
                    if runner.savesSnapshots,
                        position - saved.position >= options.snapshotInterval
                            || (position > saved.position && ContinuousClock.now - saved.at >= options.snapshotAge)
                    {
                        await save(runner)
                        saved = (position, ContinuousClock.now)
                    }
                }
            } catch where Task.isCancelled {
                break
            } catch let error as LedgerError where error.code == .storeFailure {
                logger.warning(
                    "store failed; retrying", metadata: ["projection": "\(P.name)", "position": "\(nextPosition)", "error": "\(error)"])
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(5))
            } catch {
                fail(error)
                throw error
            }
        }
        if runner.savesSnapshots, nextPosition > saved.position { await save(runner) }
    }

    /// Folds a page, a few entries per hold of the lock so readers wait
    /// little, and wakes the readers it satisfies.
    private func fold(_ page: [LedgerEntry]) throws {
        var start = 0
        while start < page.count {
            let end = min(page.count, start + 256)
            let next = try state.withLock { state in
                for index in start..<end { try state.projection.fold(page[index]) }
                return state.projection.nextPosition
            }
            progress.publish(next)
            start = end
        }
    }

    private func fail(_ error: any Error) {
        progress.fail(error)
    }

    /// Saves a snapshot: the value is copied under the lock and encoded
    /// outside it, in a task of its own so that the last save, when the
    /// follower is cancelled, still runs.
    private func save(_ runner: ProjectionRunner<P>) async {
        let copy = value
        do {
            try await Task { try await runner.save(copy) }.value
        } catch {
            logger.warning("snapshot not saved", metadata: ["projection": "\(P.name)", "error": "\(error)"])
        }
    }
}
