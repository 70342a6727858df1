import CivicLedger

/// The bounds of every number a governance payload or the community's
/// rules carry (docs/format.md §10.1).
///
/// The checks refuse a value outside them, at append and again at replay
/// (where the audit reports it as a finding); the folds ignore such a
/// value and add with clamped arithmetic, so no input that decodes can
/// make a fold or a check trap. The bounds are far beyond any real
/// community, and every sum they allow stays below 2^53, so figures read
/// exactly as JSON numbers in any language.
public enum GovernanceLimits {
    /// Points moved by one issuance, award, deduction or redemption, and
    /// the size of a point rule: 1 to 10^9.
    public static let pointsPerMovement: ClosedRange<Int64> = 1...1_000_000_000

    /// The most points ever issued into the pool (10^15): an issuance that
    /// would pass it is refused, so the pool, every balance and every
    /// total stay within ±10^15 on an honest ledger.
    public static let pointsIssued: Int64 = 1_000_000_000_000_000

    /// A point rule's monthly cap: 1 to 10^15.
    public static let monthlyCap: ClosedRange<Int64> = 1...1_000_000_000_000_000

    /// Units of an item moved into or out of a store at once: 1 to 10^9.
    public static let stockPerMovement: ClosedRange<Int64> = 1...1_000_000_000

    /// The most units of one item a store may hold (10^15).
    public static let stockHeld: Int64 = 1_000_000_000_000_000

    /// A deadline or an extension, in minutes: 1 to 527,040 (366 days).
    public static let minutes: ClosedRange<UInt32> = 1...527_040

    /// A retention period, in days: 1 to 36,600 (a hundred years).
    public static let retentionDays: ClosedRange<Int> = 1...36_600

    /// A visit interval, in days: 1 to 3,660 (ten years).
    public static let visitDays: ClosedRange<Int> = 1...3_660

    /// The appeal window, in days: 0 to 3,660.
    public static let appealDays: ClosedRange<Int> = 0...3_660

    /// Extensions a case may have: 0 to 100.
    public static let extensions: ClosedRange<Int> = 0...100

    /// Volunteer tasks a year in the quota: 0 to 10,000.
    public static let yearlyQuota: ClosedRange<Int> = 0...10_000

    /// The community's offset from UTC, in minutes: -840 to 840.
    public static let utcOffsetMinutes: ClosedRange<Int> = -840...840

    /// The error for `value` of `field` outside `bounds`.
    static func outOfBounds<T: BinaryInteger>(_ field: String, _ value: T, _ bounds: ClosedRange<T>) -> String {
        "\(field) is \(value), outside the bounds \(bounds.lowerBound) to \(bounds.upperBound) (docs/format.md §10.1)"
    }
}
