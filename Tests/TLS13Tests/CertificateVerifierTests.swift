import Foundation
import Testing
@testable import TLS13

/// A small PKI made once per test run with `openssl req -x509 [-CA …]` (EC P-256 unless stated):
/// root → intermediate → leaves, plus an unrelated root.
struct TestPKI: Sendable {
    var rootPEM: [UInt8]
    var root: [UInt8]
    var otherRoot: [UInt8]
    var intermediate: [UInt8]
    /// SAN DNS:localhost, IP:127.0.0.1; 30 days.
    var leaf: [UInt8]
    /// SAN DNS:other.example.
    var otherHost: [UInt8]
    /// CN=localhost, no subjectAltName.
    var cnOnly: [UInt8]
    /// SAN DNS:f*.example.com, DNS:*.wild.example.
    var wildcard: [UInt8]
    /// extendedKeyUsage clientAuth only.
    var clientAuthOnly: [UInt8]
    /// keyUsage keyAgreement only (no digitalSignature).
    var keyAgreementOnly: [UInt8]
    /// Self-signed, SAN DNS:localhost.
    var selfSigned: [UInt8]
    /// RSA-1024 key (below security level 2).
    var rsa1024: [UInt8]
    /// Signed with ECDSA-SHA1 (below security level 2).
    var sha1Signed: [UInt8]
    /// When the certificates were made (their notBefore), seconds since 1970.
    var createdAt: Int64

    static let shared: Result<TestPKI, VectorError> = {
        do {
            return .success(try TestPKI())
        } catch {
            return .failure(VectorError(description: "making test PKI: \(error)"))
        }
    }()

    private static let config = """
        [req]
        distinguished_name = dn
        [dn]
        [ca]
        basicConstraints = critical,CA:TRUE
        keyUsage = critical,keyCertSign,cRLSign
        subjectKeyIdentifier = hash
        authorityKeyIdentifier = keyid:always
        [leaf]
        basicConstraints = critical,CA:FALSE
        keyUsage = critical,digitalSignature
        extendedKeyUsage = serverAuth
        subjectAltName = DNS:localhost,IP:127.0.0.1
        [other_host]
        basicConstraints = critical,CA:FALSE
        extendedKeyUsage = serverAuth
        subjectAltName = DNS:other.example
        [cn_only]
        basicConstraints = critical,CA:FALSE
        extendedKeyUsage = serverAuth
        [wildcard]
        basicConstraints = critical,CA:FALSE
        extendedKeyUsage = serverAuth
        subjectAltName = DNS:f*.example.com,DNS:*.wild.example
        [client_auth_only]
        basicConstraints = critical,CA:FALSE
        extendedKeyUsage = clientAuth
        subjectAltName = DNS:localhost
        [key_agreement_only]
        basicConstraints = critical,CA:FALSE
        keyUsage = critical,keyAgreement
        subjectAltName = DNS:localhost

        """

    private init() throws {
        let dir = try TemporaryDirectory("tls13-pki")
        try dir.write("pki.cnf", Array(Self.config.utf8))
        createdAt = Int64(Date().timeIntervalSince1970)
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]
        func make(_ name: String, subject: String, extensions: String, days: Int = 30, key: [String] = ec,
                  issuer: String?, extra: [String] = []) throws -> X509Certificate {
            var arguments = ["req", "-x509", "-new", "-nodes"] + key + [
                "-keyout", "\(name).key", "-out", "\(name).pem", "-subj", subject, "-days", String(days),
                "-config", "pki.cnf", "-extensions", extensions,
            ] + extra
            if let issuer { arguments += ["-CA", "\(issuer).pem", "-CAkey", "\(issuer).key"] }
            try OpenSSLTool.run(arguments, in: dir)
            let certificates = try PEM.certificates(fromFile: dir.path("\(name).pem"))
            guard certificates.count == 1, let only = certificates.first else {
                throw VectorError(description: "\(name).pem holds \(certificates.count) certificates")
            }
            return only
        }
        root = try make("root", subject: "/CN=Test Root CA", extensions: "ca", days: 3650, issuer: nil).der
        rootPEM = try dir.read("root.pem")
        otherRoot = try make("other_root", subject: "/CN=Other Root CA", extensions: "ca", days: 3650, issuer: nil).der
        intermediate = try make("int", subject: "/CN=Test Intermediate CA", extensions: "ca", days: 3650,
                                issuer: "root").der
        leaf = try make("leaf", subject: "/CN=localhost", extensions: "leaf", issuer: "int").der
        otherHost = try make("other", subject: "/CN=other.example", extensions: "other_host", issuer: "int").der
        cnOnly = try make("cn_only", subject: "/CN=localhost", extensions: "cn_only", issuer: "int").der
        wildcard = try make("wildcard", subject: "/CN=wildcard", extensions: "wildcard", issuer: "int").der
        clientAuthOnly = try make("client", subject: "/CN=client", extensions: "client_auth_only", issuer: "int").der
        keyAgreementOnly = try make("ka", subject: "/CN=ka", extensions: "key_agreement_only", issuer: "int").der
        selfSigned = try make("self", subject: "/CN=localhost", extensions: "leaf", issuer: nil).der
        rsa1024 = try make("rsa1024", subject: "/CN=localhost", extensions: "leaf", key: ["-newkey", "rsa:1024"],
                           issuer: "int").der
        sha1Signed = try make("sha1", subject: "/CN=localhost", extensions: "leaf", issuer: "int",
                              extra: ["-sha1"]).der
    }
}

