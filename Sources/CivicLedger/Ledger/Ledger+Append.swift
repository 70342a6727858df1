/// A request waiting in the group-commit queue: one event or an atomic batch.
struct PendingAppend {
    let events: [SignedEvent]
    let continuation: CheckedContinuation<[AppendReceipt], any Error>
}

extension Ledger {
    /// Appends one signed event and returns once it is durable.
    ///
    /// The signature is checked on the calling task, so concurrent callers
    /// use every core; the entry is then sequenced and committed with
    /// whatever other appends are waiting (group commit).
    ///
    /// Retrying an event already in the log (same actor key, idempotency
    /// key and content) returns the original receipt with
    /// ``AppendReceipt/isDuplicate`` set and writes nothing.
    ///
    /// - Throws: ``LedgerError``: `.invalidSignature`, `.wrongOrigin`,
    ///   `.unknownKey`, `.keyNotValid`, `.notAuthorised`,
    ///   `.streamVersionConflict` (naming both versions), `.placeMismatch`,
    ///   `.idempotencyConflict`, `.invalidSystemEvent`, or store errors.
    ///   Nothing is written when it throws.
    public nonisolated func append(_ event: SignedEvent) async throws -> AppendReceipt {
        try await append(batch: [event])[0]
    }

    /// Appends signed events atomically: all are committed, in order, at
    /// consecutive positions, or none is.
    ///
    /// - Throws: the first event's error, as ``append(_:)``; the error's
    ///   message names the event's index in the batch.
    public nonisolated func append(batch events: [SignedEvent]) async throws -> [AppendReceipt] {
        let started = ContinuousClock.now
        do {
            let receipts = try await checkAndSequence(events)
            metrics.appendDuration.recordNanoseconds((ContinuousClock.now - started).civicNanoseconds)
            return receipts
        } catch let error as LedgerError {
            metrics.refused(error.code)
            throw error
        }
    }

    private nonisolated func checkAndSequence(_ events: [SignedEvent]) async throws -> [AppendReceipt] {
        guard !events.isEmpty else { return [] }
        guard events.count <= configuration.maximumBatchEvents else {
            throw LedgerError(.invalidField, "a batch holds at most \(configuration.maximumBatchEvents) events, got \(events.count)")
        }
        for (index, event) in events.enumerated() where event.content.origin != origin {
            throw LedgerError(
                .wrongOrigin, "\(Self.describe(index, of: events.count))is for ledger \"\(event.content.origin)\", this is \"\(origin)\"",
                stream: event.content.stream, key: event.content.actorKey)
        }
        let valid = await ParallelVerification.check(events)
        if let index = valid.firstIndex(of: false) {
            let event = events[index]
            throw LedgerError(
                .invalidSignature, "\(Self.describe(index, of: events.count))has a signature that does not verify for its actor key",
                stream: event.content.stream, key: event.content.actorKey)
        }
        return try await sequence(events)
    }

    static func describe(_ index: Int, of count: Int) -> String {
        count == 1 ? "the event " : "event \(index) of the batch "
    }

    private func sequence(_ events: [SignedEvent]) async throws -> [AppendReceipt] {
        guard !closing else {
            throw LedgerError(.closed, "the ledger is closing and takes no more appends")
        }
        if let recordedDomain, domainCommitted == nil {
            throw LedgerError(
                .domainRule, "this ledger enforces the domain \(recordedDomain) and was opened without it: open it with that domain to append")
        }
        return try await withCheckedThrowingContinuation { continuation in
            let request = PendingAppend(events: events, continuation: continuation)
            let start = queue.enqueue(request, entries: events.count)
            metrics.queueDepth.record(queue.waiting.count)
            if start {
                Task { await self.drain() }
            }
        }
    }

    /// The commit loop: one batch at a time until the queue is empty.
    private func drain() async {
        while let batch = queue.nextBatch(maximumEntries: configuration.maximumCommitEntries, entries: { $0.events.count }) {
            metrics.queueDepth.record(queue.waiting.count)
            await commit(batch)
        }
        let waiters = drainWaiters
        drainWaiters = []
        for waiter in waiters { waiter.resume() }
    }

    typealias Outcome = AppendPlanner.Outcome
    typealias Plan = AppendPlanner.Plan

