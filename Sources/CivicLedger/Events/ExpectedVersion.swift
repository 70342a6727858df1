/// What the signer expects a stream's version to be before the event.
///
/// A stream's version is the number of events in it. Expecting
/// `.exactly(0)` asks for a new stream; `.exactly(n)` asks that exactly `n`
/// events precede this one, so two writers that read the same state cannot
/// both append (optimistic concurrency). `.any` appends whatever the
/// version.
public enum ExpectedVersion: Hashable, Sendable, CustomStringConvertible {
    /// No check.
    case any
    /// The stream must hold exactly this many events.
    case exactly(UInt64)

    public var description: String {
        switch self {
        case .any: "any"
        case .exactly(let version): String(version)
        }
    }
}
