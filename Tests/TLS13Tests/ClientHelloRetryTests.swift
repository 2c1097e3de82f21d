import Foundation
import Testing
@testable import TLS13

/// HelloRetryRequest handling (RFC 8446 §4.1.4): what the client accepts, what its second ClientHello
/// carries, and every check on the HelloRetryRequest and on the ServerHello that follows it.
@Suite struct ClientHelloRetryTests {
    /// A server that prefers P-256, so a client that sent only an x25519 share gets a HelloRetryRequest.
    func p256Server() -> ScriptedServer {
        var config = ScriptedServer.Configuration()
        config.groups = [.secp256r1]
        return ScriptedServer(config)
    }

    @Test func secondHelloRetryRequest() throws {
        let server = p256Server()
        server.configuration.helloRetryRequests = 2
        let outcome = runHandshake(client: try makeTestClient(), server: server)
        expectAlert(outcome, .unexpectedMessage, encrypted: false)
        #expect(server.clientHellos.count == 2)
    }

    @Test(arguments: [NamedGroup.ffdhe3072, .ffdhe4096, .ffdhe2048, NamedGroup(rawValue: 0x4242)])
    func helloRetryRequestForAGroupNotOffered(_ group: NamedGroup) throws {
        let server = p256Server()
        server.mutateHelloRetryRequest = { hrr in
            hrr.extensions = hrr.extensions.map { $0.extensionType == .keyShare ? .keyShare(group) : $0 }
        }
        expectAlert(runHandshake(client: try makeTestClient(), server: server), .illegalParameter, encrypted: false)
        #expect(server.clientHellos.count == 1)
    }

    @Test func helloRetryRequestForTheGroupAlreadyShared() throws {
        // A forced HelloRetryRequest with no cookie names the selected group, x25519, which the client sent.
        let server = ScriptedServer()
        server.configuration.helloRetryRequests = 1
        let outcome = runHandshake(client: try makeTestClient(), server: server)
        #expect(server.sentMessages.first?.message == .helloRetryRequest)
        expectAlert(outcome, .illegalParameter, encrypted: false)
    }

    @Test func helloRetryRequestWithNeitherKeyShareNorCookie() throws {
        let server = p256Server()
        server.mutateHelloRetryRequest = { $0.extensions.removeAll { $0.extensionType == .keyShare } }
        expectAlert(runHandshake(client: try makeTestClient(), server: server), .illegalParameter, encrypted: false)
    }

    @Test func cookieIsEchoedInTheSecondClientHello() throws {
        // Cookie only: the client keeps its x25519 share and adds the cookie.
        let cookie: [UInt8] = Array(0..<200).map { UInt8($0) }
        let server = ScriptedServer()
        server.configuration.cookie = cookie
        let client = try makeTestClient()
        expectSuccess(runHandshake(client: client, server: server), server: server)
        try #require(server.clientHellos.count == 2)
        let (first, second) = (server.clientHellos[0], server.clientHellos[1])
        #expect(second.extension(.cookie) == .cookie(cookie))
        #expect(second.keyShares == first.keyShares)
        #expect(second.extensions.filter { $0.extensionType != .cookie } == first.extensions)
        #expect(client.info.usedHelloRetryRequest)
        #expect(client.info.group == .x25519)
    }

    @Test func cookieAndGroupTogether() throws {
        let server = p256Server()
        server.configuration.cookie = [0xC0, 0x0C, 0x1E]
        let client = try makeTestClient()
        expectSuccess(runHandshake(client: client, server: server), server: server)
        #expect(server.clientHellos.last?.extension(.cookie) == .cookie([0xC0, 0x0C, 0x1E]))
        #expect(server.clientHellos.last?.keyShares.map(\.group) == [.secp256r1])
        #expect(client.info.group == .secp256r1)
    }

    @Test func helloRetryRequestWithCompatibilityChangeCipherSpec() throws {
        let server = p256Server()
        server.configuration.compatibilityChangeCipherSpec = true
        let client = try makeTestClient()
        expectSuccess(runHandshake(client: client, server: server), server: server)
        #expect(client.info.usedHelloRetryRequest)
    }

    @Test func helloRetryRequestWithAES256SuiteUsesSHA384Transcript() throws {
        // The message_hash of ClientHello1 uses the HRR's suite hash.
        let server = p256Server()
        server.configuration.cipherSuites = [.aes256GCMSHA384]
        let client = try makeTestClient()
        expectSuccess(runHandshake(client: client, server: server), server: server)
        #expect(client.info.cipherSuite == .aes256GCMSHA384)
    }

    @Test func serverHelloAfterHelloRetryRequestWithAnotherSuite() throws {
        // Both suites were offered; only the change is wrong.
        let server = p256Server()
        server.mutateServerHello = { $0.cipherSuite = .aes256GCMSHA384 }
        expectAlert(runHandshake(client: try makeTestClient(), server: server), .illegalParameter, encrypted: false)
    }

