import CivicLedger
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
        let levels = TileLayout.levels(leafHashes: leaves)
        #expect(levels.map(\.count) == [70_000, 273, 1])
        for index in [0, 1, 137, 272] {
            #expect(levels[1][index] == MerkleHash.root(ofLeaves: leaves[index * 256..<(index + 1) * 256]))
        }
        #expect(levels[2][0] == MerkleHash.root(ofLeaves: leaves[0..<65_536]))
        for tile in TileLayout.tiles(forSize: 70_000) where tile.level != nil {
            let level = tile.level ?? 0
            #expect(Int(tile.index) * 256 + tile.width <= levels[level].count, "\(tile.path)")
        }
        #expect(TileLayout.levels(leafHashes: Array(leaves.prefix(255))).count == 1)
    }
}
