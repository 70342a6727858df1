import CivicLedger

extension GovernanceState {
    // MARK: Archives

    func checkArchive(_ context: Context) throws(LedgerError) {
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
}
