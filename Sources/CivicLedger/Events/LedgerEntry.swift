/// One entry of the log, exactly as stored: the leaf data of the Merkle
/// tree.
///
/// The ledger wraps the actor's signed event with what only it decides:
/// the position, its recorded time and the stream version. The layout is
/// in docs/format.md §3.
///
/// An entry is an immutable value held by one reference, so copying it (as
/// every `for entry in page` does) costs one reference count, not one per
/// field: projections fold millions of entries a second.
public struct LedgerEntry: Hashable, Sendable {
    /// The decoded fields, shared by every copy.
    @usableFromInline final class Storage: Sendable {
        @usableFromInline let bytes: [UInt8]
        @usableFromInline let position: UInt64
        @usableFromInline let recordedAt: Timestamp
        @usableFromInline let streamVersion: UInt64
        @usableFromInline let event: SignedEvent
        /// Where the stream, kind and payload are in ``bytes``.
        @usableFromInline let spans: FieldSpans

        init(bytes: [UInt8], position: UInt64, recordedAt: Timestamp, streamVersion: UInt64, event: SignedEvent, spans: FieldSpans) {
            self.bytes = bytes
            self.spans = spans
            self.position = position
            self.recordedAt = recordedAt
            self.streamVersion = streamVersion
            self.event = event
        }
    }

    @usableFromInline let storage: Storage

    /// The exact stored bytes; the Merkle leaf hash covers these.
    @inlinable public var bytes: [UInt8] { storage.bytes }
    /// The entry's position in the log, from 0, gapless; also its Merkle
    /// leaf index.
    @inlinable public var position: UInt64 { storage.position }
    /// When the ledger sequenced the entry (the ledger's clock).
    @inlinable public var recordedAt: Timestamp { storage.recordedAt }
    /// The stream's version after this event: 1 for a stream's first event.
    @inlinable public var streamVersion: UInt64 { storage.streamVersion }
    /// The actor's signed event.
    @inlinable public var event: SignedEvent { storage.event }

    /// Two entries are equal when their stored bytes are: the bytes
    /// determine every field.
    public static func == (lhs: LedgerEntry, rhs: LedgerEntry) -> Bool {
        lhs.storage === rhs.storage || lhs.storage.bytes == rhs.storage.bytes
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(storage.bytes)
    }

    /// The entry format version this library writes.
    public static let formatVersion: UInt8 = 1

    /// Decodes stored bytes strictly.
    ///
    /// - Throws: ``LedgerError`` `.malformed` or `.invalidField`.
    public init(bytes: [UInt8]) throws(LedgerError) {
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
        guard streamVersion >= 1 else {
            throw LedgerError(.malformed, "stream version 0 is not a version an entry can give its stream", position: position)
        }
        let signature = Signature(low: signatureLow, high: signatureHigh)
        let event: SignedEvent
        var spans = FieldSpans()
        do {
            event = try SignedEvent(body: bytes[bodyRange], signature: signature, spans: &spans)
        } catch {
            throw error.at(position: position)
        }
        storage = Storage(
            bytes: bytes, position: position, recordedAt: Timestamp(millisecondsSinceEpoch: recorded), streamVersion: streamVersion,
            event: event,
            spans: spans.shifted(by: bodyRange.lowerBound))
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
        let bytes = writer.bytes
        let bodyStart = 1 + 8 + 8 + 8 + 4
        let spans = event.body.withUnsafeBytes { FieldSpans(scanningValidBody: $0) }
        storage = Storage(
            bytes: bytes, position: position, recordedAt: recordedAt, streamVersion: streamVersion,
            event: SignedEvent(trusted: event, body: bytes[bodyStart..<bodyStart + event.body.count]), spans: spans.shifted(by: bodyStart))
    }

    /// Calls `body` with the stream's UTF-8 as stored: no string is made.
    @inlinable public func withStreamUTF8<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try withSpan(storage.spans.stream, body)
    }

    /// Calls `body` with the kind's UTF-8 as stored: no string is made.
    @inlinable public func withKindUTF8<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try withSpan(storage.spans.kind, body)
    }

    /// Calls `body` with the payload as stored: no array is made.
    @inlinable public func withPayloadBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try withSpan(storage.spans.payload, body)
    }

    @inlinable func withSpan<R, E: Error>(_ span: FieldSpans.Span, _ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        let result: Result<R, E> = storage.bytes.withUnsafeBytes { raw in
            Result { () throws(E) -> R in try body(UnsafeRawBufferPointer(rebasing: raw[span.range])) }
        }
        return try result.get()
    }

    /// The RFC 6962 leaf hash of this entry: SHA-256(0x00 ‖ bytes).
    public var leafHash: Digest { MerkleHash.leaf(bytes) }

    /// The event's content.
    @inlinable public var content: EventContent { storage.event.content }
    /// The event's stream.
    @inlinable public var stream: String { storage.event.content.stream }
    /// The event's kind.
    @inlinable public var kind: String { storage.event.content.kind }
    /// The event's payload.
    @inlinable public var payload: [UInt8] { storage.event.content.payload }
    /// The signer's key.
    @inlinable public var actorKey: PublicKey { storage.event.content.actorKey }
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
