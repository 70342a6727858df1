/// Dense numbers for stream names: the first stream inserted is 0, the next
/// 1, and so on, so a projection keeps its per-stream state in plain arrays
/// indexed by these numbers.
///
/// A projection's hot path looks a stream up once per entry. A `Dictionary`
/// with `String` keys spends most of that lookup in SipHash; this index
/// hashes the name's UTF-8 with a few multiplications (seeded at random per
/// process, so crafted stream names cannot force collisions), keeps each
/// name's hash to skip string comparisons, and probes linearly in a table
/// kept at most half full. Looking up or inserting allocates nothing once
/// the table has grown.
///
/// The index is a value: equal, hashed and encoded by its names in
/// insertion order, never by its table, which depends on the seed.
public struct StreamIndex: Sendable, Hashable, Codable {
    /// The names, in insertion order: `names[i]` has number `i`.
    public private(set) var names: [String] = []
    /// The hash of each name, in the order of ``names``.
    @usableFromInline var hashes: [UInt64] = []
    /// Open addressing: 0 is empty, otherwise a name's number plus one.
    @usableFromInline var slots: [UInt32] = Array(repeating: 0, count: 16)
    @usableFromInline var seed: UInt64 = StreamIndex.processSeed

    static let processSeed = UInt64.random(in: .min ... .max)

    /// An empty index.
    public init() {}

    /// An index numbering `names` in order.
    ///
    /// - Precondition: the names are distinct.
    public init(_ names: some Sequence<String>) {
        for name in names {
            let (_, inserted) = insert(name)
            precondition(inserted, "stream \(name) listed twice")
        }
    }

    /// How many names it holds.
    @inlinable public var count: Int { names.count }

    /// The number of `name`, or `nil` when it has none.
    @inlinable public func number(of name: String) -> Int? {
        find(Self.hash(name, seed: seed), name).number
    }

    /// The number of `entry`'s stream, or `nil` when it has none: hashes
    /// the stream's bytes where the entry stores them.
    @inlinable public func number(ofStreamOf entry: LedgerEntry) -> Int? {
        let hash = entry.withStreamUTF8 { Self.hash($0, seed: seed) }
        return find(hash, entry.stream).number
    }

    /// The number of `name`, giving it the next one when it has none.
    ///
    /// - Returns: the number, and `true` when `name` was new.
    @discardableResult
    public mutating func insert(_ name: String) -> (number: Int, inserted: Bool) {
        insert(name, hash: Self.hash(name, seed: seed))
    }

    /// The number of `entry`'s stream, giving it the next one when it has
    /// none.
    ///
    /// - Returns: the number, and `true` when the stream was new.
    @discardableResult
    public mutating func insert(streamOf entry: LedgerEntry) -> (number: Int, inserted: Bool) {
        insert(entry.stream, hash: entry.withStreamUTF8 { Self.hash($0, seed: seed) })
    }

    /// `name`'s number if it has one, else the empty slot where it would go.
    @inlinable func find(_ hash: UInt64, _ name: String) -> (number: Int?, slot: Int) {
        slots.withUnsafeBufferPointer { slots -> (number: Int?, slot: Int) in
            let mask = slots.count - 1
            var slot = Int(truncatingIfNeeded: hash) & mask
            while true {
                let held = slots[slot]
                if held == 0 { return (nil, slot) }
                let number = Int(held) - 1
                if hashes[number] == hash, names[number] == name { return (number, slot) }
                slot = (slot + 1) & mask
            }
        }
    }

    mutating func insert(_ name: String, hash: UInt64) -> (number: Int, inserted: Bool) {
        let (found, slot) = find(hash, name)
        if let found { return (found, false) }
        let number = names.count
        precondition(number < Int(UInt32.max - 1), "a stream index holds fewer than 2^32 - 1 streams")
        names.append(name)
        hashes.append(hash)
        slots[slot] = UInt32(number + 1)
        if names.count * 2 > slots.count { grow() }
        return (number, true)
    }

    /// Doubles the table and places every name again.
    mutating func grow() {
        var table = [UInt32](repeating: 0, count: slots.count * 2)
        let mask = table.count - 1
        for (number, hash) in hashes.enumerated() {
            var slot = Int(truncatingIfNeeded: hash) & mask
            while table[slot] != 0 { slot = (slot + 1) & mask }
            table[slot] = UInt32(number + 1)
        }
        slots = table
    }

    /// A seeded 64-bit hash of `name`'s UTF-8: eight bytes at a time, each
    /// word folded in by a 64×64→128-bit multiply (as wyhash does). Each
    /// word is combined with the secret seed before it is multiplied, so no
    /// chosen word can zero a factor without knowing the seed.
    @inlinable static func hash(_ raw: UnsafeRawBufferPointer, seed: UInt64) -> UInt64 {
        let count = raw.count
        var state = seed ^ (UInt64(truncatingIfNeeded: count) &* 0x9E37_79B9_7F4A_7C15)
        var offset = 0
        while offset + 8 <= count {
            state = mix(raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self) ^ seed, state ^ 0xA076_1D64_78BD_642F)
            offset += 8
        }
        if offset < count {
            // The last eight bytes, overlapping the words before (the
            // length is in the state), or the few bytes of a short name.
            var last: UInt64 = 0
            if count >= 8 {
                last = raw.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
            } else {
                for index in 0..<count { last = last << 8 | UInt64(raw[index]) }
            }
            state = mix(last ^ seed, state ^ 0xE703_7ED1_A0B4_28DB)
        }
        return mix(state, seed ^ 0x8EBC_6AF0_9C88_C6E3)
    }

    /// The hash of `name`'s UTF-8: the same as for the same bytes stored in
    /// an entry.
    @inlinable static func hash(_ name: String, seed: UInt64) -> UInt64 {
        var name = name
        return name.withUTF8 { hash(UnsafeRawBufferPointer($0), seed: seed) }
    }

    @inlinable static func mix(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let product = a.multipliedFullWidth(by: b)
        return product.high ^ product.low
    }

    public static func == (lhs: StreamIndex, rhs: StreamIndex) -> Bool { lhs.names == rhs.names }

    public func hash(into hasher: inout Hasher) { hasher.combine(names) }

    public init(from decoder: any Decoder) throws {
        let names = try decoder.singleValueContainer().decode([String].self)
        guard Set(names).count == names.count else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "a stream index lists a stream twice"))
        }
        self.init(names)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(names)
    }
}
