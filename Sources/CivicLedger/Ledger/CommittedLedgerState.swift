/// What the store holds after the last commit, as the ``Ledger`` keeps it:
/// the registry, the Merkle frontier, the recorded time, the stream heads
/// and idempotency keys it has seen, the last checkpoint, and the domain's
/// state. A value: a commit changes it only through ``adopt(_:streamCacheLimit:plannedDomain:)``.
struct CommittedLedgerState {
    var registry: AuthorityRegistry
    var frontier: MerkleFrontier
    var lastRecordedAt: Timestamp
    /// Stream heads committed through this ledger (a cache, bounded).
    var streamCache: [String: StreamHead] = [:]
    /// Idempotency keys committed recently through this ledger.
    var recentReferences = RecentReferences(capacity: 65_536)
    var lastCheckpoint: (size: UInt64, time: Timestamp)
    /// The frontier at the size of a stored checkpoint, written with every
    /// head so the next open can check the head cheaply.
    var checkpointFrontier: MerkleFrontier?
    /// The domain's state as of the last commit.
    var domain: (any LedgerDomain)?

    /// Makes `plan`, just committed, the state: its registry, frontier and
    /// time, its stream heads in the cache (emptied first when it would pass
    /// `streamCacheLimit`), its idempotency keys, its checkpoint, and its
    /// entries folded into the domain.
    ///
    /// - Returns: the error of a domain that failed to fold a committed
    ///   entry (it must not); the state then takes `plannedDomain`, the
    ///   planner's state after the same entries.
    mutating func adopt(_ plan: AppendPlanner.Plan, streamCacheLimit: Int, plannedDomain: (any LedgerDomain)?) -> (any Error)? {
        registry = plan.registry
        frontier = plan.frontier
        lastRecordedAt = plan.recordedAt
        if streamCache.count + plan.heads.count > streamCacheLimit {
            streamCache.removeAll(keepingCapacity: true)
        }
        streamCache.merge(plan.heads) { _, new in new }
        for (entry, key) in zip(plan.entries, plan.referenceKeys) { recentReferences.insert(key, at: entry.position) }
        if let checkpoint = plan.checkpoint {
            lastCheckpoint = (checkpoint.size, plan.recordedAt)
            checkpointFrontier = plan.frontier
        }
        guard domain != nil else { return nil }
        do {
            for entry in plan.entries { try domain?.fold(entry) }
            return nil
        } catch {
            domain = plannedDomain
            return error
        }
    }
}
