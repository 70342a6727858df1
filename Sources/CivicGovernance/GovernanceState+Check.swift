import CivicLedger

extension GovernanceState {
    /// Checks that `entry` may come next, by the rules of DOMAIN.md and
    /// the community's rules in force. `ledger.*` entries are the core's.
    ///
    /// Kinds under the domain's prefixes (`case.`, `points.`, `archive.`,
    /// `health.`, `volunteer.`, `supplies.`, `community.`) must be known
    /// and on their stream; other kinds pass (the permission table limits
    /// who signs them).
    public func check(_ entry: LedgerEntry) throws(LedgerError) {
        let kind = entry.kind
        if kind.hasPrefix("ledger.") { return }
        guard let registry else {
            throw LedgerError(.domainRule, "no genesis yet", stream: entry.stream)
        }
        let signer = registry.keys[entry.actorKey]?.actor ?? "?"
        var context = Context(entry: entry, signer: signer, state: self)
        if kind == GovernanceKind.rules { return try checkRules(&context) }
        guard Self.domainPrefixes.contains(where: kind.hasPrefix) else { return }
        guard let rules else {
            throw context.error(.domainRule, "the community has no rules yet; append community.rules first")
        }
        context.rules = rules
        if kind.hasPrefix("case.") { return try checkCase(context) }
        if kind.hasPrefix("points.") { return try checkPoints(context) }
        if kind.hasPrefix("archive.") || kind.hasPrefix("health.") { return try checkArchive(context) }
        if kind.hasPrefix("volunteer.") { return try checkTask(context) }
        if kind.hasPrefix("supplies.") { return try checkSupplies(context) }
        if kind.hasPrefix("deliberation.") { return try checkDeliberation(context) }
        if kind == GovernanceKind.mode {
            try context.onStream(GovernanceKind.communityStream)
            let change = try context.decode(ModeChange.self)
            guard change.mode != mode || change.phase != phase else {
                throw context.error(.domainRule, "the community is already in \(mode.rawValue) mode, phase \(phase.rawValue)")
            }
            return
        }
        throw context.error(.domainRule, "\(kind) is not a kind of the governance domain")
    }

    /// The kind prefixes the domain owns: a kind under them must be known.
    static let domainPrefixes = ["case.", "points.", "archive.", "health.", "volunteer.", "supplies.", "community.", "deliberation."]

    /// What every check needs: the entry, its signer's actor id, the rules.
    struct Context {
        let entry: LedgerEntry
        let signer: String
        let state: GovernanceState
        var rules: GovernanceRules!

        var kind: String { entry.kind }
        var stream: String { entry.stream }
        var time: Timestamp { entry.recordedAt }

        func error(_ code: LedgerError.Code, _ message: String) -> LedgerError {
            LedgerError(code, message, stream: entry.stream, key: entry.actorKey)
        }

        func decode<P: GovernancePayload>(_ type: P.Type) throws(LedgerError) -> P {
            do {
                return try P(payload: entry.payload)
            } catch {
                throw self.error(.malformed, "\(kind) payload: \(error.message)")
            }
        }

        func onStream(_ expected: String) throws(LedgerError) {
            guard stream == expected else { throw error(.domainRule, "\(kind) goes on the stream \(expected), not \(stream)") }
        }

        /// The id after `prefix/` in the stream name.
        func subject(_ prefix: String) throws(LedgerError) -> String {
            guard let subject = GovernanceStream.subject(of: stream, prefix: prefix) else {
                throw error(.domainRule, "\(kind) goes on a \(prefix)/ID stream, not \(stream)")
            }
            return String(subject)
        }

        /// `true` when the signer holds one of `roles` in a place covering the entry's.
        func signerHolds(anyOf roles: [String]) -> Bool {
            let grants = state.registry?.actors[signer]?.roles ?? []
            return grants.contains { roles.contains($0.role) && entry.content.place.isWithin($0.scope) }
        }

