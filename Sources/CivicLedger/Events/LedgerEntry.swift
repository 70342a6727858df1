/// One entry of the log, exactly as stored: the leaf data of the Merkle
/// tree.
///
/// The ledger wraps the actor's signed event with what only it decides:
/// the position, its recorded time and the stream version. The layout is
/// in docs/format.md §3.
public struct LedgerEntry: Hashable, Sendable {
    /// The exact stored bytes; the Merkle leaf hash covers these.
    public let bytes: [UInt8]
    /// The entry's position in the log, from 0, gapless; also its Merkle
    /// leaf index.
    public let position: UInt64
    /// When the ledger sequenced the entry (the ledger's clock).
    public let recordedAt: Timestamp
    /// The stream's version after this event: 1 for a stream's first event.
    public let streamVersion: UInt64
    /// The actor's signed event.
    public let event: SignedEvent

    /// The entry format version this library writes.
    public static let formatVersion: UInt8 = 1

    /// Decodes stored bytes strictly.
    ///
    /// - Throws: ``LedgerError`` `.malformed` or `.invalidField`.
    public init(bytes: [UInt8]) throws(LedgerError) {
        self.bytes = bytes
        var bodyRange = 0..<0
        var signatureLow = Bytes32.zero
        var signatureHigh = Bytes32.zero
        var position: UInt64 = 0
        var recorded: Int64 = 0
        var streamVersion: UInt64 = 0
        try withBytes(bytes) { (buffer) throws(LedgerError) in
            var reader = ByteReader(buffer)
            let version = try reader.u8("entry format version")
            guard version == Self.formatVersion else {
                throw LedgerError(.malformed, "entry format version \(version) is not \(Self.formatVersion)")
            }
            position = try reader.u64("position")
            recorded = try reader.i64("recorded time")
            streamVersion = try reader.u64("stream version")
            bodyRange = try reader.fieldRange("event body", maxLength: EventContent.maximumPayloadBytes + 4096)
            signatureLow = try reader.bytes32("signature")
            signatureHigh = try reader.bytes32("signature")
            try reader.expectEnd("entry")
        }
        self.position = position
        self.recordedAt = Timestamp(millisecondsSinceEpoch: recorded)
        self.streamVersion = streamVersion
        guard streamVersion >= 1 else {
            throw LedgerError(.malformed, "stream version 0 is not a version an entry can give its stream", position: position)
        }
        let signature = Signature(low: signatureLow, high: signatureHigh)
        do {
            event = try SignedEvent(body: bytes[bodyRange], signature: signature)
        } catch {
            throw error.at(position: position)
        }
    }

    /// Wraps a signed event as the entry at `position`.
    public init(position: UInt64, recordedAt: Timestamp, streamVersion: UInt64, event: SignedEvent) {
        var writer = ByteWriter(capacity: 1 + 8 + 8 + 8 + 4 + event.body.count + 64)
        writer.u8(Self.formatVersion)
        writer.u64(position)
        writer.i64(recordedAt.millisecondsSinceEpoch)
        writer.u64(streamVersion)
        writer.field(event.body)
        event.signature.withUnsafeBytes { writer.raw($0) }
        self.bytes = writer.bytes
        self.position = position
        self.recordedAt = recordedAt
        self.streamVersion = streamVersion
        let bodyStart = 1 + 8 + 8 + 8 + 4
        self.event = SignedEvent(trusted: event, body: self.bytes[bodyStart..<bodyStart + event.body.count])
    }

    /// The RFC 6962 leaf hash of this entry: SHA-256(0x00 ‖ bytes).
    public var leafHash: Digest { MerkleHash.leaf(bytes) }

    /// The event's content.
    @inlinable public var content: EventContent { event.content }
    /// The event's stream.
    @inlinable public var stream: String { event.content.stream }
    /// The event's kind.
    @inlinable public var kind: String { event.content.kind }
    /// The event's payload.
    @inlinable public var payload: [UInt8] { event.content.payload }
    /// The signer's key.
    @inlinable public var actorKey: PublicKey { event.content.actorKey }
}

extension SignedEvent {
    /// Re-points an already decoded event at the same bytes inside an entry,
    /// so the entry holds one copy.
    init(trusted event: SignedEvent, body: ArraySlice<UInt8>) {
        self.content = event.content
        self.body = body
        self.signature = event.signature
    }
}
