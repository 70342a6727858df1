/// The one JSON reader for everything the ledger parses or signs
/// (docs/format.md §1.1).
///
/// It accepts exactly RFC 8259 JSON and refuses, with the line, column
/// and path of the problem:
/// - a member name twice in one object (two readers of one signed record
///   could otherwise see different values);
/// - an integer outside −2^63 … 2^63 − 1, and a number with a fraction or
///   exponent that a 64-bit float cannot hold exactly as written
///   (`1e400`, `0.10000000000000000001`): no number changes on the way in;
/// - nesting deeper than ``maximumDepth``;
/// - trailing commas, comments, leading zeros, `NaN`, unescaped control
///   characters, invalid UTF-8 and lone surrogates;
/// - anything after the value but white space.
///
/// ``decode(_:from:what:)`` then decodes a `Decodable` type and refuses
/// what it would silently drop or rewrite: members the type does not know,
/// and values it would read in another form (a non-canonical base64 key,
/// `1.0` for an integer, `null` for an absent field).
public enum StrictJSON {
    /// The deepest nesting of arrays and objects accepted.
    public static let maximumDepth = 64

    /// A parsed value, with where it starts in the text.
    public struct Node: Sendable, Equatable {
        /// The value.
        public var value: Value
        /// The 1-based line of its first character.
        public var line: Int
        /// The 1-based column (in bytes) of its first character.
        public var column: Int

        /// A node at a place in a text; a value built in code is at line
        /// and column 0.
        public init(value: Value, line: Int = 0, column: Int = 0) {
            self.value = value
            self.line = line
            self.column = column
        }
    }

    /// A JSON value. Objects keep their members in the order written.
    public indirect enum Value: Sendable, Equatable {
        case null
        case bool(Bool)
        /// A number without fraction or exponent.
        case integer(Int64)
        /// A number with a fraction or exponent, exactly a `Double`.
        case number(Double)
        case string(String)
        case array([Node])
        case object([(name: String, node: Node)])

        public static func == (lhs: Value, rhs: Value) -> Bool {
            switch (lhs, rhs) {
            case (.null, .null): true
            case (.bool(let a), .bool(let b)): a == b
            case (.integer(let a), .integer(let b)): a == b
            case (.number(let a), .number(let b)): a == b
            case (.string(let a), .string(let b)): a == b
            case (.array(let a), .array(let b)): a.map(\.value) == b.map(\.value)
            case (.object(let a), .object(let b)):
                a.count == b.count
                    && zip(a.sorted { $0.name < $1.name }, b.sorted { $0.name < $1.name }).allSatisfy {
                        $0.name == $1.name && $0.node.value == $1.node.value
                    }
            default: false
            }
        }

        /// The member `name` of an object.
        public subscript(name: String) -> Node? {
            guard case .object(let members) = self else { return nil }
            return members.first { $0.name == name }?.node
        }
    }

    /// Parses `bytes`, naming `what` they are in errors.
    ///
    /// - Throws: ``LedgerError`` `.malformed`: "`what`: line L, column C:
    ///   reason".
    public static func parse(_ bytes: some Collection<UInt8>, what: String = "JSON") throws(LedgerError) -> Node {
        var parser = Parser(bytes: Array(bytes), what: what)
        parser.skipSpace()
        let node = try parser.value(depth: 0, path: "$")
        parser.skipSpace()
        guard parser.index == parser.bytes.count else { throw parser.fail("text after the JSON value", path: "$") }
        return node
    }

    /// The canonical text of `value`: members sorted by name (UTF-8 byte
    /// order), no white space, strings with the escapes JSON requires
    /// (and `\u007f`), numbers in their shortest exact form.
    public static func canonical(_ value: Value) -> [UInt8] {
        var out: [UInt8] = []
        write(value, to: &out)
        return out
    }

