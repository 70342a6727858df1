/// Who holds which key and which roles, as of some position of the log.
///
/// Built by replaying the `ledger.*` system events from genesis; nothing in
/// it comes from outside the log. The append pipeline and every verifier
/// use this one type, so the same rules hold at append and at replay.
public struct AuthorityRegistry: Hashable, Sendable, Codable {
    /// The life of one key, in log positions.
    public struct KeyRecord: Hashable, Sendable, Codable {
        /// The actor the key belongs to.
        public var actor: String
        /// The first position the key may sign at: the entry after its enrolment or rotation.
        public var validFrom: UInt64
        /// The first position it may no longer sign at because it was rotated out.
        public var validUntil: UInt64 = .max
        /// The first position it may no longer sign at because it was revoked.
        public var revokedFrom: UInt64 = .max
    }

    /// A role held in a place.
    public struct RoleGrant: Hashable, Sendable, Codable, CustomStringConvertible {
        /// The role, e.g. `grid-worker`.
        public var role: String
        /// The place the role covers, with everything beneath it.
        public var scope: Place
        /// A role held in a place.
        public init(role: String, scope: Place) {
            self.role = role
            self.scope = scope
        }
        public var description: String { "\(role)@\(scope)" }
    }

    /// An actor: a stable id, its current key and its roles.
    public struct ActorRecord: Hashable, Sendable, Codable {
        /// The actor's stable id.
        public var id: String
        /// The actor's current key.
        public var key: PublicKey
        /// The roles the actor holds, each in a place.
        public var roles: [RoleGrant]
    }

    /// The ledger's origin.
    public private(set) var origin: String
    /// The key that signs system events now.
    public private(set) var authorityKey: PublicKey
    /// The key that signs checkpoints.
    public private(set) var logKey: PublicKey
    /// The permission table in force.
    public private(set) var permissions: PermissionTable
    /// Every key ever enrolled, by key.
    public private(set) var keys: [PublicKey: KeyRecord]
    /// Every actor, by id.
    public private(set) var actors: [String: ActorRecord]

    /// The actor whose current key `key` is, and who may still sign with
    /// it: `nil` for a key never enrolled, rotated out or revoked. What a
    /// reader presents is checked with this, so an old key reads nothing.
    public func currentActor(of key: PublicKey) -> ActorRecord? {
        guard let record = keys[key], record.validUntil == .max, record.revokedFrom == .max, let actor = actors[record.actor],
            actor.key == key
        else { return nil }
        return actor
    }

    /// Folds `entry` into `registry` the way a domain that keeps its own
    /// copy of the registry does: the genesis creates it, every later
    /// `ledger.*` entry applies (one the rules refuse changes nothing, as
    /// replay follows the log as stored), and other kinds are ignored.
    ///
    /// - Returns: `true` when `entry` is a `ledger.*` entry.
    @discardableResult
    public static func fold(_ entry: LedgerEntry, into registry: inout AuthorityRegistry?) -> Bool {
        let kind = entry.kind
        guard kind.hasPrefix("ledger.") else { return false }
        if kind == SystemEvent.Kind.genesis, registry == nil,
            let genesis = try? SystemEvent.decode(SystemEvent.Genesis.self, from: entry.payload, kind: kind)
        {
            registry = AuthorityRegistry(genesis: genesis)
        } else {
            try? registry?.apply(entry.content, at: entry.position)
        }
        return true
    }

    /// The registry a genesis event creates.
    public init(genesis: SystemEvent.Genesis) {
        origin = genesis.origin
        authorityKey = genesis.authorityKey
        logKey = genesis.logKey
        permissions = genesis.permissions
        keys = [genesis.authorityKey: KeyRecord(actor: SystemEvent.authorityActor, validFrom: 0)]
        actors = [
            SystemEvent.authorityActor: ActorRecord(
                id: SystemEvent.authorityActor, key: genesis.authorityKey,
                roles: [RoleGrant(role: SystemEvent.authorityRole, scope: .everywhere)])
        ]
    }

