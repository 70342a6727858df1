/// A signed event on the wire (docs/format.md §2.1): the exact body its
/// actor signed and the signature, each canonical base64, as a JSON object
/// `{"body": B64, "signature": B64}`. What a client that signs on the
/// actor's device sends a service, and what `civic-ledger sign` prints.
///
/// The body is the format's bytes, never re-encoded: the service decodes
/// it strictly and checks the signature over exactly those bytes.
public enum SignedEventJSON {
    /// The JSON object of `event`.
    public static func json(_ event: SignedEvent) -> StrictJSON.Value {
        .object([
            ("body", StrictJSON.Node(value: .string(Array(event.body).base64String))),
            ("signature", StrictJSON.Node(value: .string(event.signature.base64))),
        ])
    }

    /// The signed event a wire object holds; the signature is not checked
    /// here (the ledger checks it at append).
    ///
    /// - Parameters:
    ///   - node: the wire object, as parsed.
    ///   - location: how errors name the object, such as `event 2`.
    /// - Throws: ``LedgerError`` `.invalidField` naming the member (not an
    ///   object, an unknown or missing member, base64 that is not
    ///   canonical, a signature that is not 64 bytes); `.malformed` for a
    ///   body that does not decode.
    public static func event(_ node: StrictJSON.Node, location: String) throws(LedgerError) -> SignedEvent {
        guard case .object(let members) = node.value else {
            throw LedgerError(.invalidField, "\(location): must be an object {\"body\": BASE64, \"signature\": BASE64}")
        }
        if let unknown = members.first(where: { $0.name != "body" && $0.name != "signature" }) {
            throw LedgerError(.invalidField, "\(location).\(unknown.name): not a member (body, signature)")
        }
        func bytes(_ name: String) throws(LedgerError) -> [UInt8] {
            guard let member = node.value[name] else { throw LedgerError(.invalidField, "\(location).\(name): is required") }
            guard case .string(let text) = member.value, let bytes = [UInt8](base64String: text), bytes.base64String == text else {
                throw LedgerError(.invalidField, "\(location).\(name) (line \(member.line), column \(member.column)): must be canonical base64")
            }
            return bytes
        }
        let body = try bytes("body")
        guard let signature = Signature(try bytes("signature")) else {
            throw LedgerError(.invalidField, "\(location).signature: must be 64 bytes")
        }
        do {
            return try SignedEvent(body: body[...], signature: signature)
        } catch {
            throw LedgerError(error.code, "\(location).body: \(error.message)")
        }
    }
}