    static func write(_ value: Value, to out: inout [UInt8]) {
        switch value {
        case .null: out += Array("null".utf8)
        case .bool(let flag): out += Array((flag ? "true" : "false").utf8)
        case .integer(let number): out += Array(String(number).utf8)
        case .number(let number): out += Array(shortest(number).utf8)
        case .string(let text): writeString(text, to: &out)
        case .array(let elements):
            out.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                write(element.value, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (index, member) in members.sorted(by: { Array($0.name.utf8).lexicographicallyPrecedes(Array($1.name.utf8)) })
                .enumerated()
            {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                writeString(member.name, to: &out)
                out.append(UInt8(ascii: ":"))
                write(member.node.value, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    static func writeString(_ text: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out += Array("\\\"".utf8)
            case UInt8(ascii: "\\"): out += Array("\\\\".utf8)
            case 0x0A: out += Array("\\n".utf8)
            case 0x0D: out += Array("\\r".utf8)
            case 0x09: out += Array("\\t".utf8)
            case 0x00...0x1F, 0x7F:
                let hex = Array("0123456789abcdef".utf8)
                out += Array("\\u00".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// The shortest text that reads back as `number` (Swift's).
    static func shortest(_ number: Double) -> String { "\(number)" }

    // MARK: Parsing

    struct Parser {
        let bytes: [UInt8]
        let what: String
        var index = 0
        var line = 1
        var lineStart = 0

        init(bytes: [UInt8], what: String) {
            self.bytes = bytes
            self.what = what
        }

        var column: Int { index - lineStart + 1 }

        func fail(_ reason: String, path: String, at position: (line: Int, column: Int)? = nil) -> LedgerError {
            let (line, column) = position ?? (self.line, self.column)
            return LedgerError(.malformed, "\(what): line \(line), column \(column) (at \(path)): \(reason)")
        }

        mutating func skipSpace() {
            while index < bytes.count {
                switch bytes[index] {
                case 0x20, 0x09, 0x0D: index += 1
                case 0x0A:
                    index += 1
                    line += 1
                    lineStart = index
                default: return
                }
            }
        }

        mutating func expect(_ literal: String, path: String) throws(LedgerError) {
            let expected = Array(literal.utf8)
            guard index + expected.count <= bytes.count, Array(bytes[index..<index + expected.count]) == expected else {
                throw fail("expected \(literal)", path: path)
            }
            index += expected.count
        }

        mutating func value(depth: Int, path: String) throws(LedgerError) -> Node {
            guard index < bytes.count else { throw fail("the text ends where a value should be", path: path) }
            let start = (line, column)
            func node(_ value: Value) -> Node { Node(value: value, line: start.0, column: start.1) }
            switch bytes[index] {
            case UInt8(ascii: "{"):
                guard depth < maximumDepth else { throw fail("nested deeper than \(maximumDepth) levels", path: path) }
                return node(try object(depth: depth + 1, path: path))
            case UInt8(ascii: "["):
                guard depth < maximumDepth else { throw fail("nested deeper than \(maximumDepth) levels", path: path) }
                return node(try array(depth: depth + 1, path: path))
            case UInt8(ascii: "\""): return node(.string(try string(path: path)))
            case UInt8(ascii: "t"):
                try expect("true", path: path)
                return node(.bool(true))
            case UInt8(ascii: "f"):
                try expect("false", path: path)
                return node(.bool(false))
            case UInt8(ascii: "n"):
                try expect("null", path: path)
                return node(.null)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return node(try number(path: path))
            case let byte:
                throw fail("unexpected \(Self.describe(byte)) where a value should be", path: path)
            }
        }

        static func describe(_ byte: UInt8) -> String {
            (0x21...0x7E).contains(byte) ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x\(String(byte, radix: 16))"
        }

        mutating func object(depth: Int, path: String) throws(LedgerError) -> Value {
            index += 1
            var members: [(name: String, node: Node)] = []
            var names = Set<String>()
            skipSpace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                index += 1
                return .object(members)
            }
            while true {
                skipSpace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
                    throw fail(
                        index < bytes.count && bytes[index] == UInt8(ascii: "}")
                            ? "a comma before '}' (trailing commas are not JSON)" : "expected a member name in quotes", path: path)
                }
                let at = (line, column)
                let name = try string(path: path)
                let memberPath = path + "." + name
                guard names.insert(name).inserted else {
                    throw fail("member \"\(name)\" appears twice in one object", path: memberPath, at: at)
                }
                skipSpace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw fail("expected ':' after a member name", path: memberPath) }
                index += 1
                skipSpace()
                members.append((name, try value(depth: depth, path: memberPath)))
                guard try another(closing: "}", in: "an object", path: path) else { return .object(members) }
            }
        }

        /// After an element: `true` past a comma, `false` past `closing`.
        mutating func another(closing: Unicode.Scalar, in container: String, path: String) throws(LedgerError) -> Bool {
            skipSpace()
            guard index < bytes.count else { throw fail("the text ends inside \(container)", path: path) }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
                return true
            }
            guard bytes[index] == UInt8(ascii: closing) else { throw fail("expected ',' or '\(closing)' in \(container)", path: path) }
            index += 1
            return false
        }

        mutating func array(depth: Int, path: String) throws(LedgerError) -> Value {
            index += 1
            var elements: [Node] = []
            skipSpace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                index += 1
                return .array(elements)
            }
            while true {
                skipSpace()
                if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                    throw fail("a comma before ']' (trailing commas are not JSON)", path: path)
                }
                elements.append(try value(depth: depth, path: path + "[\(elements.count)]"))
                guard try another(closing: "]", in: "an array", path: path) else { return .array(elements) }
            }
        }

        mutating func hex4(path: String) throws(LedgerError) -> UInt32 {
            guard index + 4 <= bytes.count else { throw fail("a \\u escape needs four hex digits", path: path) }
            var value: UInt32 = 0
            for byte in bytes[index..<index + 4] {
                let digit: UInt8
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
                default: throw fail("a \\u escape needs four hex digits", path: path)
                }
                value = value << 4 | UInt32(digit)
            }
            index += 4
            return value
        }

        mutating func string(path: String) throws(LedgerError) -> String {
            index += 1
            var run = index
            var text = ""
            func flush(_ end: Int) throws(LedgerError) {
                guard end > run else { return }
                guard let piece = String(validating: bytes[run..<end], as: UTF8.self) else {
                    throw fail("a string that is not valid UTF-8", path: path)
                }
                text += piece
            }
            while true {
                guard index < bytes.count else { throw fail("the text ends inside a string", path: path) }
                let byte = bytes[index]
                switch byte {
                case UInt8(ascii: "\""):
                    try flush(index)
                    index += 1
                    return text
                case UInt8(ascii: "\\"):
                    try flush(index)
                    index += 1
                    guard index < bytes.count else { throw fail("the text ends inside a string", path: path) }
                    let escape = bytes[index]
                    index += 1
                    let scalar: Unicode.Scalar
                    switch escape {
                    case UInt8(ascii: "\""): scalar = "\""
                    case UInt8(ascii: "\\"): scalar = "\\"
                    case UInt8(ascii: "/"): scalar = "/"
                    case UInt8(ascii: "b"): scalar = "\u{08}"
                    case UInt8(ascii: "f"): scalar = "\u{0C}"
                    case UInt8(ascii: "n"): scalar = "\n"
                    case UInt8(ascii: "r"): scalar = "\r"
                    case UInt8(ascii: "t"): scalar = "\t"
                    case UInt8(ascii: "u"):
                        let first = try hex4(path: path)
                        var code = first
                        if (0xD800...0xDBFF).contains(first) {
                            guard index + 2 <= bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                                throw fail("a lone surrogate \\u\(String(first, radix: 16)) (not a character)", path: path)
                            }
                            index += 2
                            let second = try hex4(path: path)
                            guard (0xDC00...0xDFFF).contains(second) else {
                                throw fail("a lone surrogate \\u\(String(first, radix: 16)) (not a character)", path: path)
                            }
                            code = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
                        } else if (0xDC00...0xDFFF).contains(first) {
                            throw fail("a lone surrogate \\u\(String(first, radix: 16)) (not a character)", path: path)
                        }
                        guard let decoded = Unicode.Scalar(code) else { throw fail("an escape that is not a character", path: path) }
                        scalar = decoded
                    default:
                        throw fail("an unknown escape \\\(Self.describe(escape))", path: path)
                    }
                    text.unicodeScalars.append(scalar)
                    run = index
                case 0x00...0x1F:
                    throw fail("a control character (0x\(String(byte, radix: 16))) in a string must be escaped", path: path)
                default:
                    index += 1
                }
            }
        }

