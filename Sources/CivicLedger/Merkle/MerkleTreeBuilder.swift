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
        guard index < size, size <= UInt64(leaves.count) else {
            throw LedgerError(.invalidProof, "no inclusion proof for index \(index) in a tree of \(size) leaves (log has \(leaves.count))")
        }
        var proof: [Digest] = []
        path(Int(index), 0..<Int(size), into: &proof)
        return proof
    }

    /// The consistency proof from the first `size1` leaves to the first `size2`.
    public func consistencyProof(size1: UInt64, size2: UInt64) throws(LedgerError) -> [Digest] {
        guard size1 > 0, size1 <= size2, size2 <= UInt64(leaves.count) else {
            throw LedgerError(.invalidProof, "no consistency proof from size \(size1) to \(size2) (log has \(leaves.count))")
        }
        var proof: [Digest] = []
        if size1 < size2 { subproof(Int(size1), 0..<Int(size2), complete: true, into: &proof) }
        return proof
    }

    func subtreeRoot(_ range: Range<Int>) -> Digest {
        if range.count == 1 { return leaves[range.lowerBound] }
        let k = Self.largestPowerOfTwo(below: range.count)
        return MerkleHash.node(
            subtreeRoot(range.lowerBound..<range.lowerBound + k),
            subtreeRoot(range.lowerBound + k..<range.upperBound))
    }

    func path(_ m: Int, _ range: Range<Int>, into proof: inout [Digest]) {
        guard range.count > 1 else { return }
        let k = Self.largestPowerOfTwo(below: range.count)
        let split = range.lowerBound + k
        if m < k {
            path(m, range.lowerBound..<split, into: &proof)
            proof.append(subtreeRoot(split..<range.upperBound))
        } else {
            path(m - k, split..<range.upperBound, into: &proof)
            proof.append(subtreeRoot(range.lowerBound..<split))
        }
    }

    func subproof(_ m: Int, _ range: Range<Int>, complete: Bool, into proof: inout [Digest]) {
        let n = range.count
        if m == n {
            if !complete { proof.append(subtreeRoot(range)) }
            return
        }
        let k = Self.largestPowerOfTwo(below: n)
        let split = range.lowerBound + k
        if m <= k {
            subproof(m, range.lowerBound..<split, complete: complete, into: &proof)
            proof.append(subtreeRoot(split..<range.upperBound))
        } else {
            subproof(m - k, split..<range.upperBound, complete: false, into: &proof)
            proof.append(subtreeRoot(range.lowerBound..<split))
        }
    }

    /// The largest power of two strictly below `n` (n ≥ 2).
    static func largestPowerOfTwo(below n: Int) -> Int {
        var k = 1
        while k << 1 < n { k <<= 1 }
        return k
    }
}
