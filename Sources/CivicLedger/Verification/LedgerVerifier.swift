/// Re-verifies a whole ledger from its store, trusting nothing the store
/// says: every signature, every key's validity and every role's authority
/// at its position (with ``LedgerRules``, the rules the ledger applied at
/// append), gapless positions, stream versions, idempotency keys, and the
/// Merkle root against every stored checkpoint and its signature.
///
/// It does not stop at the first problem: the report lists every finding.
/// It throws only when the store cannot be read.
public struct LedgerVerifier: Sendable {
    /// The store to verify.
    public let store: any EventStore
    /// Entries read at a time.
    public var pageSize = 4096
    /// Findings kept in the report; more are only counted.
    public var maximumFindings = 10_000
    /// The verifier's clock: entries recorded later than its time plus
    /// ``clockTolerance`` are reported.
    public var clock: any LedgerClock
    /// How far ahead of the verifier's clock a recorded time may be, in
    /// milliseconds (clock skew between machines). Default ten minutes.
    public var clockTolerance: Int64 = 600_000
    /// The domain rules to check every entry against, as an empty state;
    /// `nil` checks the ledger's own rules only.
    public var domain: (any LedgerDomain)?

    /// A verifier over `store`, checking the domain rules of `domain` (an
    /// empty state) when one is given.
    public init(store: any EventStore, clock: any LedgerClock = SystemClock(), domain: (any LedgerDomain)? = nil) {
        self.store = store
        self.clock = clock
        self.domain = domain
    }

    /// Runs the verification.
    ///
    /// - Parameter progress: called after each page with the entries
    ///   checked so far and the size the store's head claims.
    /// - Throws: ``LedgerError`` `.notInitialised` for an empty store; store
    ///   errors.
    public func verify(progress: (@Sendable (_ checked: UInt64, _ total: UInt64) -> Void)? = nil) async throws -> VerificationReport {
        guard let head = try await store.head() else {
            throw LedgerError(.notInitialised, "the store holds no ledger")
        }
        var findings = Findings(limit: maximumFindings)

        // Pass 1: revocations recorded anywhere in the log, so that what a
        // key signed after a compromise found late is reported.
        var revocations: [PublicKey: UInt64] = [:]
        try await forEachPage { page in
            for stored in page {
                guard let entry = try? LedgerEntry(bytes: stored.bytes),
                    let revocation = AuthorityRegistry.revocation(in: entry.content, at: entry.position)
                else { continue }
                revocations[revocation.key] = min(revocations[revocation.key] ?? .max, revocation.from)
            }
        }

        // The stored checkpoints, so the replay knows at which sizes to
        // compute the root.
        var checkpoints: [StoredCheckpoint] = []
        var from: UInt64 = 0
        while true {
            let page = try await store.checkpoints(fromSize: from, limit: 1000)
            checkpoints.append(contentsOf: page)
            guard let last = page.last, page.count == 1000 else { break }
            from = last.size + 1
        }

        // Pass 2: every entry, in order.
        var replay = Replay(
            revocations: revocations, checkpointSizes: Set(checkpoints.map(\.size)),
            latestAcceptableTime: clock.now().adding(milliseconds: clockTolerance), domain: domain)
        if let domain, domain.nextPosition != 0 {
            throw LedgerError(.invalidSnapshot, "the verifier needs an empty domain state; this one has folded \(domain.nextPosition) entries")
        }
        try await forEachPage { page in
            let decoded: [Result<LedgerEntry, LedgerError>] = page.map { stored in
                Result { () throws(LedgerError) in try Ledger.decode(stored) }
            }
            let signatures = await ParallelVerification.check(count: decoded.count) { index in
                guard case .success(let entry) = decoded[index] else { return true }
                return entry.event.hasValidSignature
            }
            for (index, stored) in page.enumerated() {
                replay.check(stored, decoded[index], signatureValid: signatures[index], findings: &findings)
            }
            progress?(replay.frontier.size, head.size)
        }

        // The store's own head.
        if head.size != replay.frontier.size {
            findings.add(
                VerificationFinding(
                    code: .headMismatch, message: "the store's head records \(head.size) entries but \(replay.frontier.size) are stored",
                    position: min(head.size, replay.frontier.size)))
        } else if let state = try? LedgerHeadState(decoding: head.state), state.frontier.root != replay.frontier.root {
            findings.add(VerificationFinding(code: .headMismatch, message: "the store's recorded head root is not the root of its entries", position: head.size))
        }

        // Every stored checkpoint: signature by the log key, origin, root.
        for stored in checkpoints {
            replay.checkCheckpoint(stored, findings: &findings)
        }

        return VerificationReport(
            origin: replay.registry?.origin, entriesChecked: replay.frontier.size, root: replay.frontier.root,
            checkpointsChecked: checkpoints.count, findings: findings.kept, omittedFindings: findings.omitted)
    }

    private func forEachPage(_ body: ([StoredEntry]) async throws -> Void) async throws {
        for try await page in StoredPages(store: store, pageSize: pageSize) {
            try await body(page)
        }
    }
}

/// Findings kept up to a limit, the rest counted.
struct Findings {
    let limit: Int
    var kept: [VerificationFinding] = []
    var omitted = 0

    mutating func add(_ finding: VerificationFinding) {
        if kept.count < limit { kept.append(finding) } else { omitted += 1 }
    }
}

