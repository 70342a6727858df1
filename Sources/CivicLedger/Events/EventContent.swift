import Foundation

/// What an actor signs: the full content of one event.
///
/// The signed bytes are the *event body* (docs/format.md §2): a fixed
/// domain-separation prefix, then these fields in order. The prefix and the
/// ``origin`` make a signature worthless in any other ledger or for any
/// other purpose.
public struct EventContent: Hashable, Sendable {
    /// The ledger this event is for; it must equal the ledger's origin.
    public var origin: String
    /// The stream the event belongs to, such as `case/2026-000123`.
    public var stream: String
    /// The place the event concerns. A stream's place is fixed by its first
    /// event; the signer must hold a role whose scope covers it.
    public var place: Place
    /// The stream version the signer expects before this event.
    public var expectedVersion: ExpectedVersion
    /// The event kind, such as `case.reported`: lower-case ASCII letters,
    /// digits, `.`, `-` and `_`.
    public var kind: String
    /// The version of the payload's schema for this kind, from 1.
    public var schemaVersion: UInt32
    /// The payload bytes, opaque to the core. The `ledger.*` kinds use JSON.
    public var payload: [UInt8]
    /// The signer's Ed25519 public key, which is also its key id.
    public var actorKey: PublicKey
    /// When the signer says it acted (its own clock, not trusted).
    public var clientTime: Timestamp
    /// A key the signer chooses so that a retry is recognised; unique per
    /// actor key.
    public var idempotencyKey: String

    /// Creates event content. Nothing is validated until it is signed or
    /// appended.
    public init(
        origin: String, stream: String, place: Place, expectedVersion: ExpectedVersion,
        kind: String, schemaVersion: UInt32 = 1, payload: [UInt8], actorKey: PublicKey,
        clientTime: Timestamp, idempotencyKey: String
    ) {
        self.origin = origin
        self.stream = stream
        self.place = place
        self.expectedVersion = expectedVersion
        self.kind = kind
        self.schemaVersion = schemaVersion
        self.payload = payload
        self.actorKey = actorKey
        self.clientTime = clientTime
        self.idempotencyKey = idempotencyKey
    }

    /// The domain-separation prefix that starts every event body.
    public static let bodyPrefix: [UInt8] = Array("civic-ledger/event/v1".utf8) + [0]

    /// The largest payload accepted: 1 MiB.
    public static let maximumPayloadBytes = 1 << 20

    /// The encoded body: the exact bytes an actor signs.
    public func encodedBody() throws(LedgerError) -> [UInt8] {
        try validate()
        var writer = ByteWriter(capacity: 160 + payload.count + stream.utf8.count + origin.utf8.count)
        writer.raw(Self.bodyPrefix)
        writer.field(origin)
        writer.field(stream)
        writer.field(place.path)
        switch expectedVersion {
        case .any:
            writer.u8(0)
            writer.u64(0)
        case .exactly(let version):
            writer.u8(1)
            writer.u64(version)
        }
        writer.field(kind)
        writer.u32(schemaVersion)
        writer.field(payload)
        writer.raw(actorKey.raw)
        writer.i64(clientTime.millisecondsSinceEpoch)
        writer.field(idempotencyKey)
        return writer.bytes
    }

    /// Decodes a body, strictly: every field must be in range and nothing
    /// may follow the last field.
    public init(body: some ContiguousBytesCollection) throws(LedgerError) {
        self = try withBytes(body) { (buffer) throws(LedgerError) in try EventContent(decoding: buffer) }
    }

    init(decoding buffer: UnsafeRawBufferPointer) throws(LedgerError) {
        self.init(layout: try EventLayout(validating: buffer), in: buffer)
    }

    /// The content a validated body holds, its strings made from `buffer`.
    init(layout: EventLayout, in buffer: UnsafeRawBufferPointer) {
        origin = layout.origin.string(in: buffer)
        stream = layout.stream.string(in: buffer)
        place = Place(unchecked: layout.place.string(in: buffer))
        expectedVersion = layout.expectedVersion(in: buffer)
        kind = layout.kind.string(in: buffer)
        schemaVersion = layout.schemaVersion(in: buffer)
        payload = Array(UnsafeRawBufferPointer(rebasing: buffer[layout.payload.range]))
        actorKey = layout.actorKey(in: buffer)
        clientTime = layout.clientTime(in: buffer)
        idempotencyKey = layout.idempotencyKey.string(in: buffer)
    }

