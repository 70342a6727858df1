import CivicLedger
import CivicLedgerTesting
import Foundation
import Testing

@Suite("Cosignatures and witness policies (C2SP tlog-cosignature, tlog-policy)")
struct WitnessPolicyTests {
    static let origin = "civic-ledger.example/zhuji/dongsheng"
    static let log = FixtureKeys.key("policy-log")

    static func witness(_ name: String) -> (key: SigningKey, cosigner: CosignerKey) {
        let key = FixtureKeys.key("witness-\(name)")
        return (key, CosignerKey(name: "\(name).witness.example/w1", publicKey: key.publicKey))
    }

    static func checkpoint(size: UInt64, root: String) throws -> SignedCheckpoint {
        try SignedCheckpoint(signing: Checkpoint(origin: origin, size: size, root: SHA256.hash(Array(root.utf8))), with: log)
    }

    static func cosigned(_ checkpoint: SignedCheckpoint, by names: [String], at time: UInt64 = 1_790_000_000) throws -> SignedCheckpoint {
        var copy = checkpoint
        for name in names {
            let (key, cosigner) = witness(name)
            copy.note.signatures.append(try cosigner.cosign(copy.note.text, at: time, with: key))
        }
        return try SignedCheckpoint(parsing: copy.serialized)
    }

    static let policyText: String = {
        let logKey = NoteKey(name: origin, publicKey: log.publicKey).verifierKey
        return """
            # the district's policy
            log \(logKey)

            witness street  \(witness("street").cosigner.verifierKey)   https://street.witness.example/
            witness bureau  \(witness("bureau").cosigner.verifierKey)
            \twitness library \(witness("library").cosigner.verifierKey)
            group two-of-three 2 street bureau library
            quorum two-of-three

            """
    }()

