import Foundation
import Testing
@testable import TLS13

/// The edge-case PKI in `Certs/edge/` (made by `Certs/make-certs.sh`; see `Certs/README.md`, "Edge cases").
/// Every certificate is valid from 2024 to 2099 and chains to `Certs/ca.pem`, so ``ScriptedPKI`` verifies them.
enum EdgePKI {
    /// `edge/<name>-chain.pem`: the leaf and the CAs above it that a server sends (never the root).
    static func chain(_ name: String) throws -> [[UInt8]] {
        try PEM.certificates(fromFile: CertPaths.path("edge/\(name)-chain.pem")).map(\.der)
    }

    /// The one certificate in `file` (a path under `Certs/`).
    static func certificate(_ file: String) throws -> [UInt8] {
        let certificates = try PEM.certificates(fromFile: CertPaths.path(file))
        guard certificates.count == 1, let only = certificates.first else {
            throw VectorError(description: "\(file) holds \(certificates.count) certificates")
        }
        return only.der
    }

    /// `edge/<name>` as the scripted server serves it: its chain file and its key.
    static func served(_ name: String) throws -> ScriptedServer.LoadedChain {
        try ScriptedServer.loadChain(certificates: ["edge/\(name)-chain.pem"], key: "edge/\(name).key")
    }

    /// `O = swift-tls13 tests, CN = <cn>`, as reasons print a subject.
    static func subject(_ cn: String) -> String { "O = swift-tls13 tests, CN = \(cn)" }
}

/// RFC 5280 / RFC 6125 edge cases through ``OpenSSLCertificateVerifier`` with the real trust store
/// (`Certs/ca.pem`), each rejection checked for its alert and its reason. The same cases run through a whole
/// handshake in ``CertificateEdgeCaseHandshakeTests``.
@Suite struct CertificateEdgeCaseTests {
    let verifier: OpenSSLCertificateVerifier
    let now = ScriptedPKI.now

    init() throws { verifier = try ScriptedPKI.verifier() }

