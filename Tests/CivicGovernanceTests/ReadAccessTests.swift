import CivicGovernance
import CivicLedger
import CivicReporting
import Foundation
import Testing

/// What each reader of a service sees (ReadAccess): the public board, the
/// feed by tier, a resident's points, inclusion proofs.
@Suite("Who reads what")
struct ReadAccessTests {
    @Test("the public board has no reporter and places at the grid; staff see their cases in full; feeds are filtered by tier")
    func tiers() async throws {
        let f = try await GovernanceFixture.make()
        try await f.caseThrough("c1", until: .reported)
        let key = try await f.vault.key(for: "r1")
        try await f.run {
            try $0.register(
                "r1", household: "hh-7", in: GovernanceFixture.home, level: .red, tags: ["disability"], name: "n", phone: "p", address: "a",
                key: key, by: f.key("worker"), state: $1, at: $2)
        }
        let state = try await f.state
        let registry = state.registry
        let community = GovernanceFixture.community
        func reader(_ actor: String?) -> ReadAccess {
            ReadAccess.reader(actor.map { f.key($0).publicKey }, registry: registry, community: community)
        }
        #expect(reader(nil).tier == .anonymous && reader("r1").tier == .resident && reader("worker").tier == .staff)
        #expect(reader("supervisor").tier == .supervisor && reader("stranger").tier == .anonymous)

        let record = try #require(state.board["case/c1"])
        let now = f.clock.now()
        let board = reader(nil).caseView(stream: "case/c1", record: record, at: now, registry: registry)
        #expect(board.reporter == nil && board.place == "zhuji/dongsheng/grid-03", "\(board)")
        #expect(reader("r1").caseView(stream: "case/c1", record: record, at: now, registry: registry).reporter == nil)
        #expect(reader("worker").caseView(stream: "case/c1", record: record, at: now, registry: registry).reporter == "r1")
        #expect(reader("supervisor").caseView(stream: "case/c1", record: record, at: now, registry: registry).place == record.place.path)
        // Department staff's scope is the district: in full.
        #expect(reader("water-sun").caseView(stream: "case/c1", record: record, at: now, registry: registry).reporter == "r1")

        let entries = try await f.ledger.entries(from: 0, limit: 1000).map { try LedgerEntry(bytes: $0.bytes) }
        let report = try #require(entries.first { $0.kind == GovernanceKind.report })
        let registration = try #require(entries.first { $0.kind == GovernanceKind.register })
        #expect(reader(nil).feedLine(report) == nil && !reader(nil).mayFollowFeed)
        #expect(reader("r1").feedLine(report) == nil, "a case report is internal: its summary")
        #expect(reader("r1").feedLine(registration) == nil)
        let staffLine = try #require(reader("worker").feedLine(registration))
        #expect(staffLine.contains("hh-7") && !staffLine.contains("sealed"), "internal fields shown, sealed ones left out: \(staffLine)")
        #expect(try #require(reader("worker").feedLine(report)).contains("blocked drain"))
        // A resident's feed holds the public entries only, with their public fields.
        let publicLines = entries.compactMap { reader("r1").feedLine($0) }
        #expect(!publicLines.isEmpty && publicLines.count < entries.count)
        #expect(publicLines.allSatisfy { !$0.contains("blocked drain") && !$0.contains("hh-7") && !$0.contains("resident/") })

        #expect(reader("r1").mayReadPoints(of: "r1") && !reader("r1").mayReadPoints(of: "r2") && reader("worker").mayReadPoints(of: "r2"))
        #expect(!reader(nil).mayReadPoints(of: "r1"))
        #expect(reader("r1").mayProve(report), "r1 signed the report")
        #expect(!reader("r2").mayProve(report) && reader("supervisor").mayProve(registration))
    }

    @Test("a revoked key reads as anonymous and may open no personal field")
    func revokedKeys() async throws {
        let f = try await GovernanceFixture.make()
        let before = try #require(try await f.state.registry)
        #expect(ReadAccess.reader(f.key("worker").publicKey, registry: before, community: GovernanceFixture.community).tier == .staff)
        _ = try await f.ledger.append(
            try SignedEvent(
                signing: SystemEvent.content(
                    origin: GovernanceFixture.origin, kind: SystemEvent.Kind.revoke,
                    payload: SystemEvent.Revoke(key: f.key("worker").publicKey, reason: "phone lost"), actorKey: f.authority.publicKey,
                    clientTime: f.clock.now(), idempotencyKey: "revoke-worker"),
                with: f.authority))
        let after = try #require(try await f.state.registry)
        #expect(after.currentActor(of: f.key("worker").publicKey) == nil)
        #expect(ReadAccess.reader(f.key("worker").publicKey, registry: after, community: GovernanceFixture.community).tier == .anonymous)
        #expect(throws: LedgerError.self) { try PersonalFieldReaders.check(f.key("worker").publicKey, in: after) }
        await #expect(throws: LedgerError.self) {
            _ = try await SealedProfileAudit.grant(to: f.key("worker").publicKey, registry: after, residents: ["r1"], vault: f.vault)
        }
        #expect(ReadAccess.reader(f.key("worker-2").publicKey, registry: after, community: GovernanceFixture.community).tier == .staff)
    }
}
