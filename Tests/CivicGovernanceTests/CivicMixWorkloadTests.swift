import CivicGovernance
import CivicLedger
import CivicLedgerTesting
import CivicSimulator
import Foundation
import Testing

@Suite("The civic mix: the end-to-end benchmark's workload")
struct CivicMixWorkloadTests {
    @Test("the mix is drawn from its seed in the issue's shares, and every case goes report, dispatch, resolve")
    func shares() {
        let mix = CivicMixWorkload(events: 10_000, seed: 7)
        #expect(mix.commands == CivicMixWorkload(events: 10_000, seed: 7).commands)
        #expect(mix.commands != CivicMixWorkload(events: 10_000, seed: 8).commands)
        #expect(mix.commands.count == 10_000)
        let counts = mix.counts
        // Awards and deductions are never stood in for; a report stands in for a step with no case to take.
        #expect(counts["award"] == 4000 && counts["deduct"] == 1000)
        #expect(counts["report", default: 0] + counts["dispatch", default: 0] + counts["resolve", default: 0] == 5000)
        #expect((1450...1500).contains(counts["dispatch", default: 0]) && (1450...1500).contains(counts["resolve", default: 0]))
        // Each stream's versions run 0, 1, 2, … in order; a case's steps come in the lifecycle's order.
        var versions: [String: UInt64] = [:]
        var steps: [String: [String]] = [:]
        for command in mix.commands {
            #expect(command.expectedVersion == versions[command.stream, default: 0], "\(command.stream)")
            versions[command.stream, default: 0] += 1
            if command.stream.hasPrefix("case/") { steps[command.stream, default: []].append(command.action) }
        }
        #expect(steps.values.allSatisfy { ["report", "dispatch", "resolve"].starts(with: $0) })
    }

    @Test("the signed lanes append to a ledger that checks every key and role, keep each stream in one lane, and audit clean")
    func appendsAndAudits() async throws {
        let mix = CivicMixWorkload(events: 600, seed: 3)
        let clock = ManualClock()
        let store = InMemoryEventStore()
        let ledger = try await Ledger.create(
            store: store, origin: CivicMixWorkload.origin, authority: mix.authority, logSigner: mix.logKey,
            permissions: CivicMixWorkload.permissions, clock: clock)
        let time = clock.now()
        _ = try await ledger.append(batch: try mix.preamble(at: time))
        let lanes = try mix.signed(lanes: 4, at: time)
        #expect(lanes.map(\.count).reduce(0, +) == 600)
        for (index, lane) in lanes.enumerated() {
            #expect(lane.allSatisfy { CivicMixWorkload.lane(of: $0.content.stream, lanes: 4) == index })
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for lane in lanes {
                group.addTask { for event in lane { _ = try await ledger.append(event) } }
            }
            try await group.waitForAll()
        }
        #expect(await ledger.size == UInt64(1 + mix.actors.count + 1 + 600))
        // A resolution signed by someone who may not resolve is refused.
        let grid = try #require(mix.actors.first { $0.role == "grid-worker" })
        let wrong = try SignedEvent(
            signing: EventContent(
                origin: CivicMixWorkload.origin, stream: "case/other", place: "zhuji/dongsheng", expectedVersion: .any,
                kind: GovernanceKind.resolve, payload: CaseNote("done").encoded, actorKey: grid.key.publicKey, clientTime: time,
                idempotencyKey: "wrong"),
            with: grid.key)
        await #expect(throws: LedgerError.self) { try await ledger.append(wrong) }

        let report = try await Auditor(store: store).audit()
        #expect(report.isClean, "\(report.findings.prefix(3))")
        var points = PointsBalances()
        var dossier = CaseDossier()
        for try await page in EntryPages(store: store) {
            for entry in page {
                try points.fold(entry)
                try dossier.fold(entry)
            }
        }
        #expect(points.isConserved)
        #expect(points.totals.awarded == mix.commands.filter { $0.action == "award" }.compactMap(\.amount).reduce(0, +))
        #expect(dossier.cases.count == mix.counts["report"])
    }
}
