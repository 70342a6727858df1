import CivicLedger
import PropertyBased
import Testing

@Suite("Merkle tree properties")
struct MerklePropertyTests {
    static func leaves(_ count: Int, salt: Int) -> [Digest] {
        (0..<count).map { MerkleHash.leaf(Array("leaf \($0) \(salt)".utf8)) }
    }

    @Test("the root after any sequence of batch appends equals the root from scratch")
    func incrementalRootEqualsScratch() async {
        await propertyCheck(input: Gen.int(in: 0...40).array(of: 1...12), Gen.int(in: 0...1000)) { batches, salt in
            let all = Self.leaves(batches.reduce(0, +), salt: salt)
            var frontier = MerkleFrontier()
            var builder = MerkleTreeBuilder()
            var offset = 0
            for batch in batches {
                for leaf in all[offset..<offset + batch] {
                    frontier.append(leaf)
                    builder.append(leaf)
                }
                offset += batch
                #expect(frontier.root == builder.root(), "after \(offset) leaves")
                let reparsed = try MerkleFrontier(serialized: frontier.serialized)
                #expect(reparsed == frontier)
            }
        }
    }

    @Test("generated inclusion and consistency proofs verify, and fail for another root")
    func generatedProofsVerify() async throws {
        await propertyCheck(input: Gen.int(in: 1...70), Gen.int(in: 0...1000)) { size, salt in
            let builder = MerkleTreeBuilder(leaves: Self.leaves(size, salt: salt))
            let root = builder.root()
            for index in stride(from: 0, to: size, by: max(1, size / 7)) {
                let proof = try builder.inclusionProof(index: UInt64(index), size: UInt64(size))
                try MerkleProof.verifyInclusion(index: UInt64(index), treeSize: UInt64(size), leafHash: builder.leaves[index], proof: proof, root: root)
                #expect(throws: LedgerError.self) {
                    try MerkleProof.verifyInclusion(index: UInt64(index), treeSize: UInt64(size), leafHash: builder.leaves[index], proof: proof, root: MerkleHash.leaf([9]))
                }
            }
            for old in stride(from: 1, through: size, by: max(1, size / 5)) {
                let proof = try builder.consistencyProof(size1: UInt64(old), size2: UInt64(size))
                try MerkleProof.verifyConsistency(size1: UInt64(old), size2: UInt64(size), proof: proof, root1: builder.root(size: UInt64(old)), root2: root)
                if old < size {
                    #expect(throws: LedgerError.self) {
                        try MerkleProof.verifyConsistency(size1: UInt64(old), size2: UInt64(size), proof: proof, root1: MerkleHash.leaf([9]), root2: root)
                    }
                }
            }
        }
    }

    @Test("a serialized frontier with the wrong number of hashes is rejected")
    func frontierRejectsJunk() {
        var frontier = MerkleFrontier()
        for leaf in Self.leaves(5, salt: 1) { frontier.append(leaf) }
        #expect(throws: LedgerError.self) { try MerkleFrontier(serialized: frontier.serialized.dropLast()) }
        #expect(throws: LedgerError.self) { try MerkleFrontier(serialized: frontier.serialized + [0]) }
    }
}
