import CivicGovernance
import CivicLedger

/// Governance payloads as exports and `log --json` show them: their JSON
/// form (`GovernancePayloadForms`), the same JSON `civic-ledger append`
/// reads. A sealed personal field shows as `{"sealed": BASE64}`: the
/// ciphertext the entry bytes carry anyway, never anything opened.
public enum GovernancePayloadView {
    /// The payload type of each governance kind whose payload is binary
    /// (`community.rules` is JSON and needs none).
    public static func payloadType(of kind: String) -> (any GovernancePayload.Type)? { GovernancePayloadForms.payloadType(of: kind) }

    /// The JSON form of `entry`'s payload, in the version it was written
    /// in (docs/format.md §10.0), or `nil`
    /// when its kind has no binary payload type or the payload does not
    /// decode.
    public static func view(of entry: LedgerEntry) -> StrictJSON.Value? {
        GovernancePayloadForms().json(kind: entry.kind, version: entry.schemaVersion, payload: entry.payload)
    }
}

extension GovernancePayloadView {
    /// The JSON form of `entry`'s payload with only the fields a reader of
    /// `visibility` may see (`FieldVisibility`): sealed fields and
    /// personal ones are left out at every level, internal ones below
    /// internal. `nil` as for ``view(of:)``.
    public static func view(of entry: LedgerEntry, upTo visibility: FieldVisibility) -> StrictJSON.Value? {
        guard let type = GovernancePayloadForms.payloadType(of: entry.kind, version: entry.schemaVersion),
            case .object(let members)? = view(of: entry)
        else { return nil }
        let shown = Set(type.classifiedFields.filter { !$0.isSealed && $0.visibility != .personal && $0.visibility <= visibility }.map(\.name))
        return .object(members.filter { shown.contains($0.name) })
    }
}
