import CivicLedger

extension LedgerError.Code {
    /// A case step that is not legal from the case's state.
    public static let illegalTransition = LedgerError.Code(rawValue: "illegal-transition")
    /// An event of a governance kind whose schema version the domain does
    /// not declare for that kind (``GovernanceKind/versions(of:)``): its
    /// payload could be read as another version's.
    public static let unknownVersion = LedgerError.Code(rawValue: "unknown-version")
    /// The actor may sign the kind, but is not the one this step needs
    /// (the department's staff, the reporter, the organiser, the account
    /// holder), or is the one it must not be (the resolver verifying).
    public static let wrongActor = LedgerError.Code(rawValue: "wrong-actor")
    /// A points award over its rule's monthly cap.
    public static let capExceeded = LedgerError.Code(rawValue: "cap-exceeded")
    /// Not enough points in an account or the pool, or stock in a store.
    public static let insufficient = LedgerError.Code(rawValue: "insufficient")
    /// A step after its deadline that must come before it, or a reminder
    /// before the deadline.
    public static let deadline = LedgerError.Code(rawValue: "deadline")
    /// The pool and every account do not add up to the points issued.
    public static let pointsNotConserved = LedgerError.Code(rawValue: "points-not-conserved")
    /// A case went past its deadline and nobody sent a reminder (催办)
    /// within ``GovernanceState/reminderGrace`` of it.
    public static let overdueUnreminded = LedgerError.Code(rawValue: "overdue-unreminded")
}

/// The governance domain's rules, enforced by the ledger at append and by
/// a verifier on replay: a `LedgerDomain` over every projection the rules
/// need, the rules in force, the mode, and the authority registry.
///
/// ```swift
/// let ledger = try await Ledger.create(store: store, origin: origin, authority: authority,
///     logSigner: logKey, permissions: GovernancePermissions.defaults, domain: GovernanceState())
/// ```
public struct GovernanceState: LedgerDomain, Codable, Equatable {
    public static let name = "governance-state"
    public var lastPosition: UInt64?

    /// Keys, actors and roles, folded from the `ledger.*` events.
    public private(set) var registry: AuthorityRegistry?
    /// The rules in force; `nil` until the first `community.rules`.
    public private(set) var rules: GovernanceRules?
    /// The community's mode.
    public private(set) var mode: CommunityMode = .peacetime
    /// The resilience phase.
    public private(set) var phase: ResiliencePhase = .plan
    /// Every switch of mode or phase: position, time, mode, phase.
    public private(set) var modeChanges: [ModeChangeRecord] = []
    /// The case board.
    public private(set) var board = CaseBoard()
    /// Points balances.
    public private(set) var points = PointsBalances()
    /// Resident archives.
    public private(set) var archive = ResidentArchive()
    /// Volunteer tasks.
    public private(set) var volunteers = VolunteerRecord()
    /// Emergency supplies.
    public private(set) var supplies = SupplyStock()
    /// Decisions in public (三上三下三公开).
    public private(set) var deliberations = DeliberationBoard()
    /// The place of each task stream.
    public private(set) var taskPlaces: [String: Place] = [:]

    /// What qualifies as evidence for an award: its kind and whom it credits.
    public struct EvidenceRecord: Hashable, Sendable, Codable {
        /// The kind of evidence.
        public var kind: GovernanceRules.Evidence
        /// The actor or resident id it credits.
        public var subject: String
    }

    /// A switch of mode or phase.
    public struct ModeChangeRecord: Hashable, Sendable, Codable {
        /// Its log position.
        public var position: UInt64
        /// When it was recorded.
        public var recordedAt: Timestamp
        /// The mode from then on.
        public var mode: CommunityMode
        /// The phase from then on.
        public var phase: ResiliencePhase
    }

    struct CapKey: Hashable, Codable {
        var resident: String
        var rule: String
        var month: CivilMonth
    }

    struct AwardKey: Hashable, Codable {
        var rule: String
        var evidence: UInt64
        var resident: String
    }

    /// Evidence by log position.
    public private(set) var evidence: [UInt64: EvidenceRecord] = [:]
    var capUsage: [CapKey: Int64] = [:]
    var awarded: Set<AwardKey> = []
    var movementTimes: [UInt64: Timestamp] = [:]
    var appealedTargets: Set<UInt64> = []
    var decidedAppeals: Set<UInt64> = []
    var closedYears: Set<Int32> = []
    /// The last year whose redemptions a deduction suspended, by resident.
    public private(set) var redemptionSuspendedThrough: [String: Int32] = [:]