    private func commit(_ batch: [PendingAppend]) async {
        var attempt = 0
        var thorough = false
        let started = ContinuousClock.now
        // The first attempt is optimistic (one writer pays nothing); after
        // a lost race the ledger takes the store's append lock, so that
        // writers that collide take turns instead of failing each other.
        var lock: (any AppendLock)?
        defer { lock?.unlock() }
        while true {
            attempt += 1
            var plan: Plan?
            do {
                if needsResync, lock == nil { lock = try await writer.lockAppends() }
                if needsResync { try await resync() }
                var planned = try await self.plan(batch, thorough: thorough)
                if !thorough, try await refusedRetriesStored(batch, planned.outcomes) {
                    // A refused event is a retry of one already in the log
                    // (committed before this ledger opened, or by another
                    // writer): plan again looking every key up, so that it
                    // gets its original receipt, not the rules' refusal.
                    domainWorking = domainCommitted
                    thorough = true
                    planned = try await self.plan(batch, thorough: true)
                }
                plan = planned
                if !planned.entries.isEmpty {
                    let writing = ContinuousClock.now
                    try await writer.commit(
                        StoreCommit(
                            expectedSize: frontier.size, entries: planned.entries,
                            head: StoreHead(
                                size: planned.frontier.size,
                                state: LedgerHeadState(
                                    frontier: planned.frontier, lastRecordedAt: planned.recordedAt,
                                    checkpointFrontier: planned.checkpoint != nil ? planned.frontier : checkpointFrontier
                                ).encoded),
                            checkpoint: planned.checkpoint))
                    metrics.commitDuration.recordNanoseconds((ContinuousClock.now - writing).civicNanoseconds)
                    adopt(planned)
                    metrics.commitEntries.record(planned.entries.count)
                    metrics.size.record(Int64(clamping: frontier.size))
                    snapshotStateIfDue()
                }
                finish(batch, planned.outcomes)
                if !planned.entries.isEmpty, writer.signsCheckpointsUnderLock { await checkpointAfterCommit() }
                return
            } catch let error as LedgerError
                where error.code == .storeConflict && attempt <= configuration.conflictRetries && !Task.isCancelled
                && ContinuousClock.now - started < configuration.conflictTimeout
            {
                domainWorking = domainCommitted
                // Another writer moved the log, or an optimistic assumption
                // (a new stream, an unseen idempotency key) met a unique key:
                // catch up, then plan again checking everything with the store.
                logger.notice("commit conflict; resynchronising", metadata: ["attempt": "\(attempt)", "reason": "\(error.message)"])
                needsResync = true
                thorough = true
                if attempt > 1 {
                    // Writers that keep colliding step out of lockstep.
                    try? await Task.sleep(for: .microseconds(Int.random(in: 0...(250 * min(attempt, 40)))))
                }
            } catch {
                needsResync = true
                domainWorking = domainCommitted
                let failure = error as? LedgerError ?? LedgerError(.storeFailure, "the store failed: \(error)")
                // The callers get the error; logged here only for tracing.
                logger.debug("commit failed", metadata: ["error": "\(failure)"])
                for (index, request) in batch.enumerated() {
                    if case .rejected(let rejection)? = plan?.outcomes[index] {
                        request.continuation.resume(throwing: rejection)
                    } else {
                        request.continuation.resume(throwing: failure)
                    }
                }
                return
            }
        }
    }

    private func finish(_ batch: [PendingAppend], _ outcomes: [Outcome]) {
        for (request, outcome) in zip(batch, outcomes) {
            switch outcome {
            case .accepted(let receipts): request.continuation.resume(returning: receipts)
            case .rejected(let error): request.continuation.resume(throwing: error)
            }
        }
    }

    /// Makes the planned state the committed state.
    private func adopt(_ plan: Plan) {
        if let error = committed.adopt(plan, streamCacheLimit: configuration.streamCacheLimit, plannedDomain: domainWorking) {
            // apply(_:) must not throw; if it did, the planned state is the truth.
            logger.error("the domain failed to fold a committed entry; taking the planned state", metadata: ["error": "\(error)"])
        }
        logger.trace("committed", metadata: ["entries": "\(plan.entries.count)", "size": "\(frontier.size)"])
    }

