import CivicGovernance
import CivicLedger
import CivicLedgerSQLite
import Foundation
import Logging
import ServiceLifecycle
import Testing

/// The README's library snippet and the DocC articles' code are this file's code: the
/// test compares them line by line (white space aside, `readme("X")`
/// read as `"X"`) and runs them, so they cannot rot.
@Suite("The README's library snippets compile and run", .serialized)
struct ReadmeSnippetTests {
    /// A path in a directory of this test's own, shown in the README as the bare name.
    static let directory = FileManager.default.temporaryDirectory.appendingPathComponent("civic-ledger-readme-\(UUID().uuidString)")
    static func readme(_ name: String) -> String {
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory.appendingPathComponent(name).path
    }

    // README snippet 1 begin
    static func core() async throws -> AuditReport {
        // Keys: the ledger authority (it enrols actors), the log key (it signs
        // checkpoints) and a grid worker's. Real keys live in files (mode 0600).
        let authority = SigningKey.generate()
        let logKey = SigningKey.generate()
        let worker = SigningKey.generate()
        // Who may sign which kinds: the permission table, itself in the log.
        let table = try PermissionTable(["grid-worker": ["case.*"]])

        let ledger = try await Ledger.create(
            store: try SQLiteEventStore(path: readme("community.sqlite")),
            origin: "ledger.example/dongsheng",
            authority: authority, logSigner: logKey, permissions: table)

        // The authority enrols the worker as a grid worker in the community.
        _ = try await ledger.append(try SignedEvent(signing: SystemEvent.content(
            origin: ledger.origin, kind: SystemEvent.Kind.enrol,
            payload: SystemEvent.Enrol(actor: "worker-li", key: worker.publicKey, role: "grid-worker", scope: "zhuji/dongsheng"),
            actorKey: authority.publicKey, clientTime: Timestamp(Date()), idempotencyKey: "enrol-worker-li"), with: authority))

        let event = try SignedEvent(signing: EventContent(
            origin: ledger.origin, stream: "case/2026-0001", place: "zhuji/dongsheng/grid-03",
            expectedVersion: .exactly(0), kind: "case.report", payload: Array(#"{"category":"drainage"}"#.utf8),
            actorKey: worker.publicKey, clientTime: Timestamp(Date()),
            idempotencyKey: UUID().uuidString), with: worker)

        let receipt = try await ledger.append(event)       // durable when it returns
        for try await entry in ledger.subscribe(from: 0) {  // the log, then each new entry as it comes
            print(entry.position, entry.kind)
            if entry.position == receipt.position { break }
        }
        return try await LedgerVerifier(store: ledger.store).verify()
    }
    // README snippet 1 end

    // README snippet 2 begin
    static func governance() async throws -> AuditReport {
        let (authority, logKey, worker) = (SigningKey.generate(), SigningKey.generate(), SigningKey.generate())
        let store = try SQLiteEventStore(path: readme("governance.sqlite"))
        let ledger = try await GovernanceLedger.create(
            store: store, origin: "ledger.example/dongsheng", authority: authority, logSigner: logKey,
            rules: .defaults(community: "zhuji/dongsheng", name: "东盛村"))
        // The roles and what each may sign: GovernancePermissions.defaults.
        _ = try await ledger.append(try SignedEvent(signing: SystemEvent.content(
            origin: ledger.origin, kind: SystemEvent.Kind.enrol,
            payload: SystemEvent.Enrol(actor: "worker-li", key: worker.publicKey, role: "grid-worker", scope: "zhuji/dongsheng"),
            actorKey: authority.publicKey, clientTime: Timestamp(Date()), idempotencyKey: "enrol-worker-li"), with: authority))
        let saved = try await ledger.checkpoint()  // a supervisor keeps this note

        let commands = GovernanceCommands(origin: ledger.origin)
        var state = try await GovernanceLedger.state(of: ledger)
        _ = try await ledger.append(try commands.report(
            case: "2026-00001", in: "zhuji/dongsheng/g03/mg021", urgency: .utilities, category: "drainage",
            source: .patrol, summary: "blocked drain by building 7", by: worker, state: state, at: Timestamp(Date())))
        // An illegal step is refused at append, naming the case, its state and the step:
        state = try await GovernanceLedger.state(of: ledger)
        do {
            _ = try await ledger.append(try commands.verify(
                case: "2026-00001", passed: true, note: "looked", by: worker, state: state, at: Timestamp(Date())))
        } catch let error as LedgerError {
            print(error)  // [illegal-transition] case 2026-00001 is reported; case.verify is not a legal step from there (…)
        }
        // The supervisor's audit: projection snapshots compared, and the log must extend the saved checkpoint.
        let report = try await Auditor(store: store, domain: GovernanceState(), projections: GovernanceProjections.all,
            trustedCheckpoint: try SignedCheckpoint(parsing: saved.serialized)).audit()
        for finding in report.findings { print(finding) }  // severity, code, position, stream, actor
        return report
    }
    // README snippet 2 end

    // README snippet 3 begin
    static func service() async throws -> CaseState? {
        // Keys: made on the first start, read on every start after (mode 0600).
        // The authority enrols actors (keep it offline after the set-up); the
        // service holds the log key; each actor's key stays on their device
        // (here, files stand in for two devices).
        let authority = try LocalKeyFiles.readOrCreate(at: readme("service.authority.key"))
        let logKey = try LocalKeyFiles.readOrCreate(at: readme("service.log.key"))
        let leader = try LocalKeyFiles.readOrCreate(at: readme("leader-wang.key"))
        let worker = try LocalKeyFiles.readOrCreate(at: readme("worker-li.key"))

        // Open the ledger, or create it on the first start.
        let store = try SQLiteEventStore(path: readme("service.sqlite"))
        let ledger = try await GovernanceLedger.openOrCreate(
            store: store, origin: "ledger.example/dongsheng", authority: authority, logSigner: logKey,
            rules: .defaults(community: "zhuji/dongsheng", name: "东盛村"))

        // The store, the ledger and a live case board, run by a service group.
        let board = LiveProjection<CaseBoard>(store: store)
        let group = ServiceGroup(services: [store, ledger, board], logger: Logger(label: "civic"))
        let running = Task { try await group.run() }

        // Enrol the actors not enrolled yet: a role (docs/roles.md) in a place.
        let enrolled = await ledger.registry.actors
        for (actor, key, role) in [("leader-wang", leader, "grid-leader"), ("worker-li", worker, "grid-worker")]
        where enrolled[actor] == nil {
            _ = try await ledger.append(try SignedEvent(signing: SystemEvent.content(
                origin: ledger.origin, kind: SystemEvent.Kind.enrol,
                payload: SystemEvent.Enrol(actor: actor, key: key.publicKey, role: role, scope: "zhuji/dongsheng"),
                actorKey: authority.publicKey, clientTime: Timestamp(Date()), idempotencyKey: "enrol-\(actor)"), with: authority))
        }

        // Commands: checked against the state, signed by their actor, appended.
        let commands = GovernanceCommands(origin: ledger.origin)
        let id = "web-" + UUID().uuidString.prefix(8).lowercased()
        _ = try await ledger.append(try commands.report(
            case: id, in: "zhuji/dongsheng/g03", urgency: .general, category: "drainage",
            source: .patrol, summary: "blocked drain", by: worker,
            state: try await GovernanceLedger.state(of: ledger), at: Timestamp(Date())))
        let accepted = try await ledger.append(try commands.accept(
            case: id, by: leader, state: try await GovernanceLedger.state(of: ledger), at: Timestamp(Date())))

        // Read your writes: the board's answer once it has folded the accept.
        let state = try await board.read(atLeast: accepted.position) { $0["case/\(id)"]?.state }

        // Shut down in reverse order: the board saves its snapshot, the ledger
        // drains and seals its state, then the store closes.
        await group.triggerGracefulShutdown()
        try await running.value
        return state
    }
    // README snippet 3 end

    // README snippet 4 begin
    static func caseLoop() async throws -> (state: CaseState?, points: Int64) {
        // One key per actor; in a deployment each stays on its actor's device.
        let (authority, logKey) = (SigningKey.generate(), SigningKey.generate())
        let people: [(actor: String, role: String, scope: Place)] = [
            ("resident-chen", "resident", "zhuji/dongsheng/g03/mg021"), ("worker-li", "grid-worker", "zhuji/dongsheng"),
            ("leader-wang", "grid-leader", "zhuji/dongsheng"), ("secretary-zhou", "community-secretary", "zhuji/dongsheng"),
            ("street-he", "street-office", "zhuji/dongsheng"), ("water-zhao", "department-staff", "zhuji/dongsheng"),
        ]
        let key = Dictionary(uniqueKeysWithValues: people.map { ($0.actor, SigningKey.generate()) })

        // The default rules list no departments: add the water department and its staff.
        var rules = GovernanceRules.defaults(community: "zhuji/dongsheng", name: "东盛村")
        rules.departments["water"] = .init(name: "水务", staff: ["water-zhao"])
        let store = try SQLiteEventStore(path: readme("loop.sqlite"))
        let ledger = try await GovernanceLedger.create(
            store: store, origin: "ledger.example/dongsheng", authority: authority, logSigner: logKey, rules: rules)
        for person in people {
            _ = try await ledger.append(try SignedEvent(signing: SystemEvent.content(
                origin: ledger.origin, kind: SystemEvent.Kind.enrol,
                payload: SystemEvent.Enrol(actor: person.actor, key: key[person.actor]!.publicKey, role: person.role, scope: person.scope),
                actorKey: authority.publicKey, clientTime: Timestamp(Date()), idempotencyKey: "enrol-\(person.actor)"), with: authority))
        }

        // Each step: built against the current state, signed by its actor, appended.
        let commands = GovernanceCommands(origin: ledger.origin)
        func act(_ make: (GovernanceState, Timestamp) throws -> SignedEvent) async throws -> AppendReceipt {
            try await ledger.append(try make(try await GovernanceLedger.state(of: ledger), Timestamp(Date())))
        }
        let id = "2026-00001"
        _ = try await act { try commands.report(case: id, in: "zhuji/dongsheng/g03/mg021", urgency: .utilities, category: "water",
            source: .resident, summary: "burst pipe under building 7", by: key["resident-chen"]!, state: $0, at: $1) }
        _ = try await act { try commands.accept(case: id, by: key["leader-wang"]!, state: $0, at: $1) }          // 受理
        _ = try await act { try commands.approve(case: id, by: key["secretary-zhou"]!, state: $0, at: $1) }      // the whistle 吹哨
        _ = try await act { try commands.review(case: id, by: key["street-he"]!, state: $0, at: $1) }            // second review
        _ = try await act { try commands.dispatch(case: id, to: "water", by: key["street-he"]!, state: $0, at: $1) }  // 派单
        _ = try await act { try commands.acknowledge(case: id, by: key["water-zhao"]!, state: $0, at: $1) }      // 签收
        _ = try await act { try commands.progress(case: id, percent: 50, note: "valve shut", by: key["water-zhao"]!, state: $0, at: $1) }
        _ = try await act { try commands.resolve(case: id, note: "pipe replaced", by: key["water-zhao"]!, state: $0, at: $1) }
        _ = try await act { try commands.verify(case: id, passed: true, note: "no leak", by: key["worker-li"]!, state: $0, at: $1) }  // 核查
        let closed = try await act { try commands.close(case: id, by: key["street-he"]!, state: $0, at: $1) }  // 销号
        _ = try await act { try commands.rate(case: id, .satisfied, by: key["resident-chen"]!, state: $0, at: $1) }  // 回访

        // Points: the secretary fills the pool; the reporter earns the "report" rule's
        // points, citing the case's close (its position) as the evidence.
        _ = try await act { try commands.issue(100, note: "2026 pool", by: key["secretary-zhou"]!, state: $0, at: $1) }
        _ = try await act { try commands.award("resident-chen", rule: "report", evidence: closed.position,
            reason: "reported the burst pipe", by: key["leader-wang"]!, state: $0, at: $1) }

        // A refused step is a LedgerError: a stable code and a message, and nothing written.
        do {
            _ = try await act { try commands.resolve(case: id, by: key["water-zhao"]!, state: $0, at: $1) }
        } catch let error as LedgerError {
            print(error)  // [illegal-transition] case 2026-00001 is rated; case.resolve is not a legal step from there (…)
        }
        let state = try await GovernanceLedger.state(of: ledger)
        try await ledger.close()
        try store.close()
        return (state.board["case/\(id)"]?.state, state.points.balance(of: "resident-chen").contribution)
    }
    // README snippet 4 end

    @Test("the article \"A case from report to close\" shows exactly this code, and it runs: every step, the award with its evidence")
    func caseLoopRuns() async throws {
        let blocks = try Self.articleBlocks("Sources/CivicGovernance/CivicGovernance.docc/CaseFromReportToClose.md")
        #expect(blocks.flatMap { $0 } == (try Self.code(4)), "the article differs from ReadmeSnippetTests.caseLoop()")
        let result = try await Self.caseLoop()
        #expect(result.state == .rated)
        #expect(result.points == 3)  // the default "report" rule's amount
        let store = try SQLiteEventStore(path: Self.readme("loop.sqlite"))
        defer { try? store.close() }
        let report = try await Auditor(store: store, domain: GovernanceState(), projections: GovernanceProjections.all).audit()
        #expect(report.isClean, "\(report.findings)")
        // Genesis, the rules, six enrolments, eleven case steps, the pool and the award: the refused step wrote nothing.
        #expect(report.entries == 21)
    }

    /// The code between `// README snippet N begin` and `end` in this file.
    static func code(_ number: Int) throws -> [String] {
        let source = try String(contentsOfFile: #filePath, encoding: .utf8).components(separatedBy: "\n")
        let begin = try #require(source.firstIndex(of: "    // README snippet \(number) begin"))
        let end = try #require(source.firstIndex(of: "    // README snippet \(number) end"))
        // The function's own first and last lines are not in the README.
        return normalised(source[(begin + 2)..<(end - 1)], code: true)
    }

    /// The README's swift blocks in "The library", without imports.
    static func readmeBlocks() throws -> [[String]] {
        let text = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let section = try #require(
            text.components(separatedBy: "### The library").dropFirst().first?.components(separatedBy: "\n#").first)
        return swiftBlocks(section)
    }

    /// The repository's root folder.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The swift blocks of a Markdown text, without imports, normalised.
    static func swiftBlocks(_ text: String) -> [[String]] {
        text.components(separatedBy: "```swift\n").dropFirst().map { block in
            normalised(block.components(separatedBy: "```")[0].components(separatedBy: "\n")[...].filter { !$0.hasPrefix("import ") }, code: false)
        }
    }

    /// The swift blocks of the DocC article at `path` (from the root).
    static func articleBlocks(_ path: String) throws -> [[String]] {
        swiftBlocks(try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8))
    }

