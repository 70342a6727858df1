import CivicGovernance
import CivicLedger
import Foundation

/// Builds a ``TransparencyReport`` by folding a ledger's entries in order,
/// up to a checkpoint.
///
/// ```swift
/// var builder = TransparencyReportBuilder(
///     origin: origin, pseudonymKey: try await PseudonymKey.from(vault), from: start, to: end)
/// for try await page in EntryPages(store: store, to: checkpoint.checkpoint.size) {
///     for entry in page { try builder.fold(entry) }
/// }
/// let report = try builder.report(checkpoint: checkpoint)
/// ```
public struct TransparencyReportBuilder: Sendable {
    /// The ledger's origin.
    public let origin: String
    /// The operator's secret the residents' pseudonyms are keyed by.
    public let pseudonymKey: PseudonymKey
    /// The start of the period, inclusive; `nil` from the first entry.
    public let from: Timestamp?
    /// The end of the period, exclusive; `nil` to the checkpoint.
    public let to: Timestamp?
    /// The governance state folded so far.
    public private(set) var state = GovernanceState()
    /// Residents' names by actor id, for a reader entitled to them
    /// (``namesReader``); empty in a public report.
    public private(set) var names: [String: String] = [:]
    /// The reader the names are shown to.
    public private(set) var namesReader: String?
    var visits = VisitSchedule()
    var months: [CivilMonth: TransparencyReport.PointsFigures.Month] = [:]
    var lastRecordedAt = Timestamp(millisecondsSinceEpoch: 0)

    /// A builder for the period `from..<to`.
    public init(origin: String, pseudonymKey: PseudonymKey, from: Timestamp? = nil, to: Timestamp? = nil) {
        self.origin = origin
        self.pseudonymKey = pseudonymKey
        self.from = from
        self.to = to
    }

    func inPeriod(_ time: Timestamp) -> Bool {
        (from.map { time >= $0 } ?? true) && (to.map { time < $0 } ?? true)
    }

    /// Folds the next entry.
    public mutating func fold(_ entry: LedgerEntry) throws {
        try state.fold(entry)
        try visits.fold(entry)
        lastRecordedAt = max(lastRecordedAt, entry.recordedAt)
        guard inPeriod(entry.recordedAt), let code = GovernanceKind.code(of: entry), code.isPoints else { return }
        let month = CivilMonth(entry.recordedAt, offsetMinutes: state.rules?.utcOffsetMinutes ?? 480)
        var figures = months[month] ?? .init(month: String(format: "%04d-%02d", month.year, month.month))
        switch code {
        case .issue: figures.issued.addClamped((try? PointsAmount(entry: entry))?.amount ?? 0)
        case .redeem: figures.redeemed.addClamped((try? PointsAmount(entry: entry))?.amount ?? 0)
        case .award: figures.awarded.addClamped((try? PointsMovement(entry: entry))?.amount ?? 0)
        case .deduct: figures.deducted.addClamped((try? PointsMovement(entry: entry))?.amount ?? 0)
        default: return
        }
        months[month] = figures
    }

    /// The name a report shows for the signer of `key`: officials by actor
    /// id, residents by pseudonym, an erased resident as erased.
    func shown(_ key: PublicKey) -> String {
        guard let actor = state.registry?.keys[key]?.actor else { return "?" }
        return shown(actor: actor)
    }

    func shown(actor: String) -> String {
        if state.archive[actor]?.isErased == true { return "已注销 erased" }
        let roles = state.registry?.actors[actor]?.roles.map(\.role) ?? []
        let residentRoles: Set<String> = ["resident", "party-member", "volunteer"]
        if roles.isEmpty || roles.contains(where: residentRoles.contains) || state.archive[actor] != nil {
            let pseudonym = Pseudonym.of(actor, key: pseudonymKey)
            return names[actor].map { "\($0) (\(pseudonym))" } ?? pseudonym
        }
        return actor
    }

    /// The reader whose key is `reader`, as `actor (roles)`, when
    /// ``PersonalFieldReaders`` lets that key's actor see residents' names:
    /// check this before opening any name.
    ///
    /// - Throws: what ``PersonalFieldReaders/check(_:in:resident:)`` throws.
    public func nameReader(_ reader: PublicKey) throws(LedgerError) -> String {
        try PersonalFieldReaders.check(reader, in: state.registry)
    }