        /// Refuses `value` of the payload's `field` outside `bounds`
        /// (``GovernanceLimits``), naming the kind, the field and the bounds.
        func within<T: BinaryInteger>(_ field: String, _ value: T, _ bounds: ClosedRange<T>) throws(LedgerError) {
            guard bounds.contains(value) else {
                throw error(.malformed, "\(kind) payload: " + GovernanceLimits.outOfBounds(field, value, bounds))
            }
        }

        func needText(_ text: String, _ what: String) throws(LedgerError) {
            guard !text.allSatisfy(\.isWhitespace) else { throw error(.domainRule, "\(kind) needs \(what)") }
        }
    }

    // MARK: Decisions in public

    /// A step of a decision (DOMAIN.md §7): the state machine of
    /// ``Deliberation`` decides; a meeting's representatives must be
    /// enrolled actors.
    private func checkDeliberation(_ context: Context) throws(LedgerError) {
        guard let decision = GovernanceStream.decision(of: context.stream),
            let id = GovernanceStream.subject(of: decision.stream, prefix: "deliberation")
        else { throw context.error(.domainRule, "\(context.kind) goes on a deliberation/ID stream, not \(context.stream)") }
        let decoded: DeliberationStep?
        do {
            decoded = try DeliberationStep.decode(kind: context.kind, payload: context.entry.payload)
        } catch {
            throw context.error(.malformed, "\(context.kind) payload: \(error.message)")
        }
        guard let step = decoded else { throw context.error(.domainRule, "\(context.kind) is not a kind of the governance domain") }
        guard context.entry.content.place.isWithin(context.rules.community) else {
            throw context.error(
                .domainRule,
                "decision \(id) is the community's (\(context.rules.community)); the event names \(context.entry.content.place)")
        }
        if step.isVoice {
            guard decision.participant == context.signer else {
                throw context.error(
                    .domainRule,
                    "\(context.kind) goes on the signer's own stream \(GovernanceStream.deliberationVoice(String(id), actor: context.signer)), not \(context.stream)"
                )
            }
        } else if decision.participant != nil {
            throw context.error(
                .domainRule, "\(context.kind) is the committee's step; it goes on \(decision.stream), not \(context.stream)")
        }
        if case .vote(let meeting) = step {
            let unknown = meeting.entitled.filter { registry?.actors[$0] == nil }
            guard unknown.isEmpty else {
                throw context.error(
                    .domainRule,
                    "decision \(id): the entitled representatives must be enrolled; unknown: \(unknown.prefix(5).joined(separator: ", "))")
            }
        }
        do {
            _ = try Deliberation.next(deliberations[decision.stream], step, by: context.entry.actorKey, at: context.time)
        } catch {
            throw context.error(error.code, "decision \(id): \(error.message)")
        }
    }

    // MARK: Rules

    private func checkRules(_ context: inout Context) throws(LedgerError) {
        try context.onStream(GovernanceKind.communityStream)
        let new: GovernanceRules
        do {
            new = try GovernanceRules(payload: context.entry.payload)
        } catch {
            throw context.error(error.code, error.message)
        }
        guard new.community == context.entry.content.place else {
            throw context.error(.domainRule, "the rules are for \(new.community) but the event is in \(context.entry.content.place)")
        }
        if let rules, rules.community != new.community {
            throw context.error(.domainRule, "the community is \(rules.community); rules cannot move it to \(new.community)")
        }
    }

    // MARK: Cases

