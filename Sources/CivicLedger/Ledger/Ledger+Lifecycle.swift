import ServiceLifecycle

extension Ledger {
    /// Opens the ledger `store` holds, or creates it when the store is
    /// empty: what a service calls on every start.
    ///
    /// - Parameters:
    ///   - store: the store, empty or holding the ledger.
    ///   - origin: the origin the ledger must have; an existing ledger with
    ///     another origin is refused.
    ///   - authority: the authority key, which signs the genesis entry; used
    ///     only when the ledger is created.
    ///   - logSigner: the log key.
    ///   - permissions: the first permission table, for a new ledger.
    ///   - domain: the domain to enforce, as ``open(store:logSigner:domain:clock:configuration:)`` takes it.
    ///   - clock: the source of recorded times.
    ///   - configuration: checkpoint cadence, batch limits, snapshots, logging, metrics.
    /// - Throws: ``LedgerError`` `.wrongOrigin` when the store holds a
    ///   ledger of another origin; what `create` and `open` throw.
    public static func openOrCreate(
        store: any EventStore, origin: String, authority: any Signer, logSigner: any Signer, permissions: PermissionTable,
        domain: (any LedgerDomain)? = nil, clock: any LedgerClock = SystemClock(), configuration: LedgerConfiguration = LedgerConfiguration()
    ) async throws -> Ledger {
        if try await store.head() == nil {
            do {
                return try await create(
                    store: store, origin: origin, authority: authority, logSigner: logSigner, permissions: permissions, domain: domain,
                    clock: clock, configuration: configuration)
            } catch let error as LedgerError where error.code == .storeConflict || error.code == .alreadyInitialised {
                // Another process created it first: open theirs.
            }
        }
        let ledger = try await open(store: store, logSigner: logSigner, domain: domain, clock: clock, configuration: configuration)
        guard ledger.origin == origin else {
            throw LedgerError(.wrongOrigin, "the store holds the ledger \"\(ledger.origin)\", not \"\(origin)\"")
        }
        return ledger
    }

    /// Whether ``close()`` was called: the ledger takes no more appends.
    public var isClosing: Bool { closing }

    /// Shuts the ledger down without losing anything acknowledged or
    /// accepted: refuses new appends (`.closed`), waits until every append
    /// already queued is committed and answered, then, with the log key,
    /// signs a checkpoint of the whole log and, when the log grew by
    /// ``LedgerConfiguration/stateSnapshotOnCloseMinimum`` entries since
    /// the last state snapshot, seals a new one, so that the next open
    /// reads little. The store stays open: it belongs
    /// to the caller. Calling it again does nothing more.
    ///
    /// - Throws: store and signing errors of the last checkpoint or
    ///   snapshot; every queued append has been answered by then.
    public func close() async throws {
        let first = !closing
        closing = true
        if queue.state != .idle {
            await withCheckedContinuation { drainWaiters.append($0) }
        }
        await stateSnapshotTask?.value
        guard first, logSigner != nil else { return }
        if frontier.size > lastCheckpoint.size { _ = try await checkpoint() }
        let grown = frontier.size - min(lastStateSnapshot, frontier.size)
        if configuration.stateSnapshotInterval > 0, grown > 0, grown >= configuration.stateSnapshotOnCloseMinimum {
            try await saveStateSnapshot()
        }
        logger.debug("ledger closed", metadata: ["size": "\(frontier.size)"])
    }
}

/// A ledger is a service: in a `ServiceGroup` it runs until the group
/// shuts down gracefully (or is cancelled), then drains (``close()``), so
/// no acknowledged append is lost. List it before the services that append
/// to it (an HTTP server): the group shuts services down in reverse order,
/// so the server stops taking requests first and the ledger drains last.
///
/// ```swift
/// let group = ServiceGroup(services: [ledger, board, server], gracefulShutdownSignals: [.sigterm], logger: logger)
/// try await group.run()
/// ```
extension Ledger: Service {
    /// Waits for graceful shutdown or cancellation, then closes the ledger.
    public nonisolated func run() async throws {
        try? await gracefulShutdown()
        try await close()
    }
}

/// A live projection is a service: it follows the log until the group
/// shuts down gracefully, then saves its snapshot and returns.
extension LiveProjection: Service {
    /// ``follow()`` until graceful shutdown or cancellation.
    public func run() async throws {
        try await cancelWhenGracefulShutdown { try await self.follow() }
    }
}
