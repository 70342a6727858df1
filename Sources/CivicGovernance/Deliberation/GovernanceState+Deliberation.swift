import CivicLedger

extension GovernanceState {
    // MARK: Decisions in public

    /// A step of a decision (docs/domain.md §7): the state machine of
    /// ``Deliberation`` decides; a meeting's representatives must be
    /// enrolled actors.
    func checkDeliberation(_ context: Context) throws(LedgerError) {
        guard let decision = GovernanceStream.decision(of: context.stream),
            let id = GovernanceStream.subject(of: decision.stream, prefix: "deliberation")
        else { throw context.error(.domainRule, "\(context.kind) goes on a deliberation/ID stream, not \(context.stream)") }
        let decoded: DeliberationStep?
        do {
            decoded = try DeliberationStep.decode(entry: context.entry)
        } catch {
            throw context.error(.malformed, "\(context.kind) payload: \(error.message)")
        }
        guard let step = decoded else { throw context.error(.domainRule, "\(context.kind) is not a kind of the governance domain") }
        guard context.entry.place.isWithin(context.rules.community) else {
            throw context.error(
                .domainRule,
                "decision \(id) is the community's (\(context.rules.community)); the event names \(context.entry.place)")
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
}
