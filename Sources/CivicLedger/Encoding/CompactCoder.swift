/// A compact binary form for `Codable` values, for state that is written
/// and read back by the same code: the ledger's sealed domain snapshots
/// (docs/format.md §8.1). About a third of the JSON's size and several times
/// faster to read, which is what lets a ledger with a million entries
/// open in under a second.
///
/// The form is positional, not self-describing: a struct's fields are
/// written in the order its `encode(to:)` writes them, without names, and
/// read back in the order its `init(from:)` reads them (as synthesised
/// conformances do), after a version byte that other versions of the
/// form are refused by. Integers are LEB128 varints (signed ones zigzagged),
/// strings of up to 64 bytes a varint length and UTF-8 the first time and their number after (longer ones written out each time), `[UInt8]` a varint count and the bytes, optionals a presence byte, arrays,
/// sets and dictionaries a varint count and their elements (a dictionary's
/// key before its value, in iteration order). Keys a keyed container is
/// asked for are not checked: a type whose `init(from:)` reads fields in
/// another order than `encode(to:)` writes them, or that asks for
/// `allKeys`, cannot use this form. Decoding never traps on bad bytes: a
/// truncated or malformed input throws `DecodingError.dataCorrupted`
/// naming the offset.
public enum CompactCoder {
    /// Set to `true` in the `userInfo` of the compact form's encoder and
    /// decoder, so that a type whose `Codable` form is meant for JSON
    /// (bytes as base64 text) can write its bytes as bytes here.
    public static let userInfoKey = CodingUserInfoKey(rawValue: "civic-ledger.compact-form")!

    /// Strings longer than this many UTF-8 bytes are written out each time
    /// and not numbered: they are almost never repeated (sealed fields as
    /// text, free text), and the decoder need not keep them.
    static let longestShared = 64

    /// The bytes of `value`.
    public static func encode(_ value: some Encodable) throws -> [UInt8] {
        let encoder = CompactEncoder()
        encoder.bytes.append(version)
        try encoder.encodeValue(value)
        return encoder.bytes
    }

    /// The first byte of the form, its version: bytes of another version
    /// are refused, never read as this one.
    static let version: UInt8 = 0xC2

    /// The value `bytes` encode; every byte must be used.
    public static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        try decode(type, from: SnapshotReader(bytes: bytes))
    }

    /// The value a stored snapshot's data encode, read `chunkSize` bytes
    /// at a time (the data is never held whole); every byte must be used.
    public static func decode<T: Decodable>(_ type: T.Type, from reader: SnapshotReader, chunkSize: Int = 1 << 20) throws -> T {
        let decoder = CompactDecoder(reader, chunkSize: max(1, chunkSize))
        let first = try decoder.byte()
        guard first == version else { throw decoder.corrupted("version \(first), not \(version): bytes of another form") }
        let value = try decoder.decodeValue(T.self)
        guard decoder.position == reader.count else {
            throw decoder.corrupted("\(reader.count - decoder.position) bytes follow the value")
        }
        return value
    }
}

// MARK: Collections, written without containers

/// Values the coder writes itself: optionals, arrays, sets, dictionaries.
protocol CompactEncodable {
    func compactEncode(to encoder: CompactEncoder) throws
}

extension CompactEncodable {
    /// Encodes `value`, whose static type is `Self`.
    static func compactEncode<V>(_ value: V, to encoder: CompactEncoder) throws {
        guard let typed = value as? Self else { throw CompactEncoder.unsupported("internal: \(V.self) as \(Self.self)") }
        try typed.compactEncode(to: encoder)
    }
}

/// Values the coder reads itself.
protocol CompactDecodable {
    static func compactDecode(from decoder: CompactDecoder) throws -> Self
}

extension Optional: CompactEncodable where Wrapped: Encodable {
    func compactEncode(to encoder: CompactEncoder) throws {
        switch self {
        case .none: encoder.bytes.append(0)
        case .some(let value):
            encoder.bytes.append(1)
            try encoder.encodeValue(value)
        }
    }
}

extension Optional: CompactDecodable where Wrapped: Decodable {
    static func compactDecode(from decoder: CompactDecoder) throws -> Self {
        try decoder.decodeOptional(Wrapped.self)
    }
}

extension Array: CompactEncodable where Element: Encodable {
    func compactEncode(to encoder: CompactEncoder) throws { try encoder.elements(self) }
}

extension Array: CompactDecodable where Element: Decodable {
    static func compactDecode(from decoder: CompactDecoder) throws -> Self {
        let count = try decoder.count()
        var array: [Element] = []
        array.reserveCapacity(count)
        for _ in 0..<count { array.append(try decoder.decodeValue(Element.self)) }
        return array
    }
}

extension Set: CompactEncodable where Element: Encodable {
    func compactEncode(to encoder: CompactEncoder) throws { try encoder.elements(self) }
}

extension Set: CompactDecodable where Element: Decodable {
    static func compactDecode(from decoder: CompactDecoder) throws -> Self {
        let count = try decoder.count()
        var set = Set(minimumCapacity: count)
        for _ in 0..<count {
            guard set.insert(try decoder.decodeValue(Element.self)).inserted else { throw decoder.corrupted("a set element twice") }
        }
        return set
    }
}

extension Dictionary: CompactEncodable where Key: Encodable, Value: Encodable {
    func compactEncode(to encoder: CompactEncoder) throws {
        encoder.varint(UInt64(count))
        for (key, value) in self {
            try encoder.encodeValue(key)
            try encoder.encodeValue(value)
        }
    }
}

extension Dictionary: CompactDecodable where Key: Decodable, Value: Decodable {
    static func compactDecode(from decoder: CompactDecoder) throws -> Self {
        let count = try decoder.count()
        var dictionary = Self(minimumCapacity: count)
        for _ in 0..<count {
            let key = try decoder.decodeValue(Key.self)
            guard dictionary.updateValue(try decoder.decodeValue(Value.self), forKey: key) == nil else {
                throw decoder.corrupted("a dictionary key twice")
            }
        }
        return dictionary
    }
}

extension PublicKey: CompactEncodable, CompactDecodable {
    /// The 32 bytes, not the base64 of its `Codable` form.
    func compactEncode(to encoder: CompactEncoder) throws { raw.withUnsafeBytes { encoder.bytes.append(contentsOf: $0) } }

    static func compactDecode(from decoder: CompactDecoder) throws -> PublicKey {
        try decoder.ensure(32)
        guard let key = PublicKey(decoder.window[decoder.offset..<decoder.offset + 32]) else { throw decoder.corrupted("ends inside a public key") }
        decoder.offset += 32
        return key
    }
}
