import Testing
@testable import TLS13

/// The whole client driven through RFC 8448 traces: with the trace's ClientHello and key shares injected,
/// every record the client writes must equal the trace's, byte for byte, and every server record must be
/// accepted and decrypted.
@Suite struct ClientRFC8448Tests {
    func record(_ t: RFC8448Trace, _ i: Int) throws -> [UInt8] { try [UInt8](hex: t.records[i].record) }

    @Test func simpleOneRTTHandshakeOfSection3() throws {
        let t = try RFC8448Trace.load("section3_simple_1rtt")
        let client = try t.makeClient()
        #expect(try client.startHandshake() == record(t, 0))

        // ServerHello, then the encrypted server flight.
        #expect(try client.receive(record(t, 1)[...]).isEmpty)
        #expect(client.state == .waitEncryptedExtensions)
        #expect(try client.takePendingOutput().isEmpty)
        let events = try client.receive(record(t, 2)[...])
        #expect(events == [.handshakeComplete])
        #expect(client.state == .connected)
        // The client's Finished, under the client handshake key.
        #expect(try client.takePendingOutput() == record(t, 3))
        #expect(client.resumptionMasterSecret?.bytes == (try t.bytes("resumption_master_secret")))
        #expect(client.info.cipherSuite == .aes128GCMSHA256)
        #expect(client.info.group == .x25519)
        #expect(client.info.signatureScheme == .rsaPSSRSAESHA256)
        #expect(client.info.certificateVerified)

        // NewSessionTicket under the server application key.
        let ticketEvents = try client.receive(record(t, 4)[...])
        guard case .newSessionTicket(let ticket, let session)? = ticketEvents.first else {
            Issue.record("expected a NewSessionTicket, got \(ticketEvents)")
            return
        }
        #expect(ticket.ticket == (try t.bytes("ticket")))
        #expect(ticket.ticketNonce == (try t.bytes("ticket_nonce")))
        // The session carries the PSK the RFC derives from it.
        #expect(session.psk.bytes == (try t.bytes("resumption_psk")))
        #expect(session.ticket == ticket.ticket)
        #expect(session.lifetime == 30)
        #expect(session.maxEarlyDataSize == 1024)

        // Application data both ways.
        let clientData = try [UInt8](hex: t.records[5].payload)
        #expect(try client.sealApplicationData(clientData[...]) == record(t, 5))
        let serverData = try [UInt8](hex: t.records[6].payload)
        #expect(try client.receive(record(t, 6)[...]) == [.applicationData(serverData)])

        // close_notify both ways.
        #expect(try client.closeNotify() == record(t, 7))
        #expect(try client.receive(record(t, 8)[...]) == [.peerClosed])
        #expect(client.peerClosed)
    }

    @Test func serverFlightByteByByte() throws {
        // The same handshake with every server byte delivered alone.
        let t = try RFC8448Trace.load("section3_simple_1rtt")
        let client = try t.makeClient()
        _ = try client.startHandshake()
        var events: [ClientEvent] = []
        for b in try record(t, 1) + record(t, 2) {
            events += try client.receive([b][...])
        }
        #expect(events == [.handshakeComplete])
        #expect(try client.takePendingOutput() == record(t, 3))
    }

    @Test func helloRetryRequestOfSection5() throws {
        let t = try RFC8448Trace.load("section5_hello_retry_request")
        let client = try t.makeClient()
        let ch1 = try client.startHandshake()
        #expect(Array(ch1.dropFirst(5)) == (try t.bytes("client_hello_1")))

        // Find the trace's records by what they carry.
        let hrrRecord = try #require(t.records.firstIndex { !$0.encrypted && $0.sender == "server" })
        #expect(try client.receive(record(t, hrrRecord)[...]).isEmpty)
        #expect(client.info.usedHelloRetryRequest)
        // The trace's second ClientHello (NSS's, with padding) goes out, in a record of its own.
        let ch2 = try client.takePendingOutput()
        #expect(Array(ch2.dropFirst(5)) == (try t.bytes("client_hello_2")))
        #expect(ch2 == (try record(t, hrrRecord + 1)))

        #expect(try client.receive(record(t, hrrRecord + 2)[...]).isEmpty)  // ServerHello
        #expect(client.info.group == .secp256r1)
        #expect(try client.receive(record(t, hrrRecord + 3)[...]) == [.handshakeComplete])
        #expect(try client.takePendingOutput() == record(t, hrrRecord + 4))
        #expect(client.resumptionMasterSecret?.bytes == (try t.bytes("resumption_master_secret")))
    }

