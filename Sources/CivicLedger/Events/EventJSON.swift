import Foundation

/// Reads the JSON form of an event, saying which field is wrong and where.
public enum EventJSON {
    /// The members an event object may have.
    public static let fields = [
        "clientTime", "expectedVersion", "idempotencyKey", "kind", "payload", "payloadBase64", "place", "schemaVersion", "stream",
    ]

    /// Parses standard input or a file strictly (``StrictJSON``): one
    /// event object, or an array of them.
    ///
    /// - Throws: ``LedgerError`` `.malformed` naming `source`, the line and
    ///   column.
    public static func parse(_ data: some Collection<UInt8>, source: String) throws(LedgerError) -> [(location: String, object: [String: StrictJSON.Node])] {
        let node = try StrictJSON.parse(data, what: source)
        func members(_ node: StrictJSON.Node) -> [String: StrictJSON.Node]? {
            guard case .object(let members) = node.value else { return nil }
            return Dictionary(members.map { ($0.name, $0.node) }, uniquingKeysWith: { first, _ in first })
        }
        switch node.value {
        case .object: return [(source, members(node)!)]
        case .array(let elements) where !elements.isEmpty:
            var objects: [(location: String, object: [String: StrictJSON.Node])] = []
            for (index, element) in elements.enumerated() {
                guard let object = members(element) else {
                    throw LedgerError(.malformed, "\(source), element \(index) (line \(element.line)): not a JSON object")
                }
                objects.append(("\(source), element \(index)", object))
            }
            return objects
        default: throw LedgerError(.malformed, "\(source): expected a JSON object or a non-empty array of objects")
        }
    }

    /// The event content an event object describes, for `actorKey` to
    /// sign; `clientTime` defaults to `now` and `idempotencyKey` to a new
    /// UUID. The `payload` member is read by `forms` (a governance
    /// ledger's payloads are binary, written as JSON by field); kinds it
    /// does not know keep the JSON, canonical, as their payload.
    ///
    /// - Throws: ``LedgerError`` `.invalidField` naming `location`, the
    ///   field (for a payload, the member: `payload.amount`), its line and
    ///   column, and what is wrong.
    public static func content(
        _ object: [String: StrictJSON.Node], origin: String, actorKey: PublicKey, location: String, now: Timestamp = Timestamp(Date()),
        forms: any PayloadJSONForm = JSONPayloads()
    ) throws(LedgerError) -> EventContent {
        func fail(_ field: String, _ problem: String) -> LedgerError {
            let at = object[field].map { " (line \($0.line), column \($0.column))" } ?? ""
            return LedgerError(.invalidField, "\(location): field \"\(field)\"\(at): \(problem)")
        }
        func string(_ field: String) throws(LedgerError) -> String {
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
        do { place = try Place(validating: try string("place")) } catch { throw fail("place", error.message) }
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
        case (let value?, nil):
            let node = object["payload"] ?? StrictJSON.Node(value: value)
            payload = try forms.payload(kind: kind, version: schema, json: node, path: "\(location): payload") ?? StrictJSON.canonical(value)
        case (nil, .string(let text)?):
            guard let bytes = [UInt8](base64String: text), bytes.base64String == text else {
                throw fail("payloadBase64", "must be canonical base64 (padded, no line breaks)")
            }
            payload = bytes
        case (nil, _?): throw fail("payloadBase64", "must be a base64 string")
        default: throw fail("payload", "give payload or payloadBase64, not both")
        }
        var clientTime = now
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
            throw LedgerError(error.code, "\(location): \(error.message)")
        }
        return content
    }
}
