import CivicGovernance
import CivicLedger
import Foundation
import Synchronization

/// The "civic mix": the end-to-end benchmark's workload (`civic-ledger
/// bench`), deterministic from a seed.
///
/// A preamble (genesis, the enrolment of every actor, the points pool's
/// issue) and then `events` commands in fixed shares: 40% points awards,
/// 10% deductions, 20% new case reports, 15% dispatches, 15% resolutions.
/// Every 20 commands hold exactly 8, 2, 4, 3 and 3 of them, in an order the
/// seed shuffles; a dispatch takes the oldest reported case, a resolution
/// the oldest dispatched one (a report stands in while there is none).
///
/// Each event is signed by the actor who acts: grid workers report, the
/// street office's staff dispatch, the departments' staff resolve, the
/// community's secretaries award and deduct. The ledger checks their keys,
/// roles and stream versions; the mix skips the case steps between report
/// and dispatch that the governance rules require (acceptance, approval,
/// review, acknowledgement), so it runs on a ledger without the
/// governance domain.
public struct CivicMixWorkload: Sendable {
    /// What one command does: enough for another tool (the peer benchmark)
    /// to run the same workload.
    public struct Command: Codable, Sendable, Equatable {
        /// `award`, `deduct`, `report`, `dispatch` or `resolve`.
        public var action: String
        /// The event kind.
        public var kind: String
        /// The stream: `points/RESIDENT` or `case/ID`.
        public var stream: String
        /// The stream's version before this event.
        public var expectedVersion: UInt64
        /// The acting actor's id.
        public var actor: String
        /// The place the event is about.
        public var place: String
        /// Points: the amount.
        public var amount: Int64?
        /// Points: the rule, or a case's category.
        public var rule: String?
        /// A reason, summary or note.
        public var text: String
        /// A dispatch's department.
        public var department: String?
        /// A dispatch's deadline, in minutes.
        public var deadlineMinutes: UInt32?
        /// The idempotency key.
        public var idempotencyKey: String
    }

    /// An enrolled actor.
    public struct Actor: Sendable {
        /// The actor's id.
        public var id: String
        /// Its one role.
        public var role: String
        /// Its key, derived from the seed and the id.
        public var key: SigningKey
    }

    /// The ledger's origin.
    public static let origin = "bench.civic-ledger.example/zhuji/dongsheng"
    /// The community every actor is enrolled in.
    public static let community: Place = "zhuji/dongsheng"
    /// Who may sign what.
    public static let permissions = try! PermissionTable([
        "grid-worker": ["case.report"],
        "street-office": ["case.dispatch"],
        "department": ["case.resolve"],
        "community-secretary": ["points.*"],
    ])
    /// The shares of 20 commands: awards, deductions, reports, dispatches, resolutions.
    static let block = [
        (action: "award", count: 8), (action: "deduct", count: 2), (action: "report", count: 4), (action: "dispatch", count: 3),
        (action: "resolve", count: 3),
    ]

    /// The seed.
    public let seed: UInt64
    /// The authority's key (signs genesis and enrolments).
    public let authority: SigningKey
    /// The log key (signs checkpoints).
    public let logKey: SigningKey
    /// Every actor, in enrolment order.
    public let actors: [Actor]
    /// The residents whose points move.
    public let residents: Int
    /// The commands, in the order they were drawn.
    public let commands: [Command]

