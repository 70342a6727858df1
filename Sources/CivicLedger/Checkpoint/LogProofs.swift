/// An offline-verifiable proof that an entry is in the log: the C2SP
/// [tlog-proof](https://c2sp.org/tlog-proof) text format (docs/format.md §11).
///
/// ```
/// c2sp.org/tlog-proof@v1
/// extra <base64 of the entry's stored bytes>
/// index 1234
/// <base64 hash>            one line per proof hash
///
/// <the signed checkpoint the proof leads to>
/// ```
///
/// The `extra` line carries the entry itself, so the proof shows what was
/// logged as well as that it was.
public struct InclusionProof: Hashable, Sendable {
    /// The first line.
    public static let header = "c2sp.org/tlog-proof@v1"

    /// The entry's position (its leaf index).
    public var index: UInt64
    /// The entry's stored bytes, if carried.
    public var entry: [UInt8]?
    /// The proof hashes (RFC 9162 §2.1.3).
    public var hashes: [Digest]
    /// The checkpoint the proof leads to.
    public var checkpoint: SignedCheckpoint

    /// A proof.
    public init(index: UInt64, entry: [UInt8]?, hashes: [Digest], checkpoint: SignedCheckpoint) {
        self.index = index
        self.entry = entry
        self.hashes = hashes
        self.checkpoint = checkpoint
    }

    /// The proof as text.
    public var serialized: String {
        var lines = [Self.header]
        if let entry { lines.append("extra \(entry.base64String)") }
        lines.append("index \(index)")
        lines.append(contentsOf: hashes.map(\.base64))
        return lines.joined(separator: "\n") + "\n\n" + checkpoint.serialized
    }

    /// Parses a proof's text, without verifying it.
    ///
    /// - Throws: ``LedgerError`` `.invalidProof` naming the line at fault.
    public init(parsing text: String) throws(LedgerError) {
        let (lines, note) = try ProofText.split(text, header: Self.header)
        var rest = lines[...]
        var entry: [UInt8]?
        if let line = rest.first, line.hasPrefix("extra ") {
            entry = try ProofText.base64(String(line.dropFirst(6)), line: 2, what: "extra data")
            rest = rest.dropFirst()
        }
        guard let line = rest.first, line.hasPrefix("index "), let index = UInt64(line.dropFirst(6)), line.dropFirst(6) == String(index)
        else {
            throw LedgerError(.invalidProof, "line \(lines.count - rest.count + 2): expected \"index N\"")
        }
        rest = rest.dropFirst()
        let first = lines.count - rest.count + 2
        let hashes = try rest.enumerated().map { (offset, line) throws(LedgerError) in try ProofText.digest(line, line: first + offset) }
        self.init(index: index, entry: entry, hashes: hashes, checkpoint: try ProofText.checkpoint(note, what: "the proof's checkpoint"))
    }

    /// Verifies the proof: the entry's leaf hash, through the proof hashes,
    /// leads to the checkpoint's root. The checkpoint must be `trusted`
    /// itself or carry a valid signature by `logKey`.
    ///
    /// - Throws: ``LedgerError`` `.invalidProof` or `.invalidCheckpoint`
    ///   saying which check failed.
    public func verify(trusted: SignedCheckpoint?, logKey: PublicKey?) throws(LedgerError) {
        try ProofText.authenticate(checkpoint, trusted: trusted, logKey: logKey)
        guard let entry else {
            throw LedgerError(.invalidProof, "the proof carries no entry (no extra line) to check")
        }
        try MerkleProof.verifyInclusion(
            index: index, treeSize: checkpoint.checkpoint.size, leafHash: MerkleHash.leaf(entry), proof: hashes,
            root: checkpoint.checkpoint.root)
    }
}

extension InclusionProof {
    /// Verifies the proof against a witness policy: the entry leads to the
    /// checkpoint's root, a log the policy lists (or `logKey`) signed the
    /// checkpoint, and the policy's quorum of witnesses cosigned it. What
    /// `civic-ledger verify-proof RECEIPT --policy POLICY` checks.
    ///
    /// - Returns: the policy's names of the witnesses that cosigned.
    /// - Throws: ``LedgerError`` saying which check failed.
    @discardableResult
    public func verify(policy: WitnessPolicy, logKey: PublicKey? = nil) throws(LedgerError) -> [String] {
        let witnesses = try policy.check(checkpoint, logKey: logKey)
        try verify(trusted: checkpoint, logKey: nil)
        return witnesses
    }
}

