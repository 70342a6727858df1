import CSodium

/// The RFC 6962 / RFC 9162 hash functions of the log (SHA-256):
/// leaf = SHA-256(0x00 ‖ entry), node = SHA-256(0x01 ‖ left ‖ right), and
/// the empty tree's root = SHA-256 of no bytes.
public enum MerkleHash {
    /// The root of the empty tree.
    public static let empty: Digest = SHA256.hash([UInt8]())

    /// The leaf hash of an entry's bytes, without copying them.
    @inlinable public static func leaf(_ entry: some ContiguousBytesCollection) -> Digest {
        entry.withContiguousBytes { leaf($0) }
    }

    /// The leaf hash of raw bytes.
    public static func leaf(_ entry: UnsafeRawBufferPointer) -> Digest {
        withUnsafeBytes(of: UInt8(0)) { prefix in SHA256.hash(parts: [prefix, entry]) }
    }

    /// The hash of an interior node.
    public static func node(_ left: Digest, _ right: Digest) -> Digest {
        precondition(Sodium.ready)
        return withUnsafeTemporaryAllocation(byteCount: 65, alignment: 8) { buffer in
            buffer[0] = 1
            left.raw.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: buffer[1..<33]).copyMemory(from: $0) }
            right.raw.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: buffer[33..<65]).copyMemory(from: $0) }
            return SHA256.hash(UnsafeRawBufferPointer(buffer))
        }
    }

    /// The root of the tree over `leaves` (leaf hashes), computed from
    /// scratch.
    ///
    /// - Complexity: O(n) hashes.
    public static func root(ofLeaves leaves: some Collection<Digest>) -> Digest {
        var frontier = MerkleFrontier()
        for leaf in leaves { frontier.append(leaf) }
        return frontier.root
    }
}
