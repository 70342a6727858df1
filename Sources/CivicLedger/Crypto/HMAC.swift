import CSodium

/// HMAC-SHA-256 through libsodium's `crypto_auth_hmacsha256`, for values
/// keyed by a secret (pseudonyms a reader cannot reverse by trying ids).
public enum HMACSHA256 {
    /// The MAC of `message` under the 32-byte `key`.
    public static func authenticate(_ message: some ContiguousBytesCollection, key: Bytes32) -> Digest {
        precondition(Sodium.ready)
        return key.withUnsafeBytes { keyBytes in
            message.withContiguousBytes { input in
                Digest(raw: Bytes32 { out in
                    _ = crypto_auth_hmacsha256(
                        out.baseAddress!.assumingMemoryBound(to: UInt8.self),
                        input.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(input.count),
                        keyBytes.baseAddress!.assumingMemoryBound(to: UInt8.self))
                })
            }
        }
    }
}
