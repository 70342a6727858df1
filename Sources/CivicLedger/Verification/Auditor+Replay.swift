import Foundation

/// Findings kept up to a limit, the rest counted.
struct Findings {
    let limit: Int
    var kept: [AuditFinding] = []
    var omitted = 0

    mutating func add(_ finding: AuditFinding) {
        if kept.count < limit { kept.append(finding) } else { omitted += 1 }
    }
}

/// The state of a replay: the registry, every stream's head, the
/// idempotency keys seen, and the Merkle tree so far.
struct Replay {
    let revocations: [PublicKey: UInt64]
    let checkpointSizes: Set<UInt64>
    let latestAcceptableTime: Timestamp
    var trustedSize: UInt64 = 0
    var registry: AuthorityRegistry?
    var streams: [String: StreamHead] = [:]
    var idempotency = Set<UInt128>()
    var frontier = MerkleFrontier()
    var rootsAtSize: [UInt64: Digest] = [:]
    var lastRecordedAt = Timestamp(millisecondsSinceEpoch: .min)
    var expectedPosition: UInt64 = 0
    var domain: (any LedgerDomain)?
    var signers = Set<PublicKey>()
    var signaturesChecked: UInt64 = 0
    /// The first revocation met that ``revocations`` lacks.
    var unlistedRevocation: UInt64?

    init(revocations: [PublicKey: UInt64], checkpointSizes: Set<UInt64>, latestAcceptableTime: Timestamp, domain: (any LedgerDomain)?) {
        self.revocations = revocations
        self.checkpointSizes = checkpointSizes
        self.latestAcceptableTime = latestAcceptableTime
        self.domain = domain
    }

    /// Distinct actors that signed entries (keys of one actor count once;
    /// keys the registry never knew count each).
    var actorCount: Int {
        Set(signers.map { registry?.keys[$0]?.actor ?? $0.base64 }).count
    }

    mutating func check(
        _ stored: StoredEntry, _ decoded: Result<LedgerEntry, LedgerError>, leafHash: Digest, signatureValid: Bool, findings: inout Findings
    ) {
        if stored.position != expectedPosition {
            let message =
                stored.position > expectedPosition
                ? "positions \(expectedPosition)..<\(stored.position) are missing"
                : "position \(stored.position) appears again after \(expectedPosition - 1)"
            findings.add(AuditFinding(code: .gap, message: message, position: min(stored.position, expectedPosition)))
        }
        expectedPosition = stored.position + 1
        // The tree covers the bytes as stored, whatever they hold.
        frontier.append(leafHash)
        if checkpointSizes.contains(frontier.size) { rootsAtSize[frontier.size] = frontier.root }

        let entry: LedgerEntry
        switch decoded {
        case .failure(let error):
            findings.add(AuditFinding(error.at(position: stored.position)))
            return
        case .success(let value): entry = value
        }
        let content = entry.content
        let trusted = entry.position < trustedSize
        if unlistedRevocation == nil, let revocation = AuthorityRegistry.revocation(in: content, at: entry.position),
            revocations[revocation.key] ?? .max > revocation.from
        {
            unlistedRevocation = entry.position
        }
        // The domain follows the log as stored, whatever is found below.
        defer { domain?.follow(entry) }
        guard signatureValid else {
            findings.add(
                AuditFinding(
                    code: .invalidSignature, message: "the signature does not verify for the actor key",
                    position: entry.position, stream: content.stream, key: content.actorKey))
            return
        }
        if !trusted { signaturesChecked += 1 }
        signers.insert(content.actorKey)
        if entry.recordedAt > latestAcceptableTime {
            findings.add(
                AuditFinding(
                    code: .timeInFuture, message: "recorded at \(entry.recordedAt), later than the auditor's clock allows",
                    position: entry.position, stream: content.stream))
        }
        if entry.recordedAt < lastRecordedAt {
            findings.add(
                AuditFinding(
                    code: .timeWentBackwards, message: "recorded at \(entry.recordedAt), before the previous entry's \(lastRecordedAt)",
                    position: entry.position, stream: content.stream))
        }
        lastRecordedAt = max(lastRecordedAt, entry.recordedAt)
        let digest = entry.idempotencyReference.digest.withUnsafeBytes { $0.loadUnaligned(as: UInt128.self) }
        if !idempotency.insert(digest).inserted {
            findings.add(
                AuditFinding(
                    code: .duplicateIdempotencyKey, message: "idempotency key \"\(content.idempotencyKey)\" was used before by this key",
                    position: entry.position, stream: content.stream, key: content.actorKey))
        }
        // A refused entry names its signer, whatever the rule that refused it.
        func refused(_ error: LedgerError) {
            var finding = AuditFinding(error.at(position: entry.position))
            finding.key = finding.key ?? content.actorKey
            findings.add(finding)
        }
        let head = streams[content.stream]
        do {
            let newHead = try LedgerRules.admit(content, at: entry.position, registry: &registry, head: head, laterRevocations: revocations)
            if newHead.version != entry.streamVersion {
                findings.add(
                    AuditFinding(
                        code: .streamVersionMismatch,
                        message: "the entry gives stream \(content.stream) version \(entry.streamVersion); it should be \(newHead.version)",
                        position: entry.position, stream: content.stream))
            }
            streams[content.stream] = newHead
            if let domain, !trusted {
                do { try domain.check(entry) } catch { refused(error) }
            }
        } catch {
            refused(error)
            // Keep following the stream as stored, so one bad entry is one finding.
            streams[content.stream] = StreamHead(version: entry.streamVersion, place: head?.place ?? content.place)
        }
    }

