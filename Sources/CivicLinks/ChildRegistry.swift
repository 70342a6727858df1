import CivicLedger

/// The event kinds of a parent ledger (a street over its communities, a
/// district over its streets) about its children. docs/format.md §15.
public enum LinkKind {
    /// The parent's authority lists a child ledger, or changes its state.
    public static let child = "link.child"
    /// The parent records a checkpoint of a child, consistent with the
    /// last it recorded.
    public static let checkpoint = "link.checkpoint"

    /// The stream of everything the parent records about the child whose
    /// origin is `origin`: `child/ORIGIN`.
    public static func stream(of origin: String) -> String { "child/" + origin }

    /// The child's origin in a `child/ORIGIN` stream, or `nil` for another stream.
    public static func origin(ofStream stream: String) -> String? {
        stream.hasPrefix("child/") && stream.count > 6 ? String(stream.dropFirst(6)) : nil
    }
}

/// A child ledger as its parent lists it: which log it is (origin and log
/// key), where (its place), and its state.
public struct ChildLedger: Codable, Hashable, Sendable {
    /// What a child's state is.
    public enum State: String, Codable, Hashable, Sendable {
        /// It takes appends; the parent records its checkpoints.
        case active
        /// Read-only for ever at ``ChildLedger/finalSize`` entries with root
        /// ``ChildLedger/finalRoot`` (as a CT log list records a read-only log).
        case frozen
        /// Merged into ``ChildLedger/successor`` (撤并).
        case merged
        /// Continued under another origin, ``ChildLedger/successor``
        /// (a boundary change or a new name).
        case renamed
    }

    /// The child's origin (its checkpoints' first line).
    public var origin: String
    /// The child's place.
    public var place: String
    /// The child's log key, standard base64 (the key its checkpoints verify under).
    public var logKey: String
    /// The state.
    public var state: State
    /// A frozen child's final size.
    public var finalSize: UInt64?
    /// A frozen child's final root, standard base64.
    public var finalRoot: String?
    /// The origin a merged or renamed child continues as; listed too.
    public var successor: String?

    /// A child listing.
    public init(
        origin: String, place: String, logKey: PublicKey, state: State = .active, finalSize: UInt64? = nil, finalRoot: Digest? = nil,
        successor: String? = nil
    ) {
        self.origin = origin
        self.place = place
        self.logKey = logKey.base64
        self.state = state
        self.finalSize = finalSize
        self.finalRoot = finalRoot?.base64
        self.successor = successor
    }

    /// The payload of a `link.child` event: JSON with sorted keys.
    public var encoded: [UInt8] {
        var members: [(name: String, node: StrictJSON.Node)] = [
            ("logKey", StrictJSON.Node(value: .string(logKey))), ("origin", StrictJSON.Node(value: .string(origin))),
            ("place", StrictJSON.Node(value: .string(place))), ("state", StrictJSON.Node(value: .string(state.rawValue))),
        ]
        if let finalSize { members.append(("finalSize", StrictJSON.Node(value: .integer(Int64(clamping: finalSize))))) }
        if let finalRoot { members.append(("finalRoot", StrictJSON.Node(value: .string(finalRoot)))) }
        if let successor { members.append(("successor", StrictJSON.Node(value: .string(successor)))) }
        return StrictJSON.canonical(.object(members))
    }

    /// Reads a `link.child` payload strictly (docs/format.md §15).
    public init(payload: [UInt8]) throws(LedgerError) {
        self = try StrictJSON.decode(ChildLedger.self, from: payload, what: "link.child payload")
    }

    /// The log key as a key, when it is the base64 of 32 bytes.
    public var publicKey: PublicKey? { PublicKey(base64: logKey) }
}

/// A `link.checkpoint` payload: a child's signed checkpoint (its note, as
/// the child or a witness serves it) and the consistency proof from the
/// size the parent recorded last.
public struct ChildCheckpoint: Codable, Hashable, Sendable {
    /// The size the parent recorded last for this child (0 for the first).
    public var from: UInt64
    /// The consistency proof from `from` to the checkpoint's size, each
    /// hash standard base64 (empty from 0).
    public var proof: [String]
    /// The child's signed checkpoint note.
    public var checkpoint: String

    /// A record.
    public init(from: UInt64, proof: [Digest], checkpoint: SignedCheckpoint) {
        self.from = from
        self.proof = proof.map(\.base64)
        self.checkpoint = checkpoint.serialized
    }

    /// The payload: JSON with sorted keys.
    public var encoded: [UInt8] {
        StrictJSON.canonical(
            .object([
                ("checkpoint", StrictJSON.Node(value: .string(checkpoint))), ("from", StrictJSON.Node(value: .integer(Int64(clamping: from)))),
                ("proof", StrictJSON.Node(value: .array(proof.map { StrictJSON.Node(value: .string($0)) }))),
            ]))
    }

    /// Reads a `link.checkpoint` payload strictly.
    public init(payload: [UInt8]) throws(LedgerError) {
        self = try StrictJSON.decode(ChildCheckpoint.self, from: payload, what: "link.checkpoint payload")
    }
}

