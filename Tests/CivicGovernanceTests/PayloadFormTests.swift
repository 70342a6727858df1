import CivicGovernance
import CivicLedger
import CivicLedgerTesting
import Foundation
import Testing

/// Every governance payload declared once, by its fields: its binary form
/// and its JSON form agree, both ways, for every payload a simulated
/// community writes, and a wrong JSON member is named.
@Suite("Payloads in JSON and in binary")
struct PayloadFormTests {
    static let forms = GovernancePayloadForms()

    @Test("every payload of a simulated community reads back to its exact bytes through its JSON form, and every payload type is met")
    func roundTripThroughJSON() async throws {
        let (store, _) = try await GovernancePropertyTests.simulated.value
        var types = Set<String>()
        _ = try await EntryPages(store: store).forEach { entry in
            guard let type = GovernancePayloadForms.payloadType(of: entry.kind, version: entry.schemaVersion) else { return }
            types.insert("\(type)")
            let json = try #require(Self.forms.json(kind: entry.kind, version: entry.schemaVersion, payload: entry.payload), "\(entry.kind) at \(entry.position)")
            // Through text, as a client would send it.
            let text = StrictJSON.canonical(json)
            let node = try StrictJSON.parse(text)
            let bytes = try #require(try Self.forms.payload(kind: entry.kind, version: entry.schemaVersion, json: node, path: "payload"))
            #expect(bytes == entry.payload, "\(entry.kind) at \(entry.position): \(String(decoding: text, as: UTF8.self))")
        }
        let declared: [any GovernancePayload.Type] = [
            ModeChange.self, CaseReport.self, CaseNote.self, CaseDispatch.self, CaseProgress.self, CaseExtension.self, CaseVerification.self,
            CaseApproval.self, CaseRating.self, PointsAmount.self, PointsMovement.self, PointsAppeal.self, PeriodClose.self,
            ResidentRegistration.self, ResidentUpdate.self, SealedNote.self, TaskPost.self, StockMovement.self, DeliberationOpen.self,
            DeliberationText.self, DeliberationShortlist.self, DeliberationPlan.self, DeliberationProgress.self, DeliberationMeeting.self,
        ]
        let missing = Set(declared.map { "\($0)" }).subtracting(types)
        // The few the simulation never writes are checked on made-up values below.
        #expect(missing.isSubset(of: ["CaseExtension", "DeliberationProgress", "ResidentUpdate", "StockMovement", "PeriodClose", "ResidentRegistrationV1", "ResidentUpdateV1"]), "\(missing.sorted())")
    }

