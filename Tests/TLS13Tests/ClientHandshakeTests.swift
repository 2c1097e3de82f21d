import Foundation
import Testing
@testable import TLS13

/// The client against the scripted server when the server does everything right: every suite, group and leaf
/// type, with real certificate verification (`Certs/ca.pem`, name `localhost`), then traffic, tickets and key
/// updates, and every way of framing the server's flight.
@Suite struct ClientHandshakeTests {
    @Test(arguments: [CipherSuite.aes128GCMSHA256, .aes256GCMSHA384, .chacha20Poly1305SHA256])
    func eachCipherSuite(_ suite: CipherSuite) throws {
        var config = ScriptedServer.Configuration()
        config.cipherSuites = [suite]
        let server = ScriptedServer(config)
        let client = try makeTestClient()
        let outcome = runHandshake(client: client, server: server)
        expectSuccess(outcome, server: server)
        #expect(client.info.cipherSuite == suite)
        #expect(client.phase == .connected)
        // Both directions work under the suite's application keys.
        try expectTrafficBothWays(client, server)
    }

    @Test func x25519WithoutHelloRetryRequest() throws {
        let server = ScriptedServer()
        let client = try makeTestClient()
        expectSuccess(runHandshake(client: client, server: server), server: server)
        #expect(client.info.group == .x25519)
        #expect(!client.info.usedHelloRetryRequest)
        #expect(server.clientHellos.count == 1)
        #expect(server.receivedChangeCipherSpecs == 1)  // compatibility mode: CCS before the client's Finished
    }

    @Test func p256ThroughHelloRetryRequest() throws {
        var config = ScriptedServer.Configuration()
        config.groups = [.secp256r1]
        let server = ScriptedServer(config)
        let client = try makeTestClient()
        let outcome = runHandshake(client: client, server: server)
        expectSuccess(outcome, server: server)
        #expect(client.info.group == .secp256r1)
        #expect(client.info.usedHelloRetryRequest)
        #expect(server.sentMessages.first?.message == .helloRetryRequest)
        // The second ClientHello carries exactly one share, for the requested group, and keeps everything else.
        try #require(server.clientHellos.count == 2)
        let (first, second) = (server.clientHellos[0], server.clientHellos[1])
        // GREASE (RFC 8701) adds a one-byte share for a reserved group to the first hello only.
        #expect(first.keyShares.map(\.group).filter { !GREASE.isGREASE($0.rawValue) } == [.x25519MLKEM768, .x25519])
        #expect(first.keyShares.first.map { GREASE.isGREASE($0.group.rawValue) && $0.keyExchange == [0] } == true)
        #expect(second.keyShares.map(\.group) == [.secp256r1])
        #expect(second.keyShares.first?.keyExchange.count == 65)
        #expect(second.random == first.random)
        #expect(second.legacySessionID == first.legacySessionID)
        #expect(second.cipherSuites == first.cipherSuites)
        #expect(second.extension(.cookie) == nil)
        #expect(server.receivedChangeCipherSpecs == 1)  // one CCS only, before the second ClientHello
        try expectTrafficBothWays(client, server)
    }

