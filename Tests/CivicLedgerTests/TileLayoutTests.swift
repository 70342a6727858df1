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
}
