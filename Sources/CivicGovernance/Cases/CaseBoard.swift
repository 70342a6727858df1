import CivicLedger

/// What the board knows of one case.
public struct CaseRecord: Hashable, Sendable, Codable {
    /// The case's state.
    public var state: CaseState
    /// How urgent it is.
    public var urgency: Urgency
    /// Its category.
    public var category: String
    /// Where it is.
    public var place: Place
    /// Who reported it.
    public var reporter: PublicKey
    /// When it was recorded as reported.
    public var reportedAt: Timestamp
    /// The department it is (or was last) dispatched to.
    public var department: String?
    /// Delivery to that department.
    public var delivery: DeliveryState = .none
    /// When it was last dispatched.
    public var dispatchedAt: Timestamp?
    /// When the department's time runs out.
    public var deadline: Timestamp?
    /// When a department first answered a dispatch: acknowledged it (签收)
    /// or returned it (退回). What the response rate counts.
    public var respondedAt: Timestamp?
    /// When it was last resolved.
    public var resolvedAt: Timestamp?
    /// Who last resolved it.
    public var resolver: PublicKey?
    /// When it was closed.
    public var closedAt: Timestamp?
    /// `true` when the last resolution came by the deadline.
    public var resolvedOnTime: Bool?
    /// Extensions granted.
    public var extensions: Int = 0
    /// Reminders sent (催办).
    public var reminders: Int = 0
    /// Times reopened.
    public var reopenings: Int = 0
    /// The rating, once rated.
    public var rating: Rating?
    /// When its last step was recorded (the report, at first).
    public var updatedAt: Timestamp?
    /// The stream's version: what the next step must expect.
    public var version: UInt64

    /// `true` when a department holds it past its deadline at `time`.
    public func isOverdue(at time: Timestamp) -> Bool {
        guard state.isWithDepartment, let deadline else { return false }
        return time > deadline
    }
}

/// Open cases by state, owner and deadline, and which are overdue at a
/// given time: the board a street office watches.
///
/// Folds the `case.*` kinds and ignores the rest. The hot path reads only
/// the payload fields it needs, so folding allocates nothing per event once
/// the tables have grown.
public struct CaseBoard: Projection, Codable, Hashable {
    public static let name = "case-board"
    public var lastPosition: UInt64?
    /// The case streams, numbered in the order the cases were reported:
    /// `records[n]` is the record of `index.names[n]`.
    public private(set) var index = StreamIndex()
    /// The records, in the order the cases were reported: one contiguous
    /// array, updated in place (one stream lookup per event, no copies).
    public private(set) var records: [CaseRecord] = []
    /// How many cases are in each state, indexed by ``CaseState/code``.
    public private(set) var stateCounts: [Int] = Array(repeating: 0, count: CaseState.allCases.count)
    /// Case steps folded.
    public private(set) var steps: Int = 0

    /// An empty board.
    public init() {}

    /// The number of cases in `state`.
    public func count(_ state: CaseState) -> Int { stateCounts[Int(state.code)] }

    /// The record of `stream`.
    public subscript(stream: String) -> CaseRecord? { index.number(of: stream).map { records[$0] } }

    /// The case streams, in the order of ``records``.
    public var streams: [String] { index.names }

    /// Every case, by stream (built on each call: for reports, not hot paths).
    public var cases: [String: CaseRecord] { Dictionary(uniqueKeysWithValues: zip(streams, records)) }

    /// Open cases, by deadline then stream.
    public func openCases() -> [(stream: String, record: CaseRecord)] {
        zip(streams, records).filter { $0.1.state.isOpen }
            .map { (stream: $0.0, record: $0.1) }
            .sorted {
                ($0.record.deadline ?? .init(millisecondsSinceEpoch: .max), $0.stream) < (
                    $1.record.deadline ?? .init(millisecondsSinceEpoch: .max), $1.stream
                )
            }
    }

    /// Cases a department holds past their deadline at `time`, most overdue first.
    public func overdue(at time: Timestamp) -> [(stream: String, record: CaseRecord)] {
        zip(streams, records).filter { $0.1.isOverdue(at: time) }
            .map { (stream: $0.0, record: $0.1) }
            .sorted { ($0.record.deadline!, $0.stream) < ($1.record.deadline!, $1.stream) }
    }