    private func checkCase(_ context: Context) throws(LedgerError) {
        let id = try context.subject("case")
        let record = board[context.stream]
        let kind = context.kind
        let rules = context.rules!
        let step: CaseStep
        switch kind {
        case GovernanceKind.report:
            let report = try context.decode(CaseReport.self)
            try context.needText(report.category, "a category")
            step = .report
        case GovernanceKind.approve:
            let approval = try context.decode(CaseApproval.self)
            guard approval.skipsReview == (mode == .emergency) else {
                throw context.error(
                    .domainRule,
                    mode == .emergency
                        ? "case \(id): in emergency mode an approval skips the second review"
                        : "case \(id): in peacetime a whistle needs the street office's review after the secretary's approval")
            }
            step = .approve(emergency: approval.skipsReview)
        case GovernanceKind.dispatch:
            let dispatch = try context.decode(CaseDispatch.self)
            guard rules.departments[dispatch.department] != nil else {
                throw context.error(.domainRule, "case \(id): no department \"\(dispatch.department)\" in the rules")
            }
            if let record {
                let expected = rules.deadline(for: record.urgency, mode: mode)
                guard dispatch.deadlineMinutes == expected else {
                    throw context.error(
                        .deadline,
                        "case \(id): a \(record.urgency.rawValue) case in \(mode.rawValue) mode has \(expected) minutes, not \(dispatch.deadlineMinutes)"
                    )
                }
            }
            step = .dispatch
        case GovernanceKind.progress:
            let progress = try context.decode(CaseProgress.self)
            guard progress.percent <= 100 else { throw context.error(.domainRule, "case \(id): progress is 0 to 100 per cent") }
            step = .progress
        case GovernanceKind.extend:
            let extension_ = try context.decode(CaseExtension.self)
            guard (1...rules.maximumExtensionMinutes).contains(extension_.minutes) else {
                throw context.error(.domainRule, "case \(id): an extension is 1 to \(rules.maximumExtensionMinutes) minutes")
            }
            try context.needText(extension_.reason, "a reason")
            if let record {
                guard record.extensions < rules.maximumExtensions else {
                    throw context.error(.domainRule, "case \(id) already had \(record.extensions) extension(s), the most the rules allow")
                }
                if let deadline = record.deadline, context.time >= deadline {
                    throw context.error(.deadline, "case \(id): an extension must be asked for before the deadline \(deadline)")
                }
            }
            step = .extend
        case GovernanceKind.verify:
            step = .verify(passed: try context.decode(CaseVerification.self).passed)
        case GovernanceKind.rate:
            let rating = try context.decode(CaseRating.self)
            step = .rate(reopens: rating.rating == .dissatisfied && rating.controllable)
        case GovernanceKind.reject, GovernanceKind.returned, GovernanceKind.shelve:
            try context.needText(try context.decode(CaseNote.self).note, "a reason")
            step = kind == GovernanceKind.reject ? .reject : kind == GovernanceKind.returned ? .returnToStreet : .shelve
        case GovernanceKind.accept, GovernanceKind.review, GovernanceKind.deliveryFailed, GovernanceKind.deliveryRetried,
            GovernanceKind.acknowledge, GovernanceKind.resolve, GovernanceKind.close, GovernanceKind.remind:
            _ = try context.decode(CaseNote.self)
            step = CaseStep(context.entry)!
        default:
            throw context.error(.domainRule, "\(kind) is not a case step")
        }

        guard let next = CaseLifecycle.next(record?.state, step) else {
            let from = record.map { "is \($0.state.rawValue)" } ?? "has not been reported"
            let legal = CaseLifecycle.legalKinds(from: record?.state)
            let allowed = legal.isEmpty ? "nothing may follow" : "legal next steps: " + legal.sorted().joined(separator: ", ")
            throw context.error(.illegalTransition, "case \(id) \(from); \(kind) is not a legal step from there (\(allowed))")
        }
        _ = next
        guard let record else { return }

        // Who may take the step, beyond the role the permission table checked.
        switch step {
        case .acknowledge, .progress, .returnToStreet, .extend, .resolve:
            let department = record.department ?? "?"
            guard rules.departments[department]?.staff.contains(context.signer) == true else {
                throw context.error(.wrongActor, "case \(id) is with \(department); \(context.signer) is not its staff")
            }
            if step == .acknowledge, record.delivery == .failed {
                throw context.error(.domainRule, "case \(id): delivery to \(department) failed; retry it before it can be acknowledged")
            }
        case .deliveryFailed:
            guard record.delivery == .sent else {
                throw context.error(.domainRule, "case \(id): delivery is \(record.delivery.rawValue), not sent")
            }
        case .deliveryRetried:
            guard record.delivery == .failed else {
                throw context.error(.domainRule, "case \(id): delivery is \(record.delivery.rawValue), not failed")
            }
        case .verify:
            if let resolver = record.resolver, actorID(of: resolver) == context.signer {
                throw context.error(.wrongActor, "case \(id): \(context.signer) resolved it and may not verify it (核查 is by someone else)")
            }
        case .rate:
            guard actorID(of: record.reporter) == context.signer else {
                throw context.error(.wrongActor, "case \(id): only its reporter \(actorID(of: record.reporter) ?? "?") rates it")
            }
        case .remind:
            guard record.isOverdue(at: context.time) else {
                throw context.error(
                    .deadline, "case \(id) is not overdue until \(record.deadline.map(\.description) ?? "it has a deadline")")
            }
        default:
            break
        }
    }

