/// Which role may sign which event kinds: data kept in the log, set at
/// genesis and replaced by `ledger.permissions.set`.
///
/// A pattern is an exact kind (`case.report`), a prefix ending in `.*`
/// (`case.*` matches `case.report` and `case.dispatch.sent`), or `*` for
/// every kind. No pattern matches the reserved `ledger.*` kinds: only the
/// ledger authority signs those. Where the role may sign is its scope,
/// given when an actor is enrolled.
public struct PermissionTable: Hashable, Sendable, Codable {
    /// Kind patterns by role name.
    public private(set) var patterns: [String: [String]]

    /// A table from role names to kind patterns.
    ///
    /// - Throws: ``LedgerError`` `.invalidSystemEvent` for a malformed role
    ///   name or pattern.
    public init(_ patterns: [String: [String]]) throws(LedgerError) {
        for (role, kinds) in patterns {
            try AuthorityRegistry.checkRoleName(role)
            for pattern in kinds { try Self.checkPattern(pattern, role: role) }
        }
        self.patterns = patterns
    }

    /// The empty table: nobody but the authority may sign anything.
    public static let empty = try! PermissionTable([:])

    /// `true` when `role` may sign `kind`.
    public func allows(role: String, kind: String) -> Bool {
        guard !kind.hasPrefix("ledger."), let kinds = patterns[role] else { return false }
        for pattern in kinds {
            if pattern == "*" || pattern == kind { return true }
            if pattern.hasSuffix(".*"), kind.hasPrefix(pattern.dropLast()) { return true }
        }
        return false
    }

    static func checkPattern(_ pattern: String, role: String) throws(LedgerError) {
        if pattern == "*" { return }
        let kind = pattern.hasSuffix(".*") ? String(pattern.dropLast(2)) : pattern
        do {
            try EventContent.checkKind(kind)
        } catch {
            throw LedgerError(.invalidSystemEvent, "role \(role): pattern \"\(pattern)\" is not a kind, a kind prefix ending in .*, or *")
        }
        guard kind != "ledger", !kind.hasPrefix("ledger.") else {
            throw LedgerError(.invalidSystemEvent, "role \(role): ledger.* kinds are reserved to the authority")
        }
    }

    public init(from decoder: any Decoder) throws {
        let raw = try decoder.singleValueContainer().decode([String: [String]].self)
        self = try PermissionTable(raw)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(patterns)
    }
}