    public mutating func apply(_ entry: LedgerEntry) throws {
        guard let code = GovernanceKind.code(of: entry), code.isCaseStep else { return }
        guard let index = index.number(ofStreamOf: entry) else {
            guard code == .report, let head = entry.withPayloadBytes({ try? CaseReport.head($0) }) else { return }
            index.insert(streamOf: entry)
            records.append(
                CaseRecord(
                    state: .reported, urgency: head.urgency, category: head.category, place: entry.place,
                    reporter: entry.actorKey, reportedAt: entry.recordedAt, updatedAt: entry.recordedAt,
                    version: entry.streamVersion))
            stateCounts[Int(CaseState.reported.code)] += 1
            steps += 1
            return
        }
        steps += 1
        let before = records[index].state
        // An illegal step (only a tampered or unchecked log has one) is
        // counted, not followed.
        guard let step = entry.withPayloadBytes({ CaseStep(code: code, payload: $0) }), let after = CaseLifecycle.next(before, step) else {
            records[index].version = entry.streamVersion
            return
        }
        CaseBoard.update(&records[index], step: step, entry: entry, after: after)
        if after != before {
            stateCounts[Int(before.code)] -= 1
            stateCounts[Int(after.code)] += 1
        }
    }

    /// Applies a legal step's effects to a record.
    static func update(_ record: inout CaseRecord, step: CaseStep, entry: LedgerEntry, after: CaseState) {
        let time = entry.recordedAt
        record.version = entry.streamVersion
        record.updatedAt = time
        switch step {
        case .dispatch:
            if let dispatch = try? CaseDispatch(entry: entry) {
                record.department = dispatch.department
                record.deadline = time.adding(milliseconds: Int64(dispatch.deadlineMinutes) * 60_000)
            }
            record.dispatchedAt = time
            record.delivery = .sent
            record.resolvedOnTime = nil
        case .deliveryFailed: record.delivery = .failed
        case .deliveryRetried: record.delivery = .sent
        case .acknowledge:
            record.delivery = .acknowledged
            record.respondedAt = record.respondedAt ?? time
        case .extend:
            if let minutes = entry.withPayloadBytes({ try? CaseExtension.minutes($0) }), let deadline = record.deadline {
                record.deadline = deadline.adding(milliseconds: Int64(minutes) * 60_000)
            }
            record.extensions += 1
        case .resolve:
            record.resolvedAt = time
            record.resolver = entry.actorKey
            record.resolvedOnTime = record.deadline.map { time <= $0 }
        case .close: record.closedAt = time
        case .rate: record.rating = entry.withPayloadBytes({ try? CaseRating.head($0) })
        case .remind: record.reminders += 1
        case .returnToStreet:
            record.delivery = .none
            record.respondedAt = record.respondedAt ?? time
        default: break
        }
        if after == .reopened { record.reopenings += 1 }
        record.state = after
    }
}

extension CaseStep {
    /// The step an entry takes, reading only the payload byte that decides
    /// it; `nil` for kinds that are not case steps or a payload too short.
    public init?(_ entry: LedgerEntry) {
        guard let code = GovernanceKind.code(of: entry) else { return nil }
        guard let step = entry.withPayloadBytes({ CaseStep(code: code, payload: $0) }) else { return nil }
        self = step
    }

    /// The step of a kind code with its payload.
    public init?(code: GovernanceKind.Code, payload: some Collection<UInt8>) {
        switch code {
        case .report: self = .report
        case .accept: self = .accept
        case .reject: self = .reject
        case .approve:
            guard let first = payload.first, first <= 1 else { return nil }
            self = .approve(emergency: first == 1)
        case .review: self = .review
        case .dispatch: self = .dispatch
        case .deliveryFailed: self = .deliveryFailed
        case .deliveryRetried: self = .deliveryRetried
        case .acknowledge: self = .acknowledge
        case .progress: self = .progress
        case .returned: self = .returnToStreet
        case .extend: self = .extend
        case .resolve: self = .resolve
        case .verify:
            guard let first = payload.first, first <= 1 else { return nil }
            self = .verify(passed: first == 1)
        case .close: self = .close
        case .rate:
            var bytes = payload.makeIterator()
            guard let first = bytes.next(), let second = bytes.next(), let rating = Rating(code: first), second <= 1 else { return nil }
            self = .rate(reopens: rating == .dissatisfied && second == 1)
        case .shelve: self = .shelve
        case .remind: self = .remind
        default: return nil
        }
    }
}
