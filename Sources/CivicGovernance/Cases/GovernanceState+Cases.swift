import CivicLedger

extension GovernanceState {
    // MARK: Cases

    func checkCase(_ context: Context) throws(LedgerError) {
        let id = try context.subject("case")
        let record = board[context.stream]
        let kind = context.kind
        let rules = context.rules!
        let step: CaseStep
        // Payloads whose checks need the case's state: made after the step is
        // known to be legal, so an illegal step is reported as one.
        var dispatch: CaseDispatch?
        var extension_: CaseExtension?
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
            dispatch = try context.decode(CaseDispatch.self)
            step = .dispatch
        case GovernanceKind.progress:
            let progress = try context.decode(CaseProgress.self)
            guard progress.percent <= 100 else { throw context.error(.domainRule, "case \(id): progress is 0 to 100 per cent") }
            step = .progress
        case GovernanceKind.extend:
            extension_ = try context.decode(CaseExtension.self)
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

        if let dispatch {
            guard rules.departments[dispatch.department] != nil else {
                throw context.error(
                    .domainRule,
                    "case \(id): no department \"\(dispatch.department)\" in the rules (the community's rules list its departments and their staff: GovernanceRules.departments)"
                )
            }
            let expected = rules.deadline(for: record.urgency, mode: mode)
            guard dispatch.deadlineMinutes == expected else {
                throw context.error(
                    .deadline,
                    "case \(id): a \(record.urgency.rawValue) case in \(mode.rawValue) mode has \(expected) minutes, not \(dispatch.deadlineMinutes)"
                )
            }
        }
        if let extension_ {
            guard (1...rules.maximumExtensionMinutes).contains(extension_.minutes) else {
                throw context.error(.domainRule, "case \(id): an extension is 1 to \(rules.maximumExtensionMinutes) minutes")
            }
            try context.needText(extension_.reason, "a reason")
            guard record.extensions < rules.maximumExtensions else {
                throw context.error(.domainRule, "case \(id) already had \(record.extensions) extension(s), the most the rules allow")
            }
            if let deadline = record.deadline, context.time >= deadline {
                throw context.error(.deadline, "case \(id): an extension must be asked for before the deadline \(deadline)")
            }
        }

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
}
