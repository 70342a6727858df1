import CivicLedger
import CivicLedgerTesting
import Foundation
import Testing

/// The worked example of docs/format.md §9, rebuilt from fixed seeds and
/// times and compared with docs/vectors/format-v1.json, so the document and
/// the code cannot drift apart. Run with CIVIC_LEDGER_WRITE_VECTORS=1 to
/// rewrite the file after a deliberate format change.
@Suite("Format test vectors (docs/vectors/format-v1.json)")
struct FormatVectorTests {
    static let file = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("docs/vectors/format-v1.json")

    static func seed(_ name: String) -> [UInt8] { SHA256.hash(Array("civic-ledger format vector:\(name)".utf8)).bytes }

    /// Builds the example ledger: genesis, one enrolment, one domain event.
    static func makeVectors() throws -> [String: Any] {
        let authority = SigningKey(seed: seed("authority"))!
        let logKey = SigningKey(seed: seed("log"))!
        let worker = SigningKey(seed: seed("worker"))!
        let origin = "civic-ledger.example/vectors"
        let time = Timestamp(millisecondsSinceEpoch: 1_767_225_600_000)
        let permissions = try PermissionTable(["grid-worker": ["case.report"]])
        let contents = [
            EventContent(
                origin: origin, stream: "ledger", place: .everywhere, expectedVersion: .exactly(0), kind: SystemEvent.Kind.genesis,
                payload: SystemEvent.encode(SystemEvent.Genesis(origin: origin, authorityKey: authority.publicKey, logKey: logKey.publicKey, permissions: permissions)),
                actorKey: authority.publicKey, clientTime: time, idempotencyKey: "genesis"),
            EventContent(
                origin: origin, stream: "ledger", place: .everywhere, expectedVersion: .any, kind: SystemEvent.Kind.enrol,
                payload: SystemEvent.encode(SystemEvent.Enrol(actor: "worker-li", key: worker.publicKey, role: "grid-worker", scope: "zhuji/dongsheng")),
                actorKey: authority.publicKey, clientTime: time.adding(milliseconds: 1000), idempotencyKey: "enrol-worker-li"),
            EventContent(
                origin: origin, stream: "case/2026-0001", place: "zhuji/dongsheng/grid-03", expectedVersion: .exactly(0), kind: "case.report",
                payload: Array(#"{"category":"drainage","summary":"blocked drain by building 7"}"#.utf8),
                actorKey: worker.publicKey, clientTime: time.adding(milliseconds: 2000), idempotencyKey: "tap-0001"),
        ]
        let signers = [authority, authority, worker]
        let streamVersions: [UInt64] = [1, 2, 1]
        var frontier = MerkleFrontier()
        var entries: [[String: Any]] = []
        var registry: AuthorityRegistry?
        var heads: [String: StreamHead] = [:]
        for (position, content) in contents.enumerated() {
            let event = try SignedEvent(signing: content, with: signers[position])
            let head = try LedgerRules.admit(content, at: UInt64(position), registry: &registry, head: heads[content.stream])
            heads[content.stream] = head
            #expect(head.version == streamVersions[position])
            let entry = LedgerEntry(position: UInt64(position), recordedAt: time.adding(milliseconds: Int64(position) * 1000 + 500), streamVersion: head.version, event: event)
            frontier.append(entry.leafHash)
            entries.append([
                "position": position,
                "recordedAtMs": entry.recordedAt.millisecondsSinceEpoch,
                "streamVersion": entry.streamVersion,
                "signerSeedHex": signers[position].seed.hexString,
                "bodyHex": Array(event.body).hexString,
                "signatureHex": event.signature.bytes.hexString,
                "entryHex": entry.bytes.hexString,
                "leafHashHex": entry.leafHash.hex,
                "rootAfterHex": frontier.root.hex,
            ])
        }
        let checkpoint = try SignedCheckpoint(signing: Checkpoint(origin: origin, size: frontier.size, root: frontier.root), with: logKey)
        return [
            "origin": origin,
            "authorityPublicKeyBase64": authority.publicKey.base64,
            "logPublicKeyBase64": logKey.publicKey.base64,
            "workerPublicKeyBase64": worker.publicKey.base64,
            "entries": entries,
            "checkpointNote": checkpoint.serialized,
            "checkpointKeyIDHex": String(format: "%08x", NoteKey(name: origin, publicKey: logKey.publicKey).keyID),
            "verifierKey": NoteKey(name: origin, publicKey: logKey.publicKey).verifierKey,
        ]
    }

    static func render(_ vectors: [String: Any]) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: vectors, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]), as: UTF8.self) + "\n"
    }

    @Test("the checked-in vectors are what the code produces")
    func vectorsMatchCode() throws {
        let rendered = try Self.render(try Self.makeVectors())
        if ProcessInfo.processInfo.environment["CIVIC_LEDGER_WRITE_VECTORS"] == "1" {
            try rendered.write(to: Self.file, atomically: true, encoding: .utf8)
        }
        let stored = try String(contentsOf: Self.file, encoding: .utf8)
        #expect(stored == rendered, "docs/vectors/format-v1.json is stale: rerun with CIVIC_LEDGER_WRITE_VECTORS=1 after a deliberate format change")
    }

    @Test("the vectors verify from their bytes alone")
    func vectorsVerify() throws {
        let data = try Data(contentsOf: Self.file)
        let vectors = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let entries = try #require(vectors["entries"] as? [[String: Any]])
        var frontier = MerkleFrontier()
        for item in entries {
            let bytes = try #require([UInt8](hexString: item["entryHex"] as! String))
            let entry = try LedgerEntry(bytes: bytes)
            #expect(entry.event.hasValidSignature)
            #expect(Array(entry.event.body).hexString == item["bodyHex"] as! String)
            frontier.append(MerkleHash.leaf(bytes))
            #expect(frontier.root.hex == item["rootAfterHex"] as! String)
        }
        let checkpoint = try SignedCheckpoint(parsing: vectors["checkpointNote"] as! String)
        try checkpoint.verify(logKey: try #require(PublicKey(base64: vectors["logPublicKeyBase64"] as! String)))
        #expect(checkpoint.checkpoint.root == frontier.root)
    }
}
