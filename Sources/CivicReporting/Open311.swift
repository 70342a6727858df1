import CivicGovernance
import CivicLedger

/// Cases as Open311 GeoReport v2 service requests, so that existing civic
/// tools can read them.
///
/// Our states map onto Open311's two: a case someone still owes work on
/// (`CaseState.isOpen`) is `open`; rejected, closed, rated and shelved
/// cases are `closed`. The detail — the state, the urgency, reminders,
/// reopenings, the rating, whether it was resolved on time — goes in
/// `status_notes`. The reporter is never named; the address is the case's
/// place in the community (grid and micro-grid), not a street address.
public enum Open311 {
    /// One service request (GeoReport v2, `GET requests.json`).
    public struct ServiceRequest: Codable, Sendable, Equatable {
        /// The case id (`case/ID` without the prefix).
        public var serviceRequestID: String
        /// `open` or `closed`.
        public var status: String
        /// Our state and its detail.
        public var statusNotes: String
        /// The category, as the service name.
        public var serviceName: String
        /// The category.
        public var serviceCode: String
        /// The department the case was dispatched to, by name.
        public var agencyResponsible: String?
        /// When it was reported, ISO 8601.
        public var requestedDatetime: String
        /// The latest of its report, dispatch, resolution and close, ISO 8601.
        public var updatedDatetime: String
        /// The deadline, ISO 8601, once dispatched.
        public var expectedDatetime: String?
        /// The case's place.
        public var address: String

        enum CodingKeys: String, CodingKey {
            case serviceRequestID = "service_request_id"
            case status
            case statusNotes = "status_notes"
            case serviceName = "service_name"
            case serviceCode = "service_code"
            case agencyResponsible = "agency_responsible"
            case requestedDatetime = "requested_datetime"
            case updatedDatetime = "updated_datetime"
            case expectedDatetime = "expected_datetime"
            case address
        }
    }

    /// The requests of every case on `board`, in case order; department
    /// names come from `rules`.
    public static func requests(from board: CaseBoard, rules: GovernanceRules?) -> [ServiceRequest] {
        board.cases.sorted { $0.key < $1.key }.map { stream, record in
            var notes = ["state: \(record.state.rawValue)", "urgency: \(record.urgency.rawValue)"]
            if let onTime = record.resolvedOnTime { notes.append(onTime ? "resolved on time" : "resolved late") }
            if record.reminders > 0 { notes.append("reminders: \(record.reminders)") }
            if record.reopenings > 0 { notes.append("reopened: \(record.reopenings)") }
            if record.extensions > 0 { notes.append("extensions: \(record.extensions)") }
            if let rating = record.rating { notes.append("rating: \(rating.rawValue)") }
            let updated = record.updatedAt ?? record.reportedAt
            return ServiceRequest(
                serviceRequestID: GovernanceStream.subject(of: stream, prefix: "case").map(String.init) ?? stream,
                status: record.state.isOpen ? "open" : "closed", statusNotes: notes.joined(separator: "; "),
                serviceName: record.category, serviceCode: record.category,
                agencyResponsible: record.department.map { rules?.departments[$0]?.name ?? $0 },
                requestedDatetime: record.reportedAt.description, updatedDatetime: updated.description,
                expectedDatetime: record.deadline?.description, address: record.place.path)
        }
    }
}
