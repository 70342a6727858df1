import Foundation

/// Replays a ledger from its store and reports everything wrong with it: the
/// supervisor's audit (督查).
///
/// An audit establishes three things, trusting nothing the store says:
/// - **every event was signed by someone entitled to sign it**: each
///   signature is re-verified, and each key's validity and each role's
///   authority is checked at the entry's position (``LedgerRules``, the
///   rules the ledger applied at append, with revocations dated back);
/// - **every rule was followed**: the ledger's own rules (gapless
///   positions, stream versions, idempotency, recorded times) and, when a
///   ``domain`` is plugged in, the domain's rules for every entry and its
///   closing checks over the whole log
///   (``LedgerDomain/closingFindings(asOf:)``);
/// - **the log was never rewritten**: every stored checkpoint is checked
///   against the recomputed root and the log key, and, given a
///   ``trustedCheckpoint`` saved earlier, the log's first entries must have
///   exactly that checkpoint's root; the report then carries a consistency
///   proof from it to the latest stored checkpoint.
///
/// It also recomputes each plugged-in projection up to the position of its
/// stored snapshot and compares the two.
///
/// An audit from a trusted checkpoint re-verifies signatures and domain
/// rules only for the entries after it: the entries it covers are the ones
/// audited when it was saved, which its root proves. They are still folded,
/// so that keys, roles and domain state are known for the new entries.
///
/// It does not stop at the first problem, and throws only when the store
/// cannot be read. Memory grows with the replay state (streams, idempotency
/// keys, the domain's and projections' state), not with entry bytes: the
/// log is read a page at a time, and the next page is read, decoded and its
/// signatures checked on every core while this one is replayed.
///
/// ```swift
/// var auditor = Auditor(store: store, domain: GovernanceState())
/// auditor.projections = [CaseBoard.self, PointsBalances.self]
/// let report = try await auditor.audit()
/// for finding in report.findings { print(finding) }
/// ```
public struct Auditor: Sendable {
    /// The store to audit.
    public let store: any EventStoreReader
    /// The auditor's clock: entries recorded later than its time plus
    /// ``clockTolerance`` are reported.
    public var clock: any LedgerClock
    /// How far ahead of the clock a recorded time may be, in milliseconds.
    /// Default ten minutes.
    public var clockTolerance: Int64 = 600_000
    /// The domain rules, as an empty state; `nil` checks the ledger's own
    /// rules only.
    public var domain: (any LedgerDomain)?
    /// Projections to recompute and compare with their stored snapshots.
    /// Types without a stored snapshot are skipped.
    public var projections: [any Projection.Type] = []
    /// A checkpoint saved earlier that the log must extend.
    public var trustedCheckpoint: SignedCheckpoint?
    /// Which witnesses must have cosigned: the trusted checkpoint must meet
    /// it (an `unwitnessed` error otherwise), and the report says who
    /// cosigned the latest stored checkpoint (a warning when it falls
    /// short: cosignatures arrive after the checkpoint is taken).
    public var witnessPolicy: WitnessPolicy?
    /// Entries read at a time.
    public var pageSize = 4096
    /// Findings kept in the report; more are only counted.
    public var maximumFindings = 10_000

    /// An auditor of `store`, with the domain rules of `domain` (an empty
    /// state) when one is given.
    public init(
        store: any EventStoreReader, clock: any LedgerClock = SystemClock(), domain: (any LedgerDomain)? = nil,
        projections: [any Projection.Type] = [], trustedCheckpoint: SignedCheckpoint? = nil
    ) {
        self.store = store
        self.clock = clock
        self.domain = domain
        self.projections = projections
        self.trustedCheckpoint = trustedCheckpoint
    }

    /// Runs the audit.
    ///
    /// - Parameter progress: called after each page with the entries
    ///   replayed so far and the size the store's head claims.
    /// - Throws: ``LedgerError`` `.notInitialised` for an empty store,
    ///   `.invalidSnapshot` when ``domain`` is not empty; store errors.
    public func audit(progress: (@Sendable (_ checked: UInt64, _ total: UInt64) -> Void)? = nil) async throws -> AuditReport {
        try await audit(progress: progress, scanningForRevocations: false)
    }