    // MARK: Points

    private func checkPoints(_ context: Context) throws(LedgerError) {
        let kind = context.kind
        let rules = context.rules!
        switch kind {
        case GovernanceKind.issue:
            try context.onStream(GovernanceKind.communityStream)
            let amount = try context.decode(PointsAmount.self).amount
            guard amount > 0 else {
                throw context.error(.domainRule, "an issuance is at least 1 point")
            }
            try context.within("amount", amount, GovernanceLimits.pointsPerMovement)
            guard points.totals.issued.clampedAdding(amount) <= GovernanceLimits.pointsIssued else {
                throw context.error(
                    .domainRule,
                    "\(points.totals.issued) points were issued; \(amount) more would pass the most a ledger issues, \(GovernanceLimits.pointsIssued) (docs/format.md §10.1)"
                )
            }
            return
        case GovernanceKind.periodClose:
            try context.onStream(GovernanceKind.communityStream)
            let close = try context.decode(PeriodClose.self)
            guard !closedYears.contains(close.year) else { throw context.error(.domainRule, "the year \(close.year) is already closed") }
            guard year(of: context.time) > close.year else {
                throw context.error(.deadline, "the year \(close.year) has not ended (it is \(year(of: context.time)) in the community)")
            }
            guard close.expiresContribution == rules.contributionExpiresYearly else {
                throw context.error(
                    .domainRule,
                    "the rules say contribution points \(rules.contributionExpiresYearly ? "expire" : "do not expire") at the year's close")
            }
            return
        default:
            break
        }
        let resident = try context.subject("points")
        guard registry?.actors[resident] != nil else {
            throw context.error(.domainRule, "\(resident) is not an enrolled actor, so has no points account")
        }
        if archive[resident]?.isErased == true {
            throw context.error(.erased, "\(resident) was erased")
        }
        let balance = points.balance(of: resident)
        switch kind {
        case GovernanceKind.award, GovernanceKind.deduct:
            let movement = try context.decode(PointsMovement.self)
            guard let rule = rules.pointRules[movement.rule] else {
                throw context.error(
                    .domainRule,
                    "there is no points rule \"\(movement.rule)\"; every \(kind == GovernanceKind.award ? "award" : "deduction") cites a rule"
                )
            }
            let isAward = kind == GovernanceKind.award
            guard rule.isDeduction != isAward else {
                throw context.error(
                    .domainRule,
                    "rule \(movement.rule) is \(rule.isDeduction ? "a deduction" : "an award"), not \(isAward ? "an award" : "a deduction")"
                )
            }
            guard movement.account == rule.account, movement.amount == rule.size else {
                throw context.error(
                    .domainRule,
                    "rule \(movement.rule) moves \(rule.size) \(rule.account.rawValue) points, not \(movement.amount) \(movement.account.rawValue)"
                )
            }
            guard context.signerHolds(anyOf: rule.grantors) else {
                throw context.error(
                    .wrongActor,
                    "rule \(movement.rule) is granted by \(rule.grantors.joined(separator: " or ")) covering \(context.entry.content.place); \(context.signer) is neither"
                )
            }
            try context.needText(movement.reason, "a reason")
            guard isAward else { return }
            guard let position = movement.evidence, let found = evidence[position] else {
                throw context.error(
                    .domainRule,
                    "an award under \(movement.rule) cites evidence: the position of a \(rule.evidence.map(\.rawValue).joined(separator: " or "))"
                )
            }
            guard rule.evidence.contains(found.kind), found.subject == resident else {
                throw context.error(
                    .domainRule,
                    "the evidence at position \(position) is a \(found.kind.rawValue) crediting \(found.subject); rule \(movement.rule) needs a \(rule.evidence.map(\.rawValue).joined(separator: " or ")) crediting \(resident)"
                )
            }
            guard !awarded.contains(AwardKey(rule: movement.rule, evidence: position, resident: resident)) else {
                throw context.error(
                    .domainRule, "\(resident) was already awarded \(movement.rule) for the evidence at position \(position)")
            }
            if let cap = rule.monthlyCap {
                let month = CivilMonth(context.time, offsetMinutes: rules.utcOffsetMinutes)
                let used = capUsage[CapKey(resident: resident, rule: movement.rule, month: month)] ?? 0
                guard used.clampedAdding(movement.amount) <= cap else {
                    throw context.error(
                        .capExceeded,
                        "\(resident) has \(used) of the \(cap) points rule \(movement.rule) allows in \(month.year)-\(month.month); \(movement.amount) more exceeds it"
                    )
                }
            }
            guard points.pool >= movement.amount else {
                throw context.error(.insufficient, "the community pool holds \(points.pool) points; the award needs \(movement.amount)")
            }
        case GovernanceKind.appeal:
            let appeal = try context.decode(PointsAppeal.self)
            guard !appeal.upheld else { throw context.error(.malformed, "an appeal does not carry a decision") }
            guard context.signer == resident else { throw context.error(.wrongActor, "only \(resident) appeals entries on their account") }
            guard let movement = points.movement(at: appeal.target), movement.stream == context.stream else {
                throw context.error(.domainRule, "position \(appeal.target) is not an award or deduction on \(resident)'s account")
            }
            guard !appealedTargets.contains(appeal.target) else {
                throw context.error(.domainRule, "the entry at position \(appeal.target) was already appealed")
            }
            if let at = movementTimes[appeal.target],
                context.time.millisecondsSinceEpoch.clampedSubtracting(at.millisecondsSinceEpoch)
                    > Int64(rules.appealWindowDays).clampedMultiplied(by: 86_400_000)
            {
                throw context.error(
                    .deadline, "the appeal window of \(rules.appealWindowDays) days for position \(appeal.target) has passed")
            }
            try context.needText(appeal.note, "grounds")
        case GovernanceKind.appealDecision:
            let decision = try context.decode(PointsAppeal.self)
            guard points.appeals[decision.target] != nil else {
                throw context.error(.domainRule, "position \(decision.target) is not an appeal")
            }
            guard points.movement(at: points.appeals[decision.target]!)?.stream == context.stream else {
                throw context.error(.domainRule, "the appeal at \(decision.target) is about another account")
            }
            guard !decidedAppeals.contains(decision.target) else {
                throw context.error(.domainRule, "the appeal at \(decision.target) was already decided")
            }
            try context.needText(decision.note, "reasoning")
        case GovernanceKind.redeem:
            let redemption = try context.decode(PointsAmount.self)
            guard context.signer == resident else { throw context.error(.wrongActor, "only \(resident) redeems their points") }
            guard redemption.amount > 0 else { throw context.error(.domainRule, "a redemption is at least 1 point") }
            try context.within("amount", redemption.amount, GovernanceLimits.pointsPerMovement)
            if let through = redemptionSuspendedThrough[resident], through >= year(of: context.time) {
                throw context.error(.domainRule, "\(resident)'s redemption is suspended for \(through) after a violation")
            }
            guard balance.contribution >= redemption.amount else {
                throw context.error(
                    .insufficient, "\(resident) has \(balance.contribution) contribution points; the redemption needs \(redemption.amount)")
            }
            try context.needText(redemption.note, "what is redeemed")
        default:
            throw context.error(.domainRule, "\(kind) is not a points kind")
        }
    }