    /// Shows residents by name to the reader whose key is `reader`
    /// (``nameReader(_:)`` must accept it); `names` are the residents'
    /// opened name fields, by actor id. Call after folding.
    ///
    /// - Throws: what ``nameReader(_:)`` throws.
    public mutating func showNames(_ names: [String: String], to reader: PublicKey) throws(LedgerError) {
        namesReader = try nameReader(reader)
        self.names = names
    }

    /// Shows residents by name to the reader whose key is `reader`: checks
    /// the reader first (``nameReader(_:)``), then opens each resident's
    /// sealed name with the key `vault` holds for them (a resident whose key
    /// is gone, erased, stays under a pseudonym). Call after folding.
    ///
    /// - Throws: what ``nameReader(_:)`` throws, before any key is fetched;
    ///   the vault's errors.
    public mutating func revealNames(to reader: PublicKey, vault: any KeyVault) async throws {
        _ = try nameReader(reader)
        var names: [String: String] = [:]
        for (resident, record) in state.archive.residents {
            guard let sealed = record.sealed, let key = try await vault.existingKey(for: resident) else { continue }
            names[resident] = try? SealedField(bytes: sealed.name).open(
                with: key, context: SealedContact.context(origin: origin, resident: resident, field: "name"))
        }
        try showNames(names, to: reader)
    }

    /// The report, tied to `checkpoint` (which must cover exactly the
    /// entries folded); with a witness `policy`, it names the policy's
    /// witnesses whose cosignatures the checkpoint carries.
    ///
    /// - Throws: `LedgerError` when the checkpoint does not cover the
    ///   entries folded.
    public func report(checkpoint: SignedCheckpoint, policy: WitnessPolicy? = nil) throws -> TransparencyReport {
        guard checkpoint.checkpoint.size == state.nextPosition else {
            throw LedgerError(
                .checkpointMismatch, "the checkpoint covers \(checkpoint.checkpoint.size) entries; \(state.nextPosition) were folded")
        }
        let end = to.map { min($0, lastRecordedAt.adding(milliseconds: 1)) } ?? lastRecordedAt.adding(milliseconds: 1)
        return TransparencyReport(
            origin: origin, community: state.rules?.community.path ?? "", communityName: state.rules?.communityName ?? "",
            from: from?.description, to: to?.description,
            checkpoint: .init(
                size: checkpoint.checkpoint.size, root: checkpoint.checkpoint.root.base64, note: checkpoint.serialized,
                witnesses: policy?.cosigners(of: checkpoint)),
            namesShownTo: namesReader,
            decisions: decisions(), cases: caseFigures(), points: pointsFigures(), care: careFigures(at: end))
    }

    func decisions() -> [TransparencyReport.Decision] {
        state.deliberations.decisions.sorted { $0.key < $1.key }.compactMap { stream, decision in
            guard decision.history.contains(where: { inPeriod($0.at) }) else { return nil }
            let vote = decision.meeting.map { meeting in
                TransparencyReport.Decision.Vote(
                    entitled: meeting.entitled.count, present: meeting.present.count, yes: meeting.yes, no: meeting.no,
                    abstain: meeting.abstain, secret: meeting.secret, passed: meeting.passed,
                    votes: Dictionary(
                        meeting.votes.map { (shown(actor: $0.key), $0.value.rawValue) }, uniquingKeysWith: { first, _ in first }))
            }
            return TransparencyReport.Decision(
                id: stream, title: decision.title, stage: decision.stage.rawValue,
                steps: decision.history.map { .init(kind: $0.kind, by: shown($0.key), at: $0.at.description) },
                proposals: decision.proposals.count, shortlist: decision.shortlist, topic: decision.topic, plan: decision.plan,
                comments: decision.comments, vote: vote, result: decision.result,
                milestones: decision.milestones.map { .init(name: $0.name, percent: $0.percent) }, progress: decision.progress,
                evaluation: decision.evaluation)
        }
    }

