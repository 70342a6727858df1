/// A stream's head: its version (how many events it holds) and the place
/// its first event fixed.
public struct StreamHead: Hashable, Sendable {
    /// The number of events in the stream.
    public var version: UInt64
    /// The stream's place.
    public var place: Place

    /// A stream head.
    public init(version: UInt64, place: Place) {
        self.version = version
        self.place = place
    }
}

/// The rules every entry must satisfy, in one place: the append pipeline
/// runs them before it writes, and the verifier runs them again on replay.
public enum LedgerRules {
    /// Admits `event` at `position` or says why not.
    ///
    /// Checks the origin, the signer's key and authority, the stream's
    /// place and expected version, and applies a system event to
    /// `registry`. The signature itself is checked separately (it is the
    /// one expensive check, so callers run it in parallel).
    ///
    /// - Parameters:
    ///   - event: the event's content.
    ///   - position: the position the entry has, or will have.
    ///   - registry: the registry before this entry; `nil` before genesis.
    ///     Updated when the event is a system event.
    ///   - head: the stream's head before this entry, `nil` for a new stream.
    ///   - laterRevocations: revocations known from later in the log.
    /// - Returns: the stream's head after this entry.
    /// - Throws: ``LedgerError``; `registry` is unchanged on a throw.
    public static func admit(
        _ event: EventContent, at position: UInt64, registry: inout AuthorityRegistry?, head: StreamHead?,
        laterRevocations: [PublicKey: UInt64] = [:]
    ) throws(LedgerError) -> StreamHead {
        if registry == nil {
            let genesis = try genesisRegistry(event, at: position)
            registry = genesis
            return StreamHead(version: 1, place: .everywhere)
        }
        guard event.origin == registry!.origin else {
            throw LedgerError(.wrongOrigin, "event is for ledger \"\(event.origin)\", this is \"\(registry!.origin)\"", position: position, stream: event.stream, key: event.actorKey)
        }
        try registry!.authorise(event, at: position, laterRevocations: laterRevocations)
        let newHead = try advance(head, with: event, at: position)
        if event.kind.hasPrefix("ledger.") {
            // In place, so the registry's tables are not copied; apply(_:at:)
            // makes every check before it changes anything.
            try registry!.apply(event, at: position)
        }
        return newHead
    }

    /// Checks the stream rules and returns the stream's next head.
    static func advance(_ head: StreamHead?, with event: EventContent, at position: UInt64) throws(LedgerError) -> StreamHead {
        let version = head?.version ?? 0
        if case .exactly(let expected) = event.expectedVersion, expected != version {
            throw LedgerError(
                .streamVersionConflict, "stream \(event.stream) is at version \(version); the event expects version \(expected)",
                position: position, stream: event.stream, key: event.actorKey)
        }
        if let head, head.place != event.place {
            throw LedgerError(
                .placeMismatch, "stream \(event.stream) belongs to \(head.place); the event names \(event.place)",
                position: position, stream: event.stream, key: event.actorKey)
        }
        return StreamHead(version: version + 1, place: event.place)
    }

    static func genesisRegistry(_ event: EventContent, at position: UInt64) throws(LedgerError) -> AuthorityRegistry {
        guard position == 0, event.kind == SystemEvent.Kind.genesis else {
            throw LedgerError(.invalidSystemEvent, "the first entry must be ledger.genesis at position 0, found \(event.kind) at \(position)", position: position, stream: event.stream)
        }
        guard event.stream == SystemEvent.stream, event.place == .everywhere, event.expectedVersion == .exactly(0) else {
            throw LedgerError(.invalidSystemEvent, "genesis must open the stream \"ledger\" in place * expecting version 0", position: position, stream: event.stream)
        }
        let genesis = try SystemEvent.decode(SystemEvent.Genesis.self, from: event.payload, kind: event.kind)
        guard genesis.origin == event.origin else {
            throw LedgerError(.invalidSystemEvent, "genesis names origin \"\(genesis.origin)\" but is signed for \"\(event.origin)\"", position: position)
        }
        guard genesis.authorityKey == event.actorKey else {
            throw LedgerError(.notAuthorised, "genesis must be signed by the authority key it names", position: position, key: event.actorKey)
        }
        return AuthorityRegistry(genesis: genesis)
    }
}