    func accept(_ chain: [[UInt8]], host: String? = "localhost", ip: String? = nil,
                sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            try verifier.verify(chain: chain, hostname: host, ipAddress: ip, now: now)
        } catch {
            Issue.record("\(host ?? ip ?? "-"): expected acceptance, got \(error)", sourceLocation: sourceLocation)
        }
    }

    /// Expects `certificateRejected` with `alert`; returns the reason.
    @discardableResult
    func reject(_ chain: [[UInt8]], host: String? = "localhost", ip: String? = nil, alert: AlertDescription,
                sourceLocation: SourceLocation = #_sourceLocation) -> String {
        let error = expectTLSError(alert: alert, "for \(host ?? ip ?? "-")", sourceLocation: sourceLocation) {
            try verifier.verify(chain: chain, hostname: host, ipAddress: ip, now: now)
        }
        guard case .certificateRejected(_, let reason)? = error else {
            Issue.record("expected certificateRejected, got \(String(describing: error))", sourceLocation: sourceLocation)
            return ""
        }
        return reason
    }

    // MARK: Name constraints (RFC 5280 §4.2.1.10)

    /// `nc-intermediate`: permitted DNS:allowed.example, excluded DNS:secret.allowed.example.
    @Test func nameConstraintsPermitNamesInsideTheSubtree() throws {
        let chain = try EdgePKI.chain("nc-inside")
        accept(chain, host: "www.allowed.example")
        accept(chain, host: "allowed.example")  // the constraint's own name is inside it
        // Inside the constraints but not the name asked for: an ordinary name mismatch.
        let reason = reject(chain, host: "www.forbidden.example", alert: .badCertificate)
        #expect(reason == "certificate for www.allowed.example, allowed.example does not match www.forbidden.example")
    }

    @Test func nameConstraintsRejectNamesOutsideTheSubtree() throws {
        let outside = reject(try EdgePKI.chain("nc-outside"), host: "www.forbidden.example", alert: .certificateUnknown)
        #expect(outside == "permitted subtree violation: www.forbidden.example of server certificate "
            + "\(EdgePKI.subject("www.forbidden.example")) is outside an issuing CA's name constraints")
        // allowed.example constrains whole labels: notallowed.example is outside it.
        let suffix = reject(try EdgePKI.chain("nc-suffix"), host: "notallowed.example", alert: .certificateUnknown)
        #expect(suffix.hasPrefix("permitted subtree violation: notallowed.example of server certificate"))
        // One name outside spoils the certificate, even for a name that is inside.
        let mixed = reject(try EdgePKI.chain("nc-mixed"), host: "www.allowed.example", alert: .certificateUnknown)
        #expect(mixed.hasPrefix("permitted subtree violation: www.allowed.example, www.forbidden.example of"))
        let excluded = reject(try EdgePKI.chain("nc-excluded"), host: "www.secret.allowed.example",
                              alert: .certificateUnknown)
        #expect(excluded.hasPrefix("excluded subtree violation: www.secret.allowed.example of server certificate"))
    }

    // MARK: Wildcards (RFC 6125 §6.4.3)

    /// `wildcard`: SAN DNS:*.example.com, DNS:*, DNS:*.com, DNS:*.*.example.net, DNS:a.*.example.org.
    @Test func wildcardMatchesExactlyOneLeftmostLabel() throws {
        let chain = try EdgePKI.chain("wildcard")
        let names = "*.example.com, *, *.com, *.*.example.net, a.*.example.org"
        accept(chain, host: "a.example.com")
        accept(chain, host: "A.Example.COM.")
        for host in ["example.com", "a.b.example.com", "b.a.example.com"] {
            let reason = reject(chain, host: host, alert: .badCertificate)
            #expect(reason == "certificate for \(names) does not match \(host)")
        }
    }

    @Test func degenerateWildcardsMatchNothing() throws {
        let chain = try EdgePKI.chain("wildcard")
        // "*" alone, "*.com" (a wildcard over a public suffix's single label), two wildcards, a non-leftmost one.
        for host in ["localhost", "com", "example", "example.com", "a.b.example.net", "a.b.example.org"] {
            reject(chain, host: host, alert: .badCertificate)
        }
    }

    @Test func referenceNamesMustBePlainDNSNames() throws {
        // libcrypto would read a leading dot as "any subdomain of" and match a "*" against the certificate's
        // wildcards: both are configuration errors, never a match.
        let cases: [(String, [UInt8])] = [
            (".allowed.example", try EdgePKI.chain("nc-inside").first ?? []),
            ("*.example.com", try EdgePKI.chain("wildcard").first ?? []),
            ("*", try EdgePKI.chain("wildcard").first ?? []),
            ("a..example.com", try EdgePKI.chain("wildcard").first ?? []),
            ("a.example.com..", try EdgePKI.chain("wildcard").first ?? []),
            (".", try EdgePKI.chain("wildcard").first ?? []),
        ]
        for (host, leaf) in cases {
            let chain = [leaf, try EdgePKI.certificate("intermediate.pem"), try EdgePKI.certificate("edge/nc-intermediate.pem")]
            let error = expectTLSError { try verifier.verify(chain: chain, hostname: host, ipAddress: nil, now: now) }
            #expect(error == .invalidConfiguration("invalid server name \"\(host)\""), "\(host)")
        }
        // An IP literal with a wildcard is no IP address.
        let error = expectTLSError {
            try verifier.verify(chain: try EdgePKI.chain("ip-only"), hostname: nil, ipAddress: "127.0.0.*", now: now)
        }
        #expect(error == .invalidConfiguration("invalid IP address \"127.0.0.*\""))
    }

    // MARK: IP addresses vs DNS names

    /// `ip-lookalike`: SAN DNS:127.0.0.1, DNS:*.0.0.1, DNS:::1 — DNS names that look like IP addresses.
    @Test func dnsNamesThatLookLikeIPAddressesDoNotMatchIPAddresses() throws {
        let chain = try EdgePKI.chain("ip-lookalike")
        for ip in ["127.0.0.1", "::1"] {
            let reason = reject(chain, host: nil, ip: ip, alert: .badCertificate)
            #expect(reason == "certificate for 127.0.0.1, *.0.0.1, ::1 does not match \(ip): an IP address matches "
                + "only iPAddress names, and the certificate has DNS names only")
        }
    }

    /// `ip-only`: SAN IP:127.0.0.1, IP:::1, subject CN=localhost.
    @Test func ipAddressNamesDoNotMatchHostNames() throws {
        let chain = try EdgePKI.chain("ip-only")
        accept(chain, host: nil, ip: "127.0.0.1")
        accept(chain, host: nil, ip: "::1")
        accept(chain, host: nil, ip: "0:0:0:0:0:0:0:1")  // the same address, written out
        reject(chain, host: nil, ip: "127.0.0.2", alert: .badCertificate)
        // Neither the CN (localhost) nor the iPAddress entries match a host name.
        for host in ["localhost", "127.0.0.1"] {
            let reason = reject(chain, host: host, alert: .badCertificate)
            #expect(reason == "certificate for 127.0.0.1, 0:0:0:0:0:0:0:1 does not match \(host): a host name "
                + "matches only DNS names, and the certificate has IP addresses only (the CN is not used)")
        }
    }

    // MARK: Subject CN

    /// `cn-ignored`: CN=localhost, SAN DNS:other.example.
    @Test func commonNameIsIgnoredWhenASubjectAltNameIsPresent() throws {
        let reason = reject(try EdgePKI.chain("cn-ignored"), host: "localhost", alert: .badCertificate)
        #expect(reason == "certificate for other.example does not match localhost")
        accept(try EdgePKI.chain("cn-ignored"), host: "other.example")
    }

    // MARK: Extensions

    @Test func unknownCriticalExtensionIsRejected() throws {
        let reason = reject(try EdgePKI.chain("critical-ext"), alert: .certificateUnknown)
        #expect(reason == "unhandled critical extension 1.3.6.1.4.1.55555.1.1 (server certificate "
            + "\(EdgePKI.subject("localhost")))")
        // The same extension, not critical, is ignored.
        accept(try EdgePKI.chain("noncritical-ext"))
    }

    // MARK: CA certificates (RFC 5280 §4.2.1.9)

    @Test func intermediateWithCAFalseIsRejected() throws {
        let reason = reject(try EdgePKI.chain("ca-false-leaf"), alert: .unknownCA)
        #expect(reason == "invalid CA certificate (chain certificate 1: "
            + "\(EdgePKI.subject("swift-tls13 Edge CA:FALSE Intermediate")))")
    }

    @Test func intermediateWithoutBasicConstraintsIsRejected() throws {
        // keyUsage keyCertSign but no basicConstraints: not a CA (OpenSSL 3 agrees).
        let reason = reject(try EdgePKI.chain("no-bc-leaf"), alert: .unknownCA)
        #expect(reason == "invalid CA certificate (chain certificate 1: "
            + "\(EdgePKI.subject("swift-tls13 Edge No-basicConstraints Intermediate")))")
    }

    @Test func pathLengthConstraintIsEnforced() throws {
        // root → intermediate.pem (pathlen:0) → pathlen-sub-ca → leaf: one CA too many below the intermediate.
        let chain = try EdgePKI.chain("pathlen-leaf")
        #expect(chain.count == 3)
        let reason = reject(chain, alert: .unknownCA)
        #expect(reason == "path length constraint exceeded (chain certificate 2: "
            + "\(EdgePKI.subject("swift-tls13 Test Intermediate CA")))")
        // The order they are sent in does not matter.
        reject([chain[0], chain[2], chain[1]], alert: .unknownCA)
    }

    // MARK: Extended key usage

    @Test func extendedKeyUsageMustAllowServerAuth() throws {
        let reason = reject(try EdgePKI.chain("client-auth"), alert: .unsupportedCertificate)
        #expect(reason == "unsuitable certificate purpose (server certificate \(EdgePKI.subject("localhost")))")
        accept(try EdgePKI.chain("eku-both"))
        // No extendedKeyUsage: RFC 5280 reads it as any purpose, the Web PKI requires serverAuth (BR 7.1.2.7.10).
        let missing = reject(try EdgePKI.chain("no-eku"), alert: .unsupportedCertificate)
        #expect(missing == "no extendedKeyUsage: a server certificate must list serverAuth (CA/B Forum BR "
            + "7.1.2.7.10) (server certificate \(EdgePKI.subject("localhost")))")
        // An intermediate's extendedKeyUsage constrains the certificates below it.
        let intermediate = reject(try EdgePKI.chain("client-eku-int-leaf"), alert: .unsupportedCertificate)
        #expect(intermediate == "unsuitable certificate purpose (chain certificate 1: "
            + "\(EdgePKI.subject("swift-tls13 Edge clientAuth-only Intermediate")))")
        // The project's client certificates (clientAuth) are no server certificates either.
        let client = try PEM.certificates(fromFile: CertPaths.path("client-ecdsa-p256-chain.pem")).map(\.der)
        reject(client, host: nil, alert: .unsupportedCertificate)
    }

    // MARK: Security level 2

    @Test func sha1SignaturesAreRejected() throws {
        let leaf = reject(try EdgePKI.chain("sha1-leaf"), alert: .badCertificate)
        #expect(leaf == "CA signature digest algorithm too weak (server certificate \(EdgePKI.subject("localhost")))")
        let intermediate = reject(try EdgePKI.chain("sha1-int-leaf"), alert: .badCertificate)
        #expect(intermediate == "CA signature digest algorithm too weak (chain certificate 1: "
            + "\(EdgePKI.subject("swift-tls13 Edge SHA-1-signed Intermediate")))")
    }

    @Test func rsaKeysBelow2048BitsAreRejected() throws {
        let leaf = reject(try EdgePKI.chain("rsa1024-leaf"), alert: .badCertificate)
        #expect(leaf == "EE certificate key too weak (server certificate \(EdgePKI.subject("localhost")))")
        let intermediate = reject(try EdgePKI.chain("rsa1024-int-leaf"), alert: .badCertificate)
        #expect(intermediate == "CA certificate key too weak (chain certificate 1: "
            + "\(EdgePKI.subject("swift-tls13 Edge RSA-1024 Intermediate")))")
        // 2048 bits is enough.
        accept(try PEM.certificates(fromFile: CertPaths.path("leaf-rsa2048-chain.pem")).map(\.der))
    }

    // MARK: What the server sends (RFC 8446 §4.4.2)

    @Test func chainOutOfOrderOrWithExtraCertificatesIsAccepted() throws {
        let leaf = try EdgePKI.certificate("leaf-ecdsa-p256.pem")
        let intermediate = try EdgePKI.certificate("intermediate.pem")
        let root = try EdgePKI.certificate("ca.pem")
        let strangers = [try EdgePKI.certificate("unknown-ca-root.pem"),
                         try EdgePKI.certificate("unknown-ca-intermediate.pem"),
                         try EdgePKI.certificate("edge/nc-intermediate.pem"),
                         try EdgePKI.certificate("edge/sha1-intermediate.pem")]
        let chains: [[[UInt8]]] = [
            [leaf, root, intermediate],  // the root sent too, before the intermediate
            [leaf, strangers[0], intermediate],  // an unrelated root in between
            [leaf] + strangers + [intermediate, intermediate],  // unrelated CAs (one SHA-1-signed), a duplicate
            [leaf, intermediate, root] + strangers,
        ]
        for chain in chains { accept(chain) }
    }

    @Test func leafMustComeFirst() throws {
        let leaf = try EdgePKI.certificate("leaf-ecdsa-p256.pem")
        let intermediate = try EdgePKI.certificate("intermediate.pem")
        // The first certificate is the server's: the intermediate is not fit to be one.
        let reason = reject([intermediate, leaf], alert: .unsupportedCertificate)
        #expect(reason == "unsuitable certificate purpose (server certificate "
            + "\(EdgePKI.subject("swift-tls13 Test Intermediate CA")))")
    }
}

