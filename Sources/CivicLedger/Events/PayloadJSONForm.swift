/// How a domain's event payloads read and write as JSON: what
/// ``EventJSON`` turns the `payload` member of an event object into, and
/// what exports and `log --json` show for a payload (docs/format.md §10.5).
///
/// A domain whose payloads are binary (the governance domain) gives each
/// kind a JSON form both ways; kinds it does not know keep the default,
/// where the payload *is* JSON, stored canonical.
public protocol PayloadJSONForm: Sendable {
    /// The payload bytes the JSON `json` stands for in an event of `kind`;
    /// `nil` when the kind is not this domain's (the JSON itself, canonical,
    /// is then the payload).
    ///
    /// - Parameters:
    ///   - kind: the event's kind.
    ///   - version: the event's `schemaVersion`: the version of the kind's
    ///     payload the JSON is in.
    ///   - json: the `payload` member.
    ///   - path: how errors name the member, such as `event 3: payload`.
    /// - Throws: ``LedgerError`` `.invalidField` naming the member, its line
    ///   and column, and what is wrong.
    func payload(kind: String, version: UInt32, json: StrictJSON.Node, path: String) throws(LedgerError) -> [UInt8]?

    /// The JSON form of `payload` in an event of `kind`, read as the
    /// `version` it was written in; `nil` when the kind is not this
    /// domain's, the version is not declared, or the bytes do not decode.
    func json(kind: String, version: UInt32, payload: [UInt8]) -> StrictJSON.Value?
}

/// No domain: every payload is JSON.
public struct JSONPayloads: PayloadJSONForm {
    /// The form.
    public init() {}
    public func payload(kind: String, version: UInt32, json: StrictJSON.Node, path: String) throws(LedgerError) -> [UInt8]? { nil }
    public func json(kind: String, version: UInt32, payload: [UInt8]) -> StrictJSON.Value? { nil }
}