    @Test func ourSecondClientHelloAfterTheHRRofSection5() throws {
        // Our own second ClientHello: the first one with the requested share and the cookie, nothing else.
        let t = try RFC8448Trace.load("section5_hello_retry_request")
        let client = try t.makeClient(replacingRetry: false)
        _ = try client.startHandshake()
        let hrrRecord = try #require(t.records.firstIndex { !$0.encrypted && $0.sender == "server" })
        _ = try client.receive(record(t, hrrRecord)[...])
        let out = try client.takePendingOutput()
        #expect(Array(out.prefix(5)) == [22, 3, 3, UInt8((out.count - 5) >> 8), UInt8((out.count - 5) & 0xff)])
        guard case .clientHello(let ours) = try HandshakeMessage.decode(Array(out.dropFirst(5))),
            case .helloRetryRequest(let hrr) = try HandshakeMessage.decode(t.bytes("hello_retry_request"))
        else {
            Issue.record("not a ClientHello")
            return
        }
        let first = try t.firstClientHello()
        #expect(ours.random == first.random)
        #expect(ours.legacySessionID == first.legacySessionID)
        #expect(ours.cipherSuites == first.cipherSuites)
        #expect(ours.keyShares == [KeyShareEntry(group: .secp256r1, keyExchange: try t.bytes("client_p256_public_key"))])
        let cookie = try #require(hrr.cookie)
        var expected = first.extensions.map { ext -> ClientHelloExtension in
            if case .keyShare = ext { return .keyShare(ours.keyShares) }
            return ext
        }
        expected.append(.cookie(cookie))
        #expect(ours.extensions == expected)
    }

    @Test func compatibilityModeOfSection7() throws {
        let t = try RFC8448Trace.load("section7_compatibility_mode")
        let client = try t.makeClient()
        #expect(try client.startHandshake() == record(t, 0))
        // Feed every server record up to the client's next one (CCS records included).
        var i = 1
        var events: [ClientEvent] = []
        while i < t.records.count, t.records[i].sender == "server" {
            events += try client.receive(record(t, i)[...])
            i += 1
        }
        #expect(events == [.handshakeComplete])
        // The client's flight: its change_cipher_spec, then Finished.
        var expected: [UInt8] = []
        while i < t.records.count, t.records[i].sender == "client", t.records[i].key != "client_application_key" {
            expected += try record(t, i)
            i += 1
        }
        #expect(try client.takePendingOutput() == expected)
        #expect(expected.starts(with: RecordLayer.changeCipherSpecRecord))
        // Then the trace's close_notify, under the client application key.
        #expect(try client.closeNotify() == record(t, i))
        #expect(try client.receive(record(t, i + 1)[...]) == [.peerClosed])
    }

    @Test func exporterMatchesKeySchedule() throws {
        let t = try RFC8448Trace.load("section3_simple_1rtt")
        let client = try t.makeClient()
        _ = try client.startHandshake()
        _ = try client.receive((try record(t, 1) + record(t, 2))[...])
        let schedule = try KeySchedule(hash: .sha256)
        let expected = try schedule.exportKeyingMaterial(
            exporterSecret: SecretBytes(t.bytes("exporter_master_secret")), label: "EXPORTER-Test", context: [1, 2], length: 42)
        #expect(try client.exportKeyingMaterial(label: "EXPORTER-Test", context: [1, 2], length: 42) == expected)
    }
}
