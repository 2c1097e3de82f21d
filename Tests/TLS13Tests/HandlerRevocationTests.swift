import Foundation
import Synchronization
import Testing
@testable import TLS13

/// What revocation means for a chain the application's handler decides on (Docs/Security.md, "Revocation for a
/// chain the application's handler accepted"): the handler sees the staple's outcome and decides; a pinned chain's
/// staple is handed over unverified instead of failing the handshake with unknown_ca.
@Suite struct HandlerRevocationTests {
    /// What the handler was shown.
    final class Seen: Sendable {
        let contexts = Mutex<[TLSCertificateVerificationContext]>([])
        func record(_ context: TLSCertificateVerificationContext) { contexts.withLock { $0.append(context) } }
        var all: [TLSCertificateVerificationContext] { contexts.withLock { $0 } }
    }

    static func config(_ seen: Seen, pinning pinned: [UInt8]? = nil, acceptRevoked: Bool = true) -> TLSClientConfiguration {
        var config = TLSClientConfiguration()
        config.trustRoots = .pemFile(CertPaths.path("ca.pem"))
        config.serverName = "localhost"
        config.certificateVerificationHandler = { context in
            seen.record(context)
            if let pinned, context.certificateChain.first != pinned {
                return .reject(alert: .badCertificate, reason: "not the pinned certificate")
            }
            if !acceptRevoked, case .rejected(let error) = context.ocspStatus {
                return .reject(alert: error.alert ?? .badCertificateStatusResponse, reason: "\(error)")
            }
            return .accept
        }
        return config
    }

    static func connect(_ server: OpenSSLServer, _ config: TLSClientConfiguration) async throws
        -> Result<TLSSessionInfo, TLSError>
    {
        try await runBlocking {
            do throws(TLSError) {
                let connection = try TLSConnection.connect(host: "127.0.0.1", port: server.port, configuration: config)
                defer { connection.close() }
                try connection.write(Array("x\n".utf8))
                _ = try connection.read()
                return .success(connection.sessionInfo)
            } catch {
                return .failure(error)
            }
        }
    }

    /// A pinned self-signed leaf with a staple: the staple cannot be authenticated (no trusted issuer), so the handler
    /// gets its bytes unverified and the handshake goes on when it accepts — it used to fail with unknown_ca.
    @Test func aPinnedSelfSignedChainWithAStaple() async throws {
        let staple = try [UInt8](CertPaths.load("ocsp-good.der"))
        let server = try await OpenSSLServer.start(
            leaf: "leaf-self-signed", chain: nil, mode: ["-rev"], arguments: ["-status_file", CertPaths.path("ocsp-good.der")])
        defer { server.stop() }
        let pinned = try PEM.certificates(fromFile: CertPaths.path("leaf-self-signed.pem")).map(\.der)[0]
        let seen = Seen()
        let result = try await Self.connect(server, Self.config(seen, pinning: pinned))
        guard case .success(let info) = result else {
            Issue.record("expected the pinned chain to be accepted, got \(result)")
            return
        }
        #expect(info.certificateVerified, "accepted by the handler")
        #expect(info.ocspStatus == .notVerified)
        #expect(info.ocspResponse == staple)
        let context = try #require(seen.all.first)
        #expect(seen.all.count == 1)
        #expect(context.ocspResponse == staple, "the handler gets the staple's bytes")
        #expect(context.ocspStatus == .notVerified)
        guard case .failed(let error) = context.defaultResult else {
            Issue.record("the library's own verdict on a self-signed leaf is a failure, got \(context.defaultResult)")
            return
        }
        #expect(error.alert == .unknownCA)
    }

    @Test func aPinnedSelfSignedChainWithoutAStaple() async throws {
        let server = try await OpenSSLServer.start(leaf: "leaf-self-signed", chain: nil, mode: ["-rev"])
        defer { server.stop() }
        let pinned = try PEM.certificates(fromFile: CertPaths.path("leaf-self-signed.pem")).map(\.der)[0]
        let seen = Seen()
        let result = try await Self.connect(server, Self.config(seen, pinning: pinned))
        guard case .success(let info) = result else {
            Issue.record("expected the pinned chain to be accepted, got \(result)")
            return
        }
        #expect(info.ocspStatus == TLSOCSPStatus.none)
        #expect(seen.all.first?.ocspResponse == nil)
        #expect(seen.all.first?.ocspStatus == TLSOCSPStatus.none)
        // Another certificate is not the pinned one: the handler's rejection and its alert.
        let other = try await Self.connect(server, Self.config(Seen(), pinning: [0x30]))
        guard case .failure(.certificateRejected(let alert, let reason)) = other else {
            Issue.record("expected the handler's rejection, got \(other)")
            return
        }
        #expect(alert == .badCertificate && reason.contains("not the pinned certificate"))
    }

    /// A verified chain whose staple says revoked: the handler sees `.rejected(certificate_revoked)` (also as
    /// `defaultResult`) and decides — here once rejecting, once accepting (visible in `ocspStatus`).
    @Test func aRevokedStapleIsTheHandlersToJudge() async throws {
        let server = try await OpenSSLServer.start(
            leaf: "leaf-revoked", mode: ["-rev"], arguments: ["-status_file", CertPaths.path("ocsp-revoked.der")])
        defer { server.stop() }
        let seen = Seen()
        let refused = try await Self.connect(server, Self.config(seen, acceptRevoked: false))
        guard case .failure(.certificateRejected(let alert, _)) = refused else {
            Issue.record("expected the handler to refuse the revoked certificate, got \(refused)")
            return
        }
        #expect(alert == .certificateRevoked)
        let context = try #require(seen.all.first)
        guard case .rejected(let error) = context.ocspStatus, case .failed(let same) = context.defaultResult else {
            Issue.record("the handler must see the revocation, got \(context.ocspStatus), \(context.defaultResult)")
            return
        }
        #expect(error.alert == .certificateRevoked && same == error)

        let accepted = try await Self.connect(server, Self.config(Seen(), acceptRevoked: true))
        guard case .success(let info) = accepted, case .rejected(let kept) = info.ocspStatus else {
            Issue.record("an accepting handler's connection reports the rejected staple, got \(accepted)")
            return
        }
        #expect(kept.alert == .certificateRevoked)
    }
}
