/// What a witness remembers of one log: the latest checkpoint it cosigned.
public struct WitnessRecord: Hashable, Sendable {
    /// Its tree size.
    public var size: UInt64
    /// Its root hash.
    public var root: Digest
    /// The checkpoint as the witness cosigned it: the note with the log's
    /// signature the witness verified and its own cosignature, which it
    /// serves to monitors (`nil` in records of earlier versions).
    public var checkpoint: String?

    /// A record of a checkpoint of `size` entries with this root.
    public init(size: UInt64, root: Digest, checkpoint: String? = nil) {
        self.size = size
        self.root = root
        self.checkpoint = checkpoint
    }
}

/// Where a witness keeps its records, one per origin. A store must make
/// ``replace(origin:expected:with:)`` atomic and durable: the record it
/// replaced is the one the witness checked the request against, so no two
/// requests can move one origin's record, and none can move it back.
public protocol WitnessStateStore: Sendable {
    /// The record of `origin`; `nil` when nothing was cosigned for it.
    func record(of origin: String) async throws -> WitnessRecord?
    /// Sets the record of `origin` to `new` if it is still `expected`
    /// (`nil`: none yet), on disk before it returns.
    ///
    /// - Returns: `false`, changing nothing, when the record moved.
    func replace(origin: String, expected: WitnessRecord?, with new: WitnessRecord) async throws -> Bool
}

/// A witness's answer to a request, as C2SP tlog-witness defines it: an
/// HTTP status, a content type and a body.
public struct WitnessResponse: Hashable, Sendable {
    /// The HTTP status: 200, or 400, 403, 404, 409, 422 (500 for a store
    /// failure).
    public var status: Int
    /// The `Content-Type`.
    public var contentType: String
    /// The body: the cosignature lines (200), the witness's size (409), or
    /// what was wrong.
    public var body: String

    /// An answer with a plain-text body.
    public init(status: Int, body: String, contentType: String = "text/plain; charset=utf-8") {
        self.status = status
        self.body = body
        self.contentType = contentType
    }
}

