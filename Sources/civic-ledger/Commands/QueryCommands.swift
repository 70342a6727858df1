import ArgumentParser
import CivicGovernance
import CivicLedger
import CivicLedgerSQLite
import CivicReporting
import Foundation

/// What the query commands share: the ledger's store, its registry (to
/// name actors), projections brought up to date from their snapshots, and
/// the time "now" means (the last entry's, unless --at says otherwise).
struct QueryContext {
    let store: any EventStore
    let registry: AuthorityRegistry
    let origin: String
    let lastRecordedAt: Timestamp

    /// Opens a governance ledger read-only: queries never write, so they
    /// work on a supervisor's read-only copy, and refuse any other ledger
    /// before reading further.
    static func open(_ files: LedgerFiles) async throws -> QueryContext {
        let store = try await files.openStore(readOnly: true)
        guard try await LedgerFiles.domain(of: store) != nil else {
            throw CLIError.usage(
                "\(files.path) is not a governance ledger (its first entry after genesis does not set the community's rules); cases, points, resident, dossier and volunteers read governance ledgers"
            )
        }
        let ledger = try await Ledger.open(store: store, configuration: CLIContext.ledgerConfiguration)
        let size = await ledger.size
        let last = try await store.entries(from: size - 1, limit: 1).first.map { try LedgerEntry(bytes: $0.bytes).recordedAt }
        return QueryContext(store: store, registry: await ledger.registry, origin: ledger.origin, lastRecordedAt: last ?? Timestamp(Date()))
    }

    /// A projection from its last snapshot, caught up with the log (not
    /// saved: queries write nothing).
    func projection<P: Projection>(_ type: P.Type) async throws -> P {
        var runner = ProjectionRunner<P>(store: store)
        runner.savesSnapshots = false
        var projection = try await runner.resume()
        try await runner.catchUp(&projection)
        return projection
    }

    /// The actor id holding `key`.
    func actor(_ key: PublicKey) -> String { registry.keys[key]?.actor ?? key.fingerprint }

    /// `--at` parsed, or the last entry's time.
    func time(_ at: String?) throws -> Timestamp {
        guard let at else { return lastRecordedAt }
        guard let date = ISO8601DateFormatter().date(from: at) else {
            throw CLIError.usage("--at \"\(at)\" is not an ISO 8601 time such as 2025-06-30T12:00:00Z")
        }
        return Timestamp(date)
    }
}