    /// Sequences a batch against the committed state: checks each request
    /// with ``LedgerRules``, assigns positions, and builds the entries.
    /// A request that fails leaves no trace in the plan.
    ///
    /// The common case reads nothing from the store: streams come from the
    /// cache, a stream that is not cached and is expected to be new is
    /// taken as new, and idempotency keys are checked against this batch
    /// and the recently committed keys. The store's unique keys back these
    /// assumptions: when one was wrong the commit is a conflict, and the
    /// batch is planned again with `thorough` lookups of every stream and
    /// key.
    private func plan(_ batch: [PendingAppend], thorough: Bool) async throws -> Plan {
        let events = batch.flatMap(\.events)
        let lookup = Set(
            events.filter { thorough || $0.content.expectedVersion != .exactly(0) }.map(\.content.stream)
        ).filter { streamCache[$0] == nil }
        let fetched = lookup.isEmpty ? [:] : try await store.streamHeads(Array(lookup))
        // The stream index is derived state: each head it gives must be the
        // last entry of its stream, by the entry's own bytes.
        for (stream, head) in fetched {
            let last = try await store.entries(inStream: stream, fromVersion: head.version, limit: 2)
            if last.count == 2, last[1].position >= frontier.size {
                // Another writer appended to the stream between the two reads:
                // the head is stale, not wrong. Catch up and plan again.
                throw LedgerError(.storeConflict, "stream \(stream) grew while the batch was planned")
            }
            guard last.count == 1 else {
                throw LedgerError(
                    .indexMismatch,
                    "the store's index gives \(stream) version \(head.version) as its last, but holds \(last.count) entries from that version"
                , remedy: .verifyThenRepair)
            }
            try Self.checkIndexed(try Self.decode(last[0]), stream: stream, version: head.version)
        }
        // One reference and one digest per event, used for every check below.
        let references = events.map(\.idempotencyReference)
        let keys = references.map(RecentReferences.key)
        var originals: [IdempotencyReference: LedgerEntry] = [:]
        var known: [IdempotencyReference: UInt64] = [:]
        for (reference, key) in zip(references, keys) {
            if let position = recentReferences.position(of: key) { known[reference] = position }
        }
        if thorough {
            known.merge(try await store.positions(for: references)) { a, _ in a }
        }
        for (reference, position) in known {
            guard let stored = try await store.entries(from: position, limit: 1).first else {
                throw LedgerError(.storeFailure, "the idempotency index points at position \(position), which the store does not hold")
            }
            let original = try Self.decode(stored)
            guard original.idempotencyReference == reference else {
                throw LedgerError(
                    .indexMismatch,
                    "the store's idempotency index points at position \(position), whose entry has another actor or idempotency key",
                    position: position, remedy: .verifyThenRepair)
            }
            originals[reference] = original
        }

        let now = max(clock.now(), lastRecordedAt)
        // The working domain state is moved into the planner, so that folding
        // does not copy it, and taken back after.
        var planner = AppendPlanner(
            registry: registryState, frontier: frontier, recordedAt: now, cachedHeads: streamCache, fetchedHeads: fetched,
            originals: originals, committedDomain: domainCommitted, workingDomain: domainWorking)
        domainWorking = nil
        var plan = planner.plan(batch.map(\.events), references: references, keys: keys)
        domainWorking = planner.domain
        let size = plan.frontier.size
        if let logSigner, !plan.entries.isEmpty, !writer.signsCheckpointsUnderLock, checkpointDue(size: size, at: now) {
            let signed = try SignedCheckpoint(signing: Checkpoint(origin: origin, size: size, root: plan.frontier.root), with: logSigner)
            plan.checkpoint = StoredCheckpoint(size: size, note: signed.serialized)
        }
        return plan
    }

    /// Whether an event of a request the plan refused has its idempotency
    /// reference stored: the optimistic plan only knew the keys committed
    /// recently through this ledger.
    private func refusedRetriesStored(_ batch: [PendingAppend], _ outcomes: [Outcome]) async throws -> Bool {
        var references: [IdempotencyReference] = []
        for (request, outcome) in zip(batch, outcomes) {
            guard case .rejected = outcome else { continue }
            references += request.events.map(\.idempotencyReference)
        }
        guard !references.isEmpty else { return false }
        return !(try await store.positions(for: references)).isEmpty
    }

    /// Whether a checkpoint of `size` is due at `now`: the configured number
    /// of entries or the configured age past the last one.
    private func checkpointDue(size: UInt64, at now: Timestamp) -> Bool {
        size.clampedSubtracting(lastCheckpoint.size) >= configuration.checkpointInterval
            || now.millisecondsSinceEpoch.clampedSubtracting(lastCheckpoint.time.millisecondsSinceEpoch)
                >= configuration.checkpointMaximumAgeMilliseconds
    }

