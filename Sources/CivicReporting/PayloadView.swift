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
