/// Where C2SP tlog-tiles puts a log's Merkle tree and entries as static
/// files, and which of them a tree of a given size has.
///
/// A tile is 256 consecutive Merkle tree hashes at one level: at level 0
/// the leaf hashes, at level *l* the roots of the full tiles of level
/// *l* − 1. The rightmost tiles of a tree are partial (1 to 255 hashes,
/// `.p/<width>`); entry bundles hold the entries of a level-0 tile.
public enum TileLayout {
    /// The hashes in a full tile, the entries in a full bundle.
    public static let width: UInt64 = 256

    /// One tile (or, at level `nil`, one entry bundle) of a tree.
    public struct Tile: Hashable, Sendable {
        /// The level, 0 to 63; `nil` for an entry bundle.
        public var level: Int?
        /// The tile's index within its level.
        public var index: UInt64
        /// How many hashes (or entries) it holds: 256 when full.
        public var width: Int

        /// A tile, or with `level` `nil` an entry bundle.
        public init(level: Int?, index: UInt64, width: Int) {
            self.level = level
            self.index = index
            self.width = width
        }

        /// `true` for a full tile or bundle.
        public var isFull: Bool { UInt64(width) == TileLayout.width }

        /// Its path under the log's prefix: `tile/<L>/<N>[.p/<W>]`, or
        /// `tile/entries/<N>[.p/<W>]` for a bundle.
        public var path: String {
            "tile/" + (level.map(String.init) ?? "entries") + "/" + TileLayout.indexPath(index) + (isFull ? "" : ".p/\(width)")
        }
    }

    /// An index as zero-padded three-digit path elements, all but the last
    /// prefixed with `x`: 1234067 is `x001/x234/067`.
    public static func indexPath(_ index: UInt64) -> String {
        var groups: [String] = []
        var rest = index
        repeat {
            let group = String(rest % 1000)
            groups.append(String(repeating: "0", count: 3 - group.count) + group)
            rest /= 1000
        } while rest > 0
        return groups.reversed().enumerated().map { $0.offset == groups.count - 1 ? $0.element : "x" + $0.element }.joined(separator: "/")
    }

    /// Every tile and entry bundle a tree of `size` entries has: the full
    /// ones and, at each level, the partial one on the right (if any).
    ///
    /// - Complexity: O(`size` / 256): the list itself has about 2 ×
    ///   `size` / 256 elements.
    public static func tiles(forSize size: UInt64) -> [Tile] {
        var tiles: [Tile] = []
        var hashes = size  // the hashes at this level: size / 256^level
        var level = 0
        while hashes > 0, level <= 63 {
            let full = hashes / width
            let rest = Int(hashes % width)
            for index in 0..<full { tiles.append(Tile(level: level, index: index, width: Int(width))) }
            if rest > 0 { tiles.append(Tile(level: level, index: full, width: rest)) }
            if level == 0 {
                for index in 0..<full { tiles.append(Tile(level: nil, index: index, width: Int(width))) }
                if rest > 0 { tiles.append(Tile(level: nil, index: full, width: rest)) }
            }
            hashes = full
            level += 1
        }
        return tiles
    }
}
