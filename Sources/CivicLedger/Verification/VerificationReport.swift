/// One problem a verifier found in a ledger.
public struct VerificationFinding: Hashable, Sendable, CustomStringConvertible {
    /// A stable code: a ``LedgerError/Code`` (the rule the entry broke) or
    /// one of the verification codes (`gap`, `checkpoint-mismatch` …).
    public var code: LedgerError.Code
    /// What is wrong, for a person.
    public var message: String
    /// The first log position the problem concerns.
    public var position: UInt64?
    /// The stream involved, if any.
    public var stream: String?
    /// The actor key involved, if any.
    public var key: PublicKey?

    /// A finding.
    public init(code: LedgerError.Code, message: String, position: UInt64? = nil, stream: String? = nil, key: PublicKey? = nil) {
        self.code = code
        self.message = message
        self.position = position
        self.stream = stream
        self.key = key
    }

    init(_ error: LedgerError) {
        self.init(code: error.code, message: error.message, position: error.position, stream: error.stream, key: error.key)
    }

    public var description: String {
        let at = position.map { "position \($0): " } ?? ""
        return "\(at)[\(code)] \(message)"
    }
}

extension LedgerError.Code {
    /// Positions are missing or out of order.
    public static let gap = LedgerError.Code(rawValue: "gap")
    /// A stored checkpoint's root is not the root of the log at its size,
    /// or it covers more entries than the log holds.
    public static let checkpointMismatch = LedgerError.Code(rawValue: "checkpoint-mismatch")
    /// The store's recorded head disagrees with its entries.
    public static let headMismatch = LedgerError.Code(rawValue: "head-mismatch")
    /// Two entries share an actor key and idempotency key.
    public static let duplicateIdempotencyKey = LedgerError.Code(rawValue: "duplicate-idempotency-key")
    /// An entry gives its stream a version other than the next one.
    public static let streamVersionMismatch = LedgerError.Code(rawValue: "stream-version-mismatch")
    /// An entry's recorded time is later than the verifier's clock allows.
    public static let timeInFuture = LedgerError.Code(rawValue: "time-in-future")
    /// An entry's recorded time is before the previous entry's.
    public static let timeWentBackwards = LedgerError.Code(rawValue: "time-went-backwards")
}

/// What a verification found: every finding, and what was checked.
public struct VerificationReport: Sendable {
    /// The ledger's origin, from genesis (`nil` when genesis is unreadable).
    public var origin: String?
    /// The number of entries read.
    public var entriesChecked: UInt64
    /// The Merkle root over the entries as stored.
    public var root: Digest
    /// The number of stored checkpoints checked.
    public var checkpointsChecked: Int
    /// Every finding, in the order found (by position), up to the limit.
    public var findings: [VerificationFinding]
    /// Findings beyond the limit, counted but not kept.
    public var omittedFindings: Int

    /// `true` when nothing is wrong.
    public var isClean: Bool { findings.isEmpty && omittedFindings == 0 }

    /// The finding at the lowest position (findings without one come last).
    public var firstFinding: VerificationFinding? {
        findings.min { ($0.position ?? .max) < ($1.position ?? .max) }
    }
}
