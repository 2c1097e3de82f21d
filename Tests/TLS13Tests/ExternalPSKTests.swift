import Foundation
import Testing
@testable import TLS13

/// External PSKs (RFC 8446 §4.2.11) against `openssl s_server -psk … -psk_identity …`: the PSK handshake with no
/// certificate, the "ext binder" (a wrong key fails on the server's binder check), an identity the server does not
/// know (certificate fallback only when allowed), across a HelloRetryRequest, and the configuration's checks.
@Suite(.serialized) struct ExternalPSKTests {
    static let key: [UInt8] = (0..<32).map { UInt8($0 &* 7 &+ 1) }
    static var keyHex: String { key.map { String(format: "%02x", $0) }.joined() }
    static let identity = "swift-tls13 external"

    static func server(identity: String = identity, _ extra: [String] = []) async throws -> OpenSSLServer {
        try await OpenSSLServer.start(mode: ["-rev"], arguments: ["-psk", keyHex, "-psk_identity", identity] + extra)
    }

    static func config(key: [UInt8] = key, fallback: Bool = false, _ edit: (inout TLSClientConfiguration) -> Void = { _ in })
        -> TLSClientConfiguration
    {
        Interop.config {
            $0.externalPSK = TLSExternalPSK(identity: Array(identity.utf8), key: key, allowsCertificateFallback: fallback)
            edit(&$0)
        }
    }

    @Test func thePSKAuthenticatesTheServerWithoutACertificate() async throws {
        let server = try await Self.server()
        defer { server.stop() }
        let info = try await runBlocking { try Interop.handshakeAndRoundTrip(server, Self.config()) }
        #expect(info.externalPSK && !info.resumed)
        #expect(info.peerCertificates.isEmpty && !info.certificateVerified && info.signatureScheme == nil)
        #expect(info.group == .x25519, "psk_dhe_ke: a fresh key exchange on top of the PSK")
        #expect(info.cipherSuite == .aes128GCMSHA256)
    }

    /// The binder is keyed with the PSK ("ext binder"): with another key the server refuses the binder and the
    /// handshake ends.
    @Test func aWrongKeyFailsTheBinder() async throws {
        let server = try await Self.server()
        defer { server.stop() }
        let wrong = Self.key.map { $0 ^ 0x55 }
        await #expect(throws: TLSError.self) {
            _ = try await runBlocking { try Interop.handshakeAndRoundTrip(server, Self.config(key: wrong)) }
        }
    }

    /// An identity the server does not know: it authenticates with its certificate; the client goes on only when
    /// certificate fallback is allowed (the certificate is then verified as usual).
    @Test func anUnknownIdentityNeedsTheCertificateFallback() async throws {
        let server = try await Self.server(identity: "someone else")
        defer { server.stop() }
        let error = await #expect(throws: TLSError.self) {
            _ = try await runBlocking { try Interop.handshakeAndRoundTrip(server, Self.config()) }
        }
        #expect(error?.alert == .handshakeFailure, "\(String(describing: error))")
        let info = try await runBlocking { try Interop.handshakeAndRoundTrip(server, Self.config(fallback: true)) }
        #expect(!info.externalPSK && info.certificateVerified && info.peerCertificates.count == 2)
    }

    @Test func acrossAHelloRetryRequest() async throws {
        let server = try await Self.server(["-groups", "P-256"])
        defer { server.stop() }
        let info = try await runBlocking { try Interop.handshakeAndRoundTrip(server, Self.config()) }
        #expect(info.externalPSK && info.usedHelloRetryRequest && info.group == .secp256r1)
    }

    /// What goes on the wire (the scripted server records the ClientHello): the identity with an
    /// obfuscated_ticket_age of 0, a binder of the hash's length, psk_dhe_ke; a session to resume is not offered
    /// beside it, and no 0-RTT.
    @Test func theOfferAsSent() throws {
        let server = ScriptedServer()
        let client = try makeTestClient { $0.externalPSK = TLSExternalPSK(identity: [1, 2, 3], key: Self.key, hash: .sha384) }
        _ = runHandshake(client: client, server: server)
        let hello = try #require(server.clientHellos.first)
        let psks = try #require(hello.offeredPSKs)
        #expect(psks.identities == [OfferedPSKs.Identity(identity: [1, 2, 3], obfuscatedTicketAge: 0)])
        #expect(psks.binders.map(\.count) == [48])
        #expect(hello.extension(.pskKeyExchangeModes) == .pskKeyExchangeModes([.pskDHEKE]))
        #expect(hello.extension(.earlyData) == nil)
        #expect(hello.extensions.last?.extensionType == .preSharedKey)
    }

    @Test func configurationsThatCannotBeOfferedAreRefused() throws {
        var config = TLSClientConfiguration()
        config.externalPSK = TLSExternalPSK(identity: [], key: Self.key)
        #expect(throws: TLSError.self) { try config.validate() }
        config.externalPSK = TLSExternalPSK(identity: [1], key: [])
        #expect(throws: TLSError.self) { try config.validate() }
        config.externalPSK = TLSExternalPSK(identity: [1], key: Self.key, hash: .sha384)
        config.cipherSuites = [.aes128GCMSHA256]
        #expect(throws: TLSError.self) { try config.validate() }
        config.cipherSuites = [.aes256GCMSHA384]
        try config.validate()
        #expect(String(describing: config.externalPSK!) == "external PSK (identity of 1 bytes, sha384)")
    }
}
