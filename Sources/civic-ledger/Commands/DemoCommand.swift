import ArgumentParser
import CivicLedger
import Foundation

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Build a small signed ledger on SQLite, verify it and print its checkpoint.")

    @Option(help: "Where to create the demo ledger (must not exist).")
    var db: String = "demo-ledger.sqlite"

    func run() async throws {
        let files = LedgerFiles(path: db)
        for path in [files.path, files.authorityKeyPath, files.logKeyPath] where FileManager.default.fileExists(atPath: path) {
            throw CLIError.io("\(path) already exists; remove it or pass --db another path")
        }
        let origin = "civic-ledger.example/zhuji/dongsheng"
        let ledger = try await LedgerSetup.create(files, origin: origin, permissions: StarterPermissions.table)
        let authority = try KeyFile.read(files.authorityKeyPath)
        print("Created \(db) (origin \(origin))\n")

        // Actors, each with a key of its own.
        let grid: Place = "zhuji/dongsheng/grid-03"
        var keys: [String: SigningKey] = [:]
        let people: [(String, String, Place)] = try [
            ("worker-li", "grid-worker", grid), ("leader-wang", "grid-leader", grid),
            ("secretary-chen", "community-secretary", "zhuji/dongsheng"), ("street-zhao", "street-office", "zhuji"),
            ("water-sun", "department-staff", "zhuji"),
        ] + (1...16).map { ("resident-\($0)", "resident", try Place(validating: "zhuji/dongsheng/grid-03/mg-\($0 % 8 + 1)")) }
        var enrolments: [SignedEvent] = []
        for (actor, role, scope) in people {
            let key = SigningKey.generate()
            keys[actor] = key
            enrolments.append(
                try SignedEvent(
                    signing: SystemEvent.content(
                        origin: origin, kind: SystemEvent.Kind.enrol,
                        payload: SystemEvent.Enrol(actor: actor, key: key.publicKey, role: role, scope: scope),
                        actorKey: authority.publicKey, clientTime: Timestamp(Date()), idempotencyKey: UUID().uuidString),
                    with: authority))
        }
        _ = try await ledger.append(batch: enrolments)
        print("Enrolled \(people.count) actors in one atomic batch (grid worker, leader, secretary, street office, water department, 16 residents)\n")

        // One case through the closed loop; every step signed by the person who acted.
        let steps: [(String, String, String)] = [
            ("worker-li", "case.report", #"{"category":"drainage","summary":"blocked drain by building 7","urgency":"utilities"}"#),
            ("secretary-chen", "case.approve", #"{"whistle":true}"#),
            ("street-zhao", "case.review", #"{"decision":"approved"}"#),
            ("street-zhao", "case.dispatch", #"{"department":"water"}"#),
            ("water-sun", "case.acknowledge", "{}"),
            ("water-sun", "case.resolve", #"{"action":"drain cleared"}"#),
            ("leader-wang", "case.verify", #"{"result":"passed"}"#),
            ("secretary-chen", "case.close", #"{"feedback":"resident satisfied"}"#),
        ]
        print("Case case/2026-0001, one signed step at a time:")
        var retry: SignedEvent?
        for (version, (actor, kind, payload)) in steps.enumerated() {
            let event = try sign(
                keys[actor]!, origin: origin, stream: "case/2026-0001", place: grid, kind: kind,
                expected: .exactly(UInt64(version)), payload: Array(payload.utf8))
            let receipt = try await ledger.append(event)
            if version == 0 { retry = event }
            print("  \(receipt.position)  \(kind.padding(toLength: 17, withPad: " ", startingAt: 0)) by \(actor)")
        }

        // Sixteen residents report at once: verified in parallel, committed together.
        let reports = try (1...16).map { number in
            try sign(
                keys["resident-\(number)"]!, origin: origin, stream: "case/2026-01\(String(format: "%02d", number))",
                place: try Place(validating: "zhuji/dongsheng/grid-03/mg-\(number % 8 + 1)"), kind: "case.report",
                expected: .exactly(0), payload: Array(#"{"category":"flood-risk","summary":"water rising at the gate"}"#.utf8))
        }
        let started = Date()
        let receipts = try await withThrowingTaskGroup(of: AppendReceipt.self) { group in
            for report in reports { group.addTask { try await ledger.append(report) } }
            return try await group.reduce(into: [AppendReceipt]()) { $0.append($1) }
        }
        let positions = receipts.map(\.position).sorted()
        print(String(format: "\n16 residents reported concurrently: positions %llu…%llu, durable in %.1f ms", positions.first!, positions.last!, Date().timeIntervalSince(started) * 1000))

        // What the ledger refuses, and what it recognises.
        let forged = try sign(
            keys["resident-1"]!, origin: origin, stream: "case/2026-0001", place: grid, kind: "case.close",
            expected: .exactly(8), payload: Array("{}".utf8))
        do {
            _ = try await ledger.append(forged)
        } catch let error as LedgerError {
            print("\nA resident tries to close the case: refused, nothing written:\n  \(error)")
        }
        let again = try await ledger.append(retry!)
        print("\nThe grid worker's phone retries its report: \(again.isDuplicate ? "recognised" : "NOT recognised"), original position \(again.position)")

        let report = try await LedgerVerifier(store: ledger.store).verify()
        print("\nVerification: \(report.isClean ? "clean" : "FAILED") (\(report.entriesChecked) entries, every signature, key, role, position, and \(report.checkpointsChecked) stored checkpoint(s))")
        let checkpoint = try await ledger.checkpoint()
        print("\nLatest checkpoint (C2SP signed note; verifier key \(NoteKey(name: origin, publicKey: ledger.logKey).verifierKey)):\n")
        print(checkpoint.serialized, terminator: "")
        print("\nTry: civic-ledger log \(db)    civic-ledger verify \(db)")
        if !report.isClean { throw ExitCode(1) }
    }

    func sign(
        _ key: SigningKey, origin: String, stream: String, place: Place, kind: String, expected: ExpectedVersion, payload: [UInt8]
    ) throws -> SignedEvent {
        try SignedEvent(
            signing: EventContent(
                origin: origin, stream: stream, place: place, expectedVersion: expected, kind: kind, payload: payload,
                actorKey: key.publicKey, clientTime: Timestamp(Date()), idempotencyKey: UUID().uuidString),
            with: key)
    }
}