    // MARK: Archives

    private func checkArchive(_ context: Context) throws(LedgerError) {
        let kind = context.kind
        let resident = try context.subject(kind == GovernanceKind.health ? "health" : "resident")
        let record = archive[resident]
        if kind == GovernanceKind.register {
            _ = try context.decode(ResidentRegistration.self)
            guard record == nil else {
                throw context.error(
                    record!.isErased ? .erased : .domainRule,
                    "\(resident) already has an archive\(record!.isErased ? " and was erased" : "")")
            }
            return
        }
        guard let record else { throw context.error(.domainRule, "\(resident) has no archive") }
        guard !record.isErased else { throw context.error(.erased, "\(resident) was erased; nothing more is recorded about them") }
        switch kind {
        case GovernanceKind.update: _ = try context.decode(ResidentUpdate.self)
        case GovernanceKind.visit, GovernanceKind.health: _ = try context.decode(SealedNote.self)
        case GovernanceKind.erase: try context.needText(try context.decode(CaseNote.self).note, "a reason")
        default: throw context.error(.domainRule, "\(kind) is not an archive kind")
        }
    }

    // MARK: Volunteer tasks

    private func checkTask(_ context: Context) throws(LedgerError) {
        let id = try context.subject("task")
        let task = volunteers.tasks[context.stream]
        switch context.kind {
        case GovernanceKind.post:
            let post = try context.decode(TaskPost.self)
            guard task == nil else { throw context.error(.domainRule, "task \(id) already exists") }
            try context.needText(post.category, "a category")
            return
        case GovernanceKind.claim, GovernanceKind.complete, GovernanceKind.confirm:
            _ = try context.decode(CaseNote.self)
        default:
            throw context.error(.domainRule, "\(context.kind) is not a volunteer kind")
        }
        guard let task else { throw context.error(.domainRule, "task \(id) was not posted") }
        switch context.kind {
        case GovernanceKind.claim:
            guard task.state == .posted else {
                throw context.error(.illegalTransition, "task \(id) is \(task.state.rawValue); only a posted task is claimed")
            }
            guard actorID(of: task.organiser) != context.signer else {
                throw context.error(.wrongActor, "task \(id): its organiser cannot claim it")
            }
        case GovernanceKind.complete:
            guard task.state == .claimed else {
                throw context.error(.illegalTransition, "task \(id) is \(task.state.rawValue), not claimed")
            }
            guard task.volunteer.flatMap(actorID(of:)) == context.signer else {
                throw context.error(.wrongActor, "task \(id): only its volunteer reports it done")
            }
        default:
            guard task.state == .claimed || task.state == .done else {
                throw context.error(.illegalTransition, "task \(id) is \(task.state.rawValue); only a claimed or done task is confirmed")
            }
            guard actorID(of: task.organiser) == context.signer else {
                throw context.error(.wrongActor, "task \(id): its organiser \(actorID(of: task.organiser) ?? "?") confirms it (谁组织谁证明)")
            }
        }
    }

