/// Verification of RFC 9162 inclusion and consistency proofs (§2.1.3.2 and
/// §2.1.4.2).
///
/// These work on raw bytes so that they can check proofs read from files
/// and from other implementations exactly as given; a hash of the wrong
/// length simply fails to match.
public enum MerkleProof {
    /// Checks that the leaf with hash `leafHash` is at `index` in the tree of
    /// `treeSize` leaves whose root is `root`.
    ///
    /// - Throws: ``LedgerError`` `.invalidProof`, saying why.
    public static func verifyInclusion(
        index: UInt64, treeSize: UInt64, leafHash: [UInt8], proof: [[UInt8]], root: [UInt8]
    ) throws(LedgerError) {
        guard index < treeSize else {
            throw LedgerError(.invalidProof, "leaf index \(index) is not below tree size \(treeSize)")
        }
        guard leafHash.count == 32 else {
            throw LedgerError(.invalidProof, "leaf hash is \(leafHash.count) bytes, not 32")
        }
        var fn = index
        var sn = treeSize - 1
        var r = Digest(leafHash)!
        for element in proof {
            guard sn != 0 else {
                throw LedgerError(.invalidProof, "inclusion proof has more hashes than the tree needs")
            }
            guard let p = Digest(element) else {
                throw LedgerError(.invalidProof, "a proof hash is \(element.count) bytes, not 32")
            }
            if fn & 1 == 1 || fn == sn {
                r = MerkleHash.node(p, r)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                r = MerkleHash.node(r, p)
            }
            fn >>= 1
            sn >>= 1
        }
        guard sn == 0 else {
            throw LedgerError(.invalidProof, "inclusion proof has fewer hashes than the tree needs")
        }
        guard r.bytes == root else {
            throw LedgerError(.invalidProof, "inclusion proof leads to root \(r.base64), not the given root")
        }
    }

    /// Checks that the tree of `size2` leaves with root `root2` extends the
    /// tree of `size1` leaves with root `root1`: the log only grew.
    ///
    /// A proof from the empty tree (size 0) is rejected as meaningless.
    ///
    /// - Throws: ``LedgerError`` `.invalidProof`, saying why.
    public static func verifyConsistency(
        size1: UInt64, size2: UInt64, proof: [[UInt8]], root1: [UInt8], root2: [UInt8]
    ) throws(LedgerError) {
        guard size1 <= size2 else {
            throw LedgerError(.invalidProof, "the old size \(size1) is larger than the new size \(size2)")
        }
        guard size1 > 0 else {
            throw LedgerError(.invalidProof, "a consistency proof from the empty tree proves nothing")
        }
        if size1 == size2 {
            guard proof.isEmpty else {
                throw LedgerError(.invalidProof, "sizes are equal, so the proof must be empty; it has \(proof.count) hashes")
            }
            guard root1 == root2 else {
                throw LedgerError(.invalidProof, "sizes are equal but the roots differ")
            }
            return
        }
        guard !proof.isEmpty else {
            throw LedgerError(.invalidProof, "the consistency proof is empty")
        }
        var path: [Digest] = []
        path.reserveCapacity(proof.count + 1)
        if size1 & (size1 - 1) == 0 {
            guard let first = Digest(root1) else {
                throw LedgerError(.invalidProof, "old root is \(root1.count) bytes, not 32")
            }
            path.append(first)
        }
        for element in proof {
            guard let digest = Digest(element) else {
                throw LedgerError(.invalidProof, "a proof hash is \(element.count) bytes, not 32")
            }
            path.append(digest)
        }
        var fn = size1 - 1
        var sn = size2 - 1
        while fn & 1 == 1 {
            fn >>= 1
            sn >>= 1
        }
        var fr = path[0]
        var sr = path[0]
        for c in path.dropFirst() {
            guard sn != 0 else {
                throw LedgerError(.invalidProof, "consistency proof has more hashes than the trees need")
            }
            if fn & 1 == 1 || fn == sn {
                fr = MerkleHash.node(c, fr)
                sr = MerkleHash.node(c, sr)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                sr = MerkleHash.node(sr, c)
            }
            fn >>= 1
            sn >>= 1
        }
        guard sn == 0 else {
            throw LedgerError(.invalidProof, "consistency proof has fewer hashes than the trees need")
        }
        guard fr.bytes == root1 else {
            throw LedgerError(.invalidProof, "consistency proof does not lead to the old root")
        }
        guard sr.bytes == root2 else {
            throw LedgerError(.invalidProof, "consistency proof does not lead to the new root")
        }
    }

    /// Typed form of ``verifyInclusion(index:treeSize:leafHash:proof:root:)``.
    public static func verifyInclusion(index: UInt64, treeSize: UInt64, leafHash: Digest, proof: [Digest], root: Digest) throws(LedgerError)
    {
        try verifyInclusion(index: index, treeSize: treeSize, leafHash: leafHash.bytes, proof: proof.map(\.bytes), root: root.bytes)
    }

    /// Typed form of ``verifyConsistency(size1:size2:proof:root1:root2:)``.
    public static func verifyConsistency(size1: UInt64, size2: UInt64, proof: [Digest], root1: Digest, root2: Digest) throws(LedgerError) {
        try verifyConsistency(size1: size1, size2: size2, proof: proof.map(\.bytes), root1: root1.bytes, root2: root2.bytes)
    }
}