        mutating func number(path: String) throws(LedgerError) -> Value {
            let start = index
            let position = (line, column)
            if bytes[index] == UInt8(ascii: "-") { index += 1 }
            func digits() -> Int {
                let first = index
                while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
                return index - first
            }
            let integerStart = index
            let integerDigits = digits()
            guard integerDigits > 0 else { throw fail("a number needs a digit after '-'", path: path) }
            guard integerDigits == 1 || bytes[integerStart] != UInt8(ascii: "0") else {
                throw fail("a number with a leading zero", path: path, at: position)
            }
            var isInteger = true
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                index += 1
                guard digits() > 0 else { throw fail("a number needs digits after '.'", path: path) }
                isInteger = false
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
                index += 1
                if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
                guard digits() > 0 else { throw fail("a number needs digits in its exponent", path: path) }
                isInteger = false
            }
            let text = String(decoding: bytes[start..<index], as: UTF8.self)
            if isInteger {
                guard let value = Int64(text) else {
                    throw fail("the integer \(text) is outside -2^63 to 2^63-1", path: path, at: position)
                }
                return .integer(value)
            }
            guard let value = Double(text), value.isFinite, Self.sameDecimal(text, "\(value)") else {
                throw fail("the number \(text) is not exactly a 64-bit float; it would change when read", path: path, at: position)
            }
            return .number(value)
        }

        /// `true` when two decimal texts denote the same number.
        static func sameDecimal(_ a: String, _ b: String) -> Bool {
            normalised(a) == normalised(b)
        }

        /// (sign, significant digits, exponent of the last digit) of a
        /// decimal text.
        static func normalised(_ text: String) -> (Bool, [UInt8], Int) {
            var bytes = Array(text.utf8)
            var negative = false
            if bytes.first == UInt8(ascii: "-") {
                negative = true
                bytes.removeFirst()
            }
            var exponent = 0
            if let e = bytes.firstIndex(where: { $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }) {
                exponent = Int(String(decoding: bytes[(e + 1)...], as: UTF8.self)).map { max(-100_000, min(100_000, $0)) } ?? 0
                bytes.removeSubrange(e...)
            }
            var digits: [UInt8] = []
            var fraction = 0
            var seenPoint = false
            for byte in bytes {
                if byte == UInt8(ascii: ".") {
                    seenPoint = true
                } else {
                    digits.append(byte)
                    if seenPoint { fraction += 1 }
                }
            }
            exponent -= fraction
            while let first = digits.first, first == UInt8(ascii: "0") { digits.removeFirst() }
            while let last = digits.last, last == UInt8(ascii: "0") {
                digits.removeLast()
                exponent += 1
            }
            if digits.isEmpty { return (false, [], 0) }
            return (negative, digits, exponent)
        }
    }
}