    /// Checks that `event` may be signed by its key at `position`: the key
    /// is enrolled and valid there, and one of its actor's roles may sign
    /// the kind in the event's place.
    ///
    /// - Parameters:
    ///   - event: the event's content.
    ///   - position: the position the entry has, or will have.
    ///   - laterRevocations: revocations an auditor already knows of from
    ///     later in the log (a compromise recorded late); empty at append
    ///     time.
    /// - Throws: ``LedgerError`` `.unknownKey`, `.keyNotValid`,
    ///   `.notAuthorised` or `.invalidSystemEvent`.
    public func authorise(
        _ event: EventContent, at position: UInt64, laterRevocations: [PublicKey: UInt64] = [:]
    ) throws(LedgerError) {
        let key = event.actorKey
        guard let record = keys[key] else {
            throw LedgerError(.unknownKey, "key \(key.fingerprint) is not enrolled in this ledger", position: position, stream: event.stream, key: key)
        }
        guard record.validFrom <= position else {
            throw LedgerError(.keyNotValid, "key of \(record.actor) is valid only from position \(record.validFrom)", position: position, stream: event.stream, key: key)
        }
        guard position < record.validUntil else {
            throw LedgerError(.keyNotValid, "key of \(record.actor) was rotated out before position \(record.validUntil)", position: position, stream: event.stream, key: key)
        }
        let revokedFrom = Swift.min(record.revokedFrom, laterRevocations[key] ?? .max)
        guard position < revokedFrom else {
            throw LedgerError(.keyNotValid, "key of \(record.actor) is revoked from position \(revokedFrom)", position: position, stream: event.stream, key: key)
        }
        let isSystem = event.kind.hasPrefix("ledger.")
        guard isSystem == (event.stream == SystemEvent.stream) else {
            throw LedgerError(
                .invalidSystemEvent,
                isSystem ? "\(event.kind) must be on the stream \"ledger\"" : "only ledger.* kinds may be on the stream \"ledger\"",
                position: position, stream: event.stream, key: key)
        }
        if isSystem {
            guard event.place == .everywhere else {
                throw LedgerError(.invalidSystemEvent, "\(event.kind) must be in the place *", position: position, stream: event.stream, key: key)
            }
            // A rotation may be signed by the key it rotates; apply(_:at:) checks which.
            guard key == authorityKey || event.kind == SystemEvent.Kind.rotate else {
                throw LedgerError(.notAuthorised, "only the ledger authority may sign \(event.kind)", position: position, stream: event.stream, key: key)
            }
            return
        }
        let roles = actors[record.actor]?.roles ?? []
        for grant in roles where event.place.isWithin(grant.scope) && permissions.allows(role: grant.role, kind: event.kind) {
            return
        }
        let held = roles.isEmpty ? "no roles" : "roles " + roles.map(\.description).joined(separator: ", ")
        throw LedgerError(
            .notAuthorised, "actor \(record.actor) (\(held)) may not sign \(event.kind) in \(event.place)",
            position: position, stream: event.stream, key: key)
    }

    /// Applies a `ledger.*` system event that ``authorise(_:at:laterRevocations:)`` accepted.
    ///
    /// - Throws: ``LedgerError`` `.invalidSystemEvent` when the payload is
    ///   malformed or the change is not allowed; the registry is unchanged.
    public mutating func apply(_ event: EventContent, at position: UInt64) throws(LedgerError) {
        do {
            try applyUnchecked(event, at: position)
        } catch {
            throw error.at(position: position)
        }
    }

