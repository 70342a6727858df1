import Foundation
import CivicLedger
import CivicLedgerTesting
import PropertyBased
import Testing

@Suite("Event and entry format")
struct EventFormatTests {
    static let key = FixtureKeys.key("format")

    static func content(payload: [UInt8] = [1, 2, 3], expected: ExpectedVersion = .exactly(4)) -> EventContent {
        EventContent(
            origin: "ledger.test/format", stream: "case/1", place: "zhuji/dongsheng/grid-03", expectedVersion: expected,
            kind: "case.report", schemaVersion: 2, payload: payload, actorKey: key.publicKey,
            clientTime: Timestamp(millisecondsSinceEpoch: 1_767_225_600_123), idempotencyKey: "retry-1")
    }

    @Test("a body decodes to the content that was signed", arguments: [ExpectedVersion.any, .exactly(0), .exactly(77)])
    func bodyRoundTrip(expected: ExpectedVersion) throws {
        let event = try SignedEvent(signing: Self.content(expected: expected), with: Self.key)
        let decoded = try SignedEvent(body: event.body, signature: event.signature)
        #expect(decoded.content == Self.content(expected: expected))
        #expect(decoded.hasValidSignature)
    }

    @Test("an entry decodes to its parts and keeps its bytes")
    func entryRoundTrip() async {
        await propertyCheck(input: Gen.uint8().array(of: 0...300), Gen.uint64(in: 0...1_000_000), Gen.uint64(in: 1...500)) { payload, position, version in
            let event = try SignedEvent(signing: Self.content(payload: payload), with: Self.key)
            let entry = LedgerEntry(position: position, recordedAt: Timestamp(millisecondsSinceEpoch: 42), streamVersion: version, event: event)
            let decoded = try LedgerEntry(bytes: entry.bytes)
            #expect(decoded == entry)
            #expect(decoded.event.hasValidSignature)
            #expect(decoded.payload == payload)
        }
    }

    @Test("truncated or extended bytes are rejected, never trapped on")
    func malformedEntries() async throws {
        let event = try SignedEvent(signing: Self.content(), with: Self.key)
        let bytes = LedgerEntry(position: 3, recordedAt: Timestamp(millisecondsSinceEpoch: 1), streamVersion: 1, event: event).bytes
        for cut in 0..<bytes.count {
            #expect(throws: LedgerError.self) { try LedgerEntry(bytes: Array(bytes[..<cut])) }
        }
        #expect(throws: LedgerError.self) { try LedgerEntry(bytes: bytes + [0]) }
    }

    @Test("any single flipped bit in an entry is detected by decoding or by the signature")
    func flippedBitDetected() async throws {
        let event = try SignedEvent(signing: Self.content(), with: Self.key)
        let entry = LedgerEntry(position: 3, recordedAt: Timestamp(millisecondsSinceEpoch: 1), streamVersion: 1, event: event)
        let headerBits = (1 + 8 + 8 + 8) * 8
        await propertyCheck(count: 300, input: Gen.int(in: 0..<(entry.bytes.count * 8))) { bit in
            var bytes = entry.bytes
            bytes[bit / 8] ^= UInt8(1) << UInt8(bit % 8)
            #expect(MerkleHash.leaf(bytes) != entry.leafHash)
            guard let tampered = try? LedgerEntry(bytes: bytes) else { return }  // rejected as malformed
            if bit < headerBits {
                // The ledger's own fields: the leaf hash (hence the root) changes.
                #expect(tampered.position != entry.position || tampered.recordedAt != entry.recordedAt || tampered.streamVersion != entry.streamVersion)
            } else {
                #expect(!tampered.event.hasValidSignature, "bit \(bit) flipped and the signature still verifies")
            }
        }
    }

    enum BadField: String, CaseIterable, Sendable {
        case emptyStream, spacedKind, spacedOrigin, longIdempotencyKey, schemaZero, controlCharacter

        func apply(to content: inout EventContent) {
            switch self {
            case .emptyStream: content.stream = ""
            case .spacedKind: content.kind = "Case Report"
            case .spacedOrigin: content.origin = "has space"
            case .longIdempotencyKey: content.idempotencyKey = String(repeating: "x", count: 129)
            case .schemaZero: content.schemaVersion = 0
            case .controlCharacter: content.stream = "a\u{7}b"
            }
        }
    }

    @Test("fields out of range are refused at signing", arguments: BadField.allCases)
    func invalidFields(_ field: BadField) {
        var content = Self.content()
        field.apply(to: &content)
        #expect(throws: LedgerError.self, "\(field)") { try SignedEvent(signing: content, with: Self.key) }
    }

    @Test("places nest by whole names")
    func placeNesting() throws {
        let grid: Place = try Place(validating: "zhuji/dongsheng/grid-03")
        #expect(grid.isWithin(try Place(validating: "zhuji/dongsheng")))
        #expect(grid.isWithin(grid))
        #expect(grid.isWithin(.everywhere))
        #expect(!grid.isWithin(try Place(validating: "zhuji/dong")))
        #expect(!(try Place(validating: "zhuji")).isWithin(grid))
        #expect(throws: LedgerError.self) { try Place(validating: "a//b") }
        #expect(throws: LedgerError.self) { try Place(validating: "a/*") }
    }
}

@Suite("The libraries speak for themselves")
struct LibraryWordingTests {
    @Test("no library message tells its reader to run the command-line tool: a remedy says what to do, each program in its words")
    func noToolInLibraryMessages() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let sources = root.appendingPathComponent("Sources")
        var offending: [String] = []
        var files = 0
        for module in try FileManager.default.contentsOfDirectory(atPath: sources.path) where module != "civic-ledger" {
            let folder = sources.appendingPathComponent(module)
            guard let walker = FileManager.default.enumerator(atPath: folder.path) else { continue }
            for case let file as String in walker where file.hasSuffix(".swift") {
                files += 1
                let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
                for (number, line) in text.components(separatedBy: "\n").enumerated()
                where !line.trimmingCharacters(in: .whitespaces).hasPrefix("///") && line.range(of: #"civic-ledger (verify|repair|checkpoint|init)"#, options: .regularExpression) != nil {
                    offending.append("\(module)/\(file):\(number + 1)")
                }
            }
        }
        #expect(files > 50)
        #expect(offending.isEmpty, "\(offending)")
    }
}
