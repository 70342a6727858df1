import CivicGovernance
import CivicLedger

/// What a reader of a service may see, by the roles the ledger's registry
/// gives the key that signed the request (`RequestSignature`), or none
/// for an unsigned request. docs/threat-model.md has the table.
///
/// | reader | cases | feed | a resident's points | inclusion proofs |
/// |---|---|---|---|---|
/// | anonymous | the public board | no | no | no |
/// | a resident, a volunteer | the public board | public entries, public fields | their own | of entries they signed |
/// | staff (grid, community, street, department, committee) | in full within their scopes, the public board elsewhere | entries within and above their scopes, no sealed field | anyone's | any |
/// | a supervisor | in full | every entry, no sealed field | anyone's | any |
///
/// The public board shows a case without its reporter and with its place
/// cut to the grid (the community's place and one more part).
public struct ReadAccess: Sendable {
    /// The kinds of reader.
    public enum Tier: String, Sendable, Comparable {
        case anonymous, resident, staff, supervisor

        public static func < (lhs: Tier, rhs: Tier) -> Bool { lhs.rank < rhs.rank }
        private var rank: Int {
            switch self {
            case .anonymous: 0
            case .resident: 1
            case .staff: 2
            case .supervisor: 3
            }
        }
    }

    /// The roles whose holders act on cases and archives.
    public static let staffRoles: Set<String> = [
        "grid-informant", "grid-worker", "grid-leader", "community-secretary", "street-office", "department-staff", "points-committee",
    ]

    /// The reader's actor id; `nil` when anonymous.
    public let actor: String?
    /// The reader's key; `nil` when anonymous.
    public let key: PublicKey?
    /// What kind of reader.
    public let tier: Tier
    /// For staff, the places their staff roles cover.
    public let scopes: [Place]
    /// The community's place: the public board cuts places to one part below it.
    public let community: Place?

    /// An anonymous reader.
    public static func anonymous(community: Place?) -> ReadAccess {
        ReadAccess(actor: nil, key: nil, tier: .anonymous, scopes: [], community: community)
    }

    /// The reader whose key is `key`, by the roles `registry` gives its
    /// actor now (a key unknown, rotated out or revoked reads as anonymous).
    public static func reader(_ key: PublicKey?, registry: AuthorityRegistry?, community: Place?) -> ReadAccess {
        guard let key, let record = registry?.currentActor(of: key) else { return anonymous(community: community) }
        let actor = record.id
        let roles = record.roles
        if roles.contains(where: { $0.role == "supervisor" }) {
            return ReadAccess(actor: actor, key: key, tier: .supervisor, scopes: [.everywhere], community: community)
        }
        let staff = roles.filter { staffRoles.contains($0.role) }.map(\.scope)
        if !staff.isEmpty { return ReadAccess(actor: actor, key: key, tier: .staff, scopes: staff, community: community) }
        return ReadAccess(actor: actor, key: key, tier: .resident, scopes: [], community: community)
    }

    /// Whether the reader sees things at `place` in full.
    public func coversInFull(_ place: Place) -> Bool {
        tier == .supervisor || (tier == .staff && scopes.contains { place.isWithin($0) })
    }

    /// The case as this reader may see it: in full where ``coversInFull(_:)``,
    /// else the public board's view (no reporter; the place cut to the grid).
    public func caseView(stream: String, record: CaseRecord, at time: Timestamp, registry: AuthorityRegistry?) -> CaseView {
        var view = CaseView(stream: stream, record: record, at: time, registry: registry)
        guard !coversInFull(record.place) else { return view }
        view.reporter = nil
        view.place = Self.grid(of: record.place, community: community)
        return view
    }

    /// `place` cut to the community's place and one more part (the grid).
    public static func grid(of place: Place, community: Place?) -> String {
        let parts = place.path.split(separator: "/")
        let depth = (community?.path.split(separator: "/").count ?? max(parts.count - 1, 0)) + 1
        return parts.prefix(depth).joined(separator: "/")
    }

    /// Whether the reader may follow the feed at all.
    public var mayFollowFeed: Bool { tier != .anonymous }

    /// `entry` as one line of JSON for this reader's feed, or `nil` when
    /// the reader may not see it: a resident sees public entries
    /// (`GovernancePublication`) with their public fields; staff the
    /// entries within their scopes, and a supervisor every entry, each
    /// without its sealed fields.
    public func feedLine(_ entry: LedgerEntry) -> String? {
        switch tier {
        case .anonymous:
            return nil
        case .resident:
            guard GovernancePublication.visibility(of: entry).visibility == .public else { return nil }
            return LedgerExport.view(of: entry, payload: GovernancePayloadView.view(of: entry, upTo: .public))
        case .staff, .supervisor:
            // Within their scopes, and what is above them (the genesis, the community's rules).
            guard coversInFull(entry.place) || scopes.contains(where: { $0.isWithin(entry.place) }) else { return nil }
            return LedgerExport.view(of: entry, payload: GovernancePayloadView.view(of: entry, upTo: .internal))
        }
    }

    /// Whether the reader may see `resident`'s points by resident id (the
    /// public sees points under pseudonyms, in the report).
    public func mayReadPoints(of resident: String) -> Bool {
        tier >= .staff || (tier == .resident && actor == resident)
    }

    /// Whether the reader may have the inclusion proof of `entry`, which
    /// carries the entry whole: staff and supervisors, and its signer.
    public func mayProve(_ entry: LedgerEntry) -> Bool {
        tier >= .staff || (key != nil && entry.actorKey == key)
    }
}