/// The edge cases through a whole handshake: the scripted server sends a `Certs/edge/` chain (signing
/// CertificateVerify with its key) to a client that trusts `Certs/ca.pem`; a rejection must be the client's
/// error and the fatal alert the server reads off the wire (encrypted under the handshake keys).
@Suite struct CertificateEdgeCaseHandshakeTests {
    struct Case: Sendable, CustomStringConvertible {
        var chain: String
        var identity: ClientStateMachine.ServerIdentity
        /// nil: the handshake completes.
        var alert: AlertDescription?
        /// Part of the error's reason.
        var reason: String = ""

        var description: String { "\(chain) as \(identity) → \(alert.map { "\($0)" } ?? "accepted")" }
    }

    static let cases: [Case] = [
        Case(chain: "nc-inside", identity: .dnsName("www.allowed.example"), alert: nil),
        Case(chain: "nc-outside", identity: .dnsName("www.forbidden.example"), alert: .certificateUnknown,
             reason: "permitted subtree violation"),
        Case(chain: "nc-excluded", identity: .dnsName("www.secret.allowed.example"), alert: .certificateUnknown,
             reason: "excluded subtree violation"),
        Case(chain: "wildcard", identity: .dnsName("a.example.com"), alert: nil),
        Case(chain: "wildcard", identity: .dnsName("example.com"), alert: .badCertificate,
             reason: "does not match example.com"),
        Case(chain: "wildcard", identity: .dnsName("a.b.example.com"), alert: .badCertificate,
             reason: "does not match a.b.example.com"),
        Case(chain: "ip-only", identity: .ipAddress("127.0.0.1"), alert: nil),
        Case(chain: "ip-only", identity: .dnsName("localhost"), alert: .badCertificate,
             reason: "IP addresses only"),
        Case(chain: "ip-lookalike", identity: .ipAddress("127.0.0.1"), alert: .badCertificate,
             reason: "DNS names only"),
        Case(chain: "cn-ignored", identity: .dnsName("localhost"), alert: .badCertificate,
             reason: "certificate for other.example does not match localhost"),
        Case(chain: "critical-ext", identity: .dnsName("localhost"), alert: .certificateUnknown,
             reason: "unhandled critical extension 1.3.6.1.4.1.55555.1.1"),
        Case(chain: "noncritical-ext", identity: .dnsName("localhost"), alert: nil),
        Case(chain: "ca-false-leaf", identity: .dnsName("localhost"), alert: .unknownCA,
             reason: "invalid CA certificate"),
        Case(chain: "no-bc-leaf", identity: .dnsName("localhost"), alert: .unknownCA, reason: "invalid CA certificate"),
        Case(chain: "pathlen-leaf", identity: .dnsName("localhost"), alert: .unknownCA,
             reason: "path length constraint exceeded"),
        Case(chain: "client-auth", identity: .dnsName("localhost"), alert: .unsupportedCertificate,
             reason: "unsuitable certificate purpose"),
        Case(chain: "client-eku-int-leaf", identity: .dnsName("localhost"), alert: .unsupportedCertificate,
             reason: "unsuitable certificate purpose (chain certificate 1"),
        Case(chain: "eku-both", identity: .dnsName("localhost"), alert: nil),
        Case(chain: "sha1-leaf", identity: .dnsName("localhost"), alert: .badCertificate,
             reason: "CA signature digest algorithm too weak"),
        Case(chain: "sha1-int-leaf", identity: .dnsName("localhost"), alert: .badCertificate,
             reason: "CA signature digest algorithm too weak (chain certificate 1"),
        Case(chain: "rsa1024-leaf", identity: .dnsName("localhost"), alert: .badCertificate,
             reason: "EE certificate key too weak"),
        Case(chain: "rsa1024-int-leaf", identity: .dnsName("localhost"), alert: .badCertificate,
             reason: "CA certificate key too weak"),
    ]