@Suite struct CertificateVerifierTests {
    let pki: TestPKI
    let verifier: OpenSSLCertificateVerifier
    /// A moment inside every test certificate's validity.
    let now: Int64

    init() throws {
        pki = try TestPKI.shared.get()
        verifier = OpenSSLCertificateVerifier(
            trustStore: try X509TrustStore(certificates: [try X509Certificate(der: pki.root)]))
        now = pki.createdAt + 60
    }

    /// Expects rejection with `alert`; returns the reason.
    @discardableResult
    func expectRejected(_ chain: [[UInt8]], host: String? = "localhost", ip: String? = nil, at time: Int64? = nil,
                        alert: AlertDescription, sourceLocation: SourceLocation = #_sourceLocation) -> String {
        let error = expectTLSError(alert: alert, sourceLocation: sourceLocation) {
            try verifier.verify(chain: chain, hostname: host, ipAddress: ip, now: time ?? now)
        }
        guard case .certificateRejected(_, let reason)? = error else {
            Issue.record("expected certificateRejected, got \(String(describing: error))",
                         sourceLocation: sourceLocation)
            return ""
        }
        return reason
    }

    // MARK: Accepted

    @Test func goodChainPasses() throws {
        try verifier.verify(chain: [pki.leaf, pki.intermediate], hostname: "localhost", ipAddress: nil, now: now)
        // Names match case-insensitively; an absolute name's final dot is ignored.
        try verifier.verify(chain: [pki.leaf, pki.intermediate], hostname: "LocalHost.", ipAddress: nil, now: now)
        // Extra and out-of-order certificates in the sent chain are tolerated; the root may be sent too.
        try verifier.verify(chain: [pki.leaf, pki.otherRoot, pki.root, pki.intermediate], hostname: "localhost",
                            ipAddress: nil, now: now)
    }

    @Test func ipAddressSANMatches() throws {
        try verifier.verify(chain: [pki.leaf, pki.intermediate], hostname: nil, ipAddress: "127.0.0.1", now: now)
        let reason = expectRejected([pki.leaf, pki.intermediate], host: nil, ip: "127.0.0.2", alert: .badCertificate)
        #expect(reason == "certificate for localhost, 127.0.0.1 does not match 127.0.0.2")
        // An IP literal passed as a host name is not matched against iPAddress entries.
        expectRejected([pki.leaf, pki.intermediate], host: "127.0.0.1", alert: .badCertificate)
    }

    @Test func caFileTrustStore() throws {
        let dir = try TemporaryDirectory("tls13-cafile")
        try dir.write("ca.pem", Array("a comment before the block\n".utf8) + pki.rootPEM)
        let store = try X509TrustStore(caFile: dir.path("ca.pem"))
        try OpenSSLCertificateVerifier(trustStore: store)
            .verify(chain: [pki.leaf, pki.intermediate], hostname: "localhost", ipAddress: nil, now: now)
    }

    // MARK: Names

    @Test func wrongHostIsBadCertificateNamingBothNames() {
        let reason = expectRejected([pki.otherHost, pki.intermediate], alert: .badCertificate)
        #expect(reason == "certificate for other.example does not match localhost")
    }

    @Test func commonNameIsNeverUsed() {
        let reason = expectRejected([pki.cnOnly, pki.intermediate], alert: .badCertificate)
        #expect(reason.contains("no subjectAltName"))
        #expect(reason.contains("CN = localhost"))
    }

