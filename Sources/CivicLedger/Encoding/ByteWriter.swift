/// Appends the primitive encodings of docs/format.md to a byte array:
/// big-endian fixed-width integers, and variable-length fields as a
/// 32-bit big-endian length followed by the bytes.
@usableFromInline
struct ByteWriter {
    @usableFromInline var bytes: [UInt8]

    @inlinable init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    @inlinable mutating func u8(_ value: UInt8) { bytes.append(value) }

    @inlinable mutating func u32(_ value: UInt32) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    @inlinable mutating func u64(_ value: UInt64) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    @inlinable mutating func i64(_ value: Int64) { u64(UInt64(bitPattern: value)) }

    @inlinable mutating func raw(_ value: some Collection<UInt8>) { bytes.append(contentsOf: value) }

    @inlinable mutating func raw(_ value: Bytes32) { value.withUnsafeBytes { bytes.append(contentsOf: $0) } }

    /// A length-prefixed byte string: u32 length, then the bytes.
    @inlinable mutating func field(_ value: some Collection<UInt8>) {
        u32(UInt32(value.count))
        bytes.append(contentsOf: value)
    }

    /// A length-prefixed UTF-8 string.
    @inlinable mutating func field(_ value: String) {
        var copy = value
        copy.withUTF8 { field($0) }
    }
}

/// Reads the encodings ``ByteWriter`` writes, with bounds checks on every
/// read: malformed input throws, it never traps.
@usableFromInline
struct ByteReader {
    @usableFromInline let bytes: UnsafeRawBufferPointer
    @usableFromInline var offset: Int

    @usableFromInline init(_ bytes: UnsafeRawBufferPointer, offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    @usableFromInline var remaining: Int { bytes.count - offset }

    @usableFromInline mutating func need(_ count: Int, _ what: StaticString) throws(LedgerError) {
        guard count >= 0, remaining >= count else {
            throw LedgerError(.malformed, "truncated: \(what) needs \(count) bytes at offset \(offset), \(remaining) left")
        }
    }

    @usableFromInline mutating func u8(_ what: StaticString) throws(LedgerError) -> UInt8 {
        try need(1, what)
        defer { offset += 1 }
        return bytes[offset]
    }

    @usableFromInline mutating func u32(_ what: StaticString) throws(LedgerError) -> UInt32 {
        try need(4, what)
        defer { offset += 4 }
        return UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    @usableFromInline mutating func u64(_ what: StaticString) throws(LedgerError) -> UInt64 {
        try need(8, what)
        defer { offset += 8 }
        return UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    @usableFromInline mutating func i64(_ what: StaticString) throws(LedgerError) -> Int64 {
        Int64(bitPattern: try u64(what))
    }

    @usableFromInline mutating func bytes32(_ what: StaticString) throws(LedgerError) -> Bytes32 {
        try need(32, what)
        defer { offset += 32 }
        let base = offset
        return Bytes32 { out in out.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[base..<base + 32])) }
    }

    /// A length-prefixed field: returns its byte range, no copy.
    @usableFromInline mutating func fieldRange(_ what: StaticString, maxLength: Int) throws(LedgerError) -> Range<Int> {
        let length = Int(try u32(what))
        guard length <= maxLength else {
            throw LedgerError(.malformed, "\(what) is \(length) bytes, more than the \(maxLength) allowed")
        }
        try need(length, what)
        defer { offset += length }
        return offset..<offset + length
    }

    /// A length-prefixed UTF-8 string, validated.
    @usableFromInline mutating func string(_ what: StaticString, maxLength: Int) throws(LedgerError) -> String {
        let range = try fieldRange(what, maxLength: maxLength)
        let slice = UnsafeRawBufferPointer(rebasing: bytes[range])
        guard let value = String(validating: slice, as: UTF8.self) else {
            throw LedgerError(.malformed, "\(what) is not valid UTF-8")
        }
        return value
    }

    @usableFromInline func expectEnd(_ what: StaticString) throws(LedgerError) {
        guard remaining == 0 else {
            throw LedgerError(.malformed, "\(remaining) unexpected trailing bytes after \(what)")
        }
    }
}

/// Lends `bytes` as a raw buffer to a body that throws ``LedgerError``,
/// keeping the typed error (`rethrows` would widen it to `any Error`).
@inlinable
func withBytes<R>(
    _ bytes: some ContiguousBytesCollection, _ body: (UnsafeRawBufferPointer) throws(LedgerError) -> R
) throws(LedgerError) -> R {
    let result: Result<R, LedgerError> = bytes.withContiguousBytes { buffer in
        Result { () throws(LedgerError) -> R in try body(buffer) }
    }
    return try result.get()
}