    /// Checks a stored checkpoint; `true` when its root is the log's. A
    /// root that differs places the change after `since`, the last
    /// checkpoint whose root matched.
    func checkCheckpoint(_ stored: StoredCheckpoint, since: UInt64, findings: inout Findings) -> Bool {
        let signed: SignedCheckpoint
        do {
            signed = try SignedCheckpoint(parsing: stored.note)
        } catch {
            findings.add(
                AuditFinding(
                    code: .invalidCheckpoint, message: "checkpoint at size \(stored.size) does not parse: \(error.message)",
                    position: stored.size))
            return false
        }
        guard signed.checkpoint.size == stored.size else {
            findings.add(
                AuditFinding(
                    code: .invalidCheckpoint, message: "checkpoint stored at size \(stored.size) says size \(signed.checkpoint.size)",
                    position: stored.size))
            return false
        }
        checkSigned(signed, what: "checkpoint at size \(stored.size)", code: .invalidCheckpoint, findings: &findings)
        guard let root = root(at: stored.size) else {
            findings.add(
                AuditFinding(
                    code: .checkpointMismatch,
                    message: "checkpoint covers \(stored.size) entries but the log holds \(frontier.size): entries were removed",
                    position: frontier.size))
            return false
        }
        if root != signed.checkpoint.root {
            findings.add(
                AuditFinding(
                    code: .checkpointMismatch,
                    message:
                        "checkpoint at size \(stored.size) has root \(signed.checkpoint.root.base64); the log's root there is \(root.base64): an entry in positions \(since)..<\(stored.size) was changed after it was checkpointed",
                    position: stored.size - 1))
            return false
        }
        return true
    }

    /// The recomputed root of the first `size` entries, if the log has them.
    func root(at size: UInt64) -> Digest? {
        size == 0 ? MerkleHash.empty : rootsAtSize[size]
    }

    /// Checks a checkpoint's origin and its signature by the log key.
    func checkSigned(_ signed: SignedCheckpoint, what: String, code: LedgerError.Code, findings: inout Findings) {
        guard let registry else { return }
        if signed.checkpoint.origin != registry.origin {
            findings.add(
                AuditFinding(
                    code: code, message: "\(what) is for origin \"\(signed.checkpoint.origin)\", not \"\(registry.origin)\"",
                    position: signed.checkpoint.size))
        }
        do {
            try signed.verify(logKey: registry.logKey)
        } catch {
            findings.add(AuditFinding(code: code, message: "\(what): \(error.message)", position: signed.checkpoint.size))
        }
    }

    /// Checks that the log extends the trusted checkpoint, and completes the
    /// consistency proof from it to the latest stored checkpoint.
    func checkTrusted(_ trusted: SignedCheckpoint, latest: StoredCheckpoint?, proof: ProofCollector?, findings: inout Findings)
        -> AuditReport.Consistency?
    {
        let size = trusted.checkpoint.size
        checkSigned(trusted, what: "the trusted checkpoint", code: .inconsistentHistory, findings: &findings)
        guard let root = root(at: size) else {
            findings.add(
                AuditFinding(
                    code: .inconsistentHistory,
                    message: "the trusted checkpoint covers \(size) entries but the log holds \(frontier.size): entries were removed",
                    position: frontier.size))
            return nil
        }
        guard root == trusted.checkpoint.root else {
            findings.add(
                AuditFinding(
                    code: .inconsistentHistory,
                    message:
                        "the log's first \(size) entries have root \(root.base64), not the trusted checkpoint's \(trusted.checkpoint.root.base64): history was rewritten",
                    position: size == 0 ? nil : size - 1))
            return nil
        }
        guard let proof, let latest, let hashes = try? proof.proof(),
            let signed = try? SignedCheckpoint(parsing: latest.note)
        else { return nil }
        do {
            try MerkleProof.verifyConsistency(
                size1: size, size2: latest.size, proof: hashes, root1: trusted.checkpoint.root, root2: signed.checkpoint.root)
            return AuditReport.Consistency(fromSize: size, toSize: latest.size, proof: hashes, toCheckpoint: latest.note)
        } catch {
            findings.add(
                AuditFinding(
                    code: .inconsistentHistory,
                    message: "no consistency proof from the trusted checkpoint to the checkpoint at \(latest.size): \(error.message)",
                    position: latest.size - 1))
            return nil
        }
    }
}
