import CivicGovernance
@testable import CivicLedger
import CivicLedgerTesting
import Foundation
import PropertyBased
import Testing

/// Signed but hostile values: extreme numbers and random bytes in every
/// governance payload, signed by enrolled keys, by strangers, or not
/// validly signed at all. The ledger refuses what is out of bounds, naming
/// the field; a forged log that holds them is reported by the audit; no
/// fold, check or projection traps on any of them (a trap would end this
/// test process).
@Suite("Hostile input: bounds, and no trap on any value")
struct HostileInputTests {
    static let extremes: [Int64] = [.max, .min, .max - 1, .min + 1, 0, -1, 1, 1_000_000_000, 1_000_000_001, Int64(Int32.max) + 1]
    static let actors = ["secretary", "committee", "leader", "worker", "r1", "r2", "street", "water-sun", "supervisor", "p1"]

    @Test("a secretary's points.issue of 2^63 - 1 is refused at append, naming the field and its bounds; the ledger goes on")
    func issuanceOfInt64Max() async throws {
        let f = try await GovernanceFixture.make()
        let event = try f.raw(
            "secretary", kind: GovernanceKind.issue, stream: GovernanceKind.communityStream, place: GovernanceFixture.community,
            payload: PointsAmount(amount: .max, note: "everything"))
        let error = await #expect(throws: LedgerError.self) { try await f.ledger.append(event) }
        #expect(error?.code == .malformed)
        #expect(error?.message.contains("amount is 9223372036854775807, outside the bounds 1 to 1000000000") == true)
        try await f.run { try $0.issue(100, note: "budget", by: f.key("secretary"), state: $1, at: $2) }
        let state = try await f.state
        #expect(state.points.pool == 100)
        #expect(state.points.isConserved)
    }

    @Test("clamped arithmetic stays at the ends of the range instead of trapping")
    func clamped() {
        #expect(Int64.max.clampedAdding(1) == .max)
        #expect(Int64.min.clampedAdding(-1) == .min)
        #expect(Int64.min.clampedSubtracting(1) == .min)
        #expect(Int64(5).clampedSubtracting(7) == -2)
        #expect(UInt64(3).clampedSubtracting(5) == 0)
        #expect(Int64.max.clampedMultiplied(by: -2) == .min)
        #expect(Int64.min.clampedMultiplied(by: -1) == .max)
        #expect(Int64(6).clampedMultiplied(by: 7) == 42)
    }

    @Test("rules with numbers out of bounds are refused, naming the field")
    func rulesOutOfBounds() throws {
        var rules = GovernanceFixture.rules
        rules.appealWindowDays = .max
        #expect(throws: LedgerError.self) { try rules.validate() }
        rules = GovernanceFixture.rules
        rules.pointRules["patrol"]!.amount = .min
        let error = #expect(throws: LedgerError.self) { try rules.validate() }
        #expect(error?.message.contains("pointRules.patrol.amount") == true)
        rules = GovernanceFixture.rules
        rules.deadlineMinutes[.general] = .max
        rules.emergencyDeadlinePercent = 100
        #expect(throws: LedgerError.self) { try rules.validate() }
        // The deadline computation itself cannot trap, even on rules never validated.
        #expect(rules.deadline(for: .general, mode: .emergency) == UInt32.max)
        rules = GovernanceFixture.rules
        rules.visitIntervalDaysByTag["elderly-alone"] = .max
        #expect(throws: LedgerError.self) { try rules.validate() }
        #expect(throws: Never.self) { try GovernanceFixture.rules.validate() }
    }

    /// A payload for `kind` whose numbers are drawn from the extremes, or
    /// random bytes.
    static func hostilePayload(_ kind: String, _ picks: [Int], _ noise: [UInt8]) -> [UInt8] {
        let n = extremes[picks[0] % extremes.count]
        let m = extremes[picks[1] % extremes.count]
        let u32 = UInt32(truncatingIfNeeded: n)
        if picks[2] % 5 == 0 { return noise }
        switch kind {
        case GovernanceKind.issue, GovernanceKind.redeem: return PointsAmount(amount: n, note: "x").encoded
        case GovernanceKind.award, GovernanceKind.deduct:
            let rule = ["patrol", "littering", "recognition", "nope"][picks[3] % 4]
            return PointsMovement(
                account: picks[3] % 2 == 0 ? .contribution : .reputation, amount: n, rule: rule,
                evidence: UInt64(truncatingIfNeeded: m), reason: "r"
            ).encoded
        case GovernanceKind.appeal, GovernanceKind.appealDecision:
            return PointsAppeal(target: UInt64(truncatingIfNeeded: n), upheld: kind == GovernanceKind.appealDecision, note: "n").encoded
        case GovernanceKind.periodClose:
            return PeriodClose(year: Int32(truncatingIfNeeded: n), expiresContribution: picks[3] % 2 == 0).encoded
        case GovernanceKind.stockIn, GovernanceKind.stockOut: return StockMovement(item: "sandbags", quantity: n, note: "").encoded
        case GovernanceKind.dispatch: return CaseDispatch(department: "water", deadlineMinutes: u32).encoded
        case GovernanceKind.extend: return CaseExtension(minutes: u32, reason: "r").encoded
        case GovernanceKind.progress: return CaseProgress(percent: UInt8(truncatingIfNeeded: n), note: "").encoded
        case GovernanceKind.implementationProgress:
            return DeliberationProgress(milestone: u32, percent: UInt8(truncatingIfNeeded: m), note: "").encoded
        case GovernanceKind.vote:
            let m32 = UInt32(truncatingIfNeeded: m)
            return DeliberationMeeting(entitled: ["r1", "r2", "p1"], present: ["r1", "r2"], yes: u32, no: m32, abstain: u32 &+ m32).encoded
        case GovernanceKind.rules:
            var rules = GovernanceFixture.rules
            rules.appealWindowDays = Int(n)
            rules.visitIntervalDays = Int(m)
            rules.pointRules["patrol"]!.amount = m
            rules.pointRules["patrol"]!.monthlyCap = n
            rules.deadlineMinutes[.general] = u32
            return rules.encoded
        default:
            var bytes = CaseReport(urgency: .general, category: "drainage", source: .resident, summary: "s").encoded
            bytes.append(contentsOf: noise.prefix(picks[3] % 4))
            return bytes
        }
    }

