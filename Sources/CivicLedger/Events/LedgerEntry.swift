/// One entry of the log, exactly as stored: the leaf data of the Merkle
/// tree.
///
/// The ledger wraps the actor's signed event with what only it decides:
/// the position, its recorded time and the stream version. The layout is
/// in docs/format.md §3.
///
/// An entry is its stored bytes and where each field lies in them: decoding
/// checks every field and makes nothing, so it allocates nothing (the
/// bytes are shared, not copied), and copying an entry (as every `for entry
/// in page` does) costs one reference count. Each field is read from the
/// bytes when asked for: the hot paths of projections read the stream,
/// kind and payload in place (``withStreamUTF8(_:)``, ``withKindUTF8(_:)``,
/// ``withPayloadBytes(_:)``, ``actorKey``); ``content`` and ``event`` make
/// every field at once, so code that needs several of them takes
/// ``content`` once.
public struct LedgerEntry: Hashable, Sendable {
    /// The exact stored bytes; the Merkle leaf hash covers these.
    public let bytes: [UInt8]
    /// The header's fields, and where the body's are in ``bytes``.
    @usableFromInline let header: Header

    @usableFromInline struct Header: Sendable {
        @usableFromInline var position: UInt64
        @usableFromInline var recordedAt: Timestamp
        @usableFromInline var streamVersion: UInt64
        @usableFromInline var body: EventLayout.Span
        @usableFromInline var fields: EventLayout
    }

    /// The entry's position in the log, from 0, gapless; also its Merkle
    /// leaf index.
    @inlinable public var position: UInt64 { header.position }
    /// When the ledger sequenced the entry (the ledger's clock).
    @inlinable public var recordedAt: Timestamp { header.recordedAt }
    /// The stream's version after this event: 1 for a stream's first event.
    @inlinable public var streamVersion: UInt64 { header.streamVersion }

    /// Two entries are equal when their stored bytes are: the bytes
    /// determine every field.
    public static func == (lhs: LedgerEntry, rhs: LedgerEntry) -> Bool {
        lhs.bytes == rhs.bytes
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(bytes)
    }

    /// The entry format version this library writes.
    public static let formatVersion: UInt8 = 1

    /// The header's length: format version, position, recorded time,
    /// stream version and the body's length.
    static let headerBytes = 1 + 8 + 8 + 8 + 4

    /// Decodes stored bytes strictly. The bytes are kept, not copied.
    ///
    /// - Throws: ``LedgerError`` `.malformed` or `.invalidField`.
    public init(bytes: [UInt8]) throws(LedgerError) {
        header = try withBytes(bytes) { (buffer) throws(LedgerError) in
            var reader = ByteReader(buffer)
            let version = try reader.u8("entry format version")
            guard version == Self.formatVersion else {
                throw LedgerError(.malformed, "entry format version \(version) is not \(Self.formatVersion)")
            }
            let position = try reader.u64("position")
            let recorded = try reader.i64("recorded time")
            let streamVersion = try reader.u64("stream version")
            let bodyRange = try reader.fieldRange("event body", maxLength: EventContent.maximumPayloadBytes + 4096)
            try reader.need(64, "signature")
            reader.offset += 64
            try reader.expectEnd("entry")
            guard streamVersion >= 1 else {
                throw LedgerError(.malformed, "stream version 0 is not a version an entry can give its stream", position: position)
            }
            let fields: EventLayout
            do throws(LedgerError) {
                fields = try EventLayout(validating: UnsafeRawBufferPointer(rebasing: buffer[bodyRange]))
            } catch {
                throw error.at(position: position)
            }
            return Header(
                position: position, recordedAt: Timestamp(millisecondsSinceEpoch: recorded), streamVersion: streamVersion,
                body: EventLayout.Span(bodyRange), fields: fields.shifted(by: bodyRange.lowerBound))
        }
        self.bytes = bytes
    }