    private mutating func applyUnchecked(_ event: EventContent, at position: UInt64) throws(LedgerError) {
        let signer = event.actorKey
        switch event.kind {
        case SystemEvent.Kind.genesis:
            throw LedgerError(.invalidSystemEvent, "ledger.genesis is only valid at position 0")

        case SystemEvent.Kind.enrol:
            let enrol = try SystemEvent.decode(SystemEvent.Enrol.self, from: event.payload, kind: event.kind)
            try Self.checkActorID(enrol.actor)
            try Self.checkRoleName(enrol.role)
            guard enrol.role != SystemEvent.authorityRole else {
                throw LedgerError(.invalidSystemEvent, "the role \(SystemEvent.authorityRole) cannot be granted")
            }
            let grant = RoleGrant(role: enrol.role, scope: enrol.scope)
            if let existing = keys[enrol.key] {
                guard existing.actor == enrol.actor else {
                    throw LedgerError(.invalidSystemEvent, "key \(enrol.key.fingerprint) already belongs to actor \(existing.actor)", key: enrol.key)
                }
            }
            if var actor = actors[enrol.actor] {
                guard actor.key == enrol.key else {
                    throw LedgerError(.invalidSystemEvent, "actor \(enrol.actor) holds key \(actor.key.fingerprint), not \(enrol.key.fingerprint); rotate it instead", key: enrol.key)
                }
                guard !actor.roles.contains(grant) else {
                    throw LedgerError(.invalidSystemEvent, "actor \(enrol.actor) already holds \(grant)")
                }
                actor.roles.append(grant)
                actors[enrol.actor] = actor
            } else {
                actors[enrol.actor] = ActorRecord(id: enrol.actor, key: enrol.key, roles: [grant])
                keys[enrol.key] = KeyRecord(actor: enrol.actor, validFrom: position + 1)
            }

        case SystemEvent.Kind.withdraw:
            let withdraw = try SystemEvent.decode(SystemEvent.Withdraw.self, from: event.payload, kind: event.kind)
            let grant = RoleGrant(role: withdraw.role, scope: withdraw.scope)
            guard withdraw.actor != SystemEvent.authorityActor else {
                throw LedgerError(.invalidSystemEvent, "the authority's role cannot be withdrawn")
            }
            guard var actor = actors[withdraw.actor], let index = actor.roles.firstIndex(of: grant) else {
                throw LedgerError(.invalidSystemEvent, "actor \(withdraw.actor) does not hold \(grant)")
            }
            actor.roles.remove(at: index)
            actors[withdraw.actor] = actor

        case SystemEvent.Kind.rotate:
            let rotate = try SystemEvent.decode(SystemEvent.Rotate.self, from: event.payload, kind: event.kind)
            guard var actor = actors[rotate.actor] else {
                throw LedgerError(.invalidSystemEvent, "actor \(rotate.actor) is not enrolled")
            }
            guard actor.key == rotate.oldKey else {
                throw LedgerError(.invalidSystemEvent, "actor \(rotate.actor)'s key is \(actor.key.fingerprint), not \(rotate.oldKey.fingerprint)", key: rotate.oldKey)
            }
            guard signer == authorityKey || signer == rotate.oldKey else {
                throw LedgerError(.notAuthorised, "a rotation is signed by the authority or by the key it replaces", key: signer)
            }
            guard keys[rotate.newKey] == nil else {
                throw LedgerError(.invalidSystemEvent, "key \(rotate.newKey.fingerprint) was enrolled before; a key is used once", key: rotate.newKey)
            }
            keys[rotate.oldKey]?.validUntil = position + 1
            keys[rotate.newKey] = KeyRecord(actor: rotate.actor, validFrom: position + 1)
            actor.key = rotate.newKey
            actors[rotate.actor] = actor
            if rotate.actor == SystemEvent.authorityActor { authorityKey = rotate.newKey }

        case SystemEvent.Kind.revoke:
            let revoke = try SystemEvent.decode(SystemEvent.Revoke.self, from: event.payload, kind: event.kind)
            guard keys[revoke.key] != nil else {
                throw LedgerError(.invalidSystemEvent, "key \(revoke.key.fingerprint) is not enrolled", key: revoke.key)
            }
            guard revoke.key != authorityKey else {
                throw LedgerError(.invalidSystemEvent, "the current authority key cannot be revoked; rotate it first", key: revoke.key)
            }
            try EventContent.checkText(revoke.reason, "revocation reason", max: 1024)
            let from = revoke.effectiveFrom ?? position
            keys[revoke.key]!.revokedFrom = Swift.min(keys[revoke.key]!.revokedFrom, from)

        case SystemEvent.Kind.setPermissions:
            permissions = try SystemEvent.decode(SystemEvent.SetPermissions.self, from: event.payload, kind: event.kind).permissions

        default:
            throw LedgerError(.invalidSystemEvent, "unknown system event kind \(event.kind)")
        }
    }

    /// The first position at which a `ledger.key.revoke` event makes its key
    /// invalid, if `event` is one; used by auditors to learn revocations
    /// recorded late before replaying.
    public static func revocation(in event: EventContent, at position: UInt64) -> (key: PublicKey, from: UInt64)? {
        guard event.kind == SystemEvent.Kind.revoke, event.stream == SystemEvent.stream,
            let revoke = try? SystemEvent.decode(SystemEvent.Revoke.self, from: event.payload, kind: event.kind)
        else { return nil }
        return (revoke.key, revoke.effectiveFrom ?? position)
    }

    /// Role names: 1 to 64 of `a-z`, `0-9`, `-`, `_`.
    static func checkRoleName(_ role: String) throws(LedgerError) {
        guard !role.isEmpty, role.utf8.count <= 64,
            role.utf8.allSatisfy({ (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") })
        else {
            throw LedgerError(.invalidSystemEvent, "role \"\(role)\" must be 1 to 64 of a-z 0-9 - _")
        }
    }

    /// Actor ids: 1 to 128 bytes without control characters.
    static func checkActorID(_ id: String) throws(LedgerError) {
        do {
            try EventContent.checkText(id, "actor id", max: 128)
        } catch {
            throw LedgerError(.invalidSystemEvent, error.message)
        }
    }
}
