/// An event as its actor signed it: the exact body bytes, the Ed25519
/// signature over them, and the decoded content.
///
/// The body is kept exactly as signed and is never re-encoded: the ledger
/// stores these bytes, and every later check reads them.
public struct SignedEvent: Hashable, Sendable {
    /// The decoded content of ``body``.
    public let content: EventContent
    /// The exact signed bytes.
    public let body: ArraySlice<UInt8>
    /// The actor's signature over ``body``.
    public let signature: Signature

    /// Encodes and signs `content`.
    ///
    /// - Throws: ``LedgerError`` `.invalidField` when a field is out of
    ///   range, `.signingFailed` when the signer's key is not
    ///   `content.actorKey` or the signer fails.
    public init(signing content: EventContent, with signer: any Signer) throws(LedgerError) {
        guard signer.publicKey == content.actorKey else {
            throw LedgerError(
                .signingFailed, "the signer's key \(signer.publicKey.fingerprint) is not the event's actor key", key: content.actorKey)
        }
        let body = try content.encodedBody()
        do {
            signature = try signer.sign(body)
        } catch {
            throw LedgerError(.signingFailed, "the signer failed: \(error)", key: content.actorKey)
        }
        self.content = content
        self.body = body[...]
    }

    /// Decodes a body received from elsewhere and pairs it with its
    /// signature. The signature is not checked here: see
    /// ``hasValidSignature``.
    ///
    /// - Throws: ``LedgerError`` `.malformed` or `.invalidField`.
    public init(body: ArraySlice<UInt8>, signature: Signature) throws(LedgerError) {
        content = try withBytes(body) { (buffer) throws(LedgerError) in try EventContent(decoding: buffer) }
        self.body = body
        self.signature = signature
    }

    /// Pairs content with the body it was decoded from, unchecked.
    init(content: EventContent, body: ArraySlice<UInt8>, signature: Signature) {
        self.content = content
        self.body = body
        self.signature = signature
    }

    /// `true` when ``signature`` is the actor key's valid signature over
    /// ``body``.
    ///
    /// - Complexity: one Ed25519 verification (about 80 µs on one core).
    public var hasValidSignature: Bool {
        content.actorKey.isValidSignature(signature, for: body)
    }
}

extension SignedEvent {
    /// `result[i]` is `true` when `events[i]`'s signature is valid, checked
    /// on every core: what ``Ledger/append(batch:)`` does with a batch.
    public static func validSignatures(_ events: [SignedEvent]) async -> [Bool] {
        await ParallelVerification.check(events)
    }
}
