/// Makes RFC 9162 proofs over leaf hashes held in memory (§2.1.3.1 and
/// §2.1.4.1), in O(log n) hashes each.
///
/// Keeps every complete subtree's hash: `levels[k][i]` is the root of the
/// `2^k` leaves from `i·2^k`, filled in as the leaves arrive (appending is
/// amortised O(1): one node hash per leaf on average). A proof's subtrees
/// are then read from the levels, and only those on the tree's ragged
/// right edge are hashed, along that edge. Memory: about two hashes
/// (64 bytes) per leaf.
///
/// The reference for proofs: tests and logs held in memory use it
/// directly, and stores that keep interior nodes must agree with it.
public struct MerkleTreeBuilder: Sendable {
    /// Complete subtrees' roots by height; `levels[0]` are the leaves.
    var levels: [[Digest]] = [[]]

    /// The leaf hashes, in order.
    public var leaves: [Digest] { levels[0] }

    /// A tree over these leaf hashes.
    public init(leaves: [Digest] = []) {
        levels[0].reserveCapacity(leaves.count)
        for leaf in leaves { append(leaf) }
    }

    /// Appends a leaf hash.
    public mutating func append(_ leaf: Digest) {
        levels[0].append(leaf)
        var height = 0
        // Each time a level's count becomes even, its last two nodes make a
        // complete node one level up.
        while levels[height].count % 2 == 0 {
            let count = levels[height].count
            let node = MerkleHash.node(levels[height][count - 2], levels[height][count - 1])
            if levels.count == height + 1 { levels.append([]) }
            levels[height + 1].append(node)
            height += 1
        }
    }

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

    /// The root of the subtree over `range`, a node of the RFC 9162 tree:
    /// read from the levels when complete (a power of two, aligned),
    /// otherwise its complete left part and its right part hashed.
    func subtreeRoot(_ range: Range<Int>) -> Digest {
        let count = range.count
        if count & (count - 1) == 0 {
            let height = count.trailingZeroBitCount
            if range.lowerBound % count == 0, height < levels.count, range.lowerBound / count < levels[height].count {
                return levels[height][range.lowerBound / count]
            }
            if count == 1 { return levels[0][range.lowerBound] }
        }
        let k = Self.largestPowerOfTwo(below: count)
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
