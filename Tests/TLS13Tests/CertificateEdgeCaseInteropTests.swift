import Foundation
import Testing
@testable import TLS13

/// A few `Certs/edge/` certificates through the public path: `TLSConnection` against a real `openssl s_server`,
/// where the connection itself decides whether the server name is a DNS name or an IP literal.
@Suite(.serialized) struct CertificateEdgeCaseInteropTests {
    /// (leaf stem under `Certs/`, the CA certificate s_server sends after it, the name the client checks,
    /// the alert; nil: accepted).
    static let cases: [(String, String, String, AlertDescription?)] = [
        ("edge/nc-inside", "edge/nc-intermediate.pem", "www.allowed.example", nil),
        ("edge/nc-outside", "edge/nc-intermediate.pem", "www.forbidden.example", .certificateUnknown),
        ("edge/ip-only", "intermediate.pem", "127.0.0.1", nil),
        ("edge/ip-only", "intermediate.pem", "localhost", .badCertificate),
        // Its DNS names "127.0.0.1" and "*.0.0.1" do not make it a certificate for the IP address 127.0.0.1.
        ("edge/ip-lookalike", "intermediate.pem", "127.0.0.1", .badCertificate),
        ("edge/critical-ext", "intermediate.pem", "localhost", .certificateUnknown),
        ("edge/pathlen-leaf", "edge/pathlen-sub-ca-chain.pem", "localhost", .unknownCA),
    ]

    @Test(arguments: cases)
    func edgeCertificate(_ leaf: String, _ chain: String, _ name: String, _ alert: AlertDescription?) async throws {
        let server = try await OpenSSLServer.start(leaf: leaf, chain: chain, mode: ["-rev"])
        defer { server.stop() }
        let configuration = Interop.config { $0.serverName = name }
        guard let alert else {
            let info = try await runBlocking { try Interop.handshakeAndRoundTrip(server, configuration) }
            #expect(info.certificateVerified)
            return
        }
        let error = try await runBlocking { Interop.connectError(server, configuration) }
        guard case .certificateRejected(let sent, let reason) = error else {
            Issue.record("expected .certificateRejected, got \(String(describing: error))")
            return
        }
        #expect(sent == alert, "\(reason)")
        try await Interop.expectServerPrinted(server, "SSL alert number \(alert.rawValue)\n")
    }

    /// A server name that is not a plain DNS name never reaches the certificate match.
    @Test func serverNameWithLeadingDotIsAConfigurationError() async throws {
        let server = try await OpenSSLServer.start(leaf: "edge/nc-inside", chain: "edge/nc-intermediate.pem",
                                                   mode: ["-rev"])
        defer { server.stop() }
        let error = try await runBlocking {
            Interop.connectError(server, Interop.config { $0.serverName = ".allowed.example" })
        }
        guard case .invalidConfiguration(let message)? = error else {
            Issue.record("expected .invalidConfiguration, got \(String(describing: error))")
            return
        }
        #expect(message.contains(".allowed.example"), "\(message)")
    }
}
