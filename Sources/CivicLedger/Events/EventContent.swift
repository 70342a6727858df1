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
        var spans = FieldSpans()
        try self.init(decoding: buffer, spans: &spans)
    }

    /// Decodes a body and notes where its stream, kind and payload bytes
    /// are, relative to the body's start.
    init(decoding buffer: UnsafeRawBufferPointer, spans: inout FieldSpans) throws(LedgerError) {
        var reader = ByteReader(buffer)
        try reader.need(Self.bodyPrefix.count, "event body prefix")
        let prefixMatches = Self.bodyPrefix.withUnsafeBytes { prefix in
            memcmp(buffer.baseAddress!, prefix.baseAddress!, prefix.count) == 0
        }
        guard prefixMatches else {
            throw LedgerError(.malformed, "event body does not start with \"civic-ledger/event/v1\\0\"")
        }
        reader.offset = Self.bodyPrefix.count
        origin = try reader.string("origin", maxLength: 255)
        let streamStart = reader.offset + 4
        stream = try reader.string("stream", maxLength: 255)
        spans.stream = FieldSpans.Span(start: streamStart, end: reader.offset)
        place = Place(unchecked: try reader.string("place", maxLength: 255))
        let tag = try reader.u8("expected version tag")
        let version = try reader.u64("expected version")
        switch tag {
        case 0 where version == 0: expectedVersion = .any
        case 1: expectedVersion = .exactly(version)
        default: throw LedgerError(.malformed, "expected version tag \(tag) with value \(version) is not 0/0 or 1/n")
        }
        let kindStart = reader.offset + 4
        kind = try reader.string("kind", maxLength: 128)
        spans.kind = FieldSpans.Span(start: kindStart, end: reader.offset)
        schemaVersion = try reader.u32("schema version")
        let payloadRange = try reader.fieldRange("payload", maxLength: Self.maximumPayloadBytes)
        payload = Array(buffer[payloadRange])
        spans.payload = FieldSpans.Span(range: payloadRange)
        actorKey = PublicKey(raw: try reader.bytes32("actor key"))
        clientTime = Timestamp(millisecondsSinceEpoch: try reader.i64("client time"))
        idempotencyKey = try reader.string("idempotency key", maxLength: 128)
        try reader.expectEnd("event body")
        try validate()
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
        try checkText(origin, "origin", max: 255)
        let clean = try TextRules.utf8(origin) { (bytes) throws(LedgerError) in
            !bytes.contains { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "+") }
        }
        guard clean else {
            throw LedgerError(.invalidField, "origin \"\(origin)\" must not contain a space or '+' (C2SP checkpoint origin)")
        }
    }

    static func checkText(_ value: String, _ what: String, max: Int, stream: String? = nil) throws(LedgerError) {
        let count = value.utf8.count
        guard count >= 1, count <= max else {
            throw LedgerError(.invalidField, "\(what) must be 1 to \(max) bytes, got \(count)", stream: stream)
        }
        guard try TextRules.utf8(value, TextRules.hasNoControl) else {
            throw LedgerError(.invalidField, "\(what) must not contain control characters", stream: stream)
        }
    }

    /// Kinds are 1 to 128 bytes of `a-z`, `0-9`, `.`, `-`, `_`, starting with a letter.
    static func checkKind(_ kind: String) throws(LedgerError) {
        let valid = try TextRules.utf8(kind) { (bytes) throws(LedgerError) -> Bool in
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
        guard valid else {
            throw LedgerError(.invalidField, "kind \"\(kind)\" must be 1 to 128 of a-z 0-9 . - _, starting with a letter")
        }
    }
}

/// Where an event's stream, kind and payload bytes are inside a buffer, so
/// hot paths can read them without touching the decoded strings.
@usableFromInline struct FieldSpans: Sendable {
    /// A byte range, as 32-bit offsets.
    @usableFromInline struct Span: Sendable {
        @usableFromInline var start: UInt32 = 0
        @usableFromInline var end: UInt32 = 0

        init() {}

        init(start: Int, end: Int) {
            self.start = UInt32(truncatingIfNeeded: start)
            self.end = UInt32(truncatingIfNeeded: end)
        }

        init(range: Range<Int>) { self.init(start: range.lowerBound, end: range.upperBound) }

        /// Moved `offset` bytes along.
        func shifted(by offset: Int) -> Span { Span(start: Int(start) + offset, end: Int(end) + offset) }

        @inlinable var range: Range<Int> { Int(start)..<Int(end) }
    }

    @usableFromInline var stream = Span()
    @usableFromInline var kind = Span()
    @usableFromInline var payload = Span()

    init() {}

    /// The spans of a body that is known to be valid (it was decoded or
    /// encoded already): skips the fields before the payload without
    /// decoding them; all zero if the body is short.
    init(scanningValidBody buffer: UnsafeRawBufferPointer) {
        var reader = ByteReader(buffer)
        reader.offset = EventContent.bodyPrefix.count
        do throws(LedgerError) {
            _ = try reader.fieldRange("origin", maxLength: .max)
            stream = Span(range: try reader.fieldRange("stream", maxLength: .max))
            _ = try reader.fieldRange("place", maxLength: .max)
            _ = try reader.u8("expected version tag")
            _ = try reader.u64("expected version")
            kind = Span(range: try reader.fieldRange("kind", maxLength: .max))
            _ = try reader.u32("schema version")
            payload = Span(range: try reader.fieldRange("payload", maxLength: .max))
        } catch {
            self = FieldSpans()
        }
    }

    /// Every span moved `offset` bytes along.
    func shifted(by offset: Int) -> FieldSpans {
        var moved = self
        moved.stream = stream.shifted(by: offset)
        moved.kind = kind.shifted(by: offset)
        moved.payload = payload.shifted(by: offset)
        return moved
    }
}
