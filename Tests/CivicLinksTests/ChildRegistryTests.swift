import CivicLedger
import CivicLedgerTesting
import CivicLinks
import Foundation
import Testing

/// A parent ledger (a street) lists its children (communities) and records
/// their checkpoints, each consistent with the last: checked at append and
/// on replay.
@Suite("A parent's registry of children and their checkpoints")
struct ChildRegistryTests {
    static let streetOrigin = "ledger.test/street"

    /// A child ledger in memory that grows by enrolments.
    struct Child {
        let origin: String
        let store: InMemoryEventStore
        let ledger: Ledger
        let authority: SigningKey
        let logKey: SigningKey
        var grown = 0

        static func make(_ origin: String, logKey: SigningKey? = nil) async throws -> Child {
            let store = InMemoryEventStore()
            let authority = FixtureKeys.key("authority-" + origin)
            let log = logKey ?? FixtureKeys.key("log-" + origin)
            let ledger = try await Ledger.create(
                store: store, origin: origin, authority: authority, logSigner: log, permissions: try PermissionTable([:]))
            return Child(origin: origin, store: store, ledger: ledger, authority: authority, logKey: log)
        }

        /// Appends `count` entries and returns the checkpoint after them.
        mutating func grow(_ count: Int, salt: String = "") async throws -> SignedCheckpoint {
            for _ in 0..<count {
                grown += 1
                let member = FixtureKeys.key("\(origin)-member-\(grown)\(salt)")
                let content = SystemEvent.content(
                    origin: origin, kind: SystemEvent.Kind.enrol,
                    payload: SystemEvent.Enrol(actor: "m\(grown)\(salt)", key: member.publicKey, role: "resident", scope: "zhuji"),
                    actorKey: authority.publicKey, clientTime: Timestamp(millisecondsSinceEpoch: 1_767_225_600_000), idempotencyKey: "g\(grown)\(salt)")
                _ = try await ledger.append(try SignedEvent(signing: content, with: authority))
            }
            return try await ledger.checkpoint()
        }
    }

    struct Street {
        let store: InMemoryEventStore
        let ledger: Ledger
        let authority: SigningKey

        static func make() async throws -> Street {
            let store = InMemoryEventStore()
            let authority = FixtureKeys.key("street-authority")
            let ledger = try await Ledger.create(
                store: store, origin: streetOrigin, authority: authority, logSigner: FixtureKeys.key("street-log"),
                permissions: try PermissionTable(["ledger-authority": ["link.*"], "recorder": ["link.*"]]), domain: ChildRegistry())
            let recorder = FixtureKeys.key("street-recorder")
            let enrol = SystemEvent.content(
                origin: streetOrigin, kind: SystemEvent.Kind.enrol,
                payload: SystemEvent.Enrol(actor: "recorder", key: recorder.publicKey, role: "recorder", scope: .everywhere),
                actorKey: authority.publicKey, clientTime: Timestamp(millisecondsSinceEpoch: 1_767_225_600_000), idempotencyKey: "recorder")
            _ = try await ledger.append(try SignedEvent(signing: enrol, with: authority))
            return Street(store: store, ledger: ledger, authority: authority)
        }

        func event(_ kind: String, stream: String, payload: [UInt8], by signer: SigningKey? = nil, place: Place = "zhuji") throws -> SignedEvent {
            let signer = signer ?? authority
            return try SignedEvent(
                signing: EventContent(
                    origin: streetOrigin, stream: stream, place: place, expectedVersion: .any, kind: kind, payload: payload,
                    actorKey: signer.publicKey, clientTime: Timestamp(millisecondsSinceEpoch: 1_767_225_600_000), idempotencyKey: UUID().uuidString),
                with: signer)
        }

        func list(_ child: ChildLedger, by signer: SigningKey? = nil) async throws -> AppendReceipt {
            try await ledger.append(
                try event(LinkKind.child, stream: LinkKind.stream(of: child.origin), payload: child.encoded, by: signer, place: try Place(validating: child.place)))
        }