    @Test func serverHelloAfterHelloRetryRequestWithAnotherGroup() throws {
        // The HRR asked for P-256; the ServerHello answers in x25519 (offered, and shared in ClientHello1).
        let server = p256Server()
        let x25519 = try makeKeyShare(group: .x25519).publicKey
        server.mutateServerHello = { hello in
            hello.extensions = hello.extensions.map {
                $0.extensionType == .keyShare ? .keyShare(KeyShareEntry(group: .x25519, keyExchange: x25519)) : $0
            }
        }
        expectAlert(runHandshake(client: try makeTestClient(), server: server), .illegalParameter, encrypted: false)
    }

    @Test func helloRetryRequestWithUnknownExtension() throws {
        let server = p256Server()
        server.mutateHelloRetryRequest = { $0.extensions.append(.unknown(ExtensionType(rawValue: 0x1234), [])) }
        expectAlert(runHandshake(client: try makeTestClient(), server: server), .unsupportedExtension, encrypted: false)
    }

    @Test(arguments: [ExtensionType.serverName, .applicationLayerProtocolNegotiation, .signatureAlgorithms])
    func helloRetryRequestWithOfferedExtensionNotAllowedThere(_ type: ExtensionType) throws {
        // Offered in the ClientHello, but these belong in EncryptedExtensions / CertificateRequest.
        let server = p256Server()
        server.mutateHelloRetryRequest = { $0.extensions.append(.unknown(type, [])) }
        let client = try makeTestClient { $0.applicationProtocols = ["h2"] }
        expectAlert(runHandshake(client: client, server: server), .illegalParameter, encrypted: false)
    }

    @Test(arguments: [ExtensionType.preSharedKey, .earlyData])
    func helloRetryRequestWithUnofferedExtensionNotAllowedThere(_ type: ExtensionType) throws {
        // Never allowed in an HRR and not offered: illegal_parameter or unsupported_extension (§4.2 names both).
        let server = p256Server()
        server.mutateHelloRetryRequest = { $0.extensions.append(.unknown(type, [])) }
        let outcome = runHandshake(client: try makeTestClient(), server: server)
        #expect([AlertDescription.illegalParameter, .unsupportedExtension].contains(outcome.error?.alert),
                "\(String(describing: outcome.error))")
        #expect(outcome.alertOnWire?.alert.description == outcome.error?.alert)
    }

    @Test func helloRetryRequestWithoutSupportedVersions() throws {
        let server = p256Server()
        server.mutateHelloRetryRequest = { $0.extensions.removeAll { $0.extensionType == .supportedVersions } }
        expectAlert(runHandshake(client: try makeTestClient(), server: server), .protocolVersion, encrypted: false)
    }

    @Test func helloRetryRequestSelectingTLS12() throws {
        let server = p256Server()
        server.mutateHelloRetryRequest = { hrr in
            hrr.extensions = hrr.extensions.map {
                $0.extensionType == .supportedVersions ? .supportedVersions(.tls12) : $0
            }
        }
        expectAlert(runHandshake(client: try makeTestClient(), server: server), .illegalParameter, encrypted: false)
    }

    @Test func helloRetryRequestLegacyFields() throws {
        let cases: [(String, (inout HelloRetryRequest) -> Void)] = [
            ("legacy_version", { $0.legacyVersion = .tls13 }),
            ("session id echo", { $0.legacySessionIDEcho = [] }),
            ("suite not offered", { $0.cipherSuite = CipherSuite(rawValue: 0x1304) }),
            ("TLS 1.2 suite", { $0.cipherSuite = CipherSuite(rawValue: 0xc02f) }),
        ]
        for (what, mutate) in cases {
            let server = p256Server()
            server.mutateHelloRetryRequest = mutate
            let outcome = runHandshake(client: try makeTestClient(), server: server)
            #expect(outcome.error?.alert == .illegalParameter, "\(what): \(String(describing: outcome.error))")
            #expect(outcome.alertOnWire?.alert == Alert(.illegalParameter), "\(what)")
        }
    }

    @Test func emptyCookieIsDecodeError() throws {
        let server = p256Server()
        server.mutateHelloRetryRequest = { $0.extensions.append(.unknown(.cookie, [0, 0])) }
        expectAlert(runHandshake(client: try makeTestClient(), server: server), .decodeError, encrypted: false)
    }

    @Test func secondServerHelloSessionIDAndVersionAreCheckedAgain() throws {
        let server = p256Server()
        server.mutateServerHello = { $0.legacySessionIDEcho = [] }
        expectAlert(runHandshake(client: try makeTestClient(), server: server), .illegalParameter, encrypted: false)
    }

    @Test func serverHelloAfterHelloRetryRequestWithInvalidP256Point() throws {
        let server = p256Server()
        server.mutateServerHello = { hello in
            hello.extensions = hello.extensions.map {
                guard case .keyShare(var share) = $0 else { return $0 }
                share.keyExchange[64] ^= 1
                return .keyShare(share)
            }
        }
        expectAlert(runHandshake(client: try makeTestClient(), server: server), .illegalParameter, encrypted: false)
    }
}
