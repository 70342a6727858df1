import ArgumentParser
import CivicGovernance
import CivicLedger
import CivicReporting
import Foundation

struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract:
            "Re-verify every signature, authority, position and checkpoint of a ledger (and the governance rules of a governance ledger).",
        discussion: """
            Exit codes: 0 clean, or findings below --fail-on only (governance warnings such as \
            an overdue case nobody reminded are reported, not failures, by default); 1 a finding \
            at --fail-on or worse (the first bad position and why are printed); 2 usage or I/O errors.
            """)

    @OptionGroup var ledger: LedgerPath

    @Flag(help: "List every finding, not only the first.")
    var all = false

    @Flag(help: "Print the report as JSON.")
    var json = false

    @Option(help: "Exit 1 on findings of this severity or worse: warning or error (the default; critical always fails).")
    var failOn: FailureThreshold = .error

    func run() async throws {
        let store = try await ledger.files.openStore(readOnly: true)
        let progress = ProgressReporter("verifying")
        let domain = try await LedgerFiles.domain(of: store)
        let report = try await LedgerVerifier(store: store, domain: domain).verify { done, total in
            progress.update(done: done, total: total)
        }
        let elapsed = report.elapsedSeconds
        if json {
            print(
                jsonString([
                    "clean": report.isClean, "passed": !report.fails(at: failOn.severity), "failOn": failOn.rawValue,
                    "counts": Dictionary(uniqueKeysWithValues: AuditSeverity.allCases.map { ($0.rawValue, report.count($0)) }),
                    "entries": report.entriesChecked, "checkpoints": report.checkpointsChecked,
                    "root": report.root.base64, "seconds": elapsed, "omittedFindings": report.omittedFindings,
                    "findings": try JSONSerialization.jsonObject(with: try JSONEncoder().encode(report.findings)),
                ]))
        } else if report.isClean {
            say(
                "clean: \(report.entriesChecked) entries\(domain == nil ? "" : " (governance rules replayed)"), \(report.checkpointsChecked) checkpoints, root \(report.root.base64)"
            )
            print(String(format: "verified in %.2f s (%.0f entries/s)", elapsed, Double(report.entriesChecked) / max(elapsed, 0.001)))
        } else {
            say(AuditRendering.verdict(report, failOn: failOn.severity))
            if let first = report.firstFinding {
                let label = report.fails(at: failOn.severity) ? "first bad position" : "first finding at position"
                say("\(label) \(first.position.map(String.init) ?? "-"): [\(first.code)] \(first.message)")
            }
            say("in \(report.entriesChecked) entries and \(report.checkpointsChecked) checkpoints")
            if report.findings.contains(where: { $0.code == .indexMismatch || $0.code == .headMismatch }) {
                say("the store's derived state (index rows, head) differs from its entries: run civic-ledger repair")
            }
            if all { for finding in report.findings { say("  \(finding)") } }
        }
        if report.fails(at: failOn.severity) { throw ExitCode(1) }
    }
}

struct CheckpointCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkpoint",
        abstract: "Print the latest signed checkpoint, taking a new one when the log grew and the log key is at hand.")

    @OptionGroup var ledger: LedgerPath

    func run() async throws {
        let files = ledger.files
        let store = try await files.openStore()
        if let signer = try files.logSigner() {
            let opened = try await Ledger.open(store: store, logSigner: signer, configuration: CLIContext.ledgerConfiguration)
            print(try await opened.checkpoint().serialized, terminator: "")
        } else {
            guard let latest = try await store.latestCheckpoint() else { throw CLIError.io("the ledger has no checkpoint") }
            if let head = try await store.head(), head.size > latest.size {
                printError("note: no log key at \(files.logKeyPath); this checkpoint covers \(latest.size) of \(head.size) entries")
            }
            print(latest.note, terminator: "")
        }
    }
}

struct LogCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log", abstract: "List entries, and with --follow each new one as it is appended.",
        discussion: """
            --follow keeps printing entries as they become durable, whichever process \
            appends them, until interrupted; it never skips a position.
            """)

    @OptionGroup var ledger: LedgerPath

    @Option(parsing: .unconditional, help: "The first position to list.", transform: NumericOption.position)
    var from: UInt64 = 0

    @Option(parsing: .unconditional, help: "How many entries to list at most (before following).", transform: NumericOption.count)
    var limit: Int = 100

    @Flag(help: "One JSON object per line.")
    var json = false

    @Flag(help: "After listing, print each new entry as it is appended, until interrupted.")
    var follow = false

    func run() async throws {
        let store = try await ledger.files.openStore(readOnly: true)
        var position = from
        var remaining = limit
        while remaining > 0 {
            let page = try await store.entries(from: position, limit: min(remaining, 1024))
            guard let last = page.last else { break }
            for stored in page { show(stored) }
            remaining -= page.count
            position = last.position + 1
        }
        guard follow else { return }
        fflush(nil)
        for try await page in LedgerFeed(store: store, from: position) {
            for entry in page { show(entry) }
            fflush(nil)
        }
    }

    /// One stored entry, or what is wrong with it.
    func show(_ stored: StoredEntry) {
        do {
            show(try LedgerEntry(bytes: stored.bytes))
        } catch {
            print(json ? jsonString(["position": stored.position, "error": error.description]) : "\(stored.position)  <malformed: \(error.message)>")
        }
    }

    func show(_ entry: LedgerEntry) {
        if json {
            print(LedgerExport.view(of: entry, payload: GovernancePayloadView.view(of: entry)))
        } else {
            let content = entry.content
            say(
                "\(entry.position)  \(entry.recordedAt)  \(content.stream)@\(entry.streamVersion)  \(content.kind)  by \(content.actorKey.fingerprint)  in \(content.place)  \(content.payload.count) B"
            )
        }
    }
}

struct RepairCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "repair",
        abstract: "Rebuild a ledger's derived state (index rows and head) from its entries, then verify it.",
        discussion: """
            Repair never changes an entry and never signs anything. It refuses, writing \
            nothing, when an entry is missing or undecodable or the entries do not have \
            the roots the log key signed: those need a backup. Exit codes: 0 repaired (or \
            nothing to repair) and verified clean; 1 the entries are not intact, or \
            verification still finds a problem; 2 usage or I/O errors.
            """)

    @OptionGroup var ledger: LedgerPath

    func run() async throws {
        let store = try await ledger.files.openStore()
        let progress = ProgressReporter("repairing")
        let report = try await LedgerRepair(store: store).run(domain: try await LedgerFiles.domain(of: store)) { done, total in
            progress.update(done: done, total: total)
        }
        for row in report.rewrittenRows.prefix(20) {
            say("rewrote the index row of position \(row.position) (\(row.columns.joined(separator: ", ")))")
        }
        if report.rewrittenRows.count > 20 { say("… and \(report.rewrittenRows.count - 20) more index rows") }
        if report.rewroteHead { say("rewrote the head from the \(report.entries) entries") }
        if report.rewrittenRows.isEmpty && !report.rewroteHead { say("nothing to repair: the derived state matches the \(report.entries) entries") }
        let verification = report.verification
        if verification.isClean {
            say("verified clean: \(verification.entriesChecked) entries, \(verification.checkpointsChecked) checkpoints")
        } else {
            if let first = verification.firstFinding {
                say("FAILED: first bad position \(first.position.map(String.init) ?? "-"): [\(first.code)] \(first.message)")
            }
            say("\(verification.findings.count + verification.omittedFindings) finding(s) remain after the repair")
            throw ExitCode(1)
        }
    }
}
