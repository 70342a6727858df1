import Foundation

/// JSON for `Codable` states, written a piece at a time and the same for
/// equal values in every process: the snapshot form of ``Projection``s.
///
/// `JSONEncoder` builds the whole document (and a tree of it) before it
/// hands out a byte, and orders a `Set` or a dictionary without string
/// keys by the process's random hashing. This encoder writes as it goes,
/// through a 64 KiB buffer, to any sink (an array to store, a SHA-256
/// hasher to compare without a copy), and orders what hashing would
/// scramble:
///
/// - object members in the order the type encodes them (declaration order
///   for synthesised conformances);
/// - a dictionary's members by key (a string, an `Int` or a
///   `CodingKeyRepresentable` key makes an object; any other key the
///   alternating `[key, value, …]` array of the standard library, sorted
///   by the key's JSON);
/// - a set's elements by their JSON.
///
/// The shapes are `JSONEncoder`'s defaults (`Data` as base64, `Date` as
/// seconds since 2001), so `JSONDecoder` and any JSON reader read it back.
/// Numbers that are not finite are refused, as `JSONEncoder` does.
public enum CanonicalJSON {
    /// The JSON of `value`.
    public static func encode(_ value: some Encodable) throws -> [UInt8] {
        var bytes: [UInt8] = []
        try write(value) { bytes.append(contentsOf: $0) }
        return bytes
    }

    /// SHA-256 of the JSON of `value`, computed as it is written: the
    /// document is never held whole.
    public static func digest(_ value: some Encodable) throws -> Digest {
        var hasher = SHA256.Hasher()
        try write(value) { hasher.update($0) }
        return hasher.finalized()
    }

    /// Writes the JSON of `value` to `sink` a piece at a time (at most
    /// 64 KiB each).
    public static func write(_ value: some Encodable, to sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        try withoutActuallyEscaping(sink) { sink in
            let writer = CanonicalJSONWriter(sink: sink)
            try writer.encodeValue(value)
            try writer.finish()
        }
    }
}

/// Types the writer orders itself, where `Codable` would follow hashing.
protocol CanonicallyOrdered {
    func writeCanonically(to writer: CanonicalJSONWriter) throws
}

extension Dictionary: CanonicallyOrdered where Key: Encodable, Value: Encodable {
    func writeCanonically(to writer: CanonicalJSONWriter) throws {
        // The standard library's shape for the key type: an object for
        // string, `Int` and `CodingKeyRepresentable` keys, else an array.
        if Key.self == String.self || Key.self == Int.self || Key.self is any CodingKeyRepresentable.Type {
            let members = map { (name: Self.memberName($0.key), value: $0.value) }
                .sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
            try writer.object { member in
                for (name, value) in members { try member(name) { try writer.encodeValue(value) } }
            }
            return
        }
        let pairs = try map { (key: try CanonicalJSON.encode($0.key), value: $0.value) }
            .sorted { $0.key.lexicographicallyPrecedes($1.key) }
        try writer.array { element in
            for (key, value) in pairs {
                try element { writer.raw(key) }
                try element { try writer.encodeValue(value) }
            }
        }
    }

    private static func memberName(_ key: Key) -> String {
        if let string = key as? String { return string }
        if let integer = key as? Int { return String(integer) }
        return (key as? any CodingKeyRepresentable)?.codingKey.stringValue ?? ""
    }
}

extension Set: CanonicallyOrdered where Element: Encodable {
    func writeCanonically(to writer: CanonicalJSONWriter) throws {
        let sorted = try map { try CanonicalJSON.encode($0) }.sorted { $0.lexicographicallyPrecedes($1) }
        try writer.array { element in
            for json in sorted { try element { writer.raw(json) } }
        }
    }
}

/// The writer behind ``CanonicalJSON``: an `Encoder` that writes each
/// value where it stands and closes a container when the next write
/// happens outside it or the value that opened it is done.
final class CanonicalJSONWriter: Encoder {
    private let sink: (UnsafeRawBufferPointer) throws -> Void
    private var buffer: [UInt8] = []
    /// Bytes written so far, flushed or not.
    private var written = 0
    /// The open containers, innermost last: `true` for an object, how many
    /// members each has so far, and its serial number.
    private var open: [(isObject: Bool, members: Int, serial: Int)] = []
    /// The serial number of the next container opened.
    private var serials = 0

    /// One container: where it is open, and which one it is (a container
    /// used after it was closed must not write into another at its depth).
    struct Container {
        let depth: Int
        let serial: Int
    }
    /// What the sink threw, kept for ``finish()`` (writes cannot throw).
    private var failure: (any Error)?

    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(sink: @escaping (UnsafeRawBufferPointer) throws -> Void) {
        self.sink = sink
        buffer.reserveCapacity(1 << 16)
    }