    @Test func p384WhenTheClientSendsItsShare() throws {
        var config = ScriptedServer.Configuration()
        config.groups = [.secp384r1]
        let server = ScriptedServer(config)
        let client = try makeTestClient { $0.keyShareGroups = [.x25519, .secp384r1] }
        expectSuccess(runHandshake(client: client, server: server), server: server)
        #expect(client.info.group == .secp384r1)
        #expect(!client.info.usedHelloRetryRequest)
        #expect(server.clientHellos.first?.keyShares.map(\.group).filter { !GREASE.isGREASE($0.rawValue) }
            == [.x25519, .secp384r1])
    }

    struct LeafCase: Sendable, CustomStringConvertible {
        var chain: ScriptedServer.Chain
        var scheme: SignatureScheme
        var description: String { "\(chain.rawValue) / \(scheme)" }
    }

    @Test(arguments: [
        LeafCase(chain: .ecdsaP256, scheme: .ecdsaSecp256r1SHA256),
        LeafCase(chain: .ecdsaP384, scheme: .ecdsaSecp384r1SHA384),
        LeafCase(chain: .rsa2048, scheme: .rsaPSSRSAESHA256),
        LeafCase(chain: .rsa2048, scheme: .rsaPSSRSAESHA512),
        LeafCase(chain: .ed25519, scheme: .ed25519),
    ])
    func eachLeafType(_ c: LeafCase) throws {
        var config = ScriptedServer.Configuration(chain: c.chain)
        config.signatureScheme = c.scheme
        let server = ScriptedServer(config)
        let client = try makeTestClient()
        expectSuccess(runHandshake(client: client, server: server), server: server)
        #expect(client.info.signatureScheme == c.scheme)
        #expect(client.info.certificateVerified)
        #expect(client.info.peerCertificates == (try ScriptedServer.loadChain(c.chain).certificates))
        #expect(client.info.peerCertificates.count == 2)
    }

    @Test func ipAddressIdentity() throws {
        // No SNI for an IP literal; the certificate's IP SAN is checked instead.
        let server = ScriptedServer()
        let client = try makeTestClient(identity: .ipAddress("127.0.0.1"))
        expectSuccess(runHandshake(client: client, server: server), server: server)
        #expect(server.clientHellos.first?.extension(.serverName) == nil)
        #expect(client.info.certificateVerified)
    }

    @Test func sniIsSentForADNSName() throws {
        let server = ScriptedServer()
        let client = try makeTestClient()
        expectSuccess(runHandshake(client: client, server: server), server: server)
        #expect(server.clientHellos.first?.extension(.serverName) == .serverName("localhost"))
    }

    @Test func alpnAccepted() throws {
        var config = ScriptedServer.Configuration()
        config.applicationProtocols = ["http/1.1", "h2"]
        let server = ScriptedServer(config)
        let client = try makeTestClient { $0.applicationProtocols = ["h2", "http/1.1"] }
        expectSuccess(runHandshake(client: client, server: server), server: server)
        // The server's preference wins among the offered names.
        #expect(client.info.applicationProtocol == "http/1.1")
    }

    @Test func noALPNWhenTheServerSelectsNone() throws {
        let server = ScriptedServer()
        let client = try makeTestClient { $0.applicationProtocols = ["h2"] }
        expectSuccess(runHandshake(client: client, server: server), server: server)
        #expect(client.info.applicationProtocol == nil)
    }

    @Test func serverEncryptedExtensionsWithServerNameAndSupportedGroups() throws {
        // Both allowed in EE; server_name because SNI was sent; supported_groups is informational.
        let server = ScriptedServer()
        server.mutateEncryptedExtensions = { $0.extensions += [.serverName, .supportedGroups([.secp256r1])] }
        let client = try makeTestClient()
        expectSuccess(runHandshake(client: client, server: server), server: server)
    }

    @Test func applicationDataBothWays() throws {
        let server = ScriptedServer()
        let client = try makeTestClient()
        expectSuccess(runHandshake(client: client, server: server), server: server)
        try expectTrafficBothWays(client, server)
        // A large write is split into records of at most 2^14 bytes, all of which the server reads.
        let big = [UInt8](repeating: 0x42, count: 40_000)
        let wire = try client.sealApplicationData(big[...])
        try server.receive(wire)
        #expect(server.receivedApplicationData.suffix(3).map(\.count) == [16_384, 16_384, 7_232])
        // And an empty application data record from the server is delivered as empty data.
        try server.sendApplicationData([])
        #expect(exchange(client: client, server: server).events == [.applicationData([])])
    }

    @Test func serverSendsDataRightAfterItsFinished() throws {
        // 0.5-RTT data in the same flight as the Finished: delivered only after `.handshakeComplete`.
        let server = ScriptedServer()
        server.editFlight = { $0.append(.record(.applicationData, Array("early".utf8), epoch: .application)) }
        let client = try makeTestClient()
        let outcome = runHandshake(client: client, server: server)
        expectSuccess(outcome, server: server)
        #expect(outcome.events == [.handshakeComplete, .applicationData(Array("early".utf8))])
    }

    @Test func newSessionTicket() throws {
        let server = ScriptedServer()
        let client = try makeTestClient()
        expectSuccess(runHandshake(client: client, server: server), server: server)
        let ticket = NewSessionTicket(
            ticketLifetime: 3600, ticketAgeAdd: 7, ticketNonce: [1, 2], ticket: [9, 9, 9],
            extensions: [.earlyData(16_384), .unknown(ExtensionType(rawValue: 0x7777), [1])])
        try server.sendNewSessionTicket(ticket)
        let first = exchange(client: client, server: server).events
        guard case .newSessionTicket(let got, let session)? = first.first, first.count == 1 else {
            Issue.record("expected one NewSessionTicket event, got \(first)")
            return
        }
        #expect(got == ticket)
        #expect(session.ticket == [9, 9, 9] && session.ageAdd == 7 && session.maxEarlyDataSize == 16_384)
        #expect(session.cipherSuite == client.info.cipherSuite && session.psk.count == 32)
        // A lifetime over 7 days is capped (§4.6.1).
        var long = ticket
        long.ticketLifetime = 700_000
        try server.sendNewSessionTicket(long)
        var capped = long
        capped.ticketLifetime = 604_800
        let second = exchange(client: client, server: server).events
        guard case .newSessionTicket(let gotLong, let longSession)? = second.first else {
            Issue.record("expected a NewSessionTicket event, got \(second)")
            return
        }
        #expect(gotLong == capped)
        #expect(longSession.lifetime == 604_800)
        // The PSK depends only on the resumption secret and the nonce.
        #expect(longSession.psk.testBytes == session.psk.testBytes, "same nonce [1, 2], same PSK")
        #expect(client.phase == .connected)
    }

    @Test func keyUpdateRequestedByTheServer() throws {
        let server = ScriptedServer()
        let client = try makeTestClient()
        expectSuccess(runHandshake(client: client, server: server), server: server)

        try server.sendKeyUpdate(.updateRequested)
        try server.sendApplicationData(Array("after update".utf8))
        let events = try client.receive(server.takeOutput()[...])
        #expect(events == [.peerKeyUpdate(replyQueued: true), .applicationData(Array("after update".utf8))])
        // The client owes a KeyUpdate(update_not_requested), under its old keys.
        let reply = try client.takePendingOutput()
        #expect(!reply.isEmpty)
        try server.receive(reply)
        #expect(server.receivedKeyUpdates == [KeyUpdate(requestUpdate: .updateNotRequested)])
        // Data the client sends afterwards is under its new keys, which the server now reads.
        try server.receive(try client.sealApplicationData(Array("new keys".utf8)[...]))
        #expect(server.receivedApplicationData.last == Array("new keys".utf8))
        #expect(try client.takePendingOutput().isEmpty)  // the reply is owed once only
    }

    @Test func keyUpdateNotRequested() throws {
        let server = ScriptedServer()
        let client = try makeTestClient()
        expectSuccess(runHandshake(client: client, server: server), server: server)
        try server.sendKeyUpdate(.updateNotRequested)
        try server.sendApplicationData([1])
        #expect(try client.receive(server.takeOutput()[...]) == [.peerKeyUpdate(replyQueued: false), .applicationData([1])])
        #expect(try client.takePendingOutput().isEmpty)
        // Several updates in a row, then the client's own update that asks the server for one.
        for _ in 0..<3 { try server.sendKeyUpdate(.updateNotRequested) }
        try server.sendApplicationData([2])
        #expect(try client.receive(server.takeOutput()[...]).last == .applicationData([2]))
        try server.receive(try client.updateKeys(requestPeerUpdate: true))
        #expect(server.receivedKeyUpdates == [KeyUpdate(requestUpdate: .updateRequested)])
        // The server answered with its own update; the client follows it.
        #expect(try client.receive(server.takeOutput()[...]) == [.peerKeyUpdate(replyQueued: false)])
        try expectTrafficBothWays(client, server)
    }

    @Test func emptyCertificateAnswersACertificateRequest() throws {
        var config = ScriptedServer.Configuration()
        config.certificateRequest = CertificateRequest(
            certificateRequestContext: [], extensions: [.signatureAlgorithms([.ecdsaSecp256r1SHA256])])
        let server = ScriptedServer(config)
        let client = try makeTestClient()
        expectSuccess(runHandshake(client: client, server: server), server: server)
        #expect(server.clientCertificate == CertificateMessage(certificateRequestContext: [], entries: []))
    }

    @Test func closeNotifyBothWays() throws {
        let server = ScriptedServer()
        let client = try makeTestClient()
        expectSuccess(runHandshake(client: client, server: server), server: server)
        try server.receive(try client.closeNotify())
        #expect(server.receivedAlerts == [.init(alert: Alert(.closeNotify), encrypted: true)])
        try server.sendAlert(.closeNotify, level: .warning)
        #expect(exchange(client: client, server: server).events == [.peerClosed])
        #expect(client.peerClosed)
    }

    // MARK: - Framing of the server's flight

    @Test(arguments: [
        ScriptedServer.Framing.recordPerMessage, .coalesced, .fragments(1), .fragments(2), .fragments(5),
        .fragments(100), .fragments(16_384),
    ])
    func flightFraming(_ framing: ScriptedServer.Framing) throws {
        var config = ScriptedServer.Configuration()
        config.framing = framing
        let server = ScriptedServer(config)
        let client = try makeTestClient()
        expectSuccess(runHandshake(client: client, server: server), server: server)
    }

    @Test func wholeEncryptedFlightInOneRecord() throws {
        let server = ScriptedServer(.init(chain: .rsa2048))
        server.configuration.framing = .coalesced
        var records: [ScriptedServer.OutboundRecord] = []
        server.editRecords = { records += $0 }
        let client = try makeTestClient()
        expectSuccess(runHandshake(client: client, server: server), server: server)
        #expect(records.map(\.epoch) == [.plaintext, .handshake])
    }

    @Test func encryptedFlightSplitAtEveryOffset() async throws {
        // Ed25519 signatures have a fixed length, so every run's flight has the same layout. One record
        // boundary at every 13th offset of the encrypted flight (EE … Finished); `fragments(1)` above covers
        // every offset at once. No chain check (framing is independent of it), and a yield between runs, so
        // this loop does not starve the timing-sensitive tests that share the cooperative pool.
        let probe = ScriptedServer(.init(chain: .ed25519))
        expectSuccess(runHandshake(client: try makeTestClient(), server: probe), server: probe)
        let lengths = probe.sentMessages.map(\.bytes.count)
        let serverHelloLength = lengths[0]
        let flightLength = lengths.dropFirst().reduce(0, +)
        #expect(flightLength > 600)
        for cut in stride(from: 1, to: flightLength, by: 13) {
            var config = ScriptedServer.Configuration(chain: .ed25519)
            config.framing = .split(at: [serverHelloLength + cut])
            let server = ScriptedServer(config)
            let outcome = runHandshake(client: try makeTestClient(verifyChain: false), server: server)
            #expect(outcome.error == nil && server.isHandshakeComplete, "cut at \(cut): \(String(describing: outcome.error))")
            await Task.yield()
        }
    }

    @Test func encryptedFlightSplitAroundEachMessageBoundary() async throws {
        let probe = ScriptedServer()
        expectSuccess(runHandshake(client: try makeTestClient(), server: probe), server: probe)
        var boundaries: [Int] = []
        var end = 0
        for (_, bytes) in probe.sentMessages {
            end += bytes.count
            boundaries.append(end)
        }
        // Around each boundary inside the encrypted flight, and inside each 4-byte header.
        for boundary in boundaries.dropFirst().dropLast() {
            for delta in [-2, -1, 0, 1, 2, 3] {
                var config = ScriptedServer.Configuration()
                config.framing = .split(at: [boundary + delta])
                let server = ScriptedServer(config)
                let outcome = runHandshake(client: try makeTestClient(verifyChain: false), server: server)
                #expect(outcome.error == nil && server.isHandshakeComplete, "cut at \(boundary + delta)")
                await Task.yield()
            }
        }
    }

    @Test func serverFlightDeliveredOneByteAtATime() throws {
        let server = ScriptedServer()
        let client = try makeTestClient()
        try server.receive(try client.startHandshake())
        var events: [ClientEvent] = []
        for byte in server.takeOutput() { events += try client.receive([byte][...]) }
        #expect(events == [.handshakeComplete])
        try server.receive(try client.takePendingOutput())
        #expect(server.isHandshakeComplete)
    }
}

/// Sends a message each way and checks it arrives intact.
func expectTrafficBothWays(
    _ client: ClientStateMachine, _ server: ScriptedServer, sourceLocation: SourceLocation = #_sourceLocation
) throws {
    let up = Array("GET / HTTP/1.1\r\n\r\n".utf8)
    try server.receive(try client.sealApplicationData(up[...]))
    #expect(server.receivedApplicationData.last == up, sourceLocation: sourceLocation)
    let down = Array("HTTP/1.1 200 OK\r\n\r\n".utf8)
    try server.sendApplicationData(down)
    #expect(exchange(client: client, server: server).events == [.applicationData(down)], sourceLocation: sourceLocation)
}
