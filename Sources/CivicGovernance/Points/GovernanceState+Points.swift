import CivicLedger

extension GovernanceState {
    // MARK: Points

    func checkPoints(_ context: Context) throws(LedgerError) {
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
                    "rule \(movement.rule) is granted by \(rule.grantors.joined(separator: " or ")) covering \(context.entry.place); \(context.signer) is neither"
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
}
