/// Arithmetic that cannot trap, for values that come from payloads, rules
/// and store rows.
///
/// A fold runs on whatever a log holds, forged entries included, and must
/// never stop the process: a sum that would leave the type's range stays
/// at the range's end instead. The checks refuse the values that would get
/// near those ends (docs/format.md §10.1), so an honest ledger never
/// reaches them; a forged one is reported by the audit, not trapped on.
extension FixedWidthInteger {
    /// `self + other`, clamped to the type's range.
    @inlinable public func clampedAdding(_ other: Self) -> Self {
        let (sum, overflow) = addingReportingOverflow(other)
        guard overflow else { return sum }
        return other > 0 ? .max : .min
    }

    /// `self - other`, clamped to the type's range.
    @inlinable public func clampedSubtracting(_ other: Self) -> Self {
        let (difference, overflow) = subtractingReportingOverflow(other)
        guard overflow else { return difference }
        return other > 0 ? .min : .max
    }

    /// `self × other`, clamped to the type's range.
    @inlinable public func clampedMultiplied(by other: Self) -> Self {
        let (product, overflow) = multipliedReportingOverflow(by: other)
        guard overflow else { return product }
        return (self < 0) != (other < 0) ? .min : .max
    }

    /// Adds `other` in place, clamped to the type's range.
    @inlinable public mutating func addClamped(_ other: Self) {
        self = clampedAdding(other)
    }
}
