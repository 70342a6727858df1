/// An error from the CivicLedger core.
///
/// Every error carries a stable ``code`` that callers can match on, a
/// ``message`` meant for a person, and, where one is involved, the log
/// ``position``, the ``stream`` and the actor ``key``.
///
/// ```swift
/// do {
///     try await ledger.append(event)
/// } catch let error as LedgerError where error.code == .streamVersionConflict {
///     // reload the stream and retry
/// }
/// ```
public struct LedgerError: Error, Sendable, CustomStringConvertible, Equatable {
    /// A stable, machine-readable error code.
    ///
    /// Codes are strings so that new ones can be added without breaking
    /// callers, and so that they read the same in logs and JSON output.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// Bytes that do not decode as the format requires (docs/format.md).
        public static let malformed = Code(rawValue: "malformed")
        /// A field is out of its allowed range or shape (a name too long, an empty stream …).
        public static let invalidField = Code(rawValue: "invalid-field")
        /// A signature does not verify.
        public static let invalidSignature = Code(rawValue: "invalid-signature")
        /// The event names another ledger's origin.
        public static let wrongOrigin = Code(rawValue: "wrong-origin")
        /// The signing key is not enrolled in this ledger.
        public static let unknownKey = Code(rawValue: "unknown-key")
        /// The signing key was revoked or rotated out before this position.
        public static let keyNotValid = Code(rawValue: "key-not-valid")
        /// No role of the signer may sign this kind in this place.
        public static let notAuthorised = Code(rawValue: "not-authorised")
        /// The expected stream version does not match the stream.
        public static let streamVersionConflict = Code(rawValue: "stream-version-conflict")
        /// The event names a place other than the place its stream belongs to.
        public static let placeMismatch = Code(rawValue: "place-mismatch")
        /// The idempotency key was used before with different content.
        public static let idempotencyConflict = Code(rawValue: "idempotency-conflict")
        /// A `ledger.*` system event is not valid in the current state.
        public static let invalidSystemEvent = Code(rawValue: "invalid-system-event")
        /// The store holds no ledger (it was never created).
        public static let notInitialised = Code(rawValue: "not-initialised")
        /// The store already holds a ledger.
        public static let alreadyInitialised = Code(rawValue: "already-initialised")
        /// The log moved under this writer (another writer appended first).
        public static let storeConflict = Code(rawValue: "store-conflict")
        /// The store failed (I/O, corruption, database error).
        public static let storeFailure = Code(rawValue: "store-failure")
        /// A checkpoint does not parse or does not verify.
        public static let invalidCheckpoint = Code(rawValue: "invalid-checkpoint")
        /// A Merkle proof does not verify, or cannot be made for those sizes.
        public static let invalidProof = Code(rawValue: "invalid-proof")
        /// A projection snapshot does not match its digest or cannot be decoded.
        public static let invalidSnapshot = Code(rawValue: "invalid-snapshot")
        /// A signer refused or failed to sign.
        public static let signingFailed = Code(rawValue: "signing-failed")
        /// A wait passed its timeout: a projection did not reach a
        /// position in time, or a ledger did not drain.
        public static let timedOut = Code(rawValue: "timed-out")
        /// The ledger is shutting down or shut down and takes no more
        /// appends.
        public static let closed = Code(rawValue: "closed")
    }

    /// What went wrong, as a stable code.
    public var code: Code
    /// What went wrong, for a person.
    public var message: String
    /// The log position involved, if any.
    public var position: UInt64?
    /// The stream involved, if any.
    public var stream: String?
    /// The actor key involved, if any.
    public var key: PublicKey?
    /// What an operator can do about it, when the store rather than the
    /// request is at fault; each program says it in its own words (the
    /// tool names its commands, a service logs it and answers 500).
    public var remedy: Remedy?

    /// What an operator can do about a store that is not as the ledger
    /// left it.
    public enum Remedy: String, Sendable, Equatable {
        /// Verify the store (``LedgerVerifier``) to find what is wrong.
        case verify
        /// Rebuild the derived state from the entries (``LedgerRepair``).
        case repair
        /// Verify, then repair what the verification names.
        case verifyThenRepair = "verify-then-repair"
    }

    /// Creates an error.
    public init(
        _ code: Code, _ message: String, position: UInt64? = nil, stream: String? = nil, key: PublicKey? = nil, remedy: Remedy? = nil
    ) {
        self.code = code
        self.message = message
        self.position = position
        self.stream = stream
        self.key = key
        self.remedy = remedy
    }

    public var description: String {
        var context: [String] = []
        if let position { context.append("position \(position)") }
        if let stream { context.append("stream \(stream)") }
        if let key { context.append("key \(key.fingerprint)") }
        let suffix = context.isEmpty ? "" : " (" + context.joined(separator: ", ") + ")"
        return "[\(code)] \(message)\(suffix)"
    }

    /// A copy with the position filled in.
    func at(position: UInt64?) -> LedgerError {
        var copy = self
        if copy.position == nil { copy.position = position }
        return copy
    }
}
