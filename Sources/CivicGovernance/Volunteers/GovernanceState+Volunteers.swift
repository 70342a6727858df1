import CivicLedger

extension GovernanceState {
    // MARK: Volunteer tasks

    func checkTask(_ context: Context) throws(LedgerError) {
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
}
