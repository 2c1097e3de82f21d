import Foundation
import Testing
@testable import TLS13

/// The Web PKI profile rules (``WebPKIProfile``, ``OpenSSLCertificateVerifier/validatedPath``) on the
/// `Certs/edge/` certificates made for them (`Certs/make-certs.sh`, "Web PKI profile cases"; `Certs/README.md`):
/// each new rejection with its alert and the reason naming its rule, and what stays accepted.
@Suite struct CertificateWebPKIProfileTests {
    let verifier: OpenSSLCertificateVerifier
    let now = ScriptedPKI.now

    init() throws { verifier = try ScriptedPKI.verifier() }

    static let leafSubject = EdgePKI.subject("localhost")

    func accept(_ chain: [[UInt8]], host: String? = nil, ip: String? = "127.0.0.1",
                using other: OpenSSLCertificateVerifier? = nil, at time: Int64? = nil,
                sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            try (other ?? verifier).verify(chain: chain, hostname: host, ipAddress: host == nil ? ip : nil,
                                           now: time ?? now)
        } catch {
            Issue.record("\(host ?? ip ?? "-"): expected acceptance, got \(error)", sourceLocation: sourceLocation)
        }
    }

    /// Expects `certificateRejected` with `alert`; returns the reason.
    @discardableResult
    func reject(_ chain: [[UInt8]], host: String? = nil, ip: String? = "127.0.0.1", alert: AlertDescription,
                using other: OpenSSLCertificateVerifier? = nil, at time: Int64? = nil,
                sourceLocation: SourceLocation = #_sourceLocation) -> String {
        let error = expectTLSError(alert: alert, sourceLocation: sourceLocation) {
            try (other ?? verifier).verify(chain: chain, hostname: host, ipAddress: host == nil ? ip : nil,
                                           now: time ?? now)
        }
        guard case .certificateRejected(_, let reason)? = error else {
            Issue.record("expected certificateRejected, got \(String(describing: error))", sourceLocation: sourceLocation)
            return ""
        }
        return reason
    }

    /// A verifier that trusts only `edge/<root>.pem`.
    func trusting(_ root: String) throws -> OpenSSLCertificateVerifier {
        OpenSSLCertificateVerifier(trustStore: try X509TrustStore(caFile: CertPaths.path("edge/\(root).pem")))
    }

    // MARK: The server's certificate

    @Test func caCertificateIsNeverTheServersCertificate() throws {
        let reason = reject(try EdgePKI.chain("ca-true-leaf"), alert: .unsupportedCertificate)
        #expect(reason == "a CA certificate (basicConstraints cA=TRUE) cannot be the server's certificate "
            + "(CA/B Forum BR 7.1.2.7.8) (server certificate \(Self.leafSubject))")
        let keyCertSign = reject(try EdgePKI.chain("keycertsign-leaf"), alert: .unsupportedCertificate)
        #expect(keyCertSign == "the server's certificate has keyUsage keyCertSign, which only a CA may have "
            + "(RFC 5280 §4.2.1.9, CA/B Forum BR 7.1.2.7.11) (server certificate \(Self.leafSubject))")
    }

    @Test func extendedKeyUsageRules() throws {
        let any = reject(try EdgePKI.chain("anyeku-leaf"), alert: .unsupportedCertificate)
        #expect(any == "extendedKeyUsage lists anyExtendedKeyUsage, which a server certificate must not have "
            + "(CA/B Forum BR 7.1.2.7.10) (server certificate \(Self.leafSubject))")
        let critical = reject(try EdgePKI.chain("critical-eku-leaf"), alert: .badCertificate)
        #expect(critical == "extendedKeyUsage is marked critical (CA/B Forum BR 7.1.2.7.6) "
            + "(server certificate \(Self.leafSubject))")
        let missing = reject(try EdgePKI.chain("no-eku"), alert: .unsupportedCertificate)
        #expect(missing.hasPrefix("no extendedKeyUsage"))
    }

    @Test func nameConstraintsInALeaf() throws {
        let reason = reject(try EdgePKI.chain("nc-leaf"), alert: .badCertificate)
        #expect(reason == "nameConstraints in a certificate that is not a CA (RFC 5280 §4.2.1.10) "
            + "(server certificate \(Self.leafSubject))")
    }

    @Test func subjectAltNameRules() throws {
        // Checked even when no name is: a server certificate names its server.
        let missing = reject(try EdgePKI.chain("no-san-leaf"), ip: nil, alert: .badCertificate)
        #expect(missing == "no subjectAltName (CA/B Forum BR 7.1.2.7.12) (server certificate \(Self.leafSubject))")
        let critical = reject(try EdgePKI.chain("critical-san-leaf"), alert: .badCertificate)
        #expect(critical == "subjectAltName is marked critical although the subject is not empty "
            + "(CA/B Forum BR 7.1.2.7.12) (server certificate \(Self.leafSubject))")
        let emptySubject = reject(try EdgePKI.chain("empty-subject-leaf"), alert: .badCertificate)
        #expect(emptySubject.hasPrefix("the subject is empty and subjectAltName is not marked critical "
            + "(RFC 5280 §4.2.1.6)"))
    }

    @Test func dnsNamesMustBeHostNames() throws {
        let chain = try EdgePKI.chain("underscore-san")
        let reason = reject(chain, host: "under_score.example", alert: .badCertificate)
        #expect(reason == "subjectAltName dNSName \"under_score.example\" matches under_score.example but contains "
            + "an underscore (RFC 5280 §4.2.1.6: preferred name syntax) (server certificate "
            + "\(EdgePKI.subject("underscore-san")))")
        // The certificate's valid names still work.
        accept(chain, host: "localhost")
    }

    @Test func wildcardsOverPublicSuffixesMatchNothing() throws {
        let chain = try EdgePKI.chain("psl-wildcard")
        let reason = reject(chain, host: "example.co.uk", alert: .badCertificate)
        #expect(reason == "wildcard *.co.uk matches example.co.uk but covers the public suffix co.uk "
            + "(CA/B Forum BR 3.2.2.6) (server certificate \(EdgePKI.subject("psl-wildcard")))")
        reject(chain, host: "Example.CO.UK.", alert: .badCertificate)
        // *.example.co.uk is an ordinary wildcard.
        accept(chain, host: "www.example.co.uk")
        // The PRIVATE section of the list is not used: *.s3.amazonaws.com names S3 buckets.
        accept(chain, host: "bucket.s3.amazonaws.com")
    }

    @Test func commonNameMustNotSpellASubjectAltNameOtherwise() throws {
        let letterCase = reject(try EdgePKI.chain("cn-case"), alert: .badCertificate)
        #expect(letterCase == "subject CN \"LocalHost\" contradicts the subjectAltName: it is the dNSName localhost "
            + "in other letter case, not a character-for-character copy (CA/B Forum BR 7.1.4.3) (server certificate "
            + "\(EdgePKI.subject("LocalHost")))")
        let address = reject(try EdgePKI.chain("cn-ip-notation"), host: "localhost", alert: .badCertificate)
        #expect(address.hasPrefix("subject CN \"127.000.000.001\" contradicts the subjectAltName: it is the address "
            + "127.0.0.1 written in another form than the canonical one (CA/B Forum BR 7.1.4.3)"))
        let unicode = reject(try EdgePKI.chain("cn-unicode"), host: "xn--bcher-kva.example", alert: .badCertificate)
        #expect(unicode.hasPrefix("subject CN \"bücher.example\" contradicts the subjectAltName: a domain name in the "
            + "CN must be in the A-label (xn--) form of its dNSName (CA/B Forum BR 7.1.4.3)"))
        // A single-label CN that names no SAN entry is left alone (the project's own leaves: CN=localhost).
        accept(try EdgePKI.chain("cn-ignored"), host: "other.example")
        accept(try EdgePKI.chain("wildcard"), host: "a.example.com")
    }

    @Test func serialNumbers() throws {
        let zero = reject(try EdgePKI.chain("serial-zero"), alert: .badCertificate)
        #expect(zero == "serial number is zero (RFC 5280 §4.1.2.2: MUST be positive) "
            + "(server certificate \(Self.leafSubject))")
        let long = reject(try EdgePKI.chain("serial-too-long"), alert: .badCertificate)
        #expect(long == "serial number of 21 octets is longer than 20 octets (RFC 5280 §4.1.2.2) "
            + "(server certificate \(Self.leafSubject))")
    }

    @Test func keys() throws {
        let rsa = reject(try EdgePKI.chain("rsa2052-leaf"), alert: .badCertificate)
        #expect(rsa == "RSA modulus of 2052 bits is not a multiple of 8 (CA/B Forum BR 6.1.5) "
            + "(server certificate \(Self.leafSubject))")
        let dsa = reject(try EdgePKI.chain("dsa-leaf"), alert: .unsupportedCertificate)
        #expect(dsa == "DSA key: the Web PKI allows RSA and ECDSA keys (CA/B Forum BR 6.1.5) "
            + "(server certificate \(Self.leafSubject))")
        // Keys TLS 1.3 signs with that the BR list leaves out stay accepted.
        for leaf in ["leaf-ed25519", "leaf-ed448", "leaf-rsa-pss", "leaf-ecdsa-p521"] {
            accept(try PEM.certificates(fromFile: CertPaths.path("\(leaf)-chain.pem")).map(\.der), host: "localhost")
        }
    }

    @Test func authorityKeyIdentifierAndAuthorityInfoAccess() throws {
        let leaf = reject(try EdgePKI.chain("no-aki-leaf"), alert: .badCertificate)
        #expect(leaf == "no authorityKeyIdentifier (RFC 5280 §4.2.1.1: MUST be present) "
            + "(server certificate \(Self.leafSubject))")
        let aia = reject(try EdgePKI.chain("malformed-aia-leaf"), alert: .badCertificate)
        #expect(aia == "malformed authorityInfoAccess extension: authorityInfoAccess lists no AccessDescription "
            + "(server certificate \(Self.leafSubject))")
    }

    // MARK: Intermediates

    @Test func intermediateRules() throws {
        let bc = reject(try EdgePKI.chain("noncritical-bc-int-leaf"), alert: .unknownCA)
        #expect(bc == "CA certificate whose basicConstraints is not marked critical (RFC 5280 §4.2.1.9) (chain "
            + "certificate 1: \(EdgePKI.subject("swift-tls13 Edge Non-critical basicConstraints Intermediate")))")
        let ski = reject(try EdgePKI.chain("no-ski-int-leaf"), alert: .badCertificate)
        #expect(ski == "CA certificate without subjectKeyIdentifier (RFC 5280 §4.2.1.2) (chain certificate 1: "
            + "\(EdgePKI.subject("swift-tls13 Edge No-SKI Intermediate")))")
        let aki = reject(try EdgePKI.chain("no-aki-int-leaf"), alert: .badCertificate)
        #expect(aki == "no authorityKeyIdentifier (RFC 5280 §4.2.1.1: MUST be present) (chain certificate 1: "
            + "\(EdgePKI.subject("swift-tls13 Edge No-AKI Intermediate")))")
        let policy = reject(try EdgePKI.chain("pc-noncritical-int-leaf"), alert: .badCertificate)
        #expect(policy == "policyConstraints is not marked critical (RFC 5280 §4.2.1.11: MUST be critical) (chain "
            + "certificate 1: \(EdgePKI.subject("swift-tls13 Edge Non-critical policyConstraints Intermediate")))")
    }

    // MARK: Name constraints

    @Test func wildcardsCountAsEveryNameTheyMatch() throws {
        // nc-intermediate excludes secret.allowed.example; *.allowed.example matches it (CVE-2025-61727).
        let chain = try EdgePKI.chain("nc-wildcard")
        let expected = "name constraints violation: wildcard *.allowed.example of server certificate "
            + "\(EdgePKI.subject("nc-wildcard")): it matches secret.allowed.example, which is in the excluded subtree "
            + "secret.allowed.example (chain certificate 1: \(EdgePKI.subject("swift-tls13 Edge Name-Constrained CA")))"
        for host in ["www.allowed.example", "secret.allowed.example"] {
            #expect(reject(chain, host: host, alert: .certificateUnknown) == expected)
        }
    }

    @Test func constraintSyntax() throws {
        let dot = reject(try EdgePKI.chain("nc-leading-dot-leaf"), host: "www.allowed.example", alert: .badCertificate)
        #expect(dot == "malformed nameConstraints: permitted dNSName \".allowed.example\" starts with a period "
            + "(RFC 5280 §4.2.1.10) (chain certificate 1: "
            + "\(EdgePKI.subject("swift-tls13 Edge Leading-dot Name Constraint CA")))")
        let empty = reject(try EdgePKI.chain("nc-empty-leaf"), alert: .badCertificate)
        #expect(empty == "malformed nameConstraints extension: nameConstraints has neither permittedSubtrees nor "
            + "excludedSubtrees (chain certificate 1: \(EdgePKI.subject("swift-tls13 Edge Empty Name Constraints CA")))")
        // Under dNSName constraints every dNSName must be a name the constraint can be applied to.
        let invalid = reject(try EdgePKI.chain("nc-invalid-san"), host: "www.allowed.example", alert: .certificateUnknown)
        #expect(invalid.hasPrefix("name constraints violation: subjectAltName dNSName \".allowed.example\" of server "
            + "certificate"))
        #expect(invalid.hasSuffix("starts with a period, so the dNSName constraints of chain certificate 1: "
            + "\(EdgePKI.subject("swift-tls13 Edge Name-Constrained CA")) cannot be applied to it (RFC 5280 §4.2.1.10)"))
        // The constrained CA's ordinary leaves are unaffected.
        accept(try EdgePKI.chain("nc-inside"), host: "www.allowed.example")
    }

    // MARK: Trust anchors

    @Test func anchorRules() throws {
        let eku = reject(try EdgePKI.chain("root-eku-leaf"), alert: .unknownCA, using: try trusting("root-eku"))
        #expect(eku == "trust anchor not usable: a root CA certificate must not have extendedKeyUsage (CA/B Forum BR "
            + "7.1.2.1.2) (chain certificate 1: \(EdgePKI.subject("swift-tls13 Edge Root with extendedKeyUsage")))")
        let aki = reject(try EdgePKI.chain("root-aki-foreign-leaf"), alert: .unknownCA,
                         using: try trusting("root-aki-foreign"))
        #expect(aki == "trust anchor not usable: authorityKeyIdentifier names an authorityCertIssuer other than the "
            + "root itself (CA/B Forum BR 7.1.2.1.3) (chain certificate 1: "
            + "\(EdgePKI.subject("swift-tls13 Edge Root with a foreign AKI")))")
        // An authorityCertIssuer and serial naming the root itself, as QuoVadis Root CA 2 has: accepted.
        accept(try EdgePKI.chain("root-aki-issuer-leaf"), using: try trusting("root-aki-issuer"))
        let bc = reject(try EdgePKI.chain("root-no-bc-leaf"), alert: .unknownCA, using: try trusting("root-no-bc"))
        #expect(bc.hasPrefix("trust anchor not usable: it is not a CA certificate (no basicConstraints cA=TRUE"))
        // Accepted on an anchor, refused on an intermediate (see the limbo exceptions in Docs/Security.md).
        accept(try EdgePKI.chain("root-no-ski-leaf"), using: try trusting("root-no-ski"))
        accept(try EdgePKI.chain("root-noncritical-bc-leaf"), using: try trusting("root-noncritical-bc"))
    }

    // MARK: Paths

    @Test func anyTrustedCertificateIsAnAnchor() throws {
        // Trusting the intermediate alone: the path ends there (X509_V_FLAG_PARTIAL_CHAIN).
        let intermediateOnly = OpenSSLCertificateVerifier(
            trustStore: try X509TrustStore(caFile: CertPaths.path("intermediate.pem")))
        let leaf = try EdgePKI.certificate("leaf-ecdsa-p256.pem")
        accept([leaf], host: "localhost", using: intermediateOnly)
        accept([leaf, try EdgePKI.certificate("intermediate.pem")], host: "localhost", using: intermediateOnly)
        // The server cannot make its own certificates anchors: only the trust store's count.
        reject([leaf, try EdgePKI.certificate("intermediate.pem")], host: "localhost", alert: .unknownCA,
               using: try trusting("root-eku"))
        reject(try PEM.certificates(fromFile: CertPaths.path("leaf-self-signed-chain.pem")).map(\.der), host: "localhost",
               alert: .unknownCA)
    }

    @Test func alternativePathsAreTried() throws {
        // cross-ca-untrusted and cross-ca share subject and key: the first chains to a root nobody trusts.
        let leaf = try EdgePKI.certificate("edge/cross-leaf.pem")
        let untrusted = try EdgePKI.certificate("edge/cross-ca-untrusted.pem")
        let trusted = try EdgePKI.certificate("edge/cross-ca.pem")
        accept([leaf, untrusted, trusted], host: "localhost")
        accept([leaf, trusted, untrusted], host: "localhost")
        // With only the untrusted path there is none.
        let reason = reject([leaf, untrusted], host: "localhost", alert: .unknownCA)
        #expect(reason.contains("swift-tls13 Edge Cross-Signed CA"))
    }

    @Test func validityIsInclusiveAtBothEnds() throws {
        let expired = try PEM.certificates(fromFile: CertPaths.path("leaf-expired-chain.pem")).map(\.der)
        // notAfter 2001-01-01T00:00:00Z = 978307200.
        accept(expired, host: "localhost", at: 978_307_200)
        let reason = reject(expired, host: "localhost", alert: .certificateExpired, at: 978_307_201)
        #expect(reason.hasPrefix("certificate has expired (notAfter 2001-01-01T00:00:00Z, server certificate"))
        // notBefore 2090-01-01T00:00:00Z = 3786912000.
        let future = try PEM.certificates(fromFile: CertPaths.path("leaf-not-yet-valid-chain.pem")).map(\.der)
        accept(future, host: "localhost", at: 3_786_912_000)
        reject(future, host: "localhost", alert: .certificateExpired, at: 3_786_911_999)
    }
}

