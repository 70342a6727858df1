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
    /// The hashes of every level: `levels[0]` the leaf hashes, each hash of
    /// `levels[l + 1]` the root of one run of 256 of `levels[l]` (a partial
    /// run is never hashed upward). Tile (*l*, *n*) of width *w* holds
    /// `levels[l][n × 256 ..< n × 256 + w]`.
    public private(set) var levels: [[Digest]] = [[]]

    /// The empty tree.
    public init() {}

    /// The tiles of a tree of these leaf hashes.
    public init(leafHashes: some Sequence<Digest>) {
        for leaf in leafHashes { append(leaf) }
    }

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

extension TileLayout {
    /// The largest entry a C2SP entry bundle can carry (a uint16 length).
    public static let maximumBundledEntry = 65_535

    /// Where a bundle of entries of which one is larger than
    /// ``maximumBundledEntry`` is served instead of `tile/entries/…`: the
    /// same index path under `civic-ledger/entries/`, each entry prefixed
    /// by a big-endian uint32 length (docs/format.md §5.3).
    public static func wideBundlePath(_ tile: Tile) -> String {
        "civic-ledger/entries/" + indexPath(tile.index) + (tile.isFull ? "" : ".p/\(tile.width)")
    }

    /// A hash tile's bytes: the hashes, 32 bytes each.
    public static func encode(hashes: [Digest]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32 * hashes.count)
        for hash in hashes { bytes.append(contentsOf: hash.bytes) }
        return bytes
    }

    /// The hashes of a tile's bytes, which must be `width` hashes.
    ///
    /// - Throws: ``LedgerError`` `.invalidProof` for any other length.
    public static func decodeHashes(_ bytes: [UInt8], width: Int) throws(LedgerError) -> [Digest] {
        guard bytes.count == 32 * width else {
            throw LedgerError(.invalidProof, "a tile of width \(width) is \(32 * width) bytes, not \(bytes.count)")
        }
        return stride(from: 0, to: bytes.count, by: 32).compactMap { Digest(bytes[$0..<$0 + 32]) }
    }

    /// A bundle's bytes, and whether it is the wide form (an entry larger
    /// than ``maximumBundledEntry``: uint32 lengths, at ``wideBundlePath(_:)``).
    public static func encode(bundle entries: [[UInt8]]) -> (bytes: [UInt8], wide: Bool) {
        let wide = entries.contains { $0.count > maximumBundledEntry }
        var writer = ByteWriter(capacity: entries.reduce(0) { $0 + $1.count + 4 })
        for entry in entries {
            if wide {
                writer.u32(UInt32(clamping: entry.count))
            } else {
                writer.raw([UInt8(truncatingIfNeeded: entry.count >> 8), UInt8(truncatingIfNeeded: entry.count)])
            }
            writer.raw(entry)
        }
        return (writer.bytes, wide)
    }

    /// The entries of a bundle's bytes (`wide`: uint32 lengths).
    ///
    /// - Throws: ``LedgerError`` `.invalidProof` when the lengths do not
    ///   add up to the bytes or the count is not `width`.
    public static func decodeBundle(_ bytes: [UInt8], width: Int, wide: Bool) throws(LedgerError) -> [[UInt8]] {
        var entries: [[UInt8]] = []
        var offset = 0
        let prefix = wide ? 4 : 2
        while offset < bytes.count {
            guard bytes.count - offset >= prefix else { throw LedgerError(.invalidProof, "a bundle ends inside a length") }
            let length = bytes[offset..<offset + prefix].reduce(0) { $0 << 8 | Int($1) }
            offset += prefix
            guard bytes.count - offset >= length else { throw LedgerError(.invalidProof, "a bundle ends inside an entry") }
            entries.append(Array(bytes[offset..<offset + length]))
            offset += length
        }
        guard entries.count == width else {
            throw LedgerError(.invalidProof, "the bundle holds \(entries.count) entries, not \(width)")
        }
        return entries
    }
}

/// Where ``TilePublisher`` writes: a folder, a bucket. A sink must make
/// each write atomic (a reader sees the old file or the new one).
public protocol TileSink: Sendable {
    /// Writes `bytes` at `path` (relative to the log's prefix).
    func write(_ bytes: [UInt8], at path: String) async throws
}