        func record(_ origin: String, _ record: ChildCheckpoint, by signer: SigningKey? = nil) async throws -> AppendReceipt {
            let place = try await registry.children[origin].map { try Place(validating: $0.place) } ?? "zhuji"
            return try await ledger.append(
                try event(LinkKind.checkpoint, stream: LinkKind.stream(of: origin), payload: record.encoded, by: signer ?? FixtureKeys.key("street-recorder"), place: place))
        }

        var registry: ChildRegistry {
            get async throws { try #require(await ledger.domain as? ChildRegistry) }
        }
    }

    /// A street listing one child, and the street's recorder.
    static func listed() async throws -> (Street, Child, ChildCheckpointRecorder) {
        let street = try await Street.make()
        let child = try await Child.make("ledger.test/dongsheng")
        _ = try await street.list(ChildLedger(origin: child.origin, place: "zhuji/dongsheng", logKey: child.logKey.publicKey))
        return (street, child, ChildCheckpointRecorder(parent: street.ledger, signer: FixtureKeys.key("street-recorder")))
    }

    static func refused(_ code: LedgerError.Code, _ text: String, _ body: () async throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) async {
        do {
            try await body()
            Issue.record("accepted; expected \(code.rawValue): \(text)", sourceLocation: sourceLocation)
        } catch let error as LedgerError {
            #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
            #expect(error.message.contains(text), "\(error.message)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("\(error)", sourceLocation: sourceLocation)
        }
    }

