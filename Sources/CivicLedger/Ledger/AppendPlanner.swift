/// Plans one batch of append requests: a value that decides, with no
/// store, clock or actor, which requests are admitted, at which positions,
/// and what the ledger's state is after them. The ``Ledger`` makes the reads
/// a plan needs first (stream heads, the entries behind idempotency keys),
/// feeds them in, and commits what comes out; a conflict at commit throws
/// the plan away. Each request is admitted whole or not at all: a request
/// that fails leaves no trace in the registry, the stream heads, the
/// frontier, the entries or the domain state.
struct AppendPlanner {
    /// What planning decided for each request.
    enum Outcome {
        case accepted([AppendReceipt])
        case rejected(LedgerError)
    }

    /// A planned commit: the entries to write and the state after them.
    struct Plan {
        var outcomes: [Outcome] = []
        var entries: [LedgerEntry] = []
        /// The recent-reference key of each entry, computed once while planning.
        var referenceKeys: [UInt128] = []
        var registry: AuthorityRegistry
        var heads: [String: StreamHead] = [:]
        var frontier: MerkleFrontier
        var recordedAt: Timestamp
        var checkpoint: StoredCheckpoint?
    }

    /// The stream heads known before planning: the ledger's cache, then
    /// what the store answered for the streams looked up.
    let cachedHeads: [String: StreamHead]
    let fetchedHeads: [String: StreamHead]
    /// The entries already in the log behind the batch's idempotency
    /// references (looked up before planning).
    private(set) var originals: [IdempotencyReference: LedgerEntry]
    /// The domain's state as of the committed log, to start again from when
    /// a request that was partly folded fails.
    let committedDomain: (any LedgerDomain)?
    /// The domain's state as of the entries planned so far. Pass the
    /// ledger's working copy in (moved, so that folding does not copy it)
    /// and take it back after ``plan(_:references:keys:)``.
    private(set) var domain: (any LedgerDomain)?
    private var plan: Plan
    private var registry: AuthorityRegistry?

    init(
        registry: AuthorityRegistry, frontier: MerkleFrontier, recordedAt: Timestamp, cachedHeads: [String: StreamHead],
        fetchedHeads: [String: StreamHead], originals: [IdempotencyReference: LedgerEntry], committedDomain: (any LedgerDomain)?,
        workingDomain: (any LedgerDomain)?
    ) {
        self.cachedHeads = cachedHeads
        self.fetchedHeads = fetchedHeads
        self.originals = originals
        self.committedDomain = committedDomain
        self.domain = workingDomain
        self.plan = Plan(registry: registry, frontier: frontier, recordedAt: recordedAt)
        self.registry = registry
    }

    /// Plans `requests` in order. `references` and `keys` are each event's
    /// idempotency reference and its recent-reference key, in the order of
    /// the requests' events.
    ///
    /// - Returns: the plan; its registry and domain state (``domain``) are
    ///   those after the accepted requests.
    mutating func plan(_ requests: [[SignedEvent]], references: [IdempotencyReference], keys: [UInt128]) -> Plan {
        var eventIndex = 0
        for events in requests {
            let first = eventIndex
            eventIndex += events.count
            plan.outcomes.append(admit(events, references: references[first..<eventIndex], keys: keys[first..<eventIndex]))
        }
        plan.registry = registry ?? plan.registry
        return plan
    }

    /// Admits one request whole, or rolls everything it changed back.
    private mutating func admit(
        _ events: [SignedEvent], references: ArraySlice<IdempotencyReference>, keys: ArraySlice<UInt128>
    ) -> Outcome {
        let hasSystemEvent = events.contains { $0.content.kind.hasPrefix("ledger.") }
        let saved = (
            registry: hasSystemEvent ? registry : nil, heads: events.count > 1 ? plan.heads : nil,
            frontier: plan.frontier, entries: plan.entries.count, originals: events.count > 1 ? originals : nil
        )
        do {
            var receipts: [AppendReceipt] = []
            receipts.reserveCapacity(events.count)
            for (index, (event, (reference, key))) in zip(events, zip(references, keys)).enumerated() {
                receipts.append(try admit(event, index: index, of: events.count, reference: reference, key: key))
            }
            return .accepted(receipts)
        } catch {
            if hasSystemEvent { registry = saved.registry }
            if let heads = saved.heads { plan.heads = heads }
            if let kept = saved.originals { originals = kept }
            if let folded = domain, folded.nextPosition != saved.frontier.size {
                // Part of this request was folded: start again from the
                // committed state and refold the requests accepted so far.
                domain = committedDomain
                for entry in plan.entries[..<saved.entries] { try? domain?.fold(entry) }
            }
            plan.frontier = saved.frontier
            plan.entries.removeLast(plan.entries.count - saved.entries)
            plan.referenceKeys.removeLast(plan.referenceKeys.count - saved.entries)
            return .rejected(error as? LedgerError ?? LedgerError(.storeFailure, "\(error)"))
        }
    }

    /// Admits one event of a request, or throws why not (without a
    /// position: nothing was written).
    private mutating func admit(
        _ event: SignedEvent, index: Int, of count: Int, reference: IdempotencyReference, key: UInt128
    ) throws -> AppendReceipt {
        let content = event.content
        func described(_ error: LedgerError) -> LedgerError {
            var described = error
            described.position = nil
            if count > 1 { described.message = "event \(index) of the batch: " + error.message }
            return described
        }
        if let original = originals[reference] {
            guard original.body == event.body else {
                throw LedgerError(
                    .idempotencyConflict,
                    "\(Ledger.describe(index, of: count))reuses idempotency key \"\(content.idempotencyKey)\" of the entry at position \(original.position) with different content",
                    position: original.position, stream: content.stream, key: content.actorKey)
            }
            return AppendReceipt(original, isDuplicate: true)
        }
        let position = plan.frontier.size
        let head = plan.heads[content.stream] ?? cachedHeads[content.stream] ?? fetchedHeads[content.stream]
        let newHead: StreamHead
        do {
            newHead = try LedgerRules.admit(content, at: position, registry: &registry, head: head)
        } catch {
            throw described(error)
        }
        let entry = LedgerEntry(position: position, recordedAt: plan.recordedAt, streamVersion: newHead.version, event: event)
        if domain != nil {
            do {
                try domain?.check(entry)
            } catch {
                throw described(error)
            }
            try domain?.fold(entry)
        }
        plan.frontier.append(entry.leafHash)
        plan.heads[content.stream] = newHead
        plan.entries.append(entry)
        plan.referenceKeys.append(key)
        originals[reference] = entry
        return AppendReceipt(entry, isDuplicate: false)
    }
}