    /// Lines without indentation or blanks; in the test's `code`, the
    /// function's returns and `readme(…)` paths as the README shows them.
    static func normalised(_ lines: ArraySlice<String>, code: Bool) -> [String] {
        let trimmed = lines.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard code else { return trimmed }
        return trimmed.filter { $0 != "return report" && $0 != "return state" && !$0.hasPrefix("return (state.board") }.map {
            $0.replacingOccurrences(of: #"readme\(("[^"]*")\)"#, with: "$1", options: .regularExpression)
                .replacingOccurrences(of: "return try await LedgerVerifier", with: "let report = try await LedgerVerifier")
        }
    }

    @Test("the README and the article \"Appending events\" show exactly this code")
    func readmeMatches() throws {
        let blocks = try Self.readmeBlocks()
        #expect(blocks.count == 1)
        #expect(blocks.first == (try Self.code(2)), "the README's library snippet differs from ReadmeSnippetTests.governance()")
        let core = try Self.articleBlocks("Sources/CivicLedger/CivicLedger.docc/AppendingEvents.md")
        #expect(core.first == (try Self.code(1)), "the article \"Appending events\" differs from ReadmeSnippetTests.core()")
    }

    @Test("the article \"Embedding CivicLedger in a service\" shows exactly this code, a block at a time")
    func articleMatches() throws {
        let blocks = try Self.articleBlocks("Sources/CivicGovernance/CivicGovernance.docc/EmbeddingCivicLedger.md")
        #expect(blocks.flatMap { $0 } == (try Self.code(3)), "the article differs from ReadmeSnippetTests.service()")
    }

    @Test("and the service's code runs, and runs again on the same file: each start's case is accepted, read back from the live board")
    func serviceRuns() async throws {
        #expect(try await Self.service() == .accepted)
        // The second start: the same keys, the same ledger, nothing enrolled twice.
        #expect(try await Self.service() == .accepted)
        let store = try SQLiteEventStore(path: Self.readme("service.sqlite"))
        defer { try? store.close() }
        let report = try await Auditor(store: store, domain: GovernanceState(), projections: GovernanceProjections.all).audit()
        #expect(report.isClean, "\(report.findings)")
        // Genesis, the rules, two enrolments, then a report and an accept per start.
        #expect(report.entries == 8)
    }

    @Test("and the code runs: both ledgers verify and audit clean")
    func snippetsRun() async throws {
        defer { try? FileManager.default.removeItem(at: Self.directory) }
        #expect(try await Self.core().isClean)
        let audit = try await Self.governance()
        #expect(audit.isClean)
        // Genesis, the rules, the enrolment and the report: the illegal step was refused.
        #expect(audit.entries == 4)
    }
}