/// An offline-verifiable proof that a log only grew between two
/// checkpoints (RFC 9162 §2.1.4), in a text format beside
/// ``InclusionProof``'s (docs/format.md §11):
///
/// ```
/// civic-ledger/consistency-proof@v1
/// old 1000
/// new 5000
/// <base64 hash>            one line per proof hash
///
/// <the old signed checkpoint>
///
/// <the new signed checkpoint>
/// ```
public struct ConsistencyProof: Hashable, Sendable {
    /// The first line.
    public static let header = "civic-ledger/consistency-proof@v1"

    /// The proof hashes.
    public var hashes: [Digest]
    /// The earlier checkpoint.
    public var old: SignedCheckpoint
    /// The later checkpoint.
    public var new: SignedCheckpoint

    /// A proof.
    public init(hashes: [Digest], old: SignedCheckpoint, new: SignedCheckpoint) {
        self.hashes = hashes
        self.old = old
        self.new = new
    }

    /// The proof as text.
    public var serialized: String {
        var lines = [Self.header, "old \(old.checkpoint.size)", "new \(new.checkpoint.size)"]
        lines.append(contentsOf: hashes.map(\.base64))
        return lines.joined(separator: "\n") + "\n\n" + old.serialized + "\n" + new.serialized
    }

    /// Parses a proof's text, without verifying it.
    ///
    /// - Throws: ``LedgerError`` `.invalidProof` naming the line at fault.
    public init(parsing text: String) throws(LedgerError) {
        let (lines, notes) = try ProofText.split(text, header: Self.header)
        guard lines.count >= 2, lines[0].hasPrefix("old "), lines[1].hasPrefix("new "),
            let oldSize = UInt64(lines[0].dropFirst(4)), let newSize = UInt64(lines[1].dropFirst(4))
        else {
            throw LedgerError(.invalidProof, "lines 2 and 3: expected \"old N\" and \"new N\"")
        }
        let hashes = try lines.dropFirst(2).enumerated().map { (offset, line) throws(LedgerError) in
            try ProofText.digest(line, line: offset + 4)
        }
        // Two notes, each "text \n\n signatures", one blank line apart.
        let blocks = notes.components(separatedBy: "\n\n")
        guard blocks.count == 4 else {
            throw LedgerError(.invalidProof, "expected two signed checkpoints after the hashes, one blank line apart")
        }
        let old = try ProofText.checkpoint(blocks[0] + "\n\n" + blocks[1] + "\n", what: "the old checkpoint")
        let new = try ProofText.checkpoint(blocks[2] + "\n\n" + blocks[3], what: "the new checkpoint")
        guard old.checkpoint.size == oldSize, new.checkpoint.size == newSize else {
            throw LedgerError(
                .invalidProof,
                "the sizes on lines 2 and 3 (\(oldSize), \(newSize)) are not the checkpoints' (\(old.checkpoint.size), \(new.checkpoint.size))"
            )
        }
        self.init(hashes: hashes, old: old, new: new)
    }

    /// Verifies the proof: the new checkpoint's tree extends the old one's.
    /// Each checkpoint must be `trusted` itself or carry a valid signature
    /// by `logKey`.
    ///
    /// - Throws: ``LedgerError`` `.invalidProof` or `.invalidCheckpoint`.
    public func verify(trusted: SignedCheckpoint?, logKey: PublicKey?) throws(LedgerError) {
        try ProofText.authenticate(old, trusted: trusted, logKey: logKey)
        try ProofText.authenticate(new, trusted: trusted, logKey: logKey)
        guard old.checkpoint.origin == new.checkpoint.origin else {
            throw LedgerError(
                .invalidProof, "the checkpoints are of two logs: \"\(old.checkpoint.origin)\" and \"\(new.checkpoint.origin)\"")
        }
        try MerkleProof.verifyConsistency(
            size1: old.checkpoint.size, size2: new.checkpoint.size, proof: hashes, root1: old.checkpoint.root, root2: new.checkpoint.root)
    }
}

