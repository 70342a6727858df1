import CivicLedger
import CivicLedgerTesting
import Testing

/// Signed reads (RFC 9421, Ed25519): the signature base as the RFC builds
/// it, and every way a signature is refused.
@Suite("Request signatures")
struct RequestSignatureTests {
    static let key = FixtureKeys.key("reader")
    static let now: Int64 = 1_765_100_000

    static func headers(
        method: String = "GET", path: String = "/feed", query: String = "?from=0", created: Int64 = now, expires: Int64 = now + 60,
        nonce: String = "n1", key: SigningKey = key
    ) throws -> (signatureInput: String, signature: String) {
        try RequestSignature(
            method: method, authority: "Ledger.Example:8080", path: path, query: query, created: created, expires: expires, nonce: nonce,
            key: key.publicKey
        ).headers(signedBy: key)
    }

    @Test("the signature base is RFC 9421's: one line per component, then @signature-params, the authority in lower case")
    func base() {
        let request = RequestSignature(
            method: "GET", authority: "Ledger.Example:8080", path: "/feed", query: "", created: 10, expires: 70, nonce: "abc",
            key: Self.key.publicKey)
        let params = #"("@method" "@authority" "@path" "@query");created=10;expires=70;nonce="abc";keyid="\#(Self.key.publicKey.base64)";alg="ed25519""#
        #expect(request.parameters == params)
        #expect(request.base == "\"@method\": GET\n\"@authority\": ledger.example:8080\n\"@path\": /feed\n\"@query\": ?\n\"@signature-params\": \(params)")
    }

    @Test("a signed request verifies once; a replay, an expired or future one, a long-lived one, or one for another request is refused")
    func refusals() throws {
        let verifier = RequestSignatureVerifier(maximumLifetime: 300, clockSkew: 30)
        func verify(_ headers: (signatureInput: String, signature: String)?, path: String = "/feed", query: String = "from=0", now: Int64 = Self.now)
            -> String?
        {
            do {
                _ = try verifier.verify(
                    signatureInput: headers?.signatureInput, signature: headers?.signature, method: "GET", authority: "ledger.example:8080",
                    path: path, query: query, now: now)
                return nil
            } catch {
                #expect(error.code == .invalidSignature)
                return error.message
            }
        }
        let good = try Self.headers()
        #expect(verify(good) == nil)
        #expect(verify(good)?.contains("used before") == true)
        #expect(verify(try Self.headers(nonce: "n2"), path: "/cases")?.contains("does not verify") == true)
        #expect(verify(try Self.headers(nonce: "n3"), query: "from=9")?.contains("does not verify") == true)
        #expect(verify(try Self.headers(nonce: "n4"), now: Self.now + 61)?.contains("expired") == true)
        #expect(verify(try Self.headers(created: Self.now + 100, expires: Self.now + 200, nonce: "n5"))?.contains("in the future") == true)
        #expect(verify(try Self.headers(expires: Self.now + 301, nonce: "n6"))?.contains("within 300 seconds") == true)
        #expect(verify(nil)?.contains("sign the request") == true)
        // The same nonce from another key is another request.
        #expect(verify(try Self.headers(key: FixtureKeys.key("other"))) == nil)
        // Tampered headers.
        var flipped = try Self.headers(nonce: "n7")
        flipped.signatureInput = flipped.signatureInput.replacingOccurrences(of: "expires=", with: "expires=1")
        #expect(verify(flipped)?.contains("does not verify") == true)
        let missing = (signatureInput: good.signatureInput.replacingOccurrences(of: #" "@query""#, with: ""), signature: good.signature)
        #expect(verify(missing)?.contains("must cover") == true)
        let extra = (signatureInput: good.signatureInput + #";tag="x""#, signature: good.signature)
        #expect(verify(extra)?.contains("each once") == true)
        let badNonce = try Self.headers(nonce: "no spaces")
        #expect(verify(badNonce)?.contains("nonce") == true)
        #expect(verify((signatureInput: good.signatureInput, signature: "sig1=:AAAA:"))?.contains("64 bytes") == true)
        #expect(verify((signatureInput: "sig2=" + good.signatureInput.dropFirst(5), signature: good.signature))?.contains("sig1") == true)
    }

    @Test("the verifier remembers at most its bound of nonces, forgetting only expired ones")
    func bounded() throws {
        let verifier = RequestSignatureVerifier(maximumLifetime: 300, clockSkew: 30, maximumRemembered: 2)
        func verify(_ nonce: String, now: Int64) -> Bool {
            guard let headers = try? Self.headers(created: now, expires: now + 60, nonce: nonce) else { return false }
            return (try? verifier.verify(
                signatureInput: headers.signatureInput, signature: headers.signature, method: "GET", authority: "ledger.example:8080",
                path: "/feed", query: "from=0", now: now)) != nil
        }
        #expect(verify("a", now: Self.now) && verify("b", now: Self.now))
        #expect(!verify("c", now: Self.now), "full: refused rather than forgetting a live nonce")
        #expect(verify("c", now: Self.now + 61), "once a and b expired, there is room")
        #expect(!verify("c", now: Self.now + 1), "and c is remembered")
    }
}
