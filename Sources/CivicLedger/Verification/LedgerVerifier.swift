/// Re-verifies a whole ledger from its store: an ``Auditor`` with no
/// projections to compare and no trusted checkpoint.
///
/// It checks every signature, every key's validity and every role's
/// authority at its position (with ``LedgerRules``, the rules the ledger
/// applied at append), gapless positions, stream versions, idempotency keys,
/// the Merkle root against every stored checkpoint and its signature, and
/// the domain's rules when one is given. It does not stop at the first
/// problem, and throws only when the store cannot be read.
public struct LedgerVerifier: Sendable {
    /// The auditor that does the work.
    public var auditor: Auditor

    /// The store to verify.
    public var store: any EventStoreReader { auditor.store }

    /// A verifier over `store`, checking the domain rules of `domain` (an
    /// empty state) when one is given.
    public init(store: any EventStoreReader, clock: any LedgerClock = SystemClock(), domain: (any LedgerDomain)? = nil) {
        auditor = Auditor(store: store, clock: clock, domain: domain)
    }

    /// Runs the verification.
    ///
    /// - Parameter progress: called after each page with the entries
    ///   checked so far and the size the store's head claims.
    /// - Throws: ``LedgerError`` `.notInitialised` for an empty store; store
    ///   errors.
    public func verify(progress: (@Sendable (_ checked: UInt64, _ total: UInt64) -> Void)? = nil) async throws -> AuditReport {
        try await auditor.audit(progress: progress)
    }
}
