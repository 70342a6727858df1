import CivicLedger
import Foundation
import PropertyBased
import Testing

@Suite("Canonical JSON")
struct CanonicalJSONTests {
    struct Inner: Codable, Hashable {
        var name: String
        var note: String?
    }

    struct Sample: Codable, Equatable {
        var byName: [String: Inner]
        var byNumber: [UInt64: Int32]
        var byInt: [Int: Bool]
        var tags: Set<String>
        var list: [Inner]
        var ratio: Double
        var data: Data
        var empty: [String: Int]
    }

    struct Nothing: Codable, Equatable {
        func encode(to encoder: any Encoder) throws {}
        init() {}
        init(from decoder: any Decoder) throws {}
    }

    static func sample(order: [Int]) -> Sample {
        var byName: [String: Inner] = [:]
        var byNumber: [UInt64: Int32] = [:]
        var byInt: [Int: Bool] = [:]
        var tags = Set<String>()
        for index in order {
            byName["k\(index)"] = Inner(name: "n\"\\\n\u{1}\(index)", note: index.isMultiple(of: 2) ? nil : "注\(index)")
            byNumber[UInt64(index) * 1_000_003] = Int32(index) - 50
            byInt[-index] = index.isMultiple(of: 3)
            tags.insert("t\(index)")
        }
        return Sample(
            byName: byName, byNumber: byNumber, byInt: byInt, tags: tags, list: [Inner(name: "a", note: nil)], ratio: 0.1,
            data: Data([0, 1, 254]), empty: [:])
    }

    @Test("equal values give equal bytes whatever order their dictionaries and sets were built in; JSONDecoder reads them back")
    func canonical() async {
        await propertyCheck(input: Gen.int(in: 1...60)) { count in
            let order = Array(0..<count)
            let forward = try CanonicalJSON.encode(Self.sample(order: order))
            let backward = try CanonicalJSON.encode(Self.sample(order: order.reversed()))
            #expect(forward == backward)
            #expect(try JSONDecoder().decode(Sample.self, from: Data(forward)) == Self.sample(order: order))
            #expect(try CanonicalJSON.digest(Self.sample(order: order)) == SHA256.hash(forward))
        }
    }

    @Test("the shapes JSONEncoder gives: string and Int keys as objects, other keys as [key, value, …], Data as base64, escapes")
    func shapes() throws {
        let value = Self.sample(order: [1, 2])
        let text = String(decoding: try CanonicalJSON.encode(value), as: UTF8.self)
        #expect(text.contains(#""byName":{"k1":{"name":"n\"\\\n\u00011","note":"注1"},"k2":{"name":"n\"\\\n\u00012"}}"#))
        #expect(text.contains(#""byNumber":[1000003,-49,2000006,-48]"#))
        #expect(text.contains(#""byInt":{"-1":false,"-2":false}"#))
        #expect(text.contains(#""data":"AAH+""#))
        #expect(text.contains(#""empty":{}"#))
        #expect(text.contains(#""ratio":0.1"#))
        #expect(try CanonicalJSON.encode(Nothing()) == Array("{}".utf8))
        #expect(try CanonicalJSON.encode([Nothing(), Nothing()]) == Array("[{},{}]".utf8))
    }

    @Test("a number JSON cannot carry is refused")
    func nonFinite() {
        #expect(throws: EncodingError.self) { try CanonicalJSON.encode([Double.infinity]) }
        #expect(throws: EncodingError.self) { try CanonicalJSON.digest(["x": Double.nan]) }
    }

    @Test("a document larger than the buffer is handed out in pieces and comes out whole")
    func pieces() throws {
        let big = (0..<20_000).map { Inner(name: "name-\($0)", note: "\($0)") }
        var pieces = 0
        var joined: [UInt8] = []
        try CanonicalJSON.write(big) { buffer in
            pieces += 1
            #expect(buffer.count <= (1 << 16) + 64)
            joined.append(contentsOf: buffer)
        }
        #expect(pieces > 1)
        #expect(try JSONDecoder().decode([Inner].self, from: Data(joined)) == big)

        // Numbers in one array (no value of their own between them) too.
        let numbers = Array(0..<200_000)
        var largest = 0
        var numberPieces = 0
        joined = []
        try CanonicalJSON.write(numbers) { buffer in
            numberPieces += 1
            largest = max(largest, buffer.count)
            joined.append(contentsOf: buffer)
        }
        #expect(numberPieces > 10 && largest <= (1 << 16) + 64)
        #expect(try JSONDecoder().decode([Int].self, from: Data(joined)) == numbers)
    }

    @Test("what the sink throws comes out of the write")
    func sinkFailure() {
        struct Full: Error {}
        #expect(throws: Full.self) { try CanonicalJSON.write(Array(0..<100_000)) { _ in throw Full() } }
        #expect(throws: Full.self) { try CanonicalJSON.write([1]) { _ in throw Full() } }
    }

    /// Writes into a nested container after its parent went on: misuse of
    /// `Encoder` that must fail, not nest its value in the wrong place.
    struct LateWriter: Encodable {
        enum Keys: String, CodingKey { case first, second }
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Keys.self)
            var nested = container.nestedUnkeyedContainer(forKey: .first)
            try nested.encode(1)
            try container.encode(2, forKey: .second)
            try nested.encode(3)
        }
    }

    @Test("a container written to after it was closed fails the encoding")
    func lateContainer() {
        #expect(throws: EncodingError.self) { try CanonicalJSON.encode(LateWriter()) }
        #expect(throws: EncodingError.self) { try CanonicalJSON.digest([LateWriter()]) }
    }
}