/// A parent ledger's children and the checkpoints it recorded of each:
/// the rules of `link.*` entries, enforced at append and on replay
/// (a `LedgerDomain`).
///
/// - `link.child` is signed by the parent's authority key, on
///   `child/ORIGIN`. A child is listed active first; it may then be frozen
///   (with its final size and root, at or past the last size recorded),
///   merged into or renamed to another listed child, never back. The
///   successors never lead back to the child (no loop), and no child is
///   the parent itself.
/// - `link.checkpoint` on `child/ORIGIN` records a checkpoint of a listed
///   child, signed by its log key, consistent (RFC 9162 proof) with the
///   last recorded, from exactly that size. A frozen child's only further
///   record is its final checkpoint.
///
/// Every checkpoint a parent recorded is fixed in the parent's own log: a
/// child that shows its parent one history and its residents another is
/// found by the first proof from the other history.
public struct ChildRegistry: LedgerDomain, Codable, Hashable {
    public static let name = "child-registry"
    public var lastPosition: UInt64?

    /// The checkpoint a parent recorded last for a child.
    public struct Recorded: Codable, Hashable, Sendable {
        /// Its size.
        public var size: UInt64
        /// Its root.
        public var root: Digest
        /// The parent's position that recorded it.
        public var position: UInt64
    }

    /// The parent's keys and roles, folded from its `ledger.*` entries.
    public private(set) var registry: AuthorityRegistry?
    /// The parent's own origin.
    public var origin: String? { registry?.origin }
    /// The parent's authority key now, which alone may change the registry.
    public var authorityKey: PublicKey? { registry?.authorityKey }
    /// The children, by origin.
    public private(set) var children: [String: ChildLedger] = [:]
    /// The last checkpoint recorded of each child, by origin.
    public private(set) var recorded: [String: Recorded] = [:]
    /// Every root recorded of each child, by size: what a reference to a
    /// child's entry is proved against.
    public private(set) var roots: [String: [UInt64: Digest]] = [:]

    /// No children.
    public init() {}

    /// The root a parent recorded for `origin` at `size`, if it recorded one.
    public func root(of origin: String, size: UInt64) -> Digest? { roots[origin]?[size] }

    public var authorityRegistry: AuthorityRegistry? { registry }

    // MARK: Checking

    public func check(_ entry: LedgerEntry) throws(LedgerError) {
        let kind = entry.kind
        guard kind.hasPrefix("link.") else { return }
        let stream = entry.stream
        func refuse(_ message: String, _ code: LedgerError.Code = .domainRule) -> LedgerError {
            LedgerError(code, "\(kind): \(message)", stream: stream, key: entry.actorKey)
        }
        switch kind {
        case LinkKind.child:
            guard entry.actorKey == authorityKey else { throw refuse("only the parent's authority key may list a child", .notAuthorised) }
            let child: ChildLedger
            do { child = try ChildLedger(payload: entry.payload) } catch { throw refuse(error.message, error.code) }
            guard stream == LinkKind.stream(of: child.origin) else { throw refuse("goes on \(LinkKind.stream(of: child.origin)), not \(stream)") }
            try checkListing(child, refuse)
        case LinkKind.checkpoint:
            guard let origin = LinkKind.origin(ofStream: stream), let child = children[origin] else {
                throw refuse("\(stream) is not the stream of a listed child")
            }
            let record: ChildCheckpoint
            do { record = try ChildCheckpoint(payload: entry.payload) } catch { throw refuse(error.message, error.code) }
            _ = try verify(record, of: child, refuse)
        default:
            throw refuse("not a kind of linked ledgers (\(LinkKind.child), \(LinkKind.checkpoint))")
        }
    }

