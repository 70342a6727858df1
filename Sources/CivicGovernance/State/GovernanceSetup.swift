import CivicLedger

/// The default permission table of docs/domain.md §1: which role may sign which
/// kind. A new governance ledger writes it at genesis; a community changes
/// it with a `ledger.permissions.set` event. Where a role may sign is the
/// scope it is enrolled with; who exactly may take a step (the department's
/// staff, the reporter, a rule's grantors) is the domain's check.
public enum GovernancePermissions {
    /// The roles of docs/domain.md §1 and the kinds each signs.
    public static let defaults = try! PermissionTable([
        "ledger-authority": ["community.rules"],
        "resident": [
            "case.report", "case.rate", "volunteer.claim", "volunteer.complete", "points.appeal", "points.redeem", "deliberation.propose",
            "deliberation.comment",
        ],
        "grid-informant": ["case.report"],
        "grid-worker": [
            "case.report", "case.verify", "archive.register", "archive.update", "archive.visit", "health.record", "volunteer.post",
            "volunteer.confirm", "points.award",
        ],
        "grid-leader": ["case.report", "case.accept", "case.reject", "case.verify", "volunteer.post", "volunteer.confirm", "points.award"],
        "community-secretary": [
            "case.approve", "case.close", "case.shelve", "points.issue", "points.award", "points.deduct", "points.period-close",
            "community.mode",
            "archive.erase", "archive.expire", "volunteer.post", "volunteer.confirm", "supplies.*", "deliberation.*",
        ],
        "street-office": ["case.review", "case.dispatch", "case.delivery-failed", "case.delivery-retried", "case.shelve", "case.close"],
        "department-staff": ["case.acknowledge", "case.progress", "case.resolve", "case.return", "case.extend"],
        "points-committee": ["points.award", "points.deduct", "points.appeal-decision"],
        "supervisor": ["case.remind"],
        "party-member": ["volunteer.claim", "volunteer.complete", "deliberation.propose", "deliberation.comment"],
        "volunteer": ["volunteer.claim", "volunteer.complete"],
    ])
}

/// Creating and opening ledgers that enforce the governance domain.
public enum GovernanceLedger {
    /// Creates a ledger on an empty store with the default permissions and
    /// the governance rules enforced, then appends `rules` (signed by the
    /// authority) as its first `community.rules`.
    public static func create(
        store: any EventStore, origin: String, authority: any Signer, logSigner: any Signer, rules: GovernanceRules,
        permissions: PermissionTable = GovernancePermissions.defaults, clock: any LedgerClock = SystemClock(),
        configuration: LedgerConfiguration = LedgerConfiguration()
    ) async throws -> Ledger {
        let ledger = try await Ledger.create(
            store: store, origin: origin, authority: authority, logSigner: logSigner, permissions: permissions, domain: GovernanceState(),
            clock: clock, configuration: configuration)
        let state = try await state(of: ledger)
        let event = try GovernanceCommands(origin: origin).setRules(
            rules, by: authority, state: state, at: clock.now(), idempotencyKey: "rules-1")
        _ = try await ledger.append(event)
        return ledger
    }

    /// Opens a governance ledger with its ``GovernanceState``: from the
    /// sealed state snapshot and the entries after it when there is one that
    /// checks (docs/format.md §8.1; a million entries in under a second),
    /// otherwise by replaying the log.
    public static func open(
        store: any EventStore, logSigner: (any Signer)? = nil, clock: any LedgerClock = SystemClock(),
        configuration: LedgerConfiguration = LedgerConfiguration()
    ) async throws -> Ledger {
        try await Ledger.open(store: store, logSigner: logSigner, domain: GovernanceState(), clock: clock, configuration: configuration)
    }

    /// Opens the governance ledger `store` holds, or creates it with
    /// `rules` when the store is empty: what a service calls on every
    /// start.
    ///
    /// `rules` must equal the ledger's current rules: to change them (add a
    /// department, say), append ``GovernanceCommands/setRules(_:by:state:at:idempotencyKey:)``
    /// signed by the authority, then pass the new rules.
    ///
    /// - Throws: `LedgerError` `.wrongOrigin` when the store holds a ledger
    ///   of another origin; `.domainRule` when it is not a governance
    ///   ledger, or its rules differ from `rules`; what ``create(store:origin:authority:logSigner:rules:permissions:clock:configuration:)``
    ///   and ``open(store:logSigner:clock:configuration:)`` throw.
    public static func openOrCreate(
        store: any EventStore, origin: String, authority: any Signer, logSigner: any Signer, rules: GovernanceRules,
        permissions: PermissionTable = GovernancePermissions.defaults, clock: any LedgerClock = SystemClock(),
        configuration: LedgerConfiguration = LedgerConfiguration()
    ) async throws -> Ledger {
        if try await store.head() == nil {
            do {
                return try await create(
                    store: store, origin: origin, authority: authority, logSigner: logSigner, rules: rules, permissions: permissions,
                    clock: clock, configuration: configuration)
            } catch let error as LedgerError where error.code == .storeConflict || error.code == .alreadyInitialised {
                // Another process created it first: open theirs.
            }
        }
        let ledger = try await open(store: store, logSigner: logSigner, clock: clock, configuration: configuration)
        guard ledger.origin == origin else {
            try? await ledger.close()
            throw LedgerError(.wrongOrigin, "the store holds the ledger \"\(ledger.origin)\", not \"\(origin)\"")
        }
        // Rules that differ are never ignored: they change only by an event.
        guard let current = try await state(of: ledger).rules, current == rules else {
            try? await ledger.close()
            throw LedgerError(
                .domainRule,
                "the ledger's community rules differ from the rules given; they change only by a community.rules event signed by the authority (GovernanceCommands.setRules): append one, or pass the ledger's rules (GovernanceLedger.state(of:).rules)"
            )
        }
        return ledger
    }

    /// The domain a ledger enforces, as its genesis records it: an empty
    /// ``GovernanceState`` for a governance ledger, `nil` for none. A
    /// ledger created before the genesis recorded its domain is a
    /// governance ledger when its first entry after the genesis sets the
    /// community's rules, as ``create(store:origin:authority:logSigner:rules:permissions:clock:configuration:)``
    /// has always written it.
    ///
    /// - Throws: `LedgerError` `.domainRule` for a domain this library does
    ///   not know; store errors.
    public static func domain(of store: any EventStoreReader) async throws -> (any LedgerDomain)? {
        switch try await Ledger.genesis(of: store).domain {
        case GovernanceState.name?:
            return GovernanceState()
        case let other?:
            throw LedgerError(.domainRule, "the ledger enforces the domain \(other), which this library does not know")
        case nil:
            guard let stored = try await store.entries(from: 1, limit: 1).first,
                let entry = try? LedgerEntry(bytes: stored.bytes), entry.kind == GovernanceKind.rules
            else { return nil }
            return GovernanceState()
        }
    }

    /// The ledger's committed governance state.
    ///
    /// - Throws: `LedgerError` `.domainRule` when the ledger does not
    ///   enforce the governance domain.
    public static func state(of ledger: Ledger) async throws -> GovernanceState {
        guard let state = await ledger.domain as? GovernanceState else {
            throw LedgerError(.domainRule, "this ledger was opened without the governance domain")
        }
        return state
    }
}
