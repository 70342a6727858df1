import CivicLedger

extension GovernanceState {
    /// Checks that `entry` may come next, by the rules of docs/domain.md and
    /// the community's rules in force. `ledger.*` entries are the core's.
    ///
    /// Kinds under the domain's prefixes (`case.`, `points.`, `archive.`,
    /// `health.`, `volunteer.`, `supplies.`, `community.`) must be known
    /// and on their stream; other kinds pass (the permission table limits
    /// who signs them).
    public func check(_ entry: LedgerEntry) throws(LedgerError) {
        let kind = entry.kind
        if kind.hasPrefix("ledger.") { return }
        guard let registry else {
            throw LedgerError(.domainRule, "no genesis yet", stream: entry.stream)
        }
        let signer = registry.keys[entry.actorKey]?.actor ?? "?"
        var context = Context(entry: entry, signer: signer, state: self)
        if kind == GovernanceKind.rules || Self.domainPrefixes.contains(where: kind.hasPrefix) {
            let version = entry.schemaVersion
            let declared = GovernanceKind.versions(of: kind)
            guard declared.contains(version) else {
                throw context.error(
                    .unknownVersion,
                    "\(kind) has no schema version \(version): this domain declares \(declared.lowerBound == declared.upperBound ? "version \(declared.lowerBound)" : "versions \(declared.lowerBound) to \(declared.upperBound)") (docs/format.md §10)"
                )
            }
        }
        if kind == GovernanceKind.rules { return try checkRules(&context) }
        guard Self.domainPrefixes.contains(where: kind.hasPrefix) else { return }
        guard let rules else {
            throw context.error(.domainRule, "the community has no rules yet; append community.rules first")
        }
        context.rules = rules
        if kind.hasPrefix("case.") { return try checkCase(context) }
        if kind.hasPrefix("points.") { return try checkPoints(context) }
        if kind.hasPrefix("archive.") || kind.hasPrefix("health.") { return try checkArchive(context) }
        if kind.hasPrefix("volunteer.") { return try checkTask(context) }
        if kind.hasPrefix("supplies.") { return try checkSupplies(context) }
        if kind.hasPrefix("deliberation.") { return try checkDeliberation(context) }
        if kind == GovernanceKind.mode {
            try context.onStream(GovernanceKind.communityStream)
            let change = try context.decode(ModeChange.self)
            guard change.mode != mode || change.phase != phase else {
                throw context.error(.domainRule, "the community is already in \(mode.rawValue) mode, phase \(phase.rawValue)")
            }
            return
        }
        throw context.error(.domainRule, "\(kind) is not a kind of the governance domain")
    }

    /// The kind prefixes the domain owns: a kind under them must be known.
    static let domainPrefixes = ["case.", "points.", "archive.", "health.", "volunteer.", "supplies.", "community.", "deliberation."]

    /// What every check needs: the entry, its signer's actor id, the rules.
    struct Context {
        let entry: LedgerEntry
        let signer: String
        let state: GovernanceState
        var rules: GovernanceRules!

        var kind: String { entry.kind }
        var stream: String { entry.stream }
        var time: Timestamp { entry.recordedAt }

        func error(_ code: LedgerError.Code, _ message: String) -> LedgerError {
            LedgerError(code, message, stream: entry.stream, key: entry.actorKey)
        }

        func decode<P: GovernancePayload>(_ type: P.Type) throws(LedgerError) -> P {
            do {
                return try P(entry: entry)
            } catch {
                throw self.error(.malformed, "\(kind) payload: \(error.message)")
            }
        }

        func onStream(_ expected: String) throws(LedgerError) {
            guard stream == expected else { throw error(.domainRule, "\(kind) goes on the stream \(expected), not \(stream)") }
        }

        /// The id after `prefix/` in the stream name.
        func subject(_ prefix: String) throws(LedgerError) -> String {
            guard let subject = GovernanceStream.subject(of: stream, prefix: prefix) else {
                throw error(.domainRule, "\(kind) goes on a \(prefix)/ID stream, not \(stream)")
            }
            return String(subject)
        }

        /// `true` when the signer holds one of `roles` in a place covering the entry's.
        func signerHolds(anyOf roles: [String]) -> Bool {
            let grants = state.registry?.actors[signer]?.roles ?? []
            return grants.contains { roles.contains($0.role) && entry.place.isWithin($0.scope) }
        }

        /// Refuses `value` of the payload's `field` outside `bounds`
        /// (``GovernanceLimits``), naming the kind, the field and the bounds.
        func within<T: BinaryInteger>(_ field: String, _ value: T, _ bounds: ClosedRange<T>) throws(LedgerError) {
            guard bounds.contains(value) else {
                throw error(.malformed, "\(kind) payload: " + GovernanceLimits.outOfBounds(field, value, bounds))
            }
        }

        func needText(_ text: String, _ what: String) throws(LedgerError) {
            guard !text.allSatisfy(\.isWhitespace) else { throw error(.domainRule, "\(kind) needs \(what)") }
        }
    }

    // MARK: Rules

    func checkRules(_ context: inout Context) throws(LedgerError) {
        try context.onStream(GovernanceKind.communityStream)
        let new: GovernanceRules
        do {
            new = try GovernanceRules(payload: context.entry.payload)
        } catch {
            throw context.error(error.code, error.message)
        }
        guard new.retentionDays == nil || context.entry.schemaVersion >= 2 else {
            throw context.error(.unknownVersion, "retentionDays is a member of community.rules version 2, not version 1")
        }
        guard new.community == context.entry.place else {
            throw context.error(.domainRule, "the rules are for \(new.community) but the event is in \(context.entry.place)")
        }
        if let rules, rules.community != new.community {
            throw context.error(.domainRule, "the community is \(rules.community); rules cannot move it to \(new.community)")
        }
    }

}
