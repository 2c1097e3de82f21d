import Foundation
import Testing
@testable import TLS13

/// Alerts from the server (RFC 8446 §6), and the record layer in the context of a handshake (§5): which
/// records may carry what, and when.
@Suite struct ClientAlertAndRecordTests {
    typealias Item = ScriptedServer.Item

    func run(_ server: ScriptedServer) throws -> HandshakeOutcome {
        runHandshake(client: try makeTestClient(), server: server)
    }

    /// The client stopped because of the server's alert, and sent none back.
    func expectReceived(_ outcome: HandshakeOutcome, _ alert: AlertDescription, server: ScriptedServer,
                        sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(outcome.error == .alertReceived(alert), sourceLocation: sourceLocation)
        #expect(outcome.error?.alertToSend == nil, sourceLocation: sourceLocation)
        #expect(outcome.alertRecord == nil, sourceLocation: sourceLocation)
        #expect(server.receivedAlerts.isEmpty, "client answered with \(server.receivedAlerts)",
                sourceLocation: sourceLocation)
        #expect(!outcome.applicationDataBeforeHandshake, sourceLocation: sourceLocation)
    }

    // MARK: Alerts from the server

    @Test func fatalAlertDuringTheHandshake() throws {
        let server = ScriptedServer()
        server.editFlight = { $0.insert(.alert(.handshakeFailure, epoch: .handshake), after: .encryptedExtensions) }
        expectReceived(try run(server), .handshakeFailure, server: server)
    }

    @Test func fatalAlertInsteadOfServerHello() throws {
        let server = ScriptedServer()
        server.editFlight = { $0 = [.alert(.protocolVersion, epoch: .plaintext)] }
        expectReceived(try run(server), .protocolVersion, server: server)
    }

    @Test func fatalAlertInsteadOfTheSecondServerHello() throws {
        let server = ScriptedServer()
        server.configuration.groups = [.secp256r1]
        var flights = 0
        server.editFlight = { flight in
            flights += 1
            if flights == 2 { flight = [.alert(.illegalParameter, epoch: .plaintext)] }
        }
        expectReceived(try run(server), .illegalParameter, server: server)
    }

    @Test func warningLevelHandshakeFailureIsStillFatal() throws {
        let server = ScriptedServer()
        server.editFlight = {
            $0.insert(.alert(.handshakeFailure, level: .warning, epoch: .handshake), after: .certificate)
        }
        expectReceived(try run(server), .handshakeFailure, server: server)
    }

    @Test(arguments: [UInt8(0xFE), 1, 200])
    func unknownAlertDescriptionIsFatal(_ description: UInt8) throws {
        let server = ScriptedServer()
        server.editFlight = {
            $0.insert(.record(.alert, [1, description], epoch: .handshake), after: .encryptedExtensions)
        }
        expectReceived(try run(server), AlertDescription(rawValue: description), server: server)
    }

    @Test func userCanceledIsNotFatal() throws {
        let server = ScriptedServer()
        server.editFlight = {
            $0.insert(.alert(.userCanceled, level: .warning, epoch: .handshake), after: .encryptedExtensions)
        }
        let client = try makeTestClient()
        expectSuccess(runHandshake(client: client, server: server), server: server)
        #expect(client.phase == .connected)
    }

    @Test func closeNotifyDuringTheHandshakeIsAnError() throws {
        let server = ScriptedServer()
        server.editFlight = {
            $0.insert(.alert(.closeNotify, level: .warning, epoch: .handshake), after: .encryptedExtensions)
        }
        let outcome = try run(server)
        expectReceived(outcome, .closeNotify, server: server)
        #expect(!outcome.handshakeCompleted)
    }

    @Test func alertOfThreeBytesIsDecodeError() throws {
        let server = ScriptedServer()
        server.editFlight = { $0.insert(.record(.alert, [2, 40, 0], epoch: .handshake), after: .encryptedExtensions) }
        expectAlert(try run(server), .decodeError, encrypted: true)
    }

    @Test func fatalAlertAfterTheHandshake() throws {
        let server = ScriptedServer()
        let client = try makeTestClient()
        expectSuccess(runHandshake(client: client, server: server), server: server)
        try server.sendAlert(.internalError)
        try server.sendApplicationData([1])
        let outcome = exchange(client: client, server: server)
        #expect(outcome.error == .alertReceived(.internalError))
        #expect(outcome.alertRecord == nil)
        #expect(outcome.events.isEmpty)
        #expect(client.phase == .failed)
    }

    @Test func nothingIsReadAfterCloseNotify() throws {
        let server = ScriptedServer()
        let client = try makeTestClient()
        expectSuccess(runHandshake(client: client, server: server), server: server)
        try server.sendApplicationData([1])
        try server.sendAlert(.closeNotify, level: .warning)
        try server.sendApplicationData([2])
        #expect(exchange(client: client, server: server).events == [.applicationData([1]), .peerClosed])
        // Writing is still possible after the peer's close_notify.
        try server.receive(try client.sealApplicationData([3][...]))
        #expect(server.receivedApplicationData.last == [3])
    }

    // MARK: Record layer in context

    @Test func serverHelloAndEncryptedExtensionsInOnePlaintextRecord() throws {
        let server = ScriptedServer()
        server.configuration.framing = .coalesced
        server.editFlight = { $0.setEpoch(of: .encryptedExtensions, to: .plaintext) }
        expectAlert(try run(server), .unexpectedMessage, encrypted: false)
    }

    @Test func serverHelloTailSharingARecordWithTheNextMessage() throws {
        // The ServerHello's last byte and the whole EncryptedExtensions (in plaintext) share the second record.
        let server = ScriptedServer()
        server.editFlight = { [unowned server] flight in
            flight.setEpoch(of: .encryptedExtensions, to: .plaintext)
            server.configuration.framing = .split(at: [flight.bytes(of: .serverHello).count - 1])
        }
        var records: [ScriptedServer.OutboundRecord] = []
        server.editRecords = { records = $0 }
        expectAlert(try run(server), .unexpectedMessage, encrypted: false)
        #expect(records.prefix(2).map(\.epoch) == [.plaintext, .plaintext])
    }

    @Test func serverHelloSplitAcrossRecords() throws {
        for cut in [1, 4, 5, 40, 90] {
            let server = ScriptedServer()
            server.configuration.framing = .split(at: [cut])
            let outcome = try run(server)
            #expect(outcome.error == nil && server.isHandshakeComplete, "cut at \(cut): \(String(describing: outcome.error))")
        }
    }

    @Test func serverHelloContinuedUnderEncryption() throws {
        // The first bytes of the ServerHello in plaintext, the rest in a protected record.
        let server = ScriptedServer()
        server.editFlight = { flight in
            let bytes = flight.bytes(of: .serverHello)
            guard let index = flight.index(of: .serverHello) else { return }
            flight[index] = .handshake(Array(bytes.prefix(10)), epoch: .plaintext)
            flight.insert(.handshake(Array(bytes.dropFirst(10)), epoch: .handshake), at: index + 1)
        }
        expectAlert(try run(server), .unexpectedMessage, encrypted: false)
    }

    @Test func changeCipherSpecBetweenServerHelloAndEncryptedExtensions() throws {
        var config = ScriptedServer.Configuration()
        config.compatibilityChangeCipherSpec = true
        let server = ScriptedServer(config)
        var records: [ScriptedServer.OutboundRecord] = []
        server.editRecords = { records += $0 }
        expectSuccess(try run(server), server: server)
        #expect(records.count > 2 && records[1].bytes == RecordLayer.changeCipherSpecRecord)
    }

    @Test func changeCipherSpecBeforeServerHelloAndTwiceInTheFlight() throws {
        let server = ScriptedServer()
        server.editFlight = {
            $0.insert(.changeCipherSpec, before: .serverHello)
            $0.insert(.changeCipherSpec, after: .serverHello)
            $0.insert(.changeCipherSpec, after: .certificate)
        }
        expectSuccess(try run(server), server: server)
    }

    @Test func changeCipherSpecAfterTheServerFinished() throws {
        let server = ScriptedServer()
        server.editFlight = { $0.append(.changeCipherSpec) }
        let outcome = try run(server)
        expectAlert(outcome, .unexpectedMessage, encrypted: true)
        // The client's Finished was queued before the failure and its alert is under the application keys:
        // alertRecord(for:) sends the Finished first, so the server completes and then reads the alert.
        #expect(outcome.events.isEmpty)
        #expect(server.isHandshakeComplete)
    }

    @Test(arguments: [[UInt8(0x02)], [0x01, 0x01], [0x00]])
    func malformedChangeCipherSpec(_ body: [UInt8]) throws {
        let server = ScriptedServer()
        server.editFlight = {
            $0.insert(.raw([ContentType.changeCipherSpec.rawValue, 3, 3, 0, UInt8(body.count)] + body), after: .serverHello)
        }
        expectAlert(try run(server), .unexpectedMessage, encrypted: true)
    }

    @Test func encryptedChangeCipherSpec() throws {
        let server = ScriptedServer()
        server.editFlight = { $0.insert(.record(.changeCipherSpec, [1], epoch: .handshake), after: .encryptedExtensions) }
        expectAlert(try run(server), .unexpectedMessage, encrypted: true)
    }

    @Test func plaintextHandshakeAfterKeys() throws {
        let server = ScriptedServer()
        server.editFlight = { $0.setEpoch(of: .certificate, to: .plaintext) }
        expectAlert(try run(server), .unexpectedMessage, encrypted: true)
    }

    @Test func plaintextAlertAfterKeys() throws {
        let server = ScriptedServer()
        server.editFlight = { $0.insert(.alert(.handshakeFailure, epoch: .plaintext), after: .encryptedExtensions) }
        expectAlert(try run(server), .unexpectedMessage, encrypted: true)
    }

    @Test(arguments: [1, 2, 3, 4])
    func badTag(_ recordIndex: Int) throws {
        // Records: ServerHello, then EncryptedExtensions, Certificate, CertificateVerify, Finished.
        let server = ScriptedServer()
        server.editRecords = { records in
            guard records.count == 5 else { return }
            records[recordIndex].bytes[records[recordIndex].bytes.count - 1] ^= 0x01
        }
        expectAlert(try run(server), .badRecordMAC, encrypted: true)
    }

    @Test func badTagAfterTheHandshake() throws {
        let server = ScriptedServer()
        let client = try makeTestClient()
        expectSuccess(runHandshake(client: client, server: server), server: server)
        server.editRecords = { $0[0].bytes[10] ^= 0x40 }  // a ciphertext byte, not the tag
        try server.sendApplicationData(Array("hello".utf8))
        let outcome = exchange(client: client, server: server)
        expectAlert(outcome, .badRecordMAC, encrypted: true)
        #expect(outcome.events.isEmpty)
    }

    @Test func recordsReordered() throws {
        // Swapping two protected records breaks the sequence numbers.
        let server = ScriptedServer()
        server.editRecords = { records in
            guard records.count == 5 else { return }
            records.swapAt(2, 3)
        }
        expectAlert(try run(server), .badRecordMAC, encrypted: true)
    }

    @Test func encryptedExtensionsUnderTheApplicationKeys() throws {
        let server = ScriptedServer()
        server.editFlight = { $0.setEpoch(of: .encryptedExtensions, to: .application) }
        expectAlert(try run(server), .badRecordMAC, encrypted: true)
    }

    @Test func paddedRecordsAreAccepted() throws {
        var config = ScriptedServer.Configuration()
        config.recordPadding = 200
        let server = ScriptedServer(config)
        let client = try makeTestClient()
        expectSuccess(runHandshake(client: client, server: server), server: server)
        try expectTrafficBothWays(client, server)
    }

    @Test func unknownContentType() throws {
        let server = ScriptedServer()
        server.editFlight = { $0.insert(.raw([0x19, 3, 3, 0, 1, 0]), before: .serverHello) }
        expectAlert(try run(server), .unexpectedMessage, encrypted: false)
        let inner = ScriptedServer()
        inner.editFlight = { $0.insert(.record(ContentType(rawValue: 0x19), [1], epoch: .handshake), after: .encryptedExtensions) }
        expectAlert(try run(inner), .unexpectedMessage, encrypted: true)
    }

    @Test func allZeroInnerPlaintext() throws {
        let server = ScriptedServer()
        server.editFlight = { $0.insert(.record(ContentType(rawValue: 0), [], epoch: .handshake), after: .encryptedExtensions) }
        expectAlert(try run(server), .unexpectedMessage, encrypted: true)
    }

    @Test func zeroLengthHandshakeRecords() throws {
        let plain = ScriptedServer()
        plain.editFlight = { $0.insert(.record(.handshake, [], epoch: .plaintext), before: .serverHello) }
        expectAlert(try run(plain), .unexpectedMessage, encrypted: false)
        let protected = ScriptedServer()
        protected.editFlight = { $0.insert(.record(.handshake, [], epoch: .handshake), after: .encryptedExtensions) }
        expectAlert(try run(protected), .unexpectedMessage, encrypted: true)
    }

    @Test func oversizedRecords() throws {
        let plain = ScriptedServer()
        plain.editFlight = { $0.insert(.raw([22, 3, 3, 0x40, 0x01] + [UInt8](repeating: 0, count: 16_385)), before: .serverHello) }
        expectAlert(try run(plain), .recordOverflow, encrypted: false)
        let protected = ScriptedServer()
        protected.editFlight = {
            $0.insert(.raw([23, 3, 3, 0x41, 0x01] + [UInt8](repeating: 0, count: 16_641)), after: .encryptedExtensions)
        }
        expectAlert(try run(protected), .recordOverflow, encrypted: true)
    }

    @Test func decryptedContentOver16KiB() throws {
        let server = ScriptedServer()
        let client = try makeTestClient()
        expectSuccess(runHandshake(client: client, server: server), server: server)
        try server.send([.record(.applicationData, [UInt8](repeating: 1, count: 16_385), epoch: .application)])
        expectAlert(exchange(client: client, server: server), .recordOverflow, encrypted: true)
    }

    @Test func notTLSAtAll() throws {
        // A server that answers in HTTP.
        let server = ScriptedServer()
        server.editFlight = { $0 = [.raw(Array("HTTP/1.1 400 Bad Request\r\n\r\n".utf8))] }
        expectAlert(try run(server), .decodeError, encrypted: false)
    }

    @Test func handshakeMessageSpanningTheFinishedKeyChange() throws {
        // Finished and the first bytes of a NewSessionTicket share a record under the handshake keys.
        let ticket = try HandshakeMessage.newSessionTicket(NewSessionTicket(
            ticketLifetime: 60, ticketAgeAdd: 1, ticketNonce: [], ticket: [1, 2, 3])).encoded
        let server = ScriptedServer()
        server.configuration.framing = .coalesced
        server.editFlight = { $0.append(.handshake(Array(ticket.prefix(6)), epoch: .handshake)) }
        let outcome = try run(server)
        expectAlert(outcome, .unexpectedMessage, encrypted: true)
        #expect(!outcome.handshakeCompleted)
    }

    @Test func alertInsideAFragmentedHandshakeMessage() throws {
        let server = ScriptedServer()
        server.editFlight = { flight in
            let bytes = flight.bytes(of: .certificate)
            guard let index = flight.index(of: .certificate) else { return }
            flight[index] = .handshake(Array(bytes.prefix(100)), epoch: .handshake)
            flight.insert(.alert(.handshakeFailure, epoch: .handshake), at: index + 1)
            flight.insert(.handshake(Array(bytes.dropFirst(100)), epoch: .handshake), at: index + 2)
        }
        expectAlert(try run(server), .unexpectedMessage, encrypted: true)
    }

    @Test func applicationDataInsideAFragmentedTicket() throws {
        let server = ScriptedServer()
        let client = try makeTestClient()
        expectSuccess(runHandshake(client: client, server: server), server: server)
        let ticket = try HandshakeMessage.newSessionTicket(NewSessionTicket(
            ticketLifetime: 60, ticketAgeAdd: 1, ticketNonce: [], ticket: [1, 2, 3])).encoded
        try server.send([
            .handshake(Array(ticket.prefix(5)), epoch: .application),
            .record(.applicationData, [1], epoch: .application),
            .handshake(Array(ticket.dropFirst(5)), epoch: .application),
        ])
        let outcome = exchange(client: client, server: server)
        expectAlert(outcome, .unexpectedMessage, encrypted: true)
        #expect(outcome.events.isEmpty)
    }

    @Test func keyUpdateSpanningTheKeyChange() throws {
        // A KeyUpdate followed, in the same record, by the start of another message.
        let server = ScriptedServer()
        let client = try makeTestClient()
        expectSuccess(runHandshake(client: client, server: server), server: server)
        server.configuration.framing = .coalesced
        let update = try HandshakeMessage.keyUpdate(KeyUpdate(requestUpdate: .updateNotRequested)).encoded
        try server.send([.handshake(update + [4, 0], epoch: .application)])
        expectAlert(exchange(client: client, server: server), .unexpectedMessage, encrypted: true)
    }

    // MARK: Post-handshake messages

    @Test func keyUpdateWithAnUnknownRequestValue() throws {
        let server = ScriptedServer()
        let client = try makeTestClient()
        expectSuccess(runHandshake(client: client, server: server), server: server)
        try server.send([.handshake([HandshakeType.keyUpdate.rawValue, 0, 0, 1, 2], epoch: .application)])
        expectAlert(exchange(client: client, server: server), .illegalParameter, encrypted: true)
    }

    @Test func ticketWithAnExtensionNotAllowedThere() throws {
        let server = ScriptedServer()
        let client = try makeTestClient()
        expectSuccess(runHandshake(client: client, server: server), server: server)
        try server.sendNewSessionTicket(NewSessionTicket(
            ticketLifetime: 60, ticketAgeAdd: 0, ticketNonce: [], ticket: [1], extensions: [.unknown(.keyShare, [])]))
        expectAlert(exchange(client: client, server: server), .illegalParameter, encrypted: true)
    }

    @Test func ticketWithAnEmptyTicketIsDecodeError() throws {
        let server = ScriptedServer()
        let client = try makeTestClient()
        expectSuccess(runHandshake(client: client, server: server), server: server)
        // ticket_lifetime, ticket_age_add, empty nonce, empty ticket, no extensions.
        let body: [UInt8] = [0, 0, 0, 60, 0, 0, 0, 0, 0, 0, 0, 0, 0]
        try server.send([.handshake([HandshakeType.newSessionTicket.rawValue, 0, 0, UInt8(body.count)] + body,
                                    epoch: .application)])
        expectAlert(exchange(client: client, server: server), .decodeError, encrypted: true)
    }
}