/// The new rules through a whole handshake against the scripted server: the client's error and the alert the
/// server reads off the wire (encrypted under the handshake keys).
@Suite struct CertificateWebPKIProfileHandshakeTests {
    static let cases: [CertificateEdgeCaseHandshakeTests.Case] = [
        .init(chain: "ca-true-leaf", identity: .dnsName("localhost"), alert: .unsupportedCertificate,
              reason: "cannot be the server's certificate"),
        .init(chain: "keycertsign-leaf", identity: .dnsName("localhost"), alert: .unsupportedCertificate,
              reason: "keyUsage keyCertSign"),
        .init(chain: "no-eku", identity: .dnsName("localhost"), alert: .unsupportedCertificate,
              reason: "no extendedKeyUsage"),
        .init(chain: "anyeku-leaf", identity: .dnsName("localhost"), alert: .unsupportedCertificate,
              reason: "anyExtendedKeyUsage"),
        .init(chain: "critical-eku-leaf", identity: .dnsName("localhost"), alert: .badCertificate,
              reason: "extendedKeyUsage is marked critical"),
        .init(chain: "nc-leaf", identity: .dnsName("localhost"), alert: .badCertificate,
              reason: "nameConstraints in a certificate that is not a CA"),
        .init(chain: "critical-san-leaf", identity: .dnsName("localhost"), alert: .badCertificate,
              reason: "subjectAltName is marked critical"),
        .init(chain: "underscore-san", identity: .dnsName("under_score.example"), alert: .badCertificate,
              reason: "contains an underscore"),
        .init(chain: "underscore-san", identity: .dnsName("localhost"), alert: nil),
        .init(chain: "psl-wildcard", identity: .dnsName("example.co.uk"), alert: .badCertificate,
              reason: "covers the public suffix co.uk"),
        .init(chain: "psl-wildcard", identity: .dnsName("www.example.co.uk"), alert: nil),
        .init(chain: "cn-case", identity: .dnsName("localhost"), alert: .badCertificate, reason: "other letter case"),
        .init(chain: "cn-ip-notation", identity: .ipAddress("127.0.0.1"), alert: .badCertificate,
              reason: "written in another form"),
        .init(chain: "serial-zero", identity: .dnsName("localhost"), alert: .badCertificate,
              reason: "serial number is zero"),
        .init(chain: "serial-too-long", identity: .dnsName("localhost"), alert: .badCertificate,
              reason: "longer than 20 octets"),
        .init(chain: "rsa2052-leaf", identity: .dnsName("localhost"), alert: .badCertificate,
              reason: "not a multiple of 8"),
        .init(chain: "no-aki-leaf", identity: .dnsName("localhost"), alert: .badCertificate,
              reason: "no authorityKeyIdentifier"),
        .init(chain: "malformed-aia-leaf", identity: .dnsName("localhost"), alert: .badCertificate,
              reason: "malformed authorityInfoAccess"),
        .init(chain: "noncritical-bc-int-leaf", identity: .dnsName("localhost"), alert: .unknownCA,
              reason: "basicConstraints is not marked critical"),
        .init(chain: "no-ski-int-leaf", identity: .dnsName("localhost"), alert: .badCertificate,
              reason: "without subjectKeyIdentifier"),
        .init(chain: "no-aki-int-leaf", identity: .dnsName("localhost"), alert: .badCertificate,
              reason: "no authorityKeyIdentifier (RFC 5280 §4.2.1.1: MUST be present) (chain certificate 1"),
        .init(chain: "pc-noncritical-int-leaf", identity: .dnsName("localhost"), alert: .badCertificate,
              reason: "policyConstraints is not marked critical"),
        .init(chain: "nc-wildcard", identity: .dnsName("www.allowed.example"), alert: .certificateUnknown,
              reason: "name constraints violation: wildcard *.allowed.example"),
        .init(chain: "nc-invalid-san", identity: .dnsName("www.allowed.example"), alert: .certificateUnknown,
              reason: "cannot be applied to it"),
        .init(chain: "nc-leading-dot-leaf", identity: .dnsName("www.allowed.example"), alert: .badCertificate,
              reason: "starts with a period"),
        .init(chain: "nc-empty-leaf", identity: .dnsName("localhost"), alert: .badCertificate,
              reason: "neither permittedSubtrees nor excludedSubtrees"),
    ]

