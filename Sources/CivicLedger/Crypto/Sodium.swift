import CSodium

/// One-time initialisation of libsodium.
///
/// libsodium must be initialised before any other call; `sodium_init` is
/// idempotent and thread-safe, and a Swift `static let` runs it exactly
/// once. Every entry point of this module that reaches libsodium touches
/// ``Sodium/ready`` first.
enum Sodium {
    /// `true` once libsodium has initialised; `sodium_init` returns -1 only
    /// when no usable random source exists, which no supported platform has.
    static let ready: Bool = sodium_init() >= 0

    /// Fills `count` bytes with cryptographically secure random data.
    static func randomBytes(_ count: Int) -> [UInt8] {
        precondition(ready, "libsodium failed to initialise")
        var bytes = [UInt8](repeating: 0, count: count)
        bytes.withUnsafeMutableBytes { randombytes_buf($0.baseAddress!, $0.count) }
        return bytes
    }
}
