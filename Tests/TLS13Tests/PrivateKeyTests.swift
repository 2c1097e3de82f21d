import Foundation
import Testing
@testable import TLS13

/// `PrivateKey`: loading PEM keys, and signatures that `PublicKey` (and so the client) accepts.
@Suite struct PrivateKeyTests {
    /// Every leaf key in `Certs/`, with the schemes it must sign with.
    static let leafKeys: [(String, [SignatureScheme])] = [
        ("ecdsa-p256", [.ecdsaSecp256r1SHA256]),
        ("ecdsa-p384", [.ecdsaSecp384r1SHA384]),
        ("rsa2048", [.rsaPSSRSAESHA256, .rsaPSSRSAESHA384, .rsaPSSRSAESHA512]),
        ("ed25519", [.ed25519]),
        ("expired", [.ecdsaSecp256r1SHA256]),
        ("not-yet-valid", [.ecdsaSecp256r1SHA256]),
        ("wrong-host", [.ecdsaSecp256r1SHA256]),
        ("self-signed", [.ecdsaSecp256r1SHA256]),
        ("unknown-ca", [.ecdsaSecp256r1SHA256]),
    ]

    static let allSchemes: [SignatureScheme] = [
        .ecdsaSecp256r1SHA256, .ecdsaSecp384r1SHA384, .ecdsaSecp521r1SHA512,
        .rsaPSSRSAESHA256, .rsaPSSRSAESHA384, .rsaPSSRSAESHA512, .ed25519, .ed448,
    ]

    let message = CertificateVerify.signedContent(signer: .server, transcriptHash: [UInt8](repeating: 0xA5, count: 32))

