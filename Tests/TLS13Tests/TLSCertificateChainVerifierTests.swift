import Foundation
import Testing
@testable import TLS13

/// The public chain verifier (``TLSCertificateChainVerifier``) and `tls13 verify-chain`: the same verdicts,
/// alerts and reasons as a handshake.
@Suite struct TLSCertificateChainVerifierTests {
    let now = ScriptedPKI.now

    func pem(_ file: String) throws -> [UInt8] { Array(try CertPaths.load(file)) }

    func verifier() throws -> TLSCertificateChainVerifier {
        try TLSCertificateChainVerifier(trustedRootsPEM: try pem("ca.pem"))
    }

    @Test func acceptsAGoodChainForItsNamesAndAddresses() throws {
        let chain = try TLSCertificateChainVerifier.certificates(fromPEM: try pem("leaf-ecdsa-p256-chain.pem"))
        #expect(chain.count == 2)
        let verifier = try verifier()
        try verifier.verify(chain: chain, serverName: "localhost", atSecondsSince1970: now)
        try verifier.verify(chain: chain, serverName: "127.0.0.1", atSecondsSince1970: now)
        try verifier.verify(chain: chain, serverName: "::1", atSecondsSince1970: now)
        try verifier.verify(chain: chain, serverName: nil, atSecondsSince1970: now)
        try verifier.verify(chain: chain, identity: .ipAddress("127.0.0.1"), atSecondsSince1970: now)
        // The IP literal as a DNS name matches no dNSName.
        let error = expectTLSError(alert: .badCertificate) {
            try verifier.verify(chain: chain, identity: .dnsName("127.0.0.1"), atSecondsSince1970: now)
        }
        #expect(error != nil)
    }

    @Test func serverNamesAreReadAsAConnectionReadsThem() {
        #expect(TLSCertificateChainVerifier.identity(for: "example.com") == .dnsName("example.com"))
        #expect(TLSCertificateChainVerifier.identity(for: "192.0.2.1") == .ipAddress("192.0.2.1"))
        #expect(TLSCertificateChainVerifier.identity(for: "fe80::1%eth0") == .ipAddress("fe80::1%eth0"))
        #expect(TLSCertificateChainVerifier.identity(for: "999.0.0.1") == .dnsName("999.0.0.1"))
        #expect(TLSCertificateChainVerifier.identity(for: nil) == .none)
    }

    /// Each verdict is the one the handshake's verifier gives: same alert, same reason.
    @Test(arguments: ["nc-wildcard", "cn-case", "no-eku", "ca-false-leaf", "pathlen-leaf", "nc-inside"])
    func sameVerdictAsTheHandshakeVerifier(_ name: String) throws {
        let chain = try EdgePKI.chain(name)
        let host = name.hasPrefix("nc-") ? "www.allowed.example" : "localhost"
        let handshakeVerifier = try ScriptedPKI.verifier()
        let publicVerifier = try verifier()
        var expected: TLSError?
        do throws(TLSError) {
            try handshakeVerifier.verify(chain: chain, hostname: host, ipAddress: nil, now: now)
        } catch {
            expected = error
        }
        var actual: TLSError?
        do throws(TLSError) {
            try publicVerifier.verify(chain: chain, serverName: host, atSecondsSince1970: now)
        } catch {
            actual = error
        }
        #expect(actual == expected)
        // And the scripted handshake fails with that error.
        let server = ScriptedServer(.init(customChain: try EdgePKI.served(name)))
        let outcome = runHandshake(client: try makeTestClient(identity: .dnsName(host)), server: server)
        #expect(outcome.error == expected)
    }