    @Test("only the parent's authority lists a child, on its stream, with a valid key and place, never itself")
    func listing() async throws {
        let street = try await Street.make()
        let child = try await Child.make("ledger.test/dongsheng")
        let listing = ChildLedger(origin: child.origin, place: "zhuji/dongsheng", logKey: child.logKey.publicKey)
        await Self.refused(.notAuthorised, "only the parent's authority key") {
            _ = try await street.list(listing, by: FixtureKeys.key("street-recorder"))
        }
        await Self.refused(.domainRule, "goes on child/ledger.test/dongsheng") {
            _ = try await street.ledger.append(try street.event(LinkKind.child, stream: "child/elsewhere", payload: listing.encoded, place: "zhuji/dongsheng"))
        }
        var badKey = listing
        badKey.logKey = "AAAA"
        await Self.refused(.invalidField, "logKey") { _ = try await street.list(badKey) }
        await Self.refused(.domainRule, "its own child") {
            _ = try await street.list(ChildLedger(origin: Self.streetOrigin, place: "zhuji", logKey: child.logKey.publicKey))
        }
        await Self.refused(.malformed, "link.child payload") {
            _ = try await street.ledger.append(
                try street.event(
                    LinkKind.child, stream: LinkKind.stream(of: child.origin), payload: Array(#"{"origin":"x","extra":1}"#.utf8), place: "zhuji/dongsheng"))
        }
        _ = try await street.list(listing)
        #expect(try await street.registry.children[child.origin]?.state == .active)
    }

    @Test("each recorded checkpoint is the child's, signed by its log key, and consistent with the last; a fork, a stale size or another key is refused")
    func recording() async throws {
        let street = try await Street.make()
        var child = try await Child.make("ledger.test/dongsheng")
        _ = try await street.list(ChildLedger(origin: child.origin, place: "zhuji/dongsheng", logKey: child.logKey.publicKey))
        let first = try await child.grow(3)
        _ = try await street.record(child.origin, ChildCheckpoint(from: 0, proof: [], checkpoint: first))
        let second = try await child.grow(5)
        let proof = try await LogProver.consistency(store: child.store, old: first, new: second)
        // From a stale size: refused.
        await Self.refused(.streamVersionConflict, "the last size recorded is \(first.checkpoint.size)") {
            _ = try await street.record(child.origin, ChildCheckpoint(from: 0, proof: [], checkpoint: second))
        }
        let receipt = try await street.record(child.origin, ChildCheckpoint(from: first.checkpoint.size, proof: proof.hashes, checkpoint: second))
        var registry = try await street.registry
        #expect(registry.recorded[child.origin]?.size == second.checkpoint.size)
        #expect(registry.recorded[child.origin]?.position == receipt.position)
        #expect(registry.root(of: child.origin, size: first.checkpoint.size) == first.checkpoint.root)

        // A fork: the same origin and log key, another history of the same length and more.
        var fork = try await Child.make(child.origin, logKey: child.logKey)
        _ = try await fork.grow(8, salt: "-fork")
        let forked = try await fork.grow(2, salt: "-fork")
        let forkProof = try await LogProver.consistency(
            store: fork.store, old: try ProveHelp.checkpoint(fork.store, size: second.checkpoint.size, key: child.logKey, origin: child.origin),
            new: forked)
        await Self.refused(.inconsistentHistory, "not consistent with the checkpoint recorded at size \(second.checkpoint.size)") {
            _ = try await street.record(child.origin, ChildCheckpoint(from: second.checkpoint.size, proof: forkProof.hashes, checkpoint: forked))
        }
        // Signed by another key: refused.
        var stranger = try await Child.make(child.origin, logKey: FixtureKeys.key("not-the-log-key"))
        let foreign = try await stranger.grow(1)
        await Self.refused(.invalidCheckpoint, "not signed by") {
            _ = try await street.record(child.origin, ChildCheckpoint(from: second.checkpoint.size, proof: [], checkpoint: foreign))
        }
        // An unlisted child: refused.
        await Self.refused(.domainRule, "not the stream of a listed child") {
            _ = try await street.record("ledger.test/nobody", ChildCheckpoint(from: 0, proof: [], checkpoint: first))
        }

        // Frozen at the recorded size: only that checkpoint, for ever.
        var frozen = ChildLedger(origin: child.origin, place: "zhuji/dongsheng", logKey: child.logKey.publicKey, state: .frozen)
        frozen.finalSize = first.checkpoint.size
        frozen.finalRoot = first.checkpoint.root.base64
        await Self.refused(.inconsistentHistory, "do not extend the checkpoint recorded at size \(second.checkpoint.size)") {
            _ = try await street.list(frozen)
        }
        frozen.finalSize = second.checkpoint.size
        frozen.finalRoot = second.checkpoint.root.base64
        _ = try await street.list(frozen)
        let third = try await child.grow(1)
        await Self.refused(.domainRule, "is frozen") {
            _ = try await street.record(
                child.origin,
                ChildCheckpoint(from: second.checkpoint.size, proof: try await LogProver.consistency(store: child.store, old: second, new: third).hashes, checkpoint: third))
        }
        await Self.refused(.domainRule, "never becomes active again") {
            _ = try await street.list(ChildLedger(origin: child.origin, place: "zhuji/dongsheng", logKey: child.logKey.publicKey))
        }
        // Replayed, the parent's log is clean.
        let report = try await LedgerVerifier(store: street.store, domain: ChildRegistry()).verify()
        #expect(report.isClean, "\(report.findings)")
        registry = try await street.registry
        #expect(registry.children[child.origin]?.state == .frozen)
    }

    @Test("the recorder records what is new from the child's own store, with its proof, and a child whose history changed is refused with nothing written")
    func recorder() async throws {
        var (street, child, recorder) = try await Self.listed()
        await Self.refused(.domainRule, "does not list") { _ = try await recorder.record("ledger.test/nobody", from: child.store) }
        let first = try await child.grow(4)
        #expect(try await recorder.record(child.origin, from: child.store) != nil)
        #expect(try await recorder.record(child.origin, from: child.store) == nil, "nothing new")
        let second = try await child.grow(7)
        let receipt = try #require(try await recorder.record(child.origin, from: child.store))
        let registry = try await street.registry
        #expect(registry.recorded[child.origin]?.size == second.checkpoint.size && registry.recorded[child.origin]?.position == receipt.position)
        #expect(registry.root(of: child.origin, size: first.checkpoint.size) == first.checkpoint.root)

        // The child's history is replaced (same origin and log key, other entries, re-signed checkpoints).
        var fork = try await Child.make(child.origin, logKey: child.logKey)
        _ = try await fork.grow(9, salt: "-fork")
        _ = try await fork.grow(5, salt: "-fork")
        let size = try await street.store.head()?.size
        await Self.refused(.invalidProof, "no longer holds its checkpoint of \(second.checkpoint.size)") {
            _ = try await recorder.record(child.origin, from: fork.store)
        }
        // With a re-signed checkpoint at the recorded size too, the proof is computed, and the parent refuses it.
        try await fork.store.saveCheckpoint(
            StoredCheckpoint(
                size: second.checkpoint.size,
                note: try ProveHelp.checkpoint(fork.store, size: second.checkpoint.size, key: child.logKey, origin: child.origin).serialized))
        await Self.refused(.inconsistentHistory, "not consistent with the checkpoint recorded") {
            _ = try await recorder.record(child.origin, from: fork.store)
        }
        #expect(try await street.store.head()?.size == size, "nothing was written")
    }

    @Test("a reference to a child's entry verifies against a checkpoint the parent recorded, and against the child's own entries; a changed entry is found")
    func references() async throws {
        var (street, child, recorder) = try await Self.listed()
        let checkpoint = try await child.grow(6)
        _ = try await recorder.record(child.origin, from: child.store)
        let size = checkpoint.checkpoint.size
        let reference = try await ChildEntryReference.make(child.origin, index: 3, size: size, from: child.store)
        let registry = try await street.registry
        try registry.verify(reference)
        try await registry.verify(reference, in: child.store)

        var moved = reference
        moved.index = 4
        #expect(throws: LedgerError.self) { try registry.verify(moved) }
        var unrecorded = reference
        unrecorded.size = size - 1
        await Self.refused(.invalidProof, "recorded no checkpoint") { try registry.verify(unrecorded) }
        var outside = reference
        outside.index = size
        await Self.refused(.invalidProof, "outside the checkpoint") { try registry.verify(outside) }
        var stranger = reference
        stranger.origin = "ledger.test/nobody"
        await Self.refused(.domainRule, "does not list") { try registry.verify(stranger) }

        // The child's entry was changed (a copy with another history at that position): found on the child's side.
        var fork = try await Child.make(child.origin, logKey: child.logKey)
        _ = try await fork.grow(6, salt: "-changed")
        await Self.refused(.inconsistentHistory, "is not the one the parent's log references") {
            try await registry.verify(reference, in: fork.store)
        }
        let empty = InMemoryEventStore()
        await Self.refused(.inconsistentHistory, "holds no entry 3") { try await registry.verify(reference, in: empty) }
    }

    @Test("after a checkpoint of the empty log, the next record is proved from nothing")
    func fromEmpty() async throws {
        let (street, listed, _) = try await Self.listed()
        var child = listed
        let empty = try await ProveHelp.checkpoint(child.store, size: 0, key: child.logKey, origin: child.origin)
        _ = try await street.record(child.origin, ChildCheckpoint(from: 0, proof: [], checkpoint: empty))
        let grown = try await child.grow(2)
        _ = try await street.record(child.origin, ChildCheckpoint(from: 0, proof: [], checkpoint: grown))
        #expect(try await street.registry.recorded[child.origin]?.size == grown.checkpoint.size)
    }

    @Test("a merged or renamed child names a listed successor, and the successors never loop")
    func successors() async throws {
        let street = try await Street.make()
        let a = ChildLedger(origin: "ledger.test/a", place: "zhuji/a", logKey: FixtureKeys.key("a").publicKey)
        let b = ChildLedger(origin: "ledger.test/b", place: "zhuji/b", logKey: FixtureKeys.key("b").publicKey)
        _ = try await street.list(a)
        var merged = a
        merged.state = .merged
        merged.successor = b.origin
        await Self.refused(.invalidField, "names a listed successor") { _ = try await street.list(merged) }
        _ = try await street.list(b)
        _ = try await street.list(merged)
        var renamed = b
        renamed.state = .renamed
        renamed.successor = a.origin
        await Self.refused(.domainRule, "a loop") { _ = try await street.list(renamed) }
        #expect(try await street.registry.children[b.origin]?.state == .active)
    }
}

/// The signed checkpoint of a child's first `size` entries, made here with
/// its log key (a fork's, to prove from).
enum ProveHelp {
    static func checkpoint(_ store: InMemoryEventStore, size: UInt64, key: SigningKey, origin: String) async throws -> SignedCheckpoint {
        var tree = MerkleFrontier()
        for stored in try await store.entries(from: 0, limit: Int(size)) { tree.append(MerkleHash.leaf(stored.bytes)) }
        return try SignedCheckpoint(signing: Checkpoint(origin: origin, size: size, root: tree.root), with: key)
    }
}
