import CivicLedger
import Foundation
import Synchronization

/// A clock tests move by hand; it starts at 2026-01-01T00:00:00Z.
public final class ManualClock: LedgerClock {
    private let current: Mutex<Timestamp>

    /// A clock at `start`.
    public init(start: Timestamp = Timestamp(millisecondsSinceEpoch: 1_767_225_600_000)) {
        current = Mutex(start)
    }

    /// The clock's current time.
    public func now() -> Timestamp { current.withLock { $0 } }

    /// Moves the clock forward.
    public func advance(milliseconds: Int64) {
        current.withLock { $0 = $0.adding(milliseconds: milliseconds) }
    }
}

/// Keys derived from names, so fixtures are the same on every run.
public enum FixtureKeys {
    /// The key for `name`: its seed is SHA-256("civic-ledger fixture key:" ‖ name).
    public static func key(_ name: String) -> SigningKey {
        SigningKey(seed: SHA256.hash(Array("civic-ledger fixture key:\(name)".utf8)).bytes)!
    }
}

/// A ledger with known keys, and helpers to enrol actors and sign events:
/// the starting point of most tests and benchmarks.
public struct LedgerFixture: Sendable {
    /// The ledger.
    public let ledger: Ledger
    /// The store under it.
    public let store: any RepairableEventStore
    /// The authority's key.
    public let authority: SigningKey
    /// The log key.
    public let logKey: SigningKey
    /// The clock the ledger reads.
    public let clock: ManualClock

    /// The origin every fixture ledger uses.
    public static let origin = "ledger.test/community"

    /// A table where `worker` may sign `case.*` and `note`, and `resident`
    /// may sign `case.report`.
    public static let permissions = try! PermissionTable([
        "worker": ["case.*", "note"],
        "resident": ["case.report"],
    ])

    /// Creates a ledger on `store` with fixed keys, enforcing `domain` when given.
    public static func make(
        store: any RepairableEventStore = InMemoryEventStore(), permissions: PermissionTable = permissions,
        domain: (any LedgerDomain)? = nil, configuration: LedgerConfiguration = LedgerConfiguration()
    ) async throws -> LedgerFixture {
        let clock = ManualClock()
        let authority = FixtureKeys.key("authority")
        let logKey = FixtureKeys.key("log")
        let ledger = try await Ledger.create(
            store: store, origin: origin, authority: authority, logSigner: logKey, permissions: permissions,
            domain: domain, clock: clock, configuration: configuration)
        return LedgerFixture(ledger: ledger, store: store, authority: authority, logKey: logKey, clock: clock)
    }

    /// Signs a system event by the authority.
    public func systemEvent(kind: String, payload: some Encodable, idempotencyKey: String = UUID().uuidString) throws -> SignedEvent {
        try SignedEvent(
            signing: SystemEvent.content(
                origin: Self.origin, kind: kind, payload: payload, actorKey: authority.publicKey, clientTime: clock.now(),
                idempotencyKey: idempotencyKey),
            with: authority)
    }

    /// Enrols `actor` with a key derived from its name and returns the key.
    @discardableResult
    public func enrol(_ actor: String, role: String, scope: Place) async throws -> SigningKey {
        let key = FixtureKeys.key(actor)
        _ = try await ledger.append(
            systemEvent(kind: SystemEvent.Kind.enrol, payload: SystemEvent.Enrol(actor: actor, key: key.publicKey, role: role, scope: scope)))
        return key
    }

    /// Signs an event for this ledger.
    public func event(
        by key: SigningKey, stream: String, place: Place = "town/north", kind: String = "case.report",
        expectedVersion: ExpectedVersion = .any, payload: [UInt8] = Array(#"{"note":"test"}"#.utf8),
        idempotencyKey: String = UUID().uuidString
    ) throws -> SignedEvent {
        try SignedEvent(
            signing: EventContent(
                origin: Self.origin, stream: stream, place: place, expectedVersion: expectedVersion, kind: kind,
                payload: payload, actorKey: key.publicKey, clientTime: clock.now(), idempotencyKey: idempotencyKey),
            with: key)
    }
}