/// What the two proof formats share.
enum ProofText {
    /// The lines between the header and the first blank line, and the rest.
    static func split(_ text: String, header: String) throws(LedgerError) -> (lines: [String], rest: String) {
        guard text.utf8.count <= 1 << 20 else { throw LedgerError(.invalidProof, "the proof is larger than 1 MiB") }
        guard let blank = text.range(of: "\n\n") else {
            throw LedgerError(.invalidProof, "no blank line between the proof and its checkpoint")
        }
        var lines = text[..<blank.lowerBound].split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard lines.first == header else {
            throw LedgerError(.invalidProof, "line 1: expected \"\(header)\", found \"\(lines.first ?? "")\"")
        }
        lines.removeFirst()
        return (lines, String(text[blank.upperBound...]))
    }

    static func base64(_ text: String, line: Int, what: String) throws(LedgerError) -> [UInt8] {
        guard let bytes = [UInt8](base64String: text), bytes.base64String == text else {
            throw LedgerError(.invalidProof, "line \(line): \(what) is not canonical base64")
        }
        return bytes
    }

    static func digest(_ text: String, line: Int) throws(LedgerError) -> Digest {
        guard let digest = Digest(base64: text), digest.base64 == text else {
            throw LedgerError(.invalidProof, "line \(line): \"\(text)\" is not a canonical base64 hash of 32 bytes")
        }
        return digest
    }

    static func checkpoint(_ note: String, what: String) throws(LedgerError) -> SignedCheckpoint {
        do {
            return try SignedCheckpoint(parsing: note)
        } catch {
            throw LedgerError(.invalidProof, "\(what) does not parse: \(error.message)")
        }
    }

    /// A checkpoint is authentic when it is the trusted one (same text) or
    /// its signature by the log key verifies.
    static func authenticate(_ checkpoint: SignedCheckpoint, trusted: SignedCheckpoint?, logKey: PublicKey?) throws(LedgerError) {
        if let trusted, trusted.checkpoint == checkpoint.checkpoint {
            if let logKey { try checkpoint.verify(logKey: logKey) }
            return
        }
        guard let logKey else {
            throw LedgerError(
                .invalidCheckpoint,
                "the checkpoint at size \(checkpoint.checkpoint.size) is not the trusted one, and no log key was given to check its signature"
            )
        }
        try checkpoint.verify(logKey: logKey)
    }
}

/// Makes proofs from a store's entries, streaming their leaf hashes once
/// (O(log n) memory), and refuses when the store's entries do not lead to
/// the checkpoint's root.
public enum LogProver {
    /// The inclusion proof of the entry at `index` in the tree of `checkpoint`.
    ///
    /// - Throws: ``LedgerError`` `.invalidProof` when `index` is outside the
    ///   checkpoint or the store's entries do not have its root.
    public static func inclusion(store: any EventStoreReader, index: UInt64, checkpoint: SignedCheckpoint) async throws -> InclusionProof {
        let size = checkpoint.checkpoint.size
        var collector = ProofCollector(plan: try .inclusion(index: index, size: size))
        var entry: [UInt8]?
        let roots = try await streamLeaves(store: store, size: size) { stored, leaf in
            collector.add(leaf, at: stored.position)
            if stored.position == index { entry = stored.bytes }
        }
        try check(roots.root, against: checkpoint)
        return InclusionProof(index: index, entry: entry, hashes: try collector.proof(), checkpoint: checkpoint)
    }

    /// The consistency proof from `old` to `new`.
    ///
    /// - Throws: ``LedgerError`` `.invalidProof` when the sizes are not
    ///   `0 < old ≤ new` or the store's entries do not have both roots.
    public static func consistency(store: any EventStoreReader, old: SignedCheckpoint, new: SignedCheckpoint) async throws -> ConsistencyProof {
        var collector = ProofCollector(plan: try .consistency(size1: old.checkpoint.size, size2: new.checkpoint.size))
        let roots = try await streamLeaves(store: store, size: new.checkpoint.size, earlier: old.checkpoint.size) { stored, leaf in
            collector.add(leaf, at: stored.position)
        }
        try check(roots.earlier ?? MerkleHash.empty, against: old)
        try check(roots.root, against: new)
        return ConsistencyProof(hashes: try collector.proof(), old: old, new: new)
    }