    func caseFigures() -> TransparencyReport.CaseFigures {
        let cases = state.board.cases.filter { inPeriod($0.value.reportedAt) }.sorted { $0.key < $1.key }
        let records = cases.map(\.value)
        let accepted = records.filter { $0.state != .reported && $0.state != .rejected }
        let dispatched = records.filter { $0.department != nil }
        let responded = dispatched.filter { $0.respondedAt != nil }
        let resolved = dispatched.filter { $0.resolvedAt != nil }
        let closed = records.filter { $0.closedAt != nil }
        let rated = records.filter { $0.rating != nil }
        func percent(_ part: Int, _ whole: Int) -> Double? {
            whole == 0 ? nil : (Double(part) * 1000 / Double(whole)).rounded() / 10
        }
        var byState: [String: Int] = [:]
        for record in records { byState[record.state.rawValue, default: 0] += 1 }
        let timeToClose = Dictionary(grouping: closed, by: \.category).map { category, group in
            let hours = group.map { Double($0.closedAt!.millisecondsSinceEpoch - $0.reportedAt.millisecondsSinceEpoch) / 3_600_000 }
                .sorted()
            let median = hours.count % 2 == 1 ? hours[hours.count / 2] : (hours[hours.count / 2 - 1] + hours[hours.count / 2]) / 2
            return TransparencyReport.CaseFigures.CategoryTime(
                category: category, closed: group.count, medianHours: (median * 10).rounded() / 10)
        }.sorted { $0.category < $1.category }
        let withDeadline = records.filter { $0.resolvedOnTime != nil && $0.department != nil }
        let onTime = Dictionary(grouping: withDeadline, by: { $0.department! }).map { department, group in
            let kept = group.filter { $0.resolvedOnTime == true }.count
            return TransparencyReport.CaseFigures.DepartmentRate(
                department: department, resolved: group.count, onTime: kept, rate: percent(kept, group.count) ?? 0)
        }.sorted { $0.department < $1.department }
        return TransparencyReport.CaseFigures(
            funnel: [
                .init(stage: "reported", cases: records.count), .init(stage: "accepted", cases: accepted.count),
                .init(stage: "dispatched", cases: dispatched.count), .init(stage: "resolved", cases: resolved.count),
                .init(stage: "closed", cases: closed.count), .init(stage: "rated", cases: rated.count),
            ],
            byState: byState, timeToClose: timeToClose, onTime: onTime,
            responseRate: percent(responded.count, dispatched.count), resolutionRate: percent(resolved.count, dispatched.count),
            satisfactionRate: percent(rated.filter { $0.rating != .dissatisfied }.count, rated.count),
            shelved: cases.filter { $0.value.state == .shelved }.map {
                .init(id: $0.key, category: $0.value.category, reportedAt: $0.value.reportedAt.description)
            })
    }

    func pointsFigures() -> TransparencyReport.PointsFigures {
        let points = state.points
        return TransparencyReport.PointsFigures(
            months: months.sorted { $0.key < $1.key }.map(\.value), totals: points.totals, conserved: points.isConserved,
            ranking: points.ranking(limit: 10).map {
                .init(resident: shown(actor: $0.resident), contribution: $0.balance.contribution, reputation: $0.balance.reputation)
            })
    }

    func careFigures(at end: Timestamp) -> TransparencyReport.CareFigures {
        let rules = state.rules
        let year = state.year(of: end.adding(milliseconds: -1))
        let quotaRole = rules?.quotaRole ?? "party-member"
        let holders = (state.registry?.actors.values ?? [:].values).filter { $0.roles.contains { $0.role == quotaRole } }
        let quota = rules?.volunteerQuotaPerYear ?? 5
        // Counted by the actor's current key, as the quota is checked.
        let met = holders.filter { state.volunteers.completed(by: $0.key, in: year) >= quota }
        return TransparencyReport.CareFigures(
            year: year, quota: quota, quotaHolders: holders.count, metQuota: met.count, scheduled: visits.schedule.count,
            overdueVisits: visits.overdue(at: end).count, erased: state.archive.erasedCount)
    }
}