    @Test func wildcards() throws {
        let chain = [pki.wildcard, pki.intermediate]
        // Partial-label wildcards match nothing.
        for host in ["foo.example.com", "f.example.com", "fx.example.com"] {
            let reason = expectRejected(chain, host: host, alert: .badCertificate)
            #expect(reason.contains("does not match \(host)"))
        }
        // A whole-label wildcard matches exactly one label.
        try verifier.verify(chain: chain, hostname: "a.wild.example", ipAddress: nil, now: now)
        expectRejected(chain, host: "a.b.wild.example", alert: .badCertificate)
        expectRejected(chain, host: "wild.example", alert: .badCertificate)
    }

    // MARK: Time

    @Test func expiredLeafIsCertificateExpired() {
        let reason = expectRejected([pki.leaf, pki.intermediate], at: pki.createdAt + 400 * 86_400,
                                    alert: .certificateExpired)
        #expect(reason.hasPrefix("certificate has expired"))
        #expect(reason.contains("CN = localhost"))
    }

    @Test func notYetValidIsCertificateExpired() {
        let reason = expectRejected([pki.leaf, pki.intermediate], at: pki.createdAt - 2 * 86_400,
                                    alert: .certificateExpired)
        #expect(reason.hasPrefix("certificate is not yet valid"))
    }

    // MARK: Trust

    @Test func unknownRootIsUnknownCA() throws {
        let stranger = OpenSSLCertificateVerifier(
            trustStore: try X509TrustStore(certificates: [try X509Certificate(der: pki.otherRoot)]))
        for chain in [[pki.leaf, pki.intermediate], [pki.leaf, pki.intermediate, pki.root]] {
            let error = expectTLSError(alert: .unknownCA) {
                try stranger.verify(chain: chain, hostname: "localhost", ipAddress: nil, now: now)
            }
            #expect(error != nil)
        }
    }

    @Test func missingIntermediateIsUnknownCA() {
        let reason = expectRejected([pki.leaf], alert: .unknownCA)
        #expect(reason.contains("Test Intermediate CA"))
    }

    @Test func selfSignedLeafIsUnknownCA() {
        let reason = expectRejected([pki.selfSigned], alert: .unknownCA)
        #expect(reason.contains("self-signed") || reason.contains("self signed"))
    }

    @Test func systemStoreDoesNotTrustTheTestRoot() throws {
        let system = OpenSSLCertificateVerifier(trustStore: try X509TrustStore.system())
        #expect(try X509TrustStore.system() === X509TrustStore.system())  // built once
        expectTLSError(alert: .unknownCA) {
            try system.verify(chain: [pki.leaf, pki.intermediate], hostname: "localhost", ipAddress: nil, now: now)
        }
    }

    // MARK: Key usage and security level

    @Test func clientAuthOnlyIsUnsupportedCertificate() {
        expectRejected([pki.clientAuthOnly, pki.intermediate], alert: .unsupportedCertificate)
    }

    @Test func keyUsageWithoutDigitalSignatureIsUnsupportedCertificate() {
        let reason = expectRejected([pki.keyAgreementOnly, pki.intermediate], alert: .unsupportedCertificate)
        #expect(reason.contains("digitalSignature"))
    }

    @Test func weakKeyAndSHA1AreBadCertificate() {
        let small = expectRejected([pki.rsa1024, pki.intermediate], alert: .badCertificate)
        #expect(small.contains("key too weak"))
        let sha1 = expectRejected([pki.sha1Signed, pki.intermediate], alert: .badCertificate)
        #expect(sha1.contains("too weak"))
    }

    // MARK: Malformed input and configuration

    @Test func malformedChains() {
        expectTLSError(alert: .decodeError) {
            try verifier.verify(chain: [], hostname: "localhost", ipAddress: nil, now: now)
        }
        expectRejected([Array(pki.leaf.dropLast()), pki.intermediate], alert: .badCertificate)
        expectRejected([pki.leaf + [0], pki.intermediate], alert: .badCertificate)
        expectRejected([pki.leaf, [0x30, 0x00]], alert: .badCertificate)
    }

    @Test func unusableNamesAreConfigurationErrors() {
        let cases: [(String?, String?)] = [("", nil), ("a\u{0}b", nil), (nil, "300.1.1.1"), (nil, "localhost")]
        for (host, ip) in cases {
            let error = expectTLSError {
                try verifier.verify(chain: [pki.leaf, pki.intermediate], hostname: host, ipAddress: ip, now: now)
            }
            guard case .invalidConfiguration? = error else {
                Issue.record("\(String(describing: host)) / \(String(describing: ip)): \(String(describing: error))")
                continue
            }
        }
    }