    @Test("a cosignature is the bytes C2SP tlog-cosignature gives (checked against PyNaCl on the spec's example checkpoint)")
    func vector() throws {
        // Computed with PyNaCl 1.6.2 from the spec's text: seed 00 01 … 1f,
        // the name witness.example/w1, time 1679315147.
        let key = try #require(SigningKey(seed: Array(0..<32) as [UInt8]))
        let cosigner = CosignerKey(name: "witness.example/w1", publicKey: key.publicKey)
        #expect(cosigner.verifierKey == "witness.example/w1+e75f6532+BAOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4")
        let text = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
        let line = try cosigner.cosign(text, at: 1_679_315_147, with: key)
        let note = SignedNote(text: text, signatures: [line])
        #expect(
            note.serialized.hasSuffix(
                "\u{2014} witness.example/w1 519lMgAAAABkGFDLBuRDazBLVac2NE+Y+IjbjQOcXLfF9CSDZVUIoS83rE1nFZsVE8YiWV6Ngr7lV8H6bdoBQGP/l73euDMQ9k+bBQ==\n"))
        #expect(try cosigner.cosignatureTime(on: try SignedNote(parsing: note.serialized)) == 1_679_315_147)
        #expect(try CosignerKey(verifierKey: cosigner.verifierKey) == cosigner)
        // A log's key (type 0x01) is not a cosigner key (0x04), and back.
        #expect(throws: LedgerError.self) { try CosignerKey(verifierKey: NoteKey(name: "x", publicKey: key.publicKey).verifierKey) }
        #expect(throws: LedgerError.self) { try NoteKey(verifierKey: cosigner.verifierKey) }
    }

    @Test("a cosignature covers its checkpoint and time: moved to another checkpoint it is refused; other keys' lines are ignored")
    func cosignatures() throws {
        let (key, cosigner) = Self.witness("street")
        let first = try Self.cosigned(try Self.checkpoint(size: 10, root: "a"), by: ["street"])
        #expect(try cosigner.cosignatureTime(on: first.note) == 1_790_000_000)
        #expect(try Self.witness("bureau").cosigner.cosignatureTime(on: first.note) == nil)

        var moved = try Self.checkpoint(size: 10, root: "b")
        moved.note.signatures.append(first.note.signatures[1])
        #expect(throws: LedgerError.self) { try cosigner.cosignatureTime(on: moved.note) }

        var retimed = first
        var line = retimed.note.signatures[1]
        line.signature[7] ^= 1
        retimed.note.signatures[1] = line
        #expect(throws: LedgerError.self) { try cosigner.cosignatureTime(on: retimed.note) }

        #expect(throws: LedgerError.self) { try cosigner.cosign(first.note.text, at: 0, with: key) }
        #expect(throws: LedgerError.self) { try cosigner.cosign(first.note.text, at: 1, with: Self.log) }
    }

    @Test("a split view (two roots for one size, each signed by the log key) is refused by a quorum of honest witnesses")
    func splitView() throws {
        let policy = try WitnessPolicy(parsing: Self.policyText)
        // The district sees one history, cosigned by the street office and the bureau…
        let shown = try Self.cosigned(try Self.checkpoint(size: 1000, root: "the real log"), by: ["street", "bureau"])
        #expect(try policy.check(shown) == ["bureau", "street"])
        // …residents are shown another of the same size, which only one
        // (colluding) witness would cosign: no quorum.
        let other = try Self.cosigned(try Self.checkpoint(size: 1000, root: "a rewritten log"), by: ["library"])
        #expect(try other.verify(logKey: Self.log.publicKey) == ())
        let refused = #expect(throws: LedgerError.self) { try policy.check(other) }
        #expect(refused?.message.contains("does not meet the witness quorum: cosigned by library") == true)
        // Honest witnesses' cosignatures copied onto it do not verify.
        var forged = other
        forged.note.signatures += shown.note.signatures.dropFirst()
        #expect(throws: LedgerError.self) { try policy.check(forged) }
        // Two honest witnesses and the third: still fine; one alone: not.
        #expect(try policy.check(try Self.cosigned(try Self.checkpoint(size: 5, root: "x"), by: ["street", "bureau", "library"])).count == 3)
        #expect(throws: LedgerError.self) { try policy.check(try Self.cosigned(try Self.checkpoint(size: 5, root: "x"), by: ["bureau"])) }
    }

    @Test("the log: one the policy lists, named by the origin, or the key given; none else")
    func logs() throws {
        let policy = try WitnessPolicy(parsing: Self.policyText)
        let stranger = FixtureKeys.key("another-log")
        let unlisted = try Self.cosigned(
            try SignedCheckpoint(signing: Checkpoint(origin: Self.origin, size: 3, root: SHA256.hash([1])), with: stranger),
            by: ["street", "bureau"])
        #expect(throws: LedgerError.self) { try policy.check(unlisted) }
        #expect(throws: LedgerError.self) { try policy.check(try Self.cosigned(try Self.checkpoint(size: 3, root: "r"), by: ["street", "bureau"]), logKey: stranger.publicKey) }

        let anyLog = try WitnessPolicy(parsing: "witness a \(Self.witness("street").cosigner.verifierKey)\nquorum a\n")
        let checkpoint = try Self.cosigned(try Self.checkpoint(size: 3, root: "r"), by: ["street"])
        #expect(throws: LedgerError.self) { try anyLog.check(checkpoint) }
        #expect(try anyLog.check(checkpoint, logKey: Self.log.publicKey) == ["a"])
        #expect(try WitnessPolicy(parsing: "quorum none\n").check(try Self.checkpoint(size: 3, root: "r"), logKey: Self.log.publicKey).isEmpty)
    }

    @Test("policy text: groups of groups; every malformed line refused with its number", arguments: [
        ("group g any street", "line 1: street is not a witness or group defined above"),
        ("witness a KEY_A\nwitness a KEY_B\nquorum a", "line 2: the name a is defined already"),
        ("witness a KEY_A\nwitness b KEY_A\nquorum a", "line 2: a key listed twice"),
        ("witness a KEY_A\nquorum a\nquorum a", "line 3: a second quorum line"),
        ("witness a KEY_A\ngroup g 2 a\nquorum g", "line 2: the threshold 2 is not all, any or 1 to 1"),
        ("witness a KEY_A\ngroup g 01 a\nquorum g", "line 2: the threshold 01"),
        ("witness a KEY_A\ngroup g any a a\nquorum g", "line 2: a is a member of a group already"),
        ("witness a KEY_A\ngroup g any none\nquorum g", "line 2: none is not a witness or group defined above"),
        ("witness a KEY_A", "the policy has no quorum line"),
        ("witness a KEY_A\nquorum a\u{1}", "line 2: a control character"),
        ("witnesses a KEY_A\nquorum a", "line 1: witnesses is not log, witness, group or quorum"),
        ("witness a LOG_KEY\nquorum a", "line 1: not an Ed25519 verifier key of type 4"),
    ] as [(String, String)])
    func malformed(_ text: String, _ expected: String) throws {
        let filled = text.replacingOccurrences(of: "KEY_A", with: Self.witness("a").cosigner.verifierKey)
            .replacingOccurrences(of: "KEY_B", with: Self.witness("b").cosigner.verifierKey)
            .replacingOccurrences(of: "LOG_KEY", with: NoteKey(name: Self.origin, publicKey: Self.log.publicKey).verifierKey)
        let error = #expect(throws: LedgerError.self) { try WitnessPolicy(parsing: filled) }
        #expect(error?.message.contains(expected) == true, "\(error?.message ?? "")")
    }

    @Test("groups nest: all of two groups, each with its own threshold")
    func nestedGroups() throws {
        var text = ""
        for name in ["x1", "x2", "x3", "y1", "y2"] { text += "witness \(name) \(Self.witness(name).cosigner.verifierKey)\n" }
        text += "group X 2 x1 x2 x3\ngroup Y any y1 y2\ngroup XY all X Y\nquorum XY\n"
        let policy = try WitnessPolicy(parsing: text)
        let base = try Self.checkpoint(size: 9, root: "r")
        #expect(try policy.check(try Self.cosigned(base, by: ["x1", "x3", "y2"]), logKey: Self.log.publicKey) == ["x1", "x3", "y2"])
        #expect(throws: LedgerError.self) { try policy.check(try Self.cosigned(base, by: ["x1", "x2", "x3"]), logKey: Self.log.publicKey) }
        #expect(throws: LedgerError.self) { try policy.check(try Self.cosigned(base, by: ["x1", "y1", "y2"]), logKey: Self.log.publicKey) }
    }
}