    /// How long after a case's deadline a reminder may come, in
    /// milliseconds, before an audit reports the case (default one day).
    public var reminderGrace: Int64 = 86_400_000

    /// The state before genesis.
    public init() {}

    /// The audit's checks over the whole log: points are conserved (the
    /// pool and every account add up to what was issued), and every case
    /// that went past its deadline, and was resolved late or is still
    /// overdue at `time`, drew a reminder within ``reminderGrace``.
    public func closingFindings(asOf time: Timestamp) -> [AuditFinding] {
        var findings: [AuditFinding] = retentionFindings(asOf: time)
        if !points.isConserved {
            findings.append(
                AuditFinding(
                    code: .pointsNotConserved,
                    message:
                        "the pool (\(points.pool)) and the accounts (\(points.accountsTotal)) add up to \(points.pool + points.accountsTotal), but \(points.totals.issued) points were issued"
                ))
        }
        for (stream, record) in zip(board.streams, board.records) where record.reminders == 0 {
            guard let deadline = record.deadline else { continue }
            let limit = deadline.adding(milliseconds: reminderGrace)
            if record.resolvedOnTime == false, let resolvedAt = record.resolvedAt, resolvedAt > limit {
                findings.append(
                    AuditFinding(
                        code: .overdueUnreminded,
                        message: "resolved at \(resolvedAt), after its deadline \(deadline), and nobody sent a reminder",
                        stream: stream, severity: .warning))
            } else if record.isOverdue(at: time), time > limit {
                findings.append(
                    AuditFinding(
                        code: .overdueUnreminded,
                        message: "overdue since \(deadline) with \(record.department ?? "no department") and nobody sent a reminder",
                        stream: stream, severity: .warning))
            }
        }
        return findings
    }

    /// The state in the compact binary form (`CompactCoder`): what the
    /// ledger seals in its state snapshot, so that a governance ledger
    /// opens without replaying its log.
    public func snapshotData() throws -> [UInt8] { try CompactCoder.encode(self) }

    /// SHA-256 of ``snapshotData()`` (not of the JSON the `Codable`
    /// default would hash).
    public func snapshotDigest() throws -> Digest { SHA256.hash(try snapshotData()) }

    /// Restores a state from ``snapshotData()``.
    public init(snapshotData: [UInt8]) throws {
        self = try CompactCoder.decode(Self.self, from: snapshotData)
    }

    /// Restores a state as its snapshot's data is read, without holding
    /// the data whole (30 MB at a million entries).
    public init(snapshotReader reader: SnapshotReader) throws {
        self = try CompactCoder.decode(Self.self, from: reader)
    }

    /// The registry, which this state folds from the same events as the
    /// ledger (see `LedgerDomain.authorityRegistry`).
    public var authorityRegistry: AuthorityRegistry? { registry }

    /// The actor id that holds `key`, if it is enrolled.
    public func actorID(of key: PublicKey) -> String? { registry?.keys[key]?.actor }

    /// The year `time` falls in, in the community's time zone.
    public func year(of time: Timestamp) -> Int32 {
        CivilMonth(time, offsetMinutes: rules?.utcOffsetMinutes ?? 480).year
    }

    // MARK: Folding

