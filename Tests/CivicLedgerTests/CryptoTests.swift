import CivicLedger
import PropertyBased
import Testing

@Suite("Crypto: SHA-256 and Ed25519 through libsodium")
struct CryptoTests {
    @Test("SHA-256 of \"abc\" is the FIPS 180-2 answer")
    func sha256KnownAnswer() {
        #expect(SHA256.hash(Array("abc".utf8)).hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test("Ed25519 matches RFC 8032 test 1 (empty message)")
    func ed25519KnownAnswer() throws {
        let seed = try #require([UInt8](hexString: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"))
        let key = try #require(SigningKey(seed: seed))
        #expect(key.publicKey.bytes.hexString == "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
        let signature = key.sign([UInt8]())
        #expect(
            signature.bytes.hexString
                == "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b")
        #expect(key.publicKey.isValidSignature(signature, for: [UInt8]()))
    }

    @Test("sign then verify round-trips; any other message or key fails")
    func signVerifyRoundTrip() async {
        await propertyCheck(input: Gen.uint8().array(of: 0...200), Gen.uint8().array(of: 32)) { message, seed in
            let key = SigningKey(seed: seed)!
            let signature = key.sign(message)
            #expect(key.publicKey.isValidSignature(signature, for: message))
            #expect(!key.publicKey.isValidSignature(signature, for: message + [0]))
            let other = SigningKey(seed: seed.map { $0 ^ 0xff })!
            #expect(!other.publicKey.isValidSignature(signature, for: message))
        }
    }

    @Test("a signing key never prints its secret")
    func keyDescriptionHidesSecret() {
        let key = SigningKey.generate()
        #expect(!String(describing: key).contains(key.seed.base64String))
        #expect(String(describing: key).contains(key.publicKey.base64))
    }

    @Test("hex and base64 round-trip and reject junk")
    func textEncodings() {
        #expect([UInt8](hexString: "00ff7A") == [0, 255, 122])
        #expect([UInt8](hexString: "0") == nil)
        #expect([UInt8](hexString: "zz") == nil)
        #expect([UInt8](base64String: "AP96") == [0, 255, 122])
        #expect([UInt8](base64String: "***") == nil)
    }
}
