import ArgumentParser
import CivicGovernance
import CivicLedger
import CivicReporting
import Foundation

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract:
            "Audit a ledger or an export: every signature, key, role, rule, projection snapshot and checkpoint, and consistency with a trusted checkpoint.",
        discussion: """
            SOURCE is a SQLite ledger or an export (civic-ledger export). A governance ledger is \
            audited against the governance rules and its projection snapshots. With \
            --trusted-checkpoint (a checkpoint saved earlier), the log must extend it: only the \
            entries after it are re-verified, and the report carries a consistency proof from it \
            to the latest checkpoint. Exit codes: 0 clean, or findings below --fail-on only \
            (governance warnings by default); 1 a finding at --fail-on or worse; 2 usage or I/O errors.
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json, html }

    @Argument(help: "The ledger (a SQLite file or a postgres:// URL) or an export file to audit.")
    var source: String
    @Option(help: "A signed checkpoint saved earlier that the log must extend.")
    var trustedCheckpoint: String?
    @Option(help: "A witness policy (C2SP tlog-policy): the trusted checkpoint must meet it; the report says who cosigned the latest.")
    var policy: String?
    @Option(help: "Report format: text, json or html.")
    var format: Format = .text
    @Option(help: "Write the report to this file instead of standard output.")
    var out: String?
    @Option(help: "Exit 1 on findings of this severity or worse: warning or error (the default; critical always fails).")
    var failOn: FailureThreshold = .error
    @Option(
        help: ArgumentHelp(
            "Also check each stated visit interval against its sealed profile, for the reader whose key file this is.",
            discussion:
                "The vault grants the reader the residents' profile keys (level and tags; never names) when the reader is a supervisor, community secretary, grid leader or grid worker.",
            valueName: "key-file"))
    var profilesFor: String?
    @Option(help: "The key vault for --profiles-for: a file (default: SOURCE.vault) or a postgres:// URL.")
    var vault: String?

    func run() async throws {
        if vault != nil, profilesFor == nil { throw CLIError.usage("--vault is read only with --profiles-for") }
        let reader = try profilesFor.map { try KeyFile.read($0) }
        let opened = try await LedgerSource.open(source)
        var trusted: SignedCheckpoint?
        if let trustedCheckpoint {
            do {
                trusted = try SignedCheckpoint(parsing: try readText(trustedCheckpoint, what: "a checkpoint"))
            } catch let error as LedgerError {
                throw CLIError.usage("the trusted checkpoint \(trustedCheckpoint) does not parse: \(error.message)")
            }
        }
        let policy = try self.policy.map(readPolicy)
        // The grant is asked for first: a reader it is refused to waits for no audit.
        var grant: SealedProfileAudit.Grant?
        if let reader {
            let survey = try await SealedProfileAudit.survey(opened.store)
            do {
                grant = try await SealedProfileAudit.grant(
                    to: reader.publicKey, registry: survey.registry, residents: survey.residents,
                    vault: try await LedgerFiles(path: source).openVault(vault))
            } catch let error as LedgerError where error.code == .notAuthorised || error.code == .unknownKey {
                throw CLIError.usage(error.message)
            }
        }
        let rules = try await opened.rules()
        var auditor = Auditor(store: opened.store, domain: rules.domain, projections: rules.projections, trustedCheckpoint: trusted)
        auditor.witnessPolicy = policy
        let progress = ProgressReporter("auditing")
        var report = try await auditor.audit { done, total in progress.update(done: done, total: total) }
        if let grant {
            report.findings += try await SealedProfileAudit.findings(in: opened.store, origin: report.origin ?? "", grant: grant)
            printError("checked the sealed profiles of \(grant.keys.count) residents for \(grant.reader)")
        }
        let text: String
        switch format {
        case .text: text = AuditRendering.text(report, source: source, failOn: failOn.severity)
        case .json: text = try AuditRendering.json(report)
        case .html: text = AuditRendering.html(report, source: source)
        }
        try emit(text, to: out)
        if let out { printError("wrote the \(format.rawValue) report to \(out)") }
        if report.fails(at: failOn.severity) { throw ExitCode(1) }
    }
}

/// `--fail-on`: the least severe finding that makes verify or audit exit 1.
enum FailureThreshold: String, ExpressibleByArgument, CaseIterable {
    case warning, error

    var severity: AuditSeverity { self == .warning ? .warning : .error }
}

struct ProveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prove", abstract: "Print an offline-verifiable proof from a ledger or an export.",
        subcommands: [ProveInclusionCommand.self, ProveConsistencyCommand.self])

    /// The stored checkpoint of exactly `size` entries, or the latest when
    /// `size` is nil.
    static func checkpoint(_ store: any EventStoreReader, size: UInt64?) async throws -> SignedCheckpoint {
        guard let size else {
            guard let stored = try await store.latestCheckpoint() else {
                throw CLIError.usage("the ledger has no checkpoint to prove against")
            }
            return try SignedCheckpoint(parsing: stored.note)
        }
        guard let stored = try await store.checkpoints(fromSize: size, limit: 1).first, stored.size == size else {
            let near = try await store.checkpoints(fromSize: size > 3 ? size - 3 : 0, limit: 6).map { String($0.size) }
            throw CLIError.usage(
                "no stored checkpoint covers exactly \(size) entries\(near.isEmpty ? "" : " (stored sizes near it: \(near.joined(separator: ", ")))")"
            )
        }
        return try SignedCheckpoint(parsing: stored.note)
    }
}

struct ProveInclusionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inclusion",
        abstract: "Prove that the entry at --index is in the log (C2SP tlog-proof, carrying the entry and the signed checkpoint).")

    @Argument(help: "The ledger (a SQLite file or a postgres:// URL), an export file, or a tiles folder (civic-ledger tiles).")
    var source: String
    @Option(parsing: .unconditional, help: "The entry's position.", transform: NumericOption.position)
    var index: UInt64
    @Option(parsing: .unconditional, help: "The size of the stored checkpoint to prove against (default: the latest).", transform: NumericOption.position)
    var size: UInt64?
    @Option(help: "Write the proof to this file instead of standard output.")
    var out: String?

    func run() async throws {
        if let folder = TileFolder.at(source) {
            let checkpoint = try folder.readCheckpoint()
            let treeSize = checkpoint.checkpoint.size
            guard size == nil || size == treeSize else {
                throw CLIError.usage("a tiles folder holds its latest checkpoint only (\(treeSize) entries), not --size \(size ?? 0)")
            }
            guard index < treeSize else {
                throw CLIError.usage("--index \(index): the folder's checkpoint covers \(treeSize) entries")
            }
            let proof: InclusionProof
            do {
                proof = InclusionProof(
                    index: index, entry: try folder.entry(index, size: treeSize), hashes: try folder.tree(size: treeSize).inclusionProof(index: index),
                    checkpoint: checkpoint)
                try proof.verify(trusted: checkpoint, logKey: nil)
            } catch let error as LedgerError {
                throw CLIError.refused("the folder's tiles do not prove entry \(index): \(error.message)")
            }
            try emit(proof.serialized, to: out)
            return
        }
        let store = try await LedgerSource.open(source).store
        let checkpoint = try await ProveCommand.checkpoint(store, size: size)
        if let head = try await store.head(), index >= head.size {
            throw CLIError.usage("--index \(index): there is no such entry; the log holds \(head.size) (positions below \(head.size))")
        }
        guard index < checkpoint.checkpoint.size else {
            throw CLIError.usage(
                "entry \(index) is not covered by the checkpoint of \(checkpoint.checkpoint.size) entries; take a newer checkpoint (civic-ledger checkpoint) or pass --size"
            )
        }
        try emit(try await LogProver.inclusion(store: store, index: index, checkpoint: checkpoint).serialized, to: out)
    }
}

struct ProveConsistencyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consistency", abstract: "Prove that the log only grew from the checkpoint of --old entries to the one of --new.")

    @Argument(help: "The ledger (a SQLite file or a postgres:// URL) or an export file.")
    var source: String
    @Option(parsing: .unconditional, help: "The older checkpoint's size.", transform: NumericOption.position)
    var old: UInt64
    @Option(name: .customLong("new"), parsing: .unconditional, help: "The newer checkpoint's size (default: the latest).", transform: NumericOption.position)
    var newSize: UInt64?
    @Option(help: "Write the proof to this file instead of standard output.")
    var out: String?
    @Option(help: "With a tiles folder: the older signed checkpoint (the folder holds its latest only).")
    var oldCheckpoint: String?

    func run() async throws {
        if let folder = TileFolder.at(source) {
            let new = try folder.readCheckpoint()
            guard let oldCheckpoint else { throw CLIError.usage("with a tiles folder, give the older checkpoint with --old-checkpoint FILE") }
            let (older, _) = try trustedCheckpoint(oldCheckpoint, logKey: nil)
            guard older.checkpoint.size == old, newSize == nil || newSize == new.checkpoint.size, old > 0, old <= new.checkpoint.size else {
                throw CLIError.usage(
                    "--old \(old) must be the size of --old-checkpoint (\(older.checkpoint.size)), 1 to the folder's \(new.checkpoint.size)")
            }
            let proof: ConsistencyProof
            do {
                proof = ConsistencyProof(hashes: try folder.tree(size: new.checkpoint.size).consistencyProof(from: old), old: older, new: new)
                try MerkleProof.verifyConsistency(
                    size1: old, size2: new.checkpoint.size, proof: proof.hashes, root1: older.checkpoint.root, root2: new.checkpoint.root)
            } catch let error as LedgerError {
                throw CLIError.refused("the folder's tiles do not prove \(old) → \(new.checkpoint.size): \(error.message)")
            }
            try emit(proof.serialized, to: out)
            return
        }
        guard oldCheckpoint == nil else {
            throw CLIError.usage("--old-checkpoint is for a tiles folder; a ledger or an export has its own checkpoints (--old names one by size)")
        }
        let store = try await LedgerSource.open(source).store
        let oldCheckpoint = try await ProveCommand.checkpoint(store, size: old)
        let newCheckpoint = try await ProveCommand.checkpoint(store, size: newSize)
        guard old > 0, old <= newCheckpoint.checkpoint.size else {
            throw CLIError.usage("--old must be 1 to the newer checkpoint's size \(newCheckpoint.checkpoint.size), got \(old)")
        }
        try emit(try await LogProver.consistency(store: store, old: oldCheckpoint, new: newCheckpoint).serialized, to: out)
    }
}

struct VerifyProofCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-proof",
        abstract: "Check an inclusion or consistency proof offline, against a checkpoint you trust or a witness policy.",
        discussion: """
            A checkpoint in the proof must be the one in --checkpoint, or carry a valid signature \
            by --log-key (the C2SP verifier key string that audit prints) or by a log the --policy \
            lists. With --policy (a C2SP tlog-policy file: logs, witnesses, quorum; docs/format.md \
            §5.1) the proof's checkpoint must also be cosigned by a quorum of its witnesses. Exit \
            codes: 0 the proof holds; 1 it does not; 2 unreadable input.
            """)

    @Argument(help: "The proof file (from civic-ledger prove).")
    var proof: String
    @Option(help: "A signed checkpoint you trust.")
    var checkpoint: String?
    @Option(help: "The log's verifier key (name+id+key), to check checkpoints other than --checkpoint.")
    var logKey: String?
    @Option(help: "A witness policy (C2SP tlog-policy) the proof's checkpoint must meet.")
    var policy: String?

    func run() async throws {
        let text = try readText(proof, what: "a proof")
        guard checkpoint != nil || policy != nil else {
            throw CLIError.usage("give --checkpoint (a checkpoint you trust), --policy (a witness policy), or both")
        }
        let policy = try self.policy.map(readPolicy)
        var (trusted, key): (SignedCheckpoint?, PublicKey?) = (nil, nil)
        if let checkpoint { (trusted, key) = try trustedCheckpoint(checkpoint, logKey: logKey) }
        /// The key to check the proof's checkpoint with: the one given, or
        /// the policy's log for its origin.
        func checkingKey(for origin: String) throws -> PublicKey? {
            if let key { return key }
            guard let policy, trusted == nil else { return nil }
            guard let listed = policy.logs.first(where: { $0.name == origin }) else {
                throw CLIError.usage("the policy lists no log for \(origin); give --log-key or --checkpoint")
            }
            return listed.publicKey
        }
        let witnessed: SignedCheckpoint
        if text.hasPrefix(InclusionProof.header + "\n") {
            let parsed: InclusionProof
            do { parsed = try InclusionProof(parsing: text) } catch { throw CLIError.usage("\(proof): \(error.message)") }
            try parsed.verify(trusted: trusted, logKey: try checkingKey(for: parsed.checkpoint.checkpoint.origin))
            say(
                "verified: entry \(parsed.index) is in the log \(parsed.checkpoint.checkpoint.origin) of \(parsed.checkpoint.checkpoint.size) entries"
            )
            if let bytes = parsed.entry, let entry = try? LedgerEntry(bytes: bytes) {
                let signature = entry.hasValidSignature ? "its signature verifies" : "ITS SIGNATURE DOES NOT VERIFY"
                say(
                    "  \(entry.kind) on \(entry.stream) at \(entry.recordedAt), signed by key \(entry.actorKey.fingerprint): \(signature)")
                if !entry.hasValidSignature { throw ExitCode(1) }
            }
            witnessed = parsed.checkpoint
        } else if text.hasPrefix(ConsistencyProof.header + "\n") {
            let parsed: ConsistencyProof
            do { parsed = try ConsistencyProof(parsing: text) } catch { throw CLIError.usage("\(proof): \(error.message)") }
            try parsed.verify(trusted: trusted, logKey: try checkingKey(for: parsed.new.checkpoint.origin))
            say(
                "verified: the log \(parsed.new.checkpoint.origin) of \(parsed.new.checkpoint.size) entries extends the one of \(parsed.old.checkpoint.size)"
            )
            witnessed = parsed.new
        } else {
            throw CLIError.usage(
                "\(proof) is not a proof: its first line is neither \(InclusionProof.header) nor \(ConsistencyProof.header)")
        }
        if let policy {
            let witnesses = try policy.check(witnessed, logKey: try checkingKey(for: witnessed.checkpoint.origin))
            say("  witnessed by: \(witnesses.isEmpty ? "no witness (the policy needs none)" : witnesses.joined(separator: ", "))")
        }
    }
}

struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract:
            "Write every entry (exact bytes and a decoded view), checkpoint and projection snapshot as JSON lines, or the cases as Open311.",
        discussion: """
            --format jsonl (the default) is docs/format.md §11; tools/verify_export.py checks such an \
            export independently. --format open311 writes every case as an Open311 GeoReport v2 \
            service request (a JSON array; docs/format.md §13), without the reporter.
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case jsonl, open311 }

    @Argument(help: "The ledger (a SQLite file or a postgres:// URL) or an export file.")
    var source: String
    @Option(help: "The file to write.")
    var out: String
    @Option(help: "jsonl (the whole ledger) or open311 (the cases).")
    var format: Format = .jsonl

    func run() async throws {
        let opened = try await LedgerSource.open(source)
        guard out != source else { throw CLIError.usage("--out must not be the source") }
        if format == .open311 { return try await exportOpen311(opened) }
        let progress = ProgressReporter("exporting")
        let summary = try await OutputFile.write(out) { file in
            var buffer = Data()
            let summary = try await LedgerExport.write(
                store: opened.store, snapshotNames: GovernanceProjections.all.map { $0.name }, payloadView: GovernancePayloadView.view(of:),
                progress: { done, total in progress.update(done: done, total: total) }
            ) { line in
                buffer.append(contentsOf: line.utf8)
                if buffer.count > 1 << 20 {
                    try file.write(buffer)
                    buffer.removeAll(keepingCapacity: true)
                }
            }
            try file.write(buffer)
            return summary
        }
        say("exported \(summary.entries) entries, \(summary.checkpoints) checkpoints, \(summary.snapshots) snapshots to \(out)")
    }

    /// Every case as an Open311 service request.
    func exportOpen311(_ opened: LedgerSource) async throws {
        var state = GovernanceState()
        let progress = ProgressReporter("reading")
        let total = try await opened.store.head()?.size ?? 0
        for try await page in EntryPages(store: opened.store) {
            for entry in page { try state.fold(entry) }
            progress.update(done: state.nextPosition, total: total)
        }
        guard state.rules != nil else { throw CLIError.usage("\(source) is not a governance ledger: it has no cases to export") }
        let requests = Open311.requests(from: state.board, rules: state.rules)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted]
        try emit(String(decoding: try encoder.encode(requests), as: UTF8.self) + "\n", to: out)
        say("exported \(requests.count) cases as Open311 service requests to \(out)")
    }
}
