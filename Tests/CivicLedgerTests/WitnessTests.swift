import CivicLedger
import CivicLedgerTesting
import Foundation
import Testing

/// A log of `count` leaves the tests grow, with its signed checkpoints and
/// the requests a log sends a witness (C2SP tlog-witness add-checkpoint).
struct TestLog {
    static let origin = "civic-ledger.example/zhuji/dongsheng"
    static let key = FixtureKeys.key("witness-test-log")
    static let noteKey = NoteKey(name: origin, publicKey: key.publicKey)
    var tree = MerkleTreeBuilder(leaves: (0..<200).map { SHA256.hash([UInt8(truncatingIfNeeded: $0), 1]) })

    func checkpoint(_ size: UInt64, signer: SigningKey = TestLog.key, root: Digest? = nil) throws -> SignedCheckpoint {
        try SignedCheckpoint(signing: Checkpoint(origin: Self.origin, size: size, root: root ?? tree.root(size: size)), with: signer)
    }

    func request(old: UInt64, _ checkpoint: SignedCheckpoint, proof: [Digest]? = nil) throws -> String {
        let hashes = try proof ?? (old == 0 ? [] : tree.consistencyProof(size1: old, size2: checkpoint.checkpoint.size))
        return "old \(old)\n" + hashes.map { $0.base64 + "\n" }.joined() + "\n" + checkpoint.serialized
    }
}

@Suite("Witness (C2SP tlog-witness add-checkpoint)")
struct WitnessTests {
    static func witness(state: any WitnessStateStore = InMemoryWitnessState(), name: String = "street") -> Witness {
        Witness(
            name: "\(name).witness.example/w1", signer: FixtureKeys.key("witness-\(name)"), logs: [TestLog.noteKey], state: state,
            clock: FixedClock(Timestamp(millisecondsSinceEpoch: 1_790_000_000_123)))
    }

    @Test("a consistent checkpoint is recorded, then cosigned; the cosignature verifies on the checkpoint")
    func cosigns() async throws {
        let log = TestLog()
        let witness = Self.witness()
        var previous: UInt64 = 0
        for size: UInt64 in [1, 7, 8, 64, 65, 200] {
            let checkpoint = try log.checkpoint(size)
            let response = await witness.addCheckpoint(try log.request(old: previous, checkpoint))
            #expect(response.status == 200, "\(size): \(response.body)")
            let cosigned = try SignedNote(parsing: checkpoint.serialized + response.body)
            #expect(try witness.cosigner.cosignatureTime(on: cosigned) == 1_790_000_000)
            previous = size
        }
        // The same checkpoint again, from its own size: cosigned again.
        #expect(await witness.addCheckpoint(try log.request(old: 200, try log.checkpoint(200))).status == 200)
    }

    @Test("out of step: 409 with the witness's size; the caller catches up from there")
    func conflict() async throws {
        let log = TestLog()
        let witness = Self.witness()
        #expect(await witness.addCheckpoint(try log.request(old: 0, try log.checkpoint(10))).status == 200)
        for old: UInt64 in [0, 5, 11] {
            let response = await witness.addCheckpoint(try log.request(old: old, try log.checkpoint(20), proof: []))
            #expect(response.status == 409 && response.body == "10\n" && response.contentType == "text/x.tlog.size", "\(old)")
        }
        #expect(await witness.addCheckpoint(try log.request(old: 10, try log.checkpoint(20))).status == 200)
        // Never back: an older checkpoint, however proved, is out of step.
        #expect(await witness.addCheckpoint(try log.request(old: 10, try log.checkpoint(15))).status == 409)
    }

    @Test("a split view: a second root for a size the witness cosigned, or a history that is not an extension, is refused (422)")
    func splitView() async throws {
        let log = TestLog()
        let witness = Self.witness()
        #expect(await witness.addCheckpoint(try log.request(old: 0, try log.checkpoint(50))).status == 200)
        var rewritten = TestLog()
        rewritten.tree = MerkleTreeBuilder(leaves: (0..<200).map { SHA256.hash([UInt8(truncatingIfNeeded: $0), 2]) })
        // The same size, another root, signed by the log key.
        let other = try rewritten.checkpoint(50)
        #expect(await witness.addCheckpoint(try rewritten.request(old: 50, other, proof: [])).status == 422)
        // A larger tree whose proof is from the other history.
        let larger = try rewritten.checkpoint(80)
        #expect(await witness.addCheckpoint(try rewritten.request(old: 50, larger)).status == 422)
        // The real extension still goes.
        #expect(await witness.addCheckpoint(try log.request(old: 50, try log.checkpoint(80))).status == 200)
    }

    @Test("the documented errors: unknown log 404, unsigned 403, old past the size 400, size 0 with another root 422, a proof from 0 422, malformed 400")
    func errors() async throws {
        let log = TestLog()
        let witness = Self.witness()
        let stranger = FixtureKeys.key("stranger")
        let unknown = try SignedCheckpoint(signing: Checkpoint(origin: "elsewhere.example/log", size: 3, root: log.tree.root(size: 3)), with: stranger)
        #expect(await witness.addCheckpoint(try log.request(old: 0, unknown)).status == 404)
        #expect(await witness.addCheckpoint(try log.request(old: 0, try log.checkpoint(3, signer: stranger))).status == 403)
        #expect(await witness.addCheckpoint(try log.request(old: 5, try log.checkpoint(3), proof: [])).status == 400)
        #expect(await witness.addCheckpoint(try log.request(old: 0, try log.checkpoint(0, root: SHA256.hash([9])))).status == 422)
        #expect(await witness.addCheckpoint(try log.request(old: 0, try log.checkpoint(3), proof: [SHA256.hash([1])])).status == 422)
        for malformed in ["old 1\n", "old 01\n\n", "0ld 0\n\n", "old 0\nnot base64\n\nx"] {
            #expect(await witness.addCheckpoint(malformed).status == 400, "\(malformed)")
        }
        let tooLong = "old 0\n" + String(repeating: SHA256.hash([1]).base64 + "\n", count: 64) + "\n" + (try log.checkpoint(3)).serialized
        #expect(await witness.addCheckpoint(tooLong).status == 400)
        // Nothing above was recorded.
        #expect(await witness.addCheckpoint(try log.request(old: 0, try log.checkpoint(3))).status == 200)
    }

    @Test("concurrent requests for one origin: one wins, the other is out of step; the record never goes back")
    func concurrent() async throws {
        let log = TestLog()
        let state = InMemoryWitnessState()
        // Two witness objects on one state, as two processes on one file.
        let first = Self.witness(state: state)
        let second = Self.witness(state: state)
        #expect(await first.addCheckpoint(try log.request(old: 0, try log.checkpoint(10))).status == 200)
        let thirty = try log.request(old: 10, try log.checkpoint(30))
        let twenty = try log.request(old: 10, try log.checkpoint(20))
        async let a = first.addCheckpoint(thirty)
        async let b = second.addCheckpoint(twenty)
        let statuses = await [a.status, b.status].sorted()
        #expect(statuses == [200, 409])
        let record = try #require(try await state.record(of: TestLog.origin))
        #expect(record.size == 20 || record.size == 30)
        #expect(record.root == log.tree.root(size: record.size))
    }
}

/// A clock that always says the same time.
struct FixedClock: LedgerClock {
    let time: Timestamp
    init(_ time: Timestamp) { self.time = time }
    func now() -> Timestamp { time }
}
