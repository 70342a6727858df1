/// Which subtrees an RFC 9162 proof is made of (§2.1.3.1 and §2.1.4.1), so
/// that a proof can be computed from leaf hashes as they stream past,
/// without holding the tree.
///
/// A proof is the list of the roots of these leaf ranges, in order. The
/// ranges are disjoint, so every leaf feeds at most one of them: streaming
/// the log once with ``ProofCollector`` costs one hash per leaf and
/// O(log n) memory.
///
/// ```swift
/// var collector = ProofCollector(plan: try .inclusion(index: 5, size: 1000))
/// for (position, leaf) in leafHashes { collector.add(leaf, at: position) }
/// let proof = collector.proof
/// ```
public struct MerkleProofPlan: Hashable, Sendable {
    /// The leaf ranges whose subtree roots make the proof, in proof order.
    public let ranges: [Range<UInt64>]
    /// The tree size the proof is for (the larger size of a consistency proof).
    public let size: UInt64

    /// The plan of the inclusion proof of leaf `index` in a tree of `size` leaves.
    ///
    /// - Throws: ``LedgerError`` `.invalidProof` when `index` is not below `size`.
    public static func inclusion(index: UInt64, size: UInt64) throws(LedgerError) -> MerkleProofPlan {
        guard index < size else {
            throw LedgerError(.invalidProof, "no inclusion proof for index \(index) in a tree of \(size) leaves")
        }
        var ranges: [Range<UInt64>] = []
        path(index, 0..<size, into: &ranges)
        return MerkleProofPlan(ranges: ranges, size: size)
    }

    /// The plan of the consistency proof from a tree of `size1` leaves to
    /// one of `size2`.
    ///
    /// - Throws: ``LedgerError`` `.invalidProof` unless `0 < size1 ≤ size2`
    ///   (a proof from the empty tree proves nothing).
    public static func consistency(size1: UInt64, size2: UInt64) throws(LedgerError) -> MerkleProofPlan {
        guard size1 > 0, size1 <= size2 else {
            throw LedgerError(.invalidProof, "no consistency proof from size \(size1) to \(size2)")
        }
        var ranges: [Range<UInt64>] = []
        if size1 < size2 { subproof(size1, 0..<size2, complete: true, into: &ranges) }
        return MerkleProofPlan(ranges: ranges, size: size2)
    }

    static func path(_ m: UInt64, _ range: Range<UInt64>, into ranges: inout [Range<UInt64>]) {
        guard range.count > 1 else { return }
        let split = range.lowerBound + largestPowerOfTwo(below: UInt64(range.count))
        if m < split - range.lowerBound {
            path(m, range.lowerBound..<split, into: &ranges)
            ranges.append(split..<range.upperBound)
        } else {
            path(m - (split - range.lowerBound), split..<range.upperBound, into: &ranges)
            ranges.append(range.lowerBound..<split)
        }
    }

    static func subproof(_ m: UInt64, _ range: Range<UInt64>, complete: Bool, into ranges: inout [Range<UInt64>]) {
        let n = UInt64(range.count)
        if m == n {
            if !complete { ranges.append(range) }
            return
        }
        let k = largestPowerOfTwo(below: n)
        let split = range.lowerBound + k
        if m <= k {
            subproof(m, range.lowerBound..<split, complete: complete, into: &ranges)
            ranges.append(split..<range.upperBound)
        } else {
            subproof(m - k, split..<range.upperBound, complete: false, into: &ranges)
            ranges.append(range.lowerBound..<split)
        }
    }

    /// The largest power of two strictly below `n` (n ≥ 2).
    static func largestPowerOfTwo(below n: UInt64) -> UInt64 {
        var k: UInt64 = 1
        while k << 1 < n { k <<= 1 }
        return k
    }
}

/// Computes a proof from leaf hashes given in position order: feed every
/// leaf of the tree (or at least every leaf the plan's ranges cover) with
/// ``add(_:at:)``, then call ``proof()``.
public struct ProofCollector: Sendable {
    /// The plan being filled.
    public let plan: MerkleProofPlan
    private var order: [Int]
    private var trees: [MerkleFrontier]
    private var cursor = 0

    /// A collector for `plan`.
    public init(plan: MerkleProofPlan) {
        self.plan = plan
        order = plan.ranges.indices.sorted { plan.ranges[$0].lowerBound < plan.ranges[$1].lowerBound }
        trees = Array(repeating: MerkleFrontier(), count: plan.ranges.count)
    }

    /// Feeds the leaf hash at `position`. Positions must come in increasing order.
    public mutating func add(_ leaf: Digest, at position: UInt64) {
        while cursor < order.count, plan.ranges[order[cursor]].upperBound <= position { cursor += 1 }
        guard cursor < order.count, plan.ranges[order[cursor]].contains(position) else { return }
        trees[order[cursor]].append(leaf)
    }

    /// `true` once every range has all its leaves.
    public var isComplete: Bool {
        zip(plan.ranges, trees).allSatisfy { UInt64($0.0.count) == $0.1.size }
    }

    /// The proof: the root of each range, in proof order.
    ///
    /// - Throws: ``LedgerError`` `.invalidProof` when leaves are missing.
    public func proof() throws(LedgerError) -> [Digest] {
        guard isComplete else {
            throw LedgerError(.invalidProof, "the log ended before the proof's leaves: it needs \(plan.size) leaves")
        }
        return trees.map(\.root)
    }
}