    /// Feeds the first `size` leaves to `body`; returns the root of the
    /// `size` leaves and of the first `earlier` ones.
    static func streamLeaves(
        store: any EventStoreReader, size: UInt64, earlier: UInt64? = nil, _ body: (StoredEntry, Digest) -> Void
    ) async throws -> (root: Digest, earlier: Digest?) {
        var frontier = MerkleFrontier()
        var earlierRoot: Digest?
        for try await page in StoredPages(store: store, from: 0, to: size) {
            for stored in page {
                guard stored.position == frontier.size else {
                    throw LedgerError(
                        .invalidProof, "the store has no entry at position \(frontier.size): it cannot prove anything past it",
                        position: frontier.size)
                }
                let leaf = MerkleHash.leaf(stored.bytes)
                frontier.append(leaf)
                if frontier.size == earlier { earlierRoot = frontier.root }
                body(stored, leaf)
            }
        }
        guard frontier.size == size else {
            throw LedgerError(.invalidProof, "the store holds \(frontier.size) entries, fewer than the checkpoint's \(size)")
        }
        return (frontier.root, earlierRoot)
    }

    static func check(_ root: Digest, against checkpoint: SignedCheckpoint) throws(LedgerError) {
        guard root == checkpoint.checkpoint.root else {
            throw LedgerError(
                .invalidProof,
                "the store's first \(checkpoint.checkpoint.size) entries do not have the checkpoint's root: audit the ledger before proving anything from it"
            )
        }
    }
}

/// Proofs for a store's log from tile hashes kept in memory
/// (``MemoryTiles``, 32 bytes an entry): the first proof reads the log
/// once, later ones only the entries appended since, so a service answers
/// each receipt in O(log n) hashes instead of ``LogProver``'s pass over the
/// whole log. Every checkpoint is checked against the entries' root before
/// anything is proved to it.
public actor CachedLogProver {
    /// The store whose log is proved.
    public nonisolated let store: any EventStoreReader
    private var tiles = MemoryTiles()
    /// Whether a call is reading entries into ``tiles``, and the calls
    /// waiting for it: one reads at a time (the actor is reentrant at each
    /// page read), the others then find the tiles grown.
    private var growing = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    /// A prover for `store`'s log.
    public init(store: any EventStoreReader) { self.store = store }

    /// The tree of `checkpoint`, read from the tiles, once its root is
    /// checked against the store's entries.
    ///
    /// - Throws: ``LedgerError`` `.invalidProof` when the store's first
    ///   entries do not have the checkpoint's root, or it holds fewer.
    public func tree(for checkpoint: SignedCheckpoint) async throws -> TiledTree {
        let size = checkpoint.checkpoint.size
        while growing { await withCheckedContinuation { waiting.append($0) } }
        if tiles.size < size {
            growing = true
            defer {
                growing = false
                for waiter in waiting { waiter.resume() }
                waiting.removeAll()
            }
            for try await page in StoredPages(store: store, from: tiles.size, to: size) {
                for stored in page {
                    guard stored.position == tiles.size else {
                        throw LedgerError(.invalidProof, "the store has no entry at position \(tiles.size)", position: tiles.size)
                    }
                    tiles.append(MerkleHash.leaf(stored.bytes))
                }
            }
        }
        guard tiles.size >= size else {
            throw LedgerError(.invalidProof, "the store holds \(tiles.size) entries, fewer than the checkpoint's \(size)")
        }
        let tree = tiles.tree(size: size)
        try LogProver.check(try tree.root(), against: checkpoint)
        return tree
    }

    /// The inclusion proof of the entry at `index` to `checkpoint`,
    /// carrying the entry.
    public func inclusion(index: UInt64, checkpoint: SignedCheckpoint) async throws -> InclusionProof {
        let tree = try await tree(for: checkpoint)
        let hashes = try tree.inclusionProof(index: index)
        guard let entry = try await store.entries(from: index, limit: 1).first, entry.position == index else {
            throw LedgerError(.invalidProof, "the store has no entry at position \(index)", position: index)
        }
        let proof = InclusionProof(index: index, entry: entry.bytes, hashes: hashes, checkpoint: checkpoint)
        try proof.verify(trusted: checkpoint, logKey: nil)
        return proof
    }

    /// The consistency proof from `old` to `new`.
    public func consistency(old: SignedCheckpoint, new: SignedCheckpoint) async throws -> ConsistencyProof {
        let tree = try await tree(for: new)
        _ = try await self.tree(for: old)
        return ConsistencyProof(hashes: try tree.consistencyProof(from: old.checkpoint.size), old: old, new: new)
    }
}
