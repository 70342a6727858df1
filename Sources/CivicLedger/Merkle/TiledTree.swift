/// A Merkle tree read through its C2SP tlog-tiles: roots and proofs from
/// the stored hashes of tiles alone, without the entries.
///
/// `read` gives the hashes of a tile of the tree (its `width` hashes, in
/// order); it is called only for tiles the tree of ``size`` has. A hash
/// at a height between two tile levels is computed from the tile below.
///
/// ```swift
/// let tree = TiledTree(size: checkpoint.size) { tile in try hashes(inFile: directory + tile.path) }
/// let proof = try tree.inclusionProof(index: 1234)
/// ```
public struct TiledTree: Sendable {
    /// The tree size.
    public let size: UInt64
    private let read: @Sendable (TileLayout.Tile) throws -> [Digest]

    /// The tree of `size` leaves whose tiles `read` gives.
    public init(size: UInt64, read: @escaping @Sendable (TileLayout.Tile) throws -> [Digest]) {
        self.size = size
        self.read = read
    }

    /// The tree's root hash.
    ///
    /// - Throws: what `read` throws; ``LedgerError`` `.invalidProof` when
    ///   a tile has the wrong number of hashes.
    public func root() throws -> Digest {
        size == 0 ? MerkleHash.empty : try root(of: 0..<size)
    }

    /// The inclusion proof of leaf `index` (RFC 9162 §2.1.3).
    public func inclusionProof(index: UInt64) throws -> [Digest] {
        try MerkleProofPlan.inclusion(index: index, size: size).ranges.map(root(of:))
    }

    /// The consistency proof from the tree's first `oldSize` leaves
    /// (RFC 9162 §2.1.4).
    public func consistencyProof(from oldSize: UInt64) throws -> [Digest] {
        try MerkleProofPlan.consistency(size1: oldSize, size2: size).ranges.map(root(of:))
    }

    /// The hash of the leaves of `range`, which starts at a multiple of a
    /// power of two no smaller than its length (as every range of a proof
    /// plan does): the roots of its perfect subtrees, left to right,
    /// hashed together from the right.
    func root(of range: Range<UInt64>) throws -> Digest {
        var parts: [Digest] = []
        var start = range.lowerBound
        while start < range.upperBound {
            var height = 0
            while height < 62, start & ((1 << (height + 1)) - 1) == 0, (1 << (height + 1)) <= range.upperBound - start {
                height += 1
            }
            parts.append(try subtree(height: height, index: start >> height))
            start += 1 << height
        }
        guard var root = parts.popLast() else { return MerkleHash.empty }
        while let left = parts.popLast() { root = MerkleHash.node(left, root) }
        return root
    }

    /// The root of the perfect subtree of 2^`height` leaves at `index`:
    /// a hash a tile holds, or the root of a run of one tile's hashes.
    func subtree(height: Int, index: UInt64) throws -> Digest {
        let level = height / 8
        let below = height % 8
        let first = index << below
        let tileIndex = first / TileLayout.width
        let nodes = size >> (8 * level)
        let width = Int(min(TileLayout.width, nodes - tileIndex * TileLayout.width))
        let hashes = try read(TileLayout.Tile(level: level, index: tileIndex, width: width))
        guard hashes.count == width else {
            throw LedgerError(.invalidProof, "tile \(level)/\(tileIndex) has \(hashes.count) hashes, not \(width)")
        }
        let offset = Int(first - tileIndex * TileLayout.width)
        return MerkleHash.root(ofLeaves: hashes[offset..<offset + (1 << below)])
    }
}

/// Builds a log's tiles and entry bundles as its entries stream past, in
/// O(log n) memory: each tile is handed out once full, and the partial
/// tiles on the right on ``finish(_:)``.
public struct TileBuilder: Sendable {
    /// What a tile file holds.
    public enum Content: Sendable {
        /// A hash tile's hashes.
        case hashes([Digest])
        /// An entry bundle's entries.
        case entries([[UInt8]])
    }

    private var pending: [[Digest]] = [[]]
    private var bundle: [[UInt8]] = []
    private var frontier = MerkleFrontier()

    /// No entries yet.
    public init() {}

    /// The entries so far.
    public var size: UInt64 { frontier.size }
    /// The root of the tree of the entries so far.
    public var root: Digest { frontier.root }

    /// Adds the next entry; hands every tile it completes to `emit`.
    public mutating func append(_ entry: [UInt8], _ emit: (TileLayout.Tile, Content) throws -> Void) rethrows {
        let leaf = MerkleHash.leaf(entry)
        let index = frontier.size / TileLayout.width
        frontier.append(leaf)
        bundle.append(entry)
        if bundle.count == Int(TileLayout.width) {
            try emit(TileLayout.Tile(level: nil, index: index, width: bundle.count), .entries(bundle))
            bundle.removeAll(keepingCapacity: true)
        }
        var hash = leaf
        var level = 0
        while true {
            pending[level].append(hash)
            guard pending[level].count == Int(TileLayout.width) else { break }
            let tileIndex = (frontier.size >> (8 * level)) / TileLayout.width - 1
            try emit(TileLayout.Tile(level: level, index: tileIndex, width: pending[level].count), .hashes(pending[level]))
            hash = MerkleHash.root(ofLeaves: pending[level][...])
            pending[level].removeAll(keepingCapacity: true)
            level += 1
            if pending.count == level { pending.append([]) }
        }
    }

    /// Hands the partial tiles (and bundle) of the tree so far to `emit`.
    public func finish(_ emit: (TileLayout.Tile, Content) throws -> Void) rethrows {
        let index = frontier.size / TileLayout.width
        if !bundle.isEmpty { try emit(TileLayout.Tile(level: nil, index: index, width: bundle.count), .entries(bundle)) }
        for (level, hashes) in pending.enumerated() where !hashes.isEmpty {
            let tileIndex = (frontier.size >> (8 * level)) / TileLayout.width
            try emit(TileLayout.Tile(level: level, index: tileIndex, width: hashes.count), .hashes(hashes))
        }
    }
}

/// Every tile hash of a tree in memory, grown a leaf at a time: how a
/// process that sends checkpoints to witnesses proves any older size
/// consistent without rereading the log. 32 bytes a leaf, and 1/255 more
/// for the levels above.
public struct MemoryTiles: Sendable {
    private var levels: [[Digest]] = [[]]

    /// The empty tree.
    public init() {}

    /// The leaves so far.
    public var size: UInt64 { UInt64(levels[0].count) }

    /// Adds a leaf hash.
    public mutating func append(_ leaf: Digest) {
        var level = 0
        levels[0].append(leaf)
        while levels[level].count % Int(TileLayout.width) == 0 {
            let end = levels[level].count
            let hash = MerkleHash.root(ofLeaves: levels[level][(end - Int(TileLayout.width))..<end])
            level += 1
            if levels.count == level { levels.append([]) }
            levels[level].append(hash)
        }
    }

    /// The tree of the first `size` leaves (at most ``size``).
    public func tree(size: UInt64) -> TiledTree {
        let levels = self.levels
        return TiledTree(size: min(size, self.size)) { tile in
            let level = tile.level ?? 0
            guard level < levels.count else { throw LedgerError(.invalidProof, "no tiles at level \(level)") }
            let start = Int(clamping: tile.index * TileLayout.width)
            let end = start + tile.width
            guard end <= levels[level].count else {
                throw LedgerError(.invalidProof, "tile \(level)/\(tile.index) is past the tree's hashes")
            }
            return Array(levels[level][start..<end])
        }
    }
}
