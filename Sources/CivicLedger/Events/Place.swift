/// A place in the governance tree: a path of names from the street office
/// down, separated by `/` (for example `zhuji/dongsheng/grid-03/mg-12`).
///
/// A role is held in a place (its *scope*) and covers that place and every
/// place beneath it. The place `*` covers every place; the ledger's own
/// system events are in it.
public struct Place: Hashable, Sendable, Codable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// The path as written.
    public let path: String

    /// The place that covers every place.
    public static let everywhere = Place(unchecked: "*")

    @usableFromInline init(unchecked path: String) { self.path = path }

    /// A place written in source code. An invalid literal is a programming
    /// error and traps; places that come from input go through
    /// ``init(validating:)``.
    public init(stringLiteral value: String) {
        do {
            try Self.validate(value)
        } catch {
            preconditionFailure("invalid place literal \"\(value)\": \(error.message)")
        }
        self.path = value
    }

    /// Validates a path: `*`, or one or more non-empty `/`-separated names
    /// without control characters or `*`, at most 255 bytes in all.
    ///
    /// - Throws: ``LedgerError`` `.invalidField`, saying what is wrong.
    public init(validating path: String) throws(LedgerError) {
        try Self.validate(path)
        self.path = path
    }

    static func validate(_ path: String) throws(LedgerError) {
        try TextRules.utf8(path) { (bytes) throws(LedgerError) in try validate(bytes) }
    }

    /// The rules on the path's UTF-8: `*`, or names of no `*` and no
    /// control character between single slashes, 1 to 255 bytes in all.
    static func validate(_ bytes: UnsafeRawBufferPointer) throws(LedgerError) {
        if bytes.count == 1, bytes[0] == UInt8(ascii: "*") { return }
        guard !bytes.isEmpty, bytes.count <= 255 else {
            throw LedgerError(.invalidField, "place must be 1 to 255 bytes, got \(bytes.count)")
        }
        func problem() -> String? {
            var nameLength = 0
            for byte in bytes {
                if byte == UInt8(ascii: "/") {
                    if nameLength == 0 { return "has an empty name between slashes" }
                    nameLength = 0
                } else if byte < 0x20 || byte == 0x7f || byte == UInt8(ascii: "*") {
                    return "has a name with '*' or a control character"
                } else {
                    nameLength += 1
                }
            }
            return nameLength == 0 ? "ends with a slash" : nil
        }
        if let problem = problem() {
            throw LedgerError(.invalidField, "place \"\(String(decoding: bytes, as: UTF8.self))\" \(problem)")
        }
    }

    /// `true` when this place is `other` or lies beneath it; every place lies
    /// beneath `*`.
    public func isWithin(_ other: Place) -> Bool {
        if other.path == "*" { return true }
        if path == other.path { return true }
        return path.utf8.count > other.path.utf8.count
            && path.hasPrefix(other.path)
            && path.utf8[path.utf8.index(path.utf8.startIndex, offsetBy: other.path.utf8.count)] == UInt8(ascii: "/")
    }

    public var description: String { path }

    public init(from decoder: any Decoder) throws {
        let path = try decoder.singleValueContainer().decode(String.self)
        try Self.validate(path)
        self.path = path
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(path)
    }
}