    /// Hands the rest to the sink; throws what the sink threw on the way.
    func finish() throws {
        if let failure { throw failure }
        try buffer.withUnsafeBytes { try sink($0) }
        buffer.removeAll()
    }

    /// Hands a full buffer to the sink (after a failure, nothing more).
    private func flushIfFull() {
        guard buffer.count >= 1 << 16 else { return }
        if failure == nil {
            do {
                try buffer.withUnsafeBytes { try sink($0) }
            } catch {
                failure = error
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }

    func raw(_ bytes: [UInt8]) {
        buffer.append(contentsOf: bytes)
        written += bytes.count
        flushIfFull()
    }

    func byte(_ byte: UInt8) {
        buffer.append(byte)
        written += 1
        flushIfFull()
    }

    private func ascii(_ text: String) {
        var text = text
        text.withUTF8 { raw(Array($0)) }
    }

    /// Writes `value` here: a container it opens is closed when it returns.
    func encodeValue<T: Encodable>(_ value: T) throws {
        switch value {
        case let text as String: string(text)
        case let data as Data: string(data.base64EncodedString())
        case let date as Date: try double(date.timeIntervalSinceReferenceDate)
        case let url as URL: string(url.absoluteString)
        case let ordered as any CanonicallyOrdered: try ordered.writeCanonically(to: self)
        default:
            let depth = open.count
            let before = written
            try value.encode(to: self)
            close(above: depth)
            // A type that encodes nothing is an empty object, as in JSONEncoder.
            if written == before { raw(Array("{}".utf8)) }
        }
    }

    /// Closes the containers deeper than `depth`.
    func close(above depth: Int) {
        while open.count > depth {
            byte(open.removeLast().isObject ? UInt8(ascii: "}") : UInt8(ascii: "]"))
        }
    }

    /// Opens a container at the current place.
    private func openContainer(object: Bool) -> Container {
        byte(object ? UInt8(ascii: "{") : UInt8(ascii: "["))
        serials += 1
        open.append((object, 0, serials))
        return Container(depth: open.count, serial: serials)
    }

    /// Starts the next member of the container at `depth`: closes what was
    /// opened inside it, then writes the separator and, in an object, the
    /// name.
    func startMember(of container: Container, name: String?) {
        let depth = container.depth
        close(above: depth)
        guard depth > 0, depth <= open.count, open[depth - 1].serial == container.serial else {
            // Only an `encode(to:)` that keeps a container past its end
            // gets here: the encoding fails rather than nest wrongly.
            failure = failure ?? EncodingError.invalidValue(
                name ?? "", .init(codingPath: [], debugDescription: "a container was written to after it was closed"))
            return
        }
        if open[depth - 1].members > 0 { byte(UInt8(ascii: ",")) }
        open[depth - 1].members += 1
        if let name {
            string(name)
            byte(UInt8(ascii: ":"))
        }
    }

    /// An object whose members `body` writes through `member(name) { value }`.
    func object(_ body: ((String, () throws -> Void) throws -> Void) throws -> Void) throws {
        let container = openContainer(object: true)
        try body { name, value in
            startMember(of: container, name: name)
            try value()
        }
        close(above: container.depth - 1)
    }

    /// An array whose elements `body` writes through `element { value }`.
    func array(_ body: ((() throws -> Void) throws -> Void) throws -> Void) throws {
        let container = openContainer(object: false)
        try body { value in
            startMember(of: container, name: nil)
            try value()
        }
        close(above: container.depth - 1)
    }

    func string(_ value: String) {
        byte(UInt8(ascii: "\""))
        for unit in value.utf8 {
            switch unit {
            case UInt8(ascii: "\""): raw([UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): raw([UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case UInt8(ascii: "\n"): raw([UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case UInt8(ascii: "\r"): raw([UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case UInt8(ascii: "\t"): raw([UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                raw([UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(unit >> 4)], hex[Int(unit & 15)]])
            default: byte(unit)
            }
        }
        byte(UInt8(ascii: "\""))
    }

    func double(_ value: Double) throws {
        guard value.isFinite else {
            throw EncodingError.invalidValue(value, .init(codingPath: [], debugDescription: "\(value) is not a JSON number"))
        }
        ascii(value.description)
    }

    func integer(_ value: some BinaryInteger) { ascii(String(value)) }

    func bool(_ value: Bool) { ascii(value ? "true" : "false") }

    func null() { ascii("null") }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(KeyedWriter<Key>(writer: self, container: openContainer(object: true)))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        UnkeyedWriter(writer: self, container: openContainer(object: false))
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { SingleWriter(writer: self) }
}

private struct KeyedWriter<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let writer: CanonicalJSONWriter
    let container: CanonicalJSONWriter.Container
    var codingPath: [any CodingKey] { [] }

    private func start(_ key: Key) { writer.startMember(of: container, name: key.stringValue) }

    mutating func encodeNil(forKey key: Key) throws {
        start(key)
        writer.null()
    }
    mutating func encode(_ value: Bool, forKey key: Key) throws {
        start(key)
        writer.bool(value)
    }
    mutating func encode(_ value: String, forKey key: Key) throws {
        start(key)
        writer.string(value)
    }
    mutating func encode(_ value: Double, forKey key: Key) throws {
        start(key)
        try writer.double(value)
    }
    mutating func encode(_ value: Float, forKey key: Key) throws {
        start(key)
        try writer.double(Double(value))
    }
    mutating func encode(_ value: Int, forKey key: Key) throws { integer(value, key) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { integer(value, key) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { integer(value, key) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { integer(value, key) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { integer(value, key) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { integer(value, key) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { integer(value, key) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { integer(value, key) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { integer(value, key) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { integer(value, key) }
    private func integer(_ value: some BinaryInteger, _ key: Key) {
        start(key)
        writer.integer(value)
    }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        start(key)
        try writer.encodeValue(value)
    }
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        start(key)
        return writer.container(keyedBy: keyType)
    }
    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        start(key)
        return writer.unkeyedContainer()
    }
    mutating func superEncoder() -> any Encoder {
        start(Key(stringValue: "super")!)
        return writer
    }
    mutating func superEncoder(forKey key: Key) -> any Encoder {
        start(key)
        return writer
    }
}

private struct UnkeyedWriter: UnkeyedEncodingContainer {
    let writer: CanonicalJSONWriter
    let container: CanonicalJSONWriter.Container
    private(set) var count = 0
    var codingPath: [any CodingKey] { [] }

    init(writer: CanonicalJSONWriter, container: CanonicalJSONWriter.Container) {
        self.writer = writer
        self.container = container
    }

    private mutating func start() {
        writer.startMember(of: container, name: nil)
        count += 1
    }

    mutating func encodeNil() throws {
        start()
        writer.null()
    }
    mutating func encode(_ value: Bool) throws {
        start()
        writer.bool(value)
    }
    mutating func encode(_ value: String) throws {
        start()
        writer.string(value)
    }
    mutating func encode(_ value: Double) throws {
        start()
        try writer.double(value)
    }
    mutating func encode(_ value: Float) throws {
        start()
        try writer.double(Double(value))
    }
    mutating func encode(_ value: Int) throws { integer(value) }
    mutating func encode(_ value: Int8) throws { integer(value) }
    mutating func encode(_ value: Int16) throws { integer(value) }
    mutating func encode(_ value: Int32) throws { integer(value) }
    mutating func encode(_ value: Int64) throws { integer(value) }
    mutating func encode(_ value: UInt) throws { integer(value) }
    mutating func encode(_ value: UInt8) throws { integer(value) }
    mutating func encode(_ value: UInt16) throws { integer(value) }
    mutating func encode(_ value: UInt32) throws { integer(value) }
    mutating func encode(_ value: UInt64) throws { integer(value) }
    private mutating func integer(_ value: some BinaryInteger) {
        start()
        writer.integer(value)
    }
    mutating func encode<T: Encodable>(_ value: T) throws {
        start()
        try writer.encodeValue(value)
    }
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        start()
        return writer.container(keyedBy: keyType)
    }
    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        start()
        return writer.unkeyedContainer()
    }
    mutating func superEncoder() -> any Encoder {
        start()
        return writer
    }
}

private struct SingleWriter: SingleValueEncodingContainer {
    let writer: CanonicalJSONWriter
    var codingPath: [any CodingKey] { [] }

    mutating func encodeNil() throws { writer.null() }
    mutating func encode(_ value: Bool) throws { writer.bool(value) }
    mutating func encode(_ value: String) throws { writer.string(value) }
    mutating func encode(_ value: Double) throws { try writer.double(value) }
    mutating func encode(_ value: Float) throws { try writer.double(Double(value)) }
    mutating func encode(_ value: Int) throws { writer.integer(value) }
    mutating func encode(_ value: Int8) throws { writer.integer(value) }
    mutating func encode(_ value: Int16) throws { writer.integer(value) }
    mutating func encode(_ value: Int32) throws { writer.integer(value) }
    mutating func encode(_ value: Int64) throws { writer.integer(value) }
    mutating func encode(_ value: UInt) throws { writer.integer(value) }
    mutating func encode(_ value: UInt8) throws { writer.integer(value) }
    mutating func encode(_ value: UInt16) throws { writer.integer(value) }
    mutating func encode(_ value: UInt32) throws { writer.integer(value) }
    mutating func encode(_ value: UInt64) throws { writer.integer(value) }
    mutating func encode<T: Encodable>(_ value: T) throws { try writer.encodeValue(value) }
}
