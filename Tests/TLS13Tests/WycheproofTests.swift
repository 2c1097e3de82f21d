import Foundation
import Testing
@testable import TLS13

/// One Wycheproof JSON file (see `Vectors/wycheproof/README.md`), generic over its group type.
struct WycheproofFile<Group: Decodable>: Decodable {
    var algorithm: String
    var numberOfTests: Int
    var testGroups: [Group]

    static func load(_ name: String) throws -> WycheproofFile {
        try JSONDecoder().decode(WycheproofFile.self, from: VectorPaths.load("wycheproof/\(name)"))
    }
}

enum WycheproofResult: String, Decodable {
    /// Must succeed with exactly the given output.
    case valid
    /// Must be rejected.
    case invalid
    /// Either outcome is allowed (the flags say why); TLS may be stricter.
    case acceptable
}

/// A key agreement test (`xdh_comp_schema`, `ecdh_ecpoint_test_schema`).
struct WycheproofKeyAgreementTest: Decodable {
    var tcId: Int
    var comment: String
    var flags: [String]
    var `public`: String
    var `private`: String
    var shared: String
    var result: WycheproofResult
}

struct WycheproofKeyAgreementGroup: Decodable {
    var curve: String
    var tests: [WycheproofKeyAgreementTest]
}

/// A signature verification test (`ecdsa_verify_schema`, `rsassa_pss_verify_schema`).
struct WycheproofSignatureTest: Decodable {
    var tcId: Int
    var comment: String
    var flags: [String]
    var msg: String
    var sig: String
    var result: WycheproofResult
}

struct WycheproofSignatureGroup: Decodable {
    var publicKeyDer: String
    var sha: String
    var mgfSha: String?
    var sLen: Int?
    var tests: [WycheproofSignatureTest]
}

@Suite struct WycheproofTests {
    @Test func x25519() throws {
        let file = try WycheproofFile<WycheproofKeyAgreementGroup>.load("x25519_test.json")
        var count = 0, zeroRejected = 0
        for group in file.testGroups {
            #expect(group.curve == "curve25519")
            for test in group.tests {
                count += 1
                let label = "tcId \(test.tcId) (\(test.comment), \(test.flags))"
                let share = try makeKeyShare(group: .x25519, privateKey: try [UInt8](hex: test.private))
                let peer = try [UInt8](hex: test.public)
                let expected = try [UInt8](hex: test.shared)
                if expected.allSatisfy({ $0 == 0 }) {
                    // RFC 8446 §7.4.2: an all-zero x25519 result aborts with illegal_parameter.
                    #expect(test.result != .valid, "\(label): an all-zero valid result")
                    expectTLSError(alert: .illegalParameter, label) { _ = try share.sharedSecret(peerPublicKey: peer) }
                    zeroRejected += 1
                    continue
                }
                switch test.result {
                case .valid, .acceptable:
                    // Twist and non-canonical points are "acceptable"; X25519 is defined for all 32-byte strings,
                    // so we compute them and must match.
                    do {
                        let secret = try share.sharedSecret(peerPublicKey: peer)
                        #expect(secret.testBytes == expected, "\(label)")
                    } catch {
                        Issue.record("\(label): \(error)")
                    }
                case .invalid:
                    expectTLSError(alert: .illegalParameter, label) { _ = try share.sharedSecret(peerPublicKey: peer) }
                }
            }
        }
        #expect(count == file.numberOfTests)
        #expect(count == 518)
        #expect(zeroRejected > 0)
    }

    @Test func secp256r1ECPoint() throws {
        let file = try WycheproofFile<WycheproofKeyAgreementGroup>.load("ecdh_secp256r1_ecpoint_test.json")
        var count = 0, accepted = 0, rejected = 0
        for group in file.testGroups {
            #expect(group.curve == "secp256r1")
            for test in group.tests {
                count += 1
                let label = "tcId \(test.tcId) (\(test.comment), \(test.flags))"
                let share = try makeKeyShare(group: .secp256r1, privateKey: try Self.scalar(test.private, length: 32))
                let peer = try [UInt8](hex: test.public)
                // TLS 1.3 takes only uncompressed points (RFC 8446 §4.2.8.2), so "acceptable" compressed points
                // must be refused here too.
                let mustReject = test.result == .invalid || test.flags.contains { $0.hasPrefix("Compressed") }
                if mustReject {
                    expectTLSError(alert: .illegalParameter, label) { _ = try share.sharedSecret(peerPublicKey: peer) }
                    rejected += 1
                } else {
                    do {
                        let secret = try share.sharedSecret(peerPublicKey: peer)
                        #expect(secret.testBytes == (try [UInt8](hex: test.shared)), "\(label)")
                        accepted += 1
                    } catch {
                        Issue.record("\(label): \(error)")
                    }
                }
            }
        }
        #expect(count == file.numberOfTests)
        #expect(accepted == 330)
        #expect(rejected == 25)
    }

    @Test func ecdsaP256SHA256() throws {
        let file = try WycheproofFile<WycheproofSignatureGroup>.load("ecdsa_secp256r1_sha256_test.json")
        let (count, valid) = try Self.runSignatureTests(file, scheme: .ecdsaSecp256r1SHA256)
        #expect(count == file.numberOfTests)
        #expect(valid == 174)
    }

    @Test func rsaPSS2048SHA256() throws {
        let file = try WycheproofFile<WycheproofSignatureGroup>.load("rsa_pss_2048_sha256_mgf1_32_test.json")
        for group in file.testGroups {
            // rsa_pss_rsae_sha256 is exactly this: MGF1-SHA256, 32-byte salt, rsaEncryption key.
            #expect(group.sha == "SHA-256" && group.mgfSha == "SHA-256" && group.sLen == 32)
        }
        let (count, valid) = try Self.runSignatureTests(file, scheme: .rsaPSSRSAESHA256)
        #expect(count == file.numberOfTests)
        #expect(valid == 63)
    }

    /// Runs every test of a signature file; returns (tests run, signatures that verified).
    private static func runSignatureTests(_ file: WycheproofFile<WycheproofSignatureGroup>,
                                          scheme: SignatureScheme) throws -> (Int, Int) {
        var count = 0, verified = 0
        for group in file.testGroups {
            let key = try PublicKey(subjectPublicKeyInfo: try [UInt8](hex: group.publicKeyDer))
            for test in group.tests {
                count += 1
                let label = "tcId \(test.tcId) (\(test.comment), \(test.flags))"
                let ok: Bool
                do {
                    ok = try key.verify(scheme: scheme, message: try [UInt8](hex: test.msg),
                                        signature: try [UInt8](hex: test.sig))
                } catch {
                    Issue.record("\(label): verify threw \(error)")
                    continue
                }
                if ok { verified += 1 }
                switch test.result {
                case .valid: #expect(ok, "\(label)")
                case .invalid: #expect(!ok, "\(label)")
                case .acceptable: break
                }
            }
        }
        return (count, verified)
    }

    /// A Wycheproof private scalar (may carry a leading 00 sign byte, or be short) as exactly `length` bytes.
    private static func scalar(_ hex: String, length: Int) throws -> [UInt8] {
        var bytes = try [UInt8](hex: hex)
        while bytes.count > length, bytes.first == 0 { bytes.removeFirst() }
        guard bytes.count <= length else { throw VectorError(description: "scalar too long: \(hex)") }
        return [UInt8](repeating: 0, count: length - bytes.count) + bytes
    }
}
