import Foundation

/// The ledger's own event kinds. They live on the stream ``stream`` in the
/// place `*`, carry JSON payloads (sorted keys, UTF-8), and only the
/// ledger authority signs them, except that an actor may sign the rotation
/// of its own key.
public enum SystemEvent {
    /// The stream that holds every system event, and nothing else.
    public static let stream = "ledger"
    /// The role the authority holds, everywhere.
    public static let authorityRole = "ledger-authority"
    /// The actor id of the authority.
    public static let authorityActor = "ledger-authority"

    /// Kinds of system event.
    public enum Kind {
        /// Position 0: names the origin, the authority key, the log key and the first permission table.
        public static let genesis = "ledger.genesis"
        /// Gives an actor a key (first time) and a role in a scope.
        public static let enrol = "ledger.actor.enrol"
        /// Takes a role in a scope away from an actor.
        public static let withdraw = "ledger.actor.withdraw"
        /// Replaces an actor's key; the old key is valid up to this entry.
        public static let rotate = "ledger.key.rotate"
        /// Revokes a key from a position (possibly an earlier one).
        public static let revoke = "ledger.key.revoke"
        /// Replaces the permission table.
        public static let setPermissions = "ledger.permissions.set"
    }

    /// The payload of `ledger.genesis`.
    public struct Genesis: Codable, Hashable, Sendable {
        /// The ledger's origin; must equal the event's origin.
        public var origin: String
        /// The key that signs system events.
        public var authorityKey: PublicKey
        /// The key that signs checkpoints.
        public var logKey: PublicKey
        /// The first permission table.
        public var permissions: PermissionTable
        /// The domain whose rules the ledger enforces, by its name
        /// (``Projection/name`` of its ``LedgerDomain``, such as
        /// `governance-state`); absent for none, and in ledgers created
        /// before the domain was recorded (docs/format.md §4).
        public var domain: String?

        /// A genesis payload.
        public init(origin: String, authorityKey: PublicKey, logKey: PublicKey, permissions: PermissionTable, domain: String? = nil) {
            self.origin = origin
            self.authorityKey = authorityKey
            self.logKey = logKey
            self.permissions = permissions
            self.domain = domain
        }
    }

    /// The payload of `ledger.actor.enrol`.
    public struct Enrol: Codable, Hashable, Sendable {
        /// The actor's stable id (survives key rotation).
        public var actor: String
        /// The actor's key.
        public var key: PublicKey
        /// The role granted.
        public var role: String
        /// Where the role applies.
        public var scope: Place

        /// An enrolment payload.
        public init(actor: String, key: PublicKey, role: String, scope: Place) {
            self.actor = actor
            self.key = key
            self.role = role
            self.scope = scope
        }
    }

    /// The payload of `ledger.actor.withdraw`.
    public struct Withdraw: Codable, Hashable, Sendable {
        /// The actor losing the role.
        public var actor: String
        /// The role withdrawn.
        public var role: String
        /// The place it was held in.
        public var scope: Place

        /// A withdrawal payload.
        public init(actor: String, role: String, scope: Place) {
            self.actor = actor
            self.role = role
            self.scope = scope
        }
    }

    /// The payload of `ledger.key.rotate`.
    public struct Rotate: Codable, Hashable, Sendable {
        /// The actor whose key changes.
        public var actor: String
        /// The key replaced; valid up to and including this entry.
        public var oldKey: PublicKey
        /// The new key; valid from the next entry.
        public var newKey: PublicKey

        /// A rotation payload.
        public init(actor: String, oldKey: PublicKey, newKey: PublicKey) {
            self.actor = actor
            self.oldKey = oldKey
            self.newKey = newKey
        }
    }

    /// The payload of `ledger.key.revoke`.
    public struct Revoke: Codable, Hashable, Sendable {
        /// The key revoked.
        public var key: PublicKey
        /// The first position at which the key is no longer valid; the
        /// revocation's own position when absent. An earlier position
        /// invalidates what the key signed since then (a compromise found
        /// late), and audits report those entries.
        public var effectiveFrom: UInt64?
        /// Why, for the record.
        public var reason: String

        /// A revocation payload.
        public init(key: PublicKey, effectiveFrom: UInt64? = nil, reason: String) {
            self.key = key
            self.effectiveFrom = effectiveFrom
            self.reason = reason
        }
    }

    /// The payload of `ledger.permissions.set`.
    public struct SetPermissions: Codable, Hashable, Sendable {
        /// The new permission table.
        public var permissions: PermissionTable

        /// A permission-table payload.
        public init(permissions: PermissionTable) { self.permissions = permissions }
    }

    /// The content of a system event: on the stream ``stream``, in the place
    /// `*`, with `payload` encoded as JSON with sorted keys. Sign it with the
    /// key named by `actorKey` (the authority's, or for a rotation the key
    /// being replaced).
    public static func content(
        origin: String, kind: String, payload: some Encodable, actorKey: PublicKey,
        expectedVersion: ExpectedVersion = .any, clientTime: Timestamp, idempotencyKey: String
    ) -> EventContent {
        EventContent(
            origin: origin, stream: stream, place: .everywhere, expectedVersion: expectedVersion, kind: kind,
            payload: encode(payload), actorKey: actorKey, clientTime: clientTime, idempotencyKey: idempotencyKey)
    }

    /// Encodes a system payload as JSON with sorted keys.
    public static func encode(_ payload: some Encodable) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding these plain structs cannot fail.
        return Array(try! encoder.encode(payload))
    }

    /// Decodes a system payload strictly (``StrictJSON/decode(_:from:what:)``:
    /// no duplicate or unknown members, every value in its one canonical
    /// form), naming the kind on failure.
    public static func decode<T: Codable>(_ type: T.Type, from payload: [UInt8], kind: String) throws(LedgerError) -> T {
        do {
            return try StrictJSON.decode(type, from: payload, what: "\(kind) payload")
        } catch {
            throw LedgerError(.invalidSystemEvent, "\(error.message)")
        }
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): "missing field \"\(key.stringValue)\""
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context),
            DecodingError.dataCorrupted(let context):
            (context.codingPath.map(\.stringValue).joined(separator: ".") + " " + context.debugDescription)
                .trimmingCharacters(in: .whitespaces)
        default: "\(error)"
        }
    }
}

extension PublicKey: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let key = PublicKey(base64: text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "\"\(text)\" is not a base64 Ed25519 public key (32 bytes)")
        }
        self = key
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(base64)
    }
}