    /// Checks every field against the limits of docs/format.md §2.
    public func validate() throws(LedgerError) {
        try Self.validateOrigin(origin)
        try Self.checkText(stream, "stream", max: 255, stream: stream)
        try Place.validate(place.path)
        try Self.checkKind(kind)
        guard schemaVersion >= 1 else {
            throw LedgerError(.invalidField, "schema version must be 1 or more", stream: stream)
        }
        guard payload.count <= Self.maximumPayloadBytes else {
            throw LedgerError(.invalidField, "payload is \(payload.count) bytes, more than 1 MiB", stream: stream)
        }
        try Self.checkText(idempotencyKey, "idempotency key", max: 128, stream: stream)
    }

    /// Checks a ledger origin: 1 to 255 bytes, no control characters, no
    /// space and no `+` (it names the checkpoint key, C2SP signed-note).
    public static func validateOrigin(_ origin: String) throws(LedgerError) {
        try TextRules.utf8(origin) { (bytes) throws(LedgerError) in try checkOrigin(bytes) }
    }

    static func checkOrigin(_ bytes: UnsafeRawBufferPointer) throws(LedgerError) {
        try checkText(bytes, "origin", max: 255)
        guard !bytes.contains(where: { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "+") }) else {
            throw LedgerError(
                .invalidField,
                "origin \"\(String(decoding: bytes, as: UTF8.self))\" must not contain a space or '+' (C2SP checkpoint origin)")
        }
    }

    static func checkText(_ value: String, _ what: String, max: Int, stream: String? = nil) throws(LedgerError) {
        try TextRules.utf8(value) { (bytes) throws(LedgerError) in try checkText(bytes, what, max: max, stream: stream) }
    }

    /// Checks UTF-8 text of 1 to `max` bytes with no control character.
    static func checkText(_ bytes: UnsafeRawBufferPointer, _ what: String, max: Int, stream: @autoclosure () -> String? = nil)
        throws(LedgerError)
    {
        guard bytes.count >= 1, bytes.count <= max else {
            throw LedgerError(.invalidField, "\(what) must be 1 to \(max) bytes, got \(bytes.count)", stream: stream())
        }
        guard TextRules.hasNoControl(bytes) else {
            throw LedgerError(.invalidField, "\(what) must not contain control characters", stream: stream())
        }
    }

    /// Kinds are 1 to 128 bytes of `a-z`, `0-9`, `.`, `-`, `_`, starting with a letter.
    static func checkKind(_ kind: String) throws(LedgerError) {
        try TextRules.utf8(kind) { (bytes) throws(LedgerError) in try checkKind(bytes) }
    }

    static func checkKind(_ bytes: UnsafeRawBufferPointer) throws(LedgerError) {
        func valid() -> Bool {
            guard let first = bytes.first, bytes.count <= 128, first >= UInt8(ascii: "a"), first <= UInt8(ascii: "z") else { return false }
            for byte in bytes {
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                    UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: "_"):
                    continue
                default:
                    return false
                }
            }
            return true
        }
        guard valid() else {
            throw LedgerError(
                .invalidField, "kind \"\(String(decoding: bytes, as: UTF8.self))\" must be 1 to 128 of a-z 0-9 . - _, starting with a letter")
        }
    }
}

/// Where each field of a valid event body is, found and checked without
/// making a string: what a ``LedgerEntry`` keeps beside its bytes, so that
/// decoding an entry allocates nothing and each field is read from the
/// bytes when asked for. Offsets are relative to the start of the buffer
/// it was parsed from (``shifted(by:)`` moves them).
@usableFromInline struct EventLayout: Sendable {
    /// A byte range, as 32-bit offsets.
    @usableFromInline struct Span: Sendable {
        @usableFromInline var start: UInt32 = 0
        @usableFromInline var end: UInt32 = 0

        init() {}

        init(_ range: Range<Int>) {
            start = UInt32(truncatingIfNeeded: range.lowerBound)
            end = UInt32(truncatingIfNeeded: range.upperBound)
        }

        /// Moved `offset` bytes along.
        func shifted(by offset: Int) -> Span { Span(Int(start) + offset..<Int(end) + offset) }

        @inlinable var range: Range<Int> { Int(start)..<Int(end) }

        @inlinable func bytes(in buffer: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
            UnsafeRawBufferPointer(rebasing: buffer[range])
        }

        /// The (valid) UTF-8 of this span as a string.
        @inlinable func string(in buffer: UnsafeRawBufferPointer) -> String {
            String(decoding: bytes(in: buffer), as: UTF8.self)
        }
    }

    @usableFromInline var origin = Span()
    @usableFromInline var stream = Span()
    @usableFromInline var place = Span()
    @usableFromInline var kind = Span()
    @usableFromInline var payload = Span()
    @usableFromInline var idempotencyKey = Span()

    init() {}

