/// Reads values in the compact form (see ``CompactCoder``), a window at a time.
final class CompactDecoder: Decoder {
    /// Where the bytes come from, a window at a time.
    let reader: SnapshotReader
    /// The bytes read and not yet used start at `offset`.
    var window: [UInt8] = []
    var offset = 0
    /// How many bytes came before the window.
    var windowStart = 0
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [CompactCoder.userInfoKey: true] }

    /// How much to read at a time.
    let chunkSize: Int

    init(_ reader: SnapshotReader, chunkSize: Int = 1 << 20) {
        self.reader = reader
        self.chunkSize = chunkSize
    }

    /// The position of the next byte in the whole input.
    var position: Int { windowStart + offset }

    func corrupted(_ what: String) -> DecodingError {
        DecodingError.dataCorrupted(DecodingError.Context(codingPath: [], debugDescription: "compact form, byte \(position): \(what)"))
    }

    /// Makes `count` bytes available from `offset`, reading a megabyte (or
    /// `count`) more when the window runs short.
    @inline(__always) func ensure(_ count: Int) throws {
        if window.count - offset >= count { return }
        try refill(count)
    }

    private func refill(_ count: Int) throws {
        guard reader.count - position >= count else { throw corrupted("ends early") }
        let kept = window.count - offset
        let size = Swift.max(chunkSize, count)
        var next = [UInt8](repeating: 0, count: Swift.min(kept + size, kept + reader.count - reader.offset))
        next.withUnsafeMutableBytes { buffer in
            window.withUnsafeBytes { old in
                if kept > 0, let base = old.baseAddress { buffer.copyMemory(from: UnsafeRawBufferPointer(start: base + offset, count: kept)) }
            }
        }
        let read = try next.withUnsafeMutableBytes { buffer in try reader.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[kept...])) }
        next.removeLast(next.count - kept - read)
        windowStart += offset
        window = next
        offset = 0
        guard window.count >= count else { throw corrupted("ends early") }
    }

    func byte() throws -> UInt8 {
        try ensure(1)
        defer { offset += 1 }
        return window[offset]
    }

    func varint() throws -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let byte = try byte()
            guard shift < 64, shift < 63 || byte <= 1 else { throw corrupted("a varint longer than 64 bits") }
            value |= UInt64(byte & 0x7f) << shift
            if byte < 0x80 { return value }
            shift += 7
        }
    }

    func signed() throws -> Int64 {
        let raw = try varint()
        return Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
    }

    /// A count of elements, each at least a byte long.
    func count() throws -> Int {
        let count = try varint()
        let left = reader.count - position
        guard count <= UInt64(left) else { throw corrupted("a count of \(count) with \(left) bytes left") }
        return Int(count)
    }

    /// A count, then that many bytes, copied once.
    func rawBytes() throws -> [UInt8] {
        let length = try count()
        try ensure(length)
        defer { offset += length }
        return Array(window[offset..<offset + length])
    }

    /// The strings read so far, in order of first use (see
    /// ``CompactEncoder/string(_:)``).
    private var strings: [String] = []

    func string() throws -> String {
        let reference = try varint()
        if reference > 0 {
            guard reference <= UInt64(strings.count) else { throw corrupted("string \(reference - 1) of \(strings.count)") }
            return strings[Int(reference - 1)]
        }
        let length = try count()
        try ensure(length)
        defer { offset += length }
        let string = window.withUnsafeBufferPointer { buffer in
            String(decoding: UnsafeBufferPointer(rebasing: buffer[offset..<offset + length]), as: UTF8.self)
        }
        if length <= CompactCoder.longestShared { strings.append(string) }
        return string
    }

    func integer<T: FixedWidthInteger>(_ type: T.Type) throws -> T {
        if T.isSigned {
            let value = try signed()
            guard let exact = T(exactly: value) else { throw corrupted("\(value) does not fit \(T.self)") }
            return exact
        }
        let value = try varint()
        guard let exact = T(exactly: value) else { throw corrupted("\(value) does not fit \(T.self)") }
        return exact
    }

    func bool() throws -> Bool {
        switch try byte() {
        case 0: return false
        case 1: return true
        case let other: throw corrupted("\(other) is not a Bool")
        }
    }

    func floatingBits(_ count: Int) throws -> UInt64 {
        try ensure(count)
        var value: UInt64 = 0
        for _ in 0..<count {
            value = value << 8 | UInt64(window[offset])
            offset += 1
        }
        return value
    }

    /// Whether each type the decoder met reads itself (``CompactDecodable``):
    /// asked of the runtime once per type, not once per value.
    private var special: [ObjectIdentifier: (any CompactDecodable.Type)?] = [:]

    /// Dispatches on the static type by identity (cheap), then on whether
    /// it reads itself, then on its own `init(from:)`.
    func decodeValue<T: Decodable>(_ type: T.Type) throws -> T {
        if T.self == String.self { return unsafeBitCast(try string(), to: T.self) }
        if T.self == [UInt8].self { return unsafeBitCast(try rawBytes(), to: T.self) }
        if T.self == UInt64.self { return unsafeBitCast(try varint(), to: T.self) }
        if T.self == Int64.self { return unsafeBitCast(try signed(), to: T.self) }
        if T.self == Int.self { return unsafeBitCast(try integer(Int.self), to: T.self) }
        if T.self == Bool.self { return unsafeBitCast(try bool(), to: T.self) }
        if T.self == UInt32.self { return unsafeBitCast(try integer(UInt32.self), to: T.self) }
        if T.self == Int32.self { return unsafeBitCast(try integer(Int32.self), to: T.self) }
        if T.self == UInt8.self { return unsafeBitCast(try byte(), to: T.self) }
        if T.self == Int8.self { return unsafeBitCast(try integer(Int8.self), to: T.self) }
        if T.self == Int16.self { return unsafeBitCast(try integer(Int16.self), to: T.self) }
        if T.self == UInt16.self { return unsafeBitCast(try integer(UInt16.self), to: T.self) }
        if T.self == UInt.self { return unsafeBitCast(try integer(UInt.self), to: T.self) }
        if T.self == Double.self { return unsafeBitCast(Double(bitPattern: try floatingBits(8)), to: T.self) }
        if T.self == Float.self { return unsafeBitCast(Float(bitPattern: UInt32(truncatingIfNeeded: try floatingBits(4))), to: T.self) }
        let id = ObjectIdentifier(T.self)
        let reader: (any CompactDecodable.Type)?
        if let known = special[id] {
            reader = known
        } else {
            reader = T.self as? any CompactDecodable.Type
            special[id] = reader
        }
        guard let reader else { return try T(from: self) }
        guard let typed = try reader.compactDecode(from: self) as? T else { throw corrupted("internal: \(reader) read for \(T.self)") }
        return typed
    }

    /// A presence byte, then the value when present.
    func decodeOptional<T: Decodable>(_ type: T.Type) throws -> T? {
        switch try byte() {
        case 0: return nil
        case 1: return try decodeValue(T.self)
        case let other: throw corrupted("presence byte \(other)")
        }
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(Keyed<Key>(decoder: self))
    }
    func unkeyedContainer() throws -> any UnkeyedDecodingContainer { Unkeyed(decoder: self) }
    func singleValueContainer() throws -> any SingleValueDecodingContainer { Single(decoder: self) }

    struct Keyed<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let decoder: CompactDecoder
        var codingPath: [any CodingKey] { [] }
        var allKeys: [Key] { [] }
        func contains(_ key: Key) -> Bool { true }
        func decodeNil(forKey key: Key) throws -> Bool { throw decoder.corrupted("decodeNil(forKey:) has no compact form") }
        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try decoder.decodeValue(type) }
        func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? { try decoder.decodeOptional(type) }
        func decodeIfPresent(_ type: Bool.Type, forKey key: Key) throws -> Bool? { try decoder.decodeOptional(type) }
        func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? { try decoder.decodeOptional(type) }
        func decodeIfPresent(_ type: Double.Type, forKey key: Key) throws -> Double? { try decoder.decodeOptional(type) }
        func decodeIfPresent(_ type: Float.Type, forKey key: Key) throws -> Float? { try decoder.decodeOptional(type) }
        func decodeIfPresent(_ type: Int.Type, forKey key: Key) throws -> Int? { try decoder.decodeOptional(type) }
        func decodeIfPresent(_ type: Int8.Type, forKey key: Key) throws -> Int8? { try decoder.decodeOptional(type) }
        func decodeIfPresent(_ type: Int16.Type, forKey key: Key) throws -> Int16? { try decoder.decodeOptional(type) }
        func decodeIfPresent(_ type: Int32.Type, forKey key: Key) throws -> Int32? { try decoder.decodeOptional(type) }
        func decodeIfPresent(_ type: Int64.Type, forKey key: Key) throws -> Int64? { try decoder.decodeOptional(type) }
        func decodeIfPresent(_ type: UInt.Type, forKey key: Key) throws -> UInt? { try decoder.decodeOptional(type) }
        func decodeIfPresent(_ type: UInt8.Type, forKey key: Key) throws -> UInt8? { try decoder.decodeOptional(type) }
        func decodeIfPresent(_ type: UInt16.Type, forKey key: Key) throws -> UInt16? { try decoder.decodeOptional(type) }
        func decodeIfPresent(_ type: UInt32.Type, forKey key: Key) throws -> UInt32? { try decoder.decodeOptional(type) }
        func decodeIfPresent(_ type: UInt64.Type, forKey key: Key) throws -> UInt64? { try decoder.decodeOptional(type) }
        func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try decoder.decodeValue(type) }
        func decode(_ type: String.Type, forKey key: Key) throws -> String { try decoder.decodeValue(type) }
        func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try decoder.decodeValue(type) }
        func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try decoder.decodeValue(type) }
        func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try decoder.decodeValue(type) }
        func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try decoder.decodeValue(type) }
        func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try decoder.decodeValue(type) }
        func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try decoder.decodeValue(type) }
        func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try decoder.decodeValue(type) }
        func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try decoder.decodeValue(type) }
        func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try decoder.decodeValue(type) }
        func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try decoder.decodeValue(type) }
        func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try decoder.decodeValue(type) }
        func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try decoder.decodeValue(type) }
        func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
            try decoder.container(keyedBy: type)
        }
        func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer { try decoder.unkeyedContainer() }
        func superDecoder() throws -> any Decoder { decoder }
        func superDecoder(forKey key: Key) throws -> any Decoder { decoder }
    }

    /// See ``CompactEncoder/Unkeyed``: not supported.
    struct Unkeyed: UnkeyedDecodingContainer {
        let decoder: CompactDecoder
        var codingPath: [any CodingKey] { [] }
        var count: Int? { 0 }
        var currentIndex: Int { 0 }
        var isAtEnd: Bool { true }
        init(decoder: CompactDecoder) { self.decoder = decoder }
        mutating func decodeNil() throws -> Bool { throw decoder.corrupted("an unkeyed container has no compact form") }
        mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { throw decoder.corrupted("an unkeyed container has no compact form") }
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
            try decoder.container(keyedBy: type)
        }
        mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer { try decoder.unkeyedContainer() }
        mutating func superDecoder() throws -> any Decoder { decoder }
    }

    struct Single: SingleValueDecodingContainer {
        let decoder: CompactDecoder
        var codingPath: [any CodingKey] { [] }
        func decodeNil() -> Bool { false }
        func decode<T: Decodable>(_ type: T.Type) throws -> T { try decoder.decodeValue(type) }
        func decode(_ type: Bool.Type) throws -> Bool { try decoder.decodeValue(type) }
        func decode(_ type: String.Type) throws -> String { try decoder.decodeValue(type) }
        func decode(_ type: Double.Type) throws -> Double { try decoder.decodeValue(type) }
        func decode(_ type: Float.Type) throws -> Float { try decoder.decodeValue(type) }
        func decode(_ type: Int.Type) throws -> Int { try decoder.decodeValue(type) }
        func decode(_ type: Int8.Type) throws -> Int8 { try decoder.decodeValue(type) }
        func decode(_ type: Int16.Type) throws -> Int16 { try decoder.decodeValue(type) }
        func decode(_ type: Int32.Type) throws -> Int32 { try decoder.decodeValue(type) }
        func decode(_ type: Int64.Type) throws -> Int64 { try decoder.decodeValue(type) }
        func decode(_ type: UInt.Type) throws -> UInt { try decoder.decodeValue(type) }
        func decode(_ type: UInt8.Type) throws -> UInt8 { try decoder.decodeValue(type) }
        func decode(_ type: UInt16.Type) throws -> UInt16 { try decoder.decodeValue(type) }
        func decode(_ type: UInt32.Type) throws -> UInt32 { try decoder.decodeValue(type) }
        func decode(_ type: UInt64.Type) throws -> UInt64 { try decoder.decodeValue(type) }
    }
}
