import Foundation
import Testing
@testable import TLS13

/// Keys and signatures made once per test run with the `openssl` tool, one per supported scheme.
struct SignatureFixture: Sendable {
    struct Sample: Sendable, CustomStringConvertible {
        var scheme: SignatureScheme
        var keyName: String
        var publicKey: [UInt8]  // DER SubjectPublicKeyInfo
        var message: [UInt8]
        var signature: [UInt8]
        var description: String { "\(scheme) with \(keyName)" }
    }

    /// Every sample, one per scheme.
    var samples: [Sample]
    /// SubjectPublicKeyInfo by key name: p256, p384, p521, ed25519, ed448, rsa, rsapss (restricted to SHA-256).
    var publicKeys: [String: [UInt8]]

    static let shared: Result<SignatureFixture, VectorError> = {
        do {
            return .success(try SignatureFixture())
        } catch {
            return .failure(VectorError(description: "making signature fixture: \(error)"))
        }
    }()

    private init() throws {
        let dir = try TemporaryDirectory("tls13-sig")
        let message = Array("TLS 1.3 signature test message".utf8)
        try dir.write("msg.bin", message)
        let keys: [(String, [String])] = [
            ("p256", ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"]),
            ("p384", ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"]),
            ("p521", ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-521"]),
            ("ed25519", ["-algorithm", "ED25519"]),
            ("ed448", ["-algorithm", "ED448"]),
            ("rsa", ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"]),
            // An id-RSASSA-PSS key restricted to SHA-256 / MGF1-SHA-256 / salt ≥ 32.
            ("rsapss", ["-algorithm", "RSA-PSS", "-pkeyopt", "rsa_keygen_bits:2048",
                        "-pkeyopt", "rsa_pss_keygen_md:sha256", "-pkeyopt", "rsa_pss_keygen_mgf1_md:sha256",
                        "-pkeyopt", "rsa_pss_keygen_saltlen:32"]),
        ]
        var publicKeys: [String: [UInt8]] = [:]
        for (name, options) in keys {
            try OpenSSLTool.run(["genpkey"] + options + ["-out", "\(name).pem"], in: dir)
            try OpenSSLTool.run(["pkey", "-in", "\(name).pem", "-pubout", "-outform", "DER", "-out", "\(name).spki"],
                                in: dir)
            publicKeys[name] = try dir.read("\(name).spki")
        }
        func pss(_ md: String) -> [String] {
            ["-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:digest", "-sigopt", "rsa_mgf1_md:\(md)"]
        }
        let plan: [(SignatureScheme, String, [String])] = [
            (.ecdsaSecp256r1SHA256, "p256", ["dgst", "-sha256"]),
            (.ecdsaSecp384r1SHA384, "p384", ["dgst", "-sha384"]),
            (.ecdsaSecp521r1SHA512, "p521", ["dgst", "-sha512"]),
            (.rsaPSSRSAESHA256, "rsa", ["dgst", "-sha256"] + pss("sha256")),
            (.rsaPSSRSAESHA384, "rsa", ["dgst", "-sha384"] + pss("sha384")),
            (.rsaPSSRSAESHA512, "rsa", ["dgst", "-sha512"] + pss("sha512")),
            (.rsaPSSPSSSHA256, "rsapss", ["dgst", "-sha256"] + pss("sha256")),
            (.rsaPKCS1SHA256, "rsa", ["dgst", "-sha256"]),
            (.rsaPKCS1SHA384, "rsa", ["dgst", "-sha384"]),
            (.rsaPKCS1SHA512, "rsa", ["dgst", "-sha512"]),
            (.ed25519, "ed25519", ["pkeyutl", "-rawin"]),
            (.ed448, "ed448", ["pkeyutl", "-rawin"]),
        ]
        var samples: [Sample] = []
        for (index, (scheme, keyName, command)) in plan.enumerated() {
            let output = "sig\(index).bin"
            if command[0] == "pkeyutl" {
                try OpenSSLTool.run(command + ["-sign", "-inkey", "\(keyName).pem", "-in", "msg.bin", "-out", output],
                                    in: dir)
            } else {
                try OpenSSLTool.run(command + ["-sign", "\(keyName).pem", "-out", output, "msg.bin"], in: dir)
            }
            samples.append(Sample(scheme: scheme, keyName: keyName, publicKey: publicKeys[keyName] ?? [],
                                  message: message, signature: try dir.read(output)))
        }
        self.samples = samples
        self.publicKeys = publicKeys
    }
}

@Suite struct SignatureTests {
    // MARK: RFC 8448

    /// Splits a Certificate handshake message (header included) into its certificates' DER, by hand.
    static func certificates(inMessage message: [UInt8]) throws -> [[UInt8]] {
        var reader = ByteReader(message)
        #expect(try reader.readUInt8() == 11)
        var body = try reader.readVectorReader(lengthBytes: 3, range: 0...0xFFFFFF)
        _ = try body.readVector(lengthBytes: 1, range: 0...255)  // certificate_request_context
        var list = try body.readVectorReader(lengthBytes: 3, range: 0...0xFFFFFF)
        var result: [[UInt8]] = []
        while !list.isEmpty {
            result.append(try list.readVector(lengthBytes: 3, range: 1...0xFFFFFF))
            _ = try list.readVector(lengthBytes: 2, range: 0...0xFFFF)  // extensions
        }
        return result
    }

    /// (scheme, signature) of a CertificateVerify handshake message (header included).
    static func certificateVerify(_ message: [UInt8]) throws -> (SignatureScheme, [UInt8]) {
        var reader = ByteReader(message)
        #expect(try reader.readUInt8() == 15)
        var body = try reader.readVectorReader(lengthBytes: 3, range: 0...0xFFFFFF)
        let scheme = SignatureScheme(rawValue: try body.readUInt16())
        return (scheme, try body.readVector(lengthBytes: 2, range: 0...0xFFFF))
    }

    /// Checks a trace's CertificateVerify over the messages `transcript` (names in `values`), and that changing
    /// the content, the signature or the side makes it fail.
    static func checkTraceCertificateVerify(trace: RFC8448Trace, server: Bool, certificate: String,
                                            verify: String, transcript: [String], scheme expected: SignatureScheme)
        throws
    {
        let chain = try certificates(inMessage: try trace.bytes(certificate))
        let leaf = try #require(chain.first)
        let (scheme, signature) = try certificateVerify(try trace.bytes(verify))
        #expect(scheme == expected)
        var messages: [UInt8] = []
        for name in transcript { messages += try trace.bytes(name) }
        let content = CertificateVerify.signedContent(signer: (server) ? .server : .client, transcriptHash: try HashAlgorithm.sha256.hash(messages))
        let verifier = OpenSSLSignatureVerifier()
        #expect(try verifier.verify(scheme: scheme, certificate: leaf, message: content, signature: signature))

        var badSignature = signature
        badSignature[badSignature.count / 2] ^= 0x01
        #expect(try !verifier.verify(scheme: scheme, certificate: leaf, message: content, signature: badSignature))
        let otherSide = CertificateVerify.signedContent(signer: (!server) ? .server : .client, transcriptHash: try HashAlgorithm.sha256.hash(messages))
        #expect(try !verifier.verify(scheme: scheme, certificate: leaf, message: otherSide, signature: signature))
        #expect(try !verifier.verify(scheme: scheme, certificate: leaf, message: content, signature: []))
    }

    @Test func rfc8448Section3ServerRSAPSS() throws {
        try Self.checkTraceCertificateVerify(
            trace: try RFC8448Trace.load("section3_simple_1rtt"), server: true,
            certificate: "server_certificate", verify: "server_certificate_verify",
            transcript: ["client_hello", "server_hello", "encrypted_extensions", "server_certificate"],
            scheme: .rsaPSSRSAESHA256)
    }

    @Test func rfc8448Section6ServerECDSAAndClientRSAPSS() throws {
        let trace = try RFC8448Trace.load("section6_client_authentication")
        let serverTranscript = ["client_hello", "server_hello", "encrypted_extensions", "certificate_request",
                                "server_certificate"]
        try Self.checkTraceCertificateVerify(
            trace: trace, server: true, certificate: "server_certificate", verify: "server_certificate_verify",
            transcript: serverTranscript, scheme: .ecdsaSecp256r1SHA256)
        try Self.checkTraceCertificateVerify(
            trace: trace, server: false, certificate: "client_certificate", verify: "client_certificate_verify",
            transcript: serverTranscript + ["server_certificate_verify", "server_finished", "client_certificate"],
            scheme: .rsaPSSRSAESHA256)
    }

    @Test func rfc8448CertificateKeyDoesNotFitOtherSchemes() throws {
        let trace = try RFC8448Trace.load("section3_simple_1rtt")
        let leaf = try #require(try Self.certificates(inMessage: try trace.bytes("server_certificate")).first)
        let verifier = OpenSSLSignatureVerifier()
        for scheme in [SignatureScheme.ecdsaSecp256r1SHA256, .ed25519, .rsaPSSPSSSHA256] {
            let error = expectTLSError(alert: .illegalParameter, "\(scheme)") {
                _ = try verifier.verify(scheme: scheme, certificate: leaf, message: [1], signature: [2])
            }
            #expect(error?.description.contains("RSA-1024") == true)
        }
        // rsa_pkcs1 is for certificates only, never for CertificateVerify.
        let pkcs1 = expectTLSError(alert: .illegalParameter) {
            _ = try verifier.verify(scheme: .rsaPKCS1SHA256, certificate: leaf, message: [1], signature: [2])
        }
        #expect(pkcs1?.description.contains("not allowed in CertificateVerify") == true)
        // A certificate that does not parse is bad_certificate.
        expectTLSError(alert: .badCertificate) {
            _ = try verifier.verify(scheme: .rsaPSSRSAESHA256, certificate: Array(leaf.dropLast()), message: [1],
                                    signature: [2])
        }
    }

    // MARK: Every scheme, with keys made by the openssl tool

    @Test func everySchemeVerifies() throws {
        let fixture = try SignatureFixture.shared.get()
        #expect(fixture.samples.count == 12)
        for sample in fixture.samples {
            let key = try PublicKey(subjectPublicKeyInfo: sample.publicKey)
            #expect(try key.verify(scheme: sample.scheme, message: sample.message, signature: sample.signature),
                    "\(sample)")
            var message = sample.message
            message[0] ^= 0x80
            #expect(try !key.verify(scheme: sample.scheme, message: message, signature: sample.signature),
                    "\(sample): changed message")
            var signature = sample.signature
            signature[signature.count - 1] ^= 0x01
            #expect(try !key.verify(scheme: sample.scheme, message: sample.message, signature: signature),
                    "\(sample): changed signature")
            #expect(try !key.verify(scheme: sample.scheme, message: sample.message,
                                    signature: sample.signature + [0]), "\(sample): trailing byte")
        }
    }

    @Test func schemeMustMatchKeyTypeAndCurve() throws {
        let fixture = try SignatureFixture.shared.get()
        var mismatches = 0
        for sample in fixture.samples {
            for (keyName, spki) in fixture.publicKeys where keyName != sample.keyName {
                // Every other key is the wrong type or curve (rsa_pss_rsae needs rsaEncryption, rsa_pss_pss
                // needs id-RSASSA-PSS).
                let key = try PublicKey(subjectPublicKeyInfo: spki)
                let error = expectTLSError(alert: .illegalParameter, "\(sample.scheme) with \(keyName)") {
                    _ = try key.verify(scheme: sample.scheme, message: sample.message, signature: sample.signature)
                }
                #expect(error?.description.contains("does not match") == true)
                mismatches += 1
            }
        }
        #expect(mismatches == 12 * 6)
    }

    @Test func restrictedRSAPSSKeyRefusesOtherHashesWithoutThrowing() throws {
        let fixture = try SignatureFixture.shared.get()
        let sample = try #require(fixture.samples.first { $0.scheme == .rsaPSSPSSSHA256 })
        let key = try PublicKey(subjectPublicKeyInfo: sample.publicKey)
        #expect(key.typeDescription == "RSA-PSS-2048")
        // The key's parameters allow only SHA-256: no rsa_pss_pss_sha384 signature can be valid.
        #expect(try !key.verify(scheme: .rsaPSSPSSSHA384, message: sample.message, signature: sample.signature))
        #expect(try !key.verify(scheme: .rsaPSSPSSSHA512, message: sample.message, signature: sample.signature))
        // And libcrypto's error queue is left clean: the right scheme still verifies.
        #expect(try key.verify(scheme: .rsaPSSPSSSHA256, message: sample.message, signature: sample.signature))
    }

    @Test func unsupportedSchemesAreIllegalParameter() throws {
        let fixture = try SignatureFixture.shared.get()
        let key = try PublicKey(subjectPublicKeyInfo: try #require(fixture.publicKeys["rsa"]))
        for scheme in [SignatureScheme.rsaPKCS1SHA1, .ecdsaSHA1, SignatureScheme(rawValue: 0x0420)] {
            let error = expectTLSError(alert: .illegalParameter, "\(scheme)") {
                _ = try key.verify(scheme: scheme, message: [1], signature: [2])
            }
            #expect(error?.description.contains("not supported") == true)
        }
    }

    @Test func keyDescriptions() throws {
        let fixture = try SignatureFixture.shared.get()
        let expected = ["p256": "EC P-256", "p384": "EC P-384", "p521": "EC P-521", "ed25519": "Ed25519",
                        "ed448": "Ed448", "rsa": "RSA-2048", "rsapss": "RSA-PSS-2048"]
        for (name, description) in expected {
            let key = try PublicKey(subjectPublicKeyInfo: try #require(fixture.publicKeys[name]))
            #expect(key.typeDescription == description)
        }
    }

    // MARK: SubjectPublicKeyInfo parsing

    @Test func malformedSubjectPublicKeyInfoIsBadCertificate() throws {
        let fixture = try SignatureFixture.shared.get()
        let spki = try #require(fixture.publicKeys["p256"])
        expectTLSError(alert: .badCertificate) { _ = try PublicKey(subjectPublicKeyInfo: []) }
        expectTLSError(alert: .badCertificate) { _ = try PublicKey(subjectPublicKeyInfo: [0x30, 0x03, 0x02, 0x01]) }
        expectTLSError(alert: .badCertificate) { _ = try PublicKey(subjectPublicKeyInfo: Array(spki.dropLast())) }
        let trailing = expectTLSError(alert: .badCertificate) { _ = try PublicKey(subjectPublicKeyInfo: spki + [0]) }
        #expect(trailing?.description.contains("1 trailing bytes") == true)
        #expect(try PublicKey(subjectPublicKeyInfo: spki).typeDescription == "EC P-256")
    }
}