    @Test func unreadableOrEmptyCAFilesAreClearErrors() throws {
        let dir = try TemporaryDirectory("tls13-cafile")
        let missing = dir.path("missing.pem")
        let error = expectTLSError { _ = try X509TrustStore(caFile: missing) }
        #expect(error == .invalidConfiguration("cannot read CA file \(missing): No such file or directory"))

        try dir.write("empty.pem", Array("no certificates here\n".utf8))
        let empty = expectTLSError { _ = try X509TrustStore(caFile: dir.path("empty.pem")) }
        #expect(empty?.description.contains("no PEM certificate found") == true)

        try dir.write("broken.pem", Array("-----BEGIN CERTIFICATE-----\nMIIB!!!\n-----END CERTIFICATE-----\n".utf8))
        let broken = expectTLSError { _ = try X509TrustStore(caFile: dir.path("broken.pem")) }
        #expect(broken?.description.contains("malformed certificate") == true)
    }

    @Test func alertTable() {
        // X509_V_ERR_* values from <openssl/x509_vfy.h> (tests do not import COpenSSL).
        let table: [(Int32, AlertDescription?)] = [
            (10 /* CERT_HAS_EXPIRED */, .certificateExpired),
            (9 /* CERT_NOT_YET_VALID */, .certificateExpired),
            (20 /* UNABLE_TO_GET_ISSUER_CERT_LOCALLY */, .unknownCA),
            (18 /* DEPTH_ZERO_SELF_SIGNED_CERT */, .unknownCA),
            (19 /* SELF_SIGNED_CERT_IN_CHAIN */, .unknownCA),
            (27 /* CERT_UNTRUSTED */, .unknownCA),
            (62 /* HOSTNAME_MISMATCH */, .badCertificate),
            (64 /* IP_ADDRESS_MISMATCH */, .badCertificate),
            (7 /* CERT_SIGNATURE_FAILURE */, .badCertificate),
            (26 /* INVALID_PURPOSE */, .unsupportedCertificate),
            (23 /* CERT_REVOKED */, .certificateRevoked),
            (17 /* OUT_OF_MEM */, nil),
            (29 /* SUBJECT_ISSUER_MISMATCH */, .certificateUnknown),
        ]
        for (code, alert) in table {
            #expect(OpenSSLCertificateVerifier.alert(forVerifyError: code) == alert, "X509_V_ERR \(code)")
        }
    }
}

@Suite struct X509CertificateTests {
    @Test func rfc8448Section3Certificate() throws {
        let trace = try RFC8448Trace.load("section3_simple_1rtt")
        let der = try #require(try SignatureTests.certificates(inMessage: try trace.bytes("server_certificate")).first)
        let certificate = try X509Certificate(der: der)
        #expect(certificate.subject == "CN = rsa")
        #expect(certificate.issuer == "CN = rsa")
        #expect(certificate.notBefore == "2016-07-30T01:23:59Z")
        #expect(certificate.notAfter == "2026-07-30T01:23:59Z")
        #expect(certificate.notBeforeSeconds == 1_469_841_839)
        #expect(certificate.notAfterSeconds == 1_785_374_639)
        #expect(certificate.dnsNames.isEmpty)
        #expect(certificate.der == der)
        #expect(try certificate.publicKey().typeDescription == "RSA-1024")
        #expect("\(certificate)".contains("CN = rsa"))
    }

    @Test func subjectAltNames() throws {
        let pki = try TestPKI.shared.get()
        let leaf = try X509Certificate(der: pki.leaf)
        #expect(leaf.dnsNames == ["localhost"])
        #expect(leaf.ipAddresses == ["127.0.0.1"])
        #expect(leaf.issuer == "CN = Test Intermediate CA")
        #expect(try X509Certificate(der: pki.wildcard).dnsNames == ["f*.example.com", "*.wild.example"])
    }

    @Test func derMustBeExactlyOneCertificate() throws {
        let pki = try TestPKI.shared.get()
        expectTLSError(alert: .badCertificate) { _ = try X509Certificate(der: []) }
        expectTLSError(alert: .badCertificate) { _ = try X509Certificate(der: Array(pki.leaf.prefix(100))) }
        let trailing = expectTLSError(alert: .badCertificate) { _ = try X509Certificate(der: pki.leaf + [0, 0]) }
        #expect(trailing?.description.contains("2 trailing bytes") == true)
        expectTLSError(alert: .badCertificate) { _ = try X509Certificate(der: pki.leaf + pki.intermediate) }
    }

    @Test func pemWithSeveralCertificates() throws {
        let pki = try TestPKI.shared.get()
        let certificates = try PEM.certificates(fromPEM: pki.rootPEM + Array("\n".utf8) + pki.rootPEM)
        #expect(certificates.map(\.der) == [pki.root, pki.root])
    }
}