    /// The workload of `events` commands from `seed`.
    public init(events: Int, seed: UInt64) {
        self.seed = seed
        func key(_ name: String) -> SigningKey {
            SigningKey(seed: SHA256.hash(Array("civic-mix \(seed) \(name)".utf8)).bytes)!
        }
        authority = key("authority")
        logKey = key("log")
        let staff = [("grid-worker", 32), ("street-office", 8), ("department", 16), ("community-secretary", 8)]
        var actors: [Actor] = []
        for (role, count) in staff {
            for index in 1...count {
                let id = "\(role)-\(index)"
                actors.append(Actor(id: id, role: role, key: key(id)))
            }
        }
        self.actors = actors
        let byRole = Dictionary(grouping: actors.map(\.id), by: { $0.split(separator: "-").dropLast().joined(separator: "-") })
        residents = max(200, events / 25)

        var random = SeededGenerator(seed: seed)
        var commands: [Command] = []
        commands.reserveCapacity(events)
        var pointsVersions = [UInt64](repeating: 0, count: residents)
        var reported: [String] = []
        var dispatched: [String] = []
        var nextReported = 0
        var nextDispatched = 0
        var cases = 0
        var casePlaces: [String: String] = [:]
        let departments = ["water", "power", "urban", "housing", "gas"]
        let categories = ["drainage", "streetlight", "sanitation", "parking", "noise", "building-crack"]
        var deck: [String] = []
        while commands.count < events {
            if deck.isEmpty { deck = Self.block.flatMap { Array(repeating: $0.action, count: $0.count) }.shuffled(using: &random) }
            var action = deck.removeLast()
            if action == "dispatch" && nextReported == reported.count { action = "report" }
            if action == "resolve" && nextDispatched == dispatched.count { action = "report" }
            let index = commands.count
            let idempotencyKey = "mix-\(seed)-\(index)"
            func staffer(_ role: String) -> String { byRole[role]!.randomElement(using: &random)! }
            switch action {
            case "award", "deduct":
                let resident = Int.random(in: 0..<residents, using: &random)
                let award = action == "award"
                commands.append(
                    Command(
                        action: action, kind: award ? GovernanceKind.award : GovernanceKind.deduct,
                        stream: GovernanceStream.points(String(format: "r%06d", resident)), expectedVersion: pointsVersions[resident],
                        actor: staffer("community-secretary"), place: Self.community.path,
                        amount: award ? Int64.random(in: 1...5, using: &random) : 5,
                        rule: award ? ["volunteer", "report", "clean-up"].randomElement(using: &random)! : "littering",
                        text: award ? "helped a neighbour" : "left rubbish by building 7", department: nil, deadlineMinutes: nil,
                        idempotencyKey: idempotencyKey))
                pointsVersions[resident] += 1
            case "report":
                cases += 1
                let id = String(format: "mix-%07d", cases)
                let grid = Int.random(in: 1...17, using: &random)
                commands.append(
                    Command(
                        action: action, kind: GovernanceKind.report, stream: GovernanceStream.case(id), expectedVersion: 0,
                        actor: staffer("grid-worker"), place: String(format: "zhuji/dongsheng/g%02d", grid), amount: nil,
                        rule: categories.randomElement(using: &random)!, text: "blocked drain by building \(grid)", department: nil,
                        deadlineMinutes: nil, idempotencyKey: idempotencyKey))
                reported.append(id)
                casePlaces[id] = commands.last!.place
            case "dispatch":
                let id = reported[nextReported]
                nextReported += 1
                commands.append(
                    Command(
                        action: action, kind: GovernanceKind.dispatch, stream: GovernanceStream.case(id), expectedVersion: 1,
                        actor: staffer("street-office"), place: casePlaces[id]!, amount: nil, rule: nil, text: "",
                        department: departments.randomElement(using: &random)!, deadlineMinutes: 10_080, idempotencyKey: idempotencyKey))
                dispatched.append(id)
            default:
                let id = dispatched[nextDispatched]
                nextDispatched += 1
                commands.append(
                    Command(
                        action: action, kind: GovernanceKind.resolve, stream: GovernanceStream.case(id), expectedVersion: 2,
                        actor: staffer("department"), place: casePlaces[id]!, amount: nil, rule: nil,
                        text: "cleared", department: nil, deadlineMinutes: nil, idempotencyKey: idempotencyKey))
            }
        }
        self.commands = commands
    }

    /// How many commands of each action.
    public var counts: [String: Int] { Dictionary(grouping: commands, by: \.action).mapValues(\.count) }

