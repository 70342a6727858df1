import CivicLedger
import CivicLedgerTesting
import PropertyBased
import Testing

@Suite("Checkpoints as C2SP signed notes")
struct CheckpointTests {
    static let key = FixtureKeys.key("log")

    static func signed() throws -> SignedCheckpoint {
        try SignedCheckpoint(signing: Checkpoint(origin: "ledger.test/c", size: 12, root: MerkleHash.leaf([1])), with: key)
    }

    @Test("a checkpoint serialises, parses and verifies")
    func roundTrip() throws {
        let checkpoint = try Self.signed()
        let text = checkpoint.serialized
        #expect(text.hasPrefix("ledger.test/c\n12\n\(MerkleHash.leaf([1]).base64)\n\n\u{2014} ledger.test/c "))
        let parsed = try SignedCheckpoint(parsing: text)
        #expect(parsed == checkpoint)
        try parsed.verify(logKey: Self.key.publicKey)
        #expect(throws: LedgerError.self) { try parsed.verify(logKey: FixtureKeys.key("other").publicKey) }
    }

    @Test("the key id is SHA-256(name ‖ 0x0A ‖ 0x01 ‖ key)[:4], and the verifier key round-trips")
    func keyID() throws {
        let note = NoteKey(name: "ledger.test/c", publicKey: Self.key.publicKey)
        let expected = SHA256.hash(Array("ledger.test/c".utf8) + [0x0a, 0x01] + Self.key.publicKey.bytes).bytes[0..<4]
        #expect(note.keyID == expected.reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
        #expect(try NoteKey(verifierKey: note.verifierKey) == note)
        // Keys whose base64 holds a "+" (the separator) round-trip too.
        let plus = (0..<200).map { NoteKey(name: "ledger.test/c", publicKey: FixtureKeys.key("k\($0)").publicKey) }
            .filter { $0.verifierKey.split(separator: "+").count > 3 }
        #expect(!plus.isEmpty)
        for key in plus { #expect(try NoteKey(verifierKey: key.verifierKey) == key) }
        let wrongID = note.verifierKey.replacingOccurrences(of: String(note.verifierKey.split(separator: "+")[1]), with: "0000000")
        #expect(throws: LedgerError.self) { try NoteKey(verifierKey: wrongID) }
    }

    @Test("any single flipped bit in a signed checkpoint is detected")
    func flippedBit() async throws {
        let bytes = Array(try Self.signed().serialized.utf8)
        await propertyCheck(count: 300, input: Gen.int(in: 0..<(bytes.count * 8))) { bit in
            var tampered = bytes
            tampered[bit / 8] ^= UInt8(1) << UInt8(bit % 8)
            let text = String(decoding: tampered, as: UTF8.self)
            #expect(throws: LedgerError.self, "bit \(bit)") {
                let parsed = try SignedCheckpoint(parsing: text)
                try parsed.verify(logKey: Self.key.publicKey)
                // A flip that parses and verifies must at least not change what it says.
                if parsed.checkpoint == (try Self.signed()).checkpoint {
                    throw LedgerError(.invalidCheckpoint, "unchanged content")
                }
            }
        }
    }

    @Test(
        "malformed checkpoint texts are rejected",
        arguments: [
            "origin\n12\nroot\n\n\u{2014} k AAAA\n",
            "origin\n012\n\(MerkleHash.empty.base64)\n\n\u{2014} k AAAAAAA=\n",
            "origin\n12\n\(MerkleHash.empty.base64)\n",
            "origin\n12\n\(MerkleHash.empty.base64)\n\n- k AAAAAAA=\n",
        ])
    func malformed(_ text: String) {
        #expect(throws: LedgerError.self) { try SignedCheckpoint(parsing: text) }
    }
}
