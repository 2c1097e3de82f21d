import Foundation
import Testing
@testable import TLS13

/// RFC 4231 known answers for ``HMAC``, which composes HMAC (RFC 2104) itself over libcrypto's SHA-256 /
/// SHA-384 (shim.h): a key shorter than a block, a key longer than a block (hashed first), and the SHA-384 path,
/// which the RFC 8448 traces (all SHA-256) do not reach — through both digest backends (``DigestBackend``): the
/// low-level SHA functions and EVP, the only one without OpenSSL's deprecated API.
@Suite struct HMACKnownAnswerTests {
    struct Vector: Sendable, CustomStringConvertible {
        let name: String
        let key: [UInt8]
        let data: [UInt8]
        let sha256: String
        let sha384: String
        var description: String { name }
    }

    static let vectors: [Vector] = [
        Vector(name: "RFC 4231 test case 1",
               key: [UInt8](repeating: 0x0b, count: 20), data: Array("Hi There".utf8),
               sha256: "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
               sha384: "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59cfaea9ea9076ede7f4af152e8b2fa9cb6"),
        Vector(name: "RFC 4231 test case 2",
               key: Array("Jefe".utf8), data: Array("what do ya want for nothing?".utf8),
               sha256: "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
               sha384: "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649"),
        Vector(name: "RFC 4231 test case 6 (131-byte key, hashed first)",
               key: [UInt8](repeating: 0xaa, count: 131),
               data: Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
               sha256: "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
               sha384: "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c60c2ef6ab4030fe8296248df163f44952"),
    ]

    /// `TLS13_DIGEST_BACKEND=evp` (Scripts/check-openssl-no-deprecated.sh) really moves every new state to EVP.
    @Test func backendFollowsTheEnvironment() {
        let asked = ProcessInfo.processInfo.environment["TLS13_DIGEST_BACKEND"] == "evp"
        #expect(DigestBackend.current == (asked || !DigestBackend.lowLevelAvailable ? .evp : .lowLevel))
    }

    /// The backends this build has (EVP always).
    static let backends: [DigestBackend] = DigestBackend.lowLevelAvailable ? [.lowLevel, .evp] : [.evp]

    @Test(arguments: vectors, backends)
    func knownAnswer(_ v: Vector, backend: DigestBackend) throws {
        #expect(try HMAC(.sha256, backend: backend).authenticate(key: v.key, v.data).hexString == v.sha256)
        #expect(try HMAC(.sha384, backend: backend).authenticate(key: v.key, v.data).hexString == v.sha384)
    }

    /// FIPS 180-4 examples for the transcript hash on both backends, including a snapshot mid-stream and a copy.
    @Test(arguments: backends)
    func transcriptHashKnownAnswers(backend: DigestBackend) throws {
        let abc = Array("abc".utf8)
        let t256 = try TranscriptHash(.sha256, backend: backend)
        #expect(try t256.current().hexString == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        t256.update(abc)
        let copy = try t256.copy()
        #expect(try t256.current().hexString == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        copy.update(abc)
        #expect(try t256.current().hexString == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(try copy.current() == (try HashAlgorithm.sha256.hash(abc + abc)))
        let t384 = try TranscriptHash(.sha384, backend: backend)
        t384.update(abc)
        #expect(try t384.current().hexString
            == "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7")
    }

    /// The input may come in parts (the key schedule hashes label and context separately); one state serves
    /// calls with different keys.
    @Test(arguments: backends)
    func partsAndReuse(backend: DigestBackend) throws {
        let hmac = try HMAC(.sha256, backend: backend)
        let v = Self.vectors[1]
        let split = try hmac.authenticate(key: v.key, Array(v.data.prefix(5)), [], Array(v.data.dropFirst(5)))
        #expect(split.hexString == v.sha256)
        let other = Self.vectors[2]
        #expect(try hmac.authenticate(key: other.key, other.data).hexString == other.sha256)
        #expect(try hmac.authenticate(key: v.key, v.data).hexString == v.sha256)
    }
}
