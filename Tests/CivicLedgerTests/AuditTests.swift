import CivicLedger
import CivicLedgerTesting
import Foundation
import PropertyBased
import Testing

@Suite("Audit: proofs, exports and snapshots")
struct AuditTests {
    @Test("proofs computed from streamed leaves equal the in-memory builder's, for every index and size up to 40")
    func streamedProofs() throws {
        let leaves = (0..<40).map { MerkleHash.leaf(Array("leaf \($0)".utf8)) }
        let builder = MerkleTreeBuilder(leaves: leaves)
        for size in 1...UInt64(40) {
            for index in 0..<size {
                var collector = ProofCollector(plan: try .inclusion(index: index, size: size))
                for (position, leaf) in leaves.enumerated() { collector.add(leaf, at: UInt64(position)) }
                let proof = try collector.proof()
                #expect(proof == (try builder.inclusionProof(index: index, size: size)))
                try MerkleProof.verifyInclusion(
                    index: index, treeSize: size, leafHash: leaves[Int(index)], proof: proof, root: builder.root(size: size))
            }
            for old in 1...size {
                var collector = ProofCollector(plan: try .consistency(size1: old, size2: size))
                for (position, leaf) in leaves.enumerated() { collector.add(leaf, at: UInt64(position)) }
                #expect(try collector.proof() == (try builder.consistencyProof(size1: old, size2: size)))
            }
        }
        var short = ProofCollector(plan: try .inclusion(index: 3, size: 10))
        for position in 0..<5 { short.add(leaves[position], at: UInt64(position)) }
        #expect(throws: LedgerError.self) { try short.proof() }
    }

    /// A small ledger with checkpoints every 4 entries and a snapshot.
    static func ledger() async throws -> LedgerFixture {
        var configuration = LedgerConfiguration()
        configuration.checkpointInterval = 4
        let fixture = try await LedgerFixture.make(configuration: configuration)
        let worker = try await fixture.enrol("w1", role: "worker", scope: "town")
        for index in 0..<13 { _ = try await fixture.ledger.append(try fixture.event(by: worker, stream: "case/\(index % 4)")) }
        _ = try await fixture.ledger.checkpoint()
        return fixture
    }

    @Test("proof texts round-trip, verify against the checkpoint or the log key, and fail when changed")
    func proofTexts() async throws {
        let fixture = try await Self.ledger()
        let checkpoints = try await fixture.store.checkpoints(fromSize: 0, limit: 100).map { try SignedCheckpoint(parsing: $0.note) }
        let latest = try #require(checkpoints.last)
        let inclusion = try await LogProver.inclusion(store: fixture.store, index: 7, checkpoint: latest)
        let parsed = try InclusionProof(parsing: inclusion.serialized)
        #expect(parsed == inclusion)
        try parsed.verify(trusted: latest, logKey: nil)
        try parsed.verify(trusted: nil, logKey: fixture.logKey.publicKey)
        #expect(throws: LedgerError.self) { try parsed.verify(trusted: nil, logKey: nil) }
        #expect(throws: LedgerError.self) { try parsed.verify(trusted: nil, logKey: FixtureKeys.key("other").publicKey) }
        var changed = parsed
        changed.entry![changed.entry!.count - 1] ^= 1
        #expect(throws: LedgerError.self) { try changed.verify(trusted: latest, logKey: nil) }

        let old = checkpoints[1]
        let consistency = try await LogProver.consistency(store: fixture.store, old: old, new: latest)
        let reparsed = try ConsistencyProof(parsing: consistency.serialized)
        #expect(reparsed == consistency)
        try reparsed.verify(trusted: old, logKey: fixture.logKey.publicKey)
        var wrong = reparsed
        wrong.hashes[0] = SHA256.hash(Array("x".utf8))
        #expect(throws: LedgerError.self) { try wrong.verify(trusted: old, logKey: fixture.logKey.publicKey) }
        let missingLine = InclusionProof.header + "\nindex x\n\n" + latest.serialized
        let error = #expect(throws: LedgerError.self) { try InclusionProof(parsing: missingLine) }
        #expect(error?.message.contains("line 2") == true)
    }

    @Test("an export read back audits exactly like its store; a malformed export is refused with its line")
    func exportRoundTrip() async throws {
        let fixture = try await Self.ledger()
        var text = ""
        let summary = try await LedgerExport.write(store: fixture.store) { text += $0 }
        #expect(summary.entries == 15)
        let exported = try ExportedLedgerStore(jsonLines: Data(text.utf8))
        let fromStore = try await Auditor(store: fixture.store, clock: fixture.clock).audit()
        let fromExport = try await Auditor(store: exported, clock: fixture.clock).audit()
        #expect(fromExport.isClean && fromStore.isClean)
        #expect(fromExport.root == fromStore.root)
        #expect(fromExport.checkpointsChecked == fromStore.checkpointsChecked)
        // An export is a reader: nothing to commit, no repair; a live projection
        // folds it without trying to save a snapshot into it.
        #expect(!(exported as Any is any EventStore))
        let projection = LiveProjection<StreamsSeen>(store: exported)
        let follower = Task { try await projection.follow() }
        #expect(try await projection.read(atLeast: 14) { $0.streams.count } == 15)
        follower.cancel()
        try await follower.value

        var lines = text.split(separator: "\n").map(String.init)
        let error = #expect(throws: LedgerError.self) {
            try ExportedLedgerStore(jsonLines: Data(lines.dropLast().joined(separator: "\n").utf8))
        }
        #expect(error?.message.contains("truncated") == true)
        lines[3] = "{\"type\":\"entry\",\"position\":\"three\"}"
        let bad = #expect(throws: LedgerError.self) { try ExportedLedgerStore(jsonLines: Data(lines.joined(separator: "\n").utf8)) }
        #expect(bad?.message.contains("export line 4") == true)
    }

    @Test("a stored snapshot that differs from the recomputed projection is reported; an honest one is not")
    func snapshots() async throws {
        let fixture = try await Self.ledger()
        let runner = ProjectionRunner<StreamCounts>(store: fixture.store)
        var counts = StreamCounts()
        try await runner.catchUp(&counts, to: 9)
        let audit = Auditor(store: fixture.store, clock: fixture.clock, projections: [StreamCounts.self])
        let honest = try await audit.audit()
        #expect(honest.isClean && honest.snapshotsChecked == 1)

        counts.counts["case/1", default: 0] += 1
        let data = try counts.snapshotData()
        try await fixture.store.saveSnapshot(
            ProjectionSnapshot(name: StreamCounts.name, position: 9, digest: SHA256.hash(data), data: data))
        let report = try await audit.audit()
        #expect(report.findings.map(\.code) == [.snapshotMismatch])
        #expect(report.findings.first?.position == 8)
    }
}

/// The stream of every entry folded, in order.
struct StreamsSeen: Projection, Codable, Equatable {
    static let name = "streams-seen"
    var lastPosition: UInt64?
    var streams: [String] = []

    mutating func apply(_ entry: LedgerEntry) throws { streams.append(entry.stream) }
}