    // MARK: Supplies

    private func checkSupplies(_ context: Context) throws(LedgerError) {
        let store = try context.subject("supplies")
        guard context.kind == GovernanceKind.stockIn || context.kind == GovernanceKind.stockOut else {
            throw context.error(.domainRule, "\(context.kind) is not a supplies kind")
        }
        let movement = try context.decode(StockMovement.self)
        guard movement.quantity > 0 else { throw context.error(.domainRule, "a quantity is at least 1") }
        try context.within("quantity", movement.quantity, GovernanceLimits.stockPerMovement)
        try context.needText(movement.item, "an item")
        if context.kind == GovernanceKind.stockOut {
            let stock = supplies.quantity(of: movement.item, in: store)
            guard stock >= movement.quantity else {
                throw context.error(.insufficient, "store \(store) holds \(stock) \(movement.item); \(movement.quantity) cannot go out")
            }
        } else {
            let stock = supplies.quantity(of: movement.item, in: store)
            guard stock.clampedAdding(movement.quantity) <= GovernanceLimits.stockHeld else {
                throw context.error(
                    .domainRule,
                    "store \(store) holds \(stock) \(movement.item); \(movement.quantity) more would pass the most a store holds, \(GovernanceLimits.stockHeld) (docs/format.md §10.1)"
                )
            }
        }
    }
}
