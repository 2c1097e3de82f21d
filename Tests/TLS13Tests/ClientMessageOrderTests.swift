import Foundation
import Testing
@testable import TLS13

/// Every handshake message out of order, repeated, missing or from the wrong side: unexpected_message
/// (RFC 8446 §4, §A.1), and nothing delivered to the application first.
@Suite struct ClientMessageOrderTests {
    typealias Item = ScriptedServer.Item

    struct Case: Sendable, CustomStringConvertible {
        var description: String
        /// Whether the client has its handshake keys by the time it fails (its alert is then protected).
        var encryptedAlert = true
        var edit: @Sendable (inout [Item]) -> Void
    }

    static let clientHello = HandshakeMessage.clientHello(ClientHello(
        random: [UInt8](repeating: 7, count: 32), cipherSuites: [.aes128GCMSHA256],
        extensions: [.supportedVersions([.tls13]), .supportedGroups([.x25519])]))
    static let ticket = HandshakeMessage.newSessionTicket(NewSessionTicket(
        ticketLifetime: 60, ticketAgeAdd: 1, ticketNonce: [], ticket: [1]))
    static let certificateRequest = HandshakeMessage.certificateRequest(CertificateRequest(
        extensions: [.signatureAlgorithms([.ecdsaSecp256r1SHA256])]))

