import CivicLedger

extension LedgerError.Code {
    /// Personal data kept past the retention period the rules set for it.
    public static let retentionExceeded = LedgerError.Code(rawValue: "retention-exceeded")
}

/// Retention periods (PIPL art. 19, 47): what the community's rules say may
/// be kept no longer (``GovernanceRules/retentionDays``), and the signed
/// erasures that carry them out.
///
/// - `visit` and `health` notes: when the last note of the kind is older
///   than its period, that kind's note key is destroyed and an
///   `archive.expire` recorded; notes written later get a new key.
/// - the `archive`: when the resident's last archive entry is older than its
///   period, the resident is erased (`archive.erase`, ``Erasure``).
///
/// ``due(in:at:)`` lists what is due; ``carryOut(_:vault:commands:by:state:at:)``
/// destroys the key, then signs the event (the order of ``Erasure``: once
/// the key is gone the data is, whether or not the event is appended). An
/// audit reports what is due and not done (`retention-exceeded`).
public enum Retention {
    /// One erasure a retention period calls for.
    public struct Action: Hashable, Sendable, CustomStringConvertible {
        /// The resident.
        public var resident: String
        /// What is erased: `archive` (the resident), `visit` or `health` notes.
        public var data: RetainedData
        /// When the period began: the last note of the kind, or the last archive entry.
        public var since: Timestamp
        /// The period, in days.
        public var days: Int
        /// When the data stopped being kept.
        public var keptUntil: Timestamp { Retention.end(of: since, days: days) }

        public var description: String {
            let what = data == .archive ? "the archive of \(resident)" : "\(resident)'s \(data.rawValue) notes"
            return "\(what): kept \(days) days after \(since), until \(keptUntil)"
        }
    }

    /// `since` plus `days` whole days, clamped at the ends of time.
    public static func end(of since: Timestamp, days: Int) -> Timestamp {
        Timestamp(millisecondsSinceEpoch: since.millisecondsSinceEpoch.clampedAdding(Int64(days).clampedMultiplied(by: 86_400_000)))
    }

    /// What the rules in force call to be erased at `time`, residents in
    /// order of id; nothing when the rules set no period.
    public static func due(in state: GovernanceState, at time: Timestamp) -> [Action] {
        guard let periods = state.rules?.retentionDays, !periods.isEmpty else { return [] }
        var actions: [Action] = []
        for (resident, record) in state.archive.residents.sorted(by: { $0.key < $1.key }) where !record.isErased {
            if let days = periods[.archive], end(of: record.lastActivity, days: days) <= time {
                actions.append(Action(resident: resident, data: .archive, since: record.lastActivity, days: days))
                continue
            }
            for data in [RetainedData.visit, .health] {
                guard let days = periods[data], let last = record.lastNotes[data], end(of: last, days: days) <= time else { continue }
                actions.append(Action(resident: resident, data: data, since: last, days: days))
            }
        }
        return actions
    }

    /// Destroys the key `action` calls for in `vault`, then returns the
    /// signed event to append: `archive.expire` for notes, `archive.erase`
    /// for the archive.
    ///
    /// - Throws: the command's refusal (the period has not passed under the
    ///   state's rules, the resident is erased) before any key is
    ///   destroyed; the vault's errors.
    public static func carryOut(
        _ action: Action, vault: any KeyVault, commands: GovernanceCommands, by signer: any Signer, state: GovernanceState,
        at time: Timestamp
    ) async throws -> SignedEvent {
        let reason = "retention: \(action) (PIPL art. 19, 47)"
        guard action.data != .archive else {
            return try await Erasure.erase(action.resident, reason: reason, vault: vault, commands: commands, by: signer, state: state, at: time)
        }
        let event = try commands.expire(action.resident, action.data, reason: reason, by: signer, state: state, at: time)
        try await vault.destroy(subject: NoteKeys.current(action.resident, action.data, in: state.archive))
        return event
    }
}

extension GovernanceState {
    /// `archive.expire`: the kind's period under the rules in force has
    /// passed since its last note.
    func checkExpiry(_ context: Context, resident: String, record: ResidentRecord) throws(LedgerError) {
        let expiry = try context.decode(RetentionExpiry.self)
        try context.needText(expiry.reason, "a reason")
        guard expiry.data != .archive else {
            throw context.error(.domainRule, "the archive expires by archive.erase, which erases the resident")
        }
        guard let days = context.rules.retentionDays?[expiry.data] else {
            throw context.error(.domainRule, "the rules in force set no retention period for \(expiry.data.rawValue) notes")
        }
        guard let last = record.lastNotes[expiry.data] else {
            throw context.error(.domainRule, "\(resident) has no \(expiry.data.rawValue) notes to expire")
        }
        let until = Retention.end(of: last, days: days)
        guard until <= context.time else {
            throw context.error(
                .deadline, "\(resident)'s \(expiry.data.rawValue) notes are kept until \(until) (\(days) days after the last, \(last))")
        }
    }

    /// A `retention-exceeded` warning for each erasure due at `time`.
    func retentionFindings(asOf time: Timestamp) -> [AuditFinding] {
        Retention.due(in: self, at: time).map { action in
            AuditFinding(
                code: .retentionExceeded, message: "personal data kept past its period: \(action)",
                stream: GovernanceStream.resident(action.resident), severity: .warning)
        }
    }
}