/// A transparency-log witness: the checks and the state behind C2SP
/// tlog-witness's `add-checkpoint`, without the HTTP.
///
/// For each log it knows (by origin, with the log's note key) it remembers
/// the latest checkpoint it cosigned. A request carries the size the
/// caller believes the witness has, a consistency proof from there, and
/// the new checkpoint; the witness cosigns only a checkpoint signed by the
/// log and consistent with what it saw, after recording it: so it never
/// cosigns two roots for one size, nor a history that forgets entries.
public actor Witness {
    /// The key the witness cosigns with.
    public nonisolated let cosigner: CosignerKey
    private let signer: any Signer
    private let logs: [String: NoteKey]
    private let state: any WitnessStateStore
    private let clock: any LedgerClock

    /// A witness named `name` (a schema-less URL) that cosigns with
    /// `signer`, for the logs of `logs`, keeping its records in `state`.
    public init(name: String, signer: any Signer, logs: [NoteKey], state: any WitnessStateStore, clock: any LedgerClock = SystemClock()) {
        self.cosigner = CosignerKey(name: name, publicKey: signer.publicKey)
        self.signer = signer
        self.logs = Dictionary(logs.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        self.state = state
        self.clock = clock
    }

    /// The most consistency-proof lines a request may carry.
    public static let maximumProofLines = 63

    /// Answers an `add-checkpoint` request body (`old <size>`, the proof's
    /// hashes one per line in base64, a blank line, the checkpoint note).
    public func addCheckpoint(_ request: String) async -> WitnessResponse {
        // The request.
        guard let blank = request.range(of: "\n\n") else {
            return WitnessResponse(status: 400, body: "the request has no blank line before the checkpoint\n")
        }
        let head = request[..<blank.lowerBound].split(separator: "\n", omittingEmptySubsequences: false)
        guard let first = head.first, first.hasPrefix("old "), let old = UInt64(first.dropFirst(4)), String(old) == first.dropFirst(4) else {
            return WitnessResponse(status: 400, body: "the first line is not \"old <size>\" in decimal without leading zeros\n")
        }
        guard head.count - 1 <= Self.maximumProofLines else {
            return WitnessResponse(status: 400, body: "the proof has \(head.count - 1) lines; at most \(Self.maximumProofLines)\n")
        }
        var proof: [Digest] = []
        for line in head.dropFirst() {
            guard let hash = Digest(base64: String(line)), hash.base64 == line else {
                return WitnessResponse(status: 400, body: "a proof line is not the base64 of 32 bytes: \"\(line)\"\n")
            }
            proof.append(hash)
        }
        let signed: SignedCheckpoint
        do {
            signed = try SignedCheckpoint(parsing: String(request[blank.upperBound...]))
        } catch {
            return WitnessResponse(status: 400, body: "the checkpoint is malformed: \(error.message)\n")
        }
        let checkpoint = signed.checkpoint

        // The log and its signature.
        guard let logKey = logs[checkpoint.origin] else {
            return WitnessResponse(status: 404, body: "this witness does not know the log \(checkpoint.origin)\n")
        }
        do {
            try logKey.verify(signed.note)
        } catch {
            return WitnessResponse(status: 403, body: "\(error.message)\n")
        }
        guard old <= checkpoint.size else {
            return WitnessResponse(status: 400, body: "the old size \(old) is larger than the checkpoint's \(checkpoint.size)\n")
        }

        // Consistency with what this witness saw.
        let recorded: WitnessRecord?
        do {
            recorded = try await state.record(of: checkpoint.origin)
        } catch {
            return WitnessResponse(status: 500, body: "the witness's state cannot be read\n")
        }
        guard old == recorded?.size ?? 0 else { return Self.conflict(recorded?.size ?? 0) }
        if checkpoint.size == 0, checkpoint.root != MerkleHash.empty {
            return WitnessResponse(status: 422, body: "a checkpoint of size 0 must have the empty tree's root\n")
        }
        if old == 0 {
            guard proof.isEmpty else {
                return WitnessResponse(status: 422, body: "from size 0 the consistency proof must be empty\n")
            }
        } else if let recorded {
            do {
                try MerkleProof.verifyConsistency(size1: old, size2: checkpoint.size, proof: proof, root1: recorded.root, root2: checkpoint.root)
            } catch {
                return WitnessResponse(status: 422, body: "not consistent with the checkpoint this witness cosigned at size \(old): \(error.message)\n")
            }
        }

        // Recorded, then cosigned.
        let time = UInt64(clamping: clock.now().millisecondsSinceEpoch / 1000)
        let line: SignedNote.Line
        do {
            line = try cosigner.cosign(signed.note.text, at: max(1, time), with: signer)
        } catch {
            return WitnessResponse(status: 500, body: "cosigning failed\n")
        }
        do {
            // What monitors are served: the log's verified signature and this witness's.
            let logLines = signed.note.signatures.filter { $0.name == logKey.name && $0.keyID == logKey.keyID }
            let served = SignedNote(text: signed.note.text, signatures: logLines + [line]).serialized
            let new = WitnessRecord(size: checkpoint.size, root: checkpoint.root, checkpoint: served)
            guard try await state.replace(origin: checkpoint.origin, expected: recorded, with: new) else {
                let now = try await state.record(of: checkpoint.origin)
                return Self.conflict(now?.size ?? 0)
            }
        } catch {
            return WitnessResponse(status: 500, body: "the witness's state cannot be written\n")
        }
        return WitnessResponse(status: 200, body: line.serialized)
    }

    /// The latest checkpoint this witness cosigned for the log whose
    /// origin's SHA-256 is `originHash` (lowercase hex), with the log's
    /// signature and its cosignature: C2SP tlog-witness's monitor
    /// retrieval (`GET <prefix>/<origin hash>/checkpoint`). 404 when the
    /// witness knows no such log or never cosigned for it.
    public func latestCheckpoint(originHash: String) async -> WitnessResponse {
        guard let origin = logs.keys.first(where: { SHA256.hash(Array($0.utf8)).hex == originHash }) else {
            return WitnessResponse(status: 404, body: "this witness knows no log with that origin hash\n")
        }
        do {
            guard let note = try await state.record(of: origin)?.checkpoint else {
                return WitnessResponse(status: 404, body: "this witness has not cosigned a checkpoint of \(origin)\n")
            }
            return WitnessResponse(status: 200, body: note)
        } catch {
            return WitnessResponse(status: 500, body: "the witness's state cannot be read\n")
        }
    }

    static func conflict(_ size: UInt64) -> WitnessResponse {
        WitnessResponse(status: 409, body: "\(size)\n", contentType: "text/x.tlog.size")
    }
}

/// Witness records in memory: for tests, and witnesses that need not
/// survive a restart.
public actor InMemoryWitnessState: WitnessStateStore {
    private var records: [String: WitnessRecord] = [:]

    /// No records.
    public init() {}

    public func record(of origin: String) async throws -> WitnessRecord? { records[origin] }

    public func replace(origin: String, expected: WitnessRecord?, with new: WitnessRecord) async throws -> Bool {
        guard records[origin] == expected else { return false }
        records[origin] = new
        return true
    }
}
