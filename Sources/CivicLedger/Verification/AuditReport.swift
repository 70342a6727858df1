/// How serious a finding is.
///
/// - ``critical``: the log, its checkpoints or its history were changed;
///   nothing derived from it can be trusted until it is explained.
/// - ``error``: an entry breaks a rule (authority, a domain rule), or a
///   stored projection disagrees with the log.
/// - ``warning``: an obligation not met in time (an overdue case nobody
///   reminded), or a recorded time out of line.
public enum AuditSeverity: String, Hashable, Sendable, Codable, CaseIterable, Comparable {
    case warning
    case error
    case critical

    /// Warnings order first, critical findings last.
    public static func < (lhs: AuditSeverity, rhs: AuditSeverity) -> Bool { lhs.rank < rhs.rank }

    private var rank: Int {
        switch self {
        case .warning: 0
        case .error: 1
        case .critical: 2
        }
    }

    /// The severity of a finding with `code`, for the codes of this module
    /// (integrity codes are critical, time codes warnings); any other code,
    /// a domain's included, is an error.
    public init(code: LedgerError.Code) {
        switch code {
        case .invalidSignature, .malformed, .gap, .checkpointMismatch, .headMismatch, .indexMismatch, .invalidCheckpoint,
            .inconsistentHistory, .wrongOrigin:
            self = .critical
        case .timeInFuture, .timeWentBackwards:
            self = .warning
        default:
            self = .error
        }
    }
}

/// One problem an audit found.
public struct AuditFinding: Hashable, Sendable, Codable, CustomStringConvertible {
    /// How serious it is.
    public var severity: AuditSeverity
    /// A stable code: a ``LedgerError/Code`` (the rule the entry broke) or
    /// one of the audit codes (`gap`, `checkpoint-mismatch` …).
    public var code: LedgerError.Code
    /// What is wrong, for a person.
    public var message: String
    /// The first log position the problem concerns.
    public var position: UInt64?
    /// The stream involved, if any.
    public var stream: String?
    /// The actor key involved (the signer, for an entry), if any.
    public var key: PublicKey?
    /// The actor id holding ``key``, when the registry knows it.
    public var actor: String?

    /// A finding; the severity defaults to the code's (``AuditSeverity/init(code:)``).
    public init(
        code: LedgerError.Code, message: String, position: UInt64? = nil, stream: String? = nil, key: PublicKey? = nil,
        severity: AuditSeverity? = nil, actor: String? = nil
    ) {
        self.severity = severity ?? AuditSeverity(code: code)
        self.code = code
        self.message = message
        self.position = position
        self.stream = stream
        self.key = key
        self.actor = actor
    }

    /// The finding an error describes.
    public init(_ error: LedgerError, severity: AuditSeverity? = nil) {
        self.init(
            code: error.code, message: error.message, position: error.position, stream: error.stream, key: error.key, severity: severity)
    }

    public var description: String {
        let at = position.map { "position \($0): " } ?? ""
        let who = actor.map { " (actor \($0))" } ?? ""
        return "\(at)\(severity) [\(code)] \(message)\(who)"
    }

    enum CodingKeys: String, CodingKey { case severity, code, message, position, stream, key, actor }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        severity = try container.decode(AuditSeverity.self, forKey: .severity)
        code = LedgerError.Code(rawValue: try container.decode(String.self, forKey: .code))
        message = try container.decode(String.self, forKey: .message)
        position = try container.decodeIfPresent(UInt64.self, forKey: .position)
        stream = try container.decodeIfPresent(String.self, forKey: .stream)
        key = try container.decodeIfPresent(String.self, forKey: .key).map { text in
            guard let key = PublicKey(base64: text) else {
                throw DecodingError.dataCorruptedError(forKey: .key, in: container, debugDescription: "not a base64 Ed25519 public key")
            }
            return key
        }
        actor = try container.decodeIfPresent(String.self, forKey: .actor)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(severity, forKey: .severity)
        try container.encode(code.rawValue, forKey: .code)
        try container.encode(message, forKey: .message)
        try container.encodeIfPresent(position, forKey: .position)
        try container.encodeIfPresent(stream, forKey: .stream)
        try container.encodeIfPresent(key?.base64, forKey: .key)
        try container.encodeIfPresent(actor, forKey: .actor)
    }
}

/// The former name of ``AuditFinding``.
public typealias VerificationFinding = AuditFinding
/// The former name of ``AuditReport``.
public typealias VerificationReport = AuditReport

