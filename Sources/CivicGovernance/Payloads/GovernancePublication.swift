import CivicLedger

/// Who may see an entry whole: the most restricted of its payload's
/// fields (``FieldVisibility``, as declared) and of its envelope. What
/// publishes entries (`civic-ledger tiles --entries-for`, an export for a
/// mirror) asks this before it writes one.
///
/// - A `ledger.*` entry enrols actors by id, with their roles: internal.
/// - A stream named by a resident or an actor (`points/ID`, `resident/ID`,
///   `health/ID`, `deliberation/ID/from/ACTOR`) links that person's acts:
///   internal.
/// - A kind this domain does not declare is unclassified: internal.
/// - A sealed field is ciphertext, but says that the resident has one:
///   internal. A personal field in the clear (an old version's) is
///   personal, and no audience's publication may carry it.
public enum GovernancePublication {
    /// The audience `entry` may be shown to whole, and why not to a wider
    /// one (`nil` for a public entry).
    public static func visibility(of entry: LedgerEntry) -> (visibility: FieldVisibility, because: String?) {
        let kind = entry.kind
        if kind.hasPrefix("ledger.") { return (.internal, "it enrols actors by id, with their roles") }
        let stream = entry.stream
        for prefix in ["points", "resident", "health"] where GovernanceStream.subject(of: stream, prefix: prefix) != nil {
            return (.internal, "its stream \(stream) names a resident")
        }
        if let voice = GovernanceStream.decision(of: stream), voice.participant != nil {
            return (.internal, "its stream \(stream) names an actor")
        }
        if kind == GovernanceKind.rules { return (.public, nil) }
        guard let type = GovernancePayloadForms.payloadType(of: kind, version: entry.schemaVersion) else {
            return (.internal, "\(kind) version \(entry.schemaVersion) has no declared fields")
        }
        var most = FieldVisibility.public
        var named: [String] = []
        for field in type.classifiedFields {
            let seen: FieldVisibility = field.isSealed ? .internal : field.visibility
            if seen > most { (most, named) = (seen, []) }
            if seen == most, seen > .public { named.append(field.name + (field.isSealed ? " (sealed)" : "")) }
        }
        guard most > .public else { return (.public, nil) }
        return (most, "\(most.rawValue) fields: \(named.joined(separator: ", "))")
    }
}
