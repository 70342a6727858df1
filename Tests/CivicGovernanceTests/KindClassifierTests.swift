import CivicGovernance
import CivicLedger
import CivicLedgerTesting
import PropertyBased
import Testing

@Suite("Classifying entries by kind")
struct KindClassifierTests {
    static let key = FixtureKeys.key("classifier")

    static func entry(kind: String) throws -> LedgerEntry {
        let event = try SignedEvent(
            signing: EventContent(
                origin: "classifier.example", stream: "s", place: "a/b", expectedVersion: .any, kind: kind, payload: [],
                actorKey: key.publicKey, clientTime: Timestamp(millisecondsSinceEpoch: 1), idempotencyKey: "i"),
            with: key)
        return try LedgerEntry(
            bytes: LedgerEntry(position: 0, recordedAt: Timestamp(millisecondsSinceEpoch: 1), streamVersion: 1, event: event).bytes)
    }

    @Test("every governance kind maps to its own code, from a string and from an entry's stored bytes")
    func everyKind() throws {
        for code in GovernanceKind.Code.allCases {
            #expect(GovernanceKind.code(of: code.kind) == code)
            #expect(GovernanceKind.code(of: try Self.entry(kind: code.kind)) == code)
        }
        #expect(Set(GovernanceKind.Code.allCases.map(\.kind)).count == GovernanceKind.Code.allCases.count)
    }

    @Test("a kind that differs from a governance kind in any one byte, or in length, is not classified")
    func nearMisses() async throws {
        let kinds = GovernanceKind.Code.allCases.map(\.kind)
        await propertyCheck(count: 500, input: Gen.int(in: 0..<kinds.count), Gen.int(in: 0..<32), Gen.int(in: 0..<26)) {
            which, at, letter in
            var bytes = Array(kinds[which].utf8)
            let position = at % bytes.count
            let replacement = UInt8(ascii: "a") + UInt8(letter)
            guard bytes[position] != replacement else { return }
            bytes[position] = replacement
            let mutated = String(decoding: bytes, as: UTF8.self)
            #expect(GovernanceKind.code(of: mutated).map(\.kind) == (kinds.contains(mutated) ? mutated : nil))
        }
        for kind in kinds {
            #expect(GovernanceKind.code(of: kind + "x") == nil)
            #expect(GovernanceKind.code(of: String(kind.dropLast())) == nil)
            #expect(GovernanceKind.code(of: try Self.entry(kind: kind + "-v2")) == nil)
        }
        #expect(GovernanceKind.code(of: "") == nil)
        #expect(GovernanceKind.code(of: "case") == nil)
    }
}
