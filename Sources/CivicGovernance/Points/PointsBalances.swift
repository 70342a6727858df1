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

        /// Moves `amount` into `account` (negative: out of it).
        @inlinable mutating func add(_ amount: Int64, to account: PointsAccount, earning: Bool) {
            if account == .contribution {
                contribution = contribution.clampedAdding(amount)
                if earning { earned = earned.clampedAdding(amount) }
            } else {
                reputation = reputation.clampedAdding(amount)
            }
        }

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

    /// The account streams (`points/RESIDENT`), numbered in the order they
    /// first moved: `balances[n]` belongs to `accountIndex.names[n]`.
    public private(set) var accountIndex = StreamIndex()
    /// The balances, in the order of ``accountIndex``.
    public private(set) var balances: [Balance] = []
    /// The community pool.
    public private(set) var pool: Int64 = 0
    /// The totals.
    public private(set) var totals = Totals()
    /// The log positions of awards and deductions, ascending (positions
    /// only grow), with ``movementRecords`` alongside: appends, not hashing,
    /// on the hot path; appeals find theirs by binary search.
    public private(set) var movementPositions: [UInt64] = []
    /// The awards and deductions, in the order of ``movementPositions``.
    public private(set) var movementRecords: [Movement] = []
    /// Appeals by log position: the movement each one targets.
    public private(set) var appeals: [UInt64: UInt64] = [:]

    /// No accounts, an empty pool.
    public init() {}

    /// The award or deduction at log position `position`, if there is one.
    public func movement(at position: UInt64) -> Movement? {
        index(of: position).map { movementRecords[$0] }
    }

    func index(of position: UInt64) -> Int? {
        var low = 0
        var high = movementPositions.count
        while low < high {
            let middle = (low + high) / 2
            if movementPositions[middle] < position { low = middle + 1 } else { high = middle }
        }
        return low < movementPositions.count && movementPositions[low] == position ? low : nil
    }

    /// Balances by account stream (built on each call: for reports, not
    /// hot paths).
    public var accounts: [String: Balance] { Dictionary(uniqueKeysWithValues: zip(accountIndex.names, balances)) }

    /// The balance of `resident`.
    public func balance(of resident: String) -> Balance {
        accountIndex.number(of: GovernanceStream.points(resident)).map { balances[$0] } ?? Balance()
    }

    /// Σ of every account, both kinds.
    /// (clamped to `Int64`'s range; ``isConserved`` sums exactly).
    public var accountsTotal: Int64 { Int64(clamping: exactAccountsTotal) }

    /// Σ of every account in 128 bits: no count of accounts overflows it.
    private var exactAccountsTotal: Int128 {
        balances.reduce(Int128(0)) { $0 + Int128($1.contribution) + Int128($1.reputation) }
    }

    /// `true` when the pool and the accounts hold exactly what was issued.
    public var isConserved: Bool { Int128(pool) + exactAccountsTotal == Int128(totals.issued) }

    /// Residents by contribution balance, then reputation, then id.
    public func ranking(limit: Int) -> [(resident: String, balance: Balance)] {
        let residents = accountIndex.names.map { stream in
            String(GovernanceStream.subject(of: stream, prefix: "points") ?? Substring(stream))
        }
        return zip(residents, balances).map { (resident: $0.0, balance: $0.1) }
            .sorted {
                ($0.balance.contribution, $0.balance.reputation, $1.resident) > (
                    $1.balance.contribution, $1.balance.reputation, $0.resident
                )
            }
            .prefix(limit).map { $0 }
    }

    public mutating func apply(_ entry: LedgerEntry) throws {
        guard let code = GovernanceKind.code(of: entry), code.isPoints else { return }
        switch code {
        case .award, .deduct:
            guard let head = entry.withPayloadBytes({ try? PointsMovement.head($0) }),
                GovernanceLimits.pointsPerMovement.contains(head.amount)
            else { return }
            let signed = code == .award ? head.amount : -head.amount
            balances[opened(accountIndex.insert(streamOf: entry))].add(signed, to: head.account, earning: signed > 0)
            pool = pool.clampedSubtracting(signed)
            if signed > 0 {
                totals.awarded = totals.awarded.clampedAdding(signed)
            } else {
                totals.deducted = totals.deducted.clampedAdding(head.amount)
            }
            if let last = movementPositions.last, last >= entry.position { return }
            movementPositions.append(entry.position)
            movementRecords.append(Movement(stream: entry.stream, account: head.account, amount: signed))
        case .issue:
            guard let amount = entry.withPayloadBytes({ try? PointsAmount.head($0) }),
                GovernanceLimits.pointsPerMovement.contains(amount)
            else { return }
            pool = pool.clampedAdding(amount)
            totals.issued = totals.issued.clampedAdding(amount)
        case .redeem:
            guard let amount = entry.withPayloadBytes({ try? PointsAmount.head($0) }),
                GovernanceLimits.pointsPerMovement.contains(amount)
            else { return }
            move(opened(accountIndex.insert(streamOf: entry)), .contribution, -amount)
            totals.redeemed = totals.redeemed.clampedAdding(amount)
        case .appeal:
            guard let appeal = try? PointsAppeal(entry: entry) else { return }
            appeals[entry.position] = appeal.target
        case .appealDecision:
            guard let decision = try? PointsAppeal(entry: entry), decision.upheld,
                let target = appeals[decision.target], let index = index(of: target), !movementRecords[index].reversed
            else { return }
            let movement = movementRecords[index]
            move(opened(accountIndex.insert(movement.stream)), movement.account, -movement.amount)
            totals.reversed = totals.reversed.clampedAdding(movement.amount)
            movementRecords[index].reversed = true
        case .periodClose:
            guard let close = try? PeriodClose(entry: entry), close.expiresContribution else { return }
            for number in balances.indices {
                let unspent = balances[number].contribution
                guard unspent > 0 else { continue }
                balances[number].add(-unspent, to: .contribution, earning: false)
                pool = pool.clampedAdding(unspent)
                totals.expired = totals.expired.clampedAdding(unspent)
            }
        default:
            return
        }
    }

    /// Moves `amount` from the pool into account `number` (negative: back).
    private mutating func move(_ number: Int, _ account: PointsAccount, _ amount: Int64) {
        balances[number].add(amount, to: account, earning: false)
        pool = pool.clampedSubtracting(amount)
    }

    /// The number an insertion into ``accountIndex`` gave, opening an empty
    /// balance when the account is new.
    private mutating func opened(_ insertion: (number: Int, inserted: Bool)) -> Int {
        if insertion.inserted { balances.append(Balance()) }
        return insertion.number
    }
}
