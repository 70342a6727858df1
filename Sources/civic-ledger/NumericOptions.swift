import ArgumentParser

/// Every numeric option of the tool is parsed by one of these, so a value
/// outside the option's range is a usage error where it is parsed (exit 2,
/// naming the option and the range) and no command ever computes with it:
/// `--limit -1` can no longer reach `prefix(_:)`, nor `--index` near
/// `UInt64.max` an addition.
enum NumericOption {
    /// A whole number in `range`.
    static func whole<Value: FixedWidthInteger & Sendable>(_ range: ClosedRange<Value>) -> @Sendable (String) throws -> Value {
        { text in
            guard let value = Value(text.trimmingCharacters(in: .whitespaces)), range.contains(value) else {
                throw ValidationError("must be a whole number from \(range.lowerBound) to \(range.upperBound), not \"\(text)\"")
            }
            return value
        }
    }

    /// A number of seconds in `range`.
    static func seconds(_ range: ClosedRange<Double>) -> @Sendable (String) throws -> Double {
        { text in
            guard let value = Double(text.trimmingCharacters(in: .whitespaces)), value.isFinite, range.contains(value) else {
                throw ValidationError("must be a number of seconds from \(range.lowerBound) to \(range.upperBound), not \"\(text)\"")
            }
            return value
        }
    }

    /// The largest position or size the tool takes: far beyond any log, and
    /// far enough below `UInt64.max` that `position + 1` and `size + n` never
    /// overflow.
    static let maximumPosition: UInt64 = 1 << 48

    /// A position in a log, or a log's size.
    static let position = whole(UInt64(0)...maximumPosition)

    /// A count of listed rows, with 0 meaning none: at most as many as a
    /// log can hold.
    static let count = whole(0...Int(maximumPosition))
}
