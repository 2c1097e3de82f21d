import Foundation
import Testing
@testable import TLS13

/// The client's checks on the server's encrypted flight: EncryptedExtensions (§4.3.1, §4.2), Certificate
/// (§4.4.2 and the chain verifier), CertificateVerify (§4.4.3) and Finished (§4.4.4). The client has its
/// handshake keys by then, so every alert goes out protected.
@Suite struct ClientServerFlightTests {
    func run(
        _ server: ScriptedServer, identity: ClientStateMachine.ServerIdentity = .dnsName("localhost"),
        now: Int64 = ScriptedPKI.now, client configure: (inout TLSClientConfiguration) -> Void = { _ in }
    ) throws -> HandshakeOutcome {
        runHandshake(client: try makeTestClient(identity: identity, now: now, configure), server: server)
    }

    // MARK: EncryptedExtensions

    @Test func alpnNotOffered() throws {
        let server = ScriptedServer()
        server.mutateEncryptedExtensions = { $0.extensions.append(.applicationLayerProtocolNegotiation(Array("h2".utf8))) }
        expectAlert(try run(server), .unsupportedExtension, encrypted: true)
    }

    @Test func alpnSelectionNotAmongTheOffered() throws {
        let server = ScriptedServer()
        server.mutateEncryptedExtensions = {
            $0.extensions.append(.applicationLayerProtocolNegotiation(Array("spdy/3".utf8)))
        }
        expectAlert(try run(server) { $0.applicationProtocols = ["h2", "http/1.1"] }, .illegalParameter, encrypted: true)
    }

    @Test func alpnWithTwoNamesIsDecodeError() throws {
        let server = ScriptedServer()
        // ALPN body: protocol_name_list with "h2" and "h3" (the server must select exactly one).
        server.mutateEncryptedExtensions = {
            $0.extensions.append(.unknown(.applicationLayerProtocolNegotiation, [0, 6, 2, 0x68, 0x32, 2, 0x68, 0x33]))
        }
        expectAlert(try run(server) { $0.applicationProtocols = ["h2", "h3"] }, .decodeError, encrypted: true)
    }

    @Test(arguments: [ExtensionType.keyShare, .supportedVersions, .signatureAlgorithms, .pskKeyExchangeModes,
                      .signatureAlgorithmsCert])
    func forbiddenExtensionInEncryptedExtensions(_ type: ExtensionType) throws {
        // Each was offered in the ClientHello, but none may appear in EE.
        let server = ScriptedServer()
        server.mutateEncryptedExtensions = { $0.extensions.append(.unknown(type, [0, 0x1d])) }
        expectAlert(try run(server), .illegalParameter, encrypted: true)
    }