    /// The audit, with revocations found through the store's stream index
    /// or, when `scanningForRevocations`, by reading the whole log.
    private func audit(
        progress: (@Sendable (_ checked: UInt64, _ total: UInt64) -> Void)?, scanningForRevocations: Bool
    ) async throws -> AuditReport {
        let started = ContinuousClock.now
        guard let head = try await store.head() else {
            throw LedgerError(.notInitialised, "the store holds no ledger")
        }
        if let domain, domain.nextPosition != 0 {
            throw LedgerError(
                .invalidSnapshot, "the auditor needs an empty domain state; this one has folded \(domain.nextPosition) entries")
        }
        var findings = Findings(limit: maximumFindings)

        // Pass 1: revocations recorded anywhere in the log, so that what a
        // key signed after a compromise found late is reported. They are
        // system events, read through the store's stream index; the replay
        // checks that the index hid none.
        let revocations = scanningForRevocations ? try await scannedRevocations() : try await indexedRevocations()

        // The stored checkpoints, so the replay knows at which sizes to
        // compute the root; the stored snapshots to compare.
        let checkpoints = try await allCheckpoints()
        var snapshots: [SnapshotCheck] = []
        for type in projections {
            guard let snapshot = try await store.snapshot(named: type.name) else { continue }
            // Only the position is kept: the data is read again when the
            // replay gets there, so it is in memory for one comparison.
            // A projection the domain state holds is compared from there,
            // not folded a second time.
            let held = domain?.projection(named: type.name) != nil
            snapshots.append(SnapshotCheck(name: snapshot.name, position: snapshot.position, state: held ? nil : type.init()))
        }
        let trustedSize = trustedCheckpoint?.checkpoint.size ?? 0
        var consistency: ProofCollector?
        if trustedCheckpoint != nil, let latest = checkpoints.last, latest.size > trustedSize, trustedSize > 0 {
            consistency = ProofCollector(plan: try .consistency(size1: trustedSize, size2: latest.size))
        }

        // Pass 2: every entry, in order. The reading task decodes the next
        // page and checks its signatures on every core meanwhile.
        var rootSizes = Set(checkpoints.map(\.size))
        if let start = (try? LedgerHeadState(decoding: head.state))?.checkpointFrontier { rootSizes.insert(start.size) }
        if trustedCheckpoint != nil { rootSizes.insert(trustedSize) }
        var replay = Replay(
            revocations: revocations, checkpointSizes: rootSizes,
            latestAcceptableTime: clock.now().adding(milliseconds: clockTolerance), domain: domain)
        replay.trustedSize = trustedSize
        for index in snapshots.indices where snapshots[index].position == 0 {
            try await snapshots[index].compare(store: store, domain: domain, findings: &findings)
        }
        let reader = PageReader(store: store, next: 0, end: nil, pageSize: pageSize) { stored in
            CheckedPage(stored, signaturesFrom: trustedSize)
        }
        for try await page in CheckedPages(reader: reader) {
            // The page's index rows are read while the page is replayed.
            let store = self.store
            let rows = page.stored.first.map { first in
                Task { try await store.indexRows(from: first.position, limit: page.stored.count) }
            }
            for index in page.stored.indices {
                let stored = page.stored[index]
                replay.check(
                    stored, page.decoded[index], leafHash: page.leafHashes[index], signatureValid: page.signatures[index],
                    findings: &findings)
                consistency?.add(page.leafHashes[index], at: stored.position)
                for snapshot in snapshots.indices where !snapshots[snapshot].compared {
                    if case .success(let entry) = page.decoded[index] { snapshots[snapshot].follow(entry) }
                    if stored.position + 1 == snapshots[snapshot].position {
                        try await snapshots[snapshot].compare(store: store, domain: replay.domain, findings: &findings)
                    }
                }
            }
            if let rows { Self.checkIndex(page, rows: try await rows.value, findings: &findings) }
            progress?(replay.frontier.size, head.size)
        }

        // A revocation the stream index did not return: the store hid it.
        // Audit again with every entry read for revocations, and say so.
        if let hidden = replay.unlistedRevocation, !scanningForRevocations {
            var report = try await audit(progress: progress, scanningForRevocations: true)
            report.findings.insert(
                AuditFinding(
                    code: .indexMismatch,
                    message:
                        "the store's index of stream \(SystemEvent.stream) did not return the revocation at position \(hidden); the audit read every entry for revocations instead",
                    position: hidden), at: 0)
            report.elapsedSeconds = Self.seconds(since: started)
            return report
        }

        // The store's own head: as read at the start or, for a ledger
        // appended to meanwhile, as it is now.
        var finalHead = head
        if head.size < replay.frontier.size, let now = try await store.head(), now.size == replay.frontier.size { finalHead = now }
        if finalHead.size != replay.frontier.size {
            findings.add(
                AuditFinding(
                    code: .headMismatch, message: "the store's head records \(finalHead.size) entries but \(replay.frontier.size) are stored",
                    position: min(finalHead.size, replay.frontier.size)))
        } else {
            do {
                let state = try LedgerHeadState(decoding: finalHead.state)
                if state.frontier.root != replay.frontier.root {
                    findings.add(
                        AuditFinding(
                            code: .headMismatch, message: "the store's recorded head root is not the root of its entries",
                            position: finalHead.size))
                }
                if let start = state.checkpointFrontier, let root = replay.root(at: start.size), root != start.root {
                    findings.add(
                        AuditFinding(
                            code: .headMismatch,
                            message: "the store's head gives a frontier at size \(start.size) that is not the log's at that size",
                            position: start.size))
                }
            } catch {
                findings.add(AuditFinding(code: .headMismatch, message: error.message, position: finalHead.size))
            }
        }

        // Every stored checkpoint: signature by the log key, origin, root.
        var matchedUpTo: UInt64 = 0
        for stored in checkpoints where replay.checkCheckpoint(stored, since: matchedUpTo, findings: &findings) {
            matchedUpTo = stored.size
        }
        // Snapshots the log never reached.
        for snapshot in snapshots where !snapshot.compared {
            findings.add(
                AuditFinding(
                    code: .snapshotMismatch,
                    message:
                        "the snapshot of \(snapshot.name) covers \(snapshot.position) entries but the log holds \(replay.frontier.size)",
                    position: replay.frontier.size))
        }
        // The trusted checkpoint, and the proof that the log only grew from it.
        var consistencyProof: AuditReport.Consistency?
        if let trustedCheckpoint {
            consistencyProof = replay.checkTrusted(trustedCheckpoint, latest: checkpoints.last, proof: consistency, findings: &findings)
        }
        let witnessing = witnessPolicy.map { checkWitnesses($0, latest: checkpoints.last, logKey: replay.registry?.logKey, findings: &findings) }
        // The domain's checks over the whole log, as of its last entry.
        if let domain = replay.domain {
            for finding in domain.closingFindings(asOf: replay.lastRecordedAt) { findings.add(finding) }
        }

        var report = AuditReport(
            origin: replay.registry?.origin,
            logVerifierKey: replay.registry.map { NoteKey(name: $0.origin, publicKey: $0.logKey).verifierKey },
            entries: replay.frontier.size, root: replay.frontier.root,
            checkpointsChecked: checkpoints.count, snapshotsChecked: snapshots.count, signaturesChecked: replay.signaturesChecked,
            actors: replay.actorCount, trustedSize: trustedCheckpoint.map { _ in trustedSize }, consistency: consistencyProof,
            witnessing: witnessing, findings: findings.kept, omittedFindings: findings.omitted,
            elapsedSeconds: Self.seconds(since: started))
        if let registry = replay.registry {
            for index in report.findings.indices {
                if let key = report.findings[index].key { report.findings[index].actor = registry.keys[key]?.actor }
            }
        }
        return report
    }

