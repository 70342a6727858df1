import CivicLedger

/// Every resident's two accounts, the community pool and the totals, by
/// double entry: awards leave the pool, deductions, redemptions and
/// expiries return to it, and only an issuance adds points. So
/// `pool + Σ accounts == issued` after every entry (``isConserved``).
///
/// Folds the `points.*` kinds and ignores the rest; the hot path reads the
/// account and amount only.
public struct PointsBalances: Projection, Codable, Hashable {
    public static let name = "points-balances"
    public var lastPosition: UInt64?

    /// One resident's accounts.
    public struct Balance: Codable, Hashable, Sendable {
        /// 贡献值.
        public var contribution: Int64 = 0
        /// 声望值.
        public var reputation: Int64 = 0
        /// Contribution points ever awarded (for rankings of a period, see
        /// ``PointsBalances/ranking(limit:)``).
        public var earned: Int64 = 0

        /// The balance of `account`.
        public subscript(account: PointsAccount) -> Int64 {
            get { account == .contribution ? contribution : reputation }
            set {
                if account == .contribution { contribution = newValue } else { reputation = newValue }
            }
        }
    }

    /// A movement that can be appealed and reversed.
    public struct Movement: Codable, Hashable, Sendable {
        /// The account's stream, `points/RESIDENT`.
        public var stream: String
        /// The account.
        public var account: PointsAccount
        /// Signed: positive for an award, negative for a deduction.
        public var amount: Int64
        /// `true` once an upheld appeal reversed it.
        public var reversed = false
    }

    /// Totals since genesis.
    public struct Totals: Codable, Hashable, Sendable {
        /// Points issued into the pool.
        public var issued: Int64 = 0
        /// Points awarded to residents.
        public var awarded: Int64 = 0
        /// Points deducted from residents.
        public var deducted: Int64 = 0
        /// Points redeemed.
        public var redeemed: Int64 = 0
        /// Points expired at a period close.
        public var expired: Int64 = 0
        /// Points moved back by upheld appeals (net: award reversals
        /// positive, deduction reversals negative).
        public var reversed: Int64 = 0
    }

    /// Balances by account stream (`points/RESIDENT`).
    public private(set) var accounts: [String: Balance] = [:]
    /// The community pool.
    public private(set) var pool: Int64 = 0
    /// The totals.
    public private(set) var totals = Totals()
    /// Awards and deductions by log position, for appeals.
    public private(set) var movements: [UInt64: Movement] = [:]
    /// Appeals by log position: the movement each one targets.
    public private(set) var appeals: [UInt64: UInt64] = [:]

    /// No accounts, an empty pool.
    public init() {}

    /// The balance of `resident`.
    public func balance(of resident: String) -> Balance {
        accounts[GovernanceStream.points(resident)] ?? Balance()
    }

    /// Σ of every account, both kinds.
    public var accountsTotal: Int64 {
        accounts.values.reduce(0) { $0 + $1.contribution + $1.reputation }
    }

    /// `true` when the pool and the accounts hold exactly what was issued.
    public var isConserved: Bool { pool + accountsTotal == totals.issued }

    /// Residents by contribution balance, then reputation, then id.
    public func ranking(limit: Int) -> [(resident: String, balance: Balance)] {
        accounts.map { (resident: String(GovernanceStream.subject(of: $0.key, prefix: "points") ?? Substring($0.key)), balance: $0.value) }
            .sorted {
                ($0.balance.contribution, $0.balance.reputation, $1.resident) > ($1.balance.contribution, $1.balance.reputation, $0.resident)
            }
            .prefix(limit).map { $0 }
    }

    public mutating func apply(_ entry: LedgerEntry) throws {
        let kind = entry.kind
        guard kind.utf8.count > 7, kind.hasPrefix("points.") else { return }
        switch kind {
        case GovernanceKind.award, GovernanceKind.deduct:
            guard let head = try? PointsMovement.head(entry.payload), head.amount > 0 else { return }
            let signed = kind == GovernanceKind.award ? head.amount : -head.amount
            move(entry.stream, head.account, signed)
            if signed > 0 {
                totals.awarded += signed
                if head.account == .contribution { accounts[entry.stream, default: Balance()].earned += signed }
            } else {
                totals.deducted -= signed
            }
            movements[entry.position] = Movement(stream: entry.stream, account: head.account, amount: signed)
        case GovernanceKind.issue:
            guard let amount = try? PointsAmount.head(entry.payload), amount > 0 else { return }
            pool += amount
            totals.issued += amount
        case GovernanceKind.redeem:
            guard let amount = try? PointsAmount.head(entry.payload), amount > 0 else { return }
            move(entry.stream, .contribution, -amount)
            totals.redeemed += amount
        case GovernanceKind.appeal:
            guard let appeal = try? PointsAppeal(payload: entry.payload) else { return }
            appeals[entry.position] = appeal.target
        case GovernanceKind.appealDecision:
            guard let decision = try? PointsAppeal(payload: entry.payload), decision.upheld,
                let target = appeals[decision.target], let movement = movements[target], !movement.reversed
            else { return }
            move(movement.stream, movement.account, -movement.amount)
            totals.reversed += movement.amount
            movements[target]!.reversed = true
        case GovernanceKind.periodClose:
            guard let close = try? PeriodClose(payload: entry.payload), close.expiresContribution else { return }
            for stream in accounts.keys {
                let unspent = accounts[stream]!.contribution
                guard unspent > 0 else { continue }
                move(stream, .contribution, -unspent)
                totals.expired += unspent
            }
        default:
            return
        }
    }

    /// Moves `amount` from the pool into an account (negative: back).
    private mutating func move(_ stream: String, _ account: PointsAccount, _ amount: Int64) {
        accounts[stream, default: Balance()][account] += amount
        pool -= amount
    }
}
