import CivicGovernance
import CivicLedger
import CivicLedgerTesting
import Foundation
import Testing

/// Retention periods: in the rules (community.rules version 2), carried
/// out by destroying a key and signing the erasure, checked at append, and
/// reported by the audit when due and not done.
@Suite("Retention of personal data")
struct RetentionTests {
    static let day: Int64 = 86_400_000

    @Test("health notes past their period are expired (key destroyed, later notes under a new key); an archive past its period is erased; the audit reports what is due")
    func periods() async throws {
        let f = try await GovernanceFixture.make()
        var rules = GovernanceFixture.rules
        rules.retentionDays = [.health: 30, .archive: 400]
        #expect(rules.schemaVersion == 2)
        // Version 1 rules may not set a period.
        var v1 = try GovernanceCommands(origin: GovernanceFixture.origin).setRules(rules, by: f.authority, state: try await f.state, at: f.clock.now())
        let content = v1.content
        v1 = try SignedEvent(
            signing: EventContent(
                origin: content.origin, stream: content.stream, place: content.place, expectedVersion: .any, kind: content.kind, schemaVersion: 1, payload: content.payload,
                actorKey: content.actorKey, clientTime: content.clientTime, idempotencyKey: "rules-v1"),
            with: f.authority)
        await CaseRuleTests.refused(.unknownVersion, "version 2") { _ = try await f.ledger.append(v1) }
        try await f.run { try $0.setRules(rules, by: f.authority, state: $1, at: $2) }

        let residentKey = try await f.vault.key(for: "r1")
        try await f.run {
            try $0.register(
                "r1", household: "hh-1", in: GovernanceFixture.home, level: .green, tags: ["chronic-illness"], name: "n", phone: "p", address: "a",
                key: residentKey, by: f.key("worker"), state: $1, at: $2)
        }
        let healthSubject = NoteKeys.current("r1", .health, in: try await f.state.archive)
        #expect(healthSubject == NoteKeys.subject("r1", .health, generation: 0))
        let healthKey = try await f.vault.key(for: healthSubject)
        try await f.run { try $0.health("r1", .followup, note: "bp 150/95", key: healthKey, by: f.key("worker"), state: $1, at: $2) }
        #expect(Retention.due(in: try await f.state, at: f.clock.now()).isEmpty)

        // Too early: refused at append, nothing destroyed.
        await CaseRuleTests.refused(.deadline, "kept until") {
            try await f.run { try $0.expire("r1", .health, reason: "early", by: f.key("secretary"), state: $1, at: $2) }
        }
        f.clock.advance(milliseconds: 31 * Self.day)
        let due = Retention.due(in: try await f.state, at: f.clock.now())
        #expect(due.map(\.data) == [.health] && due.first?.resident == "r1")
        // The audit judges as of the log's last entry: one more, a month on.
        try await f.caseThrough("later", until: .reported)
        let audit = try await LedgerVerifier(store: f.store, clock: f.clock, domain: GovernanceState()).verify()
        #expect(audit.findings.contains { $0.code == .retentionExceeded && $0.message.contains("r1's health notes") }, "\(audit.findings)")

        // A grid worker may not sign it: refused before the key is destroyed.
        await #expect(throws: LedgerError.self) {
            _ = try await Retention.carryOut(due[0], vault: f.vault, commands: f.commands, by: f.key("worker"), state: try await f.state, at: f.clock.now())
        }
        #expect(await f.vault.isErased(healthSubject) == false)
        let event = try await Retention.carryOut(due[0], vault: f.vault, commands: f.commands, by: f.key("secretary"), state: try await f.state, at: f.clock.now())
        _ = try await f.ledger.append(event)
        #expect(await f.vault.isErased(healthSubject))
        #expect(await f.vault.existingKey(for: "r1") != nil, "the resident and their other notes stay")
        let record = try #require(try await f.state.archive["r1"])
        #expect(record.noteGenerations[.health] == 1 && record.lastNotes[.health] == nil && record.healthEntries == 1)
        #expect(Retention.due(in: try await f.state, at: f.clock.now()).isEmpty)
        // A later health note gets a key of its own generation.
        #expect(NoteKeys.current("r1", .health, in: try await f.state.archive) == NoteKeys.subject("r1", .health, generation: 1))

        // The archive: 400 days after the last archive entry, the resident is erased, with every note key.
        f.clock.advance(milliseconds: 400 * Self.day)
        let archiveDue = Retention.due(in: try await f.state, at: f.clock.now())
        #expect(archiveDue.map(\.data) == [.archive], "\(archiveDue)")
        _ = try await f.ledger.append(
            try await Retention.carryOut(archiveDue[0], vault: f.vault, commands: f.commands, by: f.key("secretary"), state: try await f.state, at: f.clock.now()))
        #expect(try await f.state.archive["r1"]?.isErased == true)
        #expect(await f.vault.isErased("r1"))
        #expect(await f.vault.isErased(NoteKeys.subject("r1", .visit, generation: 0)))
        #expect(await f.vault.isErased(NoteKeys.subject("r1", .health, generation: 1)))
        let clean = try await LedgerVerifier(store: f.store, clock: f.clock, domain: GovernanceState()).verify()
        #expect(!clean.findings.contains { $0.code == .retentionExceeded }, "\(clean.findings)")
    }

    @Test("an expiry needs a period in the rules, notes of its kind, and a reason")
    func expiryRules() async throws {
        let f = try await GovernanceFixture.make()
        let key = try await f.vault.key(for: "r1")
        try await f.run {
            try $0.register(
                "r1", household: "hh-1", in: GovernanceFixture.home, level: .green, tags: [], name: "n", phone: "p", address: "a", key: key,
                by: f.key("worker"), state: $1, at: $2)
        }
        await CaseRuleTests.refused(.domainRule, "set no retention period for visit notes") {
            try await f.run { try $0.expire("r1", .visit, reason: "x", by: f.key("secretary"), state: $1, at: $2) }
        }
        var rules = GovernanceFixture.rules
        rules.retentionDays = [.visit: 10]
        try await f.run { try $0.setRules(rules, by: f.authority, state: $1, at: $2) }
        await CaseRuleTests.refused(.domainRule, "has no visit notes to expire") {
            try await f.run { try $0.expire("r1", .visit, reason: "x", by: f.key("secretary"), state: $1, at: $2) }
        }
        await CaseRuleTests.refused(.domainRule, "expires by archive.erase") {
            try await f.run { try $0.expire("r1", .archive, reason: "x", by: f.key("secretary"), state: $1, at: $2) }
        }
        rules.retentionDays = [.visit: 0]
        await CaseRuleTests.refused(.domainRule, "retentionDays.visit") {
            try await f.run { try $0.setRules(rules, by: f.authority, state: $1, at: $2) }
        }
    }
}
