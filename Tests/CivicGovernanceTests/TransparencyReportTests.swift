import CivicGovernance
import CivicLedger
import CivicReporting
import CivicLedgerTesting
import CivicSimulator
import Foundation
import PropertyBased
import Testing

@Suite("Transparency report")
struct TransparencyReportTests {
    static let origin = "civic-ledger.example/zhuji/dongsheng"
    /// A fixed operator key, so the snapshots are stable.
    static let pseudonymKey = PseudonymKey(bytes: Bytes32(Array(repeating: 7, count: 32))!)

    static let vault = InMemoryKeyVault()

    /// A simulated community of 120 residents over 60 days (the flood, and
    /// the flood-sensor decision after it), with a checkpoint at its end;
    /// the log key is a fixture key, so the report is the same every run.
    static let community: Task<(InMemoryEventStore, SignedCheckpoint), any Error> = Task {
        var profile = CommunityProfile()
        profile.residents = 120
        profile.partyMembers = 6
        profile.volunteers = 3
        profile.days = 60
        let store = InMemoryEventStore()
        let (ledger, _) = try await CommunitySimulator(profile: profile, origin: origin).run(
            store: store, vault: vault, logSigner: FixtureKeys.key("log"))
        return (store, try await ledger.checkpoint())
    }

    static func build(from: Timestamp? = nil, to: Timestamp? = nil) async throws -> (TransparencyReportBuilder, TransparencyReport) {
        let (store, checkpoint) = try await community.value
        var builder = TransparencyReportBuilder(origin: origin, pseudonymKey: pseudonymKey, from: from, to: to)
        for try await page in EntryPages(store: store, to: checkpoint.checkpoint.size) { for entry in page { try builder.fold(entry) } }
        return (builder, try builder.report(checkpoint: checkpoint))
    }

