import CivicLedger
import CivicLedgerTesting
import Foundation
import Testing

@Suite("C2SP tlog-tiles layout")
struct TileLayoutTests {
    @Test("index paths: groups of three digits, x before all but the last")
    func paths() {
        #expect(TileLayout.indexPath(1_234_067) == "x001/x234/067")
        #expect(TileLayout.indexPath(0) == "000")
        #expect(TileLayout.indexPath(999) == "999")
        #expect(TileLayout.indexPath(1000) == "x001/000")
        #expect(TileLayout.Tile(level: 2, index: 1_234_067, width: 256).path == "tile/2/x001/x234/067")
        #expect(TileLayout.Tile(level: 0, index: 5, width: 112).path == "tile/0/005.p/112")
        #expect(TileLayout.Tile(level: nil, index: 273, width: 112).path == "tile/entries/273.p/112")
    }

    @Test("the spec's examples: a tree of 70,000 and one of 256")
    func examples() {
        let tiles = TileLayout.tiles(forSize: 70_000)
        let level0 = tiles.filter { $0.level == 0 }
        #expect(level0.filter(\.isFull).count == 273 && level0.filter { !$0.isFull }.map(\.width) == [112])
        let level1 = tiles.filter { $0.level == 1 }
        #expect(level1.filter(\.isFull).count == 1 && level1.filter { !$0.isFull }.map(\.width) == [17])
        #expect(tiles.filter { $0.level == 2 }.map(\.width) == [1])
        #expect(tiles.filter { $0.level == nil }.count == 274)
        #expect(!tiles.contains { ($0.level ?? 0) > 2 })

        let small = TileLayout.tiles(forSize: 256)
        #expect(small.filter { $0.level == 0 }.map(\.width) == [256])
        #expect(small.filter { $0.level == 1 }.map(\.width) == [1])
        #expect(TileLayout.tiles(forSize: 0).isEmpty)
    }

    @Test("tile hashes: each hash above level 0 is the root of the 256 hashes below it, and the levels are as wide as the tiles")
    func levels() {
        let leaves = (0..<70_000).map { SHA256.hash(Array("leaf \($0)".utf8)) }
        let levels = MemoryTiles(leafHashes: leaves).levels
        #expect(levels.map(\.count) == [70_000, 273, 1])
        for index in [0, 1, 137, 272] {
            #expect(levels[1][index] == MerkleHash.root(ofLeaves: leaves[index * 256..<(index + 1) * 256]))
        }
        #expect(levels[2][0] == MerkleHash.root(ofLeaves: leaves[0..<65_536]))
        for tile in TileLayout.tiles(forSize: 70_000) where tile.level != nil {
            let level = tile.level ?? 0
            #expect(Int(tile.index) * 256 + tile.width <= levels[level].count, "\(tile.path)")
        }
        #expect(MemoryTiles(leafHashes: leaves.prefix(255)).levels.count == 1)
    }
}

@Suite("Proofs from tiles alone (TiledTree, TileBuilder, MemoryTiles)")
struct TiledTreeTests {
    static let entries = (0..<70_000).map { Array("entry \($0)".utf8) }
    static let leaves = entries.map(MerkleHash.leaf)
    static let builder = MerkleTreeBuilder(leaves: leaves)

    @Test("roots, inclusion and consistency proofs read from in-memory tiles verify, at sizes on and off tile edges")
    func memoryTiles() throws {
        var tiles = MemoryTiles()
        for leaf in Self.leaves { tiles.append(leaf) }
        for size: UInt64 in [1, 2, 255, 256, 257, 511, 65_535, 65_536, 65_537, 69_999, 70_000] {
            let tree = tiles.tree(size: size)
            let root = try tree.root()
            #expect(root == Self.builder.root(size: size), "root of \(size)")
            for index in Set([0, size / 3, size / 2, size - 1]) {
                let proof = try tree.inclusionProof(index: index)
                try MerkleProof.verifyInclusion(index: index, treeSize: size, leafHash: Self.leaves[Int(index)], proof: proof, root: root)
                #expect(proof == (try Self.builder.inclusionProof(index: index, size: size)), "inclusion \(index) of \(size)")
            }
            for old in Set([1, size / 2, size - 1, size]) where old > 0 {
                let proof = try tree.consistencyProof(from: old)
                try MerkleProof.verifyConsistency(size1: old, size2: size, proof: proof, root1: Self.builder.root(size: old), root2: root)
            }
        }
    }