    /// Wraps a signed event as the entry at `position`.
    public init(position: UInt64, recordedAt: Timestamp, streamVersion: UInt64, event: SignedEvent) {
        var writer = ByteWriter(capacity: Self.headerBytes + event.body.count + 64)
        writer.u8(Self.formatVersion)
        writer.u64(position)
        writer.i64(recordedAt.millisecondsSinceEpoch)
        writer.u64(streamVersion)
        writer.field(event.body)
        event.signature.withUnsafeBytes { writer.raw($0) }
        bytes = writer.bytes
        let fields = event.body.withUnsafeBytes { EventLayout(scanningValidBody: $0) }
        header = Header(
            position: position, recordedAt: recordedAt, streamVersion: streamVersion,
            body: EventLayout.Span(Self.headerBytes..<Self.headerBytes + event.body.count), fields: fields.shifted(by: Self.headerBytes))
    }

    /// Calls `body` with the entry's bytes.
    @inlinable func withBuffer<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        bytes.withUnsafeBytes(body)
    }

    /// Calls `body` with the stream's UTF-8 as stored: no string is made.
    @inlinable public func withStreamUTF8<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try withSpan(header.fields.stream, body)
    }

    /// Calls `body` with the kind's UTF-8 as stored: no string is made.
    @inlinable public func withKindUTF8<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try withSpan(header.fields.kind, body)
    }

    /// Calls `body` with the payload as stored: no array is made.
    @inlinable public func withPayloadBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try withSpan(header.fields.payload, body)
    }

    @inlinable func withSpan<R, E: Error>(_ span: EventLayout.Span, _ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        let result: Result<R, E> = bytes.withUnsafeBytes { raw in
            Result { () throws(E) -> R in try body(span.bytes(in: raw)) }
        }
        return try result.get()
    }

    /// The RFC 6962 leaf hash of this entry: SHA-256(0x00 ‖ bytes).
    public var leafHash: Digest { MerkleHash.leaf(bytes) }

    /// The event body as the actor signed it, in place.
    public var body: ArraySlice<UInt8> { bytes[header.body.range] }

    /// The actor's signed event: every field made (see ``content``).
    public var event: SignedEvent {
        SignedEvent(content: content, body: body, signature: signature)
    }

    /// The actor's signature over the event body.
    public var signature: Signature {
        withBuffer { buffer in
            let at = Int(header.body.end)
            return Signature(
                low: Bytes32 { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: buffer[at..<at + 32])) },
                high: Bytes32 { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: buffer[at + 32..<at + 64])) })
        }
    }

    /// `true` when the signature is the actor key's valid signature over
    /// the event body (one Ed25519 verification; nothing is decoded).
    public var hasValidSignature: Bool {
        actorKey.isValidSignature(signature, for: body)
    }

    /// The event's content, every field made from the bytes.
    public var content: EventContent { withBuffer { EventContent(layout: header.fields, in: $0) } }
    /// The event's stream.
    @inlinable public var stream: String { withBuffer { header.fields.stream.string(in: $0) } }
    /// The event's kind.
    @inlinable public var kind: String { withBuffer { header.fields.kind.string(in: $0) } }
    /// The version of the kind's payload the event was written in.
    @inlinable public var schemaVersion: UInt32 { withBuffer { header.fields.schemaVersion(in: $0) } }
    /// The event's place.
    @inlinable public var place: Place { withBuffer { Place(unchecked: header.fields.place.string(in: $0)) } }
    /// The event's payload.
    @inlinable public var payload: [UInt8] { withBuffer { Array(header.fields.payload.bytes(in: $0)) } }
    /// The signer's key.
    @inlinable public var actorKey: PublicKey { withBuffer { header.fields.actorKey(in: $0) } }
    /// The signer's idempotency key.
    @inlinable public var idempotencyKey: String { withBuffer { header.fields.idempotencyKey.string(in: $0) } }
}