    /// Compares `text` with the stored snapshot `name`; with
    /// `UPDATE_SNAPSHOTS=1` in the environment it writes the snapshot instead.
    static func matchSnapshot(_ text: String, _ name: String) throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("__Snapshots__/\(name)")
        if ProcessInfo.processInfo.environment["UPDATE_SNAPSHOTS"] != nil {
            try FileManager.default.createDirectory(at: path.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: path)
        }
        let stored = try String(contentsOf: path, encoding: .utf8)
        #expect(text == stored, "\(name) differs from its snapshot; run with UPDATE_SNAPSHOTS=1 to accept the change and review the diff")
    }

    @Test("the Markdown and JSON forms match their snapshots")
    func snapshots() async throws {
        var (_, report) = try await Self.build()
        // Sealed fields carry random nonces, so the log's root differs from
        // run to run; every figure does not. The checkpoint is compared by
        // size only.
        report.checkpoint.root = "ROOT"
        report.checkpoint.note = "NOTE\n"
        try Self.matchSnapshot(report.markdown(), "transparency-report.md")
        try Self.matchSnapshot(try report.jsonText() + "\n", "transparency-report.json")
    }

    @Test("the report's totals are the sums over the projections")
    func totalsMatchProjections() async throws {
        let (builder, report) = try await Self.build()
        let state = builder.state
        #expect(report.cases.funnel.first { $0.stage == "reported" }?.cases == state.board.cases.count)
        #expect(report.cases.byState.values.reduce(0, +) == state.board.cases.count)
        for caseState in CaseState.allCases {
            #expect((report.cases.byState[caseState.rawValue] ?? 0) == state.board.count(caseState))
        }
        #expect(report.cases.shelved.count == state.board.count(.shelved))
        // The funnel only narrows.
        let funnel = report.cases.funnel.map(\.cases)
        #expect(zip(funnel, funnel.dropFirst()).allSatisfy { $0 >= $1 })
        #expect(report.cases.onTime.map(\.resolved).reduce(0, +) == state.board.cases.values.filter { $0.resolvedOnTime != nil }.count)
        #expect(report.cases.timeToClose.map(\.closed).reduce(0, +) == state.board.cases.values.filter { $0.closedAt != nil }.count)
        let dispatched = state.board.cases.values.filter { $0.department != nil }
        let responded = dispatched.filter { $0.respondedAt != nil }.count
        #expect(report.cases.responseRate == (Double(responded) * 1000 / Double(dispatched.count)).rounded() / 10)
        #expect(responded >= report.cases.funnel.first { $0.stage == "resolved" }!.cases)
        let months = report.points.months
        #expect(months.map(\.issued).reduce(0, +) == state.points.totals.issued)
        #expect(months.map(\.awarded).reduce(0, +) == state.points.totals.awarded)
        #expect(months.map(\.deducted).reduce(0, +) == state.points.totals.deducted)
        #expect(months.map(\.redeemed).reduce(0, +) == state.points.totals.redeemed)
        #expect(report.points.conserved)
        #expect(report.decisions.count == state.deliberations.decisions.count)
        #expect(report.decisions.first?.stage == "implementing")
        #expect(report.care.erased == state.archive.erasedCount)
    }

    @Test("any period's case figures and monthly points add up to the whole report's")
    func periodsAddUp() async throws {
        let (_, whole) = try await Self.build()
        let start = CommunityProfile().start
        await propertyCheck(count: 8, input: Gen.int(in: 1...59)) { day in
            let split = start.adding(milliseconds: Int64(day) * 86_400_000)
            let (_, before) = try await Self.build(to: split)
            let (_, after) = try await Self.build(from: split)
            for (index, stage) in whole.cases.funnel.enumerated() {
                #expect(
                    before.cases.funnel[index].cases + after.cases.funnel[index].cases == stage.cases, "\(stage.stage) split at day \(day)")
            }
            let awarded = (before.points.months + after.points.months).map(\.awarded).reduce(0, +)
            #expect(awarded == whole.points.totals.awarded)
        }
    }

    @Test("residents appear under pseudonyms; no actor id of a resident and no sealed field is in the report")
    func privacy() async throws {
        let (builder, report) = try await Self.build()
        let json = try report.jsonText()
        let residents = builder.state.archive.residents.keys
        #expect(!residents.isEmpty)
        for resident in residents {
            #expect(!json.contains("\"\(resident)\""), "\(resident) appears by id")
        }
        #expect(report.points.ranking.allSatisfy { $0.resident.hasPrefix("居民-") || $0.resident.contains("erased") })
        #expect(!json.contains("sealed"))
        // Pseudonyms are keyed by the operator's secret: another key gives others, and they carry 64 bits.
        let first = try #require(residents.sorted().first)
        let other = PseudonymKey(bytes: Bytes32(Array(repeating: 8, count: 32))!)
        #expect(Pseudonym.of(first, key: Self.pseudonymKey) != Pseudonym.of(first, key: other))
        #expect(Pseudonym.of(first, key: Self.pseudonymKey).count == "居民-".count + 16)
        // Nobody without the key finds a resident by hashing ids, as the old unkeyed pseudonyms allowed.
        let unkeyed = "居民-" + String(SHA256.hash(Array(Self.origin.utf8) + [0] + Array(first.utf8)).hex.prefix(6))
        #expect(!json.contains(unkeyed))
    }

    @Test("the signed JSON verifies against its checkpoint and log key, and not when anything differs")
    func signedReport() async throws {
        let (_, checkpoint) = try await Self.community.value
        let (_, report) = try await Self.build()
        let logKey = FixtureKeys.key("log")
        let signed = try report.signed(with: logKey).serialized
        #expect(try TransparencyReport.verify(signed: signed, checkpoint: checkpoint, logKey: logKey.publicKey) == report)

        let changed = signed.replacingOccurrences(of: "\"conserved\":true", with: "\"conserved\":false")
        #expect(changed != signed)
        #expect(throws: LedgerError.self) {
            try TransparencyReport.verify(signed: changed, checkpoint: checkpoint, logKey: logKey.publicKey)
        }
        #expect(throws: LedgerError.self) {
            try TransparencyReport.verify(signed: signed, checkpoint: checkpoint, logKey: FixtureKeys.key("other").publicKey)
        }
        // A checkpoint of another size, signed by the log key: the report is not tied to it.
        let earlier = try SignedCheckpoint(
            signing: Checkpoint(origin: Self.origin, size: checkpoint.checkpoint.size - 1, root: checkpoint.checkpoint.root), with: logKey)
        let mismatch = #expect(throws: LedgerError.self) {
            try TransparencyReport.verify(signed: signed, checkpoint: earlier, logKey: logKey.publicKey)
        }
        #expect(mismatch?.code == .checkpointMismatch)
        // A builder refuses a checkpoint that does not cover what it folded.
        #expect(throws: LedgerError.self) { try TransparencyReportBuilder(origin: Self.origin, pseudonymKey: Self.pseudonymKey).report(checkpoint: checkpoint) }
    }

    @Test("every case exports as an Open311 service request: open exactly when work is owed, our state in the notes, no reporter")
    func open311() async throws {
        let (builder, _) = try await Self.build()
        let board = builder.state.board
        let requests = Open311.requests(from: board, rules: builder.state.rules)
        #expect(requests.count == board.cases.count)
        #expect(requests.filter { $0.status == "open" }.count == board.openCases().count)
        for request in requests {
            let record = try #require(board["case/" + request.serviceRequestID])
            #expect(request.status == (record.state.isOpen ? "open" : "closed"))
            #expect(request.statusNotes.hasPrefix("state: \(record.state.rawValue);"))
            #expect(request.serviceCode == record.category)
            #expect(request.updatedDatetime >= request.requestedDatetime)
        }
        let json = String(decoding: try JSONEncoder().encode(requests), as: UTF8.self)
        #expect(json.contains("\"service_request_id\"") && json.contains("\"status_notes\""))
        let reporters = Set(board.cases.values.map(\.reporter.base64))
        #expect(!reporters.contains { json.contains($0) })
    }

    @Test("the HTML page is self-contained, escapes text, and gives every chart a title and a data table")
    func htmlPage() async throws {
        var (_, report) = try await Self.build()
        report.communityName = "<b>东盛村</b> & co"
        let page = report.html()
        #expect(page.hasPrefix("<!DOCTYPE html>"))
        #expect(page.contains("&lt;b&gt;东盛村&lt;/b&gt; &amp; co"))
        #expect(!page.contains("<b>东盛村</b>"))
        for forbidden in ["<script", "<link", "src=", "href=", "url(", "http://", "https://"] {
            #expect(!page.contains(forbidden), "\(forbidden)")
        }
        let figures = page.components(separatedBy: "<figure").dropFirst()
        // The funnel, time to close, on-time rate, two points charts, and one per decision with milestones.
        #expect(figures.count == 5 + report.decisions.filter { !$0.milestones.isEmpty }.count)
        for figure in figures {
            #expect(figure.contains("<figcaption>") && figure.contains("<svg") && figure.contains("<title") && figure.contains("<table"))
        }
        #expect(page.contains("viewport"))
        // A label too long for its chart is cut with an ellipsis (the milestone "接入网格员手机 alarms to the
        // grid workers' phones"), whole in its tooltip and its table; one that fits is left alone.
        let cut = page.components(separatedBy: "class=label><title>").dropFirst()
        #expect(!cut.isEmpty)
        for label in cut {
            let full = label.prefix { $0 != "<" }
            let shown = try #require(label.components(separatedBy: "</title>").dropFirst().first?.prefix { $0 != "<" })
            #expect(shown.hasSuffix("…") && full.hasPrefix(shown.dropLast()) && shown.count < full.count, "\(shown) / \(full)")
            #expect(page.contains("<td>\(full)</td>"))
        }
        #expect(page.contains("class=label>上报 reported</text>"))
    }

    @Test("names replace pseudonyms only for a reader whose role keeps the archives, and the report says so")
    func namesForEntitledReaders() async throws {
        var (builder, _) = try await Self.build()
        let (_, checkpoint) = try await Self.community.value
        var profile = CommunityProfile()
        profile.residents = 120
        let simulator = CommunitySimulator(profile: profile, origin: Self.origin)
        let resident = try #require(builder.state.archive.residents.first { !$0.value.isErased }?.key)
        let refused = #expect(throws: LedgerError.self) { try builder.nameReader(simulator.key(resident).publicKey) }
        #expect(refused?.code == .notAuthorised)
        #expect(refused?.message.contains("may not read residents' personal fields") == true)
        #expect(throws: LedgerError.self) { try builder.showNames([:], to: FixtureKeys.key("stranger").publicKey) }

        // The secretary may: the names come from the vault's keys.
        var names: [String: String] = [:]
        for (id, record) in builder.state.archive.residents {
            guard let sealed = record.sealed, let key = await Self.vault.existingKey(for: id) else { continue }
            names[id] = try SealedField(bytes: sealed.name).open(
                with: key, context: SealedContact.context(origin: Self.origin, resident: id, field: "name"))
        }
        #expect(!names.isEmpty)
        try builder.showNames(names, to: simulator.key("secretary").publicKey)
        let named = try builder.report(checkpoint: checkpoint)
        #expect(named.namesShownTo?.hasPrefix("secretary (community-secretary") == true)
        let top = try #require(named.points.ranking.first)
        let pseudonym = try #require(top.resident.split(separator: "(").last?.dropLast())
        let id = try #require(builder.state.archive.residents.keys.first { Pseudonym.of($0, key: Self.pseudonymKey) == pseudonym })
        #expect(top.resident == "\(names[id]!) (\(pseudonym))")
        #expect(named.markdown().contains("not for publication"))
        #expect(named.html().contains("not for publication"))
    }
}

