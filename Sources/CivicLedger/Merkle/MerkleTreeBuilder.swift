/// Makes RFC 9162 proofs over leaf hashes held in memory (§2.1.3.1 and
/// §2.1.4.1).
///
/// The reference for proofs: tests and small logs use it directly, and
/// stores that keep interior nodes must agree with it.
public struct MerkleTreeBuilder: Sendable {
    /// The leaf hashes, in order.
    public private(set) var leaves: [Digest]

    /// A tree over these leaf hashes.
    public init(leaves: [Digest] = []) { self.leaves = leaves }

    /// Appends a leaf hash.
    public mutating func append(_ leaf: Digest) { leaves.append(leaf) }

    /// The root of the first `size` leaves.
    public func root(size: UInt64? = nil) -> Digest {
        let n = Int(size ?? UInt64(leaves.count))
        return n == 0 ? MerkleHash.empty : subtreeRoot(0..<n)
    }

    /// The inclusion proof for leaf `index` in the tree of the first `size`
    /// leaves.
    public func inclusionProof(index: UInt64, size: UInt64) throws(LedgerError) -> [Digest] {
        guard size <= UInt64(leaves.count) else {
            throw LedgerError(.invalidProof, "no inclusion proof for index \(index) in a tree of \(size) leaves (log has \(leaves.count))")
        }
        return try MerkleProofPlan.inclusion(index: index, size: size).ranges.map(subtreeRoot)
    }

    /// The consistency proof from the first `size1` leaves to the first `size2`.
    public func consistencyProof(size1: UInt64, size2: UInt64) throws(LedgerError) -> [Digest] {
        guard size2 <= UInt64(leaves.count) else {
            throw LedgerError(.invalidProof, "no consistency proof from size \(size1) to \(size2) (log has \(leaves.count))")
        }
        return try MerkleProofPlan.consistency(size1: size1, size2: size2).ranges.map(subtreeRoot)
    }

    func subtreeRoot(_ range: Range<UInt64>) -> Digest {
        subtreeRoot(Int(range.lowerBound)..<Int(range.upperBound))
    }

    func subtreeRoot(_ range: Range<Int>) -> Digest {
        if range.count == 1 { return leaves[range.lowerBound] }
        let k = Self.largestPowerOfTwo(below: range.count)
        return MerkleHash.node(
            subtreeRoot(range.lowerBound..<range.lowerBound + k),
            subtreeRoot(range.lowerBound + k..<range.upperBound))
    }

    /// The largest power of two strictly below `n` (n ≥ 2).
    static func largestPowerOfTwo(below n: Int) -> Int {
        var k = 1
        while k << 1 < n { k <<= 1 }
        return k
    }
}