    @Test(arguments: cases)
    func handshake(_ c: Case) throws {
        let server = ScriptedServer(.init(customChain: try EdgePKI.served(c.chain)))
        let client = try makeTestClient(identity: c.identity)
        let outcome = runHandshake(client: client, server: server)
        guard let alert = c.alert else {
            expectSuccess(outcome, server: server)
            #expect(client.info.certificateVerified)
            #expect(client.info.peerCertificates == (try EdgePKI.chain(c.chain)))
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

    @Test func serverMaySendItsChainOutOfOrderWithExtraCertificates() throws {
        let served = try ScriptedServer.loadChain(
            certificates: ["leaf-ecdsa-p256.pem", "unknown-ca-root.pem", "ca.pem", "edge/nc-intermediate.pem",
                           "intermediate.pem"],
            key: "leaf-ecdsa-p256.key")
        #expect(served.certificates.count == 5)
        let server = ScriptedServer(.init(customChain: served))
        let client = try makeTestClient()
        let outcome = runHandshake(client: client, server: server)
        expectSuccess(outcome, server: server)
        #expect(client.info.certificateVerified)
        #expect(client.info.peerCertificates == served.certificates)
    }

    @Test func leafNotFirstFailsTheHandshake() throws {
        let served = try ScriptedServer.loadChain(certificates: ["intermediate.pem", "leaf-ecdsa-p256.pem"],
                                                  key: "leaf-ecdsa-p256.key")
        let server = ScriptedServer(.init(customChain: served))
        let outcome = runHandshake(client: try makeTestClient(), server: server)
        expectAlert(outcome, .unsupportedCertificate, encrypted: true)
    }
}
