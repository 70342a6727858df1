import CivicLedger
import CivicLedgerTesting
import PropertyBased
import Testing

/// Input never crashes: every decoder answers arbitrary bytes with a value
/// or a `LedgerError`, and mutated valid input too.
@Suite("Decoders reject junk without trapping")
struct DecoderRobustnessTests {
    static let entry: LedgerEntry = {
        let key = FixtureKeys.key("robust")
        let event = try! SignedEvent(
            signing: EventContent(
                origin: "robust.example", stream: "case/1", place: "a/b", expectedVersion: .exactly(3), kind: "case.report",
                payload: Array("payload".utf8), actorKey: key.publicKey, clientTime: Timestamp(millisecondsSinceEpoch: 5),
                idempotencyKey: "k"),
            with: key)
        return LedgerEntry(position: 7, recordedAt: Timestamp(millisecondsSinceEpoch: 9), streamVersion: 4, event: event)
    }()

    @Test("random bytes as an entry, a body, a frontier")
    func randomBytes() async {
        await propertyCheck(count: 500, input: Gen.uint8().array(of: 0...400)) { bytes in
            // Random bytes cannot carry the event prefix and a consistent
            // layout: they must be refused, not trapped on.
            #expect((try? LedgerEntry(bytes: bytes)) == nil)
            #expect((try? EventContent(body: bytes)) == nil)
            _ = try? MerkleFrontier(serialized: bytes)
            let text = String(decoding: bytes, as: UTF8.self)
            _ = try? SignedCheckpoint(parsing: text)
            _ = try? NoteKey(verifierKey: text)
            _ = try? Place(validating: text)
        }
    }

    @Test("a text field is accepted exactly when its bytes are well-formed UTF-8 (what String's decoding keeps unchanged)")
    func utf8Fields() async throws {
        let key = FixtureKeys.key("utf8")
        func body(idempotencyKey count: Int) throws -> [UInt8] {
            try EventContent(
                origin: "utf8.example", stream: "case/1", place: "a/b", expectedVersion: .any, kind: "case.report", payload: [],
                actorKey: key.publicKey, clientTime: Timestamp(millisecondsSinceEpoch: 1), idempotencyKey: String(repeating: "a", count: count)
            ).encodedBody()
        }
        // Bytes 0x20...0xFF but 0x7F: never a control character, so only
        // their UTF-8 decides. Edge cases first: overlong forms, surrogates,
        // past U+10FFFF, truncated sequences, then random ones.
        let edges: [[UInt8]] = [
            [0xC0, 0xAF], [0xC1, 0xBF], [0xE0, 0x80, 0xAF], [0xED, 0xA0, 0x80], [0xED, 0x9F, 0xBF], [0xF4, 0x90, 0x80, 0x80],
            [0xF4, 0x8F, 0xBF, 0xBF], [0xF0, 0x8F, 0xBF, 0xBF], [0xF0, 0x90, 0x80, 0x80], [0xE2, 0x82], [0xF8, 0x88, 0x80, 0x80, 0x80],
            [0xE4, 0xB8, 0xAD, 0xE6, 0x96, 0x87], Array("plain ascii text!".utf8),
        ]
        func check(_ field: [UInt8]) throws {
            var bytes = try body(idempotencyKey: field.count)
            bytes.replaceSubrange(bytes.count - field.count..<bytes.count, with: field)
            let wellFormed = Array(String(decoding: field, as: UTF8.self).utf8) == field
            let accepted = (try? EventContent(body: bytes)) != nil
            #expect(accepted == wellFormed, "\(field)")
        }
        for field in edges { try check(field) }
        await propertyCheck(count: 2000, input: Gen.uint8(in: 0x20...0xFF).array(of: 1...24)) { field in
            try check(field.map { $0 == 0x7F ? 0x80 : $0 })
        }
    }

    @Test("valid entries with random bytes overwritten decode or fail cleanly, and never verify when the body changed")
    func mutatedEntries() async {
        let bytes = Self.entry.bytes
        await propertyCheck(count: 500, input: Gen.int(in: 0..<bytes.count), Gen.uint8().array(of: 1...8)) { offset, junk in
            var mutated = bytes
            for (index, byte) in junk.enumerated() where offset + index < mutated.count {
                mutated[offset + index] = byte
            }
            guard let decoded = try? LedgerEntry(bytes: mutated) else { return }
            if decoded.event.body != Self.entry.event.body || decoded.event.signature != Self.entry.event.signature {
                #expect(!decoded.event.hasValidSignature)
            }
        }
    }

    @Test("lengths that point past the end are refused", arguments: [UInt32.max, UInt32.max / 2, UInt32(1 << 20) + 5000] as [UInt32])
    func hugeLengths(_ length: UInt32) {
        var bytes = Self.entry.bytes
        // The body length field sits after version, position, time and stream version.
        withUnsafeBytes(of: length.bigEndian) { bytes.replaceSubrange(25..<29, with: $0) }
        #expect(throws: LedgerError.self) { try LedgerEntry(bytes: bytes) }
    }
}
