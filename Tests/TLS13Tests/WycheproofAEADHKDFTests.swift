import Testing
@testable import TLS13

/// Wycheproof AEAD and HKDF vectors through the crypto wrappers (see Vectors/wycheproof/README.md).
@Suite struct WycheproofAEADHKDFTests {
    struct AEADFile: Decodable {
        struct Group: Decodable {
            var keySize: Int
            var ivSize: Int
            var tagSize: Int
            var tests: [Test]
        }
        struct Test: Decodable {
            var tcId: Int
            var comment: String
            var key: String
            var iv: String
            var aad: String
            var msg: String
            var ct: String
            var tag: String
            var result: String
        }
        var testGroups: [Group]
    }

    func runAEAD(file: String, algorithm: (Int) -> AEADAlgorithm?) throws -> Int {
        let f = try JSONDecoderShim.decode(AEADFile.self, from: VectorPaths.load("wycheproof/\(file)"))
        var ran = 0
        for group in f.testGroups {
            guard let alg = algorithm(group.keySize), group.ivSize == 96, group.tagSize == 128 else { continue }
            for t in group.tests {
                let key = try [UInt8](hex: t.key)
                let iv = try [UInt8](hex: t.iv)
                let aad = try [UInt8](hex: t.aad)
                let msg = try [UInt8](hex: t.msg)
                let sealed = try [UInt8](hex: t.ct) + [UInt8](hex: t.tag)
                let opener = try EVPAEAD(alg, key: key, sealing: false)
                var buffer = sealed
                let opened = try? opener.open(nonce: iv, aad: aad, buffer: &buffer, range: 0..<buffer.count)
                switch t.result {
                case "valid":
                    #expect(opened.map { Array(buffer[..<$0]) } == msg, "tcId \(t.tcId) \(t.comment)")
                    let sealer = try EVPAEAD(alg, key: key, sealing: true)
                    var out = msg
                    try sealer.seal(nonce: iv, aad: aad, buffer: &out, from: 0)
                    #expect(out == sealed, "tcId \(t.tcId) seal")
                case "invalid":
                    #expect(opened == nil, "tcId \(t.tcId) \(t.comment) must be rejected")
                default:
                    break  // acceptable: either outcome
                }
                ran += 1
            }
        }
        return ran
    }

    @Test func aesGCM() throws {
        let ran = try runAEAD(file: "aes_gcm_test.json") { $0 == 128 ? .aes128GCM : $0 == 256 ? .aes256GCM : nil }
        #expect(ran == 133)
    }

    @Test func chacha20Poly1305() throws {
        let ran = try runAEAD(file: "chacha20_poly1305_test.json") { $0 == 256 ? .chacha20Poly1305 : nil }
        #expect(ran == 316)
    }

    @Test func hkdfSHA256() throws {
        struct File: Decodable {
            struct Group: Decodable { var tests: [Test] }
            struct Test: Decodable {
                var tcId: Int
                var comment: String
                var ikm: String
                var salt: String
                var info: String
                var size: Int
                var okm: String
                var result: String
            }
            var testGroups: [Group]
        }
        let f = try JSONDecoderShim.decode(File.self, from: VectorPaths.load("wycheproof/hkdf_sha256_test.json"))
        let hkdf = try HKDF(.sha256)
        var ran = 0
        for t in f.testGroups.flatMap(\.tests) {
            let prk = try hkdf.extract(salt: [UInt8](hex: t.salt), ikm: [UInt8](hex: t.ikm))
            let okm = try? hkdf.expand(prk: prk, info: [UInt8](hex: t.info), length: t.size)
            if t.result == "valid" {
                #expect(okm == (try [UInt8](hex: t.okm)), "tcId \(t.tcId) \(t.comment)")
            } else if t.result == "invalid" {
                #expect(okm == nil, "tcId \(t.tcId) \(t.comment) must be refused")
            }
            ran += 1
        }
        #expect(ran == 86)
    }
}