@Suite("The audit report rendered by the library")
struct AuditRenderingTests {
    @Test("text, JSON and HTML of an audit: the verdict, the facts, the findings escaped in HTML")
    func renderings() async throws {
        let f = try await GovernanceFixture.make()
        try await f.caseThrough("c<1>", until: .dispatched)
        // Overdue and unreminded once a later entry is recorded: a warning finding to render.
        f.clock.advance(milliseconds: 40 * 24 * 3_600_000)
        try await f.caseThrough("c2", until: .reported)
        let report = try await Auditor(store: f.store, clock: f.clock, domain: GovernanceState(), projections: GovernanceProjections.all).audit()
        #expect(!report.isClean)
        let text = AuditRendering.text(report, source: "ledger.sqlite", failOn: .error)
        #expect(text.hasPrefix("Audit of ledger.sqlite\n"))
        #expect(text.contains("PASSED with"))
        #expect(text.contains("overdue-unreminded"))
        #expect(AuditRendering.verdict(report, failOn: .warning).hasPrefix("FAILED"))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(try AuditRendering.json(report).utf8)) as? [String: Any])
        #expect(json["clean"] as? Bool == false)
        #expect((json["findings"] as? [Any])?.isEmpty == false)
        let html = AuditRendering.html(report, source: "<ledger>")
        #expect(html.contains("&lt;ledger&gt;") && !html.contains("<ledger>"))
        #expect(html.contains("case/c&lt;1&gt;") && !html.contains("case/c<1>"))
        #expect(!html.contains("<script"))
    }
}
