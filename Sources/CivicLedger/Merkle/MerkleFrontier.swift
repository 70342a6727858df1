/// The right edge of a Merkle tree: the roots of its perfect subtrees, one
/// per set bit of the size, largest first.
///
/// It is all the ledger needs to extend the tree and compute its root, so
/// the ledger persists it with every commit instead of rehashing the log
/// when it opens.
///
/// - Complexity: ``append(_:)`` is amortised O(1) hashes and ``root`` is
///   O(log n); the state is at most 64 digests.
public struct MerkleFrontier: Hashable, Sendable {
    /// The number of leaves.
    public private(set) var size: UInt64
    /// The perfect-subtree roots, largest subtree first.
    public private(set) var hashes: [Digest]

    /// The empty tree.
    public init() {
        size = 0
        hashes = []
    }

    /// Appends one leaf hash.
    public mutating func append(_ leaf: Digest) {
        var hash = leaf
        var bits = size
        while bits & 1 == 1 {
            hash = MerkleHash.node(hashes.removeLast(), hash)
            bits >>= 1
        }
        hashes.append(hash)
        size += 1
    }

    /// The tree's root hash (RFC 9162 MTH).
    public var root: Digest {
        guard var root = hashes.last else { return MerkleHash.empty }
        for hash in hashes.dropLast().reversed() {
            root = MerkleHash.node(hash, root)
        }
        return root
    }

    /// The serialised form: u64 size, then the digests (docs/format.md §5).
    public var serialized: [UInt8] {
        var writer = ByteWriter(capacity: 8 + 32 * hashes.count)
        writer.u64(size)
        for hash in hashes { writer.raw(hash.raw) }
        return writer.bytes
    }

    /// Parses ``serialized``; the digest count must equal the size's set bits.
    public init(serialized bytes: [UInt8]) throws(LedgerError) {
        self = try withBytes(bytes) { (buffer) throws(LedgerError) in
            var reader = ByteReader(buffer)
            let frontier = try MerkleFrontier(reading: &reader)
            try reader.expectEnd("frontier")
            return frontier
        }
    }

    /// Reads a serialised frontier from `reader`.
    init(reading reader: inout ByteReader) throws(LedgerError) {
        let size = try reader.u64("frontier size")
        var hashes: [Digest] = []
        for _ in 0..<size.nonzeroBitCount {
            hashes.append(Digest(raw: try reader.bytes32("frontier hash")))
        }
        self.size = size
        self.hashes = hashes
    }
}