/// Publishes a log as C2SP tlog-tiles: every tile and entry bundle of a
/// signed checkpoint's tree, then the checkpoint, to a ``TileSink``.
///
/// Incremental: given the checkpoint published before, full tiles and
/// bundles it already had are not written again (they never change); the
/// partial ones and the new ones are. Nothing is written unless the
/// store's entries have the new checkpoint's root, and the earlier one's
/// at its size (so the folder never mixes two histories).
public enum TilePublisher {
    /// What a publication wrote.
    public struct Summary: Hashable, Sendable {
        /// The checkpoint's size.
        public var size: UInt64
        /// Hash tiles written.
        public var tiles: Int
        /// Entry bundles written (standard and wide).
        public var bundles: Int
        /// Of them, bundles in the wide form (an entry over 65,535 bytes).
        public var wideBundles: Int
    }

    /// Publishes `checkpoint`'s tree from `store` to `sink`: its hash
    /// tiles and the checkpoint, and the entry bundles only when asked.
    ///
    /// Hash tiles and the checkpoint are what witnesses, receipt holders
    /// and consistency checks need, and show nothing of any entry but its
    /// hash. Entry bundles show every entry whole: the caller decides whom
    /// they are for (docs/threat-model.md).
    ///
    /// - Parameters:
    ///   - store: the log's entries.
    ///   - checkpoint: the signed checkpoint to publish (with its cosignatures).
    ///   - previous: the checkpoint the sink holds already (`nil` for a new one).
    ///   - entryBundles: whether to write the entry bundles too.
    ///   - sink: where the files go.
    /// - Throws: ``LedgerError`` `.invalidProof` when the entries do not
    ///   have the checkpoints' roots, or `previous` is larger or of
    ///   another log; what the store and the sink throw.
    public static func publish(
        store: any EventStoreReader, checkpoint: SignedCheckpoint, previous: SignedCheckpoint?, entryBundles: Bool = false,
        to sink: any TileSink
    ) async throws -> Summary {
        let size = checkpoint.checkpoint.size
        if let previous {
            guard previous.checkpoint.origin == checkpoint.checkpoint.origin else {
                throw LedgerError(
                    .invalidProof, "the folder holds the log \(previous.checkpoint.origin), not \(checkpoint.checkpoint.origin)")
            }
            guard previous.checkpoint.size <= size else {
                throw LedgerError(
                    .invalidProof, "the folder's checkpoint (\(previous.checkpoint.size) entries) is newer than the ledger's (\(size))")
            }
        }
        let old = previous?.checkpoint.size ?? 0
        let roots = try await LogProver.streamLeaves(store: store, size: size, earlier: previous == nil ? nil : old) { _, _ in }
        try LogProver.check(roots.root, against: checkpoint)
        if let previous {
            guard (roots.earlier ?? MerkleHash.empty) == previous.checkpoint.root else {
                throw LedgerError(
                    .invalidProof,
                    "the store's first \(old) entries do not have the root of the checkpoint in the folder: it holds another history; publish to a new folder"
                )
            }
        }

        var summary = Summary(size: size, tiles: 0, bundles: 0, wideBundles: 0)
        var builder = TileBuilder()
        var ready: [(TileLayout.Tile, TileBuilder.Content)] = []
        func write(_ tile: TileLayout.Tile, _ content: TileBuilder.Content) async throws {
            // A full tile the previous tree had is there already: its end
            // index (at most the size, so no overflow) is within it.
            let end = (tile.index + 1) * TileLayout.width << (8 * UInt64(tile.level ?? 0))
            if tile.isFull, end <= old { return }
            switch content {
            case .hashes(let hashes):
                try await sink.write(TileLayout.encode(hashes: hashes), at: tile.path)
                summary.tiles += 1
            case .entries(let entries):
                guard entryBundles else { return }
                let (bytes, wide) = TileLayout.encode(bundle: entries)
                try await sink.write(bytes, at: wide ? TileLayout.wideBundlePath(tile) : tile.path)
                summary.bundles += 1
                if wide { summary.wideBundles += 1 }
            }
        }
        for try await page in StoredPages(store: store, from: 0, to: size) {
            for stored in page {
                builder.append(stored.bytes) { ready.append(($0, $1)) }
                for (tile, content) in ready { try await write(tile, content) }
                ready.removeAll(keepingCapacity: true)
            }
        }
        guard builder.size == size, builder.root == checkpoint.checkpoint.root else {
            throw LedgerError(.invalidProof, "the store changed while its tiles were written; publish again")
        }
        builder.finish { ready.append(($0, $1)) }
        for (tile, content) in ready { try await write(tile, content) }
        try await sink.write(Array(checkpoint.serialized.utf8), at: "checkpoint")
        return summary
    }
}
