import CivicLedger

/// Every decision of the community, by stream (`deliberation/ID`).
public struct DeliberationBoard: Projection, Codable, Hashable {
    public static let name = "deliberations"
    public var lastPosition: UInt64?
    /// Decisions by stream.
    public private(set) var decisions: [String: Deliberation] = [:]

    /// No decisions.
    public init() {}

    /// The decision on `stream`.
    public subscript(stream: String) -> Deliberation? { decisions[stream] }

    /// Folds a `deliberation.*` entry into its decision (proposals and
    /// comments come from the participants' own streams): a step the state
    /// machine refuses leaves the decision as it was.
    public mutating func apply(_ entry: LedgerEntry) throws {
        let kind = entry.kind
        guard kind.hasPrefix("deliberation."), let decision = GovernanceStream.decision(of: entry.stream),
            let step = try? DeliberationStep.decode(entry: entry)
        else { return }
        if let next = try? Deliberation.next(decisions[decision.stream], step, by: entry.actorKey, at: entry.recordedAt) {
            decisions[decision.stream] = next
        }
    }
}