    @Test("TileBuilder hands out exactly the tiles and bundles of the spec's layout, full ones once, and a tree read from them proves")
    func builder() throws {
        let size = 70_000
        var files: [String: TileBuilder.Content] = [:]
        var builder = TileBuilder()
        var duplicates = 0
        for entry in Self.entries.prefix(size) {
            builder.append(entry) { tile, content in
                if files.updateValue(content, forKey: tile.path) != nil { duplicates += 1 }
                #expect(tile.isFull)
            }
        }
        builder.finish { tile, content in
            #expect(!tile.isFull)
            files[tile.path] = content
        }
        #expect(duplicates == 0)
        #expect(Set(files.keys) == Set(TileLayout.tiles(forSize: UInt64(size)).map(\.path)))
        #expect(builder.root == Self.builder.root(size: UInt64(size)))
        guard case .entries(let bundle)? = files["tile/entries/273.p/112"] else {
            Issue.record("no partial bundle")
            return
        }
        #expect(bundle == Array(Self.entries[273 * 256..<size]))
        let snapshot = files
        let tree = TiledTree(size: UInt64(size)) { tile in
            guard case .hashes(let hashes)? = snapshot[tile.path] else { throw LedgerError(.invalidProof, "no \(tile.path)") }
            return hashes
        }
        let root = try tree.root()
        #expect(root == builder.root)
        let proof = try tree.inclusionProof(index: 12_345)
        try MerkleProof.verifyInclusion(index: 12_345, treeSize: UInt64(size), leafHash: Self.leaves[12_345], proof: proof, root: root)
        // A tile with a hash changed gives another root.
        let tampered = TiledTree(size: UInt64(size)) { tile in
            guard case .hashes(var hashes)? = snapshot[tile.path] else { throw LedgerError(.invalidProof, "no \(tile.path)") }
            if tile.level == 1 { hashes[3] = SHA256.hash([0]) }
            return hashes
        }
        #expect(try tampered.root() != root)
        // A tile of the wrong width is refused.
        let short = TiledTree(size: UInt64(size)) { _ in [] }
        #expect(throws: LedgerError.self) { try short.root() }
    }
}

/// Tile files in memory.
actor MemoryTileSink: TileSink {
    var files: [String: [UInt8]] = [:]
    func write(_ bytes: [UInt8], at path: String) async throws { files[path] = bytes }
}