    public mutating func apply(_ entry: LedgerEntry) throws {
        if AuthorityRegistry.fold(entry, into: &registry) { return }
        // Bookkeeping that reads the projections as they were before the entry.
        switch GovernanceKind.code(of: entry) {
        case .rules?:
            if let rules = try? GovernanceRules(payload: entry.payload) { self.rules = rules }
        case .mode?:
            if let change = try? ModeChange(entry: entry) {
                mode = change.mode
                phase = change.phase
                modeChanges.append(
                    ModeChangeRecord(position: entry.position, recordedAt: entry.recordedAt, mode: change.mode, phase: change.phase))
            }
        case .close?:
            if let reporter = board[entry.stream]?.reporter, let subject = actorID(of: reporter) {
                evidence[entry.position] = EvidenceRecord(kind: .caseClosed, subject: subject)
            }
        case .confirm?:
            if let volunteer = volunteers.tasks[entry.stream]?.volunteer, let subject = actorID(of: volunteer) {
                evidence[entry.position] = EvidenceRecord(kind: .taskConfirmed, subject: subject)
            }
        case .visit?:
            if let resident = GovernanceStream.subject(of: entry.stream, prefix: "resident") {
                evidence[entry.position] = EvidenceRecord(kind: .visit, subject: String(resident))
            }
        case .award?:
            if let movement = try? PointsMovement(entry: entry), let resident = Self.resident(of: entry.stream) {
                let month = CivilMonth(entry.recordedAt, offsetMinutes: rules?.utcOffsetMinutes ?? 480)
                let key = CapKey(resident: resident, rule: movement.rule, month: month)
                capUsage[key] = (capUsage[key] ?? 0).clampedAdding(movement.amount)
                if let position = movement.evidence {
                    awarded.insert(AwardKey(rule: movement.rule, evidence: position, resident: resident))
                }
                movementTimes[entry.position] = entry.recordedAt
            }
        case .deduct?:
            if let movement = try? PointsMovement(entry: entry), let resident = Self.resident(of: entry.stream) {
                movementTimes[entry.position] = entry.recordedAt
                if rules?.pointRules[movement.rule]?.suspendsRedemption == true {
                    redemptionSuspendedThrough[resident] = max(redemptionSuspendedThrough[resident] ?? .min, year(of: entry.recordedAt))
                }
            }
        case .appeal?:
            if let appeal = try? PointsAppeal(entry: entry) { appealedTargets.insert(appeal.target) }
        case .appealDecision?:
            if let decision = try? PointsAppeal(entry: entry) {
                decidedAppeals.insert(decision.target)
                // An upheld appeal against a suspending deduction lifts the suspension.
                if decision.upheld, let target = points.appeals[decision.target], let resident = Self.resident(of: entry.stream),
                    let movement = points.movement(at: target), movement.amount < 0
                {
                    redemptionSuspendedThrough[resident] = nil
                }
            }
        case .post?:
            if taskPlaces[entry.stream] == nil { taskPlaces[entry.stream] = entry.place }
        case .periodClose?:
            if let close = try? PeriodClose(entry: entry) { closedYears.insert(close.year) }
        default:
            break
        }
        // Each projection folds the entry whatever the others make of it,
        // so each is exactly the projection folded on its own
        // (``projection(named:)``).
        var failure: (any Error)?
        do { try board.apply(entry) } catch { failure = failure ?? error }
        do { try points.apply(entry) } catch { failure = failure ?? error }
        do { try archive.apply(entry) } catch { failure = failure ?? error }
        do { try volunteers.apply(entry) } catch { failure = failure ?? error }
        do { try supplies.apply(entry) } catch { failure = failure ?? error }
        do { try deliberations.apply(entry) } catch { failure = failure ?? error }
        if let failure { throw failure }
    }

    /// The case board, points balances, resident archive, volunteer
    /// record, supply stock and deliberations this state holds, as of its
    /// last entry.
    public func projection(named name: String) -> (any Projection)? {
        func positioned<P: Projection>(_ projection: P) -> P {
            var copy = projection
            copy.lastPosition = lastPosition
            return copy
        }
        switch name {
        case CaseBoard.name: return positioned(board)
        case PointsBalances.name: return positioned(points)
        case ResidentArchive.name: return positioned(archive)
        case VolunteerRecord.name: return positioned(volunteers)
        case SupplyStock.name: return positioned(supplies)
        case DeliberationBoard.name: return positioned(deliberations)
        default: return nil
        }
    }

    static func resident(of stream: String) -> String? {
        GovernanceStream.subject(of: stream, prefix: "points").map(String.init)
    }
}

/// The governance domain's projections, for tools that keep or check them
/// all (the demo saves their snapshots; an audit compares them).
public enum GovernanceProjections {
    /// Every projection type, in a fixed order.
    public static let all: [any Projection.Type] = [
        CaseBoard.self, PointsBalances.self, ResidentArchive.self, VisitSchedule.self, VolunteerRecord.self, SupplyStock.self,
        CaseDossier.self, DeliberationBoard.self,
    ]
}