    /// The trusted and the latest checkpoint against `policy`.
    private func checkWitnesses(
        _ policy: WitnessPolicy, latest: StoredCheckpoint?, logKey: PublicKey?, findings: inout Findings
    ) -> AuditReport.Witnessing {
        var witnessing = AuditReport.Witnessing(latest: [], latestMeetsQuorum: false)
        if let trustedCheckpoint {
            witnessing.trusted = policy.cosigners(of: trustedCheckpoint)
            do {
                try policy.check(trustedCheckpoint, logKey: logKey)
            } catch {
                findings.add(AuditFinding(code: .unwitnessed, message: "the trusted checkpoint: \(error.message)"))
            }
        }
        if let latest, let signed = try? SignedCheckpoint(parsing: latest.note) {
            witnessing.latestSize = latest.size
            witnessing.latest = policy.cosigners(of: signed)
            do {
                try policy.check(signed, logKey: logKey)
                witnessing.latestMeetsQuorum = true
            } catch {
                findings.add(
                    AuditFinding(code: .unwitnessed, message: "the latest checkpoint: \(error.message)", severity: .warning))
            }
        }
        return witnessing
    }

    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    /// Revocations, from the system stream as the store's index gives it.
    private func indexedRevocations() async throws -> [PublicKey: UInt64] {
        var revocations: [PublicKey: UInt64] = [:]
        var version: UInt64 = 1
        while true {
            let page = try await store.entries(inStream: SystemEvent.stream, fromVersion: version, limit: pageSize)
            var next = version
            for stored in page {
                guard let entry = try? LedgerEntry(bytes: stored.bytes) else { continue }
                next = max(next, entry.streamVersion + 1)
                Self.note(entry, in: &revocations)
            }
            // A page that does not move forward ends the reading: the
            // replay reports what the index left out.
            guard page.count == pageSize, next > version else { break }
            version = next
        }
        return revocations
    }

