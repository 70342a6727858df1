import CivicLedger

extension GovernanceState {
    // MARK: Archives

    func checkArchive(_ context: Context) throws(LedgerError) {
        let kind = context.kind
        let resident = try context.subject(kind == GovernanceKind.health ? "health" : "resident")
        let record = archive[resident]
        if kind == GovernanceKind.register {
            let registration = try context.decode(ResidentRegistration.self)
            if registration.clearProfile == nil { try checkInterval(registration.visitIntervalDays, context) }
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
        case GovernanceKind.update:
            let update = try context.decode(ResidentUpdate.self)
            if update.clearProfile == nil { try checkInterval(update.visitIntervalDays, context) }
        case GovernanceKind.visit, GovernanceKind.health: _ = try context.decode(SealedNote.self)
        case GovernanceKind.erase: try context.needText(try context.decode(CaseNote.self).note, "a reason")
        case GovernanceKind.expire: try checkExpiry(context, resident: resident, record: record)
        default: throw context.error(.domainRule, "\(kind) is not an archive kind")
        }
    }
}

extension GovernanceState {
    /// A stated visit interval must be one the rules in force can give
    /// some profile: the profile is sealed, so which one is checked only by
    /// an auditor the vault grants it to (``SealedProfileAudit``).
    func checkInterval(_ days: UInt32, _ context: Context) throws(LedgerError) {
        let possible = context.rules.possibleVisitIntervals
        guard possible.contains(Int(days)) else {
            throw context.error(
                .domainRule,
                "visitIntervalDays \(days) is not an interval the rules in force give any resident (\(possible.sorted().map(String.init).joined(separator: ", ")))"
            )
        }
    }
}
