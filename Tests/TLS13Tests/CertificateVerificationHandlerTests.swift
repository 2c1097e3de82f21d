import Foundation
import Testing
@testable import TLS13

/// ``TLSClientConfiguration/certificateVerificationHandler``: an application's own certificate check, and
/// ``TLSClientCertificate/signatureAlgorithms``.
@Suite struct CertificateVerificationHandlerTests {
    /// Records every context the handler saw; answers with `verdict`.
    final class Recorder: @unchecked Sendable {
        // @unchecked Sendable: every access holds `lock`.
        private let lock = NSLock()
        private var seen: [TLSCertificateVerificationContext] = []
        let verdict: @Sendable (TLSCertificateVerificationContext) -> TLSCertificateVerdict

        init(_ verdict: @escaping @Sendable (TLSCertificateVerificationContext) -> TLSCertificateVerdict) {
            self.verdict = verdict
        }

        var contexts: [TLSCertificateVerificationContext] { lock.withLock { seen } }

        var handler: @Sendable (TLSCertificateVerificationContext) -> TLSCertificateVerdict {
            { context in
                self.lock.withLock { self.seen.append(context) }
                return self.verdict(context)
            }
        }
    }

    @Test func acceptSeesTheChainNameAndDefaultResult() throws {
        let recorder = Recorder { _ in .accept }
        let server = ScriptedServer()
        let client = try makeTestClient { $0.certificateVerificationHandler = recorder.handler }
        expectSuccess(runHandshake(client: client, server: server), server: server)
        let context = try #require(recorder.contexts.first)
        #expect(recorder.contexts.count == 1)
        #expect(context.certificateChain == (try ScriptedServer.loadChain(.ecdsaP256).certificates))
        #expect(context.serverName == "localhost")
        #expect(context.defaultResult == .verified)
        #expect(client.info.certificateVerified)
    }

    @Test func rejectSendsTheHandlersAlert() throws {
        let recorder = Recorder { _ in .reject(alert: .badCertificate, reason: "not the pinned key") }
        let server = ScriptedServer()
        let outcome = runHandshake(
            client: try makeTestClient { $0.certificateVerificationHandler = recorder.handler }, server: server)
        expectAlert(outcome, .badCertificate, encrypted: true)
        guard case .certificateRejected(let alert, let reason)? = outcome.error else {
            Issue.record("expected certificateRejected, got \(String(describing: outcome.error))")
            return
        }
        #expect(alert == .badCertificate)
        #expect(reason.contains("not the pinned key"))
        #expect(recorder.contexts.count == 1)
    }

    @Test func rejectWithAnotherAlert() throws {
        let recorder = Recorder { _ in .reject(alert: .unknownCA, reason: "no") }
        let outcome = runHandshake(
            client: try makeTestClient { $0.certificateVerificationHandler = recorder.handler }, server: ScriptedServer())
        expectAlert(outcome, .unknownCA, encrypted: true)
    }

    /// A failed default verification reaches the handler, which may accept it (here: a pinned self-signed leaf)…
    @Test func acceptOverridesAFailedDefaultVerification() throws {
        let pinned = try ScriptedServer.loadChain(.selfSigned).certificates[0]
        let recorder = Recorder { $0.certificateChain.first == pinned ? .accept : .reject(alert: .badCertificate, reason: "x") }
        let server = ScriptedServer(.init(chain: .selfSigned))
        let client = try makeTestClient { $0.certificateVerificationHandler = recorder.handler }
        expectSuccess(runHandshake(client: client, server: server), server: server)
        let context = try #require(recorder.contexts.first)
        guard case .failed(let error) = context.defaultResult else {
            Issue.record("expected a failed default result, got \(context.defaultResult)")
            return
        }
        #expect(error.alert == .unknownCA)
    }

    /// …or pass its alert on.
    @Test func rejectingWithTheDefaultErrorSendsItsAlert() throws {
        let recorder = Recorder { context in
            if case .failed(let error) = context.defaultResult {
                return .reject(alert: error.alert ?? .badCertificate, reason: "\(error)")
            }
            return .accept
        }
        let server = ScriptedServer(.init(chain: .expired))
        let outcome = runHandshake(
            client: try makeTestClient { $0.certificateVerificationHandler = recorder.handler }, server: server)
        expectAlert(outcome, .certificateExpired, encrypted: true)
    }

    /// With chain verification off the handler still runs, told that the default check was skipped; the handshake
    /// then does not count as verified.
    @Test func skippedDefaultVerification() throws {
        let recorder = Recorder { _ in .accept }
        let server = ScriptedServer(.init(chain: .wrongHost))
        let client = try makeTestClient(verifyChain: false) { $0.certificateVerificationHandler = recorder.handler }
        expectSuccess(runHandshake(client: client, server: server), server: server)
        #expect(recorder.contexts.map(\.defaultResult) == [.skipped])
        #expect(!client.info.certificateVerified)
    }

