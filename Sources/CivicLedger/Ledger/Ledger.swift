import Logging

/// An actor-signed, append-only ledger on an ``EventStore``.
///
/// Every entry is an event signed by the actor who acted. The ledger checks
/// each signature and the signer's authority, assigns a gapless position
/// and its own recorded time, and commits the entry durably. The log is an
/// RFC 6962 Merkle tree over the stored entry bytes; the ledger's log key
/// signs checkpoints of it.
///
/// Appends from many tasks are verified in parallel and committed together
/// (group commit): a call returns once its entry is durable.
///
/// ```swift
/// let ledger = try await Ledger.create(
///     store: store, origin: "ledger.example/dongsheng",
///     authority: authorityKey, logSigner: logKey, permissions: table)
/// let receipt = try await ledger.append(signedEvent)
/// let checkpoint = try await ledger.checkpoint()
/// ```
public actor Ledger {
    /// The store the ledger writes to, which only the ledger writes through.
    nonisolated let writer: any EventStore
    /// The store the ledger writes to, for reading: the feed, projections,
    /// audits and proofs read through it; appends go through the ledger.
    public nonisolated var store: any EventStoreReader { writer }
    /// The ledger's origin, the first line of its checkpoints.
    public nonisolated let origin: String
    /// The public key that signs checkpoints, named at genesis.
    public nonisolated let logKey: PublicKey

    let logSigner: (any Signer)?
    let clock: any LedgerClock
    nonisolated let metrics: LedgerMetrics
    let configuration: LedgerConfiguration
    var logger: Logger { configuration.logger }

    /// The committed state: what the store holds after the last commit.
    var committed: CommittedLedgerState
    // Its parts, by name (read and changed in place, never copied).
    var registryState: AuthorityRegistry {
        _read { yield committed.registry }
        _modify { yield &committed.registry }
    }
    var frontier: MerkleFrontier {
        _read { yield committed.frontier }
        _modify { yield &committed.frontier }
    }
    var lastRecordedAt: Timestamp {
        _read { yield committed.lastRecordedAt }
        _modify { yield &committed.lastRecordedAt }
    }
    var streamCache: [String: StreamHead] {
        _read { yield committed.streamCache }
        _modify { yield &committed.streamCache }
    }
    var recentReferences: RecentReferences {
        _read { yield committed.recentReferences }
        _modify { yield &committed.recentReferences }
    }
    var lastCheckpoint: (size: UInt64, time: Timestamp) {
        _read { yield committed.lastCheckpoint }
        _modify { yield &committed.lastCheckpoint }
    }
    var checkpointFrontier: MerkleFrontier? {
        _read { yield committed.checkpointFrontier }
        _modify { yield &committed.checkpointFrontier }
    }
    var domainCommitted: (any LedgerDomain)? {
        _read { yield committed.domain }
        _modify { yield &committed.domain }
    }
    var needsResync = false
    /// The log size at the last state snapshot, and the one being saved.
    var lastStateSnapshot: UInt64 = 0
    var stateSnapshotTask: Task<Void, Never>?
    /// The domain's state that plans fold into (the committed one is in
    /// ``committed``): moved into the planner for each batch.
    var domainWorking: (any LedgerDomain)?

    var queue = AppendQueue<PendingAppend>()
    /// The domain the genesis names: opened without it, the ledger reads
    /// but refuses appends, which would skip the domain's rules.
    var recordedDomain: String?
    /// Set by ``close()``: new appends are refused.
    var closing = false
    /// Callers of ``close()`` waiting for the queue to drain.
    var drainWaiters: [CheckedContinuation<Void, Never>] = []

    /// The number of entries in the log.
    public var size: UInt64 { frontier.size }

    /// The current root hash of the log.
    public var root: Digest { frontier.root }

    /// Who holds which key and role now.
    public var registry: AuthorityRegistry { registryState }

    /// The domain state as of the last commit, if the ledger enforces a
    /// domain (see ``LedgerDomain``).
    ///
    /// The value shares storage with the ledger's copy until the next
    /// commit, which then copies it whole: read it, use it and let it go.
    /// For reads that last, or that should see other writers' appends, use
    /// the read side: a ``LiveProjection`` of the domain's state (or of
    /// the projection needed), which follows the log and lends its value
    /// without copying.
    public var domain: (any LedgerDomain)? { domainCommitted }

    private init(
        store: any EventStore, registry: AuthorityRegistry, head: LedgerHeadState, lastCheckpoint: (UInt64, Timestamp),
        logSigner: (any Signer)?, clock: any LedgerClock, configuration: LedgerConfiguration, domain: (any LedgerDomain)?
    ) {
        self.committed = CommittedLedgerState(
            registry: registry, frontier: head.frontier, lastRecordedAt: head.lastRecordedAt, lastCheckpoint: lastCheckpoint,
            checkpointFrontier: head.checkpointFrontier, domain: domain)
        self.domainWorking = domain
        self.writer = store
        self.origin = registry.origin
        self.logKey = registry.logKey
        self.logSigner = logSigner
        self.clock = clock
        self.configuration = configuration
        self.metrics = LedgerMetrics(origin: registry.origin, factory: configuration.metricsFactory)
    }

    /// Creates a new ledger in an empty store: writes the genesis entry,
    /// signed by `authority`, and the first checkpoint, signed by
    /// `logSigner`.
    ///
    /// - Throws: ``LedgerError`` `.alreadyInitialised` when the store holds
    ///   a ledger; `.invalidField` for a bad origin; store errors.
    public static func create(
        store: any EventStore, origin: String, authority: any Signer, logSigner: any Signer,
        permissions: PermissionTable, domain: (any LedgerDomain)? = nil, clock: any LedgerClock = SystemClock(),
        configuration: LedgerConfiguration = LedgerConfiguration()
    ) async throws -> Ledger {
        guard try await store.head() == nil else {
            throw LedgerError(.alreadyInitialised, "the store already holds a ledger")
        }
        let now = clock.now()
        let genesis = SystemEvent.Genesis(
            origin: origin, authorityKey: authority.publicKey, logKey: logSigner.publicKey, permissions: permissions,
            domain: domain.map { type(of: $0).name })
        let content = SystemEvent.content(
            origin: origin, kind: SystemEvent.Kind.genesis, payload: genesis, actorKey: authority.publicKey,
            expectedVersion: .exactly(0), clientTime: now, idempotencyKey: "genesis")
        let event = try SignedEvent(signing: content, with: authority)
        var registry: AuthorityRegistry?
        _ = try LedgerRules.admit(content, at: 0, registry: &registry, head: nil)
        let entry = LedgerEntry(position: 0, recordedAt: now, streamVersion: 1, event: event)
        if let domain, domain.nextPosition != 0 {
            throw LedgerError(
                .invalidSnapshot, "a new ledger needs an empty domain state; this one has folded \(domain.nextPosition) entries")
        }
        try domain?.check(entry)
        var frontier = MerkleFrontier()
        frontier.append(entry.leafHash)
        let checkpoint = try SignedCheckpoint(signing: Checkpoint(origin: origin, size: 1, root: frontier.root), with: logSigner)
        try await store.commit(
            StoreCommit(
                expectedSize: 0, entries: [entry],
                head: StoreHead(size: 1, state: LedgerHeadState(frontier: frontier, lastRecordedAt: now, checkpointFrontier: frontier).encoded),
                checkpoint: StoredCheckpoint(size: 1, note: checkpoint.serialized)))
        configuration.logger.debug("created ledger", metadata: ["origin": "\(origin)"])
        return try await open(store: store, logSigner: logSigner, domain: domain, clock: clock, configuration: configuration)
    }

    /// Opens the ledger a store holds.
    ///
    /// Reads the persisted head (the Merkle frontier) and replays the
    /// `ledger` stream to rebuild the registry of keys and roles; it does
    /// not read the rest of the log.
    ///
    /// - Parameters:
    ///   - store: the store holding the ledger.
    ///   - logSigner: the log key, to take checkpoints; without it the
    ///     ledger appends and reads but ``checkpoint()`` can only return
    ///     stored checkpoints.
    ///   - domain: the domain rules to enforce, as an empty state or one
    ///     resumed from a snapshot; the ledger folds the entries after its
    ///     position before it opens. `nil` enforces no domain rules.
    ///   - clock: the source of recorded times.
    ///   - configuration: checkpoint cadence, batch limits, logging.
    /// - Throws: ``LedgerError`` `.notInitialised` for an empty store;
    ///   `.signingFailed` when `logSigner` is not the ledger's log key;
    ///   `.storeFailure` when the store's system stream does not replay;
    ///   `.invalidSnapshot` when `domain` is ahead of the log; whatever the
    ///   domain throws while it catches up.
    public static func open(
        store: any EventStore, logSigner: (any Signer)? = nil, domain: (any LedgerDomain)? = nil, clock: any LedgerClock = SystemClock(),
        configuration: LedgerConfiguration = LedgerConfiguration()
    ) async throws -> Ledger {
        guard let head = try await store.head() else {
            throw LedgerError(.notInitialised, "the store holds no ledger; create one first")
        }
        let genesis = try await genesis(of: store)
        let state = try await checkedHead(head, origin: genesis.origin, logKey: genesis.logKey, store: store)
        if let logSigner, logSigner.publicKey != genesis.logKey {
            throw LedgerError(
                .signingFailed, "the log key given is not the ledger's log key \(genesis.logKey.fingerprint)", key: logSigner.publicKey)
        }
        var domain = domain
        if let domain {
            guard domain.nextPosition <= head.size else {
                throw LedgerError(.invalidSnapshot, "the domain state covers \(domain.nextPosition) entries; the log holds \(head.size)")
            }
            if let recorded = genesis.domain, recorded != type(of: domain).name {
                throw LedgerError(.domainRule, "this ledger enforces the domain \(recorded), not \(type(of: domain).name)")
            }
        }
        let resumed = await resumeState(
            head: state, origin: genesis.origin, logKey: genesis.logKey, domain: domain, store: store, configuration: configuration)
        let registry = try await replaySystemStream(of: store, size: head.size, from: resumed)
        if let resumedDomain = resumed?.domain {
            domain = resumedDomain
        } else if var caughtUp = domain {
            try await EntryPages(store: store, from: caughtUp.nextPosition, to: head.size).forEach { try caughtUp.fold($0) }
            domain = caughtUp
        }
        let latest = try await store.latestCheckpoint()
        var checkpointTime = clock.now()
        if let latest, let covered = try await coveredTime(of: latest.size, in: store) { checkpointTime = covered }
        let ledger = Ledger(
            store: store, registry: registry, head: state,
            lastCheckpoint: (latest?.size ?? 0, checkpointTime),
            logSigner: logSigner, clock: clock, configuration: configuration, domain: domain)
        await ledger.resumedFrom(stateSnapshot: resumed?.position ?? 0, recordedDomain: genesis.domain)
        configuration.logger.debug("opened ledger", metadata: ["origin": "\(registry.origin)", "size": "\(head.size)"])
        return ledger
    }

    /// What the genesis entry of the ledger `store` holds: its origin, its
    /// authority and log keys, its first permission table, and the domain
    /// it enforces.
    ///
    /// - Throws: ``LedgerError`` `.storeFailure` when the store holds no
    ///   genesis entry at position 0; `.malformed` or
    ///   `.invalidSystemEvent` when it does not decode.
    public static func genesis(of store: any EventStoreReader) async throws -> SystemEvent.Genesis {
        guard let stored = try await store.entries(from: 0, limit: 1).first else {
            throw LedgerError(.storeFailure, "the store holds no genesis entry")
        }
        let entry = try decode(stored)
        guard entry.kind == SystemEvent.Kind.genesis else {
            throw LedgerError(.storeFailure, "the entry at position 0 is \(entry.kind), not the genesis", position: 0)
        }
        return try SystemEvent.decode(SystemEvent.Genesis.self, from: entry.payload, kind: entry.kind)
    }

    /// The registry as of `size` entries: the system stream replayed from
    /// genesis, or from the position of a resumed state (the entries before
    /// it are counted, for the stream's versions, but not read).
    static func replaySystemStream(of store: any EventStoreReader, size: UInt64, from resumed: ResumedLedgerState?) async throws -> AuthorityRegistry {
        var registry = resumed?.registry
        let start = resumed?.position ?? 0
        var streamHead: StreamHead?
        var version: UInt64 = 1
        reading: while true {
            let page = try await store.entries(inStream: SystemEvent.stream, fromVersion: version, limit: 1024)
            for (offset, stored) in page.enumerated() {
                // Entries past the head belong to a commit made since it was read.
                guard stored.position < size else { break reading }
                let expected = version + UInt64(offset)
                guard stored.position >= start else {
                    streamHead = StreamHead(version: expected, place: .everywhere)
                    continue
                }
                let entry = try decode(stored)
                if entry.stream == SystemEvent.stream, entry.streamVersion > expected {
                    throw LedgerError(
                        .gap,
                        "the ledger's system stream lacks version \(expected) (its next entry, at position \(entry.position), is version \(entry.streamVersion)): an entry was removed",
                        position: entry.position, remedy: .verify)
                }
                try checkIndexed(entry, stream: SystemEvent.stream, version: expected)
                do {
                    streamHead = try LedgerRules.admit(entry.content, at: entry.position, registry: &registry, head: streamHead)
                } catch {
                    throw LedgerError(
                        .storeFailure,
                        "the ledger's system stream does not replay at position \(entry.position): \(error.message); run verify",
                        position: entry.position)
                }
            }
            version += UInt64(page.count)
            if page.count < 1024 { break }
        }
        guard let registry else {
            throw LedgerError(.storeFailure, "the store has a head but no genesis entry")
        }
        return registry
    }

    private func resumedFrom(stateSnapshot position: UInt64, recordedDomain: String?) {
        lastStateSnapshot = position
        self.recordedDomain = recordedDomain
    }

    /// The recorded time of the last entry a checkpoint of `size` covers:
    /// the checkpoint's age is counted from it (docs/format.md §5), so a
    /// process that opens the ledger and appends a minute later takes one.
    static func coveredTime(of size: UInt64, in store: any EventStoreReader) async throws -> Timestamp? {
        guard size > 0, let stored = try await store.entries(from: size - 1, limit: 1).first, stored.position == size - 1 else {
            return nil
        }
        return try decode(stored).recordedAt
    }

    // MARK: Reading

    /// Up to `limit` entries from `position` on, decoded.
    ///
    /// Reads go straight to the store, in parallel with appends.
    ///
    /// - Throws: ``LedgerError`` `.malformed` when a stored entry does not
    ///   decode or sits at the wrong position; store errors.
    public nonisolated func entries(from position: UInt64, limit: Int) async throws -> [LedgerEntry] {
        try await store.entries(from: position, limit: limit).map(Self.decode)
    }

    /// Up to `limit` entries of `stream` from stream version `fromVersion` on.
    public nonisolated func entries(inStream stream: String, fromVersion: UInt64 = 1, limit: Int) async throws -> [LedgerEntry] {
        try await store.entries(inStream: stream, fromVersion: fromVersion, limit: limit).map(Self.decode)
    }

    /// Decodes a stored entry and checks it sits at its own position.
    static func decode(_ stored: StoredEntry) throws(LedgerError) -> LedgerEntry {
        let entry: LedgerEntry
        do {
            entry = try LedgerEntry(bytes: stored.bytes)
        } catch {
            throw error.at(position: stored.position)
        }
        guard entry.position == stored.position else {
            throw LedgerError(
                .malformed, "the entry stored at position \(stored.position) says it is at \(entry.position)", position: stored.position)
        }
        return entry
    }

    /// Entries from `position` on, as they are appended: first those already
    /// in the log, then new ones as they become durable, whichever writer
    /// appended them (this ledger, another process or instance on the
    /// same store). The sequence never skips a position and ends when the
    /// task is cancelled. For pages, or a feed without a `Ledger`, see
    /// ``LedgerFeed``.
    public nonisolated func subscribe(from position: UInt64 = 0, pageSize: Int = 1024) -> LedgerSubscription {
        LedgerSubscription(feed: LedgerFeed(store: store, from: position, pageSize: pageSize))
    }

    // MARK: Checkpoints

    /// A signed checkpoint of the whole log: the latest stored one when it
    /// covers what this ledger has seen (its own size, or more when another
    /// writer appended and signed since), otherwise a new one of this
    /// ledger's size, signed and stored now.
    ///
    /// - Throws: ``LedgerError`` `.signingFailed` when a new checkpoint is
    ///   needed and the ledger was opened without its log key.
    public func checkpoint() async throws -> SignedCheckpoint {
        let size = frontier.size
        let root = frontier.root
        if let latest = try await store.latestCheckpoint(), latest.size >= size {
            // This instance's own size, or a larger one another writer (another
            // process on the store) signed since: checked, never re-signed.
            return try Self.verifiedCheckpoint(latest, origin: origin, logKey: logKey)
        }
        guard let logSigner else {
            throw LedgerError(.signingFailed, "the log has grown since the last checkpoint and no log key was given to sign a new one")
        }
        let signed = try SignedCheckpoint(signing: Checkpoint(origin: origin, size: size, root: root), with: logSigner)
        try await writer.saveCheckpoint(StoredCheckpoint(size: size, note: signed.serialized))
        if size >= lastCheckpoint.size { lastCheckpoint = (size, clock.now()) }
        if size >= checkpointFrontier?.size ?? 0 { checkpointFrontier = frontier }
        logger.debug("checkpoint", metadata: ["size": "\(size)"])
        return signed
    }
}