    @Test func chainLengthLimitAsAConnection() throws {
        var configuration = TLSClientConfiguration()
        configuration.trustRoots = .pemFile(CertPaths.path("ca.pem"))
        configuration.maxCertificateChainLength = 1
        let verifier = try TLSCertificateChainVerifier(configuration: configuration)
        #expect(verifier.maxCertificateChainLength == 1)
        let chain = try EdgePKI.chain("nc-inside")
        let error = expectTLSError {
            try verifier.verify(chain: chain, serverName: "www.allowed.example", atSecondsSince1970: now)
        }
        #expect(error == .certificateRejected(alert: .badCertificate,
                                              reason: "chain of 2 certificates exceeds the limit of 1"))
    }

    @Test func rootsAndPEMInput() throws {
        // DER roots, exactly the bytes of the PEM file.
        let roots = try TLSCertificateChainVerifier.certificates(fromPEM: try pem("ca.pem"))
        #expect(roots == [try X509Certificate(der: roots[0]).der])
        _ = try TLSCertificateChainVerifier(trustedRoots: roots)
        let empty = expectTLSError { _ = try TLSCertificateChainVerifier(trustedRoots: []) }
        #expect(empty == .invalidConfiguration("no trusted root certificate given"))
        let junk = expectTLSError { _ = try TLSCertificateChainVerifier(trustedRoots: [[0x30, 0x00]]) }
        guard case .invalidConfiguration(let message)? = junk else {
            Issue.record("expected invalidConfiguration, got \(String(describing: junk))")
            return
        }
        #expect(message.hasPrefix("trusted root 0 is not a DER certificate"))
        // Malformed PEM.
        let cases: [(String, String)] = [
            ("no certificate here\n", "no PEM certificate found"),
            ("-----BEGIN CERTIFICATE-----\nMIIB\n", "PEM certificate without END line"),
            ("-----BEGIN CERTIFICATE-----\nMI!B\n-----END CERTIFICATE-----\n", "malformed base64 in PEM certificate 0"),
            ("-----BEGIN CERTIFICATE-----\nMIIBA===\n-----END CERTIFICATE-----\n", "malformed base64 in PEM certificate 0"),
            ("-----END CERTIFICATE-----\n", "PEM END line without BEGIN"),
        ]
        for (text, message) in cases {
            let error = expectTLSError { _ = try TLSCertificateChainVerifier.certificates(fromPEM: Array(text.utf8)) }
            #expect(error == .invalidConfiguration(message), "\(text)")
        }
        // CRLF line ends and text around the blocks are fine.
        let crlf = String(decoding: try pem("ca.pem"), as: UTF8.self).replacingOccurrences(of: "\n", with: "\r\n")
        #expect(try TLSCertificateChainVerifier.certificates(fromPEM: Array(("before\r\n" + crlf + "after").utf8)) == roots)
    }

    // MARK: tls13 verify-chain

    @Test func verifyChainCommand() async throws {
        let ok = try await CLIProcess.run(["verify-chain", "--cafile", CertPaths.path("ca.pem"), "--untrusted",
                                           CertPaths.path("intermediate.pem"), "--name", "localhost",
                                           CertPaths.path("leaf-ecdsa-p256.pem")])
        #expect(ok.status == 0, "\(ok)")
        #expect(ok.stdout == "ok\n")
        let rejected = try await CLIProcess.run(["verify-chain", "--cafile", CertPaths.path("ca.pem"), "--ip",
                                                 "127.0.0.1", CertPaths.path("edge/ca-true-leaf-chain.pem")])
        #expect(rejected.status == 1, "\(rejected)")
        #expect(rejected.stdout.hasPrefix("rejected: unsupported_certificate, 43: a CA certificate (basicConstraints "
            + "cA=TRUE) cannot be the server's certificate"), "\(rejected)")
        // --time: the expired leaf at its last second, then one second later.
        let atEnd = try await CLIProcess.run(["verify-chain", "--cafile", CertPaths.path("ca.pem"), "--time",
                                              "978307200", CertPaths.path("leaf-expired-chain.pem")])
        #expect(atEnd.status == 0, "\(atEnd)")
        let after = try await CLIProcess.run(["verify-chain", "--cafile", CertPaths.path("ca.pem"), "--time",
                                              "978307201", CertPaths.path("leaf-expired-chain.pem")])
        #expect(after.stdout.hasPrefix("rejected: certificate_expired, 45: certificate has expired"), "\(after)")
        let usage = try await CLIProcess.run(["verify-chain", "--cafile", "/nonexistent/ca.pem",
                                              CertPaths.path("leaf-ecdsa-p256.pem")])
        #expect(usage.status == 2, "\(usage)")
        #expect(usage.stderr.contains("cannot read --cafile /nonexistent/ca.pem"), "\(usage)")
        let both = try await CLIProcess.run(["verify-chain", "--cafile", CertPaths.path("ca.pem"), "--name", "a",
                                             "--ip", "127.0.0.1", CertPaths.path("leaf-ecdsa-p256.pem")])
        #expect(both.status == 2, "\(both)")
    }
}
