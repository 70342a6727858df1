import CivicGovernance
import CivicLedger
import Foundation

/// One case as programs show it in JSON: `civic-ledger cases --json` and
/// the example service's `GET /cases` give this same object.
///
/// The reporter is named by actor id when the registry enrols their key
/// (otherwise by the key's fingerprint); times are ISO 8601 in UTC.
public struct CaseView: Codable, Hashable, Sendable {
    /// The case's stream, `case/ID`.
    public var `case`: String
    /// The case's id, the stream without `case/`.
    public var id: String
    /// The lifecycle state (docs/format.md §10.2).
    public var state: String
    /// The urgency, which sets the deadline.
    public var urgency: String
    /// The category, such as `drainage`.
    public var category: String
    /// Where it was reported.
    public var place: String
    /// Who reported it; `nil` on the public board (``ReadAccess``).
    public var reporter: String?
    /// When it was reported.
    public var reportedAt: String
    /// The stream's version: what the next step expects.
    public var version: UInt64
    /// The department it was dispatched to.
    public var department: String?
    /// Delivery to the department: none, sent, failed.
    public var delivery: String
    /// The deadline of the current dispatch.
    public var deadline: String?
    /// Whether it is past its deadline at the time the view was taken.
    public var overdue: Bool
    /// When it was resolved.
    public var resolvedAt: String?
    /// When it was closed.
    public var closedAt: String?
    /// Whether it was resolved by its deadline.
    public var resolvedOnTime: Bool?
    /// Reminders (催办), extensions and reopenings so far.
    public var reminders: Int
    public var extensions: Int
    public var reopenings: Int
    /// The reporter's rating, once rated.
    public var rating: String?

    /// The view of `record`, the case on `stream`, judged overdue at `time`.
    public init(stream: String, record: CaseRecord, at time: Timestamp, registry: AuthorityRegistry?) {
        self.case = stream
        self.id = GovernanceStream.subject(of: stream, prefix: "case").map(String.init) ?? stream
        self.state = record.state.rawValue
        self.urgency = record.urgency.rawValue
        self.category = record.category
        self.place = record.place.path
        self.reporter = registry?.keys[record.reporter]?.actor ?? record.reporter.fingerprint
        self.reportedAt = record.reportedAt.description
        self.version = record.version
        self.department = record.department
        self.delivery = record.delivery.rawValue
        self.deadline = record.deadline?.description
        self.overdue = record.isOverdue(at: time)
        self.resolvedAt = record.resolvedAt?.description
        self.closedAt = record.closedAt?.description
        self.resolvedOnTime = record.resolvedOnTime
        self.reminders = record.reminders
        self.extensions = record.extensions
        self.reopenings = record.reopenings
        self.rating = record.rating?.rawValue
    }

    /// The view as JSON with sorted keys, absent fields left out.
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }
}