    /// Revocations, from every entry of the log.
    private func scannedRevocations() async throws -> [PublicKey: UInt64] {
        var revocations: [PublicKey: UInt64] = [:]
        for try await page in StoredPages(store: store, pageSize: pageSize) {
            for stored in page {
                guard let entry = try? LedgerEntry(bytes: stored.bytes) else { continue }
                Self.note(entry, in: &revocations)
            }
        }
        return revocations
    }

    /// Adds `entry`'s revocation, if it is one, keeping each key's earliest.
    static func note(_ entry: LedgerEntry, in revocations: inout [PublicKey: UInt64]) {
        guard let revocation = AuthorityRegistry.revocation(in: entry.content, at: entry.position) else { return }
        revocations[revocation.key] = min(revocations[revocation.key] ?? .max, revocation.from)
    }

    private func allCheckpoints() async throws -> [StoredCheckpoint] {
        var checkpoints: [StoredCheckpoint] = []
        var from: UInt64 = 0
        while true {
            let page = try await store.checkpoints(fromSize: from, limit: 1000)
            checkpoints.append(contentsOf: page)
            guard let last = page.last, page.count == 1000 else { break }
            from = last.size + 1
        }
        return checkpoints
    }
}

/// A page as the reading task prepares it: decoded, hashed, and with its
/// signatures checked, on every core.
extension Auditor {
    /// Compares the store's index rows for a page with the rows the
    /// entries' bytes call for: a row that differs is an
    /// `index-mismatch`, naming the position and the columns.
    static func checkIndex(_ page: CheckedPage, rows: [StoredIndexRow], findings: inout Findings) {
        let expected = zip(page.stored, page.expectedRows).map { (position: $0.position, row: $1) }
        for mismatch in StoredIndexRow.mismatches(expected, stored: rows) {
            let position = mismatch.position
            let message =
                mismatch.columns == ["all"]
                ? "the store has no index row for the entry at position \(position)"
                : "the store's index row for position \(position) differs from the entry's bytes in \(mismatch.columns.joined(separator: ", "))"
            findings.add(AuditFinding(code: .indexMismatch, message: message, position: position, stream: mismatch.expected.stream))
        }
    }
}