    @Test(arguments: [ExtensionType.preSharedKey, .cookie])
    func forbiddenAndUnsolicitedExtensionInEncryptedExtensions(_ type: ExtensionType) throws {
        // Never allowed in EE, and not offered either: RFC 8446 §4.2 names both illegal_parameter (wrong
        // message) and unsupported_extension (unsolicited); either is a correct answer.
        let server = ScriptedServer()
        server.mutateEncryptedExtensions = { $0.extensions.append(.unknown(type, [0, 0x1d])) }
        let outcome = try run(server)
        #expect([AlertDescription.illegalParameter, .unsupportedExtension].contains(outcome.error?.alert),
                "\(String(describing: outcome.error))")
        #expect(outcome.alertOnWire?.alert.description == outcome.error?.alert)
        #expect(outcome.alertOnWire?.encrypted == true)
    }

    @Test func serverNameWithoutSNI() throws {
        // An IP literal: no SNI was sent, so an acknowledgement is unsolicited.
        let server = ScriptedServer()
        server.mutateEncryptedExtensions = { $0.extensions.append(.serverName) }
        let outcome = try run(server, identity: .ipAddress("127.0.0.1"))
        #expect(server.clientHellos.first?.extension(.serverName) == nil)
        expectAlert(outcome, .unsupportedExtension, encrypted: true)
    }

    @Test(arguments: [ExtensionType(rawValue: 0x1234), .earlyData, .recordSizeLimit, .maxFragmentLength, .heartbeat])
    func unsolicitedExtensionInEncryptedExtensions(_ type: ExtensionType) throws {
        let server = ScriptedServer()
        let body: [UInt8] = type == .recordSizeLimit ? [0x40, 0x00] : []  // a well-formed body where one is parsed
        server.mutateEncryptedExtensions = { $0.extensions.append(.unknown(type, body)) }
        // record_size_limit is offered by default: a client that does not offer it.
        expectAlert(try run(server, client: { $0.recordSizeLimit = nil }), .unsupportedExtension, encrypted: true)
    }

    @Test func duplicateExtensionInEncryptedExtensions() throws {
        let server = ScriptedServer()
        server.mutateEncryptedExtensions = { $0.extensions += [.serverName, .serverName] }
        expectAlert(try run(server), .decodeError, encrypted: true)
    }

    // MARK: Certificate

    @Test func emptyCertificate() throws {
        let server = ScriptedServer()
        server.mutateCertificate = { $0.entries = [] }
        expectAlert(try run(server), .decodeError, encrypted: true)
    }

    @Test func nonEmptyRequestContext() throws {
        let server = ScriptedServer()
        server.mutateCertificate = { $0.certificateRequestContext = [1] }
        expectAlert(try run(server), .illegalParameter, encrypted: true)
    }

    @Test(arguments: [0, 1])
    func garbageDER(_ position: Int) throws {
        let server = ScriptedServer()
        server.mutateCertificate = { $0.entries[position].certData = [0x30, 0x03, 0x02, 0x01, 0x01] + [0xFF] }
        let outcome = try run(server)
        expectAlert(outcome, .badCertificate, encrypted: true)
    }

    @Test func truncatedLeaf() throws {
        let server = ScriptedServer()
        server.mutateCertificate = { $0.entries[0].certData.removeLast(10) }
        expectAlert(try run(server), .badCertificate, encrypted: true)
    }

    @Test func wrongHost() throws {
        let outcome = try run(ScriptedServer(.init(chain: .wrongHost)))
        expectAlert(outcome, .badCertificate, encrypted: true)
        let reason = outcome.error.map { "\($0)" } ?? ""
        #expect(reason.contains("other.example") && reason.contains("localhost"), "\(reason)")
    }

    @Test func wrongIPAddress() throws {
        let outcome = try run(ScriptedServer(.init(chain: .wrongHost)), identity: .ipAddress("127.0.0.1"))
        expectAlert(outcome, .badCertificate, encrypted: true)
        #expect(outcome.error.map { "\($0)" }?.contains("127.0.0.1") == true)
    }

    @Test func expiredLeaf() throws {
        let outcome = try run(ScriptedServer(.init(chain: .expired)))
        expectAlert(outcome, .certificateExpired, encrypted: true)
        #expect(outcome.error.map { "\($0)" }?.contains("expired") == true)
    }

    @Test func notYetValidLeaf() throws {
        expectAlert(try run(ScriptedServer(.init(chain: .notYetValid))), .certificateExpired, encrypted: true)
    }

    @Test func goodChainAtAClockFarInTheFuture() throws {
        // 2103-02-03: after every certificate's notAfter (2099-12-31).
        expectAlert(try run(ScriptedServer(), now: 4_200_000_000), .certificateExpired, encrypted: true)
    }

    @Test func unknownCA() throws {
        let outcome = try run(ScriptedServer(.init(chain: .unknownCA)))
        expectAlert(outcome, .unknownCA, encrypted: true)
    }

    @Test func selfSignedLeaf() throws {
        // OpenSSLCertificateVerifier maps X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT to unknown_ca.
        let outcome = try run(ScriptedServer(.init(chain: .selfSigned)))
        expectAlert(outcome, .unknownCA, encrypted: true)
        #expect(outcome.error.map { "\($0)" }?.contains("self-signed") == true, "\(String(describing: outcome.error))")
    }

    @Test func leafWithoutItsIntermediate() throws {
        let server = ScriptedServer()
        server.mutateCertificate = { $0.entries.removeLast() }
        expectAlert(try run(server), .unknownCA, encrypted: true)
    }

    @Test func intermediateSentFirst() throws {
        // The "leaf" is then the intermediate CA: not valid for localhost.
        let server = ScriptedServer()
        server.mutateCertificate = { $0.entries.reverse() }
        let outcome = try run(server)
        #expect(outcome.error?.alert == .badCertificate || outcome.error?.alert == .unsupportedCertificate,
                "\(String(describing: outcome.error))")
        #expect(outcome.alertOnWire?.alert.description == outcome.error?.alert)
    }

    @Test(arguments: [ExtensionType(rawValue: 0x1234), .statusRequest, .signedCertificateTimestamp])
    func unsolicitedCertificateEntryExtension(_ type: ExtensionType) throws {
        let server = ScriptedServer()
        server.mutateCertificate = { $0.entries[0].extensions = [RawExtension(type, [0])] }
        // status_request is offered by default: a client that does not offer it.
        expectAlert(try run(server, client: { $0.requestOCSPStapling = false }), .unsupportedExtension, encrypted: true)
    }

    @Test func certificateEntryExtensionNotAllowedThere() throws {
        let server = ScriptedServer()
        server.mutateCertificate = { $0.entries[0].extensions = [RawExtension(.keyShare, [])] }
        expectAlert(try run(server), .illegalParameter, encrypted: true)
    }

    // MARK: CertificateVerify

    @Test(arguments: [ScriptedServer.Chain.ecdsaP256, .ecdsaP384, .rsa2048, .ed25519])
    func badSignature(_ chain: ScriptedServer.Chain) throws {
        let server = ScriptedServer(.init(chain: chain))
        server.mutateCertificateVerify = { $0.signature[$0.signature.count - 1] ^= 0x01 }
        expectAlert(try run(server), .decryptError, encrypted: true)
    }

    @Test func emptySignature() throws {
        let server = ScriptedServer()
        server.mutateCertificateVerify = { $0.signature = [] }
        expectAlert(try run(server), .decryptError, encrypted: true)
    }

    @Test func signatureOverAnotherTranscript() throws {
        // The EncryptedExtensions on the wire differ from those the server hashed.
        let server = ScriptedServer()
        server.editFlight = { flight in
            guard let index = flight.index(of: .encryptedExtensions) else { return }
            flight[index] = .message(.encryptedExtensions(EncryptedExtensions(extensions: [.supportedGroups([.x25519])])),
                                     epoch: .handshake)
        }
        expectAlert(try run(server), .decryptError, encrypted: true)
    }

    @Test func schemeNotOffered() throws {
        let server = ScriptedServer()
        server.mutateCertificateVerify = { $0.algorithm = SignatureScheme(rawValue: 0x0999) }
        expectAlert(try run(server), .illegalParameter, encrypted: true)
    }

    @Test func realSignatureWithASchemeTheClientDidNotOffer() throws {
        // A valid RSA-PSS-SHA384 signature, but the client offered only SHA-256 schemes.
        var config = ScriptedServer.Configuration(chain: .rsa2048)
        config.signatureScheme = .rsaPSSRSAESHA384
        let outcome = try run(ScriptedServer(config)) {
            $0.signatureAlgorithms = [.ecdsaSecp256r1SHA256, .rsaPSSRSAESHA256]
        }
        expectAlert(outcome, .illegalParameter, encrypted: true)
    }

    @Test func clientContextString() throws {
        var config = ScriptedServer.Configuration()
        config.certificateVerifySigner = .client
        expectAlert(try run(ScriptedServer(config)), .decryptError, encrypted: true)
    }

    @Test(arguments: [SignatureScheme.rsaPKCS1SHA256, .rsaPKCS1SHA384, .rsaPKCS1SHA512, .rsaPKCS1SHA1])
    func pkcs1SchemeInCertificateVerify(_ scheme: SignatureScheme) throws {
        let server = ScriptedServer(.init(chain: .rsa2048))
        server.mutateCertificateVerify = { $0.algorithm = scheme }
        expectAlert(try run(server), .illegalParameter, encrypted: true)
    }

    struct Mismatch: Sendable, CustomStringConvertible {
        var chain: ScriptedServer.Chain
        var label: SignatureScheme
        var description: String { "\(chain.rawValue) key labelled \(label)" }
    }

    @Test(arguments: [
        Mismatch(chain: .ecdsaP256, label: .ecdsaSecp384r1SHA384),
        Mismatch(chain: .ecdsaP384, label: .ecdsaSecp256r1SHA256),
        Mismatch(chain: .ecdsaP256, label: .ed25519),
        Mismatch(chain: .rsa2048, label: .ecdsaSecp256r1SHA256),
        Mismatch(chain: .rsa2048, label: .rsaPSSPSSSHA256),
        Mismatch(chain: .ed25519, label: .ed448),
        Mismatch(chain: .ed25519, label: .rsaPSSRSAESHA256),
    ])
    func schemeNotMatchingTheKey(_ c: Mismatch) throws {
        let server = ScriptedServer(.init(chain: c.chain))
        server.mutateCertificateVerify = { $0.algorithm = c.label }
        expectAlert(try run(server), .illegalParameter, encrypted: true)
    }

    // MARK: Finished

    @Test(arguments: [0, 15, 31])
    func wrongVerifyData(_ byte: Int) throws {
        let server = ScriptedServer()
        server.mutateFinished = { $0.verifyData[byte] ^= 0x80 }
        expectAlert(try run(server), .decryptError, encrypted: true)
        #expect(!server.isHandshakeComplete)
    }

    @Test func finishedComputedWithTheClientKey() throws {
        // Right length, wrong key: what a server would get by confusing the two handshake secrets.
        let server = ScriptedServer()
        server.mutateFinished = { $0.verifyData = [UInt8](repeating: 0, count: 32) }
        expectAlert(try run(server), .decryptError, encrypted: true)
    }

    @Test(arguments: [1, 31, 33, 48, 64])
    func wrongLengthVerifyData(_ length: Int) throws {
        let server = ScriptedServer()
        server.mutateFinished = { $0.verifyData = Array(($0.verifyData + [UInt8](repeating: 0xAB, count: 64)).prefix(length)) }
        expectAlert(try run(server), .decodeError, encrypted: true)
    }

    @Test func sha256LengthVerifyDataUnderASHA384Suite() throws {
        let server = ScriptedServer()
        server.configuration.cipherSuites = [.aes256GCMSHA384]
        server.mutateFinished = { $0.verifyData = Array($0.verifyData.prefix(32)) }
        expectAlert(try run(server), .decodeError, encrypted: true)
    }

    @Test func emptyFinished() throws {
        let server = ScriptedServer()
        server.mutateMessageBytes = { message, bytes in
            if message == .finished { bytes = [HandshakeType.finished.rawValue, 0, 0, 0] }
        }
        expectAlert(try run(server), .decodeError, encrypted: true)
    }
}