@Suite("TilePublisher")
struct TilePublisherTests {
    @Test("an entry over 65,535 bytes: its bundle is written in the wide form at civic-ledger/entries/ (uint32 lengths), not at tile/entries/")
    func wideBundle() async throws {
        let fixture = try await LedgerFixture.make()
        let worker = try await fixture.enrol("worker-1", role: "worker", scope: "town")
        for index in 0..<300 {
            let note = index == 260 ? String(repeating: "长", count: 30_000) : "note \(index)"
            _ = try await fixture.ledger.append(
                try fixture.event(by: worker, stream: "s/\(index)", kind: "note", payload: Array(#"{"note":"\#(note)"}"#.utf8)))
        }
        let checkpoint = try await fixture.ledger.checkpoint()
        let sink = MemoryTileSink()
        let summary = try await TilePublisher.publish(store: fixture.store, checkpoint: checkpoint, previous: nil, entryBundles: true, to: sink)
        let files = await sink.files
        let size = checkpoint.checkpoint.size
        let partial = TileLayout.Tile(level: nil, index: 1, width: Int(size - 256))
        #expect(summary.wideBundles == 1 && summary.bundles == 2)
        #expect(files[partial.path] == nil)
        let wide = try TileLayout.decodeBundle(try #require(files[TileLayout.wideBundlePath(partial)]), width: partial.width, wide: true)
        #expect(wide.contains { $0.count > TileLayout.maximumBundledEntry })
        let hashes = try TileLayout.decodeHashes(try #require(files["tile/0/001.p/\(partial.width)"]), width: partial.width)
        #expect(wide.map(MerkleHash.leaf) == hashes)
        #expect(files["tile/entries/000"] != nil && files["checkpoint"] == Array(checkpoint.serialized.utf8))

        // Republishing from this checkpoint: full tiles are not written again.
        _ = try await fixture.ledger.append(try fixture.event(by: worker, stream: "s/last", kind: "note"))
        let next = try await fixture.ledger.checkpoint()
        let again = MemoryTileSink()
        let incremental = try await TilePublisher.publish(store: fixture.store, checkpoint: next, previous: checkpoint, entryBundles: true, to: again)
        #expect(await again.files["tile/0/000"] == nil && incremental.tiles == 2)  // 0/001.p/W and 1/000.p/1
        // A previous checkpoint that is not this history's, or is newer: refused, nothing written.
        let foreign = try SignedCheckpoint(
            signing: Checkpoint(origin: LedgerFixture.origin, size: 5, root: SHA256.hash([5])), with: fixture.logKey)
        let refused = MemoryTileSink()
        await #expect(throws: LedgerError.self) {
            try await TilePublisher.publish(store: fixture.store, checkpoint: next, previous: foreign, entryBundles: true, to: refused)
        }
        await #expect(throws: LedgerError.self) {
            try await TilePublisher.publish(store: fixture.store, checkpoint: checkpoint, previous: next, entryBundles: true, to: refused)
        }
        #expect(await refused.files.isEmpty)
    }
}

@Suite("CachedLogProver")
struct CachedLogProverTests {
    @Test("its proofs are LogProver's, as the log grows; a checkpoint the entries do not have is refused")
    func sameProofs() async throws {
        let fixture = try await LedgerFixture.make()
        let worker = try await fixture.enrol("worker-1", role: "worker", scope: "town")
        let prover = CachedLogProver(store: fixture.store)
        var checkpoints: [SignedCheckpoint] = []
        for round in 0..<3 {
            for index in 0..<(100 + 150 * round) {
                _ = try await fixture.ledger.append(try fixture.event(by: worker, stream: "s/\(round)/\(index)", kind: "note"))
            }
            let checkpoint = try await fixture.ledger.checkpoint()
            checkpoints.append(checkpoint)
            for index in [0, checkpoint.checkpoint.size / 2, checkpoint.checkpoint.size - 1] {
                let cached = try await prover.inclusion(index: index, checkpoint: checkpoint)
                let streamed = try await LogProver.inclusion(store: fixture.store, index: index, checkpoint: checkpoint)
                #expect(cached == streamed, "inclusion \(index) of \(checkpoint.checkpoint.size)")
            }
        }
        // Many first requests at once on a new prover: one reads the log, the
        // others wait for it (the actor is reentrant at each page read).
        let slow = InterceptingStore(base: fixture.store) { _, _ in usleep(20_000) }  // a read that takes a while
        let fresh = CachedLogProver(store: slow)
        let latest = try #require(checkpoints.last)
        let proofs = try await withThrowingTaskGroup(of: InclusionProof.self) { group in
            for index in 0..<16 as Range<UInt64> { group.addTask { try await fresh.inclusion(index: index * 40, checkpoint: latest) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        for proof in proofs {
            #expect(proof == (try await LogProver.inclusion(store: fixture.store, index: proof.index, checkpoint: latest)))
        }
        let cached = try await prover.consistency(old: checkpoints[0], new: checkpoints[2])
        #expect(cached == (try await LogProver.consistency(store: fixture.store, old: checkpoints[0], new: checkpoints[2])))
        let wrong = try SignedCheckpoint(
            signing: Checkpoint(origin: LedgerFixture.origin, size: checkpoints[1].checkpoint.size, root: SHA256.hash([4])), with: fixture.logKey)
        await #expect(throws: LedgerError.self) { try await prover.inclusion(index: 3, checkpoint: wrong) }
        let beyond = try SignedCheckpoint(
            signing: Checkpoint(origin: LedgerFixture.origin, size: 1_000_000, root: SHA256.hash([4])), with: fixture.logKey)
        await #expect(throws: LedgerError.self) { try await prover.inclusion(index: 3, checkpoint: beyond) }
    }
}