    static let cases: [Case] = [
        // Before the ServerHello (plaintext).
        Case(description: "EncryptedExtensions before ServerHello", encryptedAlert: false) {
            $0.setEpoch(of: .encryptedExtensions, to: .plaintext)
            $0.move(.encryptedExtensions, before: .serverHello)
        },
        Case(description: "Certificate before ServerHello", encryptedAlert: false) {
            $0.setEpoch(of: .certificate, to: .plaintext)
            $0.move(.certificate, before: .serverHello)
        },
        Case(description: "Finished before ServerHello", encryptedAlert: false) {
            $0.setEpoch(of: .finished, to: .plaintext)
            $0.move(.finished, before: .serverHello)
        },
        Case(description: "ClientHello from the server", encryptedAlert: false) {
            $0.insert(.message(clientHello, epoch: .plaintext), before: .serverHello)
        },
        Case(description: "NewSessionTicket before ServerHello", encryptedAlert: false) {
            $0.insert(.message(ticket, epoch: .plaintext), before: .serverHello)
        },
        Case(description: "ServerHello missing (encrypted flight first)", encryptedAlert: false) {
            $0.remove(.serverHello)
        },
        Case(description: "application data before ServerHello", encryptedAlert: false) {
            $0.insert(.record(.applicationData, [1, 2, 3], epoch: .plaintext), before: .serverHello)
        },
        // After the ServerHello, in the encrypted flight.
        Case(description: "ServerHello twice (plaintext)") { $0.duplicate(.serverHello) },
        Case(description: "ServerHello again, encrypted") {
            $0.insert(.handshake($0.bytes(of: .serverHello), epoch: .handshake), after: .encryptedExtensions)
        },
        Case(description: "HelloRetryRequest after ServerHello") {
            let hrr = HandshakeMessage.helloRetryRequest(HelloRetryRequest(
                cipherSuite: .aes128GCMSHA256, extensions: [.supportedVersions(.tls13), .keyShare(.secp256r1)]))
            $0.insert(.message(hrr, epoch: .handshake), before: .encryptedExtensions)
        },
        Case(description: "Certificate before EncryptedExtensions") { $0.move(.certificate, before: .encryptedExtensions) },
        Case(description: "CertificateVerify before Certificate") { $0.move(.certificateVerify, before: .certificate) },
        Case(description: "Finished before CertificateVerify") { $0.move(.finished, before: .certificateVerify) },
        Case(description: "Finished before Certificate") { $0.move(.finished, before: .certificate) },
        Case(description: "EncryptedExtensions twice") { $0.duplicate(.encryptedExtensions) },
        Case(description: "Certificate twice") { $0.duplicate(.certificate) },
        Case(description: "CertificateVerify twice") { $0.duplicate(.certificateVerify) },
        Case(description: "EncryptedExtensions missing") { $0.remove(.encryptedExtensions) },
        Case(description: "Certificate missing") { $0.remove(.certificate) },
        Case(description: "CertificateVerify missing") { $0.remove(.certificateVerify) },
        Case(description: "CertificateRequest after Certificate") {
            $0.insert(.message(certificateRequest, epoch: .handshake), after: .certificate)
        },
        Case(description: "CertificateRequest twice") {
            $0.insert(.message(certificateRequest, epoch: .handshake), before: .certificate)
            $0.insert(.message(certificateRequest, epoch: .handshake), before: .certificate)
        },
        Case(description: "CertificateRequest before EncryptedExtensions") {
            $0.insert(.message(certificateRequest, epoch: .handshake), before: .encryptedExtensions)
        },
        Case(description: "NewSessionTicket during the handshake") {
            $0.insert(.message(ticket, epoch: .handshake), after: .encryptedExtensions)
        },
        Case(description: "KeyUpdate during the handshake") {
            $0.insert(.message(.keyUpdate(KeyUpdate(requestUpdate: .updateNotRequested)), epoch: .handshake),
                      after: .certificate)
        },
        Case(description: "ClientHello from the server, encrypted") {
            $0.insert(.message(clientHello, epoch: .handshake), after: .encryptedExtensions)
        },
        Case(description: "EndOfEarlyData from the server") {
            $0.insert(.message(.endOfEarlyData, epoch: .handshake), after: .encryptedExtensions)
        },
        Case(description: "application data before Finished") {
            $0.insert(.record(.applicationData, Array("too early".utf8), epoch: .handshake), before: .finished)
        },
        Case(description: "application data right after ServerHello") {
            $0.insert(.record(.applicationData, [0], epoch: .handshake), before: .encryptedExtensions)
        },
        Case(description: "unknown handshake type 0x63") {
            $0.insert(.handshake([0x63, 0, 0, 1, 0], epoch: .handshake), after: .encryptedExtensions)
        },
        Case(description: "message_hash (254) from the server") {
            $0.insert(.handshake([254, 0, 0, 32] + [UInt8](repeating: 0, count: 32), epoch: .handshake),
                      after: .encryptedExtensions)
        },
        // After the server's Finished, under the application keys.
        Case(description: "Finished again after the handshake") {
            $0.append(.handshake($0.bytes(of: .finished), epoch: .application))
        },
        Case(description: "EncryptedExtensions after the handshake") {
            $0.append(.handshake($0.bytes(of: .encryptedExtensions), epoch: .application))
        },
        Case(description: "CertificateRequest after the handshake (post-handshake auth not offered)") {
            $0.append(.message(certificateRequest, epoch: .application))
        },
    ]

    @Test(arguments: cases)
    func outOfOrder(_ c: Case) throws {
        let server = ScriptedServer()
        server.editFlight = c.edit
        let outcome = runHandshake(client: try makeTestClient(), server: server)
        expectAlert(outcome, .unexpectedMessage, encrypted: c.encryptedAlert)
        #expect(!server.isHandshakeComplete || c.description.contains("after the handshake"))
    }

    @Test func badMessageAfterTheHandshakeStopsTheData() throws {
        // Data before the bad message is delivered (in an earlier receive); nothing after it.
        let server = ScriptedServer()
        server.editFlight = { $0.append(.record(.applicationData, [1], epoch: .application)) }
        let client = try makeTestClient()
        let first = runHandshake(client: client, server: server)
        expectSuccess(first, server: server)
        #expect(first.events == [.handshakeComplete, .applicationData([1])])

        let encryptedExtensions = server.sentMessages.first { $0.message == .encryptedExtensions }?.bytes ?? []
        try server.send([
            .handshake(encryptedExtensions, epoch: .application),
            .record(.applicationData, [2], epoch: .application),
        ])
        let second = exchange(client: client, server: server)
        expectAlert(second, .unexpectedMessage, encrypted: true)
        #expect(second.events.isEmpty)
    }
}