    @Test(arguments: cases)
    func handshake(_ c: CertificateEdgeCaseHandshakeTests.Case) throws {
        let server = ScriptedServer(.init(customChain: try EdgePKI.served(c.chain)))
        let client = try makeTestClient(identity: c.identity)
        let outcome = runHandshake(client: client, server: server)
        guard let alert = c.alert else {
            expectSuccess(outcome, server: server)
            #expect(client.info.certificateVerified)
            return
        }
        expectAlert(outcome, alert, encrypted: true)
        guard case .certificateRejected(_, let reason)? = outcome.error else {
            Issue.record("expected certificateRejected, got \(String(describing: outcome.error))")
            return
        }
        #expect(reason.contains(c.reason), "\(reason)")
        #expect(!server.isHandshakeComplete)
    }

    /// A server that sends its certificate with the untrusted cross-certificate first: the client finds the
    /// other path.
    @Test func crossSignedPathIsFound() throws {
        let served = try ScriptedServer.loadChain(
            certificates: ["edge/cross-leaf.pem", "edge/cross-ca-untrusted.pem", "edge/cross-ca.pem"],
            key: "edge/cross-leaf.key")
        let server = ScriptedServer(.init(customChain: served))
        let client = try makeTestClient()
        let outcome = runHandshake(client: client, server: server)
        expectSuccess(outcome, server: server)
        #expect(client.info.certificateVerified)
    }
}