    /// A stream for `kind` and a subject.
    static func stream(_ kind: String, _ subject: String) -> String {
        switch kind {
        case _ where kind.hasPrefix("case."): "case/" + subject
        case _ where kind.hasPrefix("points.") && kind != GovernanceKind.issue && kind != GovernanceKind.periodClose: "points/" + subject
        case _ where kind.hasPrefix("supplies."): "supplies/depot"
        case _ where kind.hasPrefix("deliberation."): "deliberation/d1"
        case _ where kind.hasPrefix("volunteer."): "task/" + subject
        case _ where kind.hasPrefix("archive."): "resident/" + subject
        default: GovernanceKind.communityStream
        }
    }

    static let kinds = [
        GovernanceKind.issue, GovernanceKind.redeem, GovernanceKind.award, GovernanceKind.deduct, GovernanceKind.appeal,
        GovernanceKind.appealDecision, GovernanceKind.periodClose, GovernanceKind.stockIn, GovernanceKind.stockOut,
        GovernanceKind.dispatch, GovernanceKind.extend, GovernanceKind.progress, GovernanceKind.implementationProgress,
        GovernanceKind.vote, GovernanceKind.rules, GovernanceKind.report, GovernanceKind.mode,
    ]

    /// One hostile event: kind, signer, numbers and noise drawn from `picks`;
    /// sometimes its signature does not verify.
    static func hostileEvent(_ f: GovernanceFixture, _ picks: [Int], _ noise: [UInt8]) throws -> SignedEvent {
        let event = try signedHostileEvent(f, picks, noise)
        guard picks[3] % 9 == 0 else { return event }
        // A wrong signature: the valid one with a byte changed, or noise.
        var signature = event.signature.bytes
        signature[picks[2] % 64] ^= 0x40
        if picks[3] % 2 == 0, noise.count >= 64 { signature = Array(noise.prefix(64)) }
        return try SignedEvent(body: event.body, signature: try #require(Signature(signature)))
    }

    static func signedHostileEvent(_ f: GovernanceFixture, _ picks: [Int], _ noise: [UInt8]) throws -> SignedEvent {
        let kind = kinds[picks[4] % kinds.count]
        // Enrolled signers mostly, sometimes a stranger.
        let signer = picks[5] % 7 == 0 ? FixtureKeys.key("stranger-\(picks[5])") : f.key(actors[picks[5] % actors.count])
        return try SignedEvent(
            signing: EventContent(
                origin: GovernanceFixture.origin, stream: stream(kind, ["r1", "r2", "p1", "c1"][picks[6] % 4]),
                place: GovernanceFixture.home, expectedVersion: .any, kind: kind, payload: hostilePayload(kind, picks, noise),
                actorKey: signer.publicKey, clientTime: Timestamp(millisecondsSinceEpoch: extremes[picks[7] % extremes.count]),
                idempotencyKey: UUID().uuidString),
            with: signer)
    }

    static let input = zip(Gen.int(in: 0...10_000).array(of: 8...8), Gen.uint8().array(of: 0...64)).array(of: 1...40)

    @Test("hostile events at append: each is taken or refused with a LedgerError; points stay conserved; verify stays clean")
    func hostileAppends() async throws {
        await propertyCheck(count: 15, input: Self.input) { events in
            let f = try await GovernanceFixture.make()
            try await f.run { try $0.issue(1_000, note: "budget", by: f.key("secretary"), state: $1, at: $2) }
            for (picks, noise) in events {
                let event = try Self.hostileEvent(f, picks, noise)
                do {
                    let receipt = try await f.ledger.append(event)
                    // What went in holds no number out of bounds.
                    if event.content.kind == GovernanceKind.issue || event.content.kind == GovernanceKind.redeem {
                        let amount = try PointsAmount(payload: event.content.payload).amount
                        #expect(GovernanceLimits.pointsPerMovement.contains(amount), "position \(receipt.position)")
                    }
                } catch let error as LedgerError {
                    #expect(!error.message.isEmpty)
                }
                f.clock.advance(milliseconds: 3_600_000)
            }
            let state = try await f.state
            #expect(state.points.isConserved)
            let audit = try await Auditor(store: f.store, domain: GovernanceState()).audit()
            #expect(audit.findings.filter { $0.severity == .error }.isEmpty, "\(audit.findings.prefix(3))")
        }
    }

    @Test("a payload version the domain does not declare is refused at append, and reported by the audit in a log that holds one")
    func unknownVersion() async throws {
        let f = try await GovernanceFixture.make()
        let report = CaseReport(urgency: .general, category: "drainage", source: .patrol, summary: "blocked drain")
        func event(version: UInt32, key: String) throws -> SignedEvent {
            try SignedEvent(
                signing: EventContent(
                    origin: GovernanceFixture.origin, stream: "case/v\(version)", place: GovernanceFixture.home, expectedVersion: .exactly(0),
                    kind: GovernanceKind.report, schemaVersion: version, payload: report.encoded, actorKey: f.key("worker").publicKey,
                    clientTime: f.clock.now(), idempotencyKey: key),
                with: f.key("worker"))
        }
        let size = await f.ledger.size
        let refused = await #expect(throws: LedgerError.self) { _ = try await f.ledger.append(try event(version: 2, key: "v2")) }
        #expect(refused?.code == .unknownVersion)
        #expect(refused?.message.contains("case.report has no schema version 2") == true, "\(refused?.message ?? "")")
        #expect(await f.ledger.size == size, "nothing was written")
        // Version 1 is taken.
        _ = try await f.ledger.append(try event(version: 1, key: "v1"))
        // A log written before the rule (forged here) holds one: the audit reports it at its position.
        let position = await f.ledger.size
        try await Self.forge([try event(version: 7, key: "v7")], into: f.store)
        let audit = try await Auditor(store: f.store, domain: GovernanceState(), projections: GovernanceProjections.all).audit()
        #expect(audit.findings.contains { $0.code == .unknownVersion && $0.position == position }, "\(audit.findings)")
    }

    @Test("a forged log of hostile events folds into every projection and audits to findings, never a trap")
    func forgedLog() async throws {
        await propertyCheck(count: 15, input: Self.input) { events in
            let f = try await GovernanceFixture.make()
            let forged = try events.map { try Self.hostileEvent(f, $0.0, $0.1) }
            let first = await f.ledger.size
            try await Self.forge(forged, into: f.store)
            // Every projection folds every entry, checked or not.
            var projections = GovernanceProjections.all.map { $0.init() }
            var state = GovernanceState()
            try await EntryPages(store: f.store, from: 0, to: first + UInt64(forged.count)).forEach { entry in
                _ = try? state.check(entry)
                try? state.fold(entry)
                for index in projections.indices { try? projections[index].apply(entry) }
            }
            _ = state.points.isConserved
            // The audit replays them all with the rules and reports, by position.
            let audit = try await Auditor(store: f.store, domain: GovernanceState(), projections: GovernanceProjections.all).audit()
            #expect(audit.entries == first + UInt64(forged.count))
            let outOfBounds = forged.enumerated().filter { _, event in
                guard event.content.kind == GovernanceKind.issue, let amount = try? PointsAmount(payload: event.content.payload).amount
                else { return false }
                return !GovernanceLimits.pointsPerMovement.contains(amount)
            }
            for (offset, _) in outOfBounds {
                #expect(audit.findings.contains { $0.position == first + UInt64(offset) }, "forged issuance at \(first + UInt64(offset))")
            }
            // Every event whose signature does not verify is reported as such, at its position.
            for (offset, event) in forged.enumerated() where !event.hasValidSignature {
                #expect(
                    audit.findings.contains { $0.position == first + UInt64(offset) && $0.code == .invalidSignature },
                    "wrong signature at \(first + UInt64(offset))")
            }
        }
    }

    /// Writes `events` straight into `store` after its last entry, with a
    /// head the ledger would have written, as an operator holding the
    /// database could: no signature, authority or rule is checked.
    static func forge(_ events: [SignedEvent], into store: InMemoryEventStore) async throws {
        let head = try #require(try await store.head())
        var state = try LedgerHeadState(decoding: head.state)
        var versions: [String: UInt64] = [:]
        var entries: [LedgerEntry] = []
        for event in events {
            let stream = event.content.stream
            if versions[stream] == nil { versions[stream] = try await store.streamHeads([stream])[stream]?.version ?? 0 }
            versions[stream]! += 1
            let entry = LedgerEntry(
                position: state.frontier.size, recordedAt: state.lastRecordedAt.adding(milliseconds: 60_000),
                streamVersion: versions[stream]!, event: event)
            state.frontier.append(entry.leafHash)
            state.lastRecordedAt = entry.recordedAt
            entries.append(entry)
        }
        try await store.commit(
            StoreCommit(expectedSize: head.size, entries: entries, head: StoreHead(size: state.frontier.size, state: state.encoded)))
    }
}
