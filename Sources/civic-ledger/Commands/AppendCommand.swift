import ArgumentParser
import CivicLedger
import Foundation

struct AppendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "append",
        abstract: "Sign and append a JSON event (or an array of them, atomically).",
        discussion: """
            The event is a JSON object read from --file or standard input:

              {"kind": "case.report", "stream": "case/2026-0001",
               "place": "zhuji/dongsheng/grid-03", "expectedVersion": 0,
               "payload": {"category": "drainage"}}

            expectedVersion is a number or "any" (the default). payload is any JSON \
            value, stored as JSON with sorted keys; payloadBase64 gives raw bytes \
            instead. schemaVersion (default 1), idempotencyKey (default: a new UUID) \
            and clientTime (milliseconds since 1970; default now) are optional.
            """)

    @OptionGroup var ledger: LedgerPath

    @Option(help: "The signer's secret key file.")
    var key: String

    @Option(help: "The event JSON; default: standard input.")
    var file: String?

    @Flag(help: "Print the receipts as JSON.")
    var json = false

    func run() async throws {
        let signer = try KeyFile.read(key)
        let source = file ?? "standard input"
        let data: Data
        if let file {
            guard let contents = FileManager.default.contents(atPath: file) else { throw CLIError.io("cannot read \(file)") }
            data = contents
        } else {
            data = FileHandle.standardInput.readDataToEndOfFile()
        }
        let objects = try EventJSON.parse(data, source: source)
        let opened = try await ledger.files.openLedger()
        let events = try objects.map { location, object in
            let content = try EventJSON.content(object, origin: opened.origin, actorKey: signer.publicKey, location: location)
            return try SignedEvent(signing: content, with: signer)
        }
        let receipts = try await opened.append(batch: events)
        for (event, receipt) in zip(events, receipts) {
            if json {
                print(
                    jsonString([
                        "position": receipt.position, "stream": event.content.stream, "streamVersion": receipt.streamVersion,
                        "recordedAt": receipt.recordedAt.description, "leafHash": receipt.leafHash.base64, "duplicate": receipt.isDuplicate,
                    ]))
            } else {
                let note = receipt.isDuplicate ? " (already in the log: nothing written)" : ""
                print(
                    "appended \(event.content.kind) at position \(receipt.position), \(event.content.stream) version \(receipt.streamVersion)\(note)"
                )
            }
        }
    }
}

/// Reads the JSON form of an event, saying which field is wrong and where.
enum EventJSON {
    static let fields = [
        "clientTime", "expectedVersion", "idempotencyKey", "kind", "payload", "payloadBase64", "place", "schemaVersion", "stream",
    ]

    /// Parses standard input or a file strictly (``StrictJSON``): one
    /// event object, or an array of them.
    static func parse(_ data: Data, source: String) throws -> [(location: String, object: [String: StrictJSON.Node])] {
        let node: StrictJSON.Node
        do {
            node = try StrictJSON.parse(data, what: source)
        } catch {
            throw CLIError.usage(error.message)
        }
        func members(_ node: StrictJSON.Node) -> [String: StrictJSON.Node]? {
            guard case .object(let members) = node.value else { return nil }
            return Dictionary(members.map { ($0.name, $0.node) }, uniquingKeysWith: { first, _ in first })
        }
        switch node.value {
        case .object: return [(source, members(node)!)]
        case .array(let elements) where !elements.isEmpty:
            return try elements.enumerated().map { index, element in
                guard let object = members(element) else {
                    throw CLIError.usage("\(source), element \(index) (line \(element.line)): not a JSON object")
                }
                return ("\(source), element \(index)", object)
            }
        default: throw CLIError.usage("\(source): expected a JSON object or a non-empty array of objects")
        }
    }

    static func content(_ object: [String: StrictJSON.Node], origin: String, actorKey: PublicKey, location: String) throws -> EventContent {
        func fail(_ field: String, _ problem: String) -> CLIError {
            let at = object[field].map { " (line \($0.line), column \($0.column))" } ?? ""
            return CLIError.usage("\(location): field \"\(field)\"\(at): \(problem)")
        }
        func string(_ field: String) throws -> String {
            guard let value = object[field]?.value else { throw fail(field, "is required") }
            guard case .string(let text) = value else { throw fail(field, "must be a string") }
            return text
        }
        if let unknown = object.keys.sorted().first(where: { !fields.contains($0) }) {
            throw fail(unknown, "is not an event field (\(fields.joined(separator: ", ")))")
        }
        let kind = try string("kind")
        let stream = try string("stream")
        let place: Place
        do { place = try Place(validating: try string("place")) } catch let error as LedgerError { throw fail("place", error.message) }
        let expected: ExpectedVersion
        switch object["expectedVersion"]?.value {
        case nil, .string("any")?: expected = .any
        case .integer(let number)? where number >= 0: expected = .exactly(UInt64(number))
        default: throw fail("expectedVersion", "must be \"any\" or a whole number of 0 or more")
        }
        var schema: UInt32 = 1
        if let value = object["schemaVersion"]?.value {
            guard case .integer(let number) = value, let parsed = UInt32(exactly: number), parsed >= 1 else {
                throw fail("schemaVersion", "must be a whole number from 1")
            }
            schema = parsed
        }
        let payload: [UInt8]
        switch (object["payload"]?.value, object["payloadBase64"]?.value) {
        case (nil, nil): payload = []
        case (let value?, nil): payload = StrictJSON.canonical(value)
        case (nil, .string(let text)?):
            guard let bytes = [UInt8](base64String: text), bytes.base64String == text else {
                throw fail("payloadBase64", "must be canonical base64 (padded, no line breaks)")
            }
            payload = bytes
        case (nil, _?): throw fail("payloadBase64", "must be a base64 string")
        default: throw fail("payload", "give payload or payloadBase64, not both")
        }
        var clientTime = Timestamp(Date())
        if let value = object["clientTime"]?.value {
            guard case .integer(let millis) = value else { throw fail("clientTime", "must be whole milliseconds since 1970") }
            clientTime = Timestamp(millisecondsSinceEpoch: millis)
        }
        let idempotencyKey = object["idempotencyKey"] == nil ? UUID().uuidString : try string("idempotencyKey")
        let content = EventContent(
            origin: origin, stream: stream, place: place, expectedVersion: expected, kind: kind, schemaVersion: schema,
            payload: payload, actorKey: actorKey, clientTime: clientTime, idempotencyKey: idempotencyKey)
        do {
            try content.validate()
        } catch {
            throw CLIError.usage("\(location): \(error.message)")
        }
        return content
    }
}
