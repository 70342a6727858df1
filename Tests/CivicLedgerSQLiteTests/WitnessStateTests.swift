import CivicLedger
import CivicLedgerSQLite
import CivicLedgerTesting
import Foundation
import GRDB
import Testing

@Suite("SQLiteWitnessState")
struct WitnessStateTests {
    @Test("a witness restarted on its state file keeps its records: out of step for what it forgot, consistent for what it saw")
    func survivesRestart() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("witness.sqlite")
        let log = FixtureKeys.key("restart-log")
        let origin = "civic-ledger.example/restart"
        let tree = MerkleTreeBuilder(leaves: (0..<40).map { SHA256.hash([UInt8($0)]) })
        func request(old: UInt64, size: UInt64) throws -> String {
            let checkpoint = try SignedCheckpoint(signing: Checkpoint(origin: origin, size: size, root: tree.root(size: size)), with: log)
            let proof = old == 0 ? [] : try tree.consistencyProof(size1: old, size2: size)
            return "old \(old)\n" + proof.map { $0.base64 + "\n" }.joined() + "\n" + checkpoint.serialized
        }
        func witness() throws -> Witness {
            Witness(
                name: "w.example/1", signer: FixtureKeys.key("restart-witness"), logs: [NoteKey(name: origin, publicKey: log.publicKey)],
                state: try SQLiteWitnessState(path: path))
        }
        #expect(await (try witness()).addCheckpoint(try request(old: 0, size: 12)).status == 200)
        // A new process on the same file.
        let restarted = try witness()
        let stale = await restarted.addCheckpoint(try request(old: 0, size: 20))
        #expect(stale.status == 409 && stale.body == "12\n")
        #expect(await restarted.addCheckpoint(try request(old: 12, size: 20)).status == 200)
        let state = try SQLiteWitnessState(path: path)
        let record = try #require(try await state.record(of: origin))
        #expect(record.size == 20 && record.root == tree.root(size: 20))
        // The cosigned checkpoint, kept for monitors (tlog-witness monitor
        // retrieval): the log's signature and the witness's, nothing else.
        let served = await restarted.latestCheckpoint(originHash: SHA256.hash(Array(origin.utf8)).hex)
        #expect(served.status == 200 && served.body == record.checkpoint)
        let note = try SignedNote(parsing: served.body)
        try NoteKey(name: origin, publicKey: log.publicKey).verify(note)
        #expect(try restarted.cosigner.cosignatureTime(on: note) != nil && note.signatures.count == 2)
        #expect(try SignedCheckpoint(parsing: served.body).checkpoint.size == 20)
        #expect(await restarted.latestCheckpoint(originHash: String(repeating: "0", count: 64)).status == 404)
        // Compare-and-swap: a replace against a record that moved changes nothing.
        #expect(try await !state.replace(origin: origin, expected: WitnessRecord(size: 12, root: tree.root(size: 12)), with: WitnessRecord(size: 13, root: tree.root(size: 13))))
        #expect(try await state.record(of: origin)?.size == 20)
    }

    @Test("a state file of an earlier version (no checkpoint column) gains the column and keeps its records")
    func earlierSchema() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("old.sqlite")
        let root = SHA256.hash([1])
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in
            try db.execute(sql: "CREATE TABLE witness_log (origin TEXT PRIMARY KEY, size INTEGER NOT NULL, root BLOB NOT NULL)")
            try db.execute(sql: "INSERT INTO witness_log VALUES ('a.example/log', 7, ?)", arguments: [Data(root.bytes)])
        }
        try queue.close()
        let state = try SQLiteWitnessState(path: path)
        #expect(try await state.record(of: "a.example/log") == WitnessRecord(size: 7, root: root))
        let next = WitnessRecord(size: 9, root: SHA256.hash([2]), checkpoint: "note\n")
        #expect(try await state.replace(origin: "a.example/log", expected: WitnessRecord(size: 7, root: root), with: next))
        #expect(try await SQLiteWitnessState(path: path).record(of: "a.example/log") == next)
    }

    @Test("a file that is not a witness's state is refused and left as it was")
    func foreignFile() throws {
        let directory = try TemporaryDirectory()
        let ledger = directory.path("ledger.sqlite")
        _ = try SQLiteEventStore(path: ledger)
        let before = try Data(contentsOf: URL(fileURLWithPath: ledger))
        let error = #expect(throws: LedgerError.self) { try SQLiteWitnessState(path: ledger) }
        #expect(error?.message.contains("is not a witness's state") == true)
        #expect(try Data(contentsOf: URL(fileURLWithPath: ledger)) == before)
        let text = directory.path("notes.txt")
        try Data("hello".utf8).write(to: URL(fileURLWithPath: text))
        #expect(throws: LedgerError.self) { try SQLiteWitnessState(path: text) }
        #expect(try String(contentsOfFile: text, encoding: .utf8) == "hello")
    }
}
