import CivicLedger

/// A reference from a parent's ledger to one entry of a child's: the
/// entry's position and leaf hash, with an inclusion proof to a checkpoint
/// of the child that the parent recorded. Nothing of the entry is copied;
/// anyone with the parent's log verifies the proof
/// (``ChildRegistry/verify(_:)``), and anyone with the child's too checks
/// that the entry is there (``ChildRegistry/verify(_:in:)``).
/// docs/format.md §15.
public struct ChildEntryReference: Codable, Hashable, Sendable {
    /// The child's origin.
    public var origin: String
    /// The size of the recorded checkpoint the proof is to.
    public var size: UInt64
    /// The entry's position in the child's log.
    public var index: UInt64
    /// The entry's RFC 6962 leaf hash, standard base64.
    public var leafHash: String
    /// The inclusion proof, each hash standard base64.
    public var proof: [String]

    /// A reference.
    public init(origin: String, size: UInt64, index: UInt64, leafHash: Digest, proof: [Digest]) {
        self.origin = origin
        self.size = size
        self.index = index
        self.leafHash = leafHash.base64
        self.proof = proof.map(\.base64)
    }

    /// The reference to the child's entry at `index`, proved from `child`'s
    /// store to its stored checkpoint of `size` entries (one its parent
    /// recorded).
    ///
    /// - Throws: `LedgerError` `.invalidProof` when the child holds no
    ///   checkpoint of that size or no such entry, or its entries do not
    ///   have the checkpoint's root; store errors.
    public static func make(_ origin: String, index: UInt64, size: UInt64, from child: any EventStoreReader) async throws -> ChildEntryReference {
        guard let stored = try await child.checkpoints(fromSize: size, limit: 1).first, stored.size == size else {
            throw LedgerError(.invalidProof, "\(origin) holds no checkpoint of \(size) entries")
        }
        let proof = try await LogProver.inclusion(store: child, index: index, checkpoint: try SignedCheckpoint(parsing: stored.note))
        guard let entry = proof.entry else { throw LedgerError(.invalidProof, "\(origin) holds no entry \(index)") }
        return ChildEntryReference(origin: origin, size: size, index: index, leafHash: MerkleHash.leaf(entry), proof: proof.hashes)
    }
}

extension ChildRegistry {
    /// Checks `reference` against the parent's log alone: the child is
    /// listed, the parent recorded a checkpoint of it at the reference's
    /// size, and the inclusion proof leads from the leaf hash to that root.
    ///
    /// - Throws: `LedgerError` `.domainRule` for an unlisted child;
    ///   `.invalidProof` for a size the parent never recorded, a position
    ///   outside it, malformed hashes or a proof that does not verify.
    public func verify(_ reference: ChildEntryReference) throws(LedgerError) {
        guard children[reference.origin] != nil else {
            throw LedgerError(.domainRule, "a reference to \(reference.origin), which the parent does not list")
        }
        guard let root = root(of: reference.origin, size: reference.size) else {
            throw LedgerError(.invalidProof, "the parent recorded no checkpoint of \(reference.origin) at size \(reference.size)")
        }
        guard reference.index < reference.size else {
            throw LedgerError(.invalidProof, "entry \(reference.index) is outside the checkpoint of \(reference.size) entries")
        }
        guard let leaf = Digest(base64: reference.leafHash), leaf.base64 == reference.leafHash else {
            throw LedgerError(.invalidProof, "leafHash is not the base64 of 32 bytes")
        }
        var proof: [Digest] = []
        for (index, text) in reference.proof.enumerated() {
            guard let hash = Digest(base64: text), hash.base64 == text else {
                throw LedgerError(.invalidProof, "proof[\(index)] is not the base64 of 32 bytes")
            }
            proof.append(hash)
        }
        try MerkleProof.verifyInclusion(index: reference.index, treeSize: reference.size, leafHash: leaf, proof: proof, root: root)
    }

    /// Checks `reference` on both sides: against the parent's log
    /// (``verify(_:)``), then that the child's store holds the entry the
    /// leaf hash names, at that position.
    ///
    /// - Throws: what ``verify(_:)`` throws; `LedgerError`
    ///   `.inconsistentHistory` when the child's entry at that position is
    ///   missing or another; store errors.
    public func verify(_ reference: ChildEntryReference, in child: any EventStoreReader) async throws {
        try verify(reference)
        guard let stored = try await child.entries(from: reference.index, limit: 1).first, stored.position == reference.index else {
            throw LedgerError(
                .inconsistentHistory, "\(reference.origin) holds no entry \(reference.index), which the parent's log references")
        }
        guard MerkleHash.leaf(stored.bytes).base64 == reference.leafHash else {
            throw LedgerError(
                .inconsistentHistory, "\(reference.origin)'s entry \(reference.index) is not the one the parent's log references")
        }
    }
}