/// The state of a replay: the registry, every stream's head, the
/// idempotency keys seen, and the Merkle tree so far.
struct Replay {
    let revocations: [PublicKey: UInt64]
    let checkpointSizes: Set<UInt64>
    let latestAcceptableTime: Timestamp
    var registry: AuthorityRegistry?
    var streams: [String: StreamHead] = [:]
    var idempotency = Set<UInt128>()
    var frontier = MerkleFrontier()
    var rootsAtSize: [UInt64: Digest] = [:]
    var lastRecordedAt = Timestamp(millisecondsSinceEpoch: .min)
    var expectedPosition: UInt64 = 0
    var domain: (any LedgerDomain)?

    init(revocations: [PublicKey: UInt64], checkpointSizes: Set<UInt64>, latestAcceptableTime: Timestamp, domain: (any LedgerDomain)?) {
        self.revocations = revocations
        self.checkpointSizes = checkpointSizes
        self.latestAcceptableTime = latestAcceptableTime
        self.domain = domain
    }

    mutating func check(_ stored: StoredEntry, _ decoded: Result<LedgerEntry, LedgerError>, signatureValid: Bool, findings: inout Findings) {
        if stored.position != expectedPosition {
            let message =
                stored.position > expectedPosition
                ? "positions \(expectedPosition)..<\(stored.position) are missing"
                : "position \(stored.position) appears again after \(expectedPosition - 1)"
            findings.add(VerificationFinding(code: .gap, message: message, position: min(stored.position, expectedPosition)))
        }
        expectedPosition = stored.position + 1
        // The tree covers the bytes as stored, whatever they hold.
        frontier.append(MerkleHash.leaf(stored.bytes))
        if checkpointSizes.contains(frontier.size) { rootsAtSize[frontier.size] = frontier.root }

        let entry: LedgerEntry
        switch decoded {
        case .failure(let error):
            findings.add(VerificationFinding(error.at(position: stored.position)))
            return
        case .success(let value): entry = value
        }
        let content = entry.content
        // The domain follows the log as stored, whatever is found below.
        defer { domain?.follow(entry) }
        guard signatureValid else {
            findings.add(
                VerificationFinding(
                    code: .invalidSignature, message: "the signature does not verify for the actor key",
                    position: entry.position, stream: content.stream, key: content.actorKey))
            return
        }
        if entry.recordedAt > latestAcceptableTime {
            findings.add(
                VerificationFinding(
                    code: .timeInFuture, message: "recorded at \(entry.recordedAt), later than the verifier's clock allows",
                    position: entry.position, stream: content.stream))
        }
        if entry.recordedAt < lastRecordedAt {
            findings.add(
                VerificationFinding(
                    code: .timeWentBackwards, message: "recorded at \(entry.recordedAt), before the previous entry's \(lastRecordedAt)",
                    position: entry.position, stream: content.stream))
        }
        lastRecordedAt = max(lastRecordedAt, entry.recordedAt)
        let digest = entry.idempotencyReference.digest.withUnsafeBytes { $0.loadUnaligned(as: UInt128.self) }
        if !idempotency.insert(digest).inserted {
            findings.add(
                VerificationFinding(
                    code: .duplicateIdempotencyKey, message: "idempotency key \"\(content.idempotencyKey)\" was used before by this key",
                    position: entry.position, stream: content.stream, key: content.actorKey))
        }
        let head = streams[content.stream]
        do {
            let newHead = try LedgerRules.admit(content, at: entry.position, registry: &registry, head: head, laterRevocations: revocations)
            if newHead.version != entry.streamVersion {
                findings.add(
                    VerificationFinding(
                        code: .streamVersionMismatch, message: "the entry gives stream \(content.stream) version \(entry.streamVersion); it should be \(newHead.version)",
                        position: entry.position, stream: content.stream))
            }
            streams[content.stream] = newHead
            if let domain {
                do {
                    try domain.check(entry)
                } catch {
                    findings.add(VerificationFinding(error.at(position: entry.position)))
                }
            }
        } catch {
            findings.add(VerificationFinding(error.at(position: entry.position)))
            // Keep following the stream as stored, so one bad entry is one finding.
            streams[content.stream] = StreamHead(version: entry.streamVersion, place: head?.place ?? content.place)
        }
    }

    func checkCheckpoint(_ stored: StoredCheckpoint, findings: inout Findings) {
        let signed: SignedCheckpoint
        do {
            signed = try SignedCheckpoint(parsing: stored.note)
        } catch {
            findings.add(VerificationFinding(code: .invalidCheckpoint, message: "checkpoint at size \(stored.size) does not parse: \(error.message)", position: stored.size))
            return
        }
        guard signed.checkpoint.size == stored.size else {
            findings.add(VerificationFinding(code: .invalidCheckpoint, message: "checkpoint stored at size \(stored.size) says size \(signed.checkpoint.size)", position: stored.size))
            return
        }
        if let registry {
            if signed.checkpoint.origin != registry.origin {
                findings.add(VerificationFinding(code: .invalidCheckpoint, message: "checkpoint at size \(stored.size) is for origin \"\(signed.checkpoint.origin)\"", position: stored.size))
            }
            do {
                try signed.verify(logKey: registry.logKey)
            } catch {
                findings.add(VerificationFinding(code: .invalidCheckpoint, message: "checkpoint at size \(stored.size): \(error.message)", position: stored.size))
            }
        }
        guard let root = stored.size == 0 ? MerkleHash.empty : rootsAtSize[stored.size] else {
            findings.add(
                VerificationFinding(
                    code: .checkpointMismatch,
                    message: "checkpoint covers \(stored.size) entries but the log holds \(frontier.size): entries were removed",
                    position: frontier.size))
            return
        }
        if root != signed.checkpoint.root {
            findings.add(
                VerificationFinding(
                    code: .checkpointMismatch, message: "checkpoint at size \(stored.size) has root \(signed.checkpoint.root.base64); the log's root there is \(root.base64)",
                    position: stored.size - 1))
        }
    }
}