    /// Parses and checks a body strictly, in the order of docs/format.md
    /// §2: every field in range, nothing after the last, then the rules
    /// of ``EventContent/validate()`` on the bytes.
    init(validating buffer: UnsafeRawBufferPointer) throws(LedgerError) {
        var reader = ByteReader(buffer)
        try reader.need(EventContent.bodyPrefix.count, "event body prefix")
        let prefixMatches = EventContent.bodyPrefix.withUnsafeBytes { prefix in
            memcmp(buffer.baseAddress!, prefix.baseAddress!, prefix.count) == 0
        }
        guard prefixMatches else {
            throw LedgerError(.malformed, "event body does not start with \"civic-ledger/event/v1\\0\"")
        }
        reader.offset = EventContent.bodyPrefix.count
        origin = Span(try reader.utf8Range("origin", maxLength: 255))
        stream = Span(try reader.utf8Range("stream", maxLength: 255))
        place = Span(try reader.utf8Range("place", maxLength: 255))
        let tag = try reader.u8("expected version tag")
        let version = try reader.u64("expected version")
        guard tag == 1 || (tag == 0 && version == 0) else {
            throw LedgerError(.malformed, "expected version tag \(tag) with value \(version) is not 0/0 or 1/n")
        }
        kind = Span(try reader.utf8Range("kind", maxLength: 128))
        let schemaVersion = try reader.u32("schema version")
        payload = Span(try reader.fieldRange("payload", maxLength: EventContent.maximumPayloadBytes))
        _ = try reader.bytes32("actor key")
        _ = try reader.i64("client time")
        idempotencyKey = Span(try reader.utf8Range("idempotency key", maxLength: 128))
        try reader.expectEnd("event body")

        let streamBytes = stream.bytes(in: buffer)
        try EventContent.checkOrigin(origin.bytes(in: buffer))
        try EventContent.checkText(streamBytes, "stream", max: 255, stream: String(decoding: streamBytes, as: UTF8.self))
        try Place.validate(place.bytes(in: buffer))
        try EventContent.checkKind(kind.bytes(in: buffer))
        guard schemaVersion >= 1 else {
            throw LedgerError(.invalidField, "schema version must be 1 or more", stream: String(decoding: streamBytes, as: UTF8.self))
        }
        try EventContent.checkText(
            idempotencyKey.bytes(in: buffer), "idempotency key", max: 128, stream: String(decoding: streamBytes, as: UTF8.self))
    }

    /// The spans of a body that is known to be valid (it was decoded or
    /// encoded already), found without checking the fields again.
    init(scanningValidBody buffer: UnsafeRawBufferPointer) {
        var reader = ByteReader(buffer)
        reader.offset = EventContent.bodyPrefix.count
        do throws(LedgerError) {
            origin = Span(try reader.fieldRange("origin", maxLength: .max))
            stream = Span(try reader.fieldRange("stream", maxLength: .max))
            place = Span(try reader.fieldRange("place", maxLength: .max))
            reader.offset += 9
            kind = Span(try reader.fieldRange("kind", maxLength: .max))
            reader.offset += 4
            payload = Span(try reader.fieldRange("payload", maxLength: .max))
            reader.offset += 32 + 8
            idempotencyKey = Span(try reader.fieldRange("idempotency key", maxLength: .max))
        } catch {
            self = EventLayout()
        }
    }

    /// Every span moved `offset` bytes along.
    func shifted(by offset: Int) -> EventLayout {
        var moved = self
        moved.origin = origin.shifted(by: offset)
        moved.stream = stream.shifted(by: offset)
        moved.place = place.shifted(by: offset)
        moved.kind = kind.shifted(by: offset)
        moved.payload = payload.shifted(by: offset)
        moved.idempotencyKey = idempotencyKey.shifted(by: offset)
        return moved
    }

    // The fixed-size fields sit at known distances from the spans.

    @inlinable func expectedVersion(in buffer: UnsafeRawBufferPointer) -> ExpectedVersion {
        let at = Int(place.end)
        guard buffer[at] == 1 else { return .any }
        return .exactly(UInt64(bigEndian: buffer.loadUnaligned(fromByteOffset: at + 1, as: UInt64.self)))
    }

    @inlinable func schemaVersion(in buffer: UnsafeRawBufferPointer) -> UInt32 {
        UInt32(bigEndian: buffer.loadUnaligned(fromByteOffset: Int(kind.end), as: UInt32.self))
    }

    @inlinable func actorKey(in buffer: UnsafeRawBufferPointer) -> PublicKey {
        let at = Int(payload.end)
        return PublicKey(raw: Bytes32 { out in out.copyMemory(from: UnsafeRawBufferPointer(rebasing: buffer[at..<at + 32])) })
    }

    @inlinable func clientTime(in buffer: UnsafeRawBufferPointer) -> Timestamp {
        Timestamp(millisecondsSinceEpoch: Int64(bigEndian: buffer.loadUnaligned(fromByteOffset: Int(payload.end) + 32, as: Int64.self)))
    }
}