    func checkListing(_ child: ChildLedger, _ refuse: (String, LedgerError.Code) -> LedgerError) throws(LedgerError) {
        guard child.origin != origin, !child.origin.isEmpty else { throw refuse("a ledger cannot be its own child", .domainRule) }
        guard child.publicKey != nil else { throw refuse("logKey must be the base64 of a 32-byte Ed25519 key", .invalidField) }
        do { _ = try Place(validating: child.place) } catch { throw refuse("place: \(error.message)", .invalidField) }
        let previous = children[child.origin]
        switch child.state {
        case .active:
            guard previous == nil || previous?.state == .active else {
                throw refuse("\(child.origin) is \(previous!.state.rawValue): a child never becomes active again", .domainRule)
            }
            guard child.finalSize == nil, child.finalRoot == nil, child.successor == nil else {
                throw refuse("an active child has no finalSize, finalRoot or successor", .invalidField)
            }
        case .frozen:
            guard previous?.state == .active else { throw refuse("only a listed, active child may be frozen", .domainRule) }
            guard let size = child.finalSize, let rootText = child.finalRoot, let root = Digest(base64: rootText), child.successor == nil else {
                throw refuse("a frozen child needs finalSize and finalRoot (base64 of 32 bytes), and no successor", .invalidField)
            }
            if let last = recorded[child.origin] {
                guard size >= last.size, size != last.size || root == last.root else {
                    throw refuse(
                        "the final size \(size) and root do not extend the checkpoint recorded at size \(last.size)", .inconsistentHistory)
                }
            }
        case .merged, .renamed:
            guard let previous, previous.state == .active || previous.state == .frozen else {
                throw refuse("only a listed child that is active or frozen may be merged or renamed", .domainRule)
            }
            guard let successor = child.successor, children[successor] != nil, child.finalSize == nil, child.finalRoot == nil else {
                throw refuse("a merged or renamed child names a listed successor, and no final size or root", .invalidField)
            }
            // No loop: the successors never lead back.
            var seen: Set<String> = [child.origin]
            var next: String? = successor
            while let current = next {
                guard seen.insert(current).inserted else {
                    throw refuse("the successors of \(child.origin) lead back to \(current): a loop", .domainRule)
                }
                next = children[current]?.successor
            }
        }
        if let previous, previous.logKey != child.logKey, child.state != .active {
            throw refuse("the log key changes only while the child is active", .domainRule)
        }
    }

    /// The checkpoint `record` holds, checked against `child` and what was
    /// recorded before.
    func verify(_ record: ChildCheckpoint, of child: ChildLedger, _ refuse: (String, LedgerError.Code) -> LedgerError) throws(LedgerError)
        -> SignedCheckpoint
    {
        let signed: SignedCheckpoint
        do { signed = try SignedCheckpoint(parsing: record.checkpoint) } catch { throw refuse("checkpoint: \(error.message)", .invalidCheckpoint) }
        let checkpoint = signed.checkpoint
        guard checkpoint.origin == child.origin, let key = child.publicKey else {
            throw refuse("the checkpoint is of \(checkpoint.origin), not \(child.origin)", .invalidCheckpoint)
        }
        do { try NoteKey(name: child.origin, publicKey: key).verify(signed.note) } catch {
            throw refuse("the checkpoint is not signed by \(child.origin)'s log key: \(error.message)", .invalidCheckpoint)
        }
        switch child.state {
        case .active: break
        case .frozen:
            guard checkpoint.size == child.finalSize, checkpoint.root.base64 == child.finalRoot else {
                throw refuse("\(child.origin) is frozen: only its final checkpoint (size \(child.finalSize ?? 0)) may be recorded", .domainRule)
            }
        case .merged, .renamed:
            throw refuse("\(child.origin) was \(child.state.rawValue) into \(child.successor ?? "?"): record its successor", .domainRule)
        }
        let last = recorded[child.origin]
        guard record.from == last?.size ?? 0 else {
            throw refuse("from \(record.from): the last size recorded is \(last?.size ?? 0); prove from there", .streamVersionConflict)
        }
        var proof: [Digest] = []
        for (index, text) in record.proof.enumerated() {
            guard let hash = Digest(base64: text), hash.base64 == text else {
                throw refuse("proof[\(index)] is not the base64 of 32 bytes", .invalidField)
            }
            proof.append(hash)
        }
        guard checkpoint.size >= record.from else {
            throw refuse("size \(checkpoint.size) is below the \(record.from) recorded before: the child's log shrank", .inconsistentHistory)
        }
        if checkpoint.size == 0, checkpoint.root != MerkleHash.empty { throw refuse("a checkpoint of size 0 has the empty root", .invalidCheckpoint) }
        if let last, last.size > 0 {
            do {
                try MerkleProof.verifyConsistency(size1: last.size, size2: checkpoint.size, proof: proof, root1: last.root, root2: checkpoint.root)
            } catch {
                throw refuse(
                    "not consistent with the checkpoint recorded at size \(last.size) (position \(last.position)): \(error.message)",
                    .inconsistentHistory)
            }
        } else if !proof.isEmpty {
            throw refuse("from size 0 the consistency proof is empty", .invalidField)
        }
        return signed
    }

    // MARK: Folding

    public mutating func apply(_ entry: LedgerEntry) throws {
        if AuthorityRegistry.fold(entry, into: &registry) { return }
        let kind = entry.kind
        switch kind {
        case LinkKind.child:
            guard let child = try? ChildLedger(payload: entry.payload) else { return }
            children[child.origin] = child
        case LinkKind.checkpoint:
            guard let origin = LinkKind.origin(ofStream: entry.stream), let record = try? ChildCheckpoint(payload: entry.payload),
                let signed = try? SignedCheckpoint(parsing: record.checkpoint)
            else { return }
            let checkpoint = signed.checkpoint
            guard checkpoint.origin == origin, checkpoint.size >= recorded[origin]?.size ?? 0 else { return }
            recorded[origin] = Recorded(size: checkpoint.size, root: checkpoint.root, position: entry.position)
            roots[origin, default: [:]][checkpoint.size] = checkpoint.root
        default:
            return
        }
    }
}