    @Test("made-up values of every type read back through JSON and binary, and the hot-path heads read the leading fields")
    func madeUpValues() throws {
        let sealed = try SealedField(bytes: Array(repeating: 7, count: 60))
        let values: [(String, UInt32, any GovernancePayload)] = [
            (GovernanceKind.extend, 1, CaseExtension(minutes: 90, reason: "rain")),
            (GovernanceKind.implementationProgress, 1, DeliberationProgress(milestone: 2, percent: 40, note: "half")),
            (GovernanceKind.update, 1, ResidentUpdateV1(level: .orange, tags: ["elderly-alone", "disabled"])),
            (GovernanceKind.update, 2, ResidentUpdate(visitIntervalDays: 30, profile: sealed)),
            (GovernanceKind.stockOut, 1, StockMovement(item: "sandbag", quantity: 12, note: "gate 3")),
            (GovernanceKind.periodClose, 1, PeriodClose(year: -3, expiresContribution: true)),
            (GovernanceKind.register, 1, ResidentRegistrationV1(household: "h-1", level: .red, tags: [], name: sealed, phone: sealed, address: sealed)),
            (GovernanceKind.register, 2, ResidentRegistration(household: "h-1", visitIntervalDays: 30, profile: sealed, name: sealed, phone: sealed, address: sealed)),
            (GovernanceKind.award, 1, PointsMovement(account: .reputation, amount: 5, rule: "patrol", evidence: nil, reason: "no evidence")),
            (GovernanceKind.vote, 1, DeliberationMeeting(entitled: ["a", "b", "c"], present: ["a", "b"], yes: 2, no: 0, abstain: 0)),
        ]
        for (kind, version, value) in values {
            let json = try #require(Self.forms.json(kind: kind, version: version, payload: value.encoded))
            #expect(
                try Self.forms.payload(kind: kind, version: version, json: StrictJSON.Node(value: json), path: "payload") == value.encoded,
                "\(kind) version \(version)")
        }
        let report = CaseReport(urgency: .utilities, category: "water", source: .hotline, summary: "burst")
        #expect(try CaseReport.head(report.encoded) == (.utilities, "water"))
        let movement = PointsMovement(account: .reputation, amount: 9, rule: "r", evidence: 4, reason: "x")
        #expect(try PointsMovement.head(movement.encoded) == (.reputation, 9))
        #expect(try PointsAmount.head(PointsAmount(amount: 77, note: "n").encoded) == 77)
        #expect(try CaseExtension.minutes(CaseExtension(minutes: 33, reason: "r").encoded) == 33)
        #expect(try CaseRating.head(CaseRating(rating: .dissatisfied, controllable: true, comment: "").encoded) == .dissatisfied)
    }

    @Test("a deduction's JSON shows the change to the account, negative, and must be written so")
    func deductionSign() throws {
        let deduction = PointsMovement(account: .contribution, amount: 10, rule: "littering", evidence: nil, reason: "bags left out")
        let json = try #require(Self.forms.json(kind: GovernanceKind.deduct, version: 1, payload: deduction.encoded))
        #expect(json["amount"]?.value == .integer(-10))
        #expect(try Self.forms.payload(kind: GovernanceKind.deduct, version: 1, json: StrictJSON.Node(value: json), path: "payload") == deduction.encoded)
        let positive = try StrictJSON.parse(Array(#"{"account":"contribution","amount":10,"rule":"littering","reason":"x"}"#.utf8))
        #expect(throws: LedgerError.self) { try Self.forms.payload(kind: GovernanceKind.deduct, version: 1, json: positive, path: "payload") }
        // An award is written as it is stored.
        let award = try StrictJSON.parse(Array(#"{"account":"contribution","amount":10,"rule":"patrol","evidence":5,"reason":"x"}"#.utf8))
        let bytes = try #require(try Self.forms.payload(kind: GovernanceKind.award, version: 1, json: award, path: "payload"))
        #expect(try PointsMovement(payload: bytes).amount == 10)
    }

    @Test("each wrong member is named with its line and column, and what is wrong with it", arguments: [
        (GovernanceKind.progress, #"{"percent": 300, "note": "x"}"#, "payload.percent (line 1, column 13): must be a whole number from 0 to 255"),
        (GovernanceKind.progress, #"{"percent": 30}"#, "payload.note: is required"),
        (GovernanceKind.progress, #"{"percent": 30, "note": "x", "by": "me"}"#, "payload.by (line 1, column 36): not a field here (percent, note)"),
        (GovernanceKind.report, #"{"urgency": "soon", "category": "c", "source": "patrol", "summary": "s"}"#, "payload.urgency (line 1, column 13): must be one of"),
        (GovernanceKind.report, #"{"urgency": "general", "category": "\#(String(repeating: "c", count: 65))", "source": "patrol", "summary": "s"}"#, "payload.category (line 1, column 36): must be at most 64 bytes"),
        (GovernanceKind.award, #"{"account": "contribution", "amount": 5, "rule": "r", "evidence": null, "reason": "x"}"#, "payload.evidence (line 1, column 67): null is not a value here; leave it out"),
        (GovernanceKind.verify, #"{"passed": "yes", "note": ""}"#, "payload.passed (line 1, column 12): must be true or false"),
        (GovernanceKind.visit, #"{"kind": "checkin", "note": "plain text"}"#, "payload.note (line 1, column 29): must be {\"sealed\": BASE64}"),
        (GovernanceKind.visit, #"{"kind": "checkin", "note": {"sealed": "AAAA"}}"#, "payload.note (line 1, column 29): a sealed field needs at least 40 bytes"),
        (GovernanceKind.issue, #"[1, 2]"#, "payload (line 1, column 1): must be an object with amount, note"),
    ])
    func fieldErrors(kind: String, json: String, expected: String) throws {
        let node = try StrictJSON.parse(Array(json.utf8))
        do {
            _ = try Self.forms.payload(kind: kind, version: 1, json: node, path: "payload")
            Issue.record("\(json) was read")
        } catch {
            #expect(error.code == .invalidField)
            #expect(error.message.contains(expected), "\(error.message)")
        }
    }

    @Test("kinds outside the domain keep their JSON as the payload")
    func otherKinds() throws {
        let node = try StrictJSON.parse(Array(#"{"anything": [1, 2]}"#.utf8))
        #expect(try Self.forms.payload(kind: "note", version: 1, json: node, path: "payload") == nil)
        #expect(try Self.forms.payload(kind: GovernanceKind.rules, version: 1, json: node, path: "payload") == nil)
    }
}

/// The domain a ledger enforces is recorded at genesis, not guessed.
@Suite("The domain recorded at genesis")
struct RecordedDomainTests {
    @Test("a governance ledger's genesis names the domain; opened without it, it reads but refuses appends that would skip its rules")
    func recorded() async throws {
        let fixture = try await GovernanceFixture.make()
        #expect(try await Ledger.genesis(of: fixture.store).domain == GovernanceState.name)
        #expect(try await GovernanceLedger.domain(of: fixture.store) is GovernanceState)
        let bare = try await Ledger.open(store: fixture.store, logSigner: FixtureKeys.key("log"))
        #expect(try await bare.entries(from: 0, limit: 10).count > 2)
        let report = try await fixture.commands.report(
            case: "c1", in: GovernanceFixture.home, urgency: .general, category: "drainage", source: .resident, summary: "s",
            by: fixture.key("r1"), state: fixture.state, at: fixture.clock.now())
        await #expect(throws: LedgerError.self) { try await bare.append(report) }
        // A plain ledger names none.
        let plain = try await LedgerFixture.make()
        #expect(try await Ledger.genesis(of: plain.store).domain == nil)
        #expect(try await GovernanceLedger.domain(of: plain.store) == nil)
    }
}
