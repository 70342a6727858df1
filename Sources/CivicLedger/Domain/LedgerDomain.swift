/// The rules of an application's domain, enforced by the ledger beside its
/// own rules of keys and roles.
///
/// A domain is a ``Projection`` of the whole log (its state folds every
/// entry, `ledger.*` system events included) that can also say whether an
/// entry may come next. The ledger calls ``check(_:)`` on every entry it is
/// about to append, after the signature and authority checks, and refuses
/// the append when it throws; a ``LedgerVerifier`` given the same domain
/// calls it again on replay. One function decides, at append and at audit.
///
/// Requirements on an implementation:
/// - ``check(_:)`` reads the state and never changes it; it throws a
///   ``LedgerError`` that says what was wrong, naming the stream.
/// - ``Projection/apply(_:)`` folds any entry without throwing, including
///   one that ``check(_:)`` refused (a verifier follows the log as stored,
///   so that one bad entry is one finding).
/// - Both are deterministic and free of I/O.
///
/// The ledger keeps two copies of the state (the committed one and the one
/// being planned) so that a refused atomic batch or a failed commit leaves
/// no trace; the cost is twice the memory and two folds per entry.
public protocol LedgerDomain: Projection {
    /// Says whether `entry` may be the next entry of the log.
    ///
    /// - Throws: ``LedgerError``, typically `.domainRule`, naming the
    ///   stream and what the entry attempted.
    func check(_ entry: LedgerEntry) throws(LedgerError)

    /// What an audit finds about the log as a whole once every entry is
    /// folded: invariants over the state (totals that must balance) and
    /// obligations not met by `time` (the last entry's recorded time).
    /// The default finds nothing.
    func closingFindings(asOf time: Timestamp) -> [AuditFinding]

    /// The projection named `name` as this state holds it, folded from the
    /// same entries exactly as that projection folds them on its own, or
    /// `nil` when the state holds no such projection. An audit compares a
    /// stored snapshot with this copy instead of folding a second one.
    /// The default holds none.
    func projection(named name: String) -> (any Projection)?

    /// The authority registry the state holds, when it folds one from the
    /// same `ledger.*` events as the ledger: a state snapshot then stores
    /// it once, and the resumed ledger shares it. The default holds none.
    var authorityRegistry: AuthorityRegistry? { get }
}

extension LedgerDomain {
    /// Finds nothing: a domain without closing checks.
    public func closingFindings(asOf time: Timestamp) -> [AuditFinding] { [] }

    /// Holds no projection.
    public func projection(named name: String) -> (any Projection)? { nil }

    /// Holds no registry.
    public var authorityRegistry: AuthorityRegistry? { nil }
}

extension LedgerError.Code {
    /// An entry breaks a rule of the ledger's domain (see ``LedgerDomain``).
    public static let domainRule = LedgerError.Code(rawValue: "domain-rule")
}
