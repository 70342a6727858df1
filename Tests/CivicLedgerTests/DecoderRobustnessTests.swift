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