    /// The handler cannot waive the server's proof of possession of the key.
    @Test func acceptDoesNotWaiveCertificateVerify() throws {
        let recorder = Recorder { _ in .accept }
        let server = ScriptedServer()
        server.mutateCertificateVerify = { $0.signature[10] ^= 1 }
        let outcome = runHandshake(
            client: try makeTestClient { $0.certificateVerificationHandler = recorder.handler }, server: server)
        expectAlert(outcome, .decryptError, encrypted: true)
    }

    /// Through the blocking API against `openssl s_server`: rejection is the typed error, and the server reads the
    /// alert.
    @Test func tlsConnectionRejectsAgainstOpenSSL() async throws {
        let server = try await OpenSSLServer.start(mode: ["-rev"])
        defer { server.stop() }
        var config = InteropOpenSSLTests.config()
        config.certificateVerificationHandler = { _ in .reject(alert: .badCertificate, reason: "rejected in test") }
        let frozen = config
        let error = try await runBlocking { () -> TLSError? in
            do throws(TLSError) {
                _ = try TLSConnection.connect(host: server.host, port: server.port, configuration: frozen)
                return nil
            } catch {
                return error
            }
        }
        #expect(error == .certificateRejected(alert: .badCertificate, reason: "rejected by the application: rejected in test"))
        let sawAlert = try await runBlocking { server.waitForOutput("alert bad certificate", timeout: 5) }
        #expect(sawAlert, "s_server output: \(server.output.suffix(300))")
    }

    // MARK: - Client certificate signature schemes

    static func clientAuthServer(_ schemes: [SignatureScheme]) -> ScriptedServer {
        var config = ScriptedServer.Configuration()
        config.certificateRequest = CertificateRequest(
            certificateRequestContext: [], extensions: [.signatureAlgorithms(schemes)])
        return ScriptedServer(config)
    }

    static func clientCertificate(_ name: String, _ schemes: [SignatureScheme]?) throws -> TLSClientCertificate {
        var credential = try TLSClientCertificate(
            certificateChainFile: CertPaths.path("client-\(name)-chain.pem"), privateKeyFile: CertPaths.path("client-\(name).key"))
        credential.signatureAlgorithms = schemes
        return credential
    }

    /// The scheme the client signed its CertificateVerify with, or `nil` if it sent none.
    static func signingScheme(_ credential: TLSClientCertificate, server: ScriptedServer) throws -> SignatureScheme? {
        final class Box: @unchecked Sendable { var scheme: SignatureScheme? }
        /// Signs with the credential's signer and notes the scheme.
        struct NotingSigner: TLSSigner {
            let inner: any TLSSigner
            let box: Box
            var signatureSchemes: [SignatureScheme] { inner.signatureSchemes }
            func sign(scheme: SignatureScheme, content: [UInt8]) throws(TLSError) -> [UInt8] {
                box.scheme = scheme
                return try inner.sign(scheme: scheme, content: content)
            }
        }
        let box = Box()
        var noting = TLSClientCertificate(chain: credential.chain, signer: NotingSigner(inner: credential.signer, box: box))
        noting.signatureAlgorithms = credential.signatureAlgorithms
        let client = try makeTestClient { $0.clientCertificate = noting }
        // ScriptedServer reads no client CertificateVerify (it stops there); the client's choice is what counts.
        let outcome = runHandshake(client: client, server: server)
        #expect(outcome.error == nil)
        return box.scheme
    }

    @Test func clientSignatureAlgorithmsChooseTheScheme() throws {
        let all: [SignatureScheme] = [.rsaPSSRSAESHA256, .rsaPSSRSAESHA384, .rsaPSSRSAESHA512]
        #expect(try Self.signingScheme(try Self.clientCertificate("rsa2048", nil), server: Self.clientAuthServer(all))
            == .rsaPSSRSAESHA256)
        #expect(try Self.signingScheme(
            try Self.clientCertificate("rsa2048", [.rsaPSSRSAESHA512, .rsaPSSRSAESHA256]), server: Self.clientAuthServer(all))
            == .rsaPSSRSAESHA512)
        // The first preferred scheme the server does not list is skipped; one the key cannot make is ignored.
        #expect(try Self.signingScheme(
            try Self.clientCertificate("rsa2048", [.ecdsaSecp256r1SHA256, .rsaPSSRSAESHA384]),
            server: Self.clientAuthServer([.rsaPSSRSAESHA384, .ecdsaSecp256r1SHA256])) == .rsaPSSRSAESHA384)
    }

    /// No preferred scheme the server accepts: an empty Certificate, no CertificateVerify.
    @Test func noCommonClientSignatureAlgorithmSendsNoCertificate() throws {
        let server = Self.clientAuthServer([.rsaPSSRSAESHA256])
        let credential = try Self.clientCertificate("rsa2048", [.rsaPSSRSAESHA384])
        #expect(try Self.signingScheme(credential, server: server) == nil)
        #expect(server.clientCertificate?.entries.isEmpty == true)
    }
}