struct CasesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cases", abstract: "The case board: cases by state, open cases by deadline, and which are overdue.")

    @OptionGroup var ledger: LedgerPath
    @Option(help: "Only cases in this state (\(CaseState.allCases.map(\.rawValue).joined(separator: ", "))).")
    var state: String?
    @Flag(help: "Only cases overdue at --at.")
    var overdue = false
    @Option(help: "The time overdue is judged at (ISO 8601); default: the last entry's time.")
    var at: String?
    @Option(parsing: .unconditional, help: "List at most this many cases.", transform: NumericOption.count)
    var limit: Int = 50
    @Flag(help: "JSON output.")
    var json = false

    func run() async throws {
        let filter = try state.map { name in
            guard let value = CaseState(rawValue: name) else {
                throw CLIError.usage("--state \(name) is not one of \(CaseState.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return value
        }
        let context = try await QueryContext.open(ledger.files)
        let time = try context.time(at)
        let board = try await context.projection(CaseBoard.self)
        var rows = board.cases.map { (stream: $0.key, record: $0.value) }
        if let filter { rows = rows.filter { $0.record.state == filter } }
        if overdue { rows = rows.filter { $0.record.isOverdue(at: time) } }
        rows.sort {
            ($0.record.deadline ?? Timestamp(millisecondsSinceEpoch: .max), $0.stream) < (
                $1.record.deadline ?? Timestamp(millisecondsSinceEpoch: .max), $1.stream
            )
        }
        let counts = Dictionary(uniqueKeysWithValues: CaseState.allCases.map { ($0.rawValue, board.count($0)) })
        if json {
            let cases = try rows.prefix(limit).map { row in
                try JSONSerialization.jsonObject(
                    with: CaseView(stream: row.stream, record: row.record, at: time, registry: context.registry).json())
            }
            print(
                jsonString(["at": time.description, "counts": counts, "total": board.cases.count, "matching": rows.count, "cases": cases]))
            return
        }
        say("Cases at \(time): \(board.cases.count) in all")
        for caseState in CaseState.allCases where board.count(caseState) > 0 {
            say("  \(caseState.rawValue.padding(toLength: 15, withPad: " ", startingAt: 0)) \(board.count(caseState))")
        }
        say("\n\(rows.count) matching\(rows.count > limit ? ", first \(limit) by deadline" : ""):")
        for row in rows.prefix(limit) {
            let record = row.record
            let owner = record.department.map { "→ \($0)" } ?? ""
            let deadline = record.deadline.map { "due \($0)" } ?? ""
            say(
                "  \(row.stream)  \(record.state.rawValue)  \(record.urgency.rawValue) \(record.category) \(owner) \(deadline)\(record.isOverdue(at: time) ? "  OVERDUE" : "")"
            )
        }
    }
}

struct PointsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "points",
        abstract: "Points balances, the pool, the totals and the ranking (conservation can be checked from the JSON).")

    @OptionGroup var ledger: LedgerPath
    @Option(parsing: .unconditional, help: "Rank this many residents in text output.", transform: NumericOption.count)
    var top: Int = 10
    @Flag(help: "Show residents under pseudonyms (keyed by the operator's secret in the key vault).")
    var pseudonyms = false
    @Option(help: "The key vault holding the pseudonym key: a file (default: PATH.vault, or PREFIX.vault with --keys) or a postgres:// URL.")
    var vault: String?
    @Flag(help: "JSON output: every account, the pool and the totals.")
    var json = false

    func run() async throws {
        let context = try await QueryContext.open(ledger.files)
        let points = try await context.projection(PointsBalances.self)
        if vault != nil, !pseudonyms { throw CLIError.usage("--vault holds the pseudonym key: give it with --pseudonyms") }
        let pseudonymKey = pseudonyms ? try await PseudonymKey.from(try await ledger.files.openVault(vault)) : nil
        let name = { (resident: String) in pseudonymKey.map { Pseudonym.of(resident, key: $0) } ?? resident }
        let totals = points.totals
        if json {
            let accounts = Dictionary(
                uniqueKeysWithValues: points.accounts.map { stream, balance in
                    (
                        name(String(stream.dropFirst("points/".count))),
                        ["contribution": balance.contribution, "reputation": balance.reputation, "earned": balance.earned]
                    )
                })
            let object: [String: Any] = [
                "accounts": accounts, "pool": points.pool, "accountsTotal": points.accountsTotal, "conserved": points.isConserved,
                "totals": [
                    "issued": totals.issued, "awarded": totals.awarded, "deducted": totals.deducted, "redeemed": totals.redeemed,
                    "expired": totals.expired,
                    "reversed": totals.reversed,
                ],
            ]
            print(jsonString(object))
            return
        }
        say(
            "Issued \(totals.issued), awarded \(totals.awarded), deducted \(totals.deducted), redeemed \(totals.redeemed), expired \(totals.expired), reversed by appeal \(totals.reversed)"
        )
        say(
            "Pool \(points.pool) + \(points.accounts.count) accounts \(points.accountsTotal) = \(points.pool.clampedAdding(points.accountsTotal)) (issued \(totals.issued)): \(points.isConserved ? "conserved" : "NOT CONSERVED")"
        )
        say("\nRanking by contribution:")
        for (rank, entry) in points.ranking(limit: top).enumerated() {
            say(
                "  \(rank + 1). \(name(entry.resident))  contribution \(entry.balance.contribution)  reputation \(entry.balance.reputation)"
            )
        }
        if !points.isConserved { throw ExitCode(1) }
    }
}

