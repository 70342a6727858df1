import CivicLedger
import Foundation
import Testing

/// Parser differentials and silent changes to what is signed: one strict
/// reader for everything the ledger parses or signs.
@Suite("One strict reader for what is signed")
struct StrictInputTests {
    /// An enrolment event for the authority to append, with `payload` as raw bytes.
    static func enrolment(_ payload: String) -> String {
        #"{"kind":"ledger.actor.enrol","stream":"ledger","place":"*","payloadBase64":"\#(Array(payload.utf8).base64String)"}"#
    }

    /// A new key made with keygen: its public key in base64.
    static func newPublicKey(_ cli: CLI) throws -> String {
        #expect(try cli.run(["keygen", "--out", "second.key"]).status == 0)
        return try #require(String(data: try Data(contentsOf: URL(fileURLWithPath: cli.path("second.key.pub"))), encoding: .utf8))
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test("an enrolment with a duplicate member is refused, so no reader can show another actor than the registry enrolled")
    func duplicateMember() throws {
        let cli = try CLI()
        _ = try cli.ledgerWithWorker()
        let key = try Self.newPublicKey(cli)
        let payload = #"{"actor":"c","actor":"c2","key":"\#(key)","role":"grid-worker","scope":"zhuji"}"#
        let result = try cli.run(["append", "l.sqlite", "--key", "l.sqlite.authority.key"], stdin: Self.enrolment(payload))
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr.contains(#"member "actor" appears twice"#))
        #expect(result.stderr.contains("line 1, column 14"))
        #expect(try cli.entryCount("l.sqlite") == 2, "nothing was written")
    }

    @Test("a non-canonical base64 key in an enrolment is refused")
    func nonCanonicalKey() throws {
        let cli = try CLI()
        _ = try cli.ledgerWithWorker()
        let key = try Self.newPublicKey(cli)
        // The last character before '=' carries two unused bits: set one of them.
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        var characters = Array(key)
        let last = characters.count - 2
        let value = try #require(alphabet.firstIndex(of: characters[last]))
        characters[last] = alphabet[value ^ 1]
        let variant = String(characters)
        #expect(Data(base64Encoded: variant) == Data(base64Encoded: key), "the variant is the same key, written differently")
        let payload = #"{"actor":"c","key":"\#(variant)","role":"grid-worker","scope":"zhuji"}"#
        let result = try cli.run(["append", "l.sqlite", "--key", "l.sqlite.authority.key"], stdin: Self.enrolment(payload))
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr.contains("key"))
        #expect(try cli.entryCount("l.sqlite") == 2)
    }

    @Test(
        "numbers that would change when read, trailing commas and deep nesting are refused with line and column; nothing is written",
        arguments: [
            (#"{"kind":"case.report","stream":"case/1","place":"zhuji/dongsheng","payload":{"n":123456789012345678901234567890}}"#, "outside -2^63"),
            (#"{"kind":"case.report","stream":"case/1","place":"zhuji/dongsheng","payload":{"n":1e400}}"#, "not exactly a 64-bit float"),
            (#"{"kind":"case.report","stream":"case/1","place":"zhuji/dongsheng","payload":{"n":1,},}"#, "trailing commas"),
            (
                #"{"kind":"case.report","stream":"case/1","place":"zhuji/dongsheng","payload":"# + String(repeating: "[", count: 600)
                    + String(repeating: "]", count: 600) + "}", "nested deeper than 64"
            ),
            (#"{"kind":"case.report","stream":"case/1","place":"zhuji/dongsheng","payloadBase64":"AAB="}"#, "canonical base64"),
        ])
    func numbersAndShapes(_ input: String, _ expected: String) throws {
        let cli = try CLI()
        let key = try cli.ledgerWithWorker()
        let result = try cli.run(["append", "l.sqlite", "--key", key], stdin: input)
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains(expected), "\(result.stderr)")
        #expect(result.stderr.contains("line 1") || expected == "canonical base64", "\(result.stderr)")
        #expect(try cli.entryCount("l.sqlite") == 2)
    }

    @Test("a payload is stored as the canonical text of what was read: keys sorted, numbers as written")
    func canonicalPayload() throws {
        let cli = try CLI()
        let key = try cli.ledgerWithWorker()
        let input = #"{"kind":"case.report","stream":"case/1","place":"zhuji/dongsheng","payload":{"b":0.25,"a":[1, 2],"c":"雨"}}"#
        #expect(try cli.run(["append", "l.sqlite", "--key", key], stdin: input).status == 0)
        let log = try cli.run(["log", "l.sqlite", "--from", "2", "--json"])
        let entry = try #require(try JSONSerialization.jsonObject(with: Data(log.stdout.utf8)) as? [String: Any])
        let payload = try #require(entry["payload"] as? [String: Any])
        #expect(payload["b"] as? Double == 0.25)
        #expect((payload["a"] as? [Int]) == [1, 2])
        #expect(payload["c"] as? String == "雨")
    }
}
