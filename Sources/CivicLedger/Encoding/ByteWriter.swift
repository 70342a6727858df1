import Foundation

/// Appends the primitive encodings of docs/format.md to a byte array:
/// big-endian fixed-width integers, and variable-length fields as a
/// 32-bit big-endian length followed by the bytes.
///
/// Public so that domain modules encode their payloads with the same
/// primitives as the core formats.
public struct ByteWriter {
    /// The bytes written so far.
    public var bytes: [UInt8]

    /// An empty writer with room for `capacity` bytes.
    @inlinable public init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// One byte.
    @inlinable public mutating func u8(_ value: UInt8) { bytes.append(value) }

    /// A big-endian 32-bit unsigned integer.
    @inlinable public mutating func u32(_ value: UInt32) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    /// A big-endian 64-bit unsigned integer.
    @inlinable public mutating func u64(_ value: UInt64) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    /// A big-endian 64-bit two's-complement integer.
    @inlinable public mutating func i64(_ value: Int64) { u64(UInt64(bitPattern: value)) }

    /// Bytes as they are, with no length.
    @inlinable public mutating func raw(_ value: some Collection<UInt8>) { bytes.append(contentsOf: value) }

    /// 32 bytes as they are.
    @inlinable public mutating func raw(_ value: Bytes32) { value.withUnsafeBytes { bytes.append(contentsOf: $0) } }

    /// A length-prefixed byte string: u32 length, then the bytes.
    @inlinable public mutating func field(_ value: some Collection<UInt8>) {
        u32(UInt32(value.count))
        bytes.append(contentsOf: value)
    }

    /// A length-prefixed UTF-8 string.
    @inlinable public mutating func field(_ value: String) {
        var copy = value
        copy.withUTF8 { field($0) }
    }
}

/// Reads the encodings ``ByteWriter`` writes, with bounds checks on every
/// read: malformed input throws, it never traps. Each read names what it
/// reads, and the error says so.
public struct ByteReader {
    /// The bytes being read; valid only while the caller lends them.
    public let bytes: UnsafeRawBufferPointer
    /// The offset of the next read.
    public var offset: Int