struct ResidentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resident", abstract: "A resident's archive; personal fields only with --reveal-for and the key vault.")

    @OptionGroup var ledger: LedgerPath
    @Argument(help: "The resident's id.")
    var id: String
    @Option(
        help: ArgumentHelp(
            "Open the sealed personal fields with the resident's key from PATH.vault, for the reader whose key file this is.",
            discussion: "The reader must be a community secretary, grid leader or grid worker, or the resident themselves.",
            valueName: "key-file"))
    var revealFor: String?
    @Flag(help: "JSON output.")
    var json = false

    func run() async throws {
        let reader = try revealFor.map { try KeyFile.read($0) }
        let context = try await QueryContext.open(ledger.files)
        // Refused before anything is read for a reader who may not see it
        // (PersonalFieldReaders.reveal checks again before it opens a field).
        if let reader {
            do { _ = try PersonalFieldReaders.check(reader.publicKey, in: context.registry, resident: id) } catch {
                throw CLIError.usage(error.message)
            }
        }
        let archive = try await context.projection(ResidentArchive.self)
        guard let record = archive[id] else { throw CLIError.usage("no archive for resident \(id)") }
        let points = try await context.projection(PointsBalances.self).balance(of: id)
        var object: [String: Any] = [
            "resident": id, "household": record.household, "place": record.place.path, "visitIntervalDays": record.visitIntervalDays,
            "registeredAt": record.registeredAt.description, "visits": record.visits, "healthEntries": record.healthEntries,
            "erased": record.isErased,
            "points": ["contribution": points.contribution, "reputation": points.reputation],
        ]
        if let last = record.lastVisit { object["lastVisit"] = last.description }
        if let erasedAt = record.erasedAt { object["erasedAt"] = erasedAt.description }
        // Opened once, and only for a reader the registry already admitted.
        let keys: (any KeyVault)? = reader == nil || record.isErased ? nil : try await ledger.files.openVault()
        if let reader, let sealed = record.sealed, let keys {
            let opened: [String: String?]
            do {
                opened = try await PersonalFieldReaders.reveal(
                    id, sealed: sealed, origin: context.origin, to: reader.publicKey, in: context.registry, vault: keys)
            } catch let error as LedgerError where error.code == .erased {
                throw CLIError.io(error.message)
            }
            object["personal"] = opened.mapValues { $0 ?? "<does not open>" }
        }
        var profile = record.clearProfile
        if let reader, let sealedProfile = record.sealedProfile, let keys {
            profile = try await PersonalFieldReaders.revealProfile(
                id, sealed: sealedProfile, origin: context.origin, to: reader.publicKey, in: context.registry,
                vault: keys)
            if profile == nil { object["profile"] = "<does not open>" }
        }
        if let profile {
            object["level"] = profile.level.rawValue
            object["tags"] = profile.tags
        }
        if json {
            print(jsonString(object))
            return
        }
        say("\(id)  household \(record.household)  \(record.place)")
        if record.isErased {
            say("  ERASED at \(record.erasedAt!): personal fields destroyed")
        } else {
            if let profile {
                let clear = record.clearProfile != nil ? " (written in the clear, schema version 1)" : ""
                say("  level \(profile.level.rawValue), tags \(profile.tags.isEmpty ? "none" : profile.tags.joined(separator: ", "))\(clear)")
            } else {
                say("  level and tags sealed; visits due every \(record.visitIntervalDays) days")
            }
        }
        say("  visits \(record.visits)\(record.lastVisit.map { ", last \($0)" } ?? ""); health entries \(record.healthEntries)")
        say("  points: contribution \(points.contribution), reputation \(points.reputation)")
        if let personal = object["personal"] as? [String: String] {
            for field in ["name", "phone", "address"] { say("  \(field): \(personal[field] ?? "")") }
        } else if !record.isErased {
            say("  personal fields sealed (use --reveal-for KEY-FILE with the key vault)")
        }
    }
}