extension LedgerError.Code {
    /// Positions are missing or out of order.
    public static let gap = LedgerError.Code(rawValue: "gap")
    /// A stored checkpoint's root is not the root of the log at its size,
    /// or it covers more entries than the log holds.
    public static let checkpointMismatch = LedgerError.Code(rawValue: "checkpoint-mismatch")
    /// The store's recorded head disagrees with its entries.
    public static let headMismatch = LedgerError.Code(rawValue: "head-mismatch")
    /// The store's stream index disagrees with its entries: it did not
    /// return an entry of the stream.
    public static let indexMismatch = LedgerError.Code(rawValue: "index-mismatch")
    /// Two entries share an actor key and idempotency key.
    public static let duplicateIdempotencyKey = LedgerError.Code(rawValue: "duplicate-idempotency-key")
    /// An entry gives its stream a version other than the next one.
    public static let streamVersionMismatch = LedgerError.Code(rawValue: "stream-version-mismatch")
    /// An entry's recorded time is later than the auditor's clock allows.
    public static let timeInFuture = LedgerError.Code(rawValue: "time-in-future")
    /// An entry's recorded time is before the previous entry's.
    public static let timeWentBackwards = LedgerError.Code(rawValue: "time-went-backwards")
    /// The log does not extend the trusted checkpoint: its first entries
    /// have another root, it lost entries, or the checkpoint is not signed
    /// by the ledger's log key.
    public static let inconsistentHistory = LedgerError.Code(rawValue: "inconsistent-history")
    /// A checkpoint is not cosigned by the witnesses a policy requires
    /// (``Auditor/witnessPolicy``).
    public static let unwitnessed = LedgerError.Code(rawValue: "unwitnessed")
    /// A stored projection snapshot differs from the projection recomputed
    /// from the log, or does not match its digest.
    public static let snapshotMismatch = LedgerError.Code(rawValue: "snapshot-mismatch")
}

/// What an audit found: every finding, and what was checked.
public struct AuditReport: Sendable, Codable {
    /// The ledger's origin, from genesis (`nil` when genesis is unreadable).
    public var origin: String?
    /// The log key's C2SP verifier key string, from genesis: what checks
    /// the ledger's checkpoints and proofs offline.
    public var logVerifierKey: String?
    /// The number of entries replayed.
    public var entries: UInt64
    /// The Merkle root over the entries as stored.
    public var root: Digest
    /// The number of stored checkpoints checked.
    public var checkpointsChecked: Int
    /// The number of stored projection snapshots compared.
    public var snapshotsChecked: Int
    /// The number of signatures verified (entries a trusted checkpoint
    /// covers are not re-verified).
    public var signaturesChecked: UInt64
    /// The number of distinct actors that signed entries.
    public var actors: Int
    /// The size of the trusted checkpoint the audit started from, if any.
    public var trustedSize: UInt64?
    /// The proof that the log only grew from the trusted checkpoint to the
    /// latest stored one, when both exist and the log extends the first.
    public var consistency: Consistency?
    /// Which witnesses cosigned the trusted and the latest checkpoint,
    /// when the audit had a witness policy.
    public var witnessing: Witnessing? = nil
    /// Every finding, in the order found, up to the limit.
    public var findings: [AuditFinding]
    /// Findings beyond the limit, counted but not kept.
    public var omittedFindings: Int
    /// How long the audit took.
    public var elapsedSeconds: Double

    /// The witnesses' cosignatures the audit found, by the policy's names.
    public struct Witnessing: Sendable, Codable, Hashable {
        /// Those on the trusted checkpoint (`nil` without one).
        public var trusted: [String]?
        /// The latest stored checkpoint's size.
        public var latestSize: UInt64?
        /// Those on the latest stored checkpoint.
        public var latest: [String]
        /// Whether the latest stored checkpoint meets the policy's quorum.
        public var latestMeetsQuorum: Bool
    }

    /// A consistency proof between two checkpoints of the log (RFC 9162 §2.1.4).
    public struct Consistency: Sendable, Codable, Hashable {
        /// The trusted checkpoint's size.
        public var fromSize: UInt64
        /// The later checkpoint's size.
        public var toSize: UInt64
        /// The proof's hashes.
        public var proof: [Digest]
        /// The later checkpoint, as stored (a signed note).
        public var toCheckpoint: String
    }

    /// The number of entries replayed (``entries``).
    public var entriesChecked: UInt64 { entries }

    /// `true` when nothing is wrong.
    public var isClean: Bool { findings.isEmpty && omittedFindings == 0 }

    /// `true` when a finding of `severity` or worse was found: the
    /// verdict of a check that fails on it. Governance warnings (an
    /// overdue case nobody reminded) are findings for the supervisor, not
    /// a broken ledger: tools fail on ``AuditSeverity/error`` by default.
    /// Findings beyond the limit, whose severity is not kept, count as
    /// failing.
    public func fails(at severity: AuditSeverity) -> Bool {
        omittedFindings > 0 || findings.contains { $0.severity >= severity }
    }

    /// The finding at the lowest position (findings without one come last).
    public var firstFinding: AuditFinding? {
        findings.min { ($0.position ?? .max) < ($1.position ?? .max) }
    }

    /// Findings kept, by severity.
    public func count(_ severity: AuditSeverity) -> Int { findings.filter { $0.severity == severity }.count }
}

extension Digest: Codable {
    /// Decodes a base64 string of 32 bytes.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        guard let digest = Digest(base64: try container.decode(String.self)) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a base64 SHA-256 digest")
        }
        self = digest
    }

    /// Encodes as a base64 string.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(base64)
    }
}
