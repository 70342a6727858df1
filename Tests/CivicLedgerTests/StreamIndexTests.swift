import CivicLedger
import CivicLedgerTesting
import Foundation
import PropertyBased
import Testing

/// The stream index that projections key their state by, and the entry's
/// views of its stored fields that the index and the classifiers read.
@Suite("Stream index and stored field views")
struct StreamIndexTests {
    @Test("numbers streams in insertion order, as a dictionary would, through any sequence of inserts and lookups")
    func matchesDictionary() async {
        // Names from a small alphabet collide often; lengths cross the 8-byte word boundaries.
        await propertyCheck(count: 300, input: Gen.letterOrNumber.string(of: 0...20).array(of: 0...200)) { names in
            var index = StreamIndex()
            var model: [String: Int] = [:]
            for name in names {
                let expected = model[name]
                #expect(index.number(of: name) == expected)
                let (number, inserted) = index.insert(name)
                #expect(inserted == (expected == nil))
                if let expected { #expect(number == expected) } else { model[name] = number }
            }
            #expect(index.count == model.count)
            for (name, number) in model {
                #expect(index.number(of: name) == number)
                #expect(index.names[number] == name)
            }
            #expect(index.number(of: "not-a-name-in-the-alphabet!") == nil)
        }
    }

    @Test("grows past many thousand streams and keeps every number")
    func grows() {
        var index = StreamIndex()
        for number in 0..<20_000 { #expect(index.insert("case/\(number)").number == number) }
        for number in stride(from: 0, to: 20_000, by: 7) { #expect(index.number(of: "case/\(number)") == number) }
        #expect(index.number(of: "case/20000") == nil)
    }

    @Test("encodes as its names, decodes to an equal index, and refuses a name listed twice")
    func codable() throws {
        let index = StreamIndex(["points/r1", "case/1", "a-stream-name-longer-than-sixteen-bytes"])
        let data = try JSONEncoder().encode(index)
        #expect(String(decoding: data, as: UTF8.self) == #"["points\/r1","case\/1","a-stream-name-longer-than-sixteen-bytes"]"#)
        let decoded = try JSONDecoder().decode(StreamIndex.self, from: data)
        #expect(decoded == index)
        #expect(decoded.number(of: "case/1") == 1)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(StreamIndex.self, from: Data(#"["a","a"]"#.utf8)) }
    }

    @Test("an entry's stream, kind and payload views are the decoded fields' bytes, built or decoded")
    func entryViews() async throws {
        let key = FixtureKeys.key("views")
        await propertyCheck(count: 100, input: Gen.letterOrNumber.string(of: 1...40), Gen.uint8().array(of: 0...70)) { name, payload in
            let content = EventContent(
                origin: "views.example", stream: "s/" + name, place: "a/b", expectedVersion: .any, kind: "k." + name.lowercased(),
                payload: payload, actorKey: key.publicKey, clientTime: Timestamp(millisecondsSinceEpoch: 1), idempotencyKey: name)
            guard let event = try? SignedEvent(signing: content, with: key) else {
                Issue.record("could not sign \(name)")
                return
            }
            let built = LedgerEntry(position: 3, recordedAt: Timestamp(millisecondsSinceEpoch: 2), streamVersion: 1, event: event)
            guard let decoded = try? LedgerEntry(bytes: built.bytes) else {
                Issue.record("could not decode \(name)")
                return
            }
            for entry in [built, decoded] {
                #expect(entry.withStreamUTF8 { Array($0) } == Array(entry.stream.utf8))
                #expect(entry.withKindUTF8 { Array($0) } == Array(entry.kind.utf8))
                #expect(entry.withPayloadBytes { Array($0) } == payload)
                var index = StreamIndex()
                #expect(index.insert(streamOf: entry) == (0, true))
                #expect(index.number(of: entry.stream) == 0)
                #expect(index.number(ofStreamOf: entry) == 0)
            }
            #expect(built == decoded)
        }
    }
}