    @Test(arguments: leafKeys.map(\.0))
    func leafKeySignsAndItsCertificateVerifies(_ name: String) throws {
        let schemes = try #require(Self.leafKeys.first { $0.0 == name }?.1)
        let key = try PrivateKey(pemFile: CertPaths.path("leaf-\(name).key"))
        let certificate = try #require(try PEM.certificates(fromFile: CertPaths.path("leaf-\(name).pem")).first)
        let certificateKey = try certificate.publicKey()
        let derivedKey = try key.publicKey()
        #expect(key.defaultScheme == schemes.first)
        for scheme in Self.allSchemes {
            if schemes.contains(scheme) {
                let signature = try key.sign(scheme: scheme, message: message)
                #expect(try certificateKey.verify(scheme: scheme, message: message, signature: signature), "\(scheme)")
                #expect(try derivedKey.verify(scheme: scheme, message: message, signature: signature), "\(scheme)")
                // The same signature over other content must not verify.
                var other = message
                other[other.count - 1] ^= 1
                #expect(try !certificateKey.verify(scheme: scheme, message: other, signature: signature), "\(scheme)")
                // And the leaf's signature verifies through the handshake's verifier too.
                #expect(try OpenSSLSignatureVerifier().verify(
                    scheme: scheme, certificate: certificate.der, message: message, signature: signature))
            } else {
                let error = expectTLSError { _ = try key.sign(scheme: scheme, message: message) }
                guard case .invalidConfiguration(let reason)? = error else {
                    Issue.record("\(scheme) with \(name): expected invalidConfiguration, got \(String(describing: error))")
                    continue
                }
                #expect(reason.contains("does not match"), "\(reason)")
            }
        }
    }

    @Test func schemesThatNeverSignInTLS13AreRefused() throws {
        let rsa = try PrivateKey(pemFile: CertPaths.path("leaf-rsa2048.key"))
        for scheme in [SignatureScheme.rsaPKCS1SHA256, .rsaPKCS1SHA384, .rsaPKCS1SHA512,
                       .rsaPKCS1SHA1, .ecdsaSHA1, SignatureScheme(rawValue: 0x0999)] {
            let error = expectTLSError { _ = try rsa.sign(scheme: scheme, message: message) }
            guard case .invalidConfiguration(let reason)? = error else {
                Issue.record("\(scheme): expected invalidConfiguration, got \(String(describing: error))")
                continue
            }
            #expect(reason.contains("cannot be used to sign"), "\(reason)")
        }
    }

    @Test func ecdsaSignaturesAreRandomizedAndEdDSAIsDeterministic() throws {
        let p256 = try PrivateKey(pemFile: CertPaths.path("leaf-ecdsa-p256.key"))
        let a = try p256.sign(scheme: .ecdsaSecp256r1SHA256, message: message)
        let b = try p256.sign(scheme: .ecdsaSecp256r1SHA256, message: message)
        #expect(a != b)
        #expect(a.first == 0x30 && a.count <= 72)  // DER SEQUENCE, trimmed to its real length
        let ed = try PrivateKey(pemFile: CertPaths.path("leaf-ed25519.key"))
        let c = try ed.sign(scheme: .ed25519, message: message)
        #expect(c.count == 64)
        #expect(c == (try ed.sign(scheme: .ed25519, message: message)))
        let rsa = try PrivateKey(pemFile: CertPaths.path("leaf-rsa2048.key"))
        #expect(try rsa.sign(scheme: .rsaPSSRSAESHA256, message: message).count == 256)
    }

    @Test func p521AndEd448KeysMadeByOpenSSLSign() throws {
        let dir = try TemporaryDirectory("tls13-privkey")
        try OpenSSLTool.run(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-521", "-out", "p521.pem"],
                            in: dir)
        try OpenSSLTool.run(["genpkey", "-algorithm", "ED448", "-out", "ed448.pem"], in: dir)
        for (file, scheme) in [("p521.pem", SignatureScheme.ecdsaSecp521r1SHA512), ("ed448.pem", .ed448)] {
            let key = try PrivateKey(pem: try dir.read(file))
            #expect(key.defaultScheme == scheme)
            let signature = try key.sign(scheme: scheme, message: message)
            #expect(try key.publicKey().verify(scheme: scheme, message: message, signature: signature), "\(scheme)")
        }
    }

    @Test func loadsFromPEMBytesAndTraditionalECFormat() throws {
        let pem = [UInt8](try CertPaths.load("leaf-ecdsa-p256.key"))
        let key = try PrivateKey(pem: pem)
        #expect(key.typeDescription == "EC P-256")
        // A chain file with the key appended still loads the key (certificate blocks are skipped).
        let withCertificates = [UInt8](try CertPaths.load("leaf-ecdsa-p256.pem")) + pem
        #expect(try PrivateKey(pem: withCertificates).typeDescription == "EC P-256")

        let dir = try TemporaryDirectory("tls13-privkey")
        try OpenSSLTool.run(["ec", "-in", CertPaths.path("leaf-ecdsa-p256.key"), "-out", "trad.pem"], in: dir)
        #expect(String(decoding: try dir.read("trad.pem"), as: UTF8.self).contains("BEGIN EC PRIVATE KEY"))
        let traditional = try PrivateKey(pemFile: dir.path("trad.pem"))
        let signature = try traditional.sign(scheme: .ecdsaSecp256r1SHA256, message: message)
        #expect(try key.publicKey().verify(scheme: .ecdsaSecp256r1SHA256, message: message, signature: signature))
    }

    @Test func unusableInputsAreConfigurationErrors() throws {
        let dir = try TemporaryDirectory("tls13-privkey")
        // Encrypted: refused without prompting for a passphrase.
        try OpenSSLTool.run(["pkey", "-in", CertPaths.path("leaf-ecdsa-p256.key"), "-aes256", "-passout", "pass:secret",
                             "-out", "encrypted.pem"], in: dir)
        let cases: [(String, () throws -> PrivateKey)] = [
            ("missing file", { try PrivateKey(pemFile: dir.path("nope.key")) }),
            ("certificate only", { try PrivateKey(pemFile: CertPaths.path("leaf-ecdsa-p256.pem")) }),
            ("encrypted", { try PrivateKey(pemFile: dir.path("encrypted.pem")) }),
            ("empty", { try PrivateKey(pem: []) }),
            ("garbage", { try PrivateKey(pem: Array("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n".utf8)) }),
        ]
        for (what, load) in cases {
            let error = expectTLSError(what) { _ = try load() }
            guard case .invalidConfiguration(let reason)? = error else {
                Issue.record("\(what): expected invalidConfiguration, got \(String(describing: error))")
                continue
            }
            #expect(!reason.isEmpty)
            if what == "missing file" { #expect(reason.contains("nope.key"), "\(reason)") }
        }
    }
}
