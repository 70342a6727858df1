/// Writes values in the compact form (see ``CompactCoder``).
final class CompactEncoder: Encoder {
    var bytes: [UInt8] = []
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [CompactCoder.userInfoKey: true] }

    init() { bytes.reserveCapacity(1 << 16) }

    func varint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    func fixed(_ value: UInt64, _ count: Int) {
        for index in (0..<count).reversed() { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(index)))) }
    }

    /// A count, then each element.
    func elements<C: Collection>(_ collection: C) throws where C.Element: Encodable {
        varint(UInt64(collection.count))
        for element in collection { try encodeValue(element) }
    }

    func signed(_ value: Int64) { varint(UInt64(bitPattern: (value << 1) ^ (value >> 63))) }

    /// Strings seen so far, by the number the decoder gives them.
    private var strings: [String: UInt64] = [:]

    /// A string the first time as 0, its length and its UTF-8; after
    /// that as its number plus one (numbers count from 0 in order of
    /// first use), so the decoder makes each distinct string once and
    /// shares it.
    func string(_ value: String) {
        if let number = strings[value] {
            varint(number + 1)
            return
        }
        if value.utf8.count <= CompactCoder.longestShared { strings[value] = UInt64(strings.count) }
        bytes.append(0)
        var value = value
        value.withUTF8 { utf8 in
            varint(UInt64(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    /// Dispatches on the static type, never on the value: a cast of an
    /// optional to `UInt64` would unwrap it and lose its presence byte.
    func encodeValue<T: Encodable>(_ value: T) throws {
        if T.self == [UInt8].self {
            let raw = unsafeBitCast(value, to: [UInt8].self)
            varint(UInt64(raw.count))
            bytes.append(contentsOf: raw)
            return
        }
        if let special = T.self as? any CompactEncodable.Type {
            try special.compactEncode(value, to: self)
            return
        }
        switch value {
        case let value as String: string(value)
        case let value as Int: signed(Int64(value))
        case let value as Int64: signed(value)
        case let value as UInt64: varint(value)
        case let value as UInt32: varint(UInt64(value))
        case let value as Int32: signed(Int64(value))
        case let value as UInt8: bytes.append(value)
        case let value as Bool: bytes.append(value ? 1 : 0)
        case let value as Int8: signed(Int64(value))
        case let value as Int16: signed(Int64(value))
        case let value as UInt16: varint(UInt64(value))
        case let value as UInt: varint(UInt64(value))
        case let value as Double: fixed(value.bitPattern, 8)
        case let value as Float: fixed(UInt64(value.bitPattern), 4)
        default: try value.encode(to: self)
        }
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(Keyed<Key>(encoder: self))
    }
    func unkeyedContainer() -> any UnkeyedEncodingContainer { Unkeyed(encoder: self) }
    func singleValueContainer() -> any SingleValueEncodingContainer { Single(encoder: self) }

    struct Keyed<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let encoder: CompactEncoder
        var codingPath: [any CodingKey] { [] }
        mutating func encodeNil(forKey key: Key) throws { throw CompactEncoder.unsupported("encodeNil(forKey:)") }
        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws { try encoder.encodeValue(value) }
        mutating func encodeIfPresent<T: Encodable>(_ value: T?, forKey key: Key) throws { try encoder.encodeValue(value) }
        mutating func encodeIfPresent(_ value: Bool?, forKey key: Key) throws { try encoder.encodeValue(value) }
        mutating func encodeIfPresent(_ value: String?, forKey key: Key) throws { try encoder.encodeValue(value) }
        mutating func encodeIfPresent(_ value: Double?, forKey key: Key) throws { try encoder.encodeValue(value) }
        mutating func encodeIfPresent(_ value: Float?, forKey key: Key) throws { try encoder.encodeValue(value) }
        mutating func encodeIfPresent(_ value: Int?, forKey key: Key) throws { try encoder.encodeValue(value) }
        mutating func encodeIfPresent(_ value: Int8?, forKey key: Key) throws { try encoder.encodeValue(value) }
        mutating func encodeIfPresent(_ value: Int16?, forKey key: Key) throws { try encoder.encodeValue(value) }
        mutating func encodeIfPresent(_ value: Int32?, forKey key: Key) throws { try encoder.encodeValue(value) }
        mutating func encodeIfPresent(_ value: Int64?, forKey key: Key) throws { try encoder.encodeValue(value) }
        mutating func encodeIfPresent(_ value: UInt?, forKey key: Key) throws { try encoder.encodeValue(value) }
        mutating func encodeIfPresent(_ value: UInt8?, forKey key: Key) throws { try encoder.encodeValue(value) }
        mutating func encodeIfPresent(_ value: UInt16?, forKey key: Key) throws { try encoder.encodeValue(value) }
        mutating func encodeIfPresent(_ value: UInt32?, forKey key: Key) throws { try encoder.encodeValue(value) }
        mutating func encodeIfPresent(_ value: UInt64?, forKey key: Key) throws { try encoder.encodeValue(value) }
        mutating func encode(_ value: Bool, forKey key: Key) throws { try encoder.encodeValue(value) }
        mutating func encode(_ value: String, forKey key: Key) throws { try encoder.encodeValue(value) }
        mutating func encode(_ value: Double, forKey key: Key) throws { try encoder.encodeValue(value) }
        mutating func encode(_ value: Float, forKey key: Key) throws { try encoder.encodeValue(value) }
        mutating func encode(_ value: Int, forKey key: Key) throws { try encoder.encodeValue(value) }
        mutating func encode(_ value: Int8, forKey key: Key) throws { try encoder.encodeValue(value) }
        mutating func encode(_ value: Int16, forKey key: Key) throws { try encoder.encodeValue(value) }
        mutating func encode(_ value: Int32, forKey key: Key) throws { try encoder.encodeValue(value) }
        mutating func encode(_ value: Int64, forKey key: Key) throws { try encoder.encodeValue(value) }
        mutating func encode(_ value: UInt, forKey key: Key) throws { try encoder.encodeValue(value) }
        mutating func encode(_ value: UInt8, forKey key: Key) throws { try encoder.encodeValue(value) }
        mutating func encode(_ value: UInt16, forKey key: Key) throws { try encoder.encodeValue(value) }
        mutating func encode(_ value: UInt32, forKey key: Key) throws { try encoder.encodeValue(value) }
        mutating func encode(_ value: UInt64, forKey key: Key) throws { try encoder.encodeValue(value) }
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
            encoder.container(keyedBy: keyType)
        }
        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer { encoder.unkeyedContainer() }
        mutating func superEncoder() -> any Encoder { encoder }
        mutating func superEncoder(forKey key: Key) -> any Encoder { encoder }
    }

    /// An unkeyed container a type opens itself (arrays, sets and
    /// dictionaries are written without one): not supported, since the
    /// form has no place for its count.
    struct Unkeyed: UnkeyedEncodingContainer {
        let encoder: CompactEncoder
        var codingPath: [any CodingKey] { [] }
        var count: Int { 0 }
        init(encoder: CompactEncoder) { self.encoder = encoder }
        mutating func encodeNil() throws { throw CompactEncoder.unsupported("an unkeyed container") }
        mutating func encode<T: Encodable>(_ value: T) throws { throw CompactEncoder.unsupported("an unkeyed container") }
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
            encoder.container(keyedBy: keyType)
        }
        mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer { encoder.unkeyedContainer() }
        mutating func superEncoder() -> any Encoder { encoder }
    }

    struct Single: SingleValueEncodingContainer {
        let encoder: CompactEncoder
        var codingPath: [any CodingKey] { [] }
        mutating func encodeNil() throws { throw CompactEncoder.unsupported("encodeNil()") }
        mutating func encode<T: Encodable>(_ value: T) throws { try encoder.encodeValue(value) }
        mutating func encode(_ value: Bool) throws { try encoder.encodeValue(value) }
        mutating func encode(_ value: String) throws { try encoder.encodeValue(value) }
        mutating func encode(_ value: Double) throws { try encoder.encodeValue(value) }
        mutating func encode(_ value: Float) throws { try encoder.encodeValue(value) }
        mutating func encode(_ value: Int) throws { try encoder.encodeValue(value) }
        mutating func encode(_ value: Int8) throws { try encoder.encodeValue(value) }
        mutating func encode(_ value: Int16) throws { try encoder.encodeValue(value) }
        mutating func encode(_ value: Int32) throws { try encoder.encodeValue(value) }
        mutating func encode(_ value: Int64) throws { try encoder.encodeValue(value) }
        mutating func encode(_ value: UInt) throws { try encoder.encodeValue(value) }
        mutating func encode(_ value: UInt8) throws { try encoder.encodeValue(value) }
        mutating func encode(_ value: UInt16) throws { try encoder.encodeValue(value) }
        mutating func encode(_ value: UInt32) throws { try encoder.encodeValue(value) }
        mutating func encode(_ value: UInt64) throws { try encoder.encodeValue(value) }
    }

    static func unsupported(_ what: String) -> EncodingError {
        EncodingError.invalidValue((), EncodingError.Context(codingPath: [], debugDescription: "\(what) has no compact form"))
    }
}
