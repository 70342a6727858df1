import CivicLedger

/// The permission table `init` writes when none is given: the roles of
/// docs/domain.md §1 with the kinds each typically signs. A community changes it
/// with a `ledger.permissions.set` event.
enum StarterPermissions {
    static let table = try! PermissionTable([
        "resident": ["case.report", "case.rate", "volunteer.claim", "points.appeal", "deliberation.propose", "deliberation.comment"],
        "grid-informant": ["case.report"],
        "grid-worker": ["case.report", "case.verify", "visit.*", "archive.*"],
        "grid-leader": ["case.report", "case.triage", "case.return", "case.verify"],
        "community-secretary": ["case.approve", "case.close", "points.*", "deliberation.*", "community.*"],
        "street-office": ["case.review", "case.dispatch", "case.escalate", "case.close"],
        "department-staff": ["case.acknowledge", "case.progress", "case.resolve", "case.return"],
        "points-committee": ["points.confirm", "points.appeal-decision"],
        "supervisor": ["case.remind", "audit.*"],
    ])
}