    /// A reader over `bytes` from `offset`.
    @inlinable public init(_ bytes: UnsafeRawBufferPointer, offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    /// The bytes not read yet.
    @inlinable public var remaining: Int { bytes.count - offset }

    /// Throws unless `count` more bytes remain.
    @inlinable public mutating func need(_ count: Int, _ what: StaticString) throws(LedgerError) {
        guard count >= 0, remaining >= count else {
            throw LedgerError(.malformed, "truncated: \(what) needs \(count) bytes at offset \(offset), \(remaining) left")
        }
    }

    /// One byte.
    @inlinable public mutating func u8(_ what: StaticString) throws(LedgerError) -> UInt8 {
        try need(1, what)
        defer { offset += 1 }
        return bytes[offset]
    }

    /// A big-endian 32-bit unsigned integer.
    @inlinable public mutating func u32(_ what: StaticString) throws(LedgerError) -> UInt32 {
        try need(4, what)
        defer { offset += 4 }
        return UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    /// A big-endian 64-bit unsigned integer.
    @inlinable public mutating func u64(_ what: StaticString) throws(LedgerError) -> UInt64 {
        try need(8, what)
        defer { offset += 8 }
        return UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    /// A big-endian 64-bit two's-complement integer.
    @inlinable public mutating func i64(_ what: StaticString) throws(LedgerError) -> Int64 {
        Int64(bitPattern: try u64(what))
    }

    /// 32 bytes.
    @inlinable public mutating func bytes32(_ what: StaticString) throws(LedgerError) -> Bytes32 {
        try need(32, what)
        defer { offset += 32 }
        let base = offset
        return Bytes32 { out in out.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[base..<base + 32])) }
    }

    /// A length-prefixed field: returns its byte range, no copy.
    @inlinable public mutating func fieldRange(_ what: StaticString, maxLength: Int) throws(LedgerError) -> Range<Int> {
        let length = Int(try u32(what))
        guard length <= maxLength else {
            throw LedgerError(.malformed, "\(what) is \(length) bytes, more than the \(maxLength) allowed")
        }
        try need(length, what)
        defer { offset += length }
        return offset..<offset + length
    }

    /// A length-prefixed UTF-8 string, validated.
    @inlinable public mutating func string(_ what: StaticString, maxLength: Int) throws(LedgerError) -> String {
        let range = try utf8Range(what, maxLength: maxLength)
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }

    /// A length-prefixed UTF-8 string, validated: returns its byte range,
    /// no string is made.
    @inlinable public mutating func utf8Range(_ what: StaticString, maxLength: Int) throws(LedgerError) -> Range<Int> {
        let range = try fieldRange(what, maxLength: maxLength)
        guard TextRules.isValidUTF8(UnsafeRawBufferPointer(rebasing: bytes[range])) else {
            throw LedgerError(.malformed, "\(what) is not valid UTF-8")
        }
        return range
    }

    /// Throws unless every byte was read.
    @inlinable public func expectEnd(_ what: StaticString) throws(LedgerError) {
        guard remaining == 0 else {
            throw LedgerError(.malformed, "\(remaining) unexpected trailing bytes after \(what)")
        }
    }
}

/// Lends `bytes` as a raw buffer to a body that throws ``LedgerError``,
/// keeping the typed error (`rethrows` would widen it to `any Error`).
@inlinable
public func withBytes<R>(
    _ bytes: some ContiguousBytesCollection, _ body: (UnsafeRawBufferPointer) throws(LedgerError) -> R
) throws(LedgerError) -> R {
    do {
        return try bytes.withContiguousBytes { buffer in try body(buffer) }
    } catch let error as LedgerError {
        throw error
    } catch {
        // Unreachable: `body` throws only LedgerError.
        throw LedgerError(.malformed, "\(error)")
    }
}

/// Byte-level checks shared by encoding (on a String's UTF-8) and decoding
/// (on the raw field), so both paths apply the same rules.
@usableFromInline
enum TextRules {
    /// `true` when no byte is a control character. In UTF-8 the control
    /// characters U+0000–U+001F and U+007F are exactly these single bytes.
    @inlinable static func hasNoControl(_ bytes: UnsafeRawBufferPointer) -> Bool {
        for byte in bytes where byte < 0x20 || byte == 0x7f { return false }
        return true
    }

    /// `true` when the bytes are well-formed UTF-8 (Unicode 3.9, table
    /// 3-7: no overlong forms, no surrogates, nothing past U+10FFFF).
    @inlinable static func isValidUTF8(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var index = 0
        let count = bytes.count
        while index < count {
            // Eight ASCII bytes at a time, the common case.
            if index + 8 <= count, bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
                index += 8
                continue
            }
            let lead = bytes[index]
            if lead < 0x80 {
                index += 1
                continue
            }
            func continuation(_ offset: Int, _ range: ClosedRange<UInt8> = 0x80...0xBF) -> Bool {
                index + offset < count && range.contains(bytes[index + offset])
            }
            switch lead {
            case 0xC2...0xDF:
                guard continuation(1) else { return false }
                index += 2
            case 0xE0:
                guard continuation(1, 0xA0...0xBF), continuation(2) else { return false }
                index += 3
            case 0xE1...0xEC, 0xEE...0xEF:
                guard continuation(1), continuation(2) else { return false }
                index += 3
            case 0xED:
                guard continuation(1, 0x80...0x9F), continuation(2) else { return false }
                index += 3
            case 0xF0:
                guard continuation(1, 0x90...0xBF), continuation(2), continuation(3) else { return false }
                index += 4
            case 0xF1...0xF3:
                guard continuation(1), continuation(2), continuation(3) else { return false }
                index += 4
            case 0xF4:
                guard continuation(1, 0x80...0x8F), continuation(2), continuation(3) else { return false }
                index += 4
            default:
                return false
            }
        }
        return true
    }

    /// Runs `body` on the UTF-8 of `text` without copying a native string.
    @inlinable static func utf8<R>(_ text: String, _ body: (UnsafeRawBufferPointer) throws(LedgerError) -> R) throws(LedgerError) -> R {
        var copy = text
        do {
            return try copy.withUTF8 { buffer in try body(UnsafeRawBufferPointer(buffer)) }
        } catch let error as LedgerError {
            throw error
        } catch {
            throw LedgerError(.malformed, "\(error)")
        }
    }
}