struct DossierCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dossier", abstract: "Everything that happened to one case, in order, with who signed each step.")

    @OptionGroup var ledger: LedgerPath
    @Argument(help: "The case, as case/ID or ID.")
    var caseID: String
    @Flag(help: "JSON output.")
    var json = false

    func run() async throws {
        let stream = caseID.hasPrefix("case/") ? caseID : GovernanceStream.case(caseID)
        let context = try await QueryContext.open(ledger.files)
        // The dossier of one case comes from its stream alone.
        var dossier = CaseDossier()
        var board = CaseBoard()
        var notes: [UInt64: String] = [:]
        for stored in try await context.store.entries(inStream: stream, fromVersion: 1, limit: 100_000) {
            let entry = try LedgerEntry(bytes: stored.bytes)
            try dossier.apply(entry)
            try board.apply(entry)
            notes[entry.position] = CaseDossier.note(of: entry)
        }
        let steps = dossier[stream]
        guard !steps.isEmpty, let record = board[stream] else { throw CLIError.usage("no case \(stream)") }
        if json {
            print(
                jsonString([
                    "case": stream, "state": record.state.rawValue,
                    "steps": steps.map {
                        [
                            "position": $0.position, "kind": $0.kind, "actor": context.actor($0.actor),
                            "recordedAt": $0.recordedAt.description, "note": notes[$0.position] ?? "",
                        ] as [String: Any]
                    },
                ]))
            return
        }
        say("\(stream): \(record.state.rawValue), \(record.urgency.rawValue) \(record.category) in \(record.place)")
        for step in steps {
            say(
                "  \(step.position)  \(step.recordedAt)  \(step.kind.padding(toLength: 22, withPad: " ", startingAt: 0)) \(context.actor(step.actor).padding(toLength: 16, withPad: " ", startingAt: 0)) \(notes[step.position] ?? "")"
            )
        }
    }
}

struct VolunteersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "volunteers", abstract: "Volunteer tasks and each member's completions against the yearly quota.")

    @OptionGroup var ledger: LedgerPath
    @Option(parsing: .unconditional, help: "The year (default: the year of the last entry, in the community's time zone).", transform: NumericOption.whole(Int32(1)...9999))
    var year: Int32?
    @Option(parsing: .unconditional, help: "The quota (default: the community's rules).", transform: NumericOption.whole(0...10_000))
    var quota: Int?
    @Option(help: "The role the quota applies to (default: the community's rules).")
    var role: String?
    @Flag(help: "JSON output.")
    var json = false

    func run() async throws {
        let context = try await QueryContext.open(ledger.files)
        let record = try await context.projection(VolunteerRecord.self)
        let rules = try await GovernanceRules.inForce(in: context.store)
        let report = VolunteerQuota(
            record: record, registry: context.registry, rules: rules, asOf: context.lastRecordedAt, year: year, quota: quota, role: role)
        let states = Dictionary(grouping: record.tasks.values, by: \.state).mapValues(\.count)
        if json {
            print(
                jsonString([
                    "year": report.year, "quota": report.quota, "role": report.role,
                    "tasks": Dictionary(uniqueKeysWithValues: states.map { ($0.key.rawValue, $0.value) }),
                    "members": report.members.map {
                        ["member": $0.member, "completed": $0.completed, "shortfall": max(0, report.quota - $0.completed)] as [String: Any]
                    },
                ]))
            return
        }
        say(
            "Volunteer tasks: \(record.tasks.count) (\(states.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key.rawValue) \($0.value)" }.joined(separator: ", ")))"
        )
        let short = report.short
        say(
            "\(report.role) completions in \(report.year) against a quota of \(report.quota): \(report.members.count - short.count) met it, \(short.count) short"
        )
        for row in short { say("  \(row.member)  \(row.completed) of \(report.quota)") }
    }
}
