import CivicLedger
import Foundation
import PropertyBased
import Testing

/// The one strict JSON reader: every refusal names line, column and path;
/// what it accepts it reads exactly; no input makes it trap.
@Suite("Strict JSON")
struct StrictJSONTests {
    static func refusal(_ text: String) -> String? {
        do {
            _ = try StrictJSON.parse(Array(text.utf8), what: "input")
            return nil
        } catch {
            return error.message
        }
    }

    @Test(
        "what two readers could read differently, or that would change when read, is refused with line, column and reason",
        arguments: [
            (#"{"actor":"c","actor":"c2"}"#, #"line 1, column 14 (at $.actor): member "actor" appears twice"#),
            (#"{"n":123456789012345678901234567890}"#, "outside -2^63 to 2^63-1"),
            (#"{"n":1e400}"#, "not exactly a 64-bit float"),
            (#"{"n":0.10000000000000000001}"#, "not exactly a 64-bit float"),
            ("{\"a\":1,\n \"b\":2,}", "line 2, column 8"),
            ("[1,2,]", "trailing commas"),
            (String(repeating: "[", count: 600) + String(repeating: "]", count: 600), "nested deeper than 64"),
            (#"{"n":012}"#, "leading zero"),
            (#"{"s":"\ud800"}"#, "lone surrogate"),
            ("{\"s\":\"a\u{1}b\"}", "control character"),
            (#"{"n":NaN}"#, "unexpected 'N'"),
            (#"{"a":1} x"#, "text after the JSON value"),
            (#"{"a":1 // note"#, "expected ',' or '}'"),
        ])
    func refusals(_ text: String, _ expected: String) {
        let message = Self.refusal(text)
        #expect(message?.contains(expected) == true, "\(message ?? "accepted")")
        #expect(message?.contains("line ") == true)
    }

    @Test("numbers are read exactly: integers as integers, decimals only when a 64-bit float holds them as written")
    func numbers() throws {
        #expect(try StrictJSON.parse(Array("9223372036854775807".utf8)).value == .integer(.max))
        #expect(try StrictJSON.parse(Array("-9223372036854775808".utf8)).value == .integer(.min))
        #expect(try StrictJSON.parse(Array("0.1".utf8)).value == .number(0.1))
        #expect(try StrictJSON.parse(Array("2.5e-3".utf8)).value == .number(0.0025))
        #expect(try StrictJSON.parse(Array("1.0".utf8)).value == .number(1))
        #expect(StrictJSON.canonical(.number(0.0025)) == Array("0.0025".utf8))
    }

    @Test("canonical text: members sorted, escapes JSON needs, and it reads back as the same value")
    func canonical() throws {
        let node = try StrictJSON.parse(Array(#"{"b":[1,"x\n\u0007é😀"],"a":{"z":null,"y":true},"c":-0.5}"#.utf8))
        let text = StrictJSON.canonical(node.value)
        #expect(String(decoding: text, as: UTF8.self) == #"{"a":{"y":true,"z":null},"b":[1,"x\n\u0007é😀"],"c":-0.5}"#)
        #expect(try StrictJSON.parse(text).value == node.value)
    }

    struct Sample: Codable, Equatable {
        var name: String
        var count: Int
        var key: [UInt8]?
        enum CodingKeys: String, CodingKey { case name, count, key }
        init(name: String, count: Int, key: [UInt8]? = nil) {
            self.name = name
            self.count = count
            self.key = key
        }
        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            name = try container.decode(String.self, forKey: .name)
            count = try container.decode(Int.self, forKey: .count)
            key = try container.decodeIfPresent(String.self, forKey: .key).map { text in
                guard let bytes = [UInt8](base64String: text) else {
                    throw DecodingError.dataCorruptedError(forKey: .key, in: container, debugDescription: "not canonical base64")
                }
                return bytes
            }
        }
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try container.encode(count, forKey: .count)
            try container.encodeIfPresent(key?.base64String, forKey: .key)
        }
    }

    @Test("decoding refuses unknown members, null for absent fields, 1.0 for integers and non-canonical base64, naming the place")
    func strictDecoding() throws {
        #expect(try StrictJSON.decode(Sample.self, from: Array(#"{"count":2,"name":"a"}"#.utf8), what: "s") == Sample(name: "a", count: 2))
        let cases = [
            (#"{"count":2,"name":"a","colour":"red"}"#, #"(at $.colour): "colour" is not a field here"#),
            (#"{"count":2,"name":"a","key":null}"#, "null for a field that is absent"),
            (#"{"count":2.0,"name":"a"}"#, "where a whole number is required"),
            (#"{"count":2,"name":"a","key":"AAB="}"#, "canonical base64"),
        ]
        for (text, expected) in cases {
            let error = #expect(throws: LedgerError.self) { try StrictJSON.decode(Sample.self, from: Array(text.utf8), what: "s") }
            #expect(error?.message.contains(expected) == true, "\(error?.message ?? "accepted") should say \(expected)")
        }
        // One byte string has one base64 text.
        #expect([UInt8](base64String: "AAA=") == [0, 0])
        #expect([UInt8](base64String: "AAB=") == nil)
        #expect([UInt8](base64String: "AAA") == nil)
    }

    static let values: Generator<String, some SendableSequenceType> = Gen.oneOf(
        Gen.int(in: -1_000_000...1_000_000).map { "\($0)" },
        Gen.lowercaseLetter.string(of: 0...6).map { "\"\($0)\"" },
        Gen.always("true"), Gen.always("null"), Gen.always("-0.25"),
        Gen.lowercaseLetter.string(of: 1...3).array(of: 0...4).map { names in
            "{" + Set(names).sorted().map { "\"\($0)\":[1,{\"k\":\"v\"}]" }.joined(separator: ",") + "}"
        })

    @Test("any value reads back from its canonical text unchanged")
    func roundTrip() async {
        await propertyCheck(input: Self.values.array(of: 0...6)) { elements in
            let text = "[" + elements.joined(separator: ",") + "]"
            let node = try StrictJSON.parse(Array(text.utf8))
            let canonical = StrictJSON.canonical(node.value)
            #expect(try StrictJSON.parse(canonical).value == node.value)
            #expect(StrictJSON.canonical(try StrictJSON.parse(canonical).value) == canonical)
        }
    }

    @Test("random bytes and mutated JSON never trap: each is read or refused with a line and column")
    func noTrap() async {
        let seed = Array(#"{"a":[1,2.5,"x\u00e9",{"b":null}],"c":true}"#.utf8)
        await propertyCheck(input: Gen.int(in: 0..<seed.count).array(of: 0...4), Gen.uint8().array(of: 0...4)) { positions, bytes in
            var text = seed
            for (position, byte) in zip(positions, bytes) { text[position] = byte }
            do {
                _ = try StrictJSON.parse(text)
            } catch let error as LedgerError {
                #expect(error.message.contains("line "))
            }
        }
    }
}