    /// On a store many instances share: signs a checkpoint of the size just
    /// committed when one is due, holding the store's checkpoint lock, and
    /// only if no instance has stored one as large since. The root is this
    /// ledger's committed frontier, which the store's expected-size check
    /// or a resynchronisation tied to the entries, so every instance that
    /// signs a size signs the same root. Skipped when another instance
    /// holds the lock (it is signing); a failure is logged and retried
    /// after the next commit, never the appenders' error.
    private func checkpointAfterCommit() async {
        guard let logSigner else { return }
        let size = frontier.size
        let root = frontier.root
        let signedFrontier = frontier
        guard checkpointDue(size: size, at: max(clock.now(), lastRecordedAt)) else { return }
        let origin = self.origin
        let store = self.store
        let writer = self.writer
        do {
            let stored: StoredCheckpoint?? = try await writer.withCheckpointLock {
                if let latest = try await store.latestCheckpoint(), latest.size >= size { return latest }
                let signed = try SignedCheckpoint(signing: Checkpoint(origin: origin, size: size, root: root), with: logSigner)
                let checkpoint = StoredCheckpoint(size: size, note: signed.serialized)
                try await writer.saveCheckpoint(checkpoint)
                return checkpoint
            }
            guard case .some(.some(let checkpoint)) = stored else { return }
            if checkpoint.size >= lastCheckpoint.size { lastCheckpoint = (checkpoint.size, clock.now()) }
            if checkpoint.size == size, size >= checkpointFrontier?.size ?? 0 { checkpointFrontier = signedFrontier }
            logger.debug("checkpoint", metadata: ["size": "\(checkpoint.size)"])
        } catch {
            logger.warning("signing a checkpoint failed; trying again after the next commit", metadata: ["error": "\(error)"])
        }
    }

    /// Catches up with entries another writer committed: folds them into
    /// the registry, the frontier and the stream cache, and checks the
    /// result against the store's head.
    private func resync() async throws {
        guard let head = try await store.head() else {
            throw LedgerError(.storeFailure, "the store lost its ledger")
        }
        guard head.size >= frontier.size else {
            throw LedgerError(.storeFailure, "the log shrank from \(frontier.size) to \(head.size) entries; run verify")
        }
        var registry: AuthorityRegistry? = registryState
        var domain = domainCommitted
        var newFrontier = frontier
        var recorded = lastRecordedAt
        let storedHead = try LedgerHeadState(decoding: head.state)
        var passedCheckpoint: MerkleFrontier?
        // Exactly the entries the head covers: a writer may commit more
        // between the two reads, and those belong to the next head.
        while newFrontier.size < head.size {
            let page = try await store.entries(from: newFrontier.size, limit: Int(min(1024, head.size - newFrontier.size)))
            guard !page.isEmpty else { break }
            for stored in page {
                let entry = try Self.decode(stored)
                guard entry.position == newFrontier.size else {
                    throw LedgerError(.storeFailure, "gap in the log at position \(newFrontier.size)", position: newFrontier.size)
                }
                if entry.kind.hasPrefix("ledger.") {
                    try registry!.authorise(entry.content, at: entry.position)
                    try registry!.apply(entry.content, at: entry.position)
                }
                try domain?.fold(entry)
                if streamCache.count >= configuration.streamCacheLimit { streamCache.removeAll(keepingCapacity: true) }
                streamCache[entry.stream] = StreamHead(version: entry.streamVersion, place: entry.place)
                recentReferences.insert(RecentReferences.key(entry.idempotencyReference), at: entry.position)
                newFrontier.append(entry.leafHash)
                recorded = max(recorded, entry.recordedAt)
                if newFrontier.size == storedHead.checkpointFrontier?.size { passedCheckpoint = newFrontier }
            }
        }
        guard storedHead.frontier == newFrontier else {
            throw LedgerError(
                .headMismatch,
                "the entries the store holds do not hash to the head it recorded at size \(head.size)", remedy: .verifyThenRepair)
        }
        // The other writer's checkpoint frontier, when this ledger computed the same.
        if let passedCheckpoint, passedCheckpoint == storedHead.checkpointFrontier { checkpointFrontier = passedCheckpoint }
        let caughtUp = newFrontier.size - frontier.size
        registryState = registry!
        domainCommitted = domain
        domainWorking = domain
        frontier = newFrontier
        lastRecordedAt = max(recorded, storedHead.lastRecordedAt)
        if let latest = try await store.latestCheckpoint(), latest.size > lastCheckpoint.size {
            lastCheckpoint = (latest.size, try await Self.coveredTime(of: latest.size, in: store) ?? clock.now())
        }
        needsResync = false
        if caughtUp > 0 {
            logger.info("resynchronised", metadata: ["entries": "\(caughtUp)", "size": "\(frontier.size)"])
        }
    }
}
