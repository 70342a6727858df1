import CivicLedger
import Foundation
import PropertyBased
import Testing

/// A value with every shape the compact form carries.
struct CompactSample: Codable, Equatable {
    enum Colour: String, Codable { case red, green }
    struct Inner: Codable, Hashable {
        var name: String
        var count: Int?
    }
    var flag: Bool
    var small: UInt8
    var signed: Int64
    var unsigned: UInt64
    var word: UInt32
    var int: Int
    var ratio: Double
    var text: String
    var missing: String?
    var present: Timestamp?
    var colour: Colour
    var list: [Inner]
    var optionals: [Int?]
    var set: Set<String>
    var byName: [String: Inner]
    var byNumber: [UInt64: [String]]
    var byStruct: [Inner: Bool]
    var key: PublicKey
    var place: Place
    var bytes: [UInt8]
}

@Suite("The compact binary form")
struct CompactCoderTests {
    static let sample = Gen.int(in: -1_000_000...1_000_000).array(of: 0...12).map(make)

    /// A sample built from some numbers.
    static func make(_ numbers: [Int]) -> CompactSample {
        let names = numbers.map { "name-\($0 % 7)-\(String(repeating: "x", count: abs($0) % 40))" }
        let inners = zip(names, numbers).map { CompactSample.Inner(name: $0, count: $1 % 3 == 0 ? nil : $1) }
        return CompactSample(
            flag: numbers.count % 2 == 0, small: UInt8(truncatingIfNeeded: numbers.count), signed: Int64(numbers.first ?? .min),
            unsigned: UInt64.max - UInt64(numbers.count), word: UInt32(numbers.count * 1000), int: numbers.last ?? .max,
            ratio: Double(numbers.reduce(0, +)) / 7, text: names.joined(separator: "/"), missing: nil,
            present: numbers.isEmpty ? nil : Timestamp(millisecondsSinceEpoch: Int64(numbers[0])), colour: numbers.count % 3 == 0 ? .red : .green,
            list: inners, optionals: numbers.map { $0 % 2 == 0 ? $0 : nil }, set: Set(names),
            byName: Dictionary(inners.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first }),
            byNumber: Dictionary(numbers.map { (UInt64(abs($0)), names) }, uniquingKeysWith: { first, _ in first }),
            byStruct: Dictionary(inners.map { ($0, $0.count == nil) }, uniquingKeysWith: { first, _ in first }),
            key: SigningKey(seed: Array(repeating: UInt8(truncatingIfNeeded: numbers.count), count: 32))!.publicKey,
            place: (try? Place(validating: "zhuji/dongsheng/\(numbers.count)")) ?? .everywhere,
            bytes: numbers.map { UInt8(truncatingIfNeeded: $0) })
    }

    @Test("every value decodes to itself, also when read a few bytes at a time")
    func roundTrip() async throws {
        await propertyCheck(count: 200, input: Self.sample) { value in
            let bytes = try CompactCoder.encode(value)
            #expect(try CompactCoder.decode(CompactSample.self, from: bytes) == value)
            // Read 3 bytes at a time: values straddle every refill.
            let reader = SnapshotReader(name: "sample", position: 0, digest: SHA256.hash(bytes), count: bytes.count) { buffer, offset in
                bytes.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[offset..<offset + buffer.count])) }
            }
            #expect(try CompactCoder.decode(CompactSample.self, from: reader, chunkSize: 3) == value)
            #expect(reader.hashSoFar == SHA256.hash(bytes))
        }
    }

    @Test("a repeated string of up to 64 bytes is written once; a longer one each time, and both read back")
    func sharedStrings() throws {
        let shared = String(repeating: "dongsheng/", count: 6)
        let once = try CompactCoder.encode([shared])
        let many = try CompactCoder.encode(Array(repeating: shared, count: 100))
        #expect(many.count < once.count + 100 * 2)
        #expect(try CompactCoder.decode([String].self, from: many) == Array(repeating: shared, count: 100))
        let long = String(repeating: "dongsheng/", count: 7)
        let longs = try CompactCoder.encode(Array(repeating: long, count: 10))
        #expect(longs.count > 10 * long.utf8.count)
        #expect(try CompactCoder.decode([String].self, from: longs) == Array(repeating: long, count: 10))
    }

    @Test("cut, changed or extended bytes throw a decoding error; none traps")
    func malformed() async throws {
        let bytes = try CompactCoder.encode(Self.make([3, -70, 12, 999_999, 0]))
        for length in 0..<bytes.count {
            #expect(throws: DecodingError.self) { try CompactCoder.decode(CompactSample.self, from: Array(bytes[..<length])) }
        }
        #expect(throws: DecodingError.self) { try CompactCoder.decode(CompactSample.self, from: bytes + [0]) }
        await propertyCheck(count: 500, input: Gen.int(in: 0..<bytes.count), Gen.uint8()) { index, byte in
            var changed = bytes
            changed[index] = byte
            _ = try? CompactCoder.decode(CompactSample.self, from: changed)
        }
        // A count far beyond the bytes left.
        #expect(throws: DecodingError.self) { try CompactCoder.decode([String].self, from: [0xC2, 0xff, 0xff, 0xff, 0xff, 0x0f]) }
        // Another version of the form.
        #expect(throws: DecodingError.self) { try CompactCoder.decode([String].self, from: [0x01, 0x00]) }
    }

    @Test("a type that opens an unkeyed container itself is refused, not written wrongly")
    func unkeyedRefused() {
        struct Pair: Codable, Equatable {
            var first = 1, second = 2
            func encode(to encoder: any Encoder) throws {
                var container = encoder.unkeyedContainer()
                try container.encode(first)
                try container.encode(second)
            }
        }
        #expect(throws: EncodingError.self) { try CompactCoder.encode(Pair()) }
    }
}