    /// The points the pool is issued: more than every award together.
    public var poolIssue: Int64 { commands.compactMap { $0.action == "award" ? $0.amount : nil }.reduce(0, +) + 1000 }

    /// The preamble after genesis: every actor's enrolment (signed by the
    /// authority), then the pool's issue (signed by the first secretary).
    public func preamble(at time: Timestamp) throws -> [SignedEvent] {
        var events = try actors.map { actor in
            try SignedEvent(
                signing: SystemEvent.content(
                    origin: Self.origin, kind: SystemEvent.Kind.enrol,
                    payload: SystemEvent.Enrol(actor: actor.id, key: actor.key.publicKey, role: actor.role, scope: Self.community),
                    actorKey: authority.publicKey, clientTime: time, idempotencyKey: "enrol-\(actor.id)"),
                with: authority)
        }
        let secretary = actors.first { $0.role == "community-secretary" }!
        events.append(
            try SignedEvent(
                signing: EventContent(
                    origin: Self.origin, stream: GovernanceKind.communityStream, place: Self.community, expectedVersion: .any,
                    kind: GovernanceKind.issue, payload: PointsAmount(amount: poolIssue, note: "the year's points").encoded,
                    actorKey: secretary.key.publicKey, clientTime: time, idempotencyKey: "mix-\(seed)-issue"),
                with: secretary.key))
        return events
    }

    /// The lane that appends `stream`'s events: every event of a stream goes
    /// through one lane, in order, so concurrent lanes never race on a
    /// stream's version.
    public static func lane(of stream: String, lanes: Int) -> Int {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in stream.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return Int(hash % UInt64(lanes))
    }

    /// Every command signed by its actor, split into `lanes` lanes (see
    /// ``lane(of:lanes:)``), on every core; with `keeping`, only the
    /// commands of those lanes are signed (the others' lanes are empty):
    /// what one of several processes sharing the workload appends.
    public func signed(lanes: Int, at time: Timestamp, keeping: Range<Int>? = nil) throws -> [[SignedEvent]] {
        let keys = Dictionary(uniqueKeysWithValues: actors.map { ($0.id, $0.key) })
        let commands = keeping.map { kept in self.commands.filter { kept.contains(Self.lane(of: $0.stream, lanes: lanes)) } } ?? self.commands
        let chunk = 4096
        let parts = (commands.count + chunk - 1) / chunk
        let results = Mutex([Int: Result<[SignedEvent], any Error>]())
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            let result = Result {
                try commands[part * chunk..<min(commands.count, (part + 1) * chunk)].map { command in
                    let key = keys[command.actor]!
                    return try SignedEvent(
                        signing: EventContent(
                            origin: Self.origin, stream: command.stream, place: try Place(validating: command.place),
                            expectedVersion: .exactly(command.expectedVersion), kind: command.kind, payload: command.payload,
                            actorKey: key.publicKey, clientTime: time, idempotencyKey: command.idempotencyKey),
                        with: key)
                }
            }
            results.withLock { $0[part] = result }
        }
        var out = Array(repeating: [SignedEvent](), count: lanes)
        let all = results.withLock { $0 }
        for part in 0..<parts {
            let events = try all[part]!.get()
            for event in events { out[Self.lane(of: event.content.stream, lanes: lanes)].append(event) }
        }
        return out
    }
}

extension CivicMixWorkload.Command {
    /// The event payload, in the governance encoding.
    public var payload: [UInt8] {
        switch action {
        case "award":
            PointsMovement(account: .contribution, amount: amount ?? 0, rule: rule ?? "", evidence: nil, reason: text).encoded
        case "deduct":
            PointsMovement(account: .reputation, amount: amount ?? 0, rule: rule ?? "", evidence: nil, reason: text).encoded
        case "report": CaseReport(urgency: .general, category: rule ?? "", source: .patrol, summary: text).encoded
        case "dispatch": CaseDispatch(department: department ?? "", deadlineMinutes: deadlineMinutes ?? 0).encoded
        default: CaseNote(text).encoded
        }
    }
}
